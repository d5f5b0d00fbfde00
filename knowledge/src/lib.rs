//! Tenant knowledge: pack parsing and validation, chunking, phrase normalisation, the
//! tenant-scoped store and search (and later rule compilation). Takes `&[f32]` vectors and
//! never depends on the inference crate.
//!
//! `load_pack` / `load_pack_bytes` (`pack.rs`) read a directory, `.tar.gz` or `.zip` under
//! `Limits` (`archive/`), parse `pack.toml` (`manifest.rs`, located errors via `source.rs`),
//! validate it (`validate.rs`) and decode its documents (`documents.rs`) into a `LoadedPack`;
//! `chunk_pack` (`chunk/`) cuts the documents into `Chunk`s for retrieval; `normalize`
//! (`normalize.rs`) is the phrase normalisation the rule matcher uses. `KnowledgeStore`
//! (`store/`) keeps packs, chunks and their vectors per tenant in SQLite and searches them
//! through the vector (HNSW + exact) and BM25 keyword indexes of `index/`.

pub mod archive;
mod chunk;
mod documents;
mod error;
pub mod index;
mod manifest;
mod normalize;
mod pack;
pub mod rules;
mod source;
mod store;
mod validate;

pub use archive::{Limits, PackFiles, read_pack_bytes, read_pack_files};
pub use chunk::{Chunk, ChunkConfig, chunk_document, chunk_id, chunk_pack};
pub use documents::{DEFAULT_DOCS_DIR, Document, infer_kind};
pub use error::{ArchiveError, Issue, PackError};
pub use manifest::{
    DocumentEntry, DocumentKind, Manifest, Rule, RuleKind, Severity, Speaker, Stage,
};
pub use normalize::{Normalized, normalize, normalize_with_map};
pub use pack::{LoadedPack, load_pack, load_pack_bytes, parse_manifest, parse_pack};
pub use store::{
    DATABASE_FILE, KnowledgeStore, PackSummary, STATUS_READY, SearchHit, StoreError, StoredChunk,
};
pub use validate::is_valid_pack_id;
