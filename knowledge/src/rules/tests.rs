//! Unit tests of `PhraseMatcher`: spans in the original text, width/case/punctuation
//! insensitivity, Latin word boundaries, overlapping and shared phrases, one hit per target,
//! compile errors, the built-in packs, and a coarse timing of `find`.

use std::path::Path;

use super::{PhraseHit, PhraseMatcher, RuleError, Target};
use crate::manifest::{Rule, RuleKind, Severity, Speaker, Stage};
use crate::normalize::normalize;

fn rule(id: &str, kind: RuleKind, phrases: &[&str]) -> Rule {
    Rule {
        id: id.to_owned(),
        kind,
        speaker: Speaker::Any,
        phrases: phrases.iter().map(|p| (*p).to_owned()).collect(),
        severity: Severity::Medium,
        message: format!("{id} message"),
        suggest: Vec::new(),
        within_s: None,
        before_stage: None,
        min_choices: None,
        emotion: None,
        examples: Vec::new(),
    }
}

fn stage(id: &str, signals: &[&str]) -> Stage {
    Stage {
        id: id.to_owned(),
        name: id.to_owned(),
        signals: signals.iter().map(|s| (*s).to_owned()).collect(),
    }
}

fn matcher(rules: &[Rule], stages: &[Stage]) -> PhraseMatcher {
    PhraseMatcher::compile(rules, stages).unwrap()
}

fn budget() -> Rule {
    rule(
        "budget",
        RuleKind::Objection,
        &[
            "over our budget",
            "预算不足",
            "too expensive",
            "budget is tight",
        ],
    )
}

fn matched(hits: &[PhraseHit]) -> Vec<&str> {
    hits.iter().map(|h| h.matched.as_str()).collect()
}

#[test]
fn english_hit_spans_the_original_text() {
    let m = matcher(&[budget()], &[]);
    let text = "So... it's OVER our budget!";
    let hits = m.find(text);
    assert_eq!(
        hits,
        vec![PhraseHit {
            target: Target::Rule(0),
            phrase: 0,
            span: 11..26,
            matched: "OVER our budget".to_owned(),
        }]
    );
    assert_eq!(&text[hits[0].span.clone()], "OVER our budget");
}

#[test]
fn chinese_hits_inside_words_and_across_punctuation() {
    let m = matcher(&[budget()], &[]);
    let hits = m.find("我们预算不足啊");
    assert_eq!(matched(&hits), ["预算不足"]);
    assert_eq!(hits[0].phrase, 1);
    assert_eq!(hits[0].span, 6..18);

    let text = "嗯，预算，不足！";
    let hits = m.find(text);
    assert_eq!(matched(&hits), ["预算，不足"]);
    assert_eq!(&text[hits[0].span.clone()], "预算，不足");
}

#[test]
fn full_width_and_mixed_case_input() {
    let m = matcher(&[budget()], &[]);
    let text = "ＯＶＥＲ\u{3000}ｏｕｒ　Ｂｕｄｇｅｔ。";
    let hits = m.find(text);
    assert_eq!(matched(&hits), ["ＯＶＥＲ\u{3000}ｏｕｒ　Ｂｕｄｇｅｔ"]);

    let fs = rule("off-label", RuleKind::Forbidden, &["新生儿也可以用FS-100"]);
    let m = matcher(&[fs], &[]);
    let text = "嗯，新生儿 也可以用 ＦＳ－１００吗？";
    assert_eq!(matched(&m.find(text)), ["新生儿 也可以用 ＦＳ－１００"]);
}

#[test]
fn latin_phrases_respect_word_boundaries() {
    let rules = [
        rule("cure", RuleKind::Forbidden, &["cure"]),
        rule("roi", RuleKind::Forbidden, &["roi"]),
        rule("crm", RuleKind::Competitor, &["crm"]),
        rule("model", RuleKind::Competitor, &["fs-100"]),
    ];
    let m = matcher(&rules, &[]);
    for text in [
        "this is secure",
        "it cures nothing",
        "a heroic effort",
        "procured",
        "crm2 is out",
        "the fs-1000 pump",
        "the xfs 100 pump",
        "",
        "!!!",
    ] {
        assert_eq!(m.find(text), [], "{text:?}");
    }
    let hits = m.find("A cure? The ROI, the CRM… and FS 100.");
    assert_eq!(matched(&hits), ["cure", "ROI", "CRM", "FS 100"]);
    assert_eq!(matched(&m.find("我们用CRM系统")), ["CRM"]);
    assert_eq!(matched(&m.find("我们用 crm 系统")), ["crm"]);
    assert_eq!(matched(&m.find("cure-all")), ["cure"]);
}

#[test]
fn chinese_phrase_next_to_latin_text_matches() {
    let m = matcher(&[rule("crm", RuleKind::Objection, &["已经有CRM了"])], &[]);
    assert_eq!(matched(&m.find("we 已经有 CRM 了 ok")), ["已经有 CRM 了"]);
}

#[test]
fn overlapping_and_identical_phrases_all_hit() {
    let rules = [
        rule("recording", RuleKind::Required, &["this call is recorded"]),
        rule("recorded", RuleKind::Forbidden, &["call is recorded"]),
        rule("budget", RuleKind::Objection, &["our budget"]),
        rule("budget-2", RuleKind::Objection, &["Our  budget!"]),
        rule("tight", RuleKind::Objection, &["budget is tight"]),
    ];
    let stages = [
        stage("intro", &["This call is recorded."]),
        stage("discovery", &["what are you using today"]),
    ];
    let m = matcher(&rules, &stages);
    assert_eq!(m.phrase_count(), 7);
    assert_eq!(m.pattern_count(), 5);
    let text = "Hi, this call is recorded; our budget is tight.";
    let hits = m.find(text);
    let got: Vec<(Target, &str)> = hits
        .iter()
        .map(|h| (h.target, h.matched.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            (Target::Rule(0), "this call is recorded"),
            (Target::Stage(0), "this call is recorded"),
            (Target::Rule(1), "call is recorded"),
            (Target::Rule(2), "our budget"),
            (Target::Rule(3), "our budget"),
            (Target::Rule(4), "budget is tight"),
        ]
    );
    for hit in &hits {
        assert_eq!(&text[hit.span.clone()], hit.matched);
    }
}

#[test]
fn at_most_one_hit_per_target_earliest_then_longest() {
    let m = matcher(&[budget()], &[]);
    let hits = m.find("Too expensive, way too expensive, and over our budget.");
    assert_eq!(matched(&hits), ["Too expensive"]);
    assert_eq!(hits[0].phrase, 2);

    let r = rule(
        "b",
        RuleKind::Objection,
        &["budget", "budget is tight", "tight"],
    );
    let m = matcher(&[r], &[]);
    let hits = m.find("well, budget is tight");
    assert_eq!(matched(&hits), ["budget is tight"]);
    assert_eq!(hits[0].phrase, 1);

    let r = rule("dup", RuleKind::Objection, &["no budget", "No-budget!"]);
    let hits = matcher(&[r], &[]).find("there is no budget");
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].phrase, 0);
}

#[test]
fn hits_are_ordered_by_span_start() {
    let rules = [
        rule("z", RuleKind::Objection, &["tight"]),
        rule("y", RuleKind::Objection, &["budget"]),
        rule("x", RuleKind::Objection, &["our"]),
    ];
    let hits = matcher(&rules, &[]).find("our budget is tight");
    let targets: Vec<Target> = hits.iter().map(|h| h.target).collect();
    assert_eq!(targets, [Target::Rule(2), Target::Rule(1), Target::Rule(0)]);
}

#[test]
fn empty_phrase_is_an_error_naming_the_rule() {
    let rules = [
        budget(),
        rule("bad-rule", RuleKind::Forbidden, &["fine", " ?!… "]),
    ];
    match PhraseMatcher::compile(&rules, &[]) {
        Err(RuleError::EmptyPhrase {
            rule,
            index,
            phrase,
        }) => {
            assert_eq!(
                (rule.as_str(), index, phrase.as_str()),
                ("bad-rule", 1, " ?!… ")
            );
        }
        other => panic!("expected EmptyPhrase, got {other:?}"),
    }
    let err = PhraseMatcher::compile(&rules, &[]).unwrap_err();
    assert!(err.to_string().contains("bad-rule"), "{err}");

    let err = PhraseMatcher::compile(&[], &[stage("intro", &["hello", "。"])]).unwrap_err();
    assert!(
        matches!(&err, RuleError::EmptySignal { stage, index: 1, .. } if stage == "intro"),
        "{err:?}"
    );
    assert!(err.to_string().contains("intro"), "{err}");
}

#[test]
fn no_phrases_no_hits() {
    let mut calm = rule("calm", RuleKind::Emotion, &[]);
    calm.emotion = Some("frustrated".to_owned());
    let m = matcher(&[calm], &[stage("empty", &[])]);
    assert_eq!(m.phrase_count(), 0);
    assert_eq!(m.find("I am so frustrated, this is over our budget"), []);
    assert_eq!(matcher(&[], &[]).find("anything"), []);
}

fn builtin_pack(name: &str) -> crate::LoadedPack {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("packs")
        .join(name);
    crate::load_pack(&path, &crate::Limits::default())
        .unwrap_or_else(|e| panic!("pack {name}: {e}"))
}

const BUILTIN_PACKS: [&str; 3] = ["medical-devices", "industrial-automation", "b2b-saas"];

#[test]
fn builtin_pack_phrases_hit_their_own_rules() {
    for name in BUILTIN_PACKS {
        let manifest = builtin_pack(name).manifest;
        let m = PhraseMatcher::compile(&manifest.rules, &manifest.stages)
            .unwrap_or_else(|e| panic!("pack {name}: {e}"));
        assert!(m.phrase_count() > 50, "pack {name}: {}", m.phrase_count());
        let lists = manifest
            .rules
            .iter()
            .enumerate()
            .map(|(i, r)| (Target::Rule(i), &r.phrases))
            .chain(
                manifest
                    .stages
                    .iter()
                    .enumerate()
                    .map(|(i, s)| (Target::Stage(i), &s.signals)),
            );
        for (target, phrases) in lists {
            for phrase in phrases {
                let hits = m.find(phrase);
                let hit = hits
                    .iter()
                    .find(|h| h.target == target)
                    .unwrap_or_else(|| panic!("pack {name}: {phrase:?} misses {target:?}"));
                assert_eq!(hit.span.start, 0, "pack {name}: {phrase:?}");
                assert_eq!(normalize(&hit.matched), normalize(phrase), "pack {name}");
                assert_eq!(
                    normalize(&phrases[hit.phrase]),
                    normalize(phrase),
                    "pack {name}: {phrase:?}"
                );
            }
        }
    }
}

#[test]
fn a_mixed_utterance_hits_every_rule_it_names() {
    let (mut rules, mut stages) = (Vec::new(), Vec::new());
    for name in BUILTIN_PACKS {
        let manifest = builtin_pack(name).manifest;
        rules.extend(manifest.rules);
        stages.extend(manifest.stages);
    }
    let m = matcher(&rules, &stages);
    let text = "Honestly, I like the dashboard, but it's over our budget this year and I need to \
                ask my boss; we already use Cirrusly, 预算不够，明年再说吧, so what discount can you do?";
    let hits = m.find(text);
    let ids: std::collections::BTreeSet<&str> = hits
        .iter()
        .filter_map(|h| match h.target {
            Target::Rule(i) => Some(rules[i].id.as_str()),
            Target::Stage(_) => None,
        })
        .collect();
    for want in [
        "objection-budget",
        "objection-authority",
        "objection-incumbent",
        "objection-timing",
    ] {
        assert!(ids.contains(want), "{want} not in {ids:?}");
    }
}
