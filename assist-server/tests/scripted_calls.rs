//! Scripted text calls (`tests/data/scripted_calls/*.toml`, English and Mandarin, across the
//! three built-in packs) streamed through gRPC against a server whose knowledge base holds the
//! packs, embedded with the real e5-small model. Each call must produce exactly the expected
//! risk events (phrase and semantic), missing-disclosure events and stage sequence: precision
//! and recall are both asserted to be 1.0 over all calls.

mod common;

use std::collections::BTreeSet;

use callassist_client::call::{CallOptions, parse_script, text_requests};
use callassist_proto::v1::{self as pb, stream_call_response::Event};
use common::TestServer;

#[derive(serde::Deserialize)]
struct Script {
    pack: String,
    language: String,
    lines: Vec<String>,
    expect: Expect,
}

#[derive(serde::Deserialize)]
struct Expect {
    #[serde(default)]
    risk: Vec<Hit>,
    #[serde(default)]
    missing: Vec<Hit>,
    #[serde(default)]
    covered: Vec<String>,
    #[serde(default)]
    stages: Vec<String>,
}

#[derive(serde::Deserialize)]
struct Hit {
    rule: String,
    line: usize,
}

const PACKS: [(&str, &str); 3] = [
    ("builtin-medical-devices", "medical-devices"),
    ("builtin-industrial-automation", "industrial-automation"),
    ("builtin-b2b-saas", "b2b-saas"),
];

/// (file, rule id, line) as a comparable label; line 0 = at call end.
type Label = (String, String, usize);

fn line_of(utterance_id: &str) -> usize {
    utterance_id
        .rsplit_once("-t")
        .and_then(|(_, n)| n.parse().ok())
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scripted_calls_give_exactly_the_expected_events() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let data = tempfile::tempdir().unwrap();
    let kb = common::e5_knowledge(data.path());
    for (id, dir) in PACKS {
        let bytes =
            callassist_client::packs::archive_bytes(&root.join("../knowledge/packs").join(dir))
                .unwrap()
                .0;
        kb.upload(id, bytes).await.unwrap();
    }
    let server = TestServer::start(common::fake_state(0).with_knowledge(kb)).await;
    let client = server.client().await;

    let mut files: Vec<_> = std::fs::read_dir(root.join("tests/data/scripted_calls"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    assert!(files.len() >= 12, "expected at least 12 scripted calls");
    let (mut en, mut zh) = (0, 0);
    let (mut expected, mut got): (BTreeSet<Label>, BTreeSet<Label>) = Default::default();
    let mut failures = Vec::new();
    for path in &files {
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        let script: Script = toml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        match script.language.as_str() {
            "en" => en += 1,
            "zh" => zh += 1,
            other => panic!("{name}: language {other:?}"),
        }
        let lines = parse_script(&script.lines.join("\n")).unwrap();
        let opts = CallOptions {
            tenant: script.pack.clone(),
            call_id: name.clone(),
            ..CallOptions::default()
        };
        let events = common::run_requests(&client, text_requests(&lines, &opts))
            .await
            .unwrap();
        let mut stages = Vec::new();
        let (mut want, mut have) = (BTreeSet::new(), BTreeSet::new());
        for h in &script.expect.risk {
            want.insert((name.clone(), h.rule.clone(), h.line));
        }
        for h in &script.expect.missing {
            want.insert((name.clone(), format!("missing:{}", h.rule), h.line));
        }
        let mut coverage = None;
        for ev in &events {
            match &ev.event {
                Some(Event::Risk(r)) if r.kind == pb::RiskKind::Required as i32 => {
                    have.insert((
                        name.clone(),
                        format!("missing:{}", r.rule_id),
                        line_of(&r.utterance_id),
                    ));
                }
                Some(Event::Risk(r)) => {
                    have.insert((name.clone(), r.rule_id.clone(), line_of(&r.utterance_id)));
                }
                Some(Event::Stage(s)) => stages.push(s.stage_id.clone()),
                Some(Event::Metrics(m)) => coverage = Some(m.coverage),
                _ => {}
            }
        }
        if stages != script.expect.stages {
            failures.push(format!(
                "{name}: stages {stages:?}, expected {:?}",
                script.expect.stages
            ));
        }
        for extra in have.difference(&want) {
            failures.push(format!(
                "{name}: unexpected {} at line {}",
                extra.1, extra.2
            ));
        }
        for miss in want.difference(&have) {
            failures.push(format!("{name}: missed {} at line {}", miss.1, miss.2));
        }
        // The last metrics event's coverage: required rules said / the pack's required rules.
        let dir = PACKS.iter().find(|p| p.0 == script.pack).unwrap().1;
        let manifest: toml::Value = toml::from_str(
            &std::fs::read_to_string(root.join("../knowledge/packs").join(dir).join("pack.toml"))
                .unwrap(),
        )
        .unwrap();
        let required = manifest["rules"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["kind"].as_str() == Some("required"))
            .count();
        let want_coverage = script.expect.covered.len() as f32 / required as f32;
        match coverage {
            Some(c) if (c - want_coverage).abs() < 1e-4 => {}
            other => failures.push(format!(
                "{name}: coverage {other:?}, expected {want_coverage} ({:?})",
                script.expect.covered
            )),
        }
        expected.extend(want);
        got.extend(have);
    }
    let tp = expected.intersection(&got).count() as f64;
    let precision = tp / got.len().max(1) as f64;
    let recall = tp / expected.len().max(1) as f64;
    println!(
        "scripted calls: {} ({en} en, {zh} zh), {} expected events, precision {precision:.3}, recall {recall:.3}",
        files.len(),
        expected.len()
    );
    assert!(en >= 6 && zh >= 6, "need 6 English and 6 Mandarin calls");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!((precision, recall), (1.0, 1.0));
    server.stop().await.unwrap();
}
