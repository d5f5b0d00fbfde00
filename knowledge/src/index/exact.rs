//! Exact nearest neighbours by scanning every candidate with `dot`: the search for small
//! tenants and the recall reference for HNSW.

use super::{Scored, dot};

/// The `k` candidates with the highest dot product with `query`, best first (ties by row).
pub(crate) fn exact_top_k<'a>(
    query: &[f32],
    candidates: impl Iterator<Item = (u64, &'a [f32])>,
    k: usize,
) -> Vec<Scored> {
    if k == 0 {
        return Vec::new();
    }
    let mut best: Vec<Scored> = Vec::with_capacity(k + 1);
    for (row, vector) in candidates {
        let score = dot(query, vector);
        if best.len() == k && score <= best[k - 1].score {
            continue;
        }
        let at = best.partition_point(|s| s.score > score || (s.score == score && s.row < row));
        best.insert(at, Scored { row, score });
        best.truncate(k);
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_k_best_in_order() {
        let vs = [
            vec![1.0, 0.0],
            vec![0.0, 1.0],
            vec![0.7, 0.7],
            vec![-1.0, 0.0],
        ];
        let hits = exact_top_k(
            &[1.0, 0.0],
            vs.iter().enumerate().map(|(i, v)| (i as u64, v.as_slice())),
            2,
        );
        assert_eq!(hits.iter().map(|h| h.row).collect::<Vec<_>>(), vec![0, 2]);
    }
}
