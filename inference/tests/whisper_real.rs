//! Real-model tests: Whisper tiny.en (fetched into the model cache on first use) on jfk.wav
//! and silence, through the worker pool as the server uses it.

mod common;

use callassist_inference::asr::whisper::WhisperRecognizer;
use callassist_inference::asr::{AsrPool, AsrRequest, Recognizer};
use callassist_inference::text_metrics::word_error_rate;
use callassist_models::{Asset, JFK_TRANSCRIPT};
use common::jfk;

fn tiny() -> WhisperRecognizer {
    common::candle(Asset::WhisperTinyEn)
}

#[test]
fn tiny_en_transcribes_jfk_exactly_with_timestamps() {
    let mut rec = tiny();
    let out = rec
        .transcribe(&AsrRequest {
            samples: jfk(),
            ..Default::default()
        })
        .unwrap();
    println!("{out:#?}");
    assert_eq!(
        word_error_rate(JFK_TRANSCRIPT, &out.text),
        0.0,
        "{}",
        out.text
    );
    assert_eq!(out.language, "en");
    assert!(!out.segments.is_empty());
    let last = out.segments.last().unwrap();
    assert!(
        (9_000..=11_100).contains(&last.end_ms),
        "segments {:?}",
        out.segments
    );
    assert!(
        out.segments
            .windows(2)
            .all(|w| w[0].end_ms <= w[1].start_ms + 20)
    );
}

#[test]
fn silence_and_faint_hum_give_no_text() {
    let mut rec = tiny();
    for samples in common::silence_and_faint_hum() {
        let out = rec
            .transcribe(&AsrRequest {
                samples,
                ..Default::default()
            })
            .unwrap();
        assert_eq!(out.text, "", "{out:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pool_serves_async_callers_from_a_worker_thread() {
    let pool = AsrPool::new(vec![Box::new(tiny())], 4);
    let out = pool
        .transcribe(AsrRequest {
            samples: jfk(),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(word_error_rate(JFK_TRANSCRIPT, &out.text) < 0.01);
    let stats = pool.stats();
    assert_eq!((stats.done, stats.busy, stats.queued), (1, 0, 0));
}
