//! HNSW recall against the exact scan (a small version of the retrieval benchmark): 5,000
//! seeded random unit vectors of 384 dimensions in one tenant, 100 queries, recall@10 of the
//! graph search must be at least 0.98; also after soft deletes and with a tenant filter.

use std::collections::HashSet;

use callassist_knowledge::DocumentKind;
use callassist_knowledge::index::{ChunkMeta, VectorIndex, VectorIndexConfig};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const DIM: usize = 384;

fn random_unit(rng: &mut ChaCha8Rng) -> Vec<f32> {
    let v: Vec<f32> = (0..DIM).map(|_| rng.random_range(-1.0f32..1.0)).collect();
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    v.into_iter().map(|x| x / norm).collect()
}

fn meta(tenant: &str, row: u64) -> ChunkMeta {
    let kind = if row.is_multiple_of(2) {
        DocumentKind::Product
    } else {
        DocumentKind::Faq
    };
    ChunkMeta {
        tenant: tenant.to_owned(),
        kind,
    }
}

fn recall_at_10(
    index: &VectorIndex,
    tenant: &str,
    queries: &[Vec<f32>],
    kinds: &[DocumentKind],
) -> f64 {
    let mut found = 0;
    let mut total = 0;
    for q in queries {
        let exact: HashSet<u64> = index
            .search_exact(tenant, q, 10, kinds)
            .iter()
            .map(|s| s.row)
            .collect();
        let approx = index.search_hnsw(tenant, q, 10, kinds);
        assert!(approx.len() <= 10);
        found += approx.iter().filter(|s| exact.contains(&s.row)).count();
        total += exact.len();
    }
    found as f64 / total as f64
}

#[test]
fn hnsw_recall_at_10_is_at_least_0_98() {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let mut index = VectorIndex::new(DIM, VectorIndexConfig::default());
    let points: Vec<_> = (0..5_000u64)
        .map(|row| (row, meta("a", row), random_unit(&mut rng)))
        .collect();
    // A second tenant shares the graph; its points must never come back for tenant "a".
    let others: Vec<_> = (5_000..6_000u64)
        .map(|row| (row, meta("b", row), random_unit(&mut rng)))
        .collect();
    index.bulk_load(points.into_iter().chain(others));
    let queries: Vec<Vec<f32>> = (0..100).map(|_| random_unit(&mut rng)).collect();

    let recall = recall_at_10(&index, "a", &queries, &[]);
    assert!(recall >= 0.98, "recall@10 {recall}");
    for q in &queries[..10] {
        assert!(
            index
                .search_hnsw("a", q, 10, &[])
                .iter()
                .all(|s| s.row < 5_000)
        );
        assert!(
            index
                .search_hnsw("b", q, 10, &[])
                .iter()
                .all(|s| s.row >= 5_000)
        );
    }
    let recall = recall_at_10(&index, "a", &queries, &[DocumentKind::Faq]);
    assert!(recall >= 0.98, "recall@10 with a kind filter {recall}");

    // Soft-delete 10% (below the rebuild threshold): deleted rows never come back.
    for row in (0..5_000u64).step_by(10) {
        assert!(index.remove("a", row));
    }
    assert!(index.deleted_in_graph() > 0);
    let recall = recall_at_10(&index, "a", &queries, &[]);
    assert!(recall >= 0.98, "recall@10 after soft deletes {recall}");
    for q in &queries {
        assert!(
            index
                .search_hnsw("a", q, 10, &[])
                .iter()
                .all(|s| s.row % 10 != 0)
        );
    }
    // Past 20% deleted the graph is rebuilt without the dead points.
    for row in (1..5_000u64).step_by(5) {
        index.remove("a", row);
    }
    // 1,500 removed from 6,000: the rebuild at the 1,201st leaves only the later ones dead.
    assert_eq!(index.deleted_in_graph(), 1_500 - 1_201);
    let recall = recall_at_10(&index, "a", &queries, &[]);
    assert!(recall >= 0.98, "recall@10 after rebuild {recall}");
}
