//! Fuzz target `pack_archive`: everything an uploaded knowledge pack's bytes go through before
//! anything is stored (`Knowledge::upload`): `load_pack_bytes` (magic-byte detection, the
//! `.tar.gz` and `.zip` readers with their path, entry-type and size/ratio guards, unwrapping
//! of a single top folder, `pack.toml` parsing with located errors, validation, document
//! selection and UTF-8 decoding), then `chunk_pack` and the embedding texts, and the rule
//! compilation a call does later from the stored rules (`PhraseMatcher::compile`, `find`).
//!
//! Byte 0: bits 0-1 choose how the rest becomes an archive: 0 = the rest IS the archive (raw
//! bytes, for the container formats themselves); 1 = entries in the `parse_files` layout
//! written as a `.tar.gz` (headers filled byte by byte, so unsafe names, links, devices and
//! extension headers reach the reader); 2 = those entries as a stored `.zip`; 3 = as a
//! deflated `.zip`. Layouts 1-3 let the fuzzer edit `pack.toml` and documents directly, which
//! checksums would otherwise stop. Bit 2 selects small `Limits` (so the entry, size and ratio
//! caps are reachable with small inputs) instead of the defaults.
//!
//! Checked: no panic; each chunk's `text` is exactly its `char_range` of the document and ids
//! are unique; rule hits lie on character boundaries of the text and `matched` is that slice.
#![no_main]

use std::collections::HashSet;

use callassist_fuzz::{build_tar_gz, build_zip, parse_files};
use callassist_knowledge::rules::PhraseMatcher;
use callassist_knowledge::{ChunkConfig, Limits, chunk_pack, load_pack_bytes};
use libfuzzer_sys::fuzz_target;

/// Text each document contributes to the rule matcher (keeps an exec fast).
const MATCH_BYTES: usize = 4096;

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let archive = match flags & 3 {
        0 => rest.to_vec(),
        1 => match build_tar_gz(&parse_files(rest), 1) {
            Ok(a) => a,
            Err(_) => return,
        },
        mode => match build_zip(&parse_files(rest), mode == 3) {
            Ok(a) => a,
            Err(_) => return,
        },
    };
    let limits = if flags & 4 != 0 {
        const KIB: u64 = 1024;
        Limits {
            max_archive_bytes: 512 * KIB,
            max_entries: 32,
            max_file_bytes: 32 * KIB,
            max_total_bytes: 128 * KIB,
            max_ratio: 20,
            ratio_min_bytes: 8 * KIB,
        }
    } else {
        Limits::default()
    };
    let loaded = load_pack_bytes(&archive, &limits);
    if debug() {
        match &loaded {
            Ok(p) => eprintln!(
                "loaded {} with {} documents",
                p.manifest.id,
                p.documents.len()
            ),
            Err(e) => eprintln!("refused: {e}"),
        }
    }
    let Ok(pack) = loaded else {
        return;
    };

    let chunks = chunk_pack(&pack, &ChunkConfig::default());
    let mut ids = HashSet::new();
    for chunk in &chunks {
        assert!(
            ids.insert(chunk.id.as_str()),
            "duplicate chunk id {}",
            chunk.id
        );
        let doc = pack
            .documents
            .iter()
            .find(|d| d.path == chunk.doc_path)
            .expect("a chunk's document is in the pack");
        let range = chunk.char_range.clone();
        let slice: String = doc
            .text
            .chars()
            .skip(range.start)
            .take(range.end - range.start)
            .collect();
        assert_eq!(slice, chunk.text, "char_range {range:?} of {}", doc.path);
        let _ = chunk.embedding_text();
    }

    let Ok(matcher) = PhraseMatcher::compile(&pack.manifest.rules, &pack.manifest.stages) else {
        return;
    };
    for doc in &pack.documents {
        let mut end = doc.text.len().min(MATCH_BYTES);
        while !doc.text.is_char_boundary(end) {
            end -= 1;
        }
        let text = &doc.text[..end];
        for hit in matcher.find(text) {
            let said = text.get(hit.span.clone());
            assert_eq!(said, Some(hit.matched.as_str()), "hit {hit:?}");
        }
    }
});

/// Whether `CALLASSIST_FUZZ_DEBUG` is set: then each input's outcome is printed.
fn debug() -> bool {
    static DEBUG: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *DEBUG.get_or_init(|| std::env::var_os("CALLASSIST_FUZZ_DEBUG").is_some())
}
