//! `--asr-backend`: the same telephony call (jfk.wav as 8 kHz mu-law stereo, speech on the
//! customer channel) through the gRPC server with tiny.en on whisper.cpp and on candle, the
//! configuration parsed from the command line as `callassist-server serve` parses it.

mod common;

use callassist_client::call::{CallOptions, stream_wav};
use callassist_client::pb::{Role, stream_call_response::Event};
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
    let cfg = Serve::parse_from(args).cfg;
    let home = callassist_models::ModelHome::from_env();
    let pool = callassist_server::load_asr_pool(&cfg, &home).unwrap();
    AppState::new(cfg, pool)
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
        let events = collect(
            stream_wav(&client, &jfk_8k_mulaw_stereo(), &CallOptions::default())
                .await
                .unwrap(),
        )
        .await
        .unwrap();
        let customer = finals(&events, Role::Customer);
        let text: Vec<&str> = customer.iter().map(|t| t.text.as_str()).collect();
        let text = text.join(" ");
        let wer = word_error_rate(callassist_models::JFK_TRANSCRIPT, &text);
        println!("{backend}: {text:?} (WER {wer:.3})");
        assert!(wer <= 0.10, "{backend}: WER {wer} for {text:?}");
        let agent = events.iter().any(|e| match &e.event {
            Some(Event::Transcript(t)) => t.role == Role::Agent as i32,
            Some(Event::Speech(s)) => s.role == Role::Agent as i32,
            _ => false,
        });
        assert!(!agent, "{backend}: agent channel produced events");
        server.stop().await.unwrap();
    }
}
