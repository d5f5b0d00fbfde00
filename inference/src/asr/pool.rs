//! [`AsrPool`]: the recognizers on their own OS threads behind an async handle (see
//! [`crate::worker`] for the queueing rules). Partials run only when a worker is idle (with
//! several workers, never on the last idle one), failing fast with `Overloaded` otherwise;
//! finals wait for room. Chinese output is converted to Simplified here, for
//! every backend.

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
            let mut out = rec.transcribe(req)?;
            // Every backend's Chinese comes out in Simplified characters.
            super::chinese::simplify_output(&mut out);
            Ok(out)
        });
        Self { inner }
    }

    /// Backend/model name of the workers.
    pub fn name(&self) -> &str {
        self.inner.name()
    }

    /// Transcribes `req`. Finals wait for room (back-pressure on the caller). Partials fail
    /// fast with `Overloaded` unless a worker is idle, and with several workers they never
    /// take the last idle one, so a final that arrives finds a worker free instead of waiting
    /// for a partial's decode.
    pub async fn transcribe(&self, req: AsrRequest) -> Result<AsrOutput, InferenceError> {
        let partial = req.partial;
        let reserve = usize::from(self.inner.workers() > 1);
        if partial && self.inner.idle_workers() <= reserve {
            return Err(InferenceError::Overloaded(self.inner.stats().queued));
        }
        self.inner.submit(req, partial).await
    }

    /// Recent average wait of a request for a worker (zero while idle): the saturation signal
    /// for admitting new calls.
    pub fn queue_wait(&self) -> std::time::Duration {
        self.inner.queue_wait()
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
