//! BM25 keyword index (k1 = 1.2, b = 0.75), one inverted index per tenant so term statistics
//! and results never mix tenants.

use std::collections::HashMap;

use super::{Scored, kind_allowed, tokenize};
use crate::manifest::DocumentKind;

const K1: f32 = 1.2;
const B: f32 = 0.75;

/// Keyword index over every tenant's chunks.
#[derive(Debug, Default)]
pub struct KeywordIndex {
    tenants: HashMap<String, TenantIndex>,
}

#[derive(Debug, Default)]
struct TenantIndex {
    /// term -> (row -> term frequency)
    postings: HashMap<String, HashMap<u64, u32>>,
    /// row -> (kind, token count, distinct terms)
    docs: HashMap<u64, Doc>,
    total_len: u64,
}

#[derive(Debug)]
struct Doc {
    kind: DocumentKind,
    len: u32,
    terms: Vec<String>,
}

impl KeywordIndex {
    /// Indexes chunk `row` of `tenant` (replacing any earlier text of that row).
    pub fn insert(&mut self, tenant: &str, row: u64, kind: DocumentKind, text: &str) {
        self.remove(tenant, row);
        let index = self.tenants.entry(tenant.to_owned()).or_default();
        let tokens = tokenize(text);
        let mut tf: HashMap<String, u32> = HashMap::new();
        for token in &tokens {
            *tf.entry(token.clone()).or_default() += 1;
        }
        let len = tokens.len() as u32;
        let terms: Vec<String> = tf.keys().cloned().collect();
        for (term, count) in tf {
            index.postings.entry(term).or_default().insert(row, count);
        }
        index.total_len += u64::from(len);
        index.docs.insert(row, Doc { kind, len, terms });
    }

    /// Removes chunk `row` of `tenant`; false if it was not indexed for that tenant.
    pub fn remove(&mut self, tenant: &str, row: u64) -> bool {
        let Some(index) = self.tenants.get_mut(tenant) else {
            return false;
        };
        let Some(doc) = index.docs.remove(&row) else {
            return false;
        };
        index.total_len -= u64::from(doc.len);
        for term in doc.terms {
            if let Some(rows) = index.postings.get_mut(&term) {
                rows.remove(&row);
                if rows.is_empty() {
                    index.postings.remove(&term);
                }
            }
        }
        if index.docs.is_empty() {
            self.tenants.remove(tenant);
        }
        true
    }

    /// Number of chunks indexed for `tenant`.
    pub fn len(&self, tenant: &str) -> usize {
        self.tenants.get(tenant).map_or(0, |t| t.docs.len())
    }

    /// Whether `tenant` has nothing indexed.
    pub fn is_empty(&self, tenant: &str) -> bool {
        self.len(tenant) == 0
    }

    /// The `k` best BM25 matches of `query` among `tenant`'s chunks of the given kinds
    /// (all kinds when `kinds` is empty), best first; only chunks sharing a term score.
    pub fn search(
        &self,
        tenant: &str,
        query: &str,
        k: usize,
        kinds: &[DocumentKind],
    ) -> Vec<Scored> {
        let Some(index) = self.tenants.get(tenant) else {
            return Vec::new();
        };
        let n = index.docs.len() as f32;
        let avg_len = (index.total_len as f32 / n).max(1.0);
        let mut terms = tokenize(query);
        terms.sort();
        terms.dedup();
        let mut scores: HashMap<u64, f32> = HashMap::new();
        for term in &terms {
            let Some(rows) = index.postings.get(term) else {
                continue;
            };
            let df = rows.len() as f32;
            let idf = ((n - df + 0.5) / (df + 0.5) + 1.0).ln();
            for (&row, &tf) in rows {
                let doc = &index.docs[&row];
                if !kind_allowed(kinds, doc.kind) {
                    continue;
                }
                let tf = tf as f32;
                let norm = K1 * (1.0 - B + B * doc.len as f32 / avg_len);
                *scores.entry(row).or_default() += idf * tf * (K1 + 1.0) / (tf + norm);
            }
        }
        let mut out: Vec<Scored> = scores
            .into_iter()
            .map(|(row, score)| Scored { row, score })
            .collect();
        out.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.row.cmp(&b.row)));
        out.truncate(k);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_by_term_per_tenant_and_kind() {
        let mut index = KeywordIndex::default();
        index.insert(
            "a",
            1,
            DocumentKind::Product,
            "预算有限的客户可以选择基础版",
        );
        index.insert("a", 2, DocumentKind::Faq, "How do I reset a password?");
        index.insert("b", 3, DocumentKind::Product, "预算 budget");
        let hits = index.search("a", "预算", 10, &[]);
        assert_eq!(hits.iter().map(|h| h.row).collect::<Vec<_>>(), vec![1]);
        assert!(
            index
                .search("a", "预算", 10, &[DocumentKind::Faq])
                .is_empty()
        );
        assert_eq!(index.search("a", "PASSWORD", 10, &[])[0].row, 2);
        assert!(index.remove("a", 1));
        assert!(!index.remove("a", 3), "row 3 belongs to tenant b");
        assert!(index.search("a", "预算", 10, &[]).is_empty());
        assert_eq!(index.search("b", "预算", 10, &[])[0].row, 3);
    }
}
