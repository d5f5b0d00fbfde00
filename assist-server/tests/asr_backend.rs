//! `--asr-backend`: the same telephony call (jfk.wav as 8 kHz mu-law stereo, speech on the
//! customer channel) through the gRPC server with tiny.en on whisper.cpp and on candle, the
//! configuration parsed from the command line as `callassist-server serve` parses it.

mod common;

use callassist_client::pb::Role;
use callassist_inference::text_metrics::word_error_rate;
use callassist_server::config::AsrBackend;
use callassist_server::{AppState, ServerConfig};
use clap::Parser;
use common::*;

#[derive(Parser)]
struct Serve {
    #[command(flatten)]
    cfg: ServerConfig,
}

fn state(backend: &str) -> AppState {
    let args = [
        "callassist-server",
        "--asr-model",
        "tiny.en",
        "--asr-backend",
        backend,
        "--drain-secs",
        "5",
    ];
    real_state(Serve::parse_from(args).cfg)
}

#[test]
fn flag_and_default() {
    let parse = |args: &[&str]| Serve::try_parse_from(args).map(|s| s.cfg.asr_backend);
    assert_eq!(
        parse(&["s", "--asr-backend", "candle"]).unwrap(),
        AsrBackend::Candle
    );
    assert_eq!(
        parse(&["s", "--asr-backend", "whispercpp"]).unwrap(),
        AsrBackend::Whispercpp
    );
    assert!(parse(&["s", "--asr-backend", "onnx"]).is_err());
    if std::env::var_os("CALLASSIST_ASR_BACKEND").is_none() {
        assert_eq!(
            ServerConfig::default().asr_backend,
            AsrBackend::Candle,
            "the default chosen in docs/PERFORMANCE.md"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_backends_transcribe_the_customer_and_nothing_on_silence() {
    for backend in ["whispercpp", "candle"] {
        let server = TestServer::start(state(backend)).await;
        let prefix = if backend == "candle" {
            "candle-"
        } else {
            "whispercpp-"
        };
        assert!(
            server.state.asr.name().starts_with(prefix),
            "{}",
            server.state.asr.name()
        );
        let client = server.client().await;
        let events = stream_jfk_call(&client).await;
        let text = joined_text(&finals(&events, Role::Customer));
        let wer = word_error_rate(callassist_models::JFK_TRANSCRIPT, &text);
        println!("{backend}: {text:?} (WER {wer:.3})");
        assert!(wer <= 0.10, "{backend}: WER {wer} for {text:?}");
        let agent = any_speech_from(&events, Role::Agent);
        assert!(!agent, "{backend}: agent channel produced events");
        server.stop().await.unwrap();
    }
}
