//! Talk-track coverage: which required rules (disclosures) have been said, and which are now
//! missing because their deadline passed: `within_s` of call time, or `before_stage` when the
//! call reaches that stage (or a later one) of the rule's own pack. Each rule id is reported
//! missing at most once per call; one said after its deadline still counts as covered.

use std::collections::HashSet;

use callassist_knowledge::RuleKind;

use super::tenant::TenantRules;

#[derive(Debug)]
struct Item {
    rule: usize,
    id: String,
    covered: bool,
    deadline_ms: Option<u64>,
    /// (pack id, order of the stage in that pack) the rule must precede.
    before: Option<(String, usize)>,
}

/// Coverage state of one call.
#[derive(Debug, Default)]
pub struct RequiredTracker {
    items: Vec<Item>,
    reported: HashSet<String>,
}

impl RequiredTracker {
    /// Tracks every required rule of `rules`.
    pub fn new(rules: &TenantRules) -> Self {
        let items = rules
            .of_kind(RuleKind::Required)
            .map(|i| {
                let r = &rules.rules[i];
                let before = r.rule.before_stage.as_ref().and_then(|s| {
                    rules
                        .stages
                        .iter()
                        .find(|st| st.pack_id == r.pack_id && &st.stage.id == s)
                        .map(|st| (st.pack_id.clone(), st.order))
                });
                Item {
                    rule: i,
                    id: r.rule.id.clone(),
                    covered: false,
                    deadline_ms: r.rule.within_s.map(|s| u64::from(s) * 1000),
                    before,
                }
            })
            .collect();
        Self {
            items,
            reported: HashSet::new(),
        }
    }

    /// Rule `rule` was said by its speaker.
    pub fn cover(&mut self, rule: usize) {
        for it in self.items.iter_mut().filter(|it| it.rule == rule) {
            it.covered = true;
        }
        // A rule id shared by several packs is covered for all of them.
        if let Some(id) = self
            .items
            .iter()
            .find(|it| it.rule == rule)
            .map(|it| it.id.clone())
        {
            for it in self.items.iter_mut().filter(|it| it.id == id) {
                it.covered = true;
            }
        }
    }

    /// Rules whose `within_s` deadline has passed at `now_ms` (newly missing).
    pub fn due(&mut self, now_ms: u64) -> Vec<usize> {
        self.take(|it| it.deadline_ms.is_some_and(|d| now_ms > d))
    }

    /// Rules that had to be said before the call reached stage `order` of `pack`.
    pub fn stage_reached(&mut self, pack: &str, order: usize) -> Vec<usize> {
        self.take(|it| {
            it.before
                .as_ref()
                .is_some_and(|(p, o)| p == pack && order >= *o)
        })
    }

    /// At call end: every `within_s` rule still not said.
    pub fn at_end(&mut self) -> Vec<usize> {
        self.take(|it| it.deadline_ms.is_some())
    }

    /// Fraction of required rule ids covered (1 when there are none).
    pub fn coverage(&self) -> f32 {
        let ids: HashSet<&str> = self.items.iter().map(|it| it.id.as_str()).collect();
        if ids.is_empty() {
            return 1.0;
        }
        let covered: HashSet<&str> = self
            .items
            .iter()
            .filter(|it| it.covered)
            .map(|it| it.id.as_str())
            .collect();
        covered.len() as f32 / ids.len() as f32
    }

    /// The earliest pending `within_s` deadline, if any.
    pub fn next_deadline(&self) -> Option<u64> {
        self.items
            .iter()
            .filter(|it| !it.covered && !self.reported.contains(&it.id))
            .filter_map(|it| it.deadline_ms)
            .min()
    }

    fn take(&mut self, due: impl Fn(&Item) -> bool) -> Vec<usize> {
        let mut out = Vec::new();
        for it in &self.items {
            if !it.covered && !self.reported.contains(&it.id) && due(it) {
                self.reported.insert(it.id.clone());
                out.push(it.rule);
            }
        }
        out
    }
}
