//! The compliance guard on generated text: a suggestion the LLM wrote is sent only if it
//! contains none of the tenant's forbidden phrases (the same automaton the live rules use,
//! so normalisation and word boundaries match) and, checked by the caller with embeddings,
//! does not mean one either.

use callassist_knowledge::RuleKind;
use callassist_knowledge::rules::Target;

use super::tenant::TenantRules;

/// The id of the first forbidden rule whose phrase appears in `text`, if any.
pub fn forbidden_phrase(rules: &TenantRules, text: &str) -> Option<String> {
    rules
        .matcher
        .find(text)
        .into_iter()
        .find_map(|hit| match hit.target {
            Target::Rule(i) => rules
                .rules
                .get(i)
                .filter(|r| r.rule.kind == RuleKind::Forbidden)
                .map(|r| r.rule.id.clone()),
            _ => None,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use callassist_knowledge::Rule;

    fn rules() -> TenantRules {
        let rule: Rule = toml::from_str(
            r#"
            id = "no-guarantee"
            kind = "forbidden"
            phrases = ["guaranteed results", "保证效果"]
            message = "Never guarantee results."
            "#,
        )
        .unwrap();
        let objection: Rule = toml::from_str(
            r#"
            id = "budget"
            kind = "objection"
            phrases = ["too expensive"]
            message = "Budget objection."
            "#,
        )
        .unwrap();
        TenantRules::compile(
            vec![("p".into(), rule), ("p".into(), objection)],
            Vec::new(),
            &[],
        )
        .unwrap()
    }

    #[test]
    fn finds_forbidden_phrases_only() {
        let r = rules();
        assert_eq!(
            forbidden_phrase(&r, "We offer Guaranteed Results in 8 weeks."),
            Some("no-guarantee".into())
        );
        assert_eq!(
            forbidden_phrase(&r, "我们可以保证效果。"),
            Some("no-guarantee".into())
        );
        // Objection phrases are not a compliance problem in generated text.
        assert_eq!(
            forbidden_phrase(&r, "If it feels too expensive, start small."),
            None
        );
        assert_eq!(
            forbidden_phrase(&r, "Pilots cut reconciliation by a third [1]."),
            None
        );
    }
}
