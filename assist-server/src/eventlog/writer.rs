//! The writer thread: the only place that writes SQLite. It takes everything queued (up to
//! [`MAX_BATCH`]), commits it in one transaction, publishes each committed event to the live
//! broadcast in cursor order, then answers the waiters.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use callassist_proto::v1::StreamCallResponse;
use rusqlite::Connection;
use tokio::sync::{broadcast, mpsc, oneshot};

use super::EventLogError;
use super::store::{self, Record};

/// Most events committed in one transaction.
pub(crate) const MAX_BATCH: usize = 4096;

/// A request to the writer.
pub(crate) enum Command {
    /// Log `event` for `tenant`; `done` (if any) gets the cursor once committed.
    Append {
        tenant: String,
        /// Boxed: events are large next to a flush request.
        event: Box<StreamCallResponse>,
        done: Option<oneshot::Sender<Result<u64, EventLogError>>>,
    },
    /// Answer once everything queued before it is committed.
    Flush(oneshot::Sender<Result<(), EventLogError>>),
}

/// Starts the writer on its own thread; it stops when every queue sender is dropped.
pub(crate) fn spawn(
    conn: Connection,
    queue: mpsc::Receiver<Command>,
    live: broadcast::Sender<Arc<Record>>,
) -> Result<(), EventLogError> {
    std::thread::Builder::new()
        .name("eventlog-writer".into())
        .spawn(move || {
            Writer {
                conn,
                live,
                lost: 0,
            }
            .run(queue)
        })
        .map_err(EventLogError::Spawn)?;
    Ok(())
}

struct Writer {
    conn: Connection,
    live: broadcast::Sender<Arc<Record>>,
    /// `append_nowait` events that failed since the last flush.
    lost: u64,
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

impl Writer {
    fn run(mut self, mut queue: mpsc::Receiver<Command>) {
        let mut batch = Vec::new();
        while let Some(first) = queue.blocking_recv() {
            batch.push(first);
            while batch.len() < MAX_BATCH {
                match queue.try_recv() {
                    Ok(cmd) => batch.push(cmd),
                    Err(_) => break,
                }
            }
            self.commit(&mut batch);
        }
        tracing::debug!("event log writer stopped");
    }

    fn flush_result(&mut self) -> Result<(), EventLogError> {
        match std::mem::take(&mut self.lost) {
            0 => Ok(()),
            n => Err(EventLogError::Lost(n)),
        }
    }

    fn commit(&mut self, batch: &mut Vec<Command>) {
        let logged_at_ms = now_ms();
        let rows = batch.iter().filter_map(|cmd| match cmd {
            Command::Append { tenant, event, .. } => Some((tenant.as_str(), &**event)),
            Command::Flush(_) => None,
        });
        match store::insert_all(&mut self.conn, rows, logged_at_ms) {
            Ok(cursors) => {
                let mut cursors = cursors.into_iter();
                for cmd in batch.drain(..) {
                    match cmd {
                        Command::Append {
                            tenant,
                            event,
                            done,
                        } => {
                            // insert_all returns one cursor per appended row, in order.
                            let cursor = cursors.next().unwrap_or_default();
                            let record = Record {
                                cursor,
                                tenant,
                                logged_at_ms,
                                event: *event,
                            };
                            // No subscribers is fine: the event is in SQLite.
                            let _ = self.live.send(Arc::new(record));
                            if let Some(done) = done {
                                let _ = done.send(Ok(cursor));
                            }
                        }
                        Command::Flush(done) => {
                            let _ = done.send(self.flush_result());
                        }
                    }
                }
            }
            Err(e) => {
                tracing::error!(error = %e, commands = batch.len(), "event log batch not committed");
                let e = Arc::new(e);
                for cmd in batch.drain(..) {
                    match cmd {
                        Command::Append {
                            done: Some(done), ..
                        } => {
                            let _ = done.send(Err(EventLogError::Write(e.clone())));
                        }
                        Command::Append { done: None, .. } => self.lost += 1,
                        Command::Flush(done) => {
                            // This error covers the nowait appends before the flush.
                            self.lost = 0;
                            let _ = done.send(Err(EventLogError::Write(e.clone())));
                        }
                    }
                }
            }
        }
    }
}
