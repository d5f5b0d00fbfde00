//! The built-in packs under `knowledge/packs/` load, validate and chunk, with at least 12
//! documents and 15 rules each, and their phrases survive normalisation.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use callassist_knowledge::{ChunkConfig, Limits, RuleKind, chunk_pack, load_pack, normalize};

fn builtin_pack_dirs() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("packs");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("pack.toml").is_file())
        .collect();
    dirs.sort();
    dirs
}

#[test]
fn every_builtin_pack_loads_and_validates() {
    let dirs = builtin_pack_dirs();
    assert!(dirs.len() >= 3, "built-in packs: {dirs:?}");
    let mut ids = HashSet::new();
    for dir in dirs {
        let pack = load_pack(&dir, &Limits::default())
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        let m = &pack.manifest;
        assert!(ids.insert(m.id.clone()), "duplicate pack id {}", m.id);
        assert!(
            pack.documents.len() >= 12,
            "{}: {} documents",
            m.id,
            pack.documents.len()
        );
        assert!(m.rules.len() >= 15, "{}: {} rules", m.id, m.rules.len());
        assert!(!m.stages.is_empty(), "{}: no stages", m.id);
        for kind in [RuleKind::Forbidden, RuleKind::Required, RuleKind::Objection] {
            assert!(
                m.rules.iter().any(|r| r.kind == kind),
                "{}: no {kind:?} rule",
                m.id
            );
        }
        for rule in &m.rules {
            for phrase in &rule.phrases {
                assert_eq!(
                    normalize(phrase),
                    normalize(&normalize(phrase)),
                    "idempotent"
                );
            }
        }
        let chunks = chunk_pack(&pack, &ChunkConfig::default());
        assert!(
            chunks.len() >= pack.documents.len(),
            "{}: {} chunks",
            m.id,
            chunks.len()
        );
        let unique: HashSet<&str> = chunks.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(unique.len(), chunks.len(), "{}: chunk ids collide", m.id);
        assert!(chunks.iter().all(|c| c.text.chars().count() <= 500 + 150));
        let docs_with_chunks: HashSet<&str> = chunks.iter().map(|c| c.doc_path.as_str()).collect();
        assert_eq!(
            docs_with_chunks.len(),
            pack.documents.len(),
            "{}: a document has no chunk",
            m.id
        );
    }
}
