//! The local LLM on a call (real SmolLM2 and real e5): a budget objection yields, besides the
//! rule's retrieval suggestion, a generated suggestion whose citations are chunks of the
//! tenant's pack and whose text has no forbidden phrase, followed at the end by a summary with
//! the final stage. With a forbidden rule the model cannot avoid, every generated suggestion is
//! dropped (or withdrawn) and counted instead of sent.

mod common;

use std::path::Path;

use callassist_client::pb::{self, stream_call_request::Request, stream_call_response::Event};
use callassist_inference::llm::{LlmOptions, LlmPool};
use callassist_models::Asset;
use callassist_server::assist::compose::Composer;
use common::TestServer;

const TENANT: &str = "acme";

fn req(r: Request) -> pb::StreamCallRequest {
    pb::StreamCallRequest { request: Some(r) }
}

fn text(role: pb::Role, t: &str) -> pb::StreamCallRequest {
    req(Request::Text(pb::TextUtterance {
        role: role as i32,
        text: t.into(),
    }))
}

/// Runs a short sales call on a server with `pack_dir` uploaded for the tenant.
async fn call_with_pack(pack_dir: &Path) -> (Vec<pb::StreamCallResponse>, Vec<String>) {
    let data = tempfile::tempdir().unwrap();
    let kb = common::e5_knowledge(data.path());
    let bytes = callassist_client::packs::archive_bytes(pack_dir).unwrap().0;
    kb.upload(TENANT, bytes).await.unwrap();
    // SmolLM2 (the CI model); CALLASSIST_TEST_LLM=qwen runs the same checks on Qwen2.5.
    let asset = match std::env::var("CALLASSIST_TEST_LLM").as_deref() {
        Ok("qwen") => Asset::LlmQwen05,
        _ => Asset::LlmSmolLm2,
    };
    let gguf = callassist_models::llm_file(&common::home(), asset).unwrap();
    let composer = Composer {
        pool: LlmPool::load(&gguf, &LlmOptions::default(), 1, 4).unwrap(),
        suggestion_tokens: 48,
        summary_tokens: 96,
    };
    let state = common::fake_state(0)
        .with_knowledge(kb.clone())
        .with_composer(composer);
    let server = TestServer::start(state).await;
    let client = server.client().await;
    let reqs = vec![
        req(Request::Config(pb::CallConfig {
            tenant_id: TENANT.into(),
            agent_id: "amy".into(),
            ..Default::default()
        })),
        text(
            pb::Role::Agent,
            "Hi, this is Amy from Brightlane, thanks for taking the time today.",
        ),
        text(
            pb::Role::Customer,
            "Honestly, the platform looks good but it is over our budget this year.",
        ),
        req(Request::Finalize(pb::Finalize {})),
    ];
    let events = common::run_requests(&client, reqs).await.unwrap();
    let chunk_ids = kb
        .search(TENANT, "budget pricing pilot discount", 500, &[])
        .await
        .unwrap()
        .into_iter()
        .map(|h| h.chunk_id)
        .collect();
    (events, chunk_ids)
}

fn suggestions(events: &[pb::StreamCallResponse]) -> Vec<pb::SuggestionEvent> {
    events
        .iter()
        .filter_map(|e| match &e.event {
            Some(Event::Suggestion(s)) => Some(s.clone()),
            _ => None,
        })
        .collect()
}

fn last_metrics(events: &[pb::StreamCallResponse]) -> pb::MetricsEvent {
    events
        .iter()
        .rev()
        .find_map(|e| match &e.event {
            Some(Event::Metrics(m)) => Some(*m),
            _ => None,
        })
        .expect("metrics at the end")
}

fn builtin_pack() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../knowledge/packs/b2b-saas")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_budget_objection_gets_a_grounded_generated_suggestion_and_the_call_a_summary() {
    let (events, chunk_ids) = call_with_pack(&builtin_pack()).await;
    let all = suggestions(&events);
    let retrieval = all
        .iter()
        .find(|s| s.trigger == "objection-budget")
        .expect("the rule's suggestion");
    let generated: Vec<_> = all
        .iter()
        .filter(|s| s.suggestion_id != retrieval.suggestion_id && s.trigger == "objection-budget")
        .collect();
    let last = generated.last().expect("a generated suggestion");
    assert!(last.is_final && !last.withdrawn, "{last:?}");
    assert!(!last.text.trim().is_empty());
    assert!(generated[..generated.len() - 1].iter().all(|s| !s.is_final));
    assert!(!last.citations.is_empty());
    for c in &last.citations {
        assert_eq!(c.pack_id, "builtin-b2b-saas");
        assert!(
            chunk_ids.contains(&c.chunk_id),
            "{c:?} is not a chunk of the pack"
        );
    }
    assert_eq!(last.options.len(), 1);
    // The compliance guard's exact check, against the pack's own forbidden phrases.
    let pack = std::fs::read_to_string(builtin_pack().join("pack.toml")).unwrap();
    let lower = last.text.to_lowercase();
    for phrase in [
        "we guarantee",
        "guaranteed roi",
        "100% secure",
        "half price for you",
    ] {
        assert!(pack.contains(phrase));
        assert!(!lower.contains(phrase), "{:?}", last.text);
    }
    let summary = events
        .iter()
        .find_map(|e| match &e.event {
            Some(Event::Summary(s)) => Some(s.clone()),
            _ => None,
        })
        .expect("a summary");
    assert!(
        !summary.text.is_empty() || !summary.action_items.is_empty(),
        "{summary:?}"
    );
    eprintln!(
        "generated suggestion: {:?}\nsummary: {summary:?}",
        last.text
    );
    assert_eq!(summary.language_code, "en");
    let last_stage = events
        .iter()
        .rev()
        .find_map(|e| match &e.event {
            Some(Event::Stage(s)) => Some(s.stage_id.clone()),
            _ => None,
        })
        .unwrap_or_default();
    assert_eq!(summary.final_stage, last_stage);
    assert_eq!(last_metrics(&events).suggestions_blocked, 0);
    let end = events.last().unwrap();
    assert!(matches!(end.event, Some(Event::End(_))));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generated_text_with_a_forbidden_phrase_is_never_sent() {
    // The built-in pack plus a forbidden rule on words no English sentence avoids.
    let dir = tempfile::tempdir().unwrap();
    let src = builtin_pack();
    copy_dir(&src, dir.path());
    let mut manifest = std::fs::read_to_string(dir.path().join("pack.toml")).unwrap();
    manifest.push_str(
        r#"
[[rules]]
id = "no-common-words"
kind = "forbidden"
speaker = "agent"
phrases = ["the", "a", "we", "you", "to", "is", "and", "of", "in", "for", "it", "our", "your", "can", "i"]
severity = "low"
message = "Test rule: nothing generated may pass."
"#,
    );
    std::fs::write(dir.path().join("pack.toml"), manifest).unwrap();
    let (events, _) = call_with_pack(dir.path()).await;
    let all = suggestions(&events);
    let retrieval = all
        .iter()
        .find(|s| s.trigger == "objection-budget")
        .expect("the rule's suggestion still comes");
    for s in all
        .iter()
        .filter(|s| s.suggestion_id != retrieval.suggestion_id)
    {
        let lower = format!(" {} ", s.text.to_lowercase());
        assert!(
            s.withdrawn || !lower.contains(" the ") && !lower.contains(" you "),
            "a forbidden word was sent: {s:?}"
        );
        if s.is_final {
            assert!(s.withdrawn && s.text.is_empty(), "{s:?}");
        }
    }
    assert!(last_metrics(&events).suggestions_blocked >= 1);
}

fn copy_dir(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let dest = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&dest).unwrap();
            copy_dir(&entry.path(), &dest);
        } else {
            std::fs::copy(entry.path(), dest).unwrap();
        }
    }
}
