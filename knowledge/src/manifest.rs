//! The `pack.toml` model (spec: `shared/spec/knowledge-pack.md`): serde types that accept
//! exactly the documented fields and refuse any other. Semantic checks live in `validate.rs`.

use serde::{Deserialize, Serialize};

/// A parsed `pack.toml`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Pack id, `[a-z0-9-]{1,64}`.
    pub id: String,
    /// Human-readable name.
    pub name: String,
    /// Any non-empty string; a re-upload with a new version replaces the old one.
    pub version: String,
    /// Languages of the pack's content, e.g. `["zh", "en"]`.
    pub languages: Vec<String>,
    /// Free text; built-in packs use `medical`, `manufacturing` or `saas`.
    pub industry: String,
    /// Documents to load. `None` (no `[[documents]]`): every `.md`/`.txt` under `docs/`.
    #[serde(default)]
    pub documents: Option<Vec<DocumentEntry>>,
    /// The deal pipeline, in order.
    #[serde(default)]
    pub stages: Vec<Stage>,
    /// Phrase, objection, competitor and emotion rules.
    #[serde(default)]
    pub rules: Vec<Rule>,
}

/// One `[[documents]]` entry.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DocumentEntry {
    /// Path relative to the pack root, `/`-separated.
    pub path: String,
    /// What the document is.
    pub kind: DocumentKind,
}

/// What a document is about; retrieval can filter on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DocumentKind {
    Product,
    Case,
    Legal,
    Faq,
    Competitor,
    Script,
}

impl DocumentKind {
    /// Every kind, in spec order.
    pub const ALL: [Self; 6] = [
        Self::Product,
        Self::Case,
        Self::Legal,
        Self::Faq,
        Self::Competitor,
        Self::Script,
    ];

    /// The name used in `pack.toml`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Product => "product",
            Self::Case => "case",
            Self::Legal => "legal",
            Self::Faq => "faq",
            Self::Competitor => "competitor",
            Self::Script => "script",
        }
    }
}

/// One `[[stages]]` entry: a step of the deal pipeline.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Stage {
    pub id: String,
    pub name: String,
    /// Evidence phrases from either speaker that the call has reached this stage.
    #[serde(default)]
    pub signals: Vec<String>,
}

/// One `[[rules]]` entry.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub id: String,
    pub kind: RuleKind,
    /// Whose utterances the rule watches (default `any`).
    #[serde(default)]
    pub speaker: Speaker,
    /// Trigger phrases (all kinds but `emotion`), matched after `normalize`.
    #[serde(default)]
    pub phrases: Vec<String>,
    /// Default `medium`.
    #[serde(default)]
    pub severity: Severity,
    /// Shown to the agent when the rule fires.
    pub message: String,
    /// Suggested replies or options.
    #[serde(default)]
    pub suggest: Vec<String>,
    /// `required` rules: the phrase must be said within this many seconds of the call start.
    #[serde(default)]
    pub within_s: Option<u32>,
    /// `required` rules: the phrase must be said before the call reaches this stage.
    #[serde(default)]
    pub before_stage: Option<String>,
    /// How many of `suggest` the agent must pick (and may give a reason).
    #[serde(default)]
    pub min_choices: Option<u32>,
    /// `emotion` rules: the detected emotion this rule copes with, e.g. `frustrated`.
    #[serde(default)]
    pub emotion: Option<String>,
    /// Optional (extension of v1): example utterances that mean the same as the phrases in
    /// other words; `objection` rules also fire on utterances close to them in meaning.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub examples: Vec<String>,
}

/// What a rule does when its phrases are heard (or, for `emotion`, its emotion is detected).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RuleKind {
    /// Must never be said.
    Forbidden,
    /// Must be said (within `within_s` or before `before_stage`).
    Required,
    /// A customer objection, with suggested handling.
    Objection,
    /// A competitor mention, with positioning.
    Competitor,
    /// A coping strategy for a detected emotion.
    Emotion,
}

impl RuleKind {
    /// The name used in `pack.toml`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Forbidden => "forbidden",
            Self::Required => "required",
            Self::Objection => "objection",
            Self::Competitor => "competitor",
            Self::Emotion => "emotion",
        }
    }
}

/// Which side of the call a rule or signal applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Speaker {
    Agent,
    Customer,
    #[default]
    Any,
}

/// How serious a rule hit is.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Deserialize, Serialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Low,
    #[default]
    Medium,
    High,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialises_back_to_the_same_manifest() {
        let text = r#"
            id = "p"
            name = "P"
            version = "1"
            languages = ["en"]
            industry = "saas"
            [[stages]]
            id = "s"
            name = "S"
            [[rules]]
            id = "r"
            kind = "required"
            phrases = ["hi"]
            before_stage = "s"
            message = "m"
        "#;
        let manifest: Manifest = toml::from_str(text).unwrap();
        assert_eq!(manifest.rules[0].speaker, Speaker::Any);
        let again: Manifest = toml::from_str(&toml::to_string(&manifest).unwrap()).unwrap();
        assert_eq!(again, manifest);
    }
}
