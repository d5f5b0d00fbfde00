//! `RuleError`: why a set of rules and stages could not be compiled into a `PhraseMatcher`.

/// Why `PhraseMatcher::compile` refused its rules and stages.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RuleError {
    /// A rule phrase is empty once normalised (only punctuation or whitespace).
    #[error("rule `{rule}`: phrase {index} `{phrase}` is empty once punctuation is removed")]
    EmptyPhrase {
        /// The rule's id.
        rule: String,
        /// Index of the phrase within the rule's `phrases`.
        index: usize,
        /// The phrase as written.
        phrase: String,
    },
    /// A stage signal is empty once normalised.
    #[error("stage `{stage}`: signal {index} `{signal}` is empty once punctuation is removed")]
    EmptySignal {
        /// The stage's id.
        stage: String,
        /// Index of the signal within the stage's `signals`.
        index: usize,
        /// The signal as written.
        signal: String,
    },
    /// The automaton could not be built (e.g. too many or too long phrases).
    #[error("cannot build the phrase automaton: {0}")]
    Automaton(#[from] aho_corasick::BuildError),
}
