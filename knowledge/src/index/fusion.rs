//! Reciprocal-rank fusion: each ranking contributes `1 / (RRF_K + rank)` (rank from 1) to an
//! item's score, so results ranked well by either index rise, whatever their raw scores.

use std::collections::HashMap;

use super::Scored;

/// The usual RRF constant.
pub const RRF_K: f32 = 60.0;

/// Fuses rankings (each best first) into one, best first; ties keep row-id order.
pub fn reciprocal_rank_fusion(rankings: &[&[Scored]]) -> Vec<Scored> {
    let mut fused: HashMap<u64, f32> = HashMap::new();
    for ranking in rankings {
        for (rank, hit) in ranking.iter().enumerate() {
            *fused.entry(hit.row).or_default() += 1.0 / (RRF_K + rank as f32 + 1.0);
        }
    }
    let mut out: Vec<Scored> = fused
        .into_iter()
        .map(|(row, score)| Scored { row, score })
        .collect();
    out.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.row.cmp(&b.row)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(row: u64) -> Scored {
        Scored { row, score: 0.0 }
    }

    #[test]
    fn an_item_in_both_rankings_wins() {
        let fused = reciprocal_rank_fusion(&[&[s(1), s(2)], &[s(3), s(2)]]);
        assert_eq!(fused[0].row, 2);
        assert_eq!(fused.len(), 3);
    }
}
