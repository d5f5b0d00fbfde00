//! The human-AI SOP on a live call: an objection yields a suggestion with options; malformed
//! feedback (unknown suggestion, fewer choices than `min_choices`, an unknown option) gets an
//! INVALID_ARGUMENT error event, the call goes on and no adoption data changes; valid feedback
//! is counted in the tenant's adoption index (`Events.GetAdoption`) and in the call's metrics.

mod common;

use callassist_inference::embed::EmbedPool;
use callassist_inference::testing::FakeEmbedder;
use callassist_proto::v1::{
    self as pb, events_client::EventsClient, stream_call_request::Request,
    stream_call_response::Event,
};
use callassist_server::adoption::AdoptionStore;
use callassist_server::knowledge::Knowledge;
use common::TestServer;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;

fn req(r: Request) -> pb::StreamCallRequest {
    pb::StreamCallRequest { request: Some(r) }
}

fn feedback(id: &str, action: pb::FeedbackAction, opts: &[&str]) -> pb::StreamCallRequest {
    req(Request::Feedback(pb::SuggestionFeedback {
        suggestion_id: id.into(),
        action: action as i32,
        accepted_option_ids: opts.iter().map(|s| s.to_string()).collect(),
        reason: String::new(),
    }))
}

async fn next_event(
    stream: &mut tonic::Streaming<pb::StreamCallResponse>,
    want: impl Fn(&Event) -> bool,
) -> Event {
    loop {
        let msg = tokio::time::timeout(std::time::Duration::from_secs(10), stream.message())
            .await
            .expect("event in time")
            .expect("stream ok")
            .expect("stream open");
        let ev = msg.event.unwrap();
        if want(&ev) {
            return ev;
        }
    }
}

fn is_error(e: &Event) -> bool {
    matches!(e, Event::Error(_))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_feedback_is_refused_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let embed = EmbedPool::new(vec![Box::new(FakeEmbedder::default())], 8);
    let kb = Knowledge::open(&dir.path().join("kb"), embed).unwrap();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../knowledge/packs");
    let pack = callassist_client::packs::archive_bytes(&root.join("b2b-saas"))
        .unwrap()
        .0;
    kb.upload("acme", pack).await.unwrap();
    let adoption = AdoptionStore::open(&dir.path().join("adoption.db")).unwrap();
    let state = common::fake_state(0)
        .with_knowledge(kb)
        .with_adoption(adoption);
    let server = TestServer::start(state).await;
    let client = server.client().await;

    let (tx, rx) = mpsc::channel(16);
    tx.send(req(Request::Config(pb::CallConfig {
        tenant_id: "acme".into(),
        agent_id: "amy".into(),
        ..Default::default()
    })))
    .await
    .unwrap();
    tx.send(req(Request::Text(pb::TextUtterance {
        role: pb::Role::Customer as i32,
        text: "Honestly, this is over our budget.".into(),
    })))
    .await
    .unwrap();
    let mut stream = client
        .calls()
        .stream_call(ReceiverStream::new(rx))
        .await
        .unwrap()
        .into_inner();
    let Event::Suggestion(s) = next_event(&mut stream, |e| matches!(e, Event::Suggestion(_))).await
    else {
        unreachable!()
    };
    assert_eq!(s.trigger, "objection-budget");
    assert_eq!(s.min_choices, 1);
    assert!(s.options.len() >= 3, "{s:?}");
    let first = s.options[0].option_id.clone();

    let bad = [
        (
            feedback("s999", pb::FeedbackAction::Shown, &[]),
            "unknown suggestion_id",
        ),
        (
            feedback(&s.suggestion_id, pb::FeedbackAction::Accepted, &[]),
            "min_choices",
        ),
        (
            feedback(&s.suggestion_id, pb::FeedbackAction::Accepted, &["o99"]),
            "is not an option",
        ),
        (
            feedback(&s.suggestion_id, pb::FeedbackAction::Unspecified, &[]),
            "unspecified",
        ),
    ];
    for (msg, want) in bad {
        tx.send(msg).await.unwrap();
        let Event::Error(e) = next_event(&mut stream, is_error).await else {
            unreachable!()
        };
        assert_eq!(e.code, "INVALID_ARGUMENT");
        assert!(e.message.contains(want), "{:?} lacks {want:?}", e.message);
    }
    let mut events = EventsClient::new(client.channel());
    let report = |agent: &str| pb::AdoptionRequest {
        tenant_id: "acme".into(),
        agent_id: agent.into(),
    };
    let r = events.get_adoption(report("")).await.unwrap().into_inner();
    assert!(r.agents.is_empty(), "bad feedback stored something: {r:?}");

    // The call is still alive: a valid acceptance is counted.
    tx.send(feedback(
        &s.suggestion_id,
        pb::FeedbackAction::Accepted,
        &[&first],
    ))
    .await
    .unwrap();
    tx.send(req(Request::Finalize(pb::Finalize {})))
        .await
        .unwrap();
    let Event::Metrics(m) = next_event(&mut stream, |e| matches!(e, Event::Metrics(_))).await
    else {
        unreachable!()
    };
    assert_eq!((m.suggestions, m.suggestions_accepted), (1, 1));
    assert!((m.adoption - 1.0).abs() < 1e-6);
    next_event(&mut stream, |e| matches!(e, Event::End(_))).await;
    let r = events
        .get_adoption(report("amy"))
        .await
        .unwrap()
        .into_inner();
    let amy = &r.agents[0];
    assert_eq!(
        (amy.issued, amy.shown, amy.accepted, amy.dismissed),
        (1, 1, 1, 0)
    );
    assert!((r.total.unwrap().adoption_index - 1.0).abs() < 1e-6);
    let err = events
        .get_adoption(pb::AdoptionRequest::default())
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::InvalidArgument);
    server.stop().await.unwrap();
}
