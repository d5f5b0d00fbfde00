//! PII masking on the call path: for a tenant that enables it (`tenants set acme --redact-pii
//! on`), phone numbers and e-mail addresses are masked in the transcript the client gets and in
//! the durable event log; another tenant's text is left as said.

mod common;

use std::time::Duration;

use callassist_client::pb::{self, stream_call_request::Request, stream_call_response::Event};
use callassist_inference::asr::{AsrPool, Recognizer};
use callassist_inference::testing::FakeRecognizer;
use callassist_server::AppState;
use callassist_server::tenants::{TenantSettings, tenant_file};
use common::TestServer;

fn call(tenant: &str, text: &str) -> Vec<pb::StreamCallRequest> {
    let req = |r| pb::StreamCallRequest { request: Some(r) };
    vec![
        req(Request::Config(pb::CallConfig {
            tenant_id: tenant.into(),
            ..Default::default()
        })),
        req(Request::Text(pb::TextUtterance {
            role: pb::Role::Customer as i32,
            text: text.into(),
        })),
        req(Request::Finalize(pb::Finalize {})),
    ]
}

fn transcript(events: &[pb::StreamCallResponse]) -> String {
    events
        .iter()
        .find_map(|e| match &e.event {
            Some(Event::Transcript(t)) if t.is_final => Some(t.text.clone()),
            _ => None,
        })
        .expect("a final transcript")
}

fn log_bytes(dir: &std::path::Path) -> Vec<u8> {
    let mut all = Vec::new();
    for name in ["events.db", "events.db-wal"] {
        if let Ok(b) = std::fs::read(dir.join(name)) {
            all.extend(b);
        }
    }
    all
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pii_is_masked_for_the_tenant_that_enables_it_and_only_there() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = common::config();
    cfg.data = dir.path().to_path_buf();
    TenantSettings::new(&tenant_file(&cfg.data))
        .set_redact_pii("acme", true)
        .unwrap();
    let rec: Box<dyn Recognizer> = Box::new(FakeRecognizer {
        delay: Duration::ZERO,
    });
    let state = common::with_event_log(AppState::new(cfg, AsrPool::new(vec![rec], 4)), dir.path());
    let server = TestServer::start(state).await;
    let client = server.client().await;

    let acme = common::run_requests(
        &client,
        call(
            "acme",
            "我的手机是13800138000，邮箱 john.doe@example.com，call me on +44 20 7946 0958.",
        ),
    )
    .await
    .unwrap();
    let text = transcript(&acme);
    assert!(
        text.contains("[PHONE]") && text.contains("[EMAIL]"),
        "{text}"
    );
    for raw in ["13800138000", "john.doe@example.com", "7946"] {
        assert!(!text.contains(raw), "{raw} left in {text}");
    }

    let beta = common::run_requests(&client, call("beta", "Mail mary@example.org today."))
        .await
        .unwrap();
    assert_eq!(transcript(&beta), "Mail mary@example.org today.");

    server.stop().await.unwrap();
    let log = log_bytes(dir.path());
    assert!(
        contains(&log, "mary@example.org"),
        "the log holds the other tenant's text"
    );
    assert!(!contains(&log, "john.doe@example.com"));
    assert!(!contains(&log, "13800138000"));
}
