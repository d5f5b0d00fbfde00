//! A tiny HTTP/1.1 responder for `GET /metrics` on a tokio listener (one request per
//! connection, `Connection: close`); every other path is 404.

use std::future::Future;
use std::io;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::exposition::{CONTENT_TYPE, Gauges, render};
use super::registry::global;
use crate::state::AppState;

/// Largest request head read; Prometheus sends a few hundred bytes.
const MAX_HEAD: usize = 8 * 1024;
/// A client that has not sent its request line by then is dropped.
const READ_TIMEOUT: Duration = Duration::from_secs(5);

/// Serves `/metrics` on `listener` until `shutdown` resolves. Accept errors are logged and
/// the loop goes on (a full file table must not kill the endpoint).
pub async fn serve_metrics(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()>,
) {
    if let Ok(addr) = listener.local_addr() {
        tracing::info!(%addr, "metrics on http://{addr}/metrics");
    }
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            _ = &mut shutdown => return,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let state = state.clone();
                    tokio::spawn(async move {
                        if let Err(e) = answer(stream, &state).await {
                            tracing::debug!(error = %e, "metrics request failed");
                        }
                    });
                }
                Err(e) => {
                    tracing::warn!(error = %e, "metrics accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
        }
    }
}

/// Binds `addr` (failing now, not later) and serves metrics on a task for the life of the
/// runtime. Returns the bound address (useful with port 0).
pub async fn spawn_metrics(
    addr: std::net::SocketAddr,
    state: AppState,
) -> io::Result<std::net::SocketAddr> {
    let listener = TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    tokio::spawn(serve_metrics(listener, state, std::future::pending()));
    Ok(bound)
}

async fn answer(mut stream: TcpStream, state: &AppState) -> io::Result<()> {
    let head = match tokio::time::timeout(READ_TIMEOUT, read_head(&mut stream)).await {
        Ok(head) => head?,
        Err(_) => return Ok(()),
    };
    let (status, body) = match route(&head) {
        Route::Metrics => {
            let g = Gauges {
                calls_active: state.active_calls() as u64,
                calls_total: state.calls_started(),
            };
            ("200 OK", render(global(), g))
        }
        Route::NotFound => ("404 Not Found", "not found: try /metrics\n".to_string()),
        Route::BadMethod => ("405 Method Not Allowed", "only GET\n".to_string()),
        Route::Bad => ("400 Bad Request", "bad request\n".to_string()),
    };
    let content_type = if status.starts_with("200") {
        CONTENT_TYPE
    } else {
        "text/plain; charset=utf-8"
    };
    let is_head = head.starts_with("HEAD ");
    let mut resp = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    if !is_head {
        resp.push_str(&body);
    }
    stream.write_all(resp.as_bytes()).await?;
    stream.shutdown().await
}

/// Reads until the blank line ending the request head (or `MAX_HEAD` bytes, or EOF).
async fn read_head(stream: &mut TcpStream) -> io::Result<String> {
    let mut buf = Vec::with_capacity(512);
    let mut chunk = [0u8; 1024];
    while buf.len() < MAX_HEAD && !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Ok(String::from_utf8_lossy(&buf).into_owned())
}

#[derive(Debug, PartialEq, Eq)]
enum Route {
    Metrics,
    NotFound,
    BadMethod,
    Bad,
}

fn route(head: &str) -> Route {
    let line = head.lines().next().unwrap_or_default();
    let mut parts = line.split_whitespace();
    let (Some(method), Some(target), Some(version)) = (parts.next(), parts.next(), parts.next())
    else {
        return Route::Bad;
    };
    if !version.starts_with("HTTP/1.") {
        return Route::Bad;
    }
    if method != "GET" && method != "HEAD" {
        return Route::BadMethod;
    }
    let path = target.split('?').next().unwrap_or_default();
    if path == "/metrics" {
        Route::Metrics
    } else {
        Route::NotFound
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        assert_eq!(
            route("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"),
            Route::Metrics
        );
        assert_eq!(route("GET /metrics?x=1 HTTP/1.0\r\n\r\n"), Route::Metrics);
        assert_eq!(route("HEAD /metrics HTTP/1.1\r\n\r\n"), Route::Metrics);
        assert_eq!(route("GET /other HTTP/1.1\r\n\r\n"), Route::NotFound);
        assert_eq!(route("GET / HTTP/1.1\r\n\r\n"), Route::NotFound);
        assert_eq!(route("POST /metrics HTTP/1.1\r\n\r\n"), Route::BadMethod);
        assert_eq!(route("garbage"), Route::Bad);
        assert_eq!(route(""), Route::Bad);
    }
}
