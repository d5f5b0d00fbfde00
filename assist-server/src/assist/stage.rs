//! The deal-stage state machine. Each pack has its own ordered pipeline; the call follows the
//! pipeline of the first pack whose stage signal it hears. A signal of a later stage moves the
//! call forward (skipping is allowed: the customer may already be past discovery). The stage
//! never moves backwards on one remark: going back needs signals of that earlier stage in two
//! separate utterances after the current stage was entered.

use std::collections::HashMap;

/// A change of stage.
#[derive(Debug, Clone, PartialEq)]
pub struct StageChange {
    /// Index into `TenantRules::stages` of the new stage.
    pub stage: usize,
    /// Index of the previous stage, if any.
    pub previous: Option<usize>,
    /// 0..1: how much evidence supports the move.
    pub confidence: f32,
}

/// Where the call stands.
#[derive(Debug, Default)]
pub struct StageMachine {
    pack: Option<String>,
    current: Option<(usize, usize)>,
    /// Earlier-stage evidence since the current stage was entered: stage index -> utterances.
    backward_votes: HashMap<usize, u32>,
}

impl StageMachine {
    /// The current stage (index into `TenantRules::stages`).
    pub fn current(&self) -> Option<usize> {
        self.current.map(|(i, _)| i)
    }

    /// The pack whose pipeline the call follows, once known.
    pub fn pack(&self) -> Option<&str> {
        self.pack.as_deref()
    }

    /// Position of the current stage in its pipeline.
    pub fn current_order(&self) -> Option<usize> {
        self.current.map(|(_, o)| o)
    }

    /// One utterance's stage signals: `(stage index, pack id, order in pack, hits)`.
    pub fn observe(&mut self, signals: &[(usize, &str, usize, usize)]) -> Option<StageChange> {
        let pack = match &self.pack {
            Some(p) => p.clone(),
            None => signals.first()?.1.to_string(),
        };
        let best = signals
            .iter()
            .filter(|s| s.1 == pack)
            .max_by_key(|s| (s.2, s.3))?;
        let (stage, _, order, hits) = *best;
        let confidence = (0.6 + 0.2 * hits as f32).min(1.0);
        match self.current {
            None => {
                self.pack = Some(pack);
                self.enter(stage, order, None, confidence)
            }
            Some((cur, cur_order)) if order > cur_order => {
                self.enter(stage, order, Some(cur), confidence)
            }
            Some((cur, cur_order)) if order < cur_order => {
                let votes = self.backward_votes.entry(stage).or_default();
                *votes += 1;
                if *votes >= 2 {
                    self.enter(stage, order, Some(cur), 0.5)
                } else {
                    None
                }
            }
            Some(_) => None,
        }
    }

    fn enter(
        &mut self,
        stage: usize,
        order: usize,
        previous: Option<usize>,
        confidence: f32,
    ) -> Option<StageChange> {
        self.current = Some((stage, order));
        self.backward_votes.clear();
        Some(StageChange {
            stage,
            previous,
            confidence,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moves_forward_and_skips() {
        let mut m = StageMachine::default();
        let c = m.observe(&[(0, "p", 0, 1)]).unwrap();
        assert_eq!((c.stage, c.previous), (0, None));
        assert!(m.observe(&[(0, "p", 0, 1)]).is_none());
        let c = m.observe(&[(1, "p", 1, 1), (3, "p", 3, 1)]).unwrap();
        assert_eq!((c.stage, c.previous), (3, Some(0)));
        assert_eq!(m.current_order(), Some(3));
    }

    #[test]
    fn backwards_needs_two_utterances() {
        let mut m = StageMachine::default();
        m.observe(&[(2, "p", 2, 1)]);
        assert!(m.observe(&[(1, "p", 1, 3)]).is_none());
        let c = m.observe(&[(1, "p", 1, 1)]).unwrap();
        assert_eq!((c.stage, c.previous), (1, Some(2)));
    }

    #[test]
    fn follows_the_first_pack_heard() {
        let mut m = StageMachine::default();
        m.observe(&[(5, "b", 0, 1)]);
        assert_eq!(m.pack(), Some("b"));
        assert!(m.observe(&[(2, "a", 2, 1)]).is_none());
        assert_eq!(m.observe(&[(6, "b", 1, 1)]).unwrap().stage, 6);
    }

    #[test]
    fn no_signal_no_change() {
        let mut m = StageMachine::default();
        assert!(m.observe(&[]).is_none());
        assert_eq!(m.current(), None);
    }
}
