//! Call lifecycle with the weight-free recognizer: transcripts in order for audio and text
//! calls, slots released when a client disconnects mid-call, RESOURCE_EXHAUSTED when full,
//! health and reflection listing, and graceful shutdown.

mod common;

use std::time::Duration;

use callassist_client::call::{self, CallOptions};
use callassist_client::pb::{self, Role, stream_call_response::Event};
use common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audio_call_gives_speech_events_and_one_final_per_utterance() {
    let server = TestServer::start(fake_state(0)).await;
    let client = server.client().await;
    let audio = tone_call(1_000, 2_000);
    let events = collect(
        call::stream_wav(&client, &audio, &CallOptions::default())
            .await
            .unwrap(),
    )
    .await
    .unwrap();
    let f = finals(&events, Role::Customer);
    assert_eq!(f.len(), 1, "{events:?}");
    // The fake reports the audio it was given: about 2 s of tone plus pre/post roll.
    assert!(f[0].text.starts_with("audio 2"), "{:?}", f[0].text);
    assert!((700..=1_000).contains(&f[0].start_ms), "{:?}", f[0]);
    let begins = events
        .iter()
        .filter(|e| matches!(&e.event, Some(Event::Speech(s)) if s.r#type == pb::SpeechEventType::SpeechBegin as i32))
        .count();
    assert_eq!(begins, 1);
    // Partials (interim results are on by default) come before the final of the utterance.
    let final_seq = events
        .iter()
        .find(|e| matches!(&e.event, Some(Event::Transcript(t)) if t.is_final))
        .unwrap()
        .seq;
    assert!(events.iter().all(|e| match &e.event {
        Some(Event::Transcript(t)) if !t.is_final => e.seq < final_seq,
        _ => true,
    }));
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_call_echoes_utterances_with_index_times() {
    let server = TestServer::start(fake_state(0)).await;
    let client = server.client().await;
    let lines =
        call::parse_script("AGENT: 您好，这里是客服\nCUSTOMER: It is over our budget").unwrap();
    let events = collect(
        call::stream_requests(
            &client,
            call::text_requests(&lines, &CallOptions::default()),
            None,
        )
        .await
        .unwrap(),
    )
    .await
    .unwrap();
    let agent = finals(&events, Role::Agent);
    let customer = finals(&events, Role::Customer);
    assert_eq!(agent[0].text, "您好，这里是客服");
    assert_eq!(customer[0].text, "It is over our budget");
    assert_eq!(events[0].audio_ms, 1_000);
    assert_eq!(events[1].audio_ms, 2_000);
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disconnect_mid_call_releases_the_session_and_worker() {
    // A slow fake recognizer keeps the worker busy while the client goes away.
    let server = TestServer::start(fake_state(400)).await;
    let proxy = CuttableProxy::start(&server.url).await;
    let client = callassist_client::Client::connect(&proxy.url)
        .await
        .unwrap();
    let audio = tone_call(200, 20_000);
    let opts = CallOptions {
        realtime: true,
        ..CallOptions::default()
    };
    let mut events = call::stream_wav(&client, &audio, &opts).await.unwrap();
    // Wait until the call is live and producing events, then kill the connection.
    let _first = events.message().await.unwrap().unwrap();
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    assert_eq!(server.state.active_calls(), 1);
    proxy.cut();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while server.state.active_calls() > 0 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(server.state.active_calls(), 0, "session not released");
    // The worker finishes what it was doing and then sits idle: nothing left queued.
    while server.state.asr.stats().busy > 0 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let stats = server.state.asr.stats();
    assert_eq!((stats.busy, stats.queued), (0, 0), "{stats:?}");
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_over_the_limit_get_resource_exhausted() {
    let mut cfg = config();
    cfg.max_calls = 1;
    let state = callassist_server::AppState::new(cfg, fake_state(0).asr.clone());
    let server = TestServer::start(state).await;
    let client = server.client().await;
    let opts = CallOptions {
        realtime: true,
        ..CallOptions::default()
    };
    let mut first = call::stream_wav(&client, &tone_call(200, 5_000), &opts)
        .await
        .unwrap();
    let _ = first.message().await.unwrap();
    let second = call::stream_wav(&client, &tone_call(200, 500), &CallOptions::default()).await;
    let status = match second {
        Err(callassist_client::ClientError::Status { code, .. }) => code,
        Ok(s) => collect(s).await.unwrap_err().code(),
        Err(e) => panic!("{e}"),
    };
    assert_eq!(status, tonic::Code::ResourceExhausted);
    drop(first);
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reflection_lists_every_service_and_health_is_serving() {
    use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
    use tonic_reflection::pb::v1::{
        ServerReflectionRequest, server_reflection_request::MessageRequest,
        server_reflection_response::MessageResponse,
    };
    let server = TestServer::start(fake_state(0)).await;
    let client = server.client().await;
    let mut refl = ServerReflectionClient::new(client.channel());
    let req = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut resp = refl
        .server_reflection_info(tokio_stream::iter(vec![req]))
        .await
        .unwrap()
        .into_inner();
    let msg = resp.message().await.unwrap().unwrap();
    let Some(MessageResponse::ListServicesResponse(list)) = msg.message_response else {
        panic!("unexpected reflection answer");
    };
    let names: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
    for want in [
        "callassist.v1.CallAssist",
        "callassist.v1.Knowledge",
        "callassist.v1.Events",
        "grpc.health.v1.Health",
    ] {
        assert!(
            names.iter().any(|n| n == want),
            "{want} missing from {names:?}"
        );
    }

    let mut health = tonic_health::pb::health_client::HealthClient::new(client.channel());
    let status = health
        .check(tonic_health::pb::HealthCheckRequest {
            service: "callassist.v1.CallAssist".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        status.status,
        tonic_health::pb::health_check_response::ServingStatus::Serving as i32
    );

    // Not-yet-built RPCs say so instead of inventing data.
    let mut knowledge = pb::knowledge_client::KnowledgeClient::new(client.channel());
    let err = knowledge
        .list_packs(pb::ListPacksRequest {
            tenant_id: "t".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::Unimplemented);
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_lets_a_live_call_finish() {
    let server = TestServer::start(fake_state(0)).await;
    let client = server.client().await;
    let opts = CallOptions {
        realtime: true,
        ..CallOptions::default()
    };
    let mut events = call::stream_wav(&client, &tone_call(100, 1_500), &opts)
        .await
        .unwrap();
    let first = events.message().await.unwrap();
    assert!(first.is_some());
    let state = server.state.clone();
    let stopping = tokio::spawn(server.stop());
    // The call in progress still completes with `end`.
    let rest = collect(events).await.unwrap();
    assert!(matches!(rest.last().unwrap().event, Some(Event::End(_))));
    stopping.await.unwrap().unwrap();
    assert_eq!(state.active_calls(), 0);
}
