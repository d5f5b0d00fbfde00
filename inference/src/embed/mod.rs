//! Sentence embeddings: the synchronous [`Embedder`] trait, the two real models
//! ([`MiniLmEmbedder`]: all-MiniLM-L6-v2, English; [`E5Embedder`]: multilingual-e5-small,
//! Chinese + English, the default) and the [`EmbedPool`] of worker threads that serves them
//! to async code. Every embedder returns L2-normalised vectors, so cosine = dot product.

pub mod e5;
mod minilm;
mod pool;

pub use e5::{E5Embedder, E5Weights};
pub use minilm::MiniLmEmbedder;
pub use pool::EmbedPool;

use crate::InferenceError;

/// What a text is, for models trained with asymmetric prefixes (e5: `query: ` /
/// `passage: `). Symmetric models (MiniLM) ignore it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EmbedKind {
    /// A search query or a live utterance looked up against the knowledge base.
    Query,
    /// A knowledge-base chunk being indexed.
    Passage,
}

/// A sentence-embedding model. Synchronous and `&mut self`; run it on a worker thread
/// through [`EmbedPool`].
pub trait Embedder: Send {
    /// One L2-normalised vector of [`Embedder::dim`] floats per text, in order.
    fn embed(&mut self, texts: &[String], kind: EmbedKind)
    -> Result<Vec<Vec<f32>>, InferenceError>;
    /// Vector dimension.
    fn dim(&self) -> usize;
    /// Short backend/model name for logs, metrics and index compatibility checks.
    fn name(&self) -> String;
}

/// `v / |v|` (a zero vector stays zero).
pub fn l2_normalize(mut v: Vec<f32>) -> Vec<f32> {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
    v.iter_mut().for_each(|x| *x /= norm);
    v
}

/// Cosine similarity of two equal-length vectors.
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let na = a.iter().map(|x| x * x).sum::<f32>().sqrt();
    let nb = b.iter().map(|x| x * x).sum::<f32>().sqrt();
    dot / (na * nb).max(1e-12)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_and_cosine() {
        let v = l2_normalize(vec![3.0, 4.0]);
        assert_eq!(v, vec![0.6, 0.8]);
        assert!((cosine(&v, &[6.0, 8.0]) - 1.0).abs() < 1e-6);
        assert_eq!(cosine(&[1.0, 0.0], &[0.0, 1.0]), 0.0);
        assert_eq!(l2_normalize(vec![0.0; 3]), vec![0.0; 3]);
    }
}
