//! One subscriber: the tenant's backlog after a cursor, paged from SQLite on blocking threads,
//! then live events from the broadcast. The broadcast receiver is taken *before* the backlog is
//! read, so nothing committed in between is missed; live events at or below the last cursor
//! sent are skipped, so nothing is sent twice. When the receiver lags (the subscriber was
//! slower than the writer for longer than the broadcast holds), it goes back to SQLite from its
//! last cursor: a slow subscriber loses nothing and costs no memory beyond one page.

use std::collections::VecDeque;
use std::sync::Arc;

use callassist_proto::v1::EventEnvelope;
use futures::Stream;
use tokio::sync::broadcast::{self, error::RecvError};

use super::store::{Readers, Record};
use super::{EventFilter, EventLogError};

/// The state of one subscription.
pub(crate) struct Subscription {
    tenant: String,
    filter: Arc<EventFilter>,
    readers: Arc<Readers>,
    live: broadcast::Receiver<Arc<Record>>,
    page_size: usize,
    /// The last cursor sent (or the resume point before anything was sent).
    last: u64,
    /// The current page of stored events not sent yet.
    page: VecDeque<Record>,
    /// Reading from SQLite (start, or after a lag) rather than from the broadcast.
    catching_up: bool,
    /// An error to report before ending.
    failed: Option<EventLogError>,
    ended: bool,
}

impl Subscription {
    pub fn new(
        tenant: &str,
        from: Option<u64>,
        filter: EventFilter,
        readers: Arc<Readers>,
        live: broadcast::Receiver<Arc<Record>>,
        page_size: usize,
    ) -> Self {
        let failed = filter.validate().err();
        Self {
            tenant: tenant.to_string(),
            filter: Arc::new(filter),
            readers,
            live,
            page_size: page_size.max(1),
            last: from.unwrap_or(0),
            page: VecDeque::new(),
            catching_up: true,
            failed,
            ended: false,
        }
    }

    /// The subscription as a stream; dropping it stops all work.
    pub fn into_stream(
        self,
    ) -> impl Stream<Item = Result<EventEnvelope, EventLogError>> + Send + 'static {
        futures::stream::unfold(self, |mut sub| async move {
            let item = sub.next().await?;
            Some((item, sub))
        })
    }

    async fn next(&mut self) -> Option<Result<EventEnvelope, EventLogError>> {
        loop {
            if let Some(e) = self.failed.take() {
                self.ended = true;
                return Some(Err(e));
            }
            if self.ended {
                return None;
            }
            if let Some(rec) = self.page.pop_front() {
                self.last = rec.cursor;
                return Some(Ok(rec.into_envelope()));
            }
            if self.catching_up {
                match self.read_page().await {
                    Ok(page) => {
                        self.catching_up = page.len() >= self.page_size;
                        self.page.extend(page);
                    }
                    Err(e) => self.failed = Some(e),
                }
                continue;
            }
            match self.live.recv().await {
                Ok(rec) => {
                    if rec.cursor > self.last
                        && rec.tenant == self.tenant
                        && self.filter.matches(&rec.event)
                    {
                        self.last = rec.cursor;
                        return Some(Ok(rec.envelope()));
                    }
                }
                Err(RecvError::Lagged(skipped)) => {
                    tracing::debug!(
                        tenant = %self.tenant,
                        skipped,
                        after = self.last,
                        "event subscriber lagged; re-reading from the log"
                    );
                    self.catching_up = true;
                }
                // The log was closed: nothing more will come.
                Err(RecvError::Closed) => self.ended = true,
            }
        }
    }

    async fn read_page(&self) -> Result<Vec<Record>, EventLogError> {
        let readers = self.readers.clone();
        let tenant = self.tenant.clone();
        let filter = self.filter.clone();
        let (after, limit) = (self.last, self.page_size);
        tokio::task::spawn_blocking(move || readers.page(&tenant, after, &filter, limit))
            .await
            .map_err(|_| EventLogError::Closed)?
    }
}
