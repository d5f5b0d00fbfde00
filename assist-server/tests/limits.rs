//! Limits (issue 7.3): calls per tenant, audio frame rate, idle calls, message size, and new
//! audio calls while the recognizers are saturated. Each breach ends the call with its own status code and a message naming the limit and its flag.

mod common;

use std::time::Duration;

use callassist_client::Client;
use callassist_proto::v1::{self as pb, stream_call_request::Request};
use callassist_server::{AppState, ServerConfig};
use common::TestServer;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;

fn req(r: Request) -> pb::StreamCallRequest {
    pb::StreamCallRequest { request: Some(r) }
}

fn text_config(tenant: &str) -> pb::StreamCallRequest {
    req(Request::Config(pb::CallConfig {
        tenant_id: tenant.into(),
        agent_id: "amy".into(),
        ..Default::default()
    }))
}

fn pcm16_config() -> pb::StreamCallRequest {
    req(Request::Config(pb::CallConfig {
        tenant_id: "acme".into(),
        encoding: pb::AudioEncoding::Linear16 as i32,
        sample_rate_hertz: 16_000,
        audio_channel_count: 1,
        ..Default::default()
    }))
}

fn frame(seq: u64, bytes: usize) -> pb::StreamCallRequest {
    req(Request::Audio(pb::AudioFrame {
        data: vec![0; bytes],
        sequence: seq,
    }))
}

fn server_with(cfg: ServerConfig) -> AppState {
    AppState::new(cfg, common::fake_state(0).asr.clone())
}

/// A call left open: its sender (drop it to half-close) and its response stream.
struct OpenCall {
    tx: mpsc::Sender<pb::StreamCallRequest>,
    events: tonic::Streaming<pb::StreamCallResponse>,
}

async fn open_call(client: &Client, first: pb::StreamCallRequest) -> OpenCall {
    let (tx, rx) = mpsc::channel(16);
    tx.send(first).await.unwrap();
    let events = client
        .calls()
        .stream_call(ReceiverStream::new(rx))
        .await
        .unwrap()
        .into_inner();
    OpenCall { tx, events }
}

/// The status that ends `call` (panics if it ends cleanly or takes over `secs`).
async fn ending_status(call: &mut OpenCall, secs: u64) -> tonic::Status {
    loop {
        let next = tokio::time::timeout(Duration::from_secs(secs), call.events.message())
            .await
            .expect("the call ended in time");
        match next {
            Ok(Some(_)) => continue,
            Ok(None) => panic!("the call ended without an error"),
            Err(status) => return status,
        }
    }
}

async fn wait_for_tenant_calls(server: &TestServer, tenant: &str, n: usize) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while server.state.tenant_calls(tenant) != n {
        assert!(
            tokio::time::Instant::now() < deadline,
            "tenant {tenant} has {} calls, expected {n}",
            server.state.tenant_calls(tenant)
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_over_the_tenant_limit_get_resource_exhausted_and_others_go_on() {
    let mut cfg = common::config();
    cfg.max_calls_per_tenant = 2;
    let server = TestServer::start(server_with(cfg)).await;
    let client = server.client().await;

    let mut a1 = open_call(&client, text_config("tenant-a")).await;
    let _a2 = open_call(&client, text_config("tenant-a")).await;
    wait_for_tenant_calls(&server, "tenant-a", 2).await;

    let mut a3 = open_call(&client, text_config("tenant-a")).await;
    let status = ending_status(&mut a3, 5).await;
    assert_eq!(status.code(), tonic::Code::ResourceExhausted, "{status:?}");
    let msg = status.message();
    assert!(
        msg.contains("tenant tenant-a already has 2 calls in progress (limit 2")
            && msg.contains("--max-calls-per-tenant"),
        "{msg}"
    );
    assert_eq!(server.state.tenant_calls("tenant-a"), 2);

    // Another tenant is not affected.
    let _b1 = open_call(&client, text_config("tenant-b")).await;
    wait_for_tenant_calls(&server, "tenant-b", 1).await;

    // Ending one of A's calls frees its slot; A is admitted again.
    drop(a1.tx);
    while let Some(ev) = a1.events.message().await.unwrap() {
        if matches!(ev.event, Some(pb::stream_call_response::Event::End(_))) {
            break;
        }
    }
    wait_for_tenant_calls(&server, "tenant-a", 1).await;
    let _a4 = open_call(&client, text_config("tenant-a")).await;
    wait_for_tenant_calls(&server, "tenant-a", 2).await;
    assert_eq!(server.state.active_calls(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn frames_faster_than_the_limit_end_the_call_with_resource_exhausted() {
    let mut cfg = common::config();
    cfg.max_frames_per_sec = 20;
    let server = TestServer::start(server_with(cfg)).await;
    let client = server.client().await;

    // 10 ms PCM16 frames, 200 of them as fast as the client can send: ~100x the limit.
    let mut reqs = vec![pcm16_config()];
    reqs.extend((0..200).map(|i| frame(i, 320)));
    let status = common::run_requests(&client, reqs).await.unwrap_err();
    assert_eq!(status.code(), tonic::Code::ResourceExhausted, "{status:?}");
    let msg = status.message();
    assert!(
        msg.contains("over the limit of 20 per second") && msg.contains("--max-frames-per-sec"),
        "{msg}"
    );
    // The slot is released.
    wait_for_tenant_calls(&server, "acme", 0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_call_ends_with_deadline_exceeded() {
    let mut cfg = common::config();
    cfg.idle_timeout_secs = 1;
    let server = TestServer::start(server_with(cfg)).await;
    let client = server.client().await;

    let started = std::time::Instant::now();
    let mut call = open_call(&client, text_config("acme")).await;
    let status = ending_status(&mut call, 5).await;
    assert_eq!(status.code(), tonic::Code::DeadlineExceeded, "{status:?}");
    let msg = status.message();
    assert!(
        msg.contains("idle for 1 s") && msg.contains("--idle-timeout-secs"),
        "{msg}"
    );
    assert!(started.elapsed() >= Duration::from_millis(900));
    wait_for_tenant_calls(&server, "acme", 0).await;
    assert_eq!(server.state.active_calls(), 0);
    drop(call.tx);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_frames_and_messages_are_refused_with_the_limit() {
    let mut cfg = common::config();
    cfg.max_frame_bytes = 1024;
    cfg.max_text_bytes = 4 * 1024;
    let server = TestServer::start(server_with(cfg)).await;
    let client = server.client().await;

    // Over --max-frame-bytes but within the message limit: the session refuses it.
    let status = common::run_requests(&client, vec![pcm16_config(), frame(0, 2048)])
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::InvalidArgument, "{status:?}");
    assert!(
        status.message().contains("over the limit of 1024"),
        "{}",
        status.message()
    );

    // Over the message limit (the larger of the frame and text limits, + 64 KiB): the
    // transport refuses it.
    let status = common::run_requests(&client, vec![pcm16_config(), frame(0, 200 * 1024)])
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::OutOfRange, "{status:?}");
    let msg = status.message();
    let limit = 4 * 1024 + 64 * 1024;
    assert!(
        msg.contains(&format!("at most {limit} bytes")) && msg.contains("--max-frame-bytes"),
        "{msg}"
    );
    wait_for_tenant_calls(&server, "acme", 0).await;
    assert_eq!(server.state.active_calls(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_saturated_recognizer_refuses_new_audio_calls_and_admits_them_again_when_idle() {
    use callassist_inference::asr::AsrRequest;

    let mut cfg = common::config();
    cfg.max_asr_wait_ms = 100;
    // One recognizer that takes 300 ms per request.
    let state = AppState::new(cfg, common::fake_state(300).asr.clone());
    let server = TestServer::start(state).await;
    let client = server.client().await;

    // Six finals at once: the last ones wait up to 1.5 s for the one worker.
    let asr = server.state.asr.clone();
    let backlog: Vec<_> = (0..6)
        .map(|_| {
            let asr = asr.clone();
            tokio::spawn(async move {
                asr.transcribe(AsrRequest {
                    samples: vec![0.5; 16_000],
                    ..Default::default()
                })
                .await
            })
        })
        .collect();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while asr.queue_wait() <= Duration::from_millis(100) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the queue never got slow"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut reqs = vec![pcm16_config()];
    reqs.extend((0..5).map(|i| frame(i, 320)));
    let status = common::run_requests(&client, reqs.clone())
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::ResourceExhausted, "{status:?}");
    assert!(
        status.message().contains("--max-asr-wait-ms"),
        "{}",
        status.message()
    );
    // Text calls need no recognizer and are still admitted.
    common::run_requests(&client, vec![text_config("acme")])
        .await
        .unwrap();

    // Once the backlog is served and the pool has been idle a while, audio calls come back.
    for b in backlog {
        b.await.unwrap().unwrap();
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while asr.queue_wait() > Duration::ZERO {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the wait never decayed"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    common::run_requests(&client, reqs).await.unwrap();
}
