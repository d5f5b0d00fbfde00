//! Semantic checks on a parsed `Manifest` that serde cannot express: id syntax, non-empty
//! phrases, per-kind required fields, stage references, duplicates, `min_choices`. Every
//! problem becomes an `Issue` with file, line and field; all are collected, not just the first.

use std::collections::HashMap;

use crate::error::Issue;
use crate::manifest::{Manifest, Rule, RuleKind};
use crate::normalize::normalize;
use crate::source::{FieldPath, SourceMap};

/// Longest rule or stage id.
const MAX_ITEM_ID: usize = 64;

/// Checks `manifest` and returns every problem found (empty when valid).
pub(crate) fn validate(manifest: &Manifest, map: &SourceMap<'_>) -> Vec<Issue> {
    let mut v = Validator {
        map,
        issues: Vec::new(),
    };
    v.top_level(manifest);
    v.stages(manifest);
    let stage_ids: Vec<&str> = manifest.stages.iter().map(|s| s.id.as_str()).collect();
    v.rules(manifest, &stage_ids);
    v.issues
}

/// Whether `id` is a valid pack id: `[a-z0-9-]{1,64}`.
pub fn is_valid_pack_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

struct Validator<'m, 'a> {
    map: &'m SourceMap<'a>,
    issues: Vec<Issue>,
}

impl Validator<'_, '_> {
    fn push(&mut self, path: &FieldPath, message: impl Into<String>) {
        self.issues.push(self.map.issue_at(path, message));
    }

    fn non_empty(&mut self, path: &FieldPath, value: &str) {
        if value.trim().is_empty() {
            self.push(path, "must not be empty");
        }
    }

    fn top_level(&mut self, m: &Manifest) {
        let root = FieldPath::default();
        if !is_valid_pack_id(&m.id) {
            let msg = format!("invalid pack id `{}`: use 1-64 of a-z, 0-9 and `-`", m.id);
            self.push(&root.key("id"), msg);
        }
        self.non_empty(&root.key("name"), &m.name);
        self.non_empty(&root.key("version"), &m.version);
        if m.version.chars().any(char::is_control) {
            self.push(&root.key("version"), "must not contain control characters");
        }
        if m.languages.is_empty() {
            self.push(&root.key("languages"), "must list at least one language");
        }
        for (i, lang) in m.languages.iter().enumerate() {
            if lang.is_empty() || lang.chars().any(|c| c.is_whitespace() || c.is_control()) {
                self.push(
                    &root.key("languages").index(i),
                    format!("invalid language `{lang}`"),
                );
            }
        }
    }

    fn item_id(&mut self, path: &FieldPath, id: &str, what: &str) {
        let bad_char = id.chars().any(|c| c.is_whitespace() || c.is_control());
        if id.is_empty() || id.chars().count() > MAX_ITEM_ID || bad_char {
            let msg = format!("invalid {what} id `{id}`: 1-{MAX_ITEM_ID} characters, no spaces");
            self.push(path, msg);
        }
    }

    fn duplicates<'s>(&mut self, list: &str, ids: impl Iterator<Item = &'s str>, what: &str) {
        let mut first = HashMap::new();
        for (i, id) in ids.enumerate() {
            if let Some(prev) = first.insert(id, i) {
                let path = FieldPath::default().key(list).index(i).key("id");
                let first_id = FieldPath::default().key(list).index(prev).key("id");
                let first_line = self.map.issue_at(&first_id, "");
                let at = first_line
                    .line
                    .map(|l| format!(" (first at line {l})"))
                    .unwrap_or_default();
                self.push(&path, format!("duplicate {what} id `{id}`{at}"));
                first.insert(id, prev);
            }
        }
    }

    fn phrases(&mut self, path: &FieldPath, phrases: &[String]) {
        for (i, phrase) in phrases.iter().enumerate() {
            if normalize(phrase).is_empty() {
                let msg = format!("phrase `{phrase}` is empty once punctuation is removed");
                self.push(&path.index(i), msg);
            }
        }
    }

    fn stages(&mut self, m: &Manifest) {
        for (i, stage) in m.stages.iter().enumerate() {
            let path = FieldPath::default().key("stages").index(i);
            self.item_id(&path.key("id"), &stage.id, "stage");
            self.non_empty(&path.key("name"), &stage.name);
            self.phrases(&path.key("signals"), &stage.signals);
        }
        self.duplicates("stages", m.stages.iter().map(|s| s.id.as_str()), "stage");
    }

    fn rules(&mut self, m: &Manifest, stage_ids: &[&str]) {
        for (i, rule) in m.rules.iter().enumerate() {
            self.rule(&FieldPath::default().key("rules").index(i), rule, stage_ids);
        }
        self.duplicates("rules", m.rules.iter().map(|r| r.id.as_str()), "rule");
    }

    fn rule(&mut self, path: &FieldPath, rule: &Rule, stage_ids: &[&str]) {
        let kind = rule.kind.as_str();
        self.item_id(&path.key("id"), &rule.id, "rule");
        self.non_empty(&path.key("message"), &rule.message);
        if rule.kind == RuleKind::Emotion {
            match &rule.emotion {
                None => self.push(&path.key("emotion"), "emotion rules need `emotion`"),
                Some(e) => self.non_empty(&path.key("emotion"), e),
            }
            if !rule.phrases.is_empty() {
                self.push(
                    &path.key("phrases"),
                    "emotion rules use `emotion`, not `phrases`",
                );
            }
        } else {
            if rule.phrases.is_empty() {
                self.push(
                    &path.key("phrases"),
                    format!("{kind} rules need at least one phrase"),
                );
            }
            self.phrases(&path.key("phrases"), &rule.phrases);
            if rule.emotion.is_some() {
                self.push(&path.key("emotion"), "only emotion rules take `emotion`");
            }
        }
        self.timing(path, rule, stage_ids);
        for (i, option) in rule.suggest.iter().enumerate() {
            self.non_empty(&path.key("suggest").index(i), option);
        }
        if let Some(min) = rule.min_choices {
            let options = rule.suggest.len();
            if min as usize > options {
                let msg = format!("min_choices = {min} but `suggest` has {options} option(s)");
                self.push(&path.key("min_choices"), msg);
            }
        }
    }

    fn timing(&mut self, path: &FieldPath, rule: &Rule, stage_ids: &[&str]) {
        if rule.kind != RuleKind::Required {
            let kind = rule.kind.as_str();
            if rule.within_s.is_some() {
                self.push(
                    &path.key("within_s"),
                    format!("only required rules take `within_s`, not {kind}"),
                );
            }
            if rule.before_stage.is_some() {
                let msg = format!("only required rules take `before_stage`, not {kind}");
                self.push(&path.key("before_stage"), msg);
            }
            return;
        }
        if rule.within_s.is_none() && rule.before_stage.is_none() {
            self.push(
                &path.key("within_s"),
                "required rules need `within_s` or `before_stage`",
            );
        }
        if rule.within_s == Some(0) {
            self.push(&path.key("within_s"), "must be at least 1 second");
        }
        if let Some(stage) = &rule.before_stage
            && !stage_ids.contains(&stage.as_str())
        {
            let known = stage_ids.join(", ");
            let msg = format!("unknown stage `{stage}` (stages: {known})");
            self.push(&path.key("before_stage"), msg);
        }
    }
}
