//! A tenant's assist rules, compiled once per knowledge change: every rule and stage of the
//! tenant's packs (optionally restricted to the packs a call names), one phrase automaton over
//! all of them, and each pack's stage pipeline in order.

use std::collections::BTreeMap;

use callassist_knowledge::rules::{PhraseMatcher, RuleError};
use callassist_knowledge::{Rule, RuleKind, Stage};

/// One rule with the pack it came from.
#[derive(Debug, Clone)]
pub struct PackRule {
    pub pack_id: String,
    pub rule: Rule,
}

/// One stage with its pack and its position in that pack's pipeline.
#[derive(Debug, Clone)]
pub struct PackStage {
    pub pack_id: String,
    pub order: usize,
    pub stage: Stage,
}

/// Everything the engine needs from a tenant's packs.
#[derive(Debug)]
pub struct TenantRules {
    pub rules: Vec<PackRule>,
    pub stages: Vec<PackStage>,
    pub matcher: PhraseMatcher,
    /// Objection phrase vectors, embedded on first need.
    pub semantic: tokio::sync::OnceCell<std::sync::Arc<super::semantic::ObjectionVectors>>,
    /// Forbidden-rule phrase vectors (for the guard on generated text), embedded on first need.
    pub forbidden: tokio::sync::OnceCell<std::sync::Arc<super::semantic::ObjectionVectors>>,
}

impl TenantRules {
    /// Compiles `rules` and `stages` (as the store lists them: pack id first, manifest order),
    /// keeping only `packs` when it is not empty.
    pub fn compile(
        rules: Vec<(String, Rule)>,
        stages: Vec<(String, Stage)>,
        packs: &[String],
    ) -> Result<Self, RuleError> {
        let keep = |pack: &String| packs.is_empty() || packs.contains(pack);
        let rules: Vec<PackRule> = rules
            .into_iter()
            .filter(|(p, _)| keep(p))
            .map(|(pack_id, rule)| PackRule { pack_id, rule })
            .collect();
        let mut orders: BTreeMap<String, usize> = BTreeMap::new();
        let stages: Vec<PackStage> = stages
            .into_iter()
            .filter(|(p, _)| keep(p))
            .map(|(pack_id, stage)| {
                let next = orders.entry(pack_id.clone()).or_default();
                let order = *next;
                *next += 1;
                PackStage {
                    pack_id,
                    order,
                    stage,
                }
            })
            .collect();
        let plain_rules: Vec<Rule> = rules.iter().map(|r| r.rule.clone()).collect();
        let plain_stages: Vec<Stage> = stages.iter().map(|s| s.stage.clone()).collect();
        let matcher = PhraseMatcher::compile(&plain_rules, &plain_stages)?;
        Ok(Self {
            rules,
            stages,
            matcher,
            semantic: tokio::sync::OnceCell::new(),
            forbidden: tokio::sync::OnceCell::new(),
        })
    }

    /// An empty rule set (a tenant without packs).
    pub fn empty() -> Self {
        Self::compile(Vec::new(), Vec::new(), &[]).expect("an empty rule set compiles")
    }

    /// Indexes of the rules of `kind`.
    pub fn of_kind(&self, kind: RuleKind) -> impl Iterator<Item = usize> + '_ {
        self.rules
            .iter()
            .enumerate()
            .filter(move |(_, r)| r.rule.kind == kind)
            .map(|(i, _)| i)
    }

    /// Names worth spelling right in transcripts (the competitor rules' phrases: product and
    /// company names), as a short text for the recognizer's prompt; `None` without any. At
    /// most `max_chars` characters, first packs first.
    pub fn phrase_hints(&self, max_chars: usize) -> Option<String> {
        let mut seen = std::collections::HashSet::new();
        let mut out = String::new();
        for i in self.of_kind(RuleKind::Competitor) {
            for p in &self.rules[i].rule.phrases {
                let p = p.trim();
                if p.is_empty() || !seen.insert(p.to_lowercase()) {
                    continue;
                }
                let sep = if out.is_empty() { "" } else { ", " };
                if out.chars().count() + sep.len() + p.chars().count() > max_chars {
                    break;
                }
                out.push_str(sep);
                out.push_str(p);
            }
        }
        (!out.is_empty()).then_some(out)
    }

    /// The emotion rule for `label` ("angry", ...), if a pack has one; `pack` first when given.
    pub fn emotion_rule(&self, label: &str, pack: Option<&str>) -> Option<&PackRule> {
        let matches = |r: &&PackRule| {
            r.rule.kind == RuleKind::Emotion && r.rule.emotion.as_deref() == Some(label)
        };
        pack.and_then(|p| self.rules.iter().filter(matches).find(|r| r.pack_id == p))
            .or_else(|| self.rules.iter().find(matches))
    }
}
