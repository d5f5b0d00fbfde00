//! What the store returns: pack summaries, stored chunks and search hits.

use crate::manifest::DocumentKind;

/// Status of a stored pack. Packs are written in one transaction, so a visible pack is
/// always `Ready`; the column exists for backends that ingest in steps.
pub const STATUS_READY: &str = "ready";

/// One stored pack of a tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackSummary {
    pub pack_id: String,
    pub name: String,
    pub version: String,
    pub status: String,
    pub documents: usize,
    pub chunks: usize,
    pub rules: usize,
    pub stages: usize,
    /// Unix seconds of the upload.
    pub uploaded_at: i64,
}

/// One stored chunk (without its vector).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredChunk {
    pub chunk_id: String,
    pub pack_id: String,
    pub pack_version: String,
    pub doc_path: String,
    pub kind: DocumentKind,
    /// Enclosing headings joined with ` > `.
    pub heading_path: String,
    pub text: String,
}

/// One search result.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchHit {
    pub chunk_id: String,
    pub pack_id: String,
    pub doc_path: String,
    pub kind: DocumentKind,
    pub heading_path: String,
    /// Reciprocal-rank-fusion score (higher is better; at most 2 / 61).
    pub score: f32,
    pub text: String,
}
