//! `Events.Subscribe` over gRPC: backlog then live, resumable from the last cursor with every
//! event exactly once and in order; tenant and type filters; request validation; and the
//! subscription's end when the client leaves or the server shuts down. Events are appended
//! straight to `state.event_log`.

mod common;

use std::time::Duration;

use callassist_client::pb::stream_call_response::Event;
use callassist_client::pb::{self, EventEnvelope, StreamCallResponse};
use callassist_client::{ClientError, events::EventStream};
use callassist_server::eventlog::EventLog;
use common::TestServer;
use futures::StreamExt;
use tonic::Code;

fn ev(call_id: &str, seq: u64) -> StreamCallResponse {
    let event = if seq.is_multiple_of(4) {
        Event::Risk(pb::RiskEvent {
            rule_id: format!("rule-{seq}"),
            ..Default::default()
        })
    } else {
        Event::Transcript(pb::TranscriptEvent {
            text: format!("utterance {seq}"),
            is_final: true,
            ..Default::default()
        })
    };
    StreamCallResponse {
        call_id: call_id.into(),
        seq,
        audio_ms: seq * 1000,
        event: Some(event),
    }
}

async fn start() -> (TestServer, EventLog, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let state = common::with_event_log(common::fake_state(0), dir.path());
    let log = state.event_log.clone().unwrap();
    (TestServer::start(state).await, log, dir)
}

/// Appends `seqs` for tenant "acme" (call c1), with other tenants' events in between.
async fn append(log: &EventLog, seqs: std::ops::RangeInclusive<u64>) {
    for seq in seqs {
        log.append_nowait("acme", ev("c1", seq)).await.unwrap();
        log.append_nowait("globex", ev("c1", seq)).await.unwrap();
    }
    log.flush().await.unwrap();
}

async fn take(stream: &mut EventStream, n: usize) -> Vec<EventEnvelope> {
    let mut out = Vec::new();
    while out.len() < n {
        match tokio::time::timeout(Duration::from_secs(10), stream.next()).await {
            Ok(Some(env)) => out.push(env.unwrap()),
            Ok(None) => panic!("stream ended after {} of {n} events", out.len()),
            Err(_) => panic!("only {} of {n} events arrived", out.len()),
        }
    }
    out
}

async fn quiet(stream: &mut EventStream) {
    if let Ok(Some(extra)) = tokio::time::timeout(Duration::from_millis(300), stream.next()).await {
        panic!("unexpected {extra:?}");
    }
}

fn seqs(envs: &[EventEnvelope]) -> Vec<u64> {
    envs.iter().map(|e| e.event.as_ref().unwrap().seq).collect()
}

fn status(r: Result<EventStream, ClientError>) -> (Code, String) {
    match r {
        Err(ClientError::Status { code, message }) => (code, message),
        Err(other) => panic!("expected a status, got {other}"),
        Ok(_) => panic!("expected an error status, got a stream"),
    }
}

async fn wait_for_subscribers(log: &EventLog, n: usize) {
    for _ in 0..100 {
        if log.subscribers() == n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{} subscribers, expected {n}", log.subscribers());
}

#[tokio::test]
async fn resuming_from_the_last_cursor_delivers_every_event_once_in_order() {
    let (server, log, _dir) = start().await;
    let client = server.client().await;
    append(&log, 1..=10).await;

    let mut first = client.subscribe("acme", None, vec![]).await.unwrap();
    let mut got = take(&mut first, 6).await;
    assert!(
        got.iter()
            .all(|e| e.tenant_id == "acme" && e.logged_at_ms > 0)
    );
    let last = got.last().unwrap().cursor.clone();
    // The client leaves; the server stops its side of the subscription.
    drop(first);
    wait_for_subscribers(&log, 0).await;

    append(&log, 11..=20).await;
    let mut resumed = client.subscribe("acme", Some(&last), vec![]).await.unwrap();
    got.extend(take(&mut resumed, 14).await);
    // Live events after the backlog.
    append(&log, 21..=25).await;
    got.extend(take(&mut resumed, 5).await);
    quiet(&mut resumed).await;

    assert_eq!(seqs(&got), (1..=25).collect::<Vec<_>>());
    let cursors: Vec<u64> = got.iter().map(|e| e.cursor.parse().unwrap()).collect();
    assert!(cursors.windows(2).all(|w| w[0] < w[1]), "{cursors:?}");
    server.stop().await.unwrap();
}

#[tokio::test]
async fn types_filter_and_tenant_isolation_over_grpc() {
    let (server, log, _dir) = start().await;
    let client = server.client().await;
    append(&log, 1..=8).await;
    let mut risks = client
        .subscribe("acme", None, vec!["risk".into()])
        .await
        .unwrap();
    let got = take(&mut risks, 2).await;
    assert_eq!(seqs(&got), vec![4, 8]);
    assert!(got.iter().all(|e| e.tenant_id == "acme"));
    let mut nobody = client.subscribe("initech", None, vec![]).await.unwrap();
    append(&log, 9..=12).await;
    assert_eq!(seqs(&take(&mut risks, 1).await), vec![12]);
    quiet(&mut risks).await;
    quiet(&mut nobody).await;
    server.stop().await.unwrap();
}

#[tokio::test]
async fn bad_requests_are_invalid_argument_with_a_fix() {
    let (server, _log, _dir) = start().await;
    let client = server.client().await;

    let (code, msg) = status(client.subscribe("", None, vec![]).await);
    assert_eq!(code, Code::InvalidArgument);
    assert!(msg.contains("tenant_id"), "{msg}");

    for bad in ["abc", "-3", "1.5"] {
        let (code, msg) = status(client.subscribe("acme", Some(bad), vec![]).await);
        assert_eq!(code, Code::InvalidArgument);
        assert!(msg.contains(bad) && msg.contains("cursor"), "{msg}");
    }

    let (code, msg) = status(
        client
            .subscribe("acme", None, vec!["risk".into(), "transcripts".into()])
            .await,
    );
    assert_eq!(code, Code::InvalidArgument);
    assert!(msg.contains("transcripts"), "{msg}");
    for name in callassist_server::eventlog::EVENT_TYPES {
        assert!(msg.contains(name), "{name} missing from {msg}");
    }
    server.stop().await.unwrap();
}

#[tokio::test]
async fn without_an_event_log_subscribe_is_unimplemented() {
    let server = TestServer::start(common::fake_state(0)).await;
    let client = server.client().await;
    let (code, msg) = status(client.subscribe("acme", None, vec![]).await);
    assert_eq!(code, Code::Unimplemented);
    assert!(msg.contains("event log"), "{msg}");
    server.stop().await.unwrap();
}

#[tokio::test]
async fn shutdown_ends_a_live_subscription_with_unavailable() {
    let (server, log, _dir) = start().await;
    let client = server.client().await;
    append(&log, 1..=2).await;
    let mut sub = client.subscribe("acme", None, vec![]).await.unwrap();
    take(&mut sub, 2).await;
    let stopping = tokio::spawn(server.stop());
    let end = tokio::time::timeout(Duration::from_secs(10), sub.next())
        .await
        .expect("the subscription outlived the server");
    match end {
        Some(Err(ClientError::Status { code, .. })) => assert_eq!(code, Code::Unavailable),
        other => panic!("expected UNAVAILABLE, got {other:?}"),
    }
    stopping.await.unwrap().unwrap();
}
