//! sha256 of files, and checking them against pinned values.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use indicatif::ProgressBar;
use sha2::{Digest, Sha256};

use crate::error::{IoContext, ModelError, Result};

/// Hex sha256 of the file at `path`, advancing `pb` by the bytes read.
pub fn sha256_file(path: &Path, pb: &ProgressBar) -> Result<String> {
    let mut file = File::open(path).at(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf).at(path)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        pb.inc(n as u64);
    }
    Ok(hex::encode(hasher.finalize()))
}

/// Check that the file at `path` has sha256 `expected` (lowercase hex), else
/// [`ModelError::ChecksumMismatch`].
pub fn verify_sha256(path: &Path, expected: &str, pb: &ProgressBar) -> Result<()> {
    let actual = sha256_file(path, pb)?;
    if actual.eq_ignore_ascii_case(expected) {
        Ok(())
    } else {
        Err(ModelError::ChecksumMismatch {
            file: path.to_path_buf(),
            expected: expected.to_string(),
            actual,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_digest_and_mismatch() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("abc.txt");
        std::fs::write(&path, b"abc").unwrap();
        let pb = ProgressBar::hidden();
        let abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        assert_eq!(sha256_file(&path, &pb).unwrap(), abc);
        verify_sha256(&path, abc, &pb).unwrap();
        let err = verify_sha256(&path, &"0".repeat(64), &pb).unwrap_err();
        match err {
            ModelError::ChecksumMismatch {
                file,
                expected,
                actual,
            } => {
                assert_eq!(file, path);
                assert_eq!(expected, "0".repeat(64));
                assert_eq!(actual, abc);
            }
            other => panic!("unexpected error {other}"),
        }
    }
}
