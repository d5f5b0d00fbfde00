//! Column encodings: vectors as little-endian `f32` BLOBs, document kinds as their
//! `pack.toml` names.

use super::StoreError;
use crate::manifest::DocumentKind;

/// A vector as a BLOB.
pub(crate) fn vector_to_blob(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// A BLOB back to a vector.
pub(crate) fn blob_to_vector(bytes: &[u8]) -> Result<Vec<f32>, StoreError> {
    if !bytes.len().is_multiple_of(4) {
        return Err(StoreError::Corrupt(format!(
            "vector of {} bytes",
            bytes.len()
        )));
    }
    Ok(bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect())
}

/// A kind name back to a kind.
pub(crate) fn parse_kind(name: &str) -> Result<DocumentKind, StoreError> {
    DocumentKind::ALL
        .into_iter()
        .find(|k| k.as_str() == name)
        .ok_or_else(|| StoreError::Corrupt(format!("document kind `{name}`")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let v = vec![1.5, -0.25, f32::MIN_POSITIVE];
        assert_eq!(blob_to_vector(&vector_to_blob(&v)).unwrap(), v);
        for kind in DocumentKind::ALL {
            assert_eq!(parse_kind(kind.as_str()).unwrap(), kind);
        }
        assert!(blob_to_vector(&[0; 3]).is_err());
    }
}
