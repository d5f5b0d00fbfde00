//! Reads the bytes of a pack (a directory, a `.tar.gz` or a `.zip`, told apart by magic
//! bytes) into an in-memory map of relative path -> contents, under `Limits`.
//!
//! Every reader applies the same guards while streaming: safe relative paths only, regular
//! files only (no symlinks or hard links), and limits on entries, per-file size, total size and
//! compression ratio that never trust a declared size. Hidden entries (`.git/`, `.DS_Store`) and
//! `__MACOSX/` are skipped. An archive whose only top-level entry is a directory holding
//! `pack.toml` is unwrapped, as `tar czf pack.tar.gz my-pack/` produces.

mod dir;
mod guard;
mod limits;
mod targz;
mod zip;

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

pub use limits::Limits;

pub(crate) use guard::{EntryPath, clean_entry_path};

use crate::error::ArchiveError;

/// The manifest's file name at the pack root.
pub const MANIFEST_FILE: &str = "pack.toml";

/// The files of a pack, keyed by normalised relative path (`/`-separated, no `.` or `..`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PackFiles {
    files: BTreeMap<String, Vec<u8>>,
}

impl PackFiles {
    /// The contents of `path`, if the pack has that file.
    pub fn get(&self, path: &str) -> Option<&[u8]> {
        self.files.get(path).map(Vec::as_slice)
    }

    /// All file paths, sorted.
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.files.keys().map(String::as_str)
    }

    /// Number of files.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// Whether the pack has no files at all.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// Sum of all file sizes in bytes.
    pub fn total_bytes(&self) -> u64 {
        self.files.values().map(|v| v.len() as u64).sum()
    }

    /// Adds a file; a second file at the same path is an error.
    pub(crate) fn insert(&mut self, path: String, bytes: Vec<u8>) -> Result<(), ArchiveError> {
        if self.files.contains_key(&path) {
            return Err(ArchiveError::DuplicateEntry { entry: path });
        }
        self.files.insert(path, bytes);
        Ok(())
    }

    /// Unwraps a single top-level directory that holds `pack.toml` while the root does not.
    fn unwrap_single_top_dir(self) -> Self {
        if self.files.contains_key(MANIFEST_FILE) {
            return self;
        }
        let mut tops = self
            .files
            .keys()
            .map(|p| p.split_once('/').map(|(top, _)| top));
        let Some(Some(top)) = tops.next() else {
            return self;
        };
        let top = top.to_owned();
        let single = tops.all(|t| t == Some(top.as_str()));
        let prefix = format!("{top}/");
        if !single || !self.files.contains_key(&format!("{prefix}{MANIFEST_FILE}")) {
            return self;
        }
        let files = self
            .files
            .into_iter()
            .map(|(path, bytes)| (path[prefix.len()..].to_owned(), bytes))
            .collect();
        Self { files }
    }
}

/// Reads a pack from a directory or an archive file on disk.
pub fn read_pack_files(source: &Path, limits: &Limits) -> Result<PackFiles, ArchiveError> {
    let io_err = |e| ArchiveError::Io {
        path: source.to_owned(),
        source: e,
    };
    let meta = std::fs::metadata(source).map_err(io_err)?;
    if meta.is_dir() {
        return dir::read_dir(source, limits).map(PackFiles::unwrap_single_top_dir);
    }
    let limit = limits.max_archive_bytes;
    if meta.len() > limit {
        return Err(ArchiveError::ArchiveTooLarge {
            size: meta.len(),
            limit,
        });
    }
    let mut bytes = Vec::new();
    std::fs::File::open(source)
        .and_then(|f| f.take(limit.saturating_add(1)).read_to_end(&mut bytes))
        .map_err(io_err)?;
    read_pack_bytes(&bytes, limits)
}

/// Reads a pack from archive bytes (`.tar.gz` or `.zip`), e.g. as uploaded over the network.
pub fn read_pack_bytes(bytes: &[u8], limits: &Limits) -> Result<PackFiles, ArchiveError> {
    let size = bytes.len() as u64;
    if size > limits.max_archive_bytes {
        return Err(ArchiveError::ArchiveTooLarge {
            size,
            limit: limits.max_archive_bytes,
        });
    }
    let files = match Format::detect(bytes) {
        Some(Format::TarGz) => targz::read_tar_gz(bytes, limits)?,
        Some(Format::Zip) => zip::read_zip(bytes, limits)?,
        None => {
            let magic = bytes
                .iter()
                .take(4)
                .map(|b| format!("{b:02x}"))
                .collect::<Vec<_>>();
            return Err(ArchiveError::UnknownFormat {
                magic: magic.join(" "),
            });
        }
    };
    Ok(files.unwrap_single_top_dir())
}

/// Archive container formats, recognised by their first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    TarGz,
    Zip,
}

impl Format {
    fn detect(bytes: &[u8]) -> Option<Self> {
        match bytes {
            [0x1f, 0x8b, ..] => Some(Self::TarGz),
            [b'P', b'K', 3, 4, ..] | [b'P', b'K', 5, 6, ..] | [b'P', b'K', 7, 8, ..] => {
                Some(Self::Zip)
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(paths: &[&str]) -> PackFiles {
        let mut f = PackFiles::default();
        for p in paths {
            f.insert((*p).to_owned(), b"x".to_vec()).unwrap();
        }
        f
    }

    #[test]
    fn unwraps_single_top_dir_with_manifest() {
        let f = files(&["my-pack/pack.toml", "my-pack/docs/a.md"]).unwrap_single_top_dir();
        assert_eq!(f.paths().collect::<Vec<_>>(), ["docs/a.md", "pack.toml"]);
    }

    #[test]
    fn keeps_layout_when_not_a_single_wrapper() {
        let two = files(&["a/pack.toml", "b/x.md"]).unwrap_single_top_dir();
        assert!(two.get("a/pack.toml").is_some());
        let root_file = files(&["a/pack.toml", "readme.md"]).unwrap_single_top_dir();
        assert!(root_file.get("a/pack.toml").is_some());
        let no_manifest = files(&["a/x.md"]).unwrap_single_top_dir();
        assert!(no_manifest.get("a/x.md").is_some());
    }

    #[test]
    fn detects_by_magic_not_extension() {
        assert_eq!(Format::detect(&[0x1f, 0x8b, 8, 0]), Some(Format::TarGz));
        assert_eq!(Format::detect(b"PK\x03\x04rest"), Some(Format::Zip));
        assert_eq!(Format::detect(b"id = \"x\""), None);
        let err = read_pack_bytes(b"hello", &Limits::default()).unwrap_err();
        assert!(matches!(err, ArchiveError::UnknownFormat { .. }), "{err}");
    }

    #[test]
    fn duplicate_paths_are_rejected() {
        let mut f = files(&["a.md"]);
        let err = f.insert("a.md".into(), vec![]).unwrap_err();
        assert!(matches!(err, ArchiveError::DuplicateEntry { .. }));
    }
}
