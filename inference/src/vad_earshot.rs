//! The `earshot` engine of the endpointer ([`crate::vad::VadEngine::Earshot`]): the earshot
//! crate's small neural detector scores 16 ms (256-sample) frames at 16 kHz; this adapter
//! re-blocks the endpointer's frames (20 ms by default) into those, and calls a frame speech
//! when any earshot frame completed inside it scored at or above the threshold.

use earshot::Detector;

/// Samples per earshot frame (16 ms at 16 kHz), fixed by the crate.
const EARSHOT_FRAME: usize = 256;

/// Per-channel earshot detector with its re-blocking buffer.
pub(crate) struct EarshotFrames {
    detector: Box<Detector>,
    pending: Vec<i16>,
    threshold: f32,
    /// Score of the last earshot frame, reused when an endpointer frame completes none.
    last_score: f32,
}

impl std::fmt::Debug for EarshotFrames {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EarshotFrames")
            .field("pending", &self.pending.len())
            .field("threshold", &self.threshold)
            .field("last_score", &self.last_score)
            .finish()
    }
}

impl EarshotFrames {
    /// A fresh detector; `threshold` is the score (0..1) from which a frame is speech.
    pub(crate) fn new(threshold: f32) -> Self {
        Self {
            detector: Detector::default_boxed(),
            pending: Vec::with_capacity(EARSHOT_FRAME * 2),
            threshold,
            last_score: 0.0,
        }
    }

    /// Whether `frame` (16 kHz, any length) holds speech: the highest score of the earshot
    /// frames it completes, or the previous score when it completes none.
    pub(crate) fn is_speech(&mut self, frame: &[f32]) -> bool {
        // i16 input: out-of-range and NaN samples from a client clamp (NaN casts to 0)
        // instead of tripping the crate's f32 range check.
        self.pending
            .extend(frame.iter().map(|s| (s.clamp(-1.0, 1.0) * 32767.0) as i16));
        let mut best: Option<f32> = None;
        let mut used = 0;
        while self.pending.len() - used >= EARSHOT_FRAME {
            let score = self
                .detector
                .predict_i16(&self.pending[used..used + EARSHOT_FRAME]);
            used += EARSHOT_FRAME;
            best = Some(best.map_or(score, |b: f32| b.max(score)));
            self.last_score = score;
        }
        self.pending.drain(..used);
        best.unwrap_or(self.last_score) >= self.threshold
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vad::{Endpointer, VadConfig, VadEngine, VadEvent};

    /// The two engines built on earshot.
    const ENGINES: [VadEngine; 2] = [VadEngine::Earshot, VadEngine::EarshotFlat];

    fn earshot_endpointer(engine: VadEngine) -> Endpointer {
        Endpointer::new(VadConfig {
            engine,
            ..VadConfig::default()
        })
    }

    fn white_noise(seconds: usize, amp: f32) -> Vec<f32> {
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        (0..16_000 * seconds)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                ((state >> 40) as f32 / (1u64 << 23) as f32 - 1.0) * amp
            })
            .collect()
    }

    #[test]
    fn earshot_opens_nothing_on_digital_silence() {
        for engine in ENGINES {
            let mut ep = earshot_endpointer(engine);
            let mut ev: Vec<VadEvent> = Vec::new();
            ep.push(&vec![0.0; 16_000 * 20], &mut ev);
            ep.flush(&mut ev);
            assert!(ev.is_empty(), "{engine:?}: {ev:?}");
        }
    }

    #[test]
    fn earshot_opens_nothing_on_loud_white_noise() {
        for engine in ENGINES {
            let mut ep = earshot_endpointer(engine);
            let mut ev: Vec<VadEvent> = Vec::new();
            ep.push(&vec![0.0; 16_000 * 5], &mut ev);
            ep.push(&white_noise(20, 0.3), &mut ev);
            ep.flush(&mut ev);
            assert!(ev.is_empty(), "{engine:?}: {ev:?}");
        }
    }

    #[test]
    fn reblocks_20_ms_frames_and_survives_bad_samples() {
        let mut e = EarshotFrames::new(0.5);
        let weird = [f32::NAN, f32::INFINITY, -7.0, 0.5];
        for _ in 0..50 {
            let frame: Vec<f32> = weird.iter().copied().cycle().take(320).collect();
            e.is_speech(&frame);
            assert!(e.pending.len() < EARSHOT_FRAME);
        }
        // 50 frames of 320 = 62.5 earshot frames: 128 samples left over.
        assert_eq!(e.pending.len(), 128);
        assert!(e.is_speech(&[]) == (e.last_score >= 0.5));
    }
}
