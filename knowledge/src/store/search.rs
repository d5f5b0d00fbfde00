//! `KnowledgeStore::search`: the tenant's vector and keyword rankings (each a few times
//! deeper than `k`), fused by reciprocal-rank fusion, then the top `k` read from SQLite.

use super::{KnowledgeStore, SearchHit, StoreError, read};
use crate::index::reciprocal_rank_fusion;
use crate::manifest::DocumentKind;

/// How many candidates each ranking contributes, at least.
const MIN_DEPTH: usize = 50;

impl KnowledgeStore {
    /// The `k` best chunks of `tenant` (of `kinds`; every kind when empty) for a query given
    /// as text (keyword search) and as its embedding (vector search; skipped when empty).
    pub fn search(
        &self,
        tenant: &str,
        query_text: &str,
        query_vec: &[f32],
        k: usize,
        kinds: &[DocumentKind],
    ) -> Result<Vec<SearchHit>, StoreError> {
        if k == 0 {
            return Ok(Vec::new());
        }
        if !query_vec.is_empty() && query_vec.len() != self.dim {
            return Err(StoreError::Dimension {
                index: 0,
                got: query_vec.len(),
                expected: self.dim,
            });
        }
        let depth = (k * 4).max(MIN_DEPTH);
        let by_vector = if query_vec.is_empty() {
            Vec::new()
        } else {
            self.vectors.search(tenant, query_vec, depth, kinds)
        };
        let by_keyword = self.keywords.search(tenant, query_text, depth, kinds);
        let fused = reciprocal_rank_fusion(&[&by_vector, &by_keyword]);
        let mut hits = Vec::with_capacity(k);
        for scored in fused {
            if hits.len() == k {
                break;
            }
            let Some(chunk) = read::chunk_by_row(&self.conn, tenant, scored.row)? else {
                continue;
            };
            hits.push(SearchHit {
                chunk_id: chunk.chunk_id,
                pack_id: chunk.pack_id,
                doc_path: chunk.doc_path,
                kind: chunk.kind,
                heading_path: chunk.heading_path,
                score: scored.score,
                text: chunk.text,
            });
        }
        Ok(hits)
    }
}
