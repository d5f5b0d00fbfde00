//! End to end on the real Whisper tiny.en: jfk.wav as an 8 kHz mu-law stereo call (speech on
//! the customer channel, silence on the agent channel) through the gRPC server.

mod common;

use callassist_client::pb::{Role, stream_call_response::Event};
use callassist_inference::text_metrics::word_error_rate;
use common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn telephony_stereo_call_transcribes_the_customer_and_nothing_on_silence() {
    let server = TestServer::start(tiny_state()).await;
    let client = server.client().await;
    let events = stream_jfk_call(&client).await;

    let customer = finals(&events, Role::Customer);
    let text = joined_text(&customer);
    let wer = word_error_rate(callassist_models::JFK_TRANSCRIPT, &text);
    println!("customer: {text:?} (WER {wer:.3})");
    assert!(wer <= 0.10, "WER {wer} for {text:?}");

    // Nothing at all from the silent agent channel: no transcript, partial or final.
    let agent_text = any_speech_from(&events, Role::Agent);
    assert!(!agent_text, "agent channel produced events");

    // Events are numbered 1..n in order and end with `end` carrying the totals.
    for (i, e) in events.iter().enumerate() {
        assert_eq!(e.seq, i as u64 + 1);
    }
    let Some(Event::End(end)) = &events.last().unwrap().event else {
        panic!("last event is not end");
    };
    assert!(
        (10_900..=11_100).contains(&end.audio_ms),
        "audio_ms {}",
        end.audio_ms
    );
    // One or more finals per utterance: a long one is settled in pieces at its pauses
    // ("customer-1", "customer-1.2", ...).
    let utterances: std::collections::BTreeSet<&str> = customer
        .iter()
        .map(|t| t.utterance_id.split('.').next().unwrap_or_default())
        .collect();
    assert_eq!(end.utterances as usize, utterances.len(), "{customer:?}");
    // Utterance times are inside the call and ordered.
    for t in &customer {
        assert!(t.start_ms < t.end_ms && t.end_ms <= end.audio_ms, "{t:?}");
    }
    // Word timings: call time, in order, inside their utterance, and spelling its text.
    let words: Vec<_> = customer.iter().flat_map(|t| t.words.iter()).collect();
    let spelled: Vec<&str> = words.iter().map(|w| w.word.trim()).collect();
    assert_eq!(
        word_error_rate(&text, &spelled.join(" ")),
        0.0,
        "{spelled:?}"
    );
    for t in &customer {
        for w in &t.words {
            assert!(
                t.start_ms <= w.start_ms && w.start_ms <= w.end_ms && w.end_ms <= t.end_ms,
                "{w:?} in {t:?}"
            );
        }
    }
    assert!(words.windows(2).all(|p| p[0].start_ms <= p[1].start_ms));
    // "country" (the last word) is spoken 10.2-10.6 s into jfk.wav.
    let last = words.last().unwrap();
    assert!((9_500..=10_900).contains(&last.start_ms), "{last:?}");
    server.stop().await.unwrap();
}
