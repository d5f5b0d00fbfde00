//! [`AsrPool`]: the recognizers on their own OS threads behind an async handle (see
//! [`crate::worker`] for the queueing rules). Partials fail fast with `Overloaded` when the
//! queue is full; finals wait for room.

use super::{AsrOutput, AsrRequest, Recognizer};
use crate::InferenceError;
pub use crate::worker::PoolStats;
use crate::worker::WorkerPool;

/// Cloneable async handle to the recognizer worker threads.
#[derive(Clone)]
pub struct AsrPool {
    inner: WorkerPool<AsrRequest, AsrOutput>,
}

impl std::fmt::Debug for AsrPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AsrPool")
            .field("name", &self.name())
            .field("stats", &self.stats())
            .finish()
    }
}

impl AsrPool {
    /// Starts one thread per recognizer; `queue` bounds the requests waiting for a worker.
    pub fn new(recognizers: Vec<Box<dyn Recognizer>>, queue: usize) -> Self {
        let name = recognizers.first().map(|r| r.name()).unwrap_or_default();
        let inner = WorkerPool::new(recognizers, queue, "asr", name, |rec, req| {
            rec.transcribe(req)
        });
        Self { inner }
    }

    /// Backend/model name of the workers.
    pub fn name(&self) -> &str {
        self.inner.name()
    }

    /// Transcribes `req`. Partials fail fast with `Overloaded` when the queue is full; finals
    /// wait for room (back-pressure on the caller).
    pub async fn transcribe(&self, req: AsrRequest) -> Result<AsrOutput, InferenceError> {
        let partial = req.partial;
        self.inner.submit(req, partial).await
    }

    /// Whether a worker is idle and nothing is queued (a partial would run at once).
    pub fn has_idle_worker(&self) -> bool {
        self.inner.has_idle_worker()
    }

    /// Current numbers.
    pub fn stats(&self) -> PoolStats {
        self.inner.stats()
    }
}
