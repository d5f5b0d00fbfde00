//! The SQLite side of the event log: the schema, the writer's one-transaction batch insert,
//! and a small pool of read-only connections that page through one tenant's events in cursor
//! order. Everything here blocks: call it from the writer thread or `spawn_blocking`.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use callassist_proto::v1::{EventEnvelope, StreamCallResponse};
use prost::Message;
use rusqlite::types::Value;
use rusqlite::{Connection, OpenFlags, params, params_from_iter};

use super::{EventFilter, EventLogError, event_type_name};

/// `cursor` only grows (AUTOINCREMENT never reuses a value, even after deletes or a
/// restart); `payload` is the prost-encoded `StreamCallResponse`.
const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS events (
    cursor       INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant       TEXT    NOT NULL,
    call_id      TEXT    NOT NULL,
    type         TEXT    NOT NULL,
    logged_at_ms INTEGER NOT NULL,
    payload      BLOB    NOT NULL
);
CREATE INDEX IF NOT EXISTS events_tenant_cursor ON events (tenant, cursor);
";

/// How long a connection waits on a lock held by another before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Idle reader connections kept for reuse; more readers at once open (and close) their own.
const MAX_IDLE_READERS: usize = 4;

/// One logged event.
#[derive(Debug, Clone)]
pub(crate) struct Record {
    pub cursor: u64,
    pub tenant: String,
    pub logged_at_ms: i64,
    pub event: StreamCallResponse,
}

impl Record {
    /// The wire form: the cursor as a decimal string.
    pub fn envelope(&self) -> EventEnvelope {
        EventEnvelope {
            cursor: self.cursor.to_string(),
            tenant_id: self.tenant.clone(),
            logged_at_ms: self.logged_at_ms,
            event: Some(self.event.clone()),
        }
    }

    /// The wire form, without copying the event.
    pub fn into_envelope(self) -> EventEnvelope {
        EventEnvelope {
            cursor: self.cursor.to_string(),
            tenant_id: self.tenant,
            logged_at_ms: self.logged_at_ms,
            event: Some(self.event),
        }
    }
}

/// Opens (creating if needed) the database for writing: WAL, and `synchronous=FULL` so that
/// a committed event survives a power cut (batching keeps the fsyncs few).
pub(crate) fn open_writer(path: &Path) -> Result<Connection, EventLogError> {
    let err = |source| EventLogError::Open {
        path: path.display().to_string(),
        source,
    };
    let conn = Connection::open(path).map_err(err)?;
    conn.busy_timeout(BUSY_TIMEOUT).map_err(err)?;
    conn.pragma_update(None, "journal_mode", "WAL")
        .map_err(err)?;
    conn.pragma_update(None, "synchronous", "FULL")
        .map_err(err)?;
    conn.execute_batch(SCHEMA).map_err(err)?;
    Ok(conn)
}

/// Inserts `rows` (tenant, event) in one transaction; returns their cursors in order.
pub(crate) fn insert_all<'a>(
    conn: &mut Connection,
    rows: impl IntoIterator<Item = (&'a str, &'a StreamCallResponse)>,
    logged_at_ms: i64,
) -> rusqlite::Result<Vec<u64>> {
    let tx = conn.transaction()?;
    let mut cursors = Vec::new();
    {
        let mut insert = tx.prepare_cached(
            "INSERT INTO events (tenant, call_id, type, logged_at_ms, payload) \
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )?;
        for (tenant, ev) in rows {
            let ty = ev.event.as_ref().map(event_type_name).unwrap_or("");
            let cursor = insert.insert(params![
                tenant,
                ev.call_id,
                ty,
                logged_at_ms,
                ev.encode_to_vec()
            ])?;
            cursors.push(cursor as u64);
        }
    }
    tx.commit()?;
    Ok(cursors)
}

/// Read-only connections to the log, reused across pages.
#[derive(Debug)]
pub(crate) struct Readers {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

impl Readers {
    pub fn new(path: PathBuf) -> Self {
        Self {
            path,
            idle: Mutex::new(Vec::new()),
        }
    }

    fn take(&self) -> Result<Connection, EventLogError> {
        let reused = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
        if let Some(conn) = reused {
            return Ok(conn);
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_URI;
        let conn = Connection::open_with_flags(&self.path, flags)?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        Ok(conn)
    }

    fn give_back(&self, conn: Connection) {
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        if idle.len() < MAX_IDLE_READERS {
            idle.push(conn);
        }
    }

    /// Up to `limit` of `tenant`'s events with cursor > `after` that pass `filter`, in order.
    pub fn page(
        &self,
        tenant: &str,
        after: u64,
        filter: &EventFilter,
        limit: usize,
    ) -> Result<Vec<Record>, EventLogError> {
        let conn = self.take()?;
        let page = read_page(&conn, tenant, after, filter, limit);
        self.give_back(conn);
        page
    }
}

fn placeholders(n: usize) -> String {
    vec!["?"; n].join(", ")
}

fn read_page(
    conn: &Connection,
    tenant: &str,
    after: u64,
    filter: &EventFilter,
    limit: usize,
) -> Result<Vec<Record>, EventLogError> {
    let mut sql = String::from(
        "SELECT cursor, logged_at_ms, payload FROM events WHERE tenant = ? AND cursor > ?",
    );
    let mut args = vec![
        Value::Text(tenant.to_string()),
        Value::Integer(i64::try_from(after).unwrap_or(i64::MAX)),
    ];
    if !filter.types.is_empty() {
        sql += &format!(" AND type IN ({})", placeholders(filter.types.len()));
        args.extend(filter.types.iter().cloned().map(Value::Text));
    }
    if !filter.call_ids.is_empty() {
        sql += &format!(" AND call_id IN ({})", placeholders(filter.call_ids.len()));
        args.extend(filter.call_ids.iter().cloned().map(Value::Text));
    }
    sql += " ORDER BY cursor LIMIT ?";
    args.push(Value::Integer(i64::try_from(limit).unwrap_or(i64::MAX)));

    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query(params_from_iter(args))?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        let cursor = row.get::<_, i64>(0)? as u64;
        let payload: Vec<u8> = row.get(2)?;
        let event = StreamCallResponse::decode(payload.as_slice())
            .map_err(|source| EventLogError::Corrupt { cursor, source })?;
        out.push(Record {
            cursor,
            tenant: tenant.to_string(),
            logged_at_ms: row.get(1)?,
            event,
        });
    }
    Ok(out)
}
