//! In-memory indexes over the stored chunks, rebuilt from SQLite at open: a vector index
//! (HNSW with soft deletes, plus an exact scan) and a BM25 keyword index, both keyed by the
//! chunk's SQLite row id and both filtered by tenant and document kind; `fusion` merges
//! their rankings.

mod dot;
mod exact;
mod fusion;
mod keyword;
mod tokenize;
mod vector;

pub use dot::{dot, l2_normalize};
pub use fusion::{RRF_K, reciprocal_rank_fusion};
pub use keyword::KeywordIndex;
pub use tokenize::tokenize;
pub use vector::{VectorIndex, VectorIndexConfig};

use crate::manifest::DocumentKind;

/// One ranked result of an index: the chunk's row id and its score (higher is better).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scored {
    pub row: u64,
    pub score: f32,
}

/// What an indexed chunk belongs to, for filtering.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkMeta {
    pub tenant: String,
    pub kind: DocumentKind,
}

/// Whether `kind` passes a kind filter (an empty filter passes every kind).
pub(crate) fn kind_allowed(kinds: &[DocumentKind], kind: DocumentKind) -> bool {
    kinds.is_empty() || kinds.contains(&kind)
}
