//! Test doubles (feature `testing`): a recognizer and an embedder that need no weights, so
//! streaming, retrieval and server tests run anywhere. They do not pretend to understand
//! anything: the recognizer reports how much audible audio it was given, the embedder hashes
//! character n-grams (texts sharing substrings score high, paraphrases do not).

use crate::InferenceError;
use crate::asr::{AsrOutput, AsrRequest, AsrSegment, Recognizer};
use crate::embed::{EmbedKind, Embedder, l2_normalize};

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
            ..Default::default()
        })
    }

    fn name(&self) -> String {
        "fake".into()
    }
}

/// A weight-free embedder: hashes the character 1-, 2- and 3-grams of the lower-cased text
/// (FNV-1a) into `dim` signed buckets and L2-normalises. Deterministic; lexical overlap only,
/// no semantics. Ignores the kind (queries and passages share one space).
#[derive(Clone, Debug)]
pub struct FakeEmbedder {
    pub dim: usize,
    /// Simulated compute time per batch.
    pub delay: std::time::Duration,
}

impl Default for FakeEmbedder {
    fn default() -> Self {
        Self {
            dim: 384,
            delay: std::time::Duration::ZERO,
        }
    }
}

impl FakeEmbedder {
    fn vector(&self, text: &str) -> Vec<f32> {
        let chars: Vec<char> = text.to_lowercase().chars().collect();
        let dim = self.dim.max(1);
        let mut v = vec![0f32; dim];
        for n in 1..=3 {
            for gram in chars.windows(n) {
                let mut h: u64 = 0xcbf2_9ce4_8422_2325;
                for c in gram {
                    for b in (*c as u32).to_le_bytes() {
                        h = (h ^ b as u64).wrapping_mul(0x0100_0000_01b3);
                    }
                }
                let sign = if h >> 63 == 0 { 1.0 } else { -1.0 };
                v[(h % dim as u64) as usize] += sign;
            }
        }
        l2_normalize(v)
    }
}

impl Embedder for FakeEmbedder {
    fn embed(
        &mut self,
        texts: &[String],
        _kind: EmbedKind,
    ) -> Result<Vec<Vec<f32>>, InferenceError> {
        std::thread::sleep(self.delay);
        Ok(texts.iter().map(|t| self.vector(t)).collect())
    }

    fn dim(&self) -> usize {
        self.dim
    }

    fn name(&self) -> String {
        format!("fake-ngram-{}", self.dim)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::embed::cosine;

    #[test]
    fn fake_embedder_is_deterministic_normalised_and_lexical() {
        let mut e = FakeEmbedder::default();
        let texts: Vec<String> = ["price of the plan", "the plan price", "天气很好"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let v = e.embed(&texts, EmbedKind::Query).unwrap();
        assert_eq!(v, e.embed(&texts, EmbedKind::Passage).unwrap());
        assert!(v.iter().all(|x| x.len() == 384));
        let norm = v[0].iter().map(|a| a * a).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-5);
        assert!(cosine(&v[0], &v[1]) > cosine(&v[0], &v[2]) + 0.3);
    }
}
