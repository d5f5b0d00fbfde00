//! Crash safety of `put_pack`: a write that never commits (the process died mid-upload)
//! leaves the previous version serving after reopen, whether the transaction is dropped or
//! the process is killed mid-write (the test binary re-runs itself as the victim).

use std::path::Path;

use super::*;
use crate::{ChunkConfig, Limits, chunk_pack, load_pack_bytes};

fn pack(version: &str) -> LoadedPack {
    let manifest = format!(
        "id = \"p\"\nname = \"P\"\nversion = \"{version}\"\nlanguages = [\"en\"]\nindustry = \"saas\"\n"
    );
    let doc = format!("# Pricing\nVersion {version} costs money. Leasing is possible.\n");
    let files = [("pack.toml", manifest), ("docs/pricing.md", doc)];
    let mut archive = tar::Builder::new(flate2::write::GzEncoder::new(
        Vec::new(),
        flate2::Compression::fast(),
    ));
    for (path, text) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(text.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        archive
            .append_data(&mut header, path, text.as_bytes())
            .unwrap();
    }
    let bytes = archive.into_inner().unwrap().finish().unwrap();
    load_pack_bytes(&bytes, &Limits::default()).unwrap()
}

fn vectors(chunks: &[Chunk]) -> Vec<Vec<f32>> {
    chunks.iter().map(|c| vec![1.0, c.index as f32]).collect()
}

#[test]
fn an_uncommitted_upload_leaves_the_old_version_serving() {
    let dir = tempfile::tempdir().unwrap();
    {
        let mut store = KnowledgeStore::open(dir.path(), 2).unwrap();
        let v1 = pack("1");
        let chunks = chunk_pack(&v1, &ChunkConfig::default());
        store
            .put_pack("t", &v1, &chunks, &vectors(&chunks))
            .unwrap();

        // Begin version 2, write all of it, and "crash" before the commit.
        let v2 = pack("2");
        let chunks = chunk_pack(&v2, &ChunkConfig::default());
        let tx = store.conn.transaction().unwrap();
        let outcome = write::write_pack(&tx, "t", &v2, &chunks, &vectors(&chunks)).unwrap();
        assert!(!outcome.added.is_empty() && !outcome.removed.is_empty());
        drop(tx);
    }
    let store = KnowledgeStore::open(dir.path(), 2).unwrap();
    let packs = store.list_packs("t").unwrap();
    assert_eq!(packs.len(), 1);
    assert_eq!(packs[0].version, "1");
    let hits = store
        .search("t", "version costs", &[1.0, 0.0], 5, &[])
        .unwrap();
    assert!(!hits.is_empty());
    assert!(
        hits.iter().all(|h| h.chunk_id.starts_with("p@1:")),
        "{hits:?}"
    );
    assert!(hits[0].text.contains("Version 1"));
}

/// Set in the child process of `a_killed_upload_leaves_the_old_version_serving`: the store
/// directory in which to begin an upload and wait to be killed.
const CRASH_DIR_ENV: &str = "CALLASSIST_KNOWLEDGE_CRASH_DIR";

/// The child's half of the kill test (a no-op in a normal test run): writes version 2 inside
/// a transaction, says so on stdout, then waits to be killed before committing.
#[test]
fn crash_child_uploads_and_waits() {
    let Some(dir) = std::env::var_os(CRASH_DIR_ENV) else {
        return;
    };
    let mut store = KnowledgeStore::open(Path::new(&dir), 2).unwrap();
    let v2 = pack("2");
    let chunks = chunk_pack(&v2, &ChunkConfig::default());
    let tx = store.conn.transaction().unwrap();
    write::write_pack(&tx, "t", &v2, &chunks, &vectors(&chunks)).unwrap();
    // Force the uncommitted pages out to the WAL, as a large upload would.
    tx.cache_flush().unwrap();
    println!("WRITTEN");
    std::io::Write::flush(&mut std::io::stdout()).unwrap();
    std::thread::sleep(std::time::Duration::from_secs(120));
    tx.commit().unwrap();
}

#[test]
fn a_killed_upload_leaves_the_old_version_serving() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};

    if std::env::var_os(CRASH_DIR_ENV).is_some() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    {
        let mut store = KnowledgeStore::open(dir.path(), 2).unwrap();
        let v1 = pack("1");
        let chunks = chunk_pack(&v1, &ChunkConfig::default());
        store
            .put_pack("t", &v1, &chunks, &vectors(&chunks))
            .unwrap();
    }
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "store::tests::crash_child_uploads_and_waits",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CRASH_DIR_ENV, dir.path())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let written = BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .any(|line| line.contains("WRITTEN"));
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(written, "the child never reached the middle of its upload");

    let store = KnowledgeStore::open(dir.path(), 2).unwrap();
    let packs = store.list_packs("t").unwrap();
    assert_eq!(packs.len(), 1);
    assert_eq!(packs[0].version, "1");
    let hits = store
        .search("t", "version costs", &[1.0, 0.0], 5, &[])
        .unwrap();
    assert!(
        hits.iter().all(|h| h.chunk_id.starts_with("p@1:")),
        "{hits:?}"
    );
}

#[test]
fn the_store_can_move_between_threads() {
    fn assert_send<T: Send>() {}
    assert_send::<KnowledgeStore>();
}
