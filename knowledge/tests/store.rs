//! The knowledge store end to end with a fake embedding: tenant isolation, atomic version
//! replacement, deletion from every index, kind filters, persistence across reopen, and
//! ingest + search of the built-in packs.

mod common;

use std::path::Path;

use callassist_knowledge::{
    ChunkConfig, DocumentKind, KnowledgeStore, Limits, LoadedPack, RuleKind, StoreError,
    chunk_pack, load_pack, load_pack_bytes,
};
use common::embed::{DIM, embed, embed_chunks};
use common::{VALID_MANIFEST, pack_with, tar_gz};

fn pack(version: &str) -> LoadedPack {
    let manifest = VALID_MANIFEST.replace(
        "version = \"2026.12.1\"",
        &format!("version = \"{version}\""),
    );
    load_pack_bytes(&tar_gz(&pack_with(&manifest)), &Limits::default()).unwrap()
}

fn put(store: &mut KnowledgeStore, tenant: &str, pack: &LoadedPack) -> usize {
    let chunks = chunk_pack(pack, &ChunkConfig::default());
    let vectors = embed_chunks(&chunks);
    store.put_pack(tenant, pack, &chunks, &vectors).unwrap();
    chunks.len()
}

fn search_ids(
    store: &KnowledgeStore,
    tenant: &str,
    query: &str,
    kinds: &[DocumentKind],
) -> Vec<String> {
    store
        .search(tenant, query, &embed(query), 10, kinds)
        .unwrap()
        .into_iter()
        .map(|h| h.chunk_id)
        .collect()
}

#[test]
fn tenants_never_see_each_other() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = KnowledgeStore::open(dir.path(), DIM).unwrap();
    let v1 = pack("1");
    let n = put(&mut store, "tenant-a", &v1);
    assert!(n > 0);
    // Tenant B sees nothing of A's pack.
    assert!(store.list_packs("tenant-b").unwrap().is_empty());
    assert!(search_ids(&store, "tenant-b", "预算 leasing price", &[]).is_empty());
    assert!(store.rules("tenant-b").unwrap().is_empty());
    assert!(store.stages("tenant-b").unwrap().is_empty());
    let a_hits = search_ids(&store, "tenant-a", "leasing price", &[]);
    assert!(!a_hits.is_empty());
    assert_eq!(store.chunk("tenant-b", &a_hits[0]).unwrap(), None);
    assert!(store.chunk("tenant-a", &a_hits[0]).unwrap().is_some());
    assert!(!store.delete_pack("tenant-b", "acme-medical").unwrap());
    assert_eq!(store.list_packs("tenant-a").unwrap().len(), 1);

    // The same pack id under tenant B is a separate pack; deleting it leaves A's.
    put(&mut store, "tenant-b", &pack("2"));
    assert_eq!(store.list_packs("tenant-a").unwrap()[0].version, "1");
    assert_eq!(store.list_packs("tenant-b").unwrap()[0].version, "2");
    for id in search_ids(&store, "tenant-b", "leasing price", &[]) {
        assert!(id.starts_with("acme-medical@2:"), "{id}");
    }
    assert!(store.delete_pack("tenant-b", "acme-medical").unwrap());
    assert!(store.list_packs("tenant-b").unwrap().is_empty());
    assert_eq!(search_ids(&store, "tenant-a", "leasing price", &[]), a_hits);
    assert_eq!(store.rules("tenant-a").unwrap().len(), 4);
}

#[test]
fn a_new_version_replaces_the_old_in_both_indexes() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = KnowledgeStore::open(dir.path(), DIM).unwrap();
    put(&mut store, "t", &pack("1"));
    let old = search_ids(&store, "t", "预算 leasing", &[]);
    assert!(old.iter().all(|id| id.starts_with("acme-medical@1:")));
    let summary = {
        let p = pack("2");
        let chunks = chunk_pack(&p, &ChunkConfig::default());
        store
            .put_pack("t", &p, &chunks, &embed_chunks(&chunks))
            .unwrap()
    };
    assert_eq!(
        (summary.version.as_str(), summary.status.as_str()),
        ("2", "ready")
    );
    let packs = store.list_packs("t").unwrap();
    assert_eq!(packs.len(), 1);
    assert_eq!(packs[0].version, "2");
    // Keyword-only and vector-only searches both return only version 2.
    let keyword: Vec<_> = store.search("t", "leasing 江滨医院", &[], 10, &[]).unwrap();
    let vector: Vec<_> = store
        .search("t", "", &embed("leasing 江滨医院"), 10, &[])
        .unwrap();
    assert!(!keyword.is_empty() && !vector.is_empty());
    for hit in keyword.iter().chain(&vector) {
        assert!(
            hit.chunk_id.starts_with("acme-medical@2:"),
            "{}",
            hit.chunk_id
        );
    }
    for id in &old {
        assert_eq!(store.chunk("t", id).unwrap(), None);
    }
}

#[test]
fn delete_removes_from_every_index_and_table() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = KnowledgeStore::open(dir.path(), DIM).unwrap();
    put(&mut store, "t", &pack("1"));
    assert!(store.delete_pack("t", "acme-medical").unwrap());
    assert!(store.list_packs("t").unwrap().is_empty());
    assert!(store.rules("t").unwrap().is_empty());
    assert!(store.stages("t").unwrap().is_empty());
    assert!(
        store
            .search("t", "leasing 预算", &[], 10, &[])
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .search("t", "", &embed("leasing"), 10, &[])
            .unwrap()
            .is_empty()
    );
    assert!(store.vector_index().is_empty("t"));
    assert!(!store.delete_pack("t", "acme-medical").unwrap());
}

#[test]
fn kind_filters_are_respected() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = KnowledgeStore::open(dir.path(), DIM).unwrap();
    put(&mut store, "t", &pack("1"));
    let query = "江滨医院 leasing monitor";
    for kinds in [vec![DocumentKind::Case], vec![DocumentKind::Product]] {
        let hits = store.search("t", query, &embed(query), 10, &kinds).unwrap();
        assert!(!hits.is_empty(), "{kinds:?}");
        assert!(hits.iter().all(|h| kinds.contains(&h.kind)), "{hits:?}");
    }
    assert!(
        store
            .search("t", query, &embed(query), 10, &[DocumentKind::Legal])
            .unwrap()
            .is_empty()
    );
}

#[test]
fn bad_input_is_refused_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = KnowledgeStore::open(dir.path(), DIM).unwrap();
    let p = pack("1");
    let chunks = chunk_pack(&p, &ChunkConfig::default());
    let mut vectors = embed_chunks(&chunks);
    vectors[0].pop();
    assert!(matches!(
        store.put_pack("t", &p, &chunks, &vectors),
        Err(StoreError::Dimension { .. })
    ));
    assert!(matches!(
        store.put_pack("t", &p, &chunks, &vectors[1..]),
        Err(StoreError::CountMismatch { .. })
    ));
    let other = chunk_pack(&pack("2"), &ChunkConfig::default());
    assert!(matches!(
        store.put_pack("t", &p, &other, &embed_chunks(&other)),
        Err(StoreError::ForeignChunk { .. })
    ));
    assert!(store.list_packs("t").unwrap().is_empty());
    drop(store);
    assert!(matches!(
        KnowledgeStore::open(dir.path(), DIM + 1),
        Err(StoreError::DimensionChanged { .. })
    ));
}

#[test]
fn the_store_survives_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let query = "leasing 预算 江滨医院";
    let (packs, hits, rules) = {
        let mut store = KnowledgeStore::open(dir.path(), DIM).unwrap();
        put(&mut store, "t", &pack("1"));
        (
            store.list_packs("t").unwrap(),
            store.search("t", query, &embed(query), 10, &[]).unwrap(),
            store.rules("t").unwrap(),
        )
    };
    let store = KnowledgeStore::open(dir.path(), DIM).unwrap();
    assert_eq!(store.list_packs("t").unwrap(), packs);
    assert_eq!(
        store.search("t", query, &embed(query), 10, &[]).unwrap(),
        hits
    );
    assert_eq!(store.rules("t").unwrap(), rules);
}

fn builtin_packs() -> Vec<LoadedPack> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("packs");
    let mut dirs: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("pack.toml").is_file())
        .collect();
    dirs.sort();
    dirs.iter()
        .map(|d| load_pack(d, &Limits::default()).unwrap())
        .collect()
}

#[test]
fn builtin_packs_ingest_and_keyword_search_finds_chinese_queries() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = KnowledgeStore::open(dir.path(), DIM).unwrap();
    let packs = builtin_packs();
    assert!(packs.len() >= 3);
    for p in &packs {
        let n = put(&mut store, "demo", p);
        let summary = store
            .list_packs("demo")
            .unwrap()
            .into_iter()
            .find(|s| s.pack_id == p.manifest.id)
            .unwrap();
        assert_eq!(summary.chunks, n);
        assert_eq!(summary.rules, p.manifest.rules.len());
    }
    assert_eq!(store.list_packs("demo").unwrap().len(), packs.len());
    let kinds: Vec<RuleKind> = store
        .rules("demo")
        .unwrap()
        .iter()
        .map(|(_, r)| r.kind)
        .collect();
    assert!(kinds.contains(&RuleKind::Objection));
    assert!(!store.stages("demo").unwrap().is_empty());

    // For each pack, a distinctive Chinese term from one of its zh documents is found in it.
    for p in &packs {
        let term = distinctive_chinese_term(p, &packs).expect("a Chinese term only this pack has");
        let hits = store.search("demo", &term, &embed(&term), 5, &[]).unwrap();
        assert!(!hits.is_empty(), "{}: no hit for {term}", p.manifest.id);
        assert_eq!(hits[0].pack_id, p.manifest.id, "query {term}: {hits:?}");
        assert!(hits[0].text.contains(&term) || hits[0].heading_path.contains(&term));
    }
    // A generic Chinese query also works.
    let hits = store
        .search("demo", "预算", &embed("预算"), 5, &[])
        .unwrap();
    assert!(!hits.is_empty());
    assert!(hits.iter().any(|h| h.text.contains("预算")), "{hits:?}");
}

/// A two-to-four character CJK word of `pack`'s documents that no other pack contains.
fn distinctive_chinese_term(pack: &LoadedPack, all: &[LoadedPack]) -> Option<String> {
    let others: Vec<&str> = all
        .iter()
        .filter(|p| p.manifest.id != pack.manifest.id)
        .flat_map(|p| p.documents.iter().map(|d| d.text.as_str()))
        .collect();
    for doc in &pack.documents {
        let chars: Vec<char> = doc.text.chars().collect();
        for window in chars.windows(4) {
            if !window.iter().all(|c| ('\u{4e00}'..='\u{9fff}').contains(c)) {
                continue;
            }
            let term: String = window.iter().collect();
            if others.iter().all(|t| !t.contains(&term)) {
                return Some(term);
            }
        }
    }
    None
}
