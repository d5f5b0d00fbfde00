//! The server under load as a child process (the release `callassist-server` next to this
//! binary): free loopback ports, a throw-away data directory, readiness wait, and a scrape of
//! its Prometheus counters at the end.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A running server; killed when dropped.
pub struct ServerProcess {
    child: Child,
    pub url: String,
    metrics_addr: String,
    _data: tempfile::TempDir,
}

/// Counters read from `/metrics`.
#[derive(Debug, Default)]
pub struct Counters {
    pub frames: u64,
    pub dropped: u64,
}

fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

impl ServerProcess {
    /// Starts the server with `extra` flags after the load test's own (no knowledge base,
    /// no LLM, limits raised for many calls) and waits until it answers.
    pub async fn start(extra: &[String]) -> anyhow::Result<Self> {
        let exe = std::env::current_exe()?
            .parent()
            .context("no directory for the bench binary")?
            .join("callassist-server");
        if !exe.exists() {
            bail!(
                "{} is missing: cargo build --release --bin callassist-server",
                exe.display()
            );
        }
        let data = tempfile::tempdir()?;
        let port = free_port()?;
        let metrics_addr = format!("127.0.0.1:{}", free_port()?);
        let child = Command::new(&exe)
            .arg("serve")
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .arg("--data")
            .arg(data.path())
            .args(["--embed-model", "none", "--llm", "off"])
            .args(["--metrics-listen", &metrics_addr])
            .args(["--max-calls-per-tenant", "256", "--max-calls", "256"])
            .args(["--idle-timeout-secs", "600"])
            .args(extra)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| format!("starting {}", exe.display()))?;
        let mut server = Self {
            child,
            url: format!("http://127.0.0.1:{port}"),
            metrics_addr,
            _data: data,
        };
        let deadline = Instant::now() + Duration::from_secs(180);
        loop {
            if let Some(status) = server.child.try_wait()? {
                bail!("the server exited during start-up: {status}");
            }
            if server.scrape_metrics().await.is_ok()
                && callassist_client::Client::connect(&server.url)
                    .await
                    .is_ok()
            {
                return Ok(server);
            }
            if Instant::now() > deadline {
                bail!("the server did not start within 180 s");
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Reads the frame counters from `/metrics`.
    pub async fn scrape_metrics(&self) -> anyhow::Result<Counters> {
        let mut s = tokio::net::TcpStream::connect(&self.metrics_addr).await?;
        s.write_all(b"GET /metrics HTTP/1.0\r\nHost: x\r\n\r\n")
            .await?;
        let mut body = String::new();
        s.read_to_string(&mut body).await?;
        let value = |name: &str| -> u64 {
            body.lines()
                .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
                .unwrap_or(0)
        };
        Ok(Counters {
            frames: value("callassist_frames_total"),
            dropped: value("callassist_frames_dropped_total"),
        })
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
