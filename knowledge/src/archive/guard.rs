//! The guards every pack reader shares: entry-name checks and a `Budget` that counts entries
//! and reads file contents in bounded steps, refusing as soon as a limit is crossed.

use std::io::Read;

use super::Limits;
use crate::error::ArchiveError;

/// Longest entry path accepted, in bytes.
const MAX_PATH_BYTES: usize = 1024;
/// Bytes read per step; limits are checked between steps.
const STEP: usize = 64 * 1024;

/// What to do with an entry, decided from its name alone.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum EntryPath {
    /// A normalised relative path (`a/b.md`) to load.
    Keep(String),
    /// A hidden or archiver-junk entry (`.git/…`, `.DS_Store`, `__MACOSX/…`), or the root itself.
    Skip,
}

/// Checks an entry name and normalises it: `/` separators (a `\` counts as one), no empty or
/// `.` components. Refuses absolute paths, drive prefixes, `..`, NUL and control characters.
pub(crate) fn clean_entry_path(raw: &str) -> Result<EntryPath, ArchiveError> {
    let unsafe_path = |reason| ArchiveError::UnsafePath {
        entry: raw.to_owned(),
        reason,
    };
    if raw.len() > MAX_PATH_BYTES {
        return Err(unsafe_path("path is too long"));
    }
    if raw.chars().any(char::is_control) {
        return Err(unsafe_path("path contains a control character"));
    }
    let unified = raw.replace('\\', "/");
    if unified.starts_with('/') {
        return Err(unsafe_path("absolute path"));
    }
    let mut parts = Vec::new();
    for (i, part) in unified.split('/').enumerate() {
        match part {
            "" | "." => {}
            ".." => return Err(unsafe_path("path climbs out of the pack with `..`")),
            _ if i == 0 && part.len() == 2 && part.ends_with(':') => {
                return Err(unsafe_path("path has a drive prefix"));
            }
            _ => parts.push(part),
        }
    }
    if parts.is_empty() || parts.iter().any(|p| p.starts_with('.') || *p == "__MACOSX") {
        return Ok(EntryPath::Skip);
    }
    Ok(EntryPath::Keep(parts.join("/")))
}

/// Counts entries and bytes against `Limits` across one pack.
pub(crate) struct Budget<'a> {
    limits: &'a Limits,
    entries: usize,
    total: u64,
}

impl<'a> Budget<'a> {
    pub(crate) fn new(limits: &'a Limits) -> Self {
        Self {
            limits,
            entries: 0,
            total: 0,
        }
    }

    /// Counts one more entry of any type.
    pub(crate) fn count_entry(&mut self) -> Result<(), ArchiveError> {
        self.entries += 1;
        if self.entries > self.limits.max_entries {
            return Err(ArchiveError::TooManyEntries {
                limit: self.limits.max_entries,
            });
        }
        Ok(())
    }

    /// Reads one file's contents in steps, enforcing the per-file, total and ratio limits on the
    /// bytes actually produced; `declared` only caps the initial allocation.
    pub(crate) fn read_file(
        &mut self,
        entry: &str,
        mut reader: impl Read,
        declared: u64,
        compressed: Option<u64>,
        format: &'static str,
    ) -> Result<Vec<u8>, ArchiveError> {
        self.check(entry, declared, compressed)?;
        let initial = declared.min(STEP as u64) as usize;
        let mut buf = Vec::with_capacity(initial);
        let mut step = vec![0u8; STEP];
        loop {
            let n = match reader.read(&mut step) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    let message = format!("entry `{entry}`: {e}");
                    return Err(ArchiveError::Corrupt { format, message });
                }
            };
            buf.extend_from_slice(&step[..n]);
            self.check(entry, buf.len() as u64, compressed)?;
        }
        self.total += buf.len() as u64;
        Ok(buf)
    }

    fn check(&self, entry: &str, size: u64, compressed: Option<u64>) -> Result<(), ArchiveError> {
        let l = self.limits;
        if size > l.max_file_bytes {
            let entry = entry.to_owned();
            return Err(ArchiveError::FileTooLarge {
                entry,
                size,
                limit: l.max_file_bytes,
            });
        }
        if self.total.saturating_add(size) > l.max_total_bytes {
            let entry = entry.to_owned();
            return Err(ArchiveError::TotalTooLarge {
                entry,
                limit: l.max_total_bytes,
            });
        }
        if let Some(compressed) = compressed {
            check_ratio(l, entry, size, compressed)?;
        }
        Ok(())
    }
}

/// Refuses `produced` bytes out of `consumed` compressed bytes past the ratio limit.
pub(crate) fn check_ratio(
    limits: &Limits,
    entry: &str,
    produced: u64,
    consumed: u64,
) -> Result<(), ArchiveError> {
    let allowed = consumed.max(1).saturating_mul(limits.max_ratio);
    if produced > limits.ratio_min_bytes && produced > allowed {
        let entry = entry.to_owned();
        return Err(ArchiveError::CompressionBomb {
            entry,
            limit: limits.max_ratio,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keep(raw: &str) -> String {
        match clean_entry_path(raw).unwrap() {
            EntryPath::Keep(p) => p,
            EntryPath::Skip => panic!("{raw} skipped"),
        }
    }

    fn reason(raw: &str) -> &'static str {
        match clean_entry_path(raw) {
            Err(ArchiveError::UnsafePath { reason, .. }) => reason,
            other => panic!("{raw}: {other:?}"),
        }
    }

    #[test]
    fn normalises_safe_paths() {
        assert_eq!(keep("docs/a.md"), "docs/a.md");
        assert_eq!(keep("./docs//a.md"), "docs/a.md");
        assert_eq!(keep("docs\\zh\\a.md"), "docs/zh/a.md");
        assert_eq!(keep("文档/价格.md"), "文档/价格.md");
    }

    #[test]
    fn refuses_escapes() {
        assert!(reason("../evil.md").contains(".."));
        assert!(reason("docs/../../evil.md").contains(".."));
        assert!(reason("..\\evil.md").contains(".."));
        assert_eq!(reason("/etc/passwd"), "absolute path");
        assert_eq!(reason("\\etc\\passwd"), "absolute path");
        assert_eq!(reason("C:/x.md"), "path has a drive prefix");
        assert!(reason("a\0b").contains("control"));
        assert!(reason(&"a/".repeat(600)).contains("long"));
    }

    #[test]
    fn skips_hidden_and_junk() {
        for raw in [
            "./",
            ".git/config",
            "docs/.DS_Store",
            "__MACOSX/docs/._a.md",
        ] {
            assert_eq!(clean_entry_path(raw).unwrap(), EntryPath::Skip, "{raw}");
        }
    }

    #[test]
    fn read_file_stops_at_the_per_file_limit_despite_a_small_declared_size() {
        let limits = Limits {
            max_file_bytes: 100_000,
            ..Limits::default()
        };
        let mut budget = Budget::new(&limits);
        let endless = std::io::repeat(b'a');
        let err = budget
            .read_file("x", endless, 10, None, "test")
            .unwrap_err();
        assert!(
            matches!(err, ArchiveError::FileTooLarge { size, .. } if size <= 100_000 + STEP as u64)
        );
    }

    #[test]
    fn total_limit_spans_files_and_entries_are_counted() {
        let limits = Limits {
            max_total_bytes: 15,
            max_entries: 2,
            ..Limits::default()
        };
        let mut budget = Budget::new(&limits);
        budget.count_entry().unwrap();
        budget
            .read_file("a", &b"0123456789"[..], 10, None, "test")
            .unwrap();
        let err = budget
            .read_file("b", &b"0123456789"[..], 3, None, "test")
            .unwrap_err();
        assert!(matches!(err, ArchiveError::TotalTooLarge { .. }), "{err}");
        budget.count_entry().unwrap();
        assert!(matches!(
            budget.count_entry(),
            Err(ArchiveError::TooManyEntries { limit: 2 })
        ));
    }

    #[test]
    fn ratio_applies_only_above_the_threshold() {
        let l = Limits::default();
        assert!(check_ratio(&l, "x", l.ratio_min_bytes, 1).is_ok());
        assert!(check_ratio(&l, "x", l.ratio_min_bytes + 1, 1).is_err());
        assert!(check_ratio(&l, "x", 2 * l.ratio_min_bytes, l.ratio_min_bytes).is_ok());
    }
}
