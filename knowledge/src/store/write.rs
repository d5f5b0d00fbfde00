//! Writing a pack in one transaction: the pack's previous rows (any version) are deleted and
//! the new version's pack, documents, chunks, rules and stages inserted. Until the caller
//! commits nothing is visible, so a crash mid-upload leaves the previous version serving.

use std::time::{SystemTime, UNIX_EPOCH};

use rusqlite::{Transaction, params};

use super::StoreError;
use super::codec::vector_to_blob;
use super::types::STATUS_READY;
use crate::chunk::Chunk;
use crate::index::l2_normalize;
use crate::pack::LoadedPack;

/// What a pack write changed, for updating the in-memory indexes after the commit.
#[derive(Debug, Default)]
pub(crate) struct WriteOutcome {
    /// Chunk rows of the replaced version.
    pub removed: Vec<u64>,
    /// New chunk rows: (row, chunk index in the input, unit vector).
    pub added: Vec<(u64, usize, Vec<f32>)>,
}

/// Checks that `chunks` and `vectors` fit `pack` and a `dim`-dimensional store.
pub(crate) fn check_input(
    pack: &LoadedPack,
    chunks: &[Chunk],
    vectors: &[Vec<f32>],
    dim: usize,
) -> Result<(), StoreError> {
    if chunks.len() != vectors.len() {
        return Err(StoreError::CountMismatch {
            chunks: chunks.len(),
            vectors: vectors.len(),
        });
    }
    let (id, version) = (&pack.manifest.id, &pack.manifest.version);
    if let Some(c) = chunks
        .iter()
        .find(|c| &c.pack_id != id || &c.pack_version != version)
    {
        return Err(StoreError::ForeignChunk {
            chunk: c.id.clone(),
            pack: id.clone(),
            version: version.clone(),
        });
    }
    for (index, v) in vectors.iter().enumerate() {
        if v.len() != dim {
            return Err(StoreError::Dimension {
                index,
                got: v.len(),
                expected: dim,
            });
        }
        if v.iter().any(|x| !x.is_finite()) {
            return Err(StoreError::NonFinite { index });
        }
    }
    Ok(())
}

/// Replaces `tenant`'s pack `pack.manifest.id` inside `tx` (not committed here).
pub(crate) fn write_pack(
    tx: &Transaction<'_>,
    tenant: &str,
    pack: &LoadedPack,
    chunks: &[Chunk],
    vectors: &[Vec<f32>],
) -> Result<WriteOutcome, StoreError> {
    let manifest = &pack.manifest;
    let mut outcome = WriteOutcome {
        removed: pack_rows(tx, tenant, &manifest.id)?,
        ..WriteOutcome::default()
    };
    tx.execute(
        "DELETE FROM packs WHERE tenant = ?1 AND pack_id = ?2",
        params![tenant, manifest.id],
    )?;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    tx.execute(
        "INSERT INTO packs (tenant, pack_id, version, name, manifest, status, uploaded_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            tenant,
            manifest.id,
            manifest.version,
            manifest.name,
            serde_json::to_string(manifest)?,
            STATUS_READY,
            now
        ],
    )?;
    let mut insert_doc = tx.prepare(
        "INSERT INTO documents (tenant, pack_id, path, kind, text) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for doc in &pack.documents {
        insert_doc.execute(params![
            tenant,
            manifest.id,
            doc.path,
            doc.kind.as_str(),
            doc.text
        ])?;
    }
    let mut insert_chunk = tx.prepare(
        "INSERT INTO chunks
           (tenant, chunk_id, pack_id, version, doc_path, kind, heading_path, text, vector)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?;
    for (index, (chunk, vector)) in chunks.iter().zip(vectors).enumerate() {
        let mut unit = vector.clone();
        l2_normalize(&mut unit);
        insert_chunk.execute(params![
            tenant,
            chunk.id,
            chunk.pack_id,
            chunk.pack_version,
            chunk.doc_path,
            chunk.kind.as_str(),
            chunk.heading_path(),
            chunk.text,
            vector_to_blob(&unit)
        ])?;
        outcome
            .added
            .push((tx.last_insert_rowid() as u64, index, unit));
    }
    let mut insert_rule =
        tx.prepare("INSERT INTO rules (tenant, pack_id, ord, rule) VALUES (?1, ?2, ?3, ?4)")?;
    for (ord, rule) in manifest.rules.iter().enumerate() {
        insert_rule.execute(params![
            tenant,
            manifest.id,
            ord as i64,
            serde_json::to_string(rule)?
        ])?;
    }
    let mut insert_stage =
        tx.prepare("INSERT INTO stages (tenant, pack_id, ord, stage) VALUES (?1, ?2, ?3, ?4)")?;
    for (ord, stage) in manifest.stages.iter().enumerate() {
        insert_stage.execute(params![
            tenant,
            manifest.id,
            ord as i64,
            serde_json::to_string(stage)?
        ])?;
    }
    Ok(outcome)
}

/// Chunk rows of `tenant`'s pack `pack_id`.
pub(crate) fn pack_rows(
    tx: &Transaction<'_>,
    tenant: &str,
    pack_id: &str,
) -> Result<Vec<u64>, StoreError> {
    let mut stmt = tx.prepare("SELECT row FROM chunks WHERE tenant = ?1 AND pack_id = ?2")?;
    let rows = stmt
        .query_map(params![tenant, pack_id], |r| r.get::<_, i64>(0))?
        .map(|r| r.map(|row| row as u64))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}
