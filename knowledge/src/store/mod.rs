//! The knowledge store: packs, documents, chunks (with vectors), rules and stages of every
//! tenant in one SQLite database (`schema.rs`), plus in-memory vector and keyword indexes
//! (`crate::index`) rebuilt from it at open and updated after each committed write. Every
//! method takes the tenant; no method reads or writes across tenants.
//!
//! `put_pack` replaces a pack atomically (`write.rs`), `search` fuses vector and keyword
//! rankings by reciprocal-rank fusion (`search.rs`). Writes take `&mut self`: share the
//! store behind a lock.

mod codec;
mod error;
mod read;
mod schema;
mod search;
#[cfg(test)]
mod tests;
mod types;
mod write;

use std::path::Path;

use rusqlite::{Connection, params};

pub use error::StoreError;
pub use types::{PackSummary, STATUS_READY, SearchHit, StoredChunk};

use crate::chunk::Chunk;
use crate::index::{ChunkMeta, KeywordIndex, VectorIndex, VectorIndexConfig};
use crate::manifest::{Rule, Stage};
use crate::pack::LoadedPack;
use codec::{blob_to_vector, parse_kind};

/// File name of the database inside the store directory.
pub const DATABASE_FILE: &str = "knowledge.sqlite3";

/// Tenant-scoped pack storage and search.
#[derive(Debug)]
pub struct KnowledgeStore {
    conn: Connection,
    dim: usize,
    vectors: VectorIndex,
    keywords: KeywordIndex,
}

impl KnowledgeStore {
    /// Opens (or creates) the store in `dir` for `dim`-dimensional vectors and builds the
    /// indexes from the database.
    pub fn open(dir: &Path, dim: usize) -> Result<Self, StoreError> {
        Self::open_with(dir, dim, VectorIndexConfig::default())
    }

    /// Like `open`, with explicit vector index settings.
    pub fn open_with(
        dir: &Path,
        dim: usize,
        config: VectorIndexConfig,
    ) -> Result<Self, StoreError> {
        std::fs::create_dir_all(dir)?;
        let conn = Connection::open(dir.join(DATABASE_FILE))?;
        schema::prepare(&conn, dim)?;
        let mut keywords = KeywordIndex::default();
        let mut points = Vec::new();
        {
            let mut stmt =
                conn.prepare("SELECT row, tenant, kind, heading_path, text, vector FROM chunks")?;
            let mut rows = stmt.query([])?;
            while let Some(r) = rows.next()? {
                let row = r.get::<_, i64>(0)? as u64;
                let tenant: String = r.get(1)?;
                let kind = parse_kind(&r.get::<_, String>(2)?)?;
                let heading: String = r.get(3)?;
                let text: String = r.get(4)?;
                let vector = blob_to_vector(&r.get::<_, Vec<u8>>(5)?)?;
                if vector.len() != dim {
                    return Err(StoreError::Corrupt(format!(
                        "row {row}: vector length {}",
                        vector.len()
                    )));
                }
                keywords.insert(&tenant, row, kind, &keyword_text(&heading, &text));
                points.push((row, ChunkMeta { tenant, kind }, vector));
            }
        }
        let mut vectors = VectorIndex::new(dim, config);
        vectors.bulk_load(points);
        Ok(Self {
            conn,
            dim,
            vectors,
            keywords,
        })
    }

    /// Vector dimension of the store.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Stores `pack` for `tenant` with its `chunks` and one vector per chunk, replacing any
    /// stored version of the same pack id atomically: one transaction deletes the old
    /// version and writes the new one, so readers (and a crash) see one or the other.
    pub fn put_pack(
        &mut self,
        tenant: &str,
        pack: &LoadedPack,
        chunks: &[Chunk],
        vectors: &[Vec<f32>],
    ) -> Result<PackSummary, StoreError> {
        write::check_input(pack, chunks, vectors, self.dim)?;
        let tx = self.conn.transaction()?;
        let outcome = write::write_pack(&tx, tenant, pack, chunks, vectors)?;
        tx.commit()?;
        for row in outcome.removed {
            self.vectors.remove(tenant, row);
            self.keywords.remove(tenant, row);
        }
        for (row, index, unit) in outcome.added {
            let chunk = &chunks[index];
            let meta = ChunkMeta {
                tenant: tenant.to_owned(),
                kind: chunk.kind,
            };
            let text = keyword_text(&chunk.heading_path(), &chunk.text);
            self.keywords.insert(tenant, row, chunk.kind, &text);
            self.vectors.insert(row, meta, unit);
        }
        self.list_packs(tenant)?
            .into_iter()
            .find(|p| p.pack_id == pack.manifest.id)
            .ok_or_else(|| StoreError::Corrupt("pack missing after commit".to_owned()))
    }

    /// `tenant`'s packs, by pack id.
    pub fn list_packs(&self, tenant: &str) -> Result<Vec<PackSummary>, StoreError> {
        read::list_packs(&self.conn, tenant)
    }

    /// Deletes `tenant`'s pack `pack_id` from the database and both indexes; false when
    /// `tenant` has no such pack.
    pub fn delete_pack(&mut self, tenant: &str, pack_id: &str) -> Result<bool, StoreError> {
        let tx = self.conn.transaction()?;
        let rows = write::pack_rows(&tx, tenant, pack_id)?;
        let deleted = tx.execute(
            "DELETE FROM packs WHERE tenant = ?1 AND pack_id = ?2",
            params![tenant, pack_id],
        )?;
        tx.commit()?;
        for row in rows {
            self.vectors.remove(tenant, row);
            self.keywords.remove(tenant, row);
        }
        Ok(deleted > 0)
    }

    /// Every rule of `tenant`'s packs, with its pack id (by pack id, then manifest order).
    pub fn rules(&self, tenant: &str) -> Result<Vec<(String, Rule)>, StoreError> {
        read::rules(&self.conn, tenant)
    }

    /// Every stage of `tenant`'s packs, with its pack id (by pack id, then manifest order).
    pub fn stages(&self, tenant: &str) -> Result<Vec<(String, Stage)>, StoreError> {
        read::stages(&self.conn, tenant)
    }

    /// `tenant`'s chunk `chunk_id`, if any.
    pub fn chunk(&self, tenant: &str, chunk_id: &str) -> Result<Option<StoredChunk>, StoreError> {
        read::chunk(&self.conn, tenant, chunk_id)
    }

    /// The vector index (e.g. for recall checks against its exact search).
    pub fn vector_index(&self) -> &VectorIndex {
        &self.vectors
    }
}

/// The text the keyword index sees: heading path and chunk text.
fn keyword_text(heading_path: &str, text: &str) -> String {
    if heading_path.is_empty() {
        text.to_owned()
    } else {
        format!("{heading_path}\n{text}")
    }
}
