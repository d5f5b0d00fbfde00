//! A pool of dedicated OS threads, each owning one engine (a model), fed from one bounded
//! queue. Async callers await a oneshot reply; a request whose caller has gone (client hung
//! up) is skipped instead of burning CPU; `fail_fast` requests answer `Overloaded` at once
//! when the queue is full, the others wait for room. How long jobs wait in the queue is
//! tracked (a moving average) so callers can refuse new work while the pool is saturated.
//! The tracing span of the caller is carried to the worker. [`crate::asr::AsrPool`] and [`crate::embed::EmbedPool`] wrap it.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::oneshot;

use crate::InferenceError;

struct Job<Req, Out> {
    req: Req,
    reply: oneshot::Sender<Result<Out, InferenceError>>,
    span: tracing::Span,
    queued_at: Instant,
}

#[derive(Default, Debug)]
struct Counters {
    busy: AtomicUsize,
    done: AtomicU64,
    skipped: AtomicU64,
    /// Moving average of the queue wait, microseconds.
    wait_us: AtomicU64,
    /// When a job last left the queue, microseconds after `epoch`.
    last_dequeue_us: AtomicU64,
}

/// A job's queue wait counts in the average with this weight (1/8).
const WAIT_WEIGHT_SHIFT: u32 = 3;
/// The average is stale (the pool is idle) when no job left the queue for this long.
const WAIT_STALE: Duration = Duration::from_secs(5);

impl Counters {
    fn record_wait(&self, wait: Duration, since_epoch: Duration) {
        let w = wait.as_micros().min(u64::MAX as u128) as u64;
        let old = self.wait_us.load(Ordering::Relaxed);
        let new = old - (old >> WAIT_WEIGHT_SHIFT) + (w >> WAIT_WEIGHT_SHIFT);
        self.wait_us.store(new, Ordering::Relaxed);
        self.last_dequeue_us
            .store(since_epoch.as_micros() as u64, Ordering::Relaxed);
    }
}

/// Numbers about a pool, for metrics and tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolStats {
    pub workers: usize,
    pub busy: usize,
    pub queued: usize,
    pub done: u64,
    /// Jobs dropped because their caller had left.
    pub skipped: u64,
}

/// Cloneable handle to the worker threads.
pub(crate) struct WorkerPool<Req, Out> {
    tx: async_channel::Sender<Job<Req, Out>>,
    workers: usize,
    counters: Arc<Counters>,
    name: Arc<str>,
    epoch: Instant,
}

impl<Req, Out> Clone for WorkerPool<Req, Out> {
    fn clone(&self) -> Self {
        Self {
            tx: self.tx.clone(),
            workers: self.workers,
            counters: self.counters.clone(),
            name: self.name.clone(),
            epoch: self.epoch,
        }
    }
}

impl<Req: Send + 'static, Out: Send + 'static> WorkerPool<Req, Out> {
    /// Starts one thread (`{thread}-{i}`) per engine; `queue` bounds the waiting requests;
    /// `run` serves one request on the engine.
    pub(crate) fn new<E, F>(
        engines: Vec<E>,
        queue: usize,
        thread: &str,
        name: String,
        run: F,
    ) -> Self
    where
        E: Send + 'static,
        F: Fn(&mut E, &Req) -> Result<Out, InferenceError> + Clone + Send + 'static,
    {
        let (tx, rx) = async_channel::bounded::<Job<Req, Out>>(queue.max(1));
        let counters = Arc::new(Counters::default());
        let workers = engines.len();
        let epoch = Instant::now();
        for (i, mut engine) in engines.into_iter().enumerate() {
            let rx = rx.clone();
            let counters = counters.clone();
            let run = run.clone();
            std::thread::Builder::new()
                .name(format!("{thread}-{i}"))
                .spawn(move || {
                    while let Ok(job) = rx.recv_blocking() {
                        counters.record_wait(job.queued_at.elapsed(), epoch.elapsed());
                        if job.reply.is_closed() {
                            counters.skipped.fetch_add(1, Ordering::Relaxed);
                            continue;
                        }
                        counters.busy.fetch_add(1, Ordering::Relaxed);
                        let out = job.span.in_scope(|| run(&mut engine, &job.req));
                        counters.busy.fetch_sub(1, Ordering::Relaxed);
                        counters.done.fetch_add(1, Ordering::Relaxed);
                        let _ = job.reply.send(out);
                    }
                })
                .expect("spawning a worker thread");
        }
        Self {
            tx,
            workers,
            counters,
            name: name.into(),
            epoch,
        }
    }

    /// Number of worker threads.
    pub(crate) fn workers(&self) -> usize {
        self.workers
    }

    /// Backend/model name of the workers.
    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    /// Queues `req` and awaits its answer.
    pub(crate) async fn submit(&self, req: Req, fail_fast: bool) -> Result<Out, InferenceError> {
        let (reply, rx) = oneshot::channel();
        let job = Job {
            req,
            reply,
            span: tracing::Span::current(),
            queued_at: Instant::now(),
        };
        if fail_fast {
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

    /// Workers neither busy nor spoken for by a queued job.
    pub(crate) fn idle_workers(&self) -> usize {
        let taken = self.counters.busy.load(Ordering::Relaxed) + self.tx.len();
        self.workers.saturating_sub(taken)
    }

    /// Whether a worker is idle and nothing is queued.
    pub(crate) fn has_idle_worker(&self) -> bool {
        self.tx.is_empty() && self.counters.busy.load(Ordering::Relaxed) < self.workers
    }

    /// Recent average time a job waited for a worker; zero while the pool is idle (nothing
    /// left the queue for a few seconds and nothing waits).
    pub(crate) fn queue_wait(&self) -> Duration {
        let last = Duration::from_micros(self.counters.last_dequeue_us.load(Ordering::Relaxed));
        if self.tx.is_empty() && self.epoch.elapsed().saturating_sub(last) > WAIT_STALE {
            return Duration::ZERO;
        }
        Duration::from_micros(self.counters.wait_us.load(Ordering::Relaxed))
    }

    /// Current numbers.
    pub(crate) fn stats(&self) -> PoolStats {
        PoolStats {
            workers: self.workers,
            busy: self.counters.busy.load(Ordering::Relaxed),
            queued: self.tx.len(),
            done: self.counters.done.load(Ordering::Relaxed),
            skipped: self.counters.skipped.load(Ordering::Relaxed),
        }
    }
}
