//! Shared fixtures for the knowledge crate's integration tests: a small valid pack, and
//! builders that write a file list as a directory, a `.tar.gz` or a `.zip`.
#![allow(dead_code)]

pub mod embed;

use std::io::{Cursor, Write};
use std::path::Path;

use callassist_knowledge::{Issue, PackError};
use flate2::Compression;
use flate2::write::GzEncoder;
use zip::write::SimpleFileOptions;

/// A file of a test pack: path and contents.
pub type Files = Vec<(String, Vec<u8>)>;

pub const VALID_MANIFEST: &str = r#"id = "acme-medical"
name = "ACME Medical Devices"
version = "2026.12.1"
languages = ["zh", "en"]
industry = "medical"

[[documents]]
path = "docs/manual.md"
kind = "product"

[[documents]]
path = "docs/zh/案例.md"
kind = "case"

[[stages]]
id = "discovery"
name = "Needs discovery"
signals = ["what are you using today", "你们现在用的是"]

[[stages]]
id = "proposal"
name = "Proposal"
signals = ["send you a quote", "报价单"]

[[rules]]
id = "no-outcome-guarantee"
kind = "forbidden"
speaker = "agent"
phrases = ["guaranteed cure", "保证治愈"]
severity = "high"
message = "Never promise clinical outcomes."
suggest = ["Our trial showed 87% improvement; results vary by patient."]

[[rules]]
id = "recording-disclosure"
kind = "required"
speaker = "agent"
phrases = ["this call is recorded", "本次通话将被录音"]
within_s = 60
message = "Tell the customer the call is recorded."

[[rules]]
id = "budget"
kind = "objection"
speaker = "customer"
phrases = ["over our budget", "预算不足"]
message = "Budget objection"
suggest = ["Leasing plan", "Starter bundle", "Phased rollout"]
min_choices = 1

[[rules]]
id = "frustrated"
kind = "emotion"
emotion = "frustrated"
message = "Acknowledge, then offer a concrete next step."
"#;

pub const MANUAL_MD: &str = "# Manual\nThe VW-T1 monitor tracks SpO2. It is not MR-conditional.\n\
## Pricing\nList price is 12,000 USD. Leasing is available.\n";
pub const CASE_MD: &str = "# 案例\n## 江滨医院\n一年内不良事件下降63%。效果取决于流程。\n";

/// The valid pack's files, manifest replaced by `manifest`.
pub fn pack_with(manifest: &str) -> Files {
    vec![
        ("pack.toml".into(), manifest.as_bytes().to_vec()),
        ("docs/manual.md".into(), MANUAL_MD.as_bytes().to_vec()),
        ("docs/zh/案例.md".into(), CASE_MD.as_bytes().to_vec()),
    ]
}

pub fn valid_pack() -> Files {
    pack_with(VALID_MANIFEST)
}

/// Each file under `prefix/` (empty prefix: as is).
pub fn under(prefix: &str, files: &Files) -> Files {
    files
        .iter()
        .map(|(p, b)| (format!("{prefix}/{p}"), b.clone()))
        .collect()
}

pub fn write_dir(root: &Path, files: &Files) {
    for (path, bytes) in files {
        let full = root.join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, bytes).unwrap();
    }
}

pub fn tar_gz(files: &Files) -> Vec<u8> {
    let mut builder = tar::Builder::new(GzEncoder::new(Vec::new(), Compression::default()));
    for (path, bytes) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        builder
            .append_data(&mut header, path, bytes.as_slice())
            .unwrap();
    }
    builder.into_inner().unwrap().finish().unwrap()
}

pub fn deflated() -> SimpleFileOptions {
    SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated)
}

pub fn zip(files: &Files) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (path, bytes) in files {
        writer.start_file(path.as_str(), deflated()).unwrap();
        writer.write_all(bytes).unwrap();
    }
    writer.finish().unwrap().into_inner()
}

/// The single issue a pack error carries (panics on anything else).
pub fn only_issue(err: &PackError) -> &Issue {
    match err.issues() {
        [issue] => issue,
        other => panic!("expected one issue, got {other:?} from {err}"),
    }
}
