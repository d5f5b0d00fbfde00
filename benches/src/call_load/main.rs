//! `call-load`: N simulated softphone calls at real-time pace against the real server binary.
//! Each call streams a two-party conversation of real speech (stereo, 8 kHz mu-law, 20 ms
//! frames, scheduled on the wall clock) for `--seconds`; the calls start out of phase. It
//! reports per N: final-transcript lag after the end of each utterance (p50/p95 over all calls
//! and the worst call's p95), how late the client could send its frames (back-pressure),
//! frames the server dropped, CPU and RSS of the server process, and whether RSS stayed flat.
//!
//! ```text
//! cargo run --release -p callassist-benches --bin call-load -- --calls 1,2,4 --seconds 120 \
//!     --asr-model tiny.en [--warmup-secs 30] [--server-arg --asr-workers --server-arg 2] \
//!     [--show-late 1.0]
//! ```
//!
//! `--show-late S` prints every counted final whose lag exceeds S seconds (call, utterance id,
//! audio span, lag), to see which utterances make the tail.

mod conversation;
mod procfs;
mod server;

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use callassist_client::Client;
use callassist_client::pb::{self, StreamCallRequest, stream_call_request::Request};
use callassist_client::pb::{AudioEncoding, Role, stream_call_response::Event};
use tokio::sync::Mutex;
use tokio_stream::wrappers::ReceiverStream;

use conversation::Conversation;
use server::ServerProcess;

/// Audio per frame.
const FRAME_MS: u64 = 20;

/// `--show-late`: finals later than this (seconds) are printed.
static SHOW_LATE: std::sync::OnceLock<f64> = std::sync::OnceLock::new();

#[derive(Debug, Default)]
struct CallStats {
    /// Seconds from the end of an utterance's audio (as scheduled) to its final transcript.
    final_lags: Vec<f64>,
    /// Same, for the SPEECH_END event (the endpointer's own delay).
    endpoint_lags: Vec<f64>,
    frames_sent: u64,
    frames_scheduled: u64,
    /// Worst lateness of a frame against its wall-clock slot, seconds.
    max_send_late: f64,
    ended: bool,
    error: Option<String>,
}

fn percentile(xs: &[f64], p: f64) -> f64 {
    if xs.is_empty() {
        return f64::NAN;
    }
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    v[((v.len() - 1) as f64 * p).round() as usize]
}

/// Streams one call for `seconds`, starting `offset_ms` into the conversation loop.
async fn run_call(
    url: String,
    index: usize,
    conv: Arc<Conversation>,
    offset_ms: u64,
    seconds: u64,
    warmup: Duration,
) -> CallStats {
    let mut stats = CallStats::default();
    let client = match Client::connect(&url).await {
        Ok(c) => c,
        Err(e) => {
            stats.error = Some(e.to_string());
            return stats;
        }
    };
    let frames = seconds * 1000 / FRAME_MS;
    stats.frames_scheduled = frames;
    let (tx, rx) = tokio::sync::mpsc::channel::<StreamCallRequest>(8);
    let config = pb::CallConfig {
        call_id: format!("load-{index}"),
        tenant_id: "load".into(),
        agent_id: format!("agent-{index}"),
        encoding: AudioEncoding::Mulaw as i32,
        sample_rate_hertz: 8_000,
        audio_channel_count: 2,
        channel_roles: vec![Role::Agent as i32, Role::Customer as i32],
        interim_results: true,
        ..Default::default()
    };
    let mut calls = client.calls();
    let resp = calls.stream_call(ReceiverStream::new(rx));
    let t0 = Instant::now();
    let late = Arc::new(Mutex::new((0u64, 0.0f64)));
    let sender = {
        let late = late.clone();
        tokio::spawn(async move {
            let send = |r| tx.send(StreamCallRequest { request: Some(r) });
            if send(Request::Config(config)).await.is_err() {
                return;
            }
            let loop_bytes = conv.stereo_mulaw.len();
            let frame_bytes = (8 * FRAME_MS * 2) as usize;
            let mut pos = (offset_ms * 16) as usize % loop_bytes;
            for k in 0..frames {
                let slot = t0 + Duration::from_millis(k * FRAME_MS);
                tokio::time::sleep_until(slot.into()).await;
                let mut data = Vec::with_capacity(frame_bytes);
                while data.len() < frame_bytes {
                    let take = (frame_bytes - data.len()).min(loop_bytes - pos);
                    data.extend_from_slice(&conv.stereo_mulaw[pos..pos + take]);
                    pos = (pos + take) % loop_bytes;
                }
                let frame = pb::AudioFrame {
                    data,
                    sequence: k + 1,
                };
                if send(Request::Audio(frame)).await.is_err() {
                    return;
                }
                let mut l = late.lock().await;
                l.0 = k + 1;
                l.1 = l.1.max(slot.elapsed().as_secs_f64());
            }
            let _ = send(Request::Finalize(pb::Finalize {})).await;
        })
    };
    let mut stream = match resp.await {
        Ok(r) => r.into_inner(),
        Err(e) => {
            stats.error = Some(e.to_string());
            return stats;
        }
    };
    loop {
        let msg = match tokio::time::timeout(Duration::from_secs(seconds + 120), stream.message())
            .await
        {
            Ok(Ok(Some(m))) => m,
            Ok(Ok(None)) => break,
            Ok(Err(e)) => {
                stats.error = Some(e.to_string());
                break;
            }
            Err(_) => {
                stats.error = Some("no event for too long".into());
                break;
            }
        };
        let now = t0.elapsed();
        let lag = now.as_secs_f64() - msg.audio_ms as f64 / 1000.0;
        let counted = Duration::from_millis(msg.audio_ms) >= warmup;
        match msg.event {
            Some(Event::Transcript(t)) if t.is_final && counted => {
                if SHOW_LATE.get().is_some_and(|s| lag > *s) {
                    println!(
                        "  late: call {index} {} {:.2}-{:.2} s lag {lag:.2} s {:?}",
                        t.utterance_id,
                        t.start_ms as f64 / 1e3,
                        t.end_ms as f64 / 1e3,
                        t.text.chars().take(40).collect::<String>()
                    );
                }
                stats.final_lags.push(lag)
            }
            Some(Event::Speech(s))
                if s.r#type == pb::SpeechEventType::SpeechEnd as i32 && counted =>
            {
                stats.endpoint_lags.push(lag)
            }
            Some(Event::End(_)) => {
                stats.ended = true;
                break;
            }
            _ => {}
        }
    }
    let _ = sender.await;
    let l = late.lock().await;
    stats.frames_sent = l.0;
    stats.max_send_late = l.1;
    stats
}

struct RunArgs {
    calls: usize,
    seconds: u64,
    warmup: Duration,
    server_args: Vec<String>,
}

async fn run(args: &RunArgs, conv: Arc<Conversation>) -> anyhow::Result<()> {
    let server = ServerProcess::start(&args.server_args).await?;
    let pid = server.pid();
    let loop_ms = conv.duration_ms();
    let mut tasks = Vec::new();
    for i in 0..args.calls {
        let offset = loop_ms * i as u64 / args.calls as u64;
        tasks.push(tokio::spawn(run_call(
            server.url.clone(),
            i,
            conv.clone(),
            offset,
            args.seconds,
            args.warmup,
        )));
    }
    // Resource samples once a second until the calls end.
    let start = Instant::now();
    let mut rss: Vec<(f64, f64)> = Vec::new();
    let mut cpu_at_warmup = None;
    while !tasks.iter().all(|t| t.is_finished()) {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let t = start.elapsed();
        if let Some(r) = procfs::rss_mib(pid) {
            rss.push((t.as_secs_f64(), r));
        }
        if cpu_at_warmup.is_none() && t >= args.warmup {
            cpu_at_warmup = procfs::cpu_secs(pid).map(|c| (c, Instant::now()));
        }
    }
    let cpu_end = procfs::cpu_secs(pid);
    let metrics = server.scrape_metrics().await.unwrap_or_default();
    drop(server);

    let mut all = Vec::new();
    for t in tasks {
        all.push(t.await?);
    }
    let finals: Vec<f64> = all.iter().flat_map(|s| s.final_lags.clone()).collect();
    let endpoints: Vec<f64> = all.iter().flat_map(|s| s.endpoint_lags.clone()).collect();
    let worst_p95 = all
        .iter()
        .map(|s| percentile(&s.final_lags, 0.95))
        .fold(f64::NAN, f64::max);
    let sent: u64 = all.iter().map(|s| s.frames_sent).sum();
    let scheduled: u64 = all.iter().map(|s| s.frames_scheduled).sum();
    let max_late = all.iter().map(|s| s.max_send_late).fold(0.0, f64::max);
    let ended = all.iter().filter(|s| s.ended).count();
    let errors: Vec<&str> = all.iter().filter_map(|s| s.error.as_deref()).collect();
    let cpu_pct = match (cpu_at_warmup, cpu_end) {
        (Some((c0, t0)), Some(c1)) => 100.0 * (c1 - c0) / t0.elapsed().as_secs_f64(),
        _ => f64::NAN,
    };
    let after: Vec<f64> = rss
        .iter()
        .filter(|(t, _)| *t >= args.warmup.as_secs_f64())
        .map(|(_, r)| *r)
        .collect();
    let (rss_first, rss_last) = window_means(&after);
    let rss_max = after.iter().copied().fold(f64::NAN, f64::max);
    let rss_min = after.iter().copied().fold(f64::NAN, f64::min);
    println!(
        "calls {n}: final lag p50 {p50:.2} s, p95 {p95:.2} s, worst call p95 {worst_p95:.2} s \
         ({nf} finals); endpoint lag p95 {ep95:.2} s; frames sent {sent}/{scheduled}, \
         max send late {max_late:.2} s; server frames {sf}, dropped {sd}; calls ended {ended}/{n}; \
         CPU {cpu_pct:.0}% ({per:.0}% per call); RSS after warm-up min {rss_min:.0} / max \
         {rss_max:.0} MiB, first-minute mean {rss_first:.0} -> last-minute mean {rss_last:.0} MiB \
         ({growth:+.1}%); keeps up (worst p95 <= 1.0 s): {ok}",
        n = args.calls,
        p50 = percentile(&finals, 0.5),
        p95 = percentile(&finals, 0.95),
        nf = finals.len(),
        ep95 = percentile(&endpoints, 0.95),
        sf = metrics.frames,
        sd = metrics.dropped,
        per = cpu_pct / args.calls as f64,
        growth = 100.0 * (rss_last / rss_first - 1.0),
        ok = worst_p95 <= 1.0 && ended == args.calls,
    );
    if !errors.is_empty() {
        println!("  errors: {errors:?}");
    }
    Ok(())
}

/// Means of the first and the last 60 samples (or halves, when shorter).
fn window_means(xs: &[f64]) -> (f64, f64) {
    if xs.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    let w = 60.min(xs.len().div_ceil(2)).max(1);
    let mean = |s: &[f64]| s.iter().sum::<f64>() / s.len() as f64;
    (mean(&xs[..w]), mean(&xs[xs.len() - w..]))
}

fn main() -> anyhow::Result<()> {
    let mut calls = vec![1, 2, 4];
    let mut seconds = 60;
    let mut warmup = 20;
    let mut server_args: Vec<String> = Vec::new();
    let mut model = "tiny.en".to_string();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || args.next().with_context(|| format!("{a} needs a value"));
        match a.as_str() {
            "--calls" => {
                calls = value()?
                    .split(',')
                    .map(|c| c.parse())
                    .collect::<Result<_, _>>()?
            }
            "--seconds" => seconds = value()?.parse()?,
            "--warmup-secs" => warmup = value()?.parse()?,
            "--asr-model" => model = value()?,
            "--server-arg" => server_args.push(value()?),
            "--show-late" => {
                let _ = SHOW_LATE.set(value()?.parse()?);
            }
            other => anyhow::bail!("unknown flag {other}"),
        }
    }
    server_args.extend(["--asr-model".into(), model.clone()]);
    let home = callassist_models::ModelHome::from_env();
    let conv = Arc::new(conversation::build(&home)?);
    println!(
        "conversation loop {:.1} s, {} turns; model {model}; {seconds} s per run, warm-up \
         {warmup} s; server args {server_args:?}",
        conv.duration_ms() as f64 / 1000.0,
        conv.turns.len()
    );
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    for n in calls {
        let run_args = RunArgs {
            calls: n,
            seconds,
            warmup: Duration::from_secs(warmup),
            server_args: server_args.clone(),
        };
        rt.block_on(run(&run_args, conv.clone()))?;
    }
    Ok(())
}
