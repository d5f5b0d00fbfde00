//! What the event log can fail with.

use std::sync::Arc;

/// An event-log failure. Reads and opens carry the SQLite error; a failed batch commit is
/// shared by every waiter of that batch, so it is behind an `Arc`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EventLogError {
    /// The database file could not be opened or initialised.
    #[error("cannot open the event log at {path}: {source}")]
    Open {
        path: String,
        #[source]
        source: rusqlite::Error,
    },
    /// The writer thread could not be started.
    #[error("cannot start the event log writer thread: {0}")]
    Spawn(#[source] std::io::Error),
    /// Reading events failed.
    #[error("reading the event log: {0}")]
    Read(#[from] rusqlite::Error),
    /// The batch holding this event could not be committed.
    #[error("committing events to the event log: {0}")]
    Write(#[source] Arc<rusqlite::Error>),
    /// Events appended without waiting were not committed (reported by the next `flush`).
    #[error("{0} event(s) appended without waiting could not be committed to the event log")]
    Lost(u64),
    /// The event carries no `event` payload, so it has no type to log under.
    #[error("event {seq} of call {call_id:?} has no `event` payload; nothing to log")]
    EmptyEvent { call_id: String, seq: u64 },
    /// A subscription filter named an event type that does not exist.
    #[error("unknown event type {name:?}: use one of {}", crate::eventlog::EVENT_TYPES.join(", "))]
    UnknownType { name: String },
    /// A subscription filter is unusable (too many call ids and the like).
    #[error("{0}")]
    InvalidFilter(String),
    /// A stored row does not decode (the file was modified by something else).
    #[error("stored event {cursor} does not decode: {source}")]
    Corrupt {
        cursor: u64,
        #[source]
        source: prost::DecodeError,
    },
    /// The writer thread or a blocking reader is gone (the log is shutting down).
    #[error("the event log has stopped")]
    Closed,
}
