//! Assist latency: from a final transcript to its risk event, as the client sees them on the
//! wire. An in-process server (real e5-small knowledge base holding the built-in B2B SaaS pack,
//! so semantic checks and suggestion retrieval run in the background as in production) takes
//! text calls over loopback gRPC; every utterance's transcript and the risk event it causes are
//! timestamped on arrival. Also times the engine alone (`CallEngine::hear`) in process.
//!
//! Usage: `cargo run --release -p callassist-benches --bin assist-latency [-- --calls 8
//! --utterances 60 --gap-ms 20]`

mod flags;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use anyhow::Context;
use callassist_inference::asr::AsrPool;
use callassist_inference::embed::{E5Embedder, EmbedPool};
use callassist_inference::testing::FakeRecognizer;
use callassist_proto::v1::{self as pb, stream_call_request::Request, stream_call_response::Event};
use callassist_server::assist::engine::{CallEngine, Heard};
use callassist_server::knowledge::Knowledge;
use callassist_server::{AppState, ServerConfig};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;

/// Utterances cycled through a call: every other one trips a rule.
const LINES: [(pb::Role, &str); 8] = [
    (
        pb::Role::Agent,
        "Thanks for making time today, how is the team doing?",
    ),
    (
        pb::Role::Customer,
        "Honestly it's over our budget for this year.",
    ),
    (
        pb::Role::Agent,
        "I understand, let me show you the starter plan.",
    ),
    (
        pb::Role::Agent,
        "We guarantee you'll double your pipeline in a month.",
    ),
    (
        pb::Role::Customer,
        "We already use Cirrusly for most of this.",
    ),
    (
        pb::Role::Customer,
        "I need to ask my boss before we go further.",
    ),
    (pb::Role::Agent, "What are you using today for forecasting?"),
    (pb::Role::Customer, "我们预算不够，下个季度再说吧。"),
];

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn main() -> anyhow::Result<()> {
    let num = |name: &str, default: u64| -> anyhow::Result<u64> {
        Ok(flags::flag(name)
            .map(|v| v.parse())
            .transpose()?
            .unwrap_or(default))
    };
    let calls = num("--calls", 8)? as usize;
    let utterances = num("--utterances", 60)? as usize;
    let gap = Duration::from_millis(num("--gap-ms", 20)?);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(run(calls, utterances, gap))
}

async fn run(calls: usize, utterances: usize, gap: Duration) -> anyhow::Result<()> {
    let home = callassist_models::ModelHome::from_env();
    let e5 = E5Embedder::load(&callassist_models::e5_small_file(&home)?)?;
    let data = std::env::temp_dir().join(format!("assist-latency-{}", std::process::id()));
    let kb = Knowledge::open(&data, EmbedPool::new(vec![Box::new(e5)], 64))?;
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../knowledge/packs");
    let pack = callassist_client::packs::archive_bytes(&root.join("b2b-saas"))?.0;
    let t = Instant::now();
    kb.upload("bench", pack).await?;
    println!("pack ingested in {:.1} s", t.elapsed().as_secs_f64());

    // The engine alone.
    let rules = kb.tenant_rules("bench", &[]).await?;
    let mut engine = CallEngine::new(rules.clone());
    let mut out = Vec::new();
    let mut engine_us = Vec::new();
    for i in 0..20_000u64 {
        let (role, text) = LINES[i as usize % LINES.len()];
        let id = format!("u{i}");
        let t = Instant::now();
        engine.hear(
            &Heard {
                role,
                utterance_id: &id,
                text,
                is_final: true,
                start_ms: i * 1000,
                end_ms: i * 1000 + 900,
                audio: None,
            },
            &mut out,
        );
        engine_us.push(t.elapsed().as_secs_f64() * 1e6);
        out.clear();
    }
    engine_us.sort_by(f64::total_cmp);
    println!(
        "engine alone (CallEngine::hear, final utterance, {} rules): p50 {:.1} us, p99 {:.1} us",
        rules.rules.len(),
        percentile(&engine_us, 0.5),
        percentile(&engine_us, 0.99)
    );

    let asr = AsrPool::new(
        vec![Box::new(FakeRecognizer {
            delay: Duration::ZERO,
        })],
        4,
    );
    let state = AppState::new(ServerConfig::default(), asr).with_knowledge(kb);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(callassist_server::serve(listener, state, async {
        let _ = stop_rx.await;
    }));
    let client = callassist_client::Client::connect(&url)
        .await
        .context("connecting")?;

    let mut tasks = Vec::new();
    for c in 0..calls {
        let client = client.clone();
        tasks.push(tokio::spawn(async move {
            one_call(client, c, utterances, gap).await
        }));
    }
    let (mut lat, mut round) = (Vec::new(), Vec::new());
    for t in tasks {
        let (l, r) = t.await??;
        lat.extend(l);
        round.extend(r);
    }
    lat.sort_by(f64::total_cmp);
    round.sort_by(f64::total_cmp);
    println!(
        "final transcript -> risk event on the wire ({} risk events, {calls} concurrent calls, {gap:?} between utterances): p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms",
        lat.len(),
        percentile(&lat, 0.5),
        percentile(&lat, 0.99),
        lat.last().copied().unwrap_or_default()
    );
    println!(
        "utterance sent by the client -> its risk event received (loopback round trip, upper bound of the server side): p50 {:.3} ms, p99 {:.3} ms",
        percentile(&round, 0.5),
        percentile(&round, 0.99)
    );
    let _ = stop_tx.send(());
    server.await??;
    let _ = std::fs::remove_dir_all(&data);
    Ok(())
}

/// Streams one text call; returns transcript->risk gaps and utterance-sent->risk times, in ms.
async fn one_call(
    client: callassist_client::Client,
    n: usize,
    utterances: usize,
    gap: Duration,
) -> anyhow::Result<(Vec<f64>, Vec<f64>)> {
    let (tx, rx) = mpsc::channel(64);
    tx.send(pb::StreamCallRequest {
        request: Some(Request::Config(pb::CallConfig {
            call_id: format!("bench-{n}"),
            tenant_id: "bench".into(),
            ..Default::default()
        })),
    })
    .await?;
    let mut stream = client
        .calls()
        .stream_call(ReceiverStream::new(rx))
        .await?
        .into_inner();
    let sent: std::sync::Arc<std::sync::Mutex<HashMap<usize, Instant>>> = Default::default();
    let sent_by_sender = sent.clone();
    let sender = tokio::spawn(async move {
        for i in 0..utterances {
            let (role, text) = LINES[(i + n) % LINES.len()];
            let msg = pb::StreamCallRequest {
                request: Some(Request::Text(pb::TextUtterance {
                    role: role as i32,
                    text: text.into(),
                })),
            };
            if let Ok(mut m) = sent_by_sender.lock() {
                m.insert(i + 1, Instant::now());
            }
            if tx.send(msg).await.is_err() {
                return;
            }
            tokio::time::sleep(gap).await;
        }
        let _ = tx
            .send(pb::StreamCallRequest {
                request: Some(Request::Finalize(pb::Finalize {})),
            })
            .await;
    });
    let mut seen: HashMap<String, Instant> = HashMap::new();
    let (mut lat, mut round) = (Vec::new(), Vec::new());
    while let Some(msg) = stream.message().await? {
        let now = Instant::now();
        match msg.event {
            Some(Event::Transcript(t)) if t.is_final => {
                seen.insert(t.utterance_id, now);
            }
            Some(Event::Risk(r)) if !r.semantic && !r.utterance_id.is_empty() => {
                if let Some(t) = seen.get(&r.utterance_id) {
                    lat.push(now.duration_since(*t).as_secs_f64() * 1e3);
                }
                let index = r
                    .utterance_id
                    .rsplit_once("-t")
                    .and_then(|(_, n)| n.parse().ok());
                if let Some(t) = index.and_then(|i: usize| sent.lock().ok()?.get(&i).copied()) {
                    round.push(now.duration_since(t).as_secs_f64() * 1e3);
                }
            }
            Some(Event::End(_)) => break,
            _ => {}
        }
    }
    sender.await?;
    Ok((lat, round))
}
