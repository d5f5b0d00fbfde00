//! Knowledge retrieval at 1k, 10k and 100k chunks: index ingest rate, HNSW recall@10 against
//! the exact scan, and query latency p50/p99 of the whole search path (embed the query with
//! the real e5-small model, vector search, BM25 keyword search, rank fusion).
//!
//! Corpus vectors are synthetic (embedding 100k real chunks with e5 takes hours on 2 cores),
//! in two shapes: `random` (uniform on the sphere: no structure at all, the worst case for any
//! graph index) and `clustered` (points scattered around topic centres, the shape sentence
//! embeddings have). The corpus texts cycle through the built-in packs' real chunks, so BM25
//! sees real zh/en text. Real-embedding ingest speed is measured on the built-in packs.
//! `--ef` sweeps the HNSW search breadth and prints recall@10 and vector-search latency for
//! each value next to the index's default policy.
//!
//! Usage: `RAYON_NUM_THREADS=2 cargo run --release -p callassist-benches --bin knowledge-bench
//! [-- --sizes 1000,10000,100000 --queries 200 --corpus random,clustered --ef 128,256,512]`

mod flags;

use std::collections::HashSet;
use std::time::Instant;

use anyhow::Context;
use callassist_inference::embed::{E5Embedder, EmbedKind, Embedder};
use callassist_knowledge::index::{ChunkMeta, KeywordIndex, VectorIndex, VectorIndexConfig};
use callassist_knowledge::{ChunkConfig, DocumentKind, Limits, chunk_pack, load_pack};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const DIM: usize = 384;

fn random_unit(rng: &mut ChaCha8Rng) -> Vec<f32> {
    let v: Vec<f32> = (0..DIM).map(|_| rng.random_range(-1.0f32..1.0)).collect();
    let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    v.into_iter().map(|x| x / n).collect()
}

/// A point near one of `centres` (cosine to its centre about 0.75).
fn clustered_unit(rng: &mut ChaCha8Rng, centres: &[Vec<f32>]) -> Vec<f32> {
    let c = &centres[rng.random_range(0..centres.len())];
    let noise = random_unit(rng);
    let v: Vec<f32> = c.iter().zip(&noise).map(|(a, b)| a + 0.9 * b).collect();
    let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    v.into_iter().map(|x| x / n).collect()
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn main() -> anyhow::Result<()> {
    let arg = flags::flag;
    let sizes: Vec<usize> = arg("--sizes")
        .unwrap_or_else(|| "1000,10000,100000".into())
        .split(',')
        .map(|s| s.parse())
        .collect::<Result<_, _>>()?;
    let n_queries: usize = arg("--queries")
        .map(|q| q.parse())
        .transpose()?
        .unwrap_or(200);
    let corpora: Vec<String> = arg("--corpus")
        .unwrap_or_else(|| "random,clustered".into())
        .split(',')
        .map(String::from)
        .collect();
    let sweep: Vec<usize> = arg("--ef")
        .unwrap_or_default()
        .split(',')
        .filter(|s| !s.is_empty())
        .map(|s| s.parse())
        .collect::<Result<_, _>>()?;

    // Real texts: every chunk of the three built-in packs.
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../knowledge/packs");
    let mut texts = Vec::new();
    for p in ["medical-devices", "industrial-automation", "b2b-saas"] {
        let pack = load_pack(&root.join(p), &Limits::default()).context("loading built-in pack")?;
        let chunks = chunk_pack(&pack, &ChunkConfig::default());
        texts.extend(chunks.iter().map(|c| (c.kind, c.embedding_text())));
    }
    let queries = [
        "客户说预算不够怎么回应",
        "how long is the warranty",
        "数据存放在哪里，符合个人信息保护法吗",
        "can we pay monthly instead of upfront",
        "和竞品相比你们的优势是什么",
        "what is the uptime SLA",
    ];

    let home = callassist_models::ModelHome::from_env();
    let mut e5 = E5Embedder::load(&callassist_models::e5_small_file(&home)?)?;

    // Real-embedding ingest: embed every built-in chunk in batches of 16.
    let all: Vec<String> = texts.iter().map(|(_, t)| t.clone()).collect();
    let t = Instant::now();
    for batch in all.chunks(16) {
        e5.embed(batch, EmbedKind::Passage)?;
    }
    let secs = t.elapsed().as_secs_f64();
    println!(
        "e5 passage embedding of the {} built-in chunks: {:.1} s, {:.1} chunks/s",
        all.len(),
        secs,
        all.len() as f64 / secs
    );

    let cfg = VectorIndexConfig::default();
    println!(
        "index: M={} ef_construction={} ef_search=max({}, {} x sqrt(n)); exact scan up to {} chunks",
        cfg.max_connections, cfg.ef_construction, cfg.ef_search, cfg.ef_per_sqrt_n, cfg.exact_below
    );
    println!(
        "| corpus | chunks | search path | ef | index ingest chunks/s | keyword ingest chunks/s | recall@10 (HNSW vs exact) | p50 ms | p99 ms | embed p50 ms |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    let mut sweeps = Vec::new();
    for corpus in &corpora {
        let mut rng = ChaCha8Rng::seed_from_u64(42);
        let centres: Vec<Vec<f32>> = (0..1000).map(|_| random_unit(&mut rng)).collect();
        let draw = |rng: &mut ChaCha8Rng| match corpus.as_str() {
            "clustered" => clustered_unit(rng, &centres),
            _ => random_unit(rng),
        };
        for &n in &sizes {
            let cfg = VectorIndexConfig::default();
            let exact = n <= cfg.exact_below;
            let mut vectors = VectorIndex::new(DIM, cfg);
            let items: Vec<_> = (0..n as u64)
                .map(|row| {
                    let kind = texts[row as usize % texts.len()].0;
                    (
                        row,
                        ChunkMeta {
                            tenant: "bench".into(),
                            kind,
                        },
                        draw(&mut rng),
                    )
                })
                .collect();
            let t = Instant::now();
            vectors.bulk_load(items);
            let vec_rate = n as f64 / t.elapsed().as_secs_f64();
            let mut keywords = KeywordIndex::default();
            let t = Instant::now();
            for row in 0..n {
                let (kind, text) = &texts[row % texts.len()];
                keywords.insert("bench", row as u64, *kind, text);
            }
            let kw_rate = n as f64 / t.elapsed().as_secs_f64();

            let probes: Vec<Vec<f32>> = (0..100).map(|_| draw(&mut rng)).collect();
            let truth: Vec<HashSet<u64>> = probes
                .iter()
                .map(|q| {
                    vectors
                        .search_exact("bench", q, 10, &[])
                        .iter()
                        .map(|s| s.row)
                        .collect()
                })
                .collect();
            let recall_at = |ef: usize| {
                let (mut found, mut total, mut lat) = (0usize, 0usize, Vec::new());
                for (q, truth) in probes.iter().zip(&truth) {
                    let t = Instant::now();
                    let got = vectors.search_hnsw_ef("bench", q, 10, &[], ef);
                    lat.push(t.elapsed().as_secs_f64() * 1e3);
                    found += got.iter().filter(|s| truth.contains(&s.row)).count();
                    total += truth.len();
                }
                lat.sort_by(f64::total_cmp);
                (found as f64 / total as f64, percentile(&lat, 0.5))
            };
            let ef = vectors.ef_for(n, 10);
            let (recall, _) = recall_at(ef);
            for &e in &sweep {
                let (r, p50) = recall_at(e);
                sweeps.push(format!("| {corpus} | {n} | {e} | {r:.4} | {p50:.2} |"));
            }

            let (mut lat, mut emb) = (Vec::new(), Vec::new());
            for i in 0..n_queries {
                let q = queries[i % queries.len()].to_string();
                let t = Instant::now();
                let v = e5
                    .embed(std::slice::from_ref(&q), EmbedKind::Query)?
                    .pop()
                    .unwrap_or_default();
                emb.push(t.elapsed().as_secs_f64() * 1e3);
                let a = vectors.search("bench", &v, 10, &[]);
                let b = keywords.search("bench", &q, 10, &[] as &[DocumentKind]);
                let fused = callassist_knowledge::index::reciprocal_rank_fusion(&[&a, &b]);
                std::hint::black_box(fused);
                lat.push(t.elapsed().as_secs_f64() * 1e3);
            }
            lat.sort_by(f64::total_cmp);
            emb.sort_by(f64::total_cmp);
            println!(
                "| {corpus} | {n} | {} | {} | {vec_rate:.0} | {kw_rate:.0} | {recall:.4} | {:.1} | {:.1} | {:.1} |",
                if exact { "exact scan" } else { "HNSW" },
                if exact {
                    "-".to_string()
                } else {
                    ef.to_string()
                },
                percentile(&lat, 0.5),
                percentile(&lat, 0.99),
                percentile(&emb, 0.5),
            );
        }
    }
    if !sweeps.is_empty() {
        println!("\n| corpus | chunks | ef | recall@10 | HNSW search p50 ms |");
        println!("|---|---|---|---|---|");
        for line in sweeps {
            println!("{line}");
        }
    }
    Ok(())
}
