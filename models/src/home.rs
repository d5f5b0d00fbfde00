//! Where the model cache lives (`ModelHome`) and the layout inside it.
//!
//! Layout: `<root>/<asset-name>/` holds an asset's final files and, written last, the
//! `.complete` marker; `<root>/.locks/<asset-name>.lock` serialises work on one asset across
//! threads and processes; `<root>/.tmp-<asset-name>-*` are staging directories (same file
//! system as the final directory, so the final move is an atomic rename).

use std::path::{Path, PathBuf};

/// Name of the marker file written last into a finished asset directory.
pub const COMPLETE_MARKER: &str = ".complete";

/// Root directory of the model cache.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModelHome {
    root: PathBuf,
}

impl ModelHome {
    /// `$CALLASSIST_HOME` if set, else `$XDG_CACHE_HOME/callassist`, else
    /// `~/.cache/callassist` (empty variables count as unset; with no `$HOME` either, a
    /// `.callassist-cache` directory under the current directory).
    pub fn from_env() -> Self {
        let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
        let root = if let Some(home) = var("CALLASSIST_HOME") {
            PathBuf::from(home)
        } else if let Some(cache) = var("XDG_CACHE_HOME") {
            PathBuf::from(cache).join("callassist")
        } else if let Some(home) = var("HOME") {
            PathBuf::from(home).join(".cache").join("callassist")
        } else {
            PathBuf::from(".callassist-cache")
        };
        Self { root }
    }

    /// A cache rooted at `root`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// The cache root.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Final directory of the asset called `name`.
    pub fn asset_dir(&self, name: &str) -> PathBuf {
        self.root.join(name)
    }

    /// Lock file guarding the asset called `name`.
    pub(crate) fn lock_path(&self, name: &str) -> PathBuf {
        self.root.join(".locks").join(format!("{name}.lock"))
    }

    /// Prefix of staging directories for the asset called `name`.
    pub(crate) fn staging_prefix(name: &str) -> String {
        format!(".tmp-{name}-")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_is_under_root() {
        let home = ModelHome::new("/x");
        assert_eq!(home.root(), Path::new("/x"));
        assert_eq!(home.asset_dir("audio-jfk"), Path::new("/x/audio-jfk"));
        assert_eq!(
            home.lock_path("audio-jfk"),
            Path::new("/x/.locks/audio-jfk.lock")
        );
    }
}
