//! The pattern table: every rule phrase and stage signal normalised, identical normalised
//! strings merged into one automaton pattern, and for each pattern the `(target, phrase)`
//! pairs it stands for plus its word-boundary edges.

use std::collections::HashMap;
use std::ops::Range;

use super::boundary::Edges;
use super::{RuleError, Target};
use crate::manifest::{Rule, Stage};
use crate::normalize::normalize;

/// One `(target, phrase)` pair a pattern stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Owner {
    pub target: Target,
    pub phrase: usize,
}

/// Distinct normalised patterns, in automaton pattern-id order, with their owners.
#[derive(Debug, Default)]
pub(super) struct PatternTable {
    /// The normalised pattern strings, fed to the automaton builder.
    pub patterns: Vec<String>,
    /// Per pattern: its word-boundary edges.
    pub edges: Vec<Edges>,
    /// Per pattern: its owners, as a range into `owners`.
    pub owner_ranges: Vec<Range<usize>>,
    /// All owners, grouped by pattern.
    pub owners: Vec<Owner>,
}

impl PatternTable {
    /// Normalises and groups the phrases of `rules` and the signals of `stages`.
    pub(super) fn build(rules: &[Rule], stages: &[Stage]) -> Result<Self, RuleError> {
        let mut ids: HashMap<String, usize> = HashMap::new();
        let mut grouped: Vec<Vec<Owner>> = Vec::new();
        let mut patterns = Vec::new();
        let mut add = |normalised: String, owner: Owner| {
            let id = *ids.entry(normalised).or_insert_with_key(|key| {
                patterns.push(key.clone());
                grouped.push(Vec::new());
                patterns.len() - 1
            });
            grouped[id].push(owner);
        };
        for (r, rule) in rules.iter().enumerate() {
            for (index, phrase) in rule.phrases.iter().enumerate() {
                let normalised = normalize(phrase);
                if normalised.is_empty() {
                    return Err(RuleError::EmptyPhrase {
                        rule: rule.id.clone(),
                        index,
                        phrase: phrase.clone(),
                    });
                }
                add(
                    normalised,
                    Owner {
                        target: Target::Rule(r),
                        phrase: index,
                    },
                );
            }
        }
        for (s, stage) in stages.iter().enumerate() {
            for (index, signal) in stage.signals.iter().enumerate() {
                let normalised = normalize(signal);
                if normalised.is_empty() {
                    return Err(RuleError::EmptySignal {
                        stage: stage.id.clone(),
                        index,
                        signal: signal.clone(),
                    });
                }
                add(
                    normalised,
                    Owner {
                        target: Target::Stage(s),
                        phrase: index,
                    },
                );
            }
        }
        let mut table = Self {
            edges: patterns.iter().map(|p| Edges::of(p)).collect(),
            patterns,
            ..Self::default()
        };
        for group in grouped {
            let start = table.owners.len();
            table.owners.extend(group);
            table.owner_ranges.push(start..table.owners.len());
        }
        Ok(table)
    }
}
