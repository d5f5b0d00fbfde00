//! The earshot VAD engine on real speech: jfk.wav (fetched into the model cache on first use)
//! between stretches of digital silence opens an utterance, and its utterances carry the
//! speech (docs/VAD.md has the full comparison with the energy engine).

mod common;

use callassist_inference::vad::{Endpointer, VadConfig, VadEngine, VadEvent};

#[test]
fn earshot_opens_an_utterance_on_jfk() {
    let speech = common::jfk();
    for engine in [VadEngine::Earshot, VadEngine::EarshotFlat] {
        check(engine, &speech);
    }
}

fn check(engine: VadEngine, speech: &[f32]) {
    let mut ep = Endpointer::new(VadConfig {
        engine,
        ..VadConfig::default()
    });
    let mut ev = Vec::new();
    ep.push(&vec![0.0; 32_000], &mut ev);
    ep.push(speech, &mut ev);
    ep.push(&vec![0.0; 32_000], &mut ev);
    ep.flush(&mut ev);
    println!(
        "{engine:?}: {:?}",
        ev.iter()
            .map(|e| match e {
                VadEvent::SpeechStart { start_ms } => format!("start {start_ms}"),
                VadEvent::SpeechEnd {
                    start_ms, end_ms, ..
                } => format!("end {start_ms}-{end_ms}"),
                VadEvent::Pause { end_ms, .. } => format!("pause {end_ms}"),
                VadEvent::EndOfTurn { at_ms } => format!("turn {at_ms}"),
            })
            .collect::<Vec<_>>()
    );
    let spans: Vec<(u64, u64)> = ev
        .iter()
        .filter_map(|e| match e {
            VadEvent::SpeechEnd {
                start_ms, end_ms, ..
            } => Some((*start_ms, *end_ms)),
            _ => None,
        })
        .collect();
    assert!(!spans.is_empty(), "{engine:?}");
    // Everything lies inside the clip (2.0 s to 13.0 s, give or take pre/post roll), and the
    // utterances cover most of its 11 s.
    assert!(
        spans.iter().all(|&(s, e)| s >= 1_700 && e <= 13_300),
        "{engine:?}: {spans:?}"
    );
    let covered: u64 = spans.iter().map(|(s, e)| e - s).sum();
    assert!(covered >= 7_000, "{engine:?}: {spans:?}");
}
