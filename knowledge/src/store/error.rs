//! `StoreError`: why a knowledge-store operation failed.

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// SQLite failed (open, query or transaction).
    #[error("knowledge database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The store directory could not be created.
    #[error("knowledge store directory: {0}")]
    Io(#[from] std::io::Error),
    /// A manifest, rule or stage could not be (de)serialised.
    #[error("stored JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// The database was created for another vector dimension.
    #[error("store holds {stored}-dimensional vectors, opened for {requested}")]
    DimensionChanged { stored: usize, requested: usize },
    /// A vector's length is not the store's dimension.
    #[error("vector {index} has {got} dimensions, the store expects {expected}")]
    Dimension {
        index: usize,
        got: usize,
        expected: usize,
    },
    /// A vector holds NaN or infinity.
    #[error("vector {index} is not finite")]
    NonFinite { index: usize },
    /// `chunks` and `vectors` differ in length.
    #[error("{chunks} chunks but {vectors} vectors")]
    CountMismatch { chunks: usize, vectors: usize },
    /// A chunk does not belong to the pack being stored.
    #[error("chunk `{chunk}` is not from pack {pack}@{version}")]
    ForeignChunk {
        chunk: String,
        pack: String,
        version: String,
    },
    /// A stored value is not what this version of the store writes.
    #[error("corrupt store: {0}")]
    Corrupt(String),
}
