//! [`EventLog`]: the cheap, cloneable handle the server uses to append call events and to
//! subscribe to them. Appends go through a bounded queue to the writer thread (awaiting when
//! it is full, never dropping); subscriptions read SQLite on blocking threads.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use callassist_proto::v1::{EventEnvelope, StreamCallResponse};
use futures::Stream;
use tokio::sync::{broadcast, mpsc, oneshot};

use super::store::{self, Readers, Record};
use super::subscribe::Subscription;
use super::writer::{self, Command};
use super::{EventFilter, EventLogError};

/// Sizes of the log's bounded buffers.
#[derive(Clone, Debug)]
pub struct EventLogOptions {
    /// Appends queued for the writer before `append` waits.
    pub queue: usize,
    /// Committed events the live broadcast holds for slow subscribers before they fall back
    /// to reading SQLite.
    pub live_capacity: usize,
    /// Events read from SQLite per page of backlog.
    pub page_size: usize,
}

impl Default for EventLogOptions {
    fn default() -> Self {
        Self {
            queue: 1024,
            live_capacity: 1024,
            page_size: 256,
        }
    }
}

/// Handle to the durable event log; clones share one writer.
#[derive(Clone)]
pub struct EventLog {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    queue: mpsc::Sender<Command>,
    live: broadcast::Sender<Arc<Record>>,
    readers: Arc<Readers>,
    page_size: usize,
}

impl std::fmt::Debug for EventLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventLog")
            .field("path", &self.inner.path)
            .field("subscribers", &self.inner.live.receiver_count())
            .finish()
    }
}

fn check(event: &StreamCallResponse) -> Result<(), EventLogError> {
    if event.event.is_none() {
        return Err(EventLogError::EmptyEvent {
            call_id: event.call_id.clone(),
            seq: event.seq,
        });
    }
    Ok(())
}

impl EventLog {
    /// Opens or creates `path` (SQLite, WAL) and starts the writer thread. Blocks briefly:
    /// call it at start-up or from a blocking context.
    pub fn open(path: &Path) -> Result<Self, EventLogError> {
        Self::open_with(path, EventLogOptions::default())
    }

    /// [`EventLog::open`] with explicit buffer sizes.
    pub fn open_with(path: &Path, opts: EventLogOptions) -> Result<Self, EventLogError> {
        let conn = store::open_writer(path)?;
        let (queue, rx) = mpsc::channel(opts.queue.max(1));
        let (live, _) = broadcast::channel(opts.live_capacity.max(1));
        writer::spawn(conn, rx, live.clone())?;
        Ok(Self {
            inner: Arc::new(Inner {
                path: path.to_path_buf(),
                queue,
                live,
                readers: Arc::new(Readers::new(path.to_path_buf())),
                page_size: opts.page_size.max(1),
            }),
        })
    }

    /// Subscriptions currently open.
    pub fn subscribers(&self) -> usize {
        self.inner.live.receiver_count()
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    async fn send(&self, cmd: Command) -> Result<(), EventLogError> {
        self.inner
            .queue
            .send(cmd)
            .await
            .map_err(|_| EventLogError::Closed)
    }

    /// Appends one call event for `tenant`; returns its cursor once committed. Waits while
    /// the writer's queue is full (back-pressure); never drops the event.
    pub async fn append(
        &self,
        tenant: &str,
        event: StreamCallResponse,
    ) -> Result<u64, EventLogError> {
        check(&event)?;
        let (done, committed) = oneshot::channel();
        self.send(Command::Append {
            tenant: tenant.to_string(),
            event: Box::new(event),
            done: Some(done),
        })
        .await?;
        committed.await.map_err(|_| EventLogError::Closed)?
    }

    /// Like [`EventLog::append`] but returns once the event is queued, not committed (still
    /// waits while the queue is full). A failed commit is reported by the next
    /// [`EventLog::flush`].
    pub async fn append_nowait(
        &self,
        tenant: &str,
        event: StreamCallResponse,
    ) -> Result<(), EventLogError> {
        check(&event)?;
        self.send(Command::Append {
            tenant: tenant.to_string(),
            event: Box::new(event),
            done: None,
        })
        .await
    }

    /// Resolves when everything appended before this call is committed; fails if any
    /// `append_nowait` event since the previous flush could not be committed.
    pub async fn flush(&self) -> Result<(), EventLogError> {
        let (done, flushed) = oneshot::channel();
        self.send(Command::Flush(done)).await?;
        flushed.await.map_err(|_| EventLogError::Closed)?
    }

    /// `tenant`'s events after cursor `from` (None: from the beginning), then live events as
    /// they are committed, passing `filter`: every event exactly once, in cursor order. An
    /// invalid filter is the stream's only item. The stream ends when the log is dropped.
    pub fn subscribe(
        &self,
        tenant: &str,
        from: Option<u64>,
        filter: EventFilter,
    ) -> impl Stream<Item = Result<EventEnvelope, EventLogError>> + Send + 'static {
        // Subscribe to live events before reading the backlog, so nothing falls in between.
        let live = self.inner.live.subscribe();
        Subscription::new(
            tenant,
            from,
            filter,
            self.inner.readers.clone(),
            live,
            self.inner.page_size,
        )
        .into_stream()
    }
}
