//! Every malformed pack is refused with an error naming the file, the line and the field.

mod common;

use callassist_knowledge::{Issue, Limits, PackError, load_pack_bytes};
use common::*;

fn load(files: &Files) -> Result<callassist_knowledge::LoadedPack, PackError> {
    load_pack_bytes(&zip(files), &Limits::default())
}

/// Loads the valid pack with `from` replaced by `to` in its manifest; returns the one issue.
fn issue_after(from: &str, to: &str) -> Issue {
    assert!(VALID_MANIFEST.contains(from), "fixture lacks {from:?}");
    let err = load(&pack_with(&VALID_MANIFEST.replacen(from, to, 1))).unwrap_err();
    only_issue(&err).clone()
}

fn line_of(needle: &str) -> usize {
    VALID_MANIFEST
        .lines()
        .position(|l| l.contains(needle))
        .unwrap()
        + 1
}

fn assert_issue(issue: &Issue, line: usize, field: &str, words: &str) {
    assert_eq!(issue.file, "pack.toml", "{issue}");
    assert_eq!(issue.line, Some(line), "{issue}");
    assert_eq!(issue.field.as_deref(), Some(field), "{issue}");
    assert!(issue.message.contains(words), "{issue}");
    let shown = issue.to_string();
    assert!(
        shown.starts_with(&format!("pack.toml:{line}")) && shown.contains(field),
        "{shown}"
    );
}

#[test]
fn bad_toml_reports_line_and_column() {
    let issue = issue_after("industry = \"medical\"", "industry = \"medical");
    assert_eq!(issue.file, "pack.toml");
    assert_eq!(issue.line, Some(line_of("industry")), "{issue}");
    assert!(issue.column.is_some());
    assert_eq!(issue.field.as_deref(), Some("industry"), "{issue}");
    let issue = issue_after("within_s = 60", "within_s = = 60");
    assert_eq!(issue.line, Some(line_of("within_s")), "{issue}");
    assert_eq!(issue.field.as_deref(), Some("rules[1].within_s"), "{issue}");
}

#[test]
fn unknown_rule_kind() {
    let issue = issue_after("kind = \"objection\"", "kind = \"complaint\"");
    assert_issue(
        &issue,
        line_of("kind = \"objection\""),
        "rules[2].kind",
        "complaint",
    );
}

#[test]
fn unknown_fields_are_rejected_everywhere() {
    let issue = issue_after("min_choices = 1", "min_choices = 1\npriority = 3");
    assert_issue(
        &issue,
        line_of("min_choices") + 1,
        "rules[2].priority",
        "unknown field",
    );
    let issue = issue_after(
        "industry = \"medical\"",
        "industry = \"medical\"\nowner = \"x\"",
    );
    assert_issue(&issue, line_of("industry") + 1, "owner", "unknown field");
    let issue = issue_after(
        "name = \"Proposal\"",
        "name = \"Proposal\"\ncolor = \"red\"",
    );
    assert_issue(
        &issue,
        line_of("name = \"Proposal\"") + 1,
        "stages[1].color",
        "unknown field",
    );
}

#[test]
fn wrong_types_and_unknown_enum_values() {
    let issue = issue_after("within_s = 60", "within_s = \"sixty\"");
    assert_issue(&issue, line_of("within_s"), "rules[1].within_s", "");
    let issue = issue_after("speaker = \"customer\"", "speaker = \"caller\"");
    assert_issue(
        &issue,
        line_of("speaker = \"customer\""),
        "rules[2].speaker",
        "caller",
    );
    let issue = issue_after("kind = \"case\"", "kind = \"memo\"");
    assert_issue(
        &issue,
        line_of("kind = \"case\""),
        "documents[1].kind",
        "memo",
    );
}

#[test]
fn missing_required_field_names_the_table() {
    let issue = issue_after("message = \"Budget objection\"\n", "");
    assert_eq!(issue.line, Some(line_of("id = \"budget\"") - 1), "{issue}");
    assert_eq!(issue.field.as_deref(), Some("rules[2]"), "{issue}");
    assert!(issue.message.contains("message"), "{issue}");
}

#[test]
fn empty_phrases() {
    let issue = issue_after(
        "phrases = [\"over our budget\", \"预算不足\"]",
        "phrases = []",
    );
    assert_issue(
        &issue,
        line_of("over our budget"),
        "rules[2].phrases",
        "at least one phrase",
    );
    let issue = issue_after(
        "\"over our budget\", \"预算不足\"",
        "\"over our budget\", \"！？\"",
    );
    assert_issue(
        &issue,
        line_of("over our budget"),
        "rules[2].phrases[1]",
        "empty",
    );
}

#[test]
fn emotion_rules_need_emotion_and_no_phrases() {
    let issue = issue_after("emotion = \"frustrated\"\n", "");
    assert_issue(
        &issue,
        line_of("id = \"frustrated\"") - 1,
        "rules[3].emotion",
        "need `emotion`",
    );
    let issue = issue_after(
        "emotion = \"frustrated\"",
        "emotion = \"frustrated\"\nphrases = [\"ugh\"]",
    );
    assert_issue(
        &issue,
        line_of("emotion = ") + 1,
        "rules[3].phrases",
        "not `phrases`",
    );
}

#[test]
fn required_rule_timing() {
    let issue = issue_after("within_s = 60\n", "");
    assert_issue(
        &issue,
        line_of("recording-disclosure") - 1,
        "rules[1].within_s",
        "before_stage",
    );
    let issue = issue_after("within_s = 60", "before_stage = \"closing\"");
    assert_issue(
        &issue,
        line_of("within_s"),
        "rules[1].before_stage",
        "unknown stage `closing`",
    );
    assert!(
        load(&pack_with(
            &VALID_MANIFEST.replace("within_s = 60", "before_stage = \"proposal\"")
        ))
        .is_ok()
    );
    let issue = issue_after("min_choices = 1", "min_choices = 1\nwithin_s = 5");
    assert_issue(
        &issue,
        line_of("min_choices") + 1,
        "rules[2].within_s",
        "only required rules",
    );
}

#[test]
fn duplicate_rule_and_stage_ids() {
    let issue = issue_after("id = \"budget\"", "id = \"recording-disclosure\"");
    assert_issue(
        &issue,
        line_of("id = \"budget\""),
        "rules[2].id",
        "duplicate rule id",
    );
    assert!(
        issue.message.contains(&format!(
            "line {}",
            line_of("id = \"recording-disclosure\"")
        )),
        "{issue}"
    );
    let issue = issue_after("id = \"proposal\"", "id = \"discovery\"");
    assert_issue(
        &issue,
        line_of("id = \"proposal\""),
        "stages[1].id",
        "duplicate stage id",
    );
}

#[test]
fn min_choices_above_options() {
    let issue = issue_after("min_choices = 1", "min_choices = 4");
    assert_issue(
        &issue,
        line_of("min_choices"),
        "rules[2].min_choices",
        "3 option",
    );
}

#[test]
fn invalid_pack_id() {
    for bad in ["ACME", "acme_medical", "", "a".repeat(65).as_str(), "汉字"] {
        let issue = issue_after("id = \"acme-medical\"", &format!("id = \"{bad}\""));
        assert_issue(&issue, 1, "id", "invalid pack id");
    }
}

#[test]
fn missing_document() {
    let mut files = valid_pack();
    files.retain(|(p, _)| p != "docs/manual.md");
    let err = load(&files).unwrap_err();
    assert_issue(
        only_issue(&err),
        line_of("docs/manual.md"),
        "documents[0].path",
        "missing",
    );
    assert!(err.to_string().contains("docs/manual.md"), "{err}");
}

#[test]
fn document_paths_may_not_escape_the_pack() {
    for bad in [
        "../secrets.md",
        "/etc/passwd",
        "docs/../../x.md",
        "C:\\x.md",
    ] {
        let toml_str = bad.replace('\\', "\\\\");
        let issue = issue_after(
            "path = \"docs/manual.md\"",
            &format!("path = \"{toml_str}\""),
        );
        assert_issue(
            &issue,
            line_of("docs/manual.md"),
            "documents[0].path",
            "escapes the pack",
        );
    }
}

#[test]
fn invalid_utf8_document_names_the_file() {
    let mut files = valid_pack();
    files[1].1 = b"# Manual\nfine\n\xC3\x28 broken".to_vec();
    let err = load(&files).unwrap_err();
    let issue = only_issue(&err);
    assert_eq!(
        (issue.file.as_str(), issue.line),
        ("docs/manual.md", Some(3)),
        "{issue}"
    );
    assert!(issue.message.contains("UTF-8"));
}

#[test]
fn all_problems_are_reported_together_in_line_order() {
    let manifest = VALID_MANIFEST
        .replace(
            "phrases = [\"over our budget\", \"预算不足\"]",
            "phrases = []",
        )
        .replace("id = \"acme-medical\"", "id = \"Bad Id\"");
    let err = load(&pack_with(&manifest)).unwrap_err();
    let fields: Vec<_> = err
        .issues()
        .iter()
        .map(|i| i.field.clone().unwrap())
        .collect();
    assert_eq!(fields, ["id", "rules[2].phrases"]);
}

#[test]
fn missing_manifest() {
    let files: Files = vec![("docs/a.md".into(), b"x".to_vec())];
    let err = load(&files).unwrap_err();
    assert!(matches!(err, PackError::MissingManifest), "{err}");
}
