//! Retrieval quality on the labelled set (`knowledge/tests/data/retrieval_queries.toml`, half
//! Chinese, half English, paraphrased): the three built-in packs are ingested with the real
//! multilingual e5-small embedder and hit@5 must be at least 0.9 (overall and per language).

use callassist_inference::embed::{E5Embedder, EmbedPool};
use callassist_server::knowledge::Knowledge;

#[derive(serde::Deserialize)]
struct Set {
    queries: Vec<Query>,
}

#[derive(serde::Deserialize)]
struct Query {
    pack: String,
    query: String,
    lang: String,
    expected: Vec<String>,
}

/// The pack directory as the CLI uploads it (.tar.gz made in memory).
fn tar_gz_dir(dir: &std::path::Path) -> Vec<u8> {
    callassist_client::packs::archive_bytes(dir).unwrap().0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hit_at_5_on_the_labelled_set_is_at_least_0_9() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../knowledge");
    let home = callassist_models::ModelHome::from_env();
    let e5 = E5Embedder::load(&callassist_models::e5_small_file(&home).unwrap()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let kb = Knowledge::open(dir.path(), EmbedPool::new(vec![Box::new(e5)], 4)).unwrap();
    for pack in ["medical-devices", "industrial-automation", "b2b-saas"] {
        kb.upload("eval", tar_gz_dir(&root.join("packs").join(pack)))
            .await
            .unwrap();
    }
    let set: Set = toml::from_str(
        &std::fs::read_to_string(root.join("tests/data/retrieval_queries.toml")).unwrap(),
    )
    .unwrap();
    let (mut hits, mut total) = (
        std::collections::BTreeMap::new(),
        std::collections::BTreeMap::new(),
    );
    for q in &set.queries {
        let found = kb.search("eval", &q.query, 5, &[]).await.unwrap();
        let hit = found
            .iter()
            .any(|h| h.pack_id == q.pack && q.expected.contains(&h.doc_path));
        if !hit {
            let got: Vec<String> = found
                .iter()
                .map(|h| format!("{}:{}", h.pack_id, h.doc_path))
                .collect();
            println!("MISS [{}] {} -> {got:?}", q.lang, q.query);
        }
        *hits.entry(q.lang.clone()).or_insert(0usize) += usize::from(hit);
        *total.entry(q.lang.clone()).or_insert(0usize) += 1;
    }
    let all_hits: usize = hits.values().sum();
    let all: usize = total.values().sum();
    println!(
        "hit@5 overall {all_hits}/{all} = {:.3}",
        all_hits as f64 / all as f64
    );
    for (lang, n) in &total {
        let h = hits[lang];
        println!("hit@5 {lang}: {h}/{n} = {:.3}", h as f64 / *n as f64);
        assert!(h as f64 / *n as f64 >= 0.9, "{lang}: {h}/{n}");
    }
    assert!(all >= 40);
    assert!(all_hits as f64 / all as f64 >= 0.9);
}
