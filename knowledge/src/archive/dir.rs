//! Reads a pack from a directory on disk: regular files only (a symlink is refused, so nothing
//! outside the directory can be pulled in), under the same `Limits` as archives.

use std::fs;
use std::path::Path;

use super::guard::{Budget, EntryPath, clean_entry_path};
use super::{Limits, PackFiles};
use crate::error::ArchiveError;

/// Reads every file under `root` into a `PackFiles`.
pub(crate) fn read_dir(root: &Path, limits: &Limits) -> Result<PackFiles, ArchiveError> {
    let mut files = PackFiles::default();
    let mut budget = Budget::new(limits);
    walk(root, "", &mut budget, &mut files)?;
    Ok(files)
}

fn walk(
    dir: &Path,
    prefix: &str,
    budget: &mut Budget<'_>,
    files: &mut PackFiles,
) -> Result<(), ArchiveError> {
    let io_err = |path: &Path| {
        let path = path.to_owned();
        move |source| ArchiveError::Io { path, source }
    };
    let mut entries = fs::read_dir(dir)
        .map_err(io_err(dir))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(io_err(dir))?;
    entries.sort_by_key(fs::DirEntry::file_name);
    for entry in entries {
        budget.count_entry()?;
        let path = entry.path();
        let name = entry.file_name();
        let Some(name) = name.to_str() else {
            let entry = format!("{prefix}{}", name.to_string_lossy());
            return Err(ArchiveError::UnsafePath {
                entry,
                reason: "name is not valid UTF-8",
            });
        };
        let rel = format!("{prefix}{name}");
        let EntryPath::Keep(rel) = clean_entry_path(&rel)? else {
            continue;
        };
        let meta = fs::symlink_metadata(&path).map_err(io_err(&path))?;
        let kind = meta.file_type();
        if kind.is_symlink() {
            return Err(ArchiveError::UnsupportedEntry {
                entry: rel,
                kind: "symlink",
            });
        } else if kind.is_dir() {
            walk(&path, &format!("{rel}/"), budget, files)?;
        } else if kind.is_file() {
            let file = fs::File::open(&path).map_err(io_err(&path))?;
            let bytes = budget.read_file(&rel, file, meta.len(), None, "directory")?;
            files.insert(rel, bytes)?;
        } else {
            return Err(ArchiveError::UnsupportedEntry {
                entry: rel,
                kind: "special file",
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_nested_files_and_skips_hidden() {
        let tmp = tempfile::tempdir().unwrap();
        fs::create_dir_all(tmp.path().join("docs/zh")).unwrap();
        fs::create_dir_all(tmp.path().join(".git")).unwrap();
        fs::write(tmp.path().join("pack.toml"), "id = 'x'").unwrap();
        fs::write(tmp.path().join("docs/zh/a.md"), "你好").unwrap();
        fs::write(tmp.path().join(".git/HEAD"), "ref").unwrap();
        let files = read_dir(tmp.path(), &Limits::default()).unwrap();
        assert_eq!(
            files.paths().collect::<Vec<_>>(),
            ["docs/zh/a.md", "pack.toml"]
        );
        assert_eq!(files.get("docs/zh/a.md"), Some("你好".as_bytes()));
    }

    #[cfg(unix)]
    #[test]
    fn refuses_symlinks() {
        let tmp = tempfile::tempdir().unwrap();
        fs::write(tmp.path().join("pack.toml"), "").unwrap();
        std::os::unix::fs::symlink("/etc/passwd", tmp.path().join("leak.md")).unwrap();
        let err = read_dir(tmp.path(), &Limits::default()).unwrap_err();
        assert!(
            matches!(
                err,
                ArchiveError::UnsupportedEntry {
                    kind: "symlink",
                    ..
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn enforces_file_size_limit() {
        let tmp = tempfile::tempdir().unwrap();
        fs::write(tmp.path().join("big.md"), vec![b'a'; 2000]).unwrap();
        let limits = Limits {
            max_file_bytes: 1000,
            ..Limits::default()
        };
        let err = read_dir(tmp.path(), &limits).unwrap_err();
        assert!(matches!(err, ArchiveError::FileTooLarge { .. }), "{err}");
    }
}
