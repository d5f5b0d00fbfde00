//! Reads a `.zip` pack. Sizes in the central directory are only used to refuse early; each
//! entry is decompressed through the shared `Budget`, so an entry that lies about its size is
//! still stopped at the per-file, total or ratio limit.

use std::io::Cursor;

use zip::ZipArchive;

use super::guard::{Budget, EntryPath, clean_entry_path};
use super::{Limits, PackFiles};
use crate::error::ArchiveError;

const FORMAT: &str = "zip";

/// Reads all files of a zip archive.
pub(crate) fn read_zip(bytes: &[u8], limits: &Limits) -> Result<PackFiles, ArchiveError> {
    let corrupt = |message: String| ArchiveError::Corrupt {
        format: FORMAT,
        message,
    };
    let mut archive = ZipArchive::new(Cursor::new(bytes)).map_err(|e| corrupt(e.to_string()))?;
    if archive.len() > limits.max_entries {
        return Err(ArchiveError::TooManyEntries {
            limit: limits.max_entries,
        });
    }
    let mut budget = Budget::new(limits);
    let mut files = PackFiles::default();
    for index in 0..archive.len() {
        budget.count_entry()?;
        let mut file = archive
            .by_index(index)
            .map_err(|e| corrupt(format!("entry {index}: {e}")))?;
        let name = file
            .name()
            .map_err(|e| corrupt(format!("entry {index}: {e}")))?
            .into_owned();
        let EntryPath::Keep(path) = clean_entry_path(&name)? else {
            continue;
        };
        if file.is_symlink() {
            return Err(ArchiveError::UnsupportedEntry {
                entry: name,
                kind: "symlink",
            });
        }
        if file.is_dir() {
            continue;
        }
        let (declared, compressed) = (file.size(), file.compressed_size());
        let bytes = budget.read_file(&path, &mut file, declared, Some(compressed), FORMAT)?;
        files.insert(path, bytes)?;
    }
    Ok(files)
}
