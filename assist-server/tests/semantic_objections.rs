//! The semantic objection threshold on the labelled set (`tests/data/semantic_objections.toml`:
//! paraphrased objections in English and Chinese that contain no rule phrase, and ordinary
//! customer lines). With the real e5-small model it prints precision and recall for a sweep
//! of margins, and asserts the margin the server uses keeps precision >= 0.95.

use callassist_inference::embed::{E5Embedder, EmbedKind, Embedder};
use callassist_knowledge::{Limits, load_pack};
use callassist_server::assist::semantic::{
    NEUTRAL_ANCHORS, ObjectionVectors, SEMANTIC_MARGIN, objection_phrases,
};
use callassist_server::assist::tenant::TenantRules;

#[derive(serde::Deserialize)]
struct Set {
    pack: String,
    case: Vec<Case>,
}

#[derive(serde::Deserialize)]
struct Case {
    text: String,
    rule: String,
}

#[test]
fn the_margin_keeps_precision_at_or_above_0_95() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let set: Set = toml::from_str(
        &std::fs::read_to_string(root.join("tests/data/semantic_objections.toml")).unwrap(),
    )
    .unwrap();
    let dir = set.pack.trim_start_matches("builtin-");
    let pack = load_pack(
        &root.join("../knowledge/packs").join(dir),
        &Limits::default(),
    )
    .unwrap();
    let rules = pack
        .manifest
        .rules
        .iter()
        .map(|r| (set.pack.clone(), r.clone()))
        .collect();
    let rules = TenantRules::compile(rules, Vec::new(), &[]).unwrap();
    // The paraphrases must not contain a rule phrase: they test meaning, not words.
    let literal: Vec<&str> = set
        .case
        .iter()
        .filter(|c| !rules.matcher.find(&c.text).is_empty())
        .map(|c| c.text.as_str())
        .collect();
    assert!(
        literal.is_empty(),
        "these contain a rule phrase: {literal:?}"
    );
    let home = callassist_models::ModelHome::from_env();
    let mut e5 = E5Embedder::load(&callassist_models::e5_small_file(&home).unwrap()).unwrap();
    let mut embed = |texts: Vec<String>| {
        texts
            .chunks(16)
            .flat_map(|b| e5.embed(b, EmbedKind::Query).unwrap())
            .collect::<Vec<_>>()
    };
    let phrases = objection_phrases(&rules);
    let vectors = embed(phrases.iter().map(|(_, p)| p.clone()).collect());
    let anchors = embed(NEUTRAL_ANCHORS.iter().map(|s| s.to_string()).collect());
    let ov = ObjectionVectors::new(&phrases, vectors, anchors);
    let utterances = embed(set.case.iter().map(|c| c.text.clone()).collect());
    // (expected rule, predicted rule, margin) per case.
    let scored: Vec<(&str, String, f32)> = set
        .case
        .iter()
        .zip(&utterances)
        .map(|(c, v)| {
            let (rule, sim) = ov.best(v).unwrap();
            let margin = sim - ov.nearest_anchor(v);
            (c.rule.as_str(), rules.rules[rule].rule.id.clone(), margin)
        })
        .collect();
    let positives = scored.iter().filter(|s| !s.0.is_empty()).count();
    let at = |m: f32| {
        let fired: Vec<_> = scored.iter().filter(|s| s.2 >= m).collect();
        let correct = fired.iter().filter(|s| s.0 == s.1).count();
        let precision = if fired.is_empty() {
            1.0
        } else {
            correct as f64 / fired.len() as f64
        };
        (precision, correct as f64 / positives as f64, fired.len())
    };
    println!("margin | precision | recall | fired");
    for m in [-0.02f32, 0.0, 0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.08] {
        let (p, r, n) = at(m);
        println!("{m:6.2} | {p:.3} | {r:.3} | {n}");
    }
    for (c, s) in set.case.iter().zip(&scored) {
        let hit = s.2 >= SEMANTIC_MARGIN;
        if hit == c.rule.is_empty() || (hit && s.0 != s.1) {
            println!(
                "{:>5.3} {:?} -> {} (expected {:?})",
                s.2, c.text, s.1, c.rule
            );
        }
    }
    let (precision, recall, _) = at(SEMANTIC_MARGIN);
    println!("server margin {SEMANTIC_MARGIN}: precision {precision:.3}, recall {recall:.3}");
    assert!(precision >= 0.95, "precision {precision:.3}");
    assert!(
        recall >= 0.5,
        "recall {recall:.3}: the semantic matcher barely finds paraphrases"
    );
}
