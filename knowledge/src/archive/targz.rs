//! Reads a `.tar.gz` pack. The gzip stream is wrapped in a guard that caps the decompressed
//! bytes (files plus tar overhead) and the stream's compression ratio, so neither a gzip bomb
//! nor an oversized tar extension header can exhaust memory; each file then goes through the
//! shared `Budget`, which refuses a header claiming more than the per-file limit before reading.

use std::cell::RefCell;
use std::io::{self, Read};
use std::rc::Rc;

use flate2::read::MultiGzDecoder;
use tar::EntryType;

use super::guard::{Budget, EntryPath, check_ratio, clean_entry_path};
use super::{Limits, PackFiles};
use crate::error::ArchiveError;

const FORMAT: &str = "tar.gz";
/// Name used in errors about the compressed stream as a whole.
const STREAM: &str = "(gzip stream)";
/// Tar overhead allowed per entry on top of file bytes: header, padding, extension headers.
const OVERHEAD_PER_ENTRY: u64 = 4 * 1024;

type Tripped = Rc<RefCell<Option<ArchiveError>>>;

/// Reads all files of a gzip-compressed tar archive.
pub(crate) fn read_tar_gz(bytes: &[u8], limits: &Limits) -> Result<PackFiles, ArchiveError> {
    let tripped = Tripped::default();
    let guard = StreamGuard::new(bytes, limits, tripped.clone());
    let mut archive = tar::Archive::new(guard);
    let fail = |e: io::Error| {
        tripped
            .borrow_mut()
            .take()
            .unwrap_or_else(|| ArchiveError::Corrupt {
                format: FORMAT,
                message: e.to_string(),
            })
    };
    let mut budget = Budget::new(limits);
    let mut files = PackFiles::default();
    for entry in archive.entries().map_err(fail)? {
        let mut entry = entry.map_err(fail)?;
        budget.count_entry()?;
        let raw = entry.path_bytes();
        let Ok(name) = std::str::from_utf8(&raw) else {
            let entry = String::from_utf8_lossy(&raw).into_owned();
            return Err(ArchiveError::UnsafePath {
                entry,
                reason: "name is not valid UTF-8",
            });
        };
        let name = name.to_owned();
        let EntryPath::Keep(path) = clean_entry_path(&name)? else {
            continue;
        };
        let unsupported = |kind| {
            Err(ArchiveError::UnsupportedEntry {
                entry: name.clone(),
                kind,
            })
        };
        match entry.header().entry_type() {
            EntryType::Regular | EntryType::Continuous => {}
            EntryType::Directory | EntryType::XGlobalHeader => continue,
            EntryType::Symlink => return unsupported("symlink"),
            EntryType::Link => return unsupported("hard link"),
            EntryType::GNUSparse => return unsupported("sparse file"),
            _ => return unsupported("special file"),
        }
        let declared = entry.size();
        let bytes = budget
            .read_file(&path, &mut entry, declared, None, FORMAT)
            .map_err(|e| tripped.borrow_mut().take().unwrap_or(e))?;
        files.insert(path, bytes)?;
    }
    Ok(files)
}

/// Decompresses the gzip stream, refusing past a byte cap or the ratio limit. A refusal is
/// stored in `tripped` (tar wraps I/O errors, so the reason travels beside the error).
struct StreamGuard<'a> {
    decoder: MultiGzDecoder<&'a [u8]>,
    input_len: usize,
    produced: u64,
    cap: u64,
    limits: &'a Limits,
    tripped: Tripped,
}

impl<'a> StreamGuard<'a> {
    fn new(bytes: &'a [u8], limits: &'a Limits, tripped: Tripped) -> Self {
        let overhead = (limits.max_entries as u64).saturating_mul(OVERHEAD_PER_ENTRY);
        let cap = limits
            .max_total_bytes
            .saturating_add(overhead)
            .saturating_add(1024 * 1024);
        let decoder = MultiGzDecoder::new(bytes);
        Self {
            decoder,
            input_len: bytes.len(),
            produced: 0,
            cap,
            limits,
            tripped,
        }
    }

    fn trip(&self, error: ArchiveError) -> io::Error {
        *self.tripped.borrow_mut() = Some(error);
        io::Error::other("pack limit exceeded")
    }
}

impl Read for StreamGuard<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.decoder.read(buf)?;
        self.produced += n as u64;
        if self.produced > self.cap {
            let limit = self.limits.max_total_bytes;
            return Err(self.trip(ArchiveError::TotalTooLarge {
                entry: STREAM.into(),
                limit,
            }));
        }
        let consumed = (self.input_len - self.decoder.get_ref().len()) as u64;
        if let Err(e) = check_ratio(self.limits, STREAM, self.produced, consumed) {
            return Err(self.trip(e));
        }
        Ok(n)
    }
}
