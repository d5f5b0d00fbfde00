//! A pool of dedicated OS threads, each owning one [`Recognizer`], fed from one bounded queue.
//! Async callers await a oneshot reply; a request whose caller has gone (client hung up) is
//! skipped instead of burning CPU; a full queue answers `Overloaded` for partials at once.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use tokio::sync::oneshot;

use super::{AsrOutput, AsrRequest, Recognizer};
use crate::InferenceError;

struct Job {
    req: AsrRequest,
    reply: oneshot::Sender<Result<AsrOutput, InferenceError>>,
    span: tracing::Span,
}

#[derive(Default, Debug)]
struct Counters {
    busy: AtomicUsize,
    done: AtomicU64,
    skipped: AtomicU64,
}

/// Numbers about the pool, for metrics and tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolStats {
    pub workers: usize,
    pub busy: usize,
    pub queued: usize,
    pub done: u64,
    /// Jobs dropped because their caller had left.
    pub skipped: u64,
}

/// Cloneable async handle to the recognizer worker threads.
#[derive(Clone)]
pub struct AsrPool {
    tx: async_channel::Sender<Job>,
    workers: usize,
    counters: Arc<Counters>,
    name: Arc<str>,
}

impl std::fmt::Debug for AsrPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AsrPool")
            .field("name", &self.name)
            .field("stats", &self.stats())
            .finish()
    }
}

impl AsrPool {
    /// Starts one thread per recognizer; `queue` bounds the requests waiting for a worker.
    pub fn new(recognizers: Vec<Box<dyn Recognizer>>, queue: usize) -> Self {
        let (tx, rx) = async_channel::bounded::<Job>(queue.max(1));
        let counters = Arc::new(Counters::default());
        let workers = recognizers.len();
        let name: Arc<str> = recognizers
            .first()
            .map(|r| r.name())
            .unwrap_or_default()
            .into();
        for (i, mut rec) in recognizers.into_iter().enumerate() {
            let rx = rx.clone();
            let counters = counters.clone();
            std::thread::Builder::new()
                .name(format!("asr-{i}"))
                .spawn(move || {
                    while let Ok(job) = rx.recv_blocking() {
                        if job.reply.is_closed() {
                            counters.skipped.fetch_add(1, Ordering::Relaxed);
                            continue;
                        }
                        counters.busy.fetch_add(1, Ordering::Relaxed);
                        let out = job.span.in_scope(|| rec.transcribe(&job.req));
                        counters.busy.fetch_sub(1, Ordering::Relaxed);
                        counters.done.fetch_add(1, Ordering::Relaxed);
                        let _ = job.reply.send(out);
                    }
                })
                .expect("spawning an ASR worker thread");
        }
        Self {
            tx,
            workers,
            counters,
            name,
        }
    }

    /// Backend/model name of the workers.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Transcribes `req`. Partials fail fast with `Overloaded` when the queue is full; finals
    /// wait for room (back-pressure on the caller).
    pub async fn transcribe(&self, req: AsrRequest) -> Result<AsrOutput, InferenceError> {
        let (reply, rx) = oneshot::channel();
        let job = Job {
            req,
            reply,
            span: tracing::Span::current(),
        };
        if job.req.partial {
            self.tx.try_send(job).map_err(|e| match e {
                async_channel::TrySendError::Full(_) => InferenceError::Overloaded(self.tx.len()),
                async_channel::TrySendError::Closed(_) => InferenceError::WorkerGone,
            })?;
        } else {
            self.tx
                .send(job)
                .await
                .map_err(|_| InferenceError::WorkerGone)?;
        }
        rx.await.map_err(|_| InferenceError::WorkerGone)?
    }

    /// Whether a worker is idle and nothing is queued (a partial would run at once).
    pub fn has_idle_worker(&self) -> bool {
        self.tx.is_empty() && self.counters.busy.load(Ordering::Relaxed) < self.workers
    }

    /// Current numbers.
    pub fn stats(&self) -> PoolStats {
        PoolStats {
            workers: self.workers,
            busy: self.counters.busy.load(Ordering::Relaxed),
            queued: self.tx.len(),
            done: self.counters.done.load(Ordering::Relaxed),
            skipped: self.counters.skipped.load(Ordering::Relaxed),
        }
    }
}
