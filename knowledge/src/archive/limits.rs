//! `Limits`: the resource caps applied while reading a pack, with safe defaults.

/// Caps applied while reading a pack. Every cap is enforced on the bytes actually read, not on
/// the sizes an archive declares (declared sizes only allow an earlier refusal).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest archive accepted, compressed (default 64 MiB).
    pub max_archive_bytes: u64,
    /// Most entries (files, directories, skipped entries) in a pack (default 2,000).
    pub max_entries: usize,
    /// Largest single file, uncompressed (default 8 MiB).
    pub max_file_bytes: u64,
    /// Largest sum of all files, uncompressed (default 64 MiB).
    pub max_total_bytes: u64,
    /// Highest decompressed:compressed ratio (default 100, i.e. 100:1) ...
    pub max_ratio: u64,
    /// ... checked once more than this many bytes came out of one entry, or, for a `.tar.gz`
    /// (one compressed stream), out of the whole stream (default 1 MiB).
    pub ratio_min_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        const MIB: u64 = 1024 * 1024;
        Self {
            max_archive_bytes: 64 * MIB,
            max_entries: 2_000,
            max_file_bytes: 8 * MIB,
            max_total_bytes: 64 * MIB,
            max_ratio: 100,
            ratio_min_bytes: MIB,
        }
    }
}
