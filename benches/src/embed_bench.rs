//! Throughput of the sentence embedders (all-MiniLM-L6-v2 and multilingual-e5-small Q4) on
//! short call-style sentences in English and Chinese, at batch 1 (a live utterance) and batch
//! 16 (indexing a pack). Each configuration runs one warm-up batch, then batches for at least
//! `--seconds`; prints embeddings/s and ms per batch as a markdown table.
//!
//! Usage: `RAYON_NUM_THREADS=2 CANDLE_NUM_THREADS=2 cargo run --release -p callassist-benches
//! --bin embed-bench -- [--seconds 5] [--models minilm,e5,e5-q4]`
//! Threads: RAYON_NUM_THREADS is candle's float matmul pool (MiniLM, attention in e5),
//! CANDLE_NUM_THREADS its quantized matmul pool (e5's Q4_0 linear layers).

use std::time::{Duration, Instant};

use anyhow::Context;
use callassist_inference::embed::{E5Embedder, E5Weights, EmbedKind, Embedder, MiniLmEmbedder};
use callassist_models::ModelHome;

const SENTENCES: &[&str] = &[
    "How much does it cost?",
    "We already use another CRM and it works fine.",
    "Can you send me the contract by Friday?",
    "The price is too high for a team of our size.",
    "Does it integrate with our phone system?",
    "I need to talk to my manager first.",
    "What kind of support do you offer?",
    "Is there a discount for a two-year plan?",
    "这个多少钱？",
    "我们已经在用别的系统了。",
    "合同什么时候可以发给我？",
    "价格对我们来说太贵了。",
    "可以和我们的电话系统对接吗？",
    "我需要先问一下老板。",
    "你们提供什么样的技术支持？",
    "签两年有折扣吗？",
];

fn measure(e: &mut dyn Embedder, batch: usize, min: Duration) -> anyhow::Result<(f64, f64)> {
    let texts: Vec<String> = SENTENCES
        .iter()
        .cycle()
        .take(batch)
        .map(|s| s.to_string())
        .collect();
    e.embed(&texts, EmbedKind::Query)?;
    let (started, mut batches) = (Instant::now(), 0u32);
    let mut offset = 0;
    while started.elapsed() < min || batches < 3 {
        // Rotate so batch-1 runs see every sentence.
        let texts: Vec<String> = (0..batch)
            .map(|i| SENTENCES[(offset + i) % SENTENCES.len()].to_string())
            .collect();
        offset += 1;
        let out = e.embed(&texts, EmbedKind::Query)?;
        anyhow::ensure!(out.len() == batch, "wrong number of vectors");
        batches += 1;
    }
    let secs = started.elapsed().as_secs_f64();
    Ok((
        (batches as usize * batch) as f64 / secs,
        secs * 1000.0 / batches as f64,
    ))
}

fn main() -> anyhow::Result<()> {
    let (mut seconds, mut which) = (5.0, "minilm,e5".to_string());
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--seconds" => seconds = args.next().context("--seconds N")?.parse()?,
            "--models" => which = args.next().context("--models minilm,e5")?,
            other => anyhow::bail!(
                "unknown argument {other} (usage: [--seconds 5] [--models minilm,e5])"
            ),
        }
    }
    let min = Duration::from_secs_f64(seconds);
    let home = ModelHome::from_env();
    let mut models: Vec<Box<dyn Embedder>> = Vec::new();
    let mut labels = Vec::new();
    for name in which.split(',') {
        labels.push(name.trim().to_string());
        models.push(match name.trim() {
            "minilm" => Box::new(MiniLmEmbedder::load(&callassist_models::minilm_files(
                &home,
            )?)?),
            "e5" | "e5-q4" => {
                let weights = match name.trim() {
                    "e5" => E5Weights::F32,
                    _ => E5Weights::Q4,
                };
                let path = callassist_models::e5_small_file(&home)?;
                Box::new(E5Embedder::load_with(&path, weights)?)
            }
            other => anyhow::bail!("unknown model {other} (minilm, e5, e5-q4)"),
        });
    }
    let env = |k: &str| std::env::var(k).unwrap_or_else(|_| "unset".into());
    println!(
        "RAYON_NUM_THREADS={} CANDLE_NUM_THREADS={}, {} short sentences (en + zh)\n",
        env("RAYON_NUM_THREADS"),
        env("CANDLE_NUM_THREADS"),
        SENTENCES.len()
    );
    println!("| model | batch | embeddings/s | ms/batch |");
    println!("|---|---:|---:|---:|");
    for (i, m) in models.iter_mut().enumerate() {
        let label = format!("{} (`{}`)", m.name(), labels[i]);
        for batch in [1, 16] {
            let (rate, ms) = measure(m.as_mut(), batch, min)?;
            println!("| {label} | {batch} | {rate:.1} | {ms:.1} |");
        }
    }
    Ok(())
}
