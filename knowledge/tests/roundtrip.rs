//! A valid pack loads identically from a directory, a `.tar.gz` and a `.zip`, with or without
//! a wrapping top-level folder; default document discovery and chunking work on the result.

mod common;

use callassist_knowledge::{
    ChunkConfig, DocumentKind, Limits, RuleKind, Severity, Speaker, chunk_pack, load_pack,
    load_pack_bytes,
};
use common::*;

#[test]
fn dir_tar_gz_and_zip_load_identically() {
    let files = valid_pack();
    let limits = Limits::default();
    let tmp = tempfile::tempdir().unwrap();
    write_dir(&tmp.path().join("pack"), &files);
    let from_dir = load_pack(&tmp.path().join("pack"), &limits).unwrap();

    let from_tgz = load_pack_bytes(&tar_gz(&files), &limits).unwrap();
    let from_zip = load_pack_bytes(&zip(&files), &limits).unwrap();
    assert_eq!(from_dir, from_tgz);
    assert_eq!(from_dir, from_zip);

    // From files on disk, detected by magic bytes even with a misleading extension.
    std::fs::write(tmp.path().join("pack.zip"), tar_gz(&files)).unwrap();
    std::fs::write(tmp.path().join("pack.bin"), zip(&files)).unwrap();
    assert_eq!(
        load_pack(&tmp.path().join("pack.zip"), &limits).unwrap(),
        from_dir
    );
    assert_eq!(
        load_pack(&tmp.path().join("pack.bin"), &limits).unwrap(),
        from_dir
    );

    let m = &from_dir.manifest;
    assert_eq!(
        (m.id.as_str(), m.version.as_str()),
        ("acme-medical", "2026.12.1")
    );
    assert_eq!(m.stages.len(), 2);
    assert_eq!(m.rules.len(), 4);
    let budget = &m.rules[2];
    assert_eq!(
        (budget.kind, budget.speaker, budget.min_choices),
        (RuleKind::Objection, Speaker::Customer, Some(1))
    );
    assert_eq!(m.rules[0].severity, Severity::High);
    assert_eq!(m.rules[3].speaker, Speaker::Any, "speaker defaults to any");
    assert_eq!(
        m.rules[3].severity,
        Severity::Medium,
        "severity defaults to medium"
    );
    let docs: Vec<(&str, DocumentKind)> = from_dir
        .documents
        .iter()
        .map(|d| (d.path.as_str(), d.kind))
        .collect();
    assert_eq!(
        docs,
        [
            ("docs/manual.md", DocumentKind::Product),
            ("docs/zh/案例.md", DocumentKind::Case)
        ]
    );
    assert_eq!(from_dir.documents[1].text, CASE_MD);
}

#[test]
fn single_wrapping_folder_is_accepted() {
    let files = valid_pack();
    let wrapped = under("acme-medical-2026", &files);
    let limits = Limits::default();
    let plain = load_pack_bytes(&zip(&files), &limits).unwrap();
    assert_eq!(load_pack_bytes(&tar_gz(&wrapped), &limits).unwrap(), plain);
    assert_eq!(load_pack_bytes(&zip(&wrapped), &limits).unwrap(), plain);
    let tmp = tempfile::tempdir().unwrap();
    write_dir(tmp.path(), &wrapped);
    assert_eq!(load_pack(tmp.path(), &limits).unwrap(), plain);
}

#[test]
fn without_documents_every_md_and_txt_under_docs_loads_with_inferred_kind() {
    let manifest = VALID_MANIFEST
        .split("[[documents]]")
        .next()
        .unwrap()
        .to_owned()
        + &VALID_MANIFEST[VALID_MANIFEST.find("[[stages]]").unwrap()..];
    let mut files = pack_with(&manifest);
    files.push(("docs/en/call-script.md".into(), b"Opening line.".to_vec()));
    files.push(("docs/faq.txt".into(), b"Q. A.".to_vec()));
    files.push(("docs/image.png".into(), vec![0x89, b'P', b'N', b'G']));
    files.push(("notes.md".into(), b"outside docs/".to_vec()));
    let pack = load_pack_bytes(&zip(&files), &Limits::default()).unwrap();
    assert!(pack.manifest.documents.is_none());
    let docs: Vec<(&str, DocumentKind)> = pack
        .documents
        .iter()
        .map(|d| (d.path.as_str(), d.kind))
        .collect();
    assert_eq!(
        docs,
        [
            ("docs/en/call-script.md", DocumentKind::Script),
            ("docs/faq.txt", DocumentKind::Faq),
            ("docs/manual.md", DocumentKind::Product),
            ("docs/zh/案例.md", DocumentKind::Case),
        ]
    );
}

#[test]
fn chunks_of_a_loaded_pack_carry_pack_doc_and_headings() {
    let pack = load_pack_bytes(&tar_gz(&valid_pack()), &Limits::default()).unwrap();
    let chunks = chunk_pack(&pack, &ChunkConfig::default());
    let summary: Vec<(&str, String)> = chunks
        .iter()
        .map(|c| (c.id.as_str(), c.heading_path()))
        .collect();
    assert_eq!(
        summary,
        [
            (
                "acme-medical@2026.12.1:docs/manual.md#0",
                "Manual".to_owned()
            ),
            (
                "acme-medical@2026.12.1:docs/manual.md#1",
                "Manual > Pricing".to_owned()
            ),
            (
                "acme-medical@2026.12.1:docs/zh/案例.md#0",
                "案例 > 江滨医院".to_owned()
            ),
        ]
    );
    assert_eq!(chunks[2].kind, DocumentKind::Case);
    assert_eq!(chunks[2].text, "一年内不良事件下降63%。效果取决于流程。");
}
