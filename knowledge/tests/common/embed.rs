//! A fake embedding for store tests: hashed character 1- to 3-grams of the normalised text,
//! signed into `DIM` buckets. Texts sharing characters land near each other; no model needed.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

use callassist_knowledge::{Chunk, normalize};

pub const DIM: usize = 64;

/// The fake embedding of `text`.
pub fn embed(text: &str) -> Vec<f32> {
    let chars: Vec<char> = normalize(text).chars().collect();
    let mut v = vec![0.0f32; DIM];
    for n in 1..=3 {
        for gram in chars.windows(n) {
            let mut h = DefaultHasher::new();
            gram.hash(&mut h);
            let h = h.finish();
            let sign = if h & 1 == 0 { 1.0 } else { -1.0 };
            v[((h >> 1) % DIM as u64) as usize] += sign;
        }
    }
    if v.iter().all(|x| *x == 0.0) {
        v[0] = 1.0;
    }
    v
}

/// One fake vector per chunk.
pub fn embed_chunks(chunks: &[Chunk]) -> Vec<Vec<f32>> {
    chunks.iter().map(|c| embed(&c.embedding_text())).collect()
}
