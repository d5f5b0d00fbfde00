//! Fuzz target `stream_call`: the real `CallAssist.StreamCall` handling, in process and without
//! a socket. Each input is one call: its request messages become a gRPC request body that is
//! handed to the generated `CallAssistServer` around `CallService` (the same service and
//! message-size cap `serve` mounts, minus the auth layer: callers are `Principal::Open`). So
//! tonic prost-decodes the bytes as `StreamCallRequest`s and the session loop runs for real:
//! config validation (`call/spec.rs`), the per-tenant slot, frame size / order / rate limits
//! (`call/limits.rs`), frame decoding, resampling, VAD and the weight-free `FakeRecognizer`
//! (inference feature `testing`), text utterances, PII redaction, the assist engine, feedback
//! and finalize. Every record is also prost-decoded here and each `CallConfig` validated on
//! its own, so configs after the first are checked too.
//!
//! Byte 0: bit 0 = the rest is the HTTP request body verbatim (gRPC framing itself: bad
//! compression flags, lengths over the cap, truncation); otherwise the rest is
//! `[len u16 LE][message]` records, each sent as one gRPC message. Bit 1 = the "tight" server
//! (small frame and text caps, 20 frames/s, PII redaction on) instead of the defaults.
//!
//! Checked: no panic (libfuzzer-sys aborts on a panic in any thread, the session's tasks
//! included); the call ends with OK, INVALID_ARGUMENT, RESOURCE_EXHAUSTED or OUT_OF_RANGE; a
//! call that ends OK has sent `end` last; events are numbered 1, 2, 3, ... with the call's id;
//! and the call's slot and tenant slot are released when it is over.
#![no_main]

use std::sync::OnceLock;
use std::time::Duration;

use bytes::Bytes;
use callassist_fuzz::{grpc_frame, records};
use callassist_inference::asr::{AsrPool, Recognizer};
use callassist_inference::testing::FakeRecognizer;
use callassist_proto::v1::call_assist_server::CallAssistServer;
use callassist_proto::v1::{
    StreamCallRequest, StreamCallResponse, stream_call_request, stream_call_response,
};
use callassist_server::call::{limits, spec};
use callassist_server::services::call::CallService;
use callassist_server::{AppState, ServerConfig};
use http_body_util::{BodyExt, Full};
use libfuzzer_sys::fuzz_target;
use prost::Message;
use tonic::Code;
use tonic::codegen::Service;

/// One server as `serve` would mount it.
struct Server {
    state: AppState,
    service: CallAssistServer<CallService>,
}

struct Harness {
    rt: tokio::runtime::Runtime,
    servers: [Server; 2],
}

fn server(cfg: ServerConfig) -> Server {
    let rec: Box<dyn Recognizer> = Box::new(FakeRecognizer::default());
    let state = AppState::new(cfg, AsrPool::new(vec![rec], 4));
    let service = CallAssistServer::new(CallService::new(state.clone()))
        .max_decoding_message_size(limits::max_call_message(&state.cfg));
    Server { state, service }
}

fn harness() -> &'static Harness {
    static H: OnceLock<Harness> = OnceLock::new();
    H.get_or_init(|| {
        // Neither server keeps data; tenant settings are looked up under a path that is absent.
        let data = std::env::temp_dir().join("callassist-fuzz-no-data");
        let default = ServerConfig {
            data: data.clone(),
            ..ServerConfig::default()
        };
        let tight = ServerConfig {
            data,
            max_frame_bytes: 2048,
            max_text_bytes: 256,
            max_frames_per_sec: 20,
            redact_pii: true,
            end_silence_ms: 200,
            partial_interval_ms: 200,
            ..ServerConfig::default()
        };
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a tokio runtime");
        let servers = rt.block_on(async { [server(default), server(tight)] });
        Harness { rt, servers }
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let h = harness();
    let server = &h.servers[usize::from(flags & 2 != 0)];
    // The tenant whose slot the call takes, when the first message says.
    let mut tenant = None;
    let body = if flags & 1 != 0 {
        rest.to_vec()
    } else {
        let mut body = Vec::new();
        for (i, message) in records(rest).into_iter().enumerate() {
            if let Ok(StreamCallRequest {
                request: Some(stream_call_request::Request::Config(cfg)),
            }) = StreamCallRequest::decode(message)
                && let (0, Ok(s)) = (i, spec::validate(&cfg))
            {
                tenant = Some(s.tenant_id);
            }
            grpc_frame(message, &mut body);
        }
        body
    };
    h.rt.block_on(call(server, body, tenant.as_deref().unwrap_or("default")));
});

/// Runs one call with `body` as the request stream and checks how it ended.
async fn call(server: &Server, body: Vec<u8>, tenant: &str) {
    let request = http::Request::builder()
        .method("POST")
        .uri("/callassist.v1.CallAssist/StreamCall")
        .header("content-type", "application/grpc")
        .header("te", "trailers")
        .body(Full::new(Bytes::from(body)))
        .expect("a valid request");
    let response = server
        .service
        .clone()
        .call(request)
        .await
        .expect("infallible");
    let (parts, body) = response.into_parts();
    let collected = body.collect().await.expect("the response body is readable");
    let status = collected
        .trailers()
        .and_then(|t| t.get("grpc-status"))
        .or_else(|| parts.headers.get("grpc-status"))
        .and_then(|v| v.to_str().ok()?.parse::<i32>().ok())
        .map(Code::from_i32)
        .expect("the call ends with a grpc-status");
    assert!(
        matches!(
            status,
            Code::Ok | Code::InvalidArgument | Code::ResourceExhausted | Code::OutOfRange
        ),
        "unexpected status {status:?}: {:?}",
        collected.trailers()
    );

    let trailers = collected.trailers().cloned();
    let events = decode_events(&collected.to_bytes());
    if debug() {
        let kinds: Vec<String> = events
            .iter()
            .map(|e| format!("{:?}", e.event).chars().take(60).collect())
            .collect();
        eprintln!("status {status:?} {trailers:?}\nevents {kinds:#?}");
    }
    let mut call_id = None;
    for (i, e) in events.iter().enumerate() {
        assert_eq!(e.seq, i as u64 + 1, "events are numbered from 1");
        assert_eq!(call_id.get_or_insert(&e.call_id), &&e.call_id);
    }
    if status == Code::Ok {
        let last = events.last().and_then(|e| e.event.as_ref());
        assert!(
            matches!(last, Some(stream_call_response::Event::End(_))),
            "a call that ended OK did not send `end` (last event {last:?})"
        );
    }

    // The session releases its slots as it returns; give it a moment, then insist.
    let state = &server.state;
    for _ in 0..1000 {
        if state.active_calls() == 0 && state.tenant_calls(tenant) == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    assert_eq!(state.active_calls(), 0, "a call slot leaked");
    assert_eq!(
        state.tenant_calls(tenant),
        0,
        "tenant {tenant}'s slot leaked"
    );
}

/// Whether `CALLASSIST_FUZZ_DEBUG` is set: then each call's status and events are printed
/// (for looking at what a seed or a crash input does).
fn debug() -> bool {
    static DEBUG: OnceLock<bool> = OnceLock::new();
    *DEBUG.get_or_init(|| std::env::var_os("CALLASSIST_FUZZ_DEBUG").is_some())
}

/// Splits the response body into gRPC messages and decodes each.
fn decode_events(mut body: &[u8]) -> Vec<StreamCallResponse> {
    let mut out = Vec::new();
    while !body.is_empty() {
        assert!(body.len() >= 5, "a whole gRPC frame header");
        assert_eq!(body[0], 0, "responses are not compressed");
        let len = u32::from_be_bytes([body[1], body[2], body[3], body[4]]) as usize;
        let message = &body[5..5 + len];
        out.push(StreamCallResponse::decode(message).expect("the server sends valid messages"));
        body = &body[5 + len..];
    }
    out
}
