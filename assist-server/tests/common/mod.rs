//! Shared helpers for the server's integration tests: start a server on 127.0.0.1:0 with a
//! fake or real recognizer (and the real e5 knowledge base), make telephony test audio (jfk.wav
//! as an 8 kHz mu-law stereo call), stream it, and collect and read a call's events.
#![allow(dead_code)]

use std::time::Duration;

use callassist_client::call::CallOptions;
use callassist_client::pb::{self, AudioEncoding, StreamCallResponse, stream_call_response::Event};
use callassist_client::wav::WavAudio;
use callassist_client::{Client, ClientError};
use callassist_inference::asr::{AsrPool, Recognizer};
use callassist_inference::audio::linear_to_mulaw;
use callassist_inference::embed::{E5Embedder, EmbedPool};
use callassist_inference::testing::FakeRecognizer;
use callassist_models::ModelHome;
use callassist_server::knowledge::Knowledge;
use callassist_server::{AppState, ServerConfig};
use tokio::sync::oneshot;

/// A running test server.
pub struct TestServer {
    pub url: String,
    pub state: AppState,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl TestServer {
    pub async fn start(state: AppState) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (stop, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(callassist_server::serve(
            listener,
            state.clone(),
            async move {
                let _ = rx.await;
            },
        ));
        Self {
            url,
            state,
            stop: Some(stop),
            task,
        }
    }

    pub async fn client(&self) -> Client {
        Client::connect(&self.url).await.unwrap()
    }

    /// Signals shutdown and waits for the server to stop.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        tokio::time::timeout(Duration::from_secs(30), self.task).await??
    }
}

pub fn config() -> ServerConfig {
    ServerConfig {
        drain_secs: 5,
        ..ServerConfig::default()
    }
}

/// A server state whose recognizer is the weight-free fake.
pub fn fake_state(delay_ms: u64) -> AppState {
    let rec: Box<dyn Recognizer> = Box::new(FakeRecognizer {
        delay: Duration::from_millis(delay_ms),
    });
    AppState::new(config(), AsrPool::new(vec![rec], 4))
}

/// `state` with an event log at `dir/events.db`.
pub fn with_event_log(state: AppState, dir: &std::path::Path) -> AppState {
    let log = callassist_server::eventlog::EventLog::open(&dir.join("events.db")).unwrap();
    state.with_event_log(log)
}

/// The model cache (`CALLASSIST_HOME` or the default), where assets are fetched on first use.
pub fn home() -> ModelHome {
    ModelHome::from_env()
}

/// A server state with the real recognizers `cfg` names (model and backend), from the cache.
pub fn real_state(cfg: ServerConfig) -> AppState {
    let pool = callassist_server::load_asr_pool(&cfg, &home()).unwrap();
    AppState::new(cfg, pool)
}

/// A server state with the real Whisper tiny.en.
pub fn tiny_state() -> AppState {
    let mut cfg = config();
    cfg.asr_model = callassist_server::AsrModel::TinyEn;
    real_state(cfg)
}

/// The real e5-small embedder.
pub fn e5() -> E5Embedder {
    E5Embedder::load(&callassist_models::e5_small_file(&home()).unwrap()).unwrap()
}

/// A knowledge base at `dir` that embeds with the real e5-small.
pub fn e5_knowledge(dir: &std::path::Path) -> Knowledge {
    Knowledge::open(dir, EmbedPool::new(vec![Box::new(e5())], 8)).unwrap()
}

/// jfk.wav (16 kHz PCM16 mono) read with the client's WAV reader.
pub fn jfk() -> WavAudio {
    WavAudio::read(&callassist_models::jfk_wav(&home()).unwrap()).unwrap()
}

pub fn pcm16_samples(a: &WavAudio) -> Vec<f32> {
    assert_eq!(a.encoding, AudioEncoding::Linear16);
    a.data
        .chunks_exact(2)
        .map(|b| i16::from_le_bytes([b[0], b[1]]) as f32 / 32768.0)
        .collect()
}

fn downsample_16k_to_8k(x: &[f32]) -> Vec<f32> {
    resample(x, 16_000, 8_000)
}

/// `x` at `from` Hz resampled to `to` Hz (offline, for building test calls).
pub fn resample(x: &[f32], from: usize, to: usize) -> Vec<f32> {
    use rubato::{FftFixedInOut, Resampler};
    let mut r = FftFixedInOut::<f32>::new(from, to, 1024, 1).unwrap();
    let need = r.input_frames_next();
    let delay = r.output_delay();
    let mut padded = x.to_vec();
    padded.resize(x.len().div_ceil(need) * need + need, 0.0);
    let mut out = Vec::new();
    for c in padded.chunks(need) {
        out.extend_from_slice(&r.process(&[c], None).unwrap()[0]);
    }
    out.drain(..delay.min(out.len()));
    out.truncate(x.len() * to / from);
    out
}

/// A sample in [-1, 1] as a mu-law byte (out-of-range samples clipped).
pub fn mulaw(x: f32) -> u8 {
    linear_to_mulaw((x * 32767.0).clamp(-32768.0, 32767.0) as i16)
}

/// A telephony call: 8 kHz mu-law stereo, `agent` (8 kHz samples) on channel 0 and `customer`
/// on channel 1; as long as the shorter of the two.
pub fn telephony_call(agent: &[f32], customer: &[f32]) -> WavAudio {
    WavAudio {
        encoding: AudioEncoding::Mulaw,
        sample_rate: 8_000,
        channels: 2,
        data: agent
            .iter()
            .zip(customer)
            .flat_map(|(a, c)| [mulaw(*a), mulaw(*c)])
            .collect(),
    }
}

/// jfk as a telephony call: 8 kHz mu-law stereo, silence on channel 0 (agent) and the speech
/// on channel 1 (customer).
pub fn jfk_8k_mulaw_stereo() -> WavAudio {
    let speech = downsample_16k_to_8k(&pcm16_samples(&jfk()));
    telephony_call(&vec![0.0; speech.len()], &speech)
}

/// Streams [`jfk_8k_mulaw_stereo`] as a call (default options) and collects its events.
pub async fn stream_jfk_call(client: &Client) -> Vec<StreamCallResponse> {
    let audio = jfk_8k_mulaw_stereo();
    let events = callassist_client::call::stream_wav(client, &audio, &CallOptions::default())
        .await
        .unwrap();
    collect(events).await.unwrap()
}

/// A loud tone burst (the fake recognizer "hears" it) between silences, 16 kHz PCM16 mono.
pub fn tone_call(silence_ms: u32, tone_ms: u32) -> WavAudio {
    let n = |ms: u32| (16 * ms) as usize;
    let mut s: Vec<f32> = vec![0.0; n(silence_ms)];
    s.extend((0..n(tone_ms)).map(|i| (i as f32 * 0.12).sin() * 0.4));
    s.extend(vec![0.0; n(silence_ms)]);
    WavAudio {
        encoding: AudioEncoding::Linear16,
        sample_rate: 16_000,
        channels: 1,
        data: s
            .iter()
            .flat_map(|v| ((v * 32767.0) as i16).to_le_bytes())
            .collect(),
    }
}

/// Reads events until `end` or an error status.
pub async fn collect(
    mut events: callassist_client::call::CallEvents,
) -> Result<Vec<StreamCallResponse>, tonic::Status> {
    let mut out = Vec::new();
    while let Some(ev) = events.message().await? {
        let end = matches!(ev.event, Some(Event::End(_)));
        out.push(ev);
        if end {
            return Ok(out);
        }
    }
    Err(tonic::Status::unknown("stream ended without `end`"))
}

/// Final transcripts for `role`, in order.
pub fn finals(events: &[StreamCallResponse], role: pb::Role) -> Vec<pb::TranscriptEvent> {
    events
        .iter()
        .filter_map(|e| match &e.event {
            Some(Event::Transcript(t)) if t.is_final && t.role == role as i32 => Some(t.clone()),
            _ => None,
        })
        .collect()
}

/// The texts of `transcripts`, joined with spaces.
pub fn joined_text(transcripts: &[pb::TranscriptEvent]) -> String {
    let text: Vec<&str> = transcripts.iter().map(|t| t.text.as_str()).collect();
    text.join(" ")
}

/// Whether any transcript or speech event (partial or final) came from `role`.
pub fn any_speech_from(events: &[StreamCallResponse], role: pb::Role) -> bool {
    events.iter().any(|e| match &e.event {
        Some(Event::Transcript(t)) => t.role == role as i32,
        Some(Event::Speech(s)) => s.role == role as i32,
        _ => false,
    })
}

/// Runs a whole call from explicit requests and returns its events or status.
pub async fn run_requests(
    client: &Client,
    reqs: Vec<pb::StreamCallRequest>,
) -> Result<Vec<StreamCallResponse>, tonic::Status> {
    let events = callassist_client::call::stream_requests(client, reqs, None)
        .await
        .map_err(|e| match e {
            ClientError::Status { code, message } => tonic::Status::new(code, message),
            other => tonic::Status::unknown(other.to_string()),
        })?;
    collect(events).await
}

/// A TCP proxy in front of the server whose connections can be cut, to simulate a client
/// whose process or network dies mid-call.
pub struct CuttableProxy {
    pub url: String,
    cut: tokio::sync::watch::Sender<bool>,
}

impl CuttableProxy {
    pub async fn start(server_url: &str) -> Self {
        let target = server_url.trim_start_matches("http://").to_string();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (cut, cut_rx) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let target = target.clone();
                let mut cut_rx = cut_rx.clone();
                tokio::spawn(async move {
                    let Ok(mut outbound) = tokio::net::TcpStream::connect(&target).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                        _ = cut_rx.wait_for(|c| *c) => {}
                    }
                    // Both sockets drop here: the server sees the connection die.
                });
            }
        });
        Self { url, cut }
    }

    /// Drops every proxied connection.
    pub fn cut(&self) {
        self.cut.send_replace(true);
    }
}
