//! `GET /metrics`: after a text call, an audio call (with one repeated frame) and a call
//! refused for a bad first message, the Prometheus text parses, counts the calls, the frames,
//! the dropped frame and the INVALID_ARGUMENT, every stage histogram's `+Inf` bucket equals
//! its `_count`, and any other path is 404.

mod common;

use std::collections::HashMap;

use callassist_client::call::{self, CallOptions};
use callassist_proto::v1::{self as pb, stream_call_request::Request};
use common::TestServer;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// One raw HTTP/1.1 GET; returns (status line, headers+body split).
async fn get(addr: std::net::SocketAddr, path: &str) -> (String, String, String) {
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let req = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    s.write_all(req.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    tokio::time::timeout(std::time::Duration::from_secs(10), s.read_to_end(&mut buf))
        .await
        .unwrap()
        .unwrap();
    let text = String::from_utf8(buf).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let (status, headers) = head.split_once("\r\n").unwrap_or((head, ""));
    (status.to_string(), headers.to_lowercase(), body.to_string())
}

/// Parses Prometheus text lines into `series -> value`, failing on anything malformed.
fn parse(body: &str) -> HashMap<String, f64> {
    let mut out = HashMap::new();
    for line in body.lines() {
        if line.is_empty() {
            continue;
        }
        if let Some(rest) = line.strip_prefix("# ") {
            assert!(
                rest.starts_with("HELP ") || rest.starts_with("TYPE "),
                "bad comment: {line}"
            );
            continue;
        }
        let (series, value) = line.rsplit_once(' ').unwrap_or_else(|| panic!("{line}"));
        let name_end = series.find('{').unwrap_or(series.len());
        let name = &series[..name_end];
        assert!(
            name.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':'),
            "bad metric name: {line}"
        );
        if name_end < series.len() {
            assert!(series.ends_with('}'), "bad labels: {line}");
        }
        let v: f64 = value
            .parse()
            .unwrap_or_else(|_| panic!("bad value: {line}"));
        assert!(
            out.insert(series.to_string(), v).is_none(),
            "duplicate: {line}"
        );
    }
    out
}

fn req(r: Request) -> pb::StreamCallRequest {
    pb::StreamCallRequest { request: Some(r) }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_endpoint_counts_calls_stages_frames_and_errors() {
    let server = TestServer::start(common::fake_state(0)).await;
    let client = server.client().await;
    let addr = callassist_server::metrics::spawn_metrics(
        "127.0.0.1:0".parse().unwrap(),
        server.state.clone(),
    )
    .await
    .unwrap();

    // A text call.
    let lines = vec![
        (pb::Role::Customer, "it is too expensive for us".to_string()),
        (pb::Role::Agent, "let me show you the value".to_string()),
    ];
    let events = common::run_requests(
        &client,
        call::text_requests(&lines, &CallOptions::default()),
    )
    .await
    .unwrap();
    assert!(!events.is_empty());

    // An audio call with frame 3 sent twice (dropped as out of order).
    let audio = common::tone_call(300, 800);
    let mut reqs = call::audio_requests(&audio, &CallOptions::default());
    let frames = reqs.len() - 2;
    let dup = reqs[3].clone();
    reqs.insert(4, dup);
    let events = common::run_requests(&client, reqs).await.unwrap();
    assert!(!events.is_empty());

    // A call whose first message is not the config: INVALID_ARGUMENT.
    let bad = vec![req(Request::Text(pb::TextUtterance {
        role: pb::Role::Agent as i32,
        text: "hello".into(),
    }))];
    let status = common::run_requests(&client, bad).await.unwrap_err();
    assert_eq!(status.code(), tonic::Code::InvalidArgument);

    let (status, headers, body) = get(addr, "/metrics").await;
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert!(
        headers.contains("content-type: text/plain; version=0.0.4"),
        "{headers}"
    );
    let m = parse(&body);
    let v = |k: &str| *m.get(k).unwrap_or_else(|| panic!("no {k} in\n{body}"));
    assert!(v("callassist_calls_total") >= 3.0, "{body}");
    assert_eq!(v("callassist_calls_active"), 0.0);
    assert!(v("callassist_frames_total") >= frames as f64, "{body}");
    assert!(v("callassist_frames_dropped_total") >= 1.0, "{body}");
    assert!(v("callassist_errors_total{code=\"INVALID_ARGUMENT\"}") >= 1.0);
    assert!(v("callassist_suggestions_blocked_total") >= 0.0);
    for stage in ["decode", "vad", "asr", "rules"] {
        let count = v(&format!(
            "callassist_stage_seconds_count{{stage=\"{stage}\"}}"
        ));
        assert!(count > 0.0, "{stage}: {body}");
    }
    for stage in [
        "decode",
        "vad",
        "asr",
        "rules",
        "retrieval",
        "llm_first_token",
    ] {
        let count = v(&format!(
            "callassist_stage_seconds_count{{stage=\"{stage}\"}}"
        ));
        let inf = v(&format!(
            "callassist_stage_seconds_bucket{{stage=\"{stage}\",le=\"+Inf\"}}"
        ));
        assert_eq!(inf, count, "{stage}");
        v(&format!(
            "callassist_stage_seconds_sum{{stage=\"{stage}\"}}"
        ));
        // Buckets are cumulative.
        let mut last = 0.0;
        for le in ["0.001", "0.01", "0.1", "1", "10", "+Inf"] {
            let b = v(&format!(
                "callassist_stage_seconds_bucket{{stage=\"{stage}\",le=\"{le}\"}}"
            ));
            assert!(b >= last, "{stage} le={le}");
            last = b;
        }
    }
    // No per-tenant or per-call labels.
    assert!(!body.contains("tenant") && !body.contains("call_id"));

    let (status, _, _) = get(addr, "/other").await;
    assert_eq!(status, "HTTP/1.1 404 Not Found");
    server.stop().await.unwrap();
}
