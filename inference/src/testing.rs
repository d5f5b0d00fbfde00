//! Test doubles (feature `testing`): a recognizer that needs no weights, so streaming and
//! server tests run anywhere. It does not pretend to understand speech: it reports how much
//! audible audio it was given.

use crate::InferenceError;
use crate::asr::{AsrOutput, AsrRequest, AsrSegment, Recognizer};

/// Describes the audio instead of transcribing it: `"audio 1234 ms"` for anything audible,
/// empty text for near-silence. Optionally sleeps to simulate model cost.
#[derive(Clone, Debug, Default)]
pub struct FakeRecognizer {
    /// Simulated compute time per request.
    pub delay: std::time::Duration,
}

impl Recognizer for FakeRecognizer {
    fn transcribe(&mut self, req: &AsrRequest) -> Result<AsrOutput, InferenceError> {
        std::thread::sleep(self.delay);
        let peak = req.samples.iter().fold(0f32, |m, s| m.max(s.abs()));
        let ms = req.samples.len() as u64 * 1000 / crate::SAMPLE_RATE as u64;
        if peak < 0.01 {
            return Ok(AsrOutput {
                language: "en".into(),
                no_speech_prob: 1.0,
                ..Default::default()
            });
        }
        let text = format!("audio {ms} ms");
        Ok(AsrOutput {
            text: text.clone(),
            segments: vec![AsrSegment {
                start_ms: 0,
                end_ms: ms,
                text,
            }],
            language: req.language.clone().unwrap_or_else(|| "en".into()),
            no_speech_prob: 0.0,
            avg_logprob: -0.1,
            tokens: 3,
        })
    }

    fn name(&self) -> String {
        "fake".into()
    }
}
