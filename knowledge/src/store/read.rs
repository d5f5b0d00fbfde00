//! Tenant-scoped reads: pack summaries, rules, stages and chunks. Every query binds the
//! tenant, so nothing here can return another tenant's rows.

use rusqlite::types::Type;
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::StoreError;
use super::codec::parse_kind;
use super::types::{PackSummary, StoredChunk};
use crate::manifest::{Rule, Stage};

/// `tenant`'s packs, by pack id.
pub(crate) fn list_packs(conn: &Connection, tenant: &str) -> Result<Vec<PackSummary>, StoreError> {
    let mut stmt = conn.prepare(
        "SELECT p.pack_id, p.name, p.version, p.status, p.uploaded_at,
           (SELECT COUNT(*) FROM documents d WHERE d.tenant = p.tenant AND d.pack_id = p.pack_id),
           (SELECT COUNT(*) FROM chunks c WHERE c.tenant = p.tenant AND c.pack_id = p.pack_id),
           (SELECT COUNT(*) FROM rules r WHERE r.tenant = p.tenant AND r.pack_id = p.pack_id),
           (SELECT COUNT(*) FROM stages s WHERE s.tenant = p.tenant AND s.pack_id = p.pack_id)
         FROM packs p WHERE p.tenant = ?1 ORDER BY p.pack_id",
    )?;
    let packs = stmt
        .query_map(params![tenant], |r| {
            Ok(PackSummary {
                pack_id: r.get(0)?,
                name: r.get(1)?,
                version: r.get(2)?,
                status: r.get(3)?,
                uploaded_at: r.get(4)?,
                documents: r.get::<_, i64>(5)? as usize,
                chunks: r.get::<_, i64>(6)? as usize,
                rules: r.get::<_, i64>(7)? as usize,
                stages: r.get::<_, i64>(8)? as usize,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(packs)
}

/// `tenant`'s rules with their pack ids, by pack id then manifest order.
pub(crate) fn rules(conn: &Connection, tenant: &str) -> Result<Vec<(String, Rule)>, StoreError> {
    json_rows(
        conn,
        "SELECT pack_id, rule FROM rules WHERE tenant = ?1 ORDER BY pack_id, ord",
        tenant,
    )
}

/// `tenant`'s stages with their pack ids, by pack id then manifest order.
pub(crate) fn stages(conn: &Connection, tenant: &str) -> Result<Vec<(String, Stage)>, StoreError> {
    json_rows(
        conn,
        "SELECT pack_id, stage FROM stages WHERE tenant = ?1 ORDER BY pack_id, ord",
        tenant,
    )
}

fn json_rows<T: serde::de::DeserializeOwned>(
    conn: &Connection,
    sql: &str,
    tenant: &str,
) -> Result<Vec<(String, T)>, StoreError> {
    let mut stmt = conn.prepare(sql)?;
    let rows = stmt
        .query_map(params![tenant], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    rows.into_iter()
        .map(|(pack, json)| Ok((pack, serde_json::from_str(&json)?)))
        .collect()
}

const CHUNK_COLUMNS: &str = "chunk_id, pack_id, version, doc_path, kind, heading_path, text";

fn stored_chunk(r: &Row<'_>) -> rusqlite::Result<StoredChunk> {
    let kind: String = r.get(4)?;
    let kind = parse_kind(&kind)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(4, Type::Text, Box::new(e)))?;
    Ok(StoredChunk {
        chunk_id: r.get(0)?,
        pack_id: r.get(1)?,
        pack_version: r.get(2)?,
        doc_path: r.get(3)?,
        kind,
        heading_path: r.get(5)?,
        text: r.get(6)?,
    })
}

/// `tenant`'s chunk `chunk_id`.
pub(crate) fn chunk(
    conn: &Connection,
    tenant: &str,
    chunk_id: &str,
) -> Result<Option<StoredChunk>, StoreError> {
    let sql = format!("SELECT {CHUNK_COLUMNS} FROM chunks WHERE tenant = ?1 AND chunk_id = ?2");
    Ok(conn
        .query_row(&sql, params![tenant, chunk_id], stored_chunk)
        .optional()?)
}

/// `tenant`'s chunk at row `row`.
pub(crate) fn chunk_by_row(
    conn: &Connection,
    tenant: &str,
    row: u64,
) -> Result<Option<StoredChunk>, StoreError> {
    let sql = format!("SELECT {CHUNK_COLUMNS} FROM chunks WHERE tenant = ?1 AND row = ?2");
    Ok(conn
        .prepare_cached(&sql)?
        .query_row(params![tenant, row as i64], stored_chunk)
        .optional()?)
}
