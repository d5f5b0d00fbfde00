//! Rule phrase matching: every phrase of a tenant's rules and every stage signal, normalised
//! (`crate::normalize`), compiled into ONE Aho-Corasick automaton, and the hits an utterance
//! produces, mapped back to byte spans of the original text.
//!
//! Layout: `error.rs` (`RuleError`), `patterns.rs` (normalise and de-duplicate phrases into
//! the pattern table), `boundary.rs` (Latin word-boundary check), `matcher.rs`
//! (`PhraseMatcher`: build the automaton, find hits), `tests.rs`.

mod boundary;
mod error;
mod matcher;
mod patterns;
#[cfg(test)]
mod tests;

use std::ops::Range;

pub use error::RuleError;
pub use matcher::PhraseMatcher;

/// What a phrase belongs to: an index into the `rules` or `stages` slice given to
/// [`PhraseMatcher::compile`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Target {
    /// `rules[i]`; the phrase is `rules[i].phrases[phrase]`.
    Rule(usize),
    /// `stages[i]`; the phrase is `stages[i].signals[phrase]`.
    Stage(usize),
}

/// One hit of a rule phrase or stage signal in an utterance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhraseHit {
    /// The rule or stage the phrase belongs to.
    pub target: Target,
    /// Index of the phrase (rule) or signal (stage) within its target.
    pub phrase: usize,
    /// Byte range in the original (un-normalised) text.
    pub span: Range<usize>,
    /// `&text[span]`, as said.
    pub matched: String,
}
