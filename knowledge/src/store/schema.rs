//! The SQLite schema and connection settings. Every table's key starts with the tenant, and
//! a pack's documents, chunks, rules and stages cascade-delete with the pack row. Chunk row
//! ids are `AUTOINCREMENT`, so a row id is never reused (the vector index keys on it).

use rusqlite::{Connection, OptionalExtension, params};

use super::StoreError;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS packs (
    tenant      TEXT NOT NULL,
    pack_id     TEXT NOT NULL,
    version     TEXT NOT NULL,
    name        TEXT NOT NULL,
    manifest    TEXT NOT NULL,
    status      TEXT NOT NULL,
    uploaded_at INTEGER NOT NULL,
    PRIMARY KEY (tenant, pack_id)
);
CREATE TABLE IF NOT EXISTS documents (
    tenant  TEXT NOT NULL,
    pack_id TEXT NOT NULL,
    path    TEXT NOT NULL,
    kind    TEXT NOT NULL,
    text    TEXT NOT NULL,
    PRIMARY KEY (tenant, pack_id, path),
    FOREIGN KEY (tenant, pack_id) REFERENCES packs (tenant, pack_id) ON DELETE CASCADE
);
CREATE TABLE IF NOT EXISTS chunks (
    row          INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant       TEXT NOT NULL,
    chunk_id     TEXT NOT NULL,
    pack_id      TEXT NOT NULL,
    version      TEXT NOT NULL,
    doc_path     TEXT NOT NULL,
    kind         TEXT NOT NULL,
    heading_path TEXT NOT NULL,
    text         TEXT NOT NULL,
    vector       BLOB NOT NULL,
    UNIQUE (tenant, chunk_id),
    FOREIGN KEY (tenant, pack_id) REFERENCES packs (tenant, pack_id) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS chunks_by_pack ON chunks (tenant, pack_id);
CREATE TABLE IF NOT EXISTS rules (
    tenant  TEXT NOT NULL,
    pack_id TEXT NOT NULL,
    ord     INTEGER NOT NULL,
    rule    TEXT NOT NULL,
    PRIMARY KEY (tenant, pack_id, ord),
    FOREIGN KEY (tenant, pack_id) REFERENCES packs (tenant, pack_id) ON DELETE CASCADE
);
CREATE TABLE IF NOT EXISTS stages (
    tenant  TEXT NOT NULL,
    pack_id TEXT NOT NULL,
    ord     INTEGER NOT NULL,
    stage   TEXT NOT NULL,
    PRIMARY KEY (tenant, pack_id, ord),
    FOREIGN KEY (tenant, pack_id) REFERENCES packs (tenant, pack_id) ON DELETE CASCADE
);
";

/// Sets the connection up (WAL, foreign keys), creates the schema and checks that the
/// database holds `dim`-dimensional vectors (recording `dim` in a new database).
pub(crate) fn prepare(conn: &Connection, dim: usize) -> Result<(), StoreError> {
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.execute_batch(SCHEMA)?;
    let stored: Option<String> = conn
        .query_row("SELECT value FROM meta WHERE key = 'dim'", [], |r| r.get(0))
        .optional()?;
    match stored {
        None => {
            conn.execute(
                "INSERT INTO meta (key, value) VALUES ('dim', ?1)",
                params![dim.to_string()],
            )?;
        }
        Some(value) => {
            let stored: usize = value
                .parse()
                .map_err(|_| StoreError::Corrupt(format!("dimension `{value}`")))?;
            if stored != dim {
                return Err(StoreError::DimensionChanged {
                    stored,
                    requested: dim,
                });
            }
        }
    }
    Ok(())
}
