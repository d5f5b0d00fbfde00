//! Bad input on the call stream gets INVALID_ARGUMENT with a message that says what to fix,
//! and the server goes on serving the next call normally.

mod common;

use callassist_client::pb::{self, StreamCallRequest, stream_call_request::Request};
use common::*;
use tonic::Code;

fn config(encoding: i32, rate: u32, channels: u32) -> StreamCallRequest {
    StreamCallRequest {
        request: Some(Request::Config(pb::CallConfig {
            encoding,
            sample_rate_hertz: rate,
            audio_channel_count: channels,
            ..Default::default()
        })),
    }
}

fn frame(bytes: usize, seq: u64) -> StreamCallRequest {
    StreamCallRequest {
        request: Some(Request::Audio(pb::AudioFrame {
            data: vec![0; bytes],
            sequence: seq,
        })),
    }
}

fn finalize() -> StreamCallRequest {
    StreamCallRequest {
        request: Some(Request::Finalize(pb::Finalize {})),
    }
}

const PCM: i32 = pb::AudioEncoding::Linear16 as i32;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_bad_input_is_rejected_precisely_and_the_next_call_works() {
    let server = TestServer::start(fake_state(0)).await;
    let client = server.client().await;
    let cases: Vec<(&str, Vec<StreamCallRequest>, &str)> = vec![
        ("no message at all", Vec::new(), "ended before any message"),
        (
            "no config first",
            vec![frame(320, 1), finalize()],
            "first StreamCallRequest must carry `config`",
        ),
        (
            "unknown encoding",
            vec![config(42, 16_000, 1), finalize()],
            "config.encoding 42",
        ),
        (
            "sample rate 0",
            vec![config(PCM, 0, 1), finalize()],
            "sample_rate_hertz is 0",
        ),
        (
            "odd byte count for PCM16",
            vec![config(PCM, 16_000, 1), frame(321, 1), finalize()],
            "not a whole number",
        ),
        (
            "frame over the size limit",
            vec![config(PCM, 16_000, 1), frame(100 * 1024, 1), finalize()],
            "over the limit",
        ),
        (
            "three channels",
            vec![config(PCM, 16_000, 3), finalize()],
            "audio_channel_count 3",
        ),
        (
            "second config",
            vec![config(PCM, 16_000, 1), config(PCM, 16_000, 1), finalize()],
            "second `config`",
        ),
    ];
    for (name, reqs, want) in cases {
        let err = run_requests(&client, reqs).await.expect_err(name);
        assert_eq!(err.code(), Code::InvalidArgument, "{name}: {err:?}");
        assert!(
            err.message().contains(want),
            "{name}: {:?} lacks {want:?}",
            err.message()
        );
        // The server still serves a normal call right after.
        let ok = run_requests(
            &client,
            callassist_client::call::audio_requests(&tone_call(300, 1500), &Default::default()),
        )
        .await
        .unwrap_or_else(|e| panic!("call after {name} failed: {e:?}"));
        assert_eq!(finals(&ok, pb::Role::Customer).len(), 1, "after {name}");
    }
    // Every rejected call released its slot (the last one's slot goes just after its `end`).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while server.state.active_calls() > 0 && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert_eq!(server.state.active_calls(), 0);
    server.stop().await.unwrap();
}
