//! Error types: `PackError` for a pack as a whole, `ArchiveError` for reading its bytes, and
//! `Issue`, one located problem (file, line, column, field) in a pack's manifest or documents.

use std::fmt;
use std::path::PathBuf;

/// One problem found in a pack, located as precisely as the source allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    /// Path inside the pack, e.g. `pack.toml` or `docs/en/faq.md`.
    pub file: String,
    /// 1-based line, when the problem has a place in the file.
    pub line: Option<usize>,
    /// 1-based column (in characters), when known.
    pub column: Option<usize>,
    /// Dotted field path, e.g. `rules[2].phrases` (0-based indices), when the problem is a field.
    pub field: Option<String>,
    /// What is wrong, in words.
    pub message: String,
}

impl fmt::Display for Issue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        if let Some(field) = &self.field {
            write!(f, ": field `{field}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Why a pack could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PackError {
    /// The bytes could not be read as a pack directory or archive.
    #[error(transparent)]
    Archive(#[from] ArchiveError),
    /// There is no `pack.toml` at the pack root (nor under a single top-level directory).
    #[error("no pack.toml at the root of the pack")]
    MissingManifest,
    /// `pack.toml` is not valid TOML, or does not fit the schema (unknown field, wrong type,
    /// unknown enum value, missing required field).
    #[error("invalid pack manifest: {0}")]
    Manifest(Issue),
    /// The manifest parsed but breaks a rule of the format, or a document is unusable. Every
    /// problem found is listed, in file order.
    #[error("invalid pack: {}", join(.0))]
    Invalid(Vec<Issue>),
}

impl PackError {
    /// All located issues this error carries (none for archive errors and a missing manifest).
    pub fn issues(&self) -> &[Issue] {
        match self {
            Self::Manifest(issue) => std::slice::from_ref(issue),
            Self::Invalid(issues) => issues,
            Self::Archive(_) | Self::MissingManifest => &[],
        }
    }
}

fn join(issues: &[Issue]) -> String {
    let parts: Vec<String> = issues.iter().map(ToString::to_string).collect();
    parts.join("; ")
}

/// Why the bytes of a pack (directory, `.tar.gz` or `.zip`) were refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ArchiveError {
    /// Reading the source from disk failed.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The bytes are neither gzip (tar.gz) nor zip.
    #[error("not a pack archive: expected a .tar.gz or .zip (first bytes: {magic})")]
    UnknownFormat { magic: String },
    /// The archive itself (compressed) is over `Limits::max_archive_bytes`.
    #[error("archive is {size} bytes, over the limit of {limit} bytes")]
    ArchiveTooLarge { size: u64, limit: u64 },
    /// An entry name that could escape the pack root or is not a plain relative path.
    #[error("entry `{entry}`: unsafe path: {reason}")]
    UnsafePath { entry: String, reason: &'static str },
    /// Symlinks, hard links, devices and the like: only files and directories are allowed.
    #[error("entry `{entry}`: {kind} entries are not allowed (only regular files and directories)")]
    UnsupportedEntry { entry: String, kind: &'static str },
    /// More entries than `Limits::max_entries`.
    #[error("more than {limit} entries")]
    TooManyEntries { limit: usize },
    /// One file is (or declares itself, or grew while reading to be) over `Limits::max_file_bytes`.
    #[error("entry `{entry}`: at least {size} bytes, over the per-file limit of {limit} bytes")]
    FileTooLarge {
        entry: String,
        size: u64,
        limit: u64,
    },
    /// The files together expand past `Limits::max_total_bytes`.
    #[error("entry `{entry}`: pack expands past the total limit of {limit} bytes")]
    TotalTooLarge { entry: String, limit: u64 },
    /// Decompression ratio over `Limits::max_ratio` on more than `Limits::ratio_min_bytes`.
    #[error("entry `{entry}`: expands more than {limit}:1 (compression bomb?)")]
    CompressionBomb { entry: String, limit: u64 },
    /// Two entries with the same normalised path.
    #[error("entry `{entry}` appears more than once")]
    DuplicateEntry { entry: String },
    /// The container is damaged or uses a feature not supported (encryption, unknown method).
    #[error("corrupt or unsupported {format} archive: {message}")]
    Corrupt {
        format: &'static str,
        message: String,
    },
}
