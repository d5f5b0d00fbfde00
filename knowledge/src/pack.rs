//! Loading a whole pack: read its files (directory or archive), parse and validate
//! `pack.toml`, then load its documents. All manifest and document problems are reported
//! together, each with file, line and field.

use std::path::Path;

use crate::archive::{Limits, MANIFEST_FILE, PackFiles, read_pack_bytes, read_pack_files};
use crate::documents::{Document, load_documents};
use crate::error::{Issue, PackError};
use crate::manifest::Manifest;
use crate::source::SourceMap;
use crate::validate::validate;

/// A parsed, validated pack with its documents' text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadedPack {
    pub manifest: Manifest,
    /// In `[[documents]]` order, or sorted by path when loaded from `docs/` by default.
    pub documents: Vec<Document>,
}

/// Loads a pack from a directory, a `.tar.gz` or a `.zip` on disk.
pub fn load_pack(source: &Path, limits: &Limits) -> Result<LoadedPack, PackError> {
    parse_pack(&read_pack_files(source, limits)?)
}

/// Loads a pack from archive bytes (`.tar.gz` or `.zip`), e.g. as uploaded over gRPC.
pub fn load_pack_bytes(bytes: &[u8], limits: &Limits) -> Result<LoadedPack, PackError> {
    parse_pack(&read_pack_bytes(bytes, limits)?)
}

/// Parses and validates a pack whose files are already in memory.
pub fn parse_pack(files: &PackFiles) -> Result<LoadedPack, PackError> {
    let bytes = files.get(MANIFEST_FILE).ok_or(PackError::MissingManifest)?;
    let text = std::str::from_utf8(bytes).map_err(|e| {
        PackError::Manifest(Issue {
            file: MANIFEST_FILE.to_owned(),
            line: None,
            column: None,
            field: None,
            message: format!("not valid UTF-8 (byte offset {})", e.valid_up_to()),
        })
    })?;
    let (manifest, map) = parse_with_map(text)?;
    let mut issues = validate(&manifest, &map);
    let documents = load_documents(&manifest, files, &map, &mut issues);
    if issues.is_empty() {
        Ok(LoadedPack {
            manifest,
            documents,
        })
    } else {
        // pack.toml first, in line order; then document files.
        issues.sort_by(|a, b| {
            let rank = |i: &Issue| (i.file != MANIFEST_FILE, i.file.clone(), i.line);
            rank(a).cmp(&rank(b))
        });
        Err(PackError::Invalid(issues))
    }
}

/// Parses `pack.toml` text against the schema (no semantic checks).
pub fn parse_manifest(text: &str) -> Result<Manifest, PackError> {
    parse_with_map(text).map(|(manifest, _)| manifest)
}

fn parse_with_map(text: &str) -> Result<(Manifest, SourceMap<'_>), PackError> {
    let (map, errors) = SourceMap::new(MANIFEST_FILE, text);
    if let Some(e) = errors.first() {
        return Err(PackError::Manifest(
            map.issue_at_span(e.span(), e.message()),
        ));
    }
    match toml::from_str(text) {
        Ok(manifest) => Ok((manifest, map)),
        Err(e) => Err(PackError::Manifest(
            map.issue_at_span(e.span(), e.message()),
        )),
    }
}
