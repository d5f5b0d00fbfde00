//! [`EmbedPool`]: embedders on their own OS threads behind an async handle (see
//! [`crate::worker`] for the queueing rules). Every request waits for room in the queue, so a
//! burst of indexing back-pressures its caller; [`EmbedPool::try_embed`] answers
//! `Overloaded` at once instead, for latency-sensitive lookups that may be skipped.

use super::{EmbedKind, Embedder};
use crate::InferenceError;
use crate::worker::{PoolStats, WorkerPool};

struct EmbedRequest {
    texts: Vec<String>,
    kind: EmbedKind,
}

/// Cloneable async handle to the embedder worker threads.
#[derive(Clone)]
pub struct EmbedPool {
    inner: WorkerPool<EmbedRequest, Vec<Vec<f32>>>,
    dim: usize,
}

impl std::fmt::Debug for EmbedPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmbedPool")
            .field("name", &self.name())
            .field("dim", &self.dim)
            .field("stats", &self.stats())
            .finish()
    }
}

impl EmbedPool {
    /// Starts one thread per embedder (all should be the same model); `queue` bounds the
    /// requests waiting for a worker.
    pub fn new(embedders: Vec<Box<dyn Embedder>>, queue: usize) -> Self {
        let name = embedders.first().map(|e| e.name()).unwrap_or_default();
        let dim = embedders.first().map(|e| e.dim()).unwrap_or(0);
        let inner = WorkerPool::new(embedders, queue, "embed", name, |e, req: &EmbedRequest| {
            e.embed(&req.texts, req.kind)
        });
        Self { inner, dim }
    }

    /// Model name of the workers.
    pub fn name(&self) -> &str {
        self.inner.name()
    }

    /// Vector dimension.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Embeds `texts` (one batch, one forward pass per worker), waiting for queue room.
    pub async fn embed(
        &self,
        texts: Vec<String>,
        kind: EmbedKind,
    ) -> Result<Vec<Vec<f32>>, InferenceError> {
        self.inner.submit(EmbedRequest { texts, kind }, false).await
    }

    /// Like [`EmbedPool::embed`], but fails with `Overloaded` when the queue is full.
    pub async fn try_embed(
        &self,
        texts: Vec<String>,
        kind: EmbedKind,
    ) -> Result<Vec<Vec<f32>>, InferenceError> {
        self.inner.submit(EmbedRequest { texts, kind }, true).await
    }

    /// Current numbers.
    pub fn stats(&self) -> PoolStats {
        self.inner.stats()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::testing::FakeEmbedder;

    fn slow_pool(queue: usize) -> EmbedPool {
        let fake = FakeEmbedder {
            dim: 8,
            delay: Duration::from_millis(200),
        };
        EmbedPool::new(vec![Box::new(fake)], queue)
    }

    #[tokio::test]
    async fn answers_in_order_with_the_worker_name() {
        let pool = slow_pool(2);
        assert_eq!((pool.name(), pool.dim()), ("fake-ngram-8", 8));
        let v = pool
            .embed(vec!["a".into(), "b".into()], EmbedKind::Query)
            .await
            .unwrap();
        assert_eq!(v.len(), 2);
        assert_ne!(v[0], v[1]);
        assert_eq!(pool.stats().done, 1);
    }

    #[tokio::test]
    async fn full_queue_fails_fast_and_dropped_callers_are_skipped() {
        let pool = slow_pool(1);
        // Occupies the worker, then the one queue slot.
        let busy = tokio::spawn({
            let p = pool.clone();
            async move { p.embed(vec!["x".into()], EmbedKind::Query).await }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        let abandoned = tokio::spawn({
            let p = pool.clone();
            async move { p.embed(vec!["y".into()], EmbedKind::Query).await }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        let err = pool
            .try_embed(vec!["z".into()], EmbedKind::Query)
            .await
            .unwrap_err();
        assert!(matches!(err, InferenceError::Overloaded(1)), "{err}");
        abandoned.abort();
        busy.await.unwrap().unwrap();
        // The abandoned job is skipped, then a new one runs.
        pool.embed(vec!["w".into()], EmbedKind::Query)
            .await
            .unwrap();
        let stats = pool.stats();
        assert_eq!((stats.done, stats.skipped), (2, 1), "{stats:?}");
    }
}
