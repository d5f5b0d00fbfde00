//! Streaming resampler to 16 kHz on top of rubato's synchronous FFT resampler: accepts input of
//! any length, keeps the remainder, trims the filter delay, and flushes the tail at the end.

use rubato::{FftFixedInOut, Resampler};

use crate::{InferenceError, SAMPLE_RATE};

/// Input frames per resampler chunk (about 16-32 ms at telephony rates).
const CHUNK_IN: usize = 256;

/// Converts one channel from its native rate to 16 kHz, chunk by chunk.
pub struct StreamResampler {
    inner: Option<FftFixedInOut<f32>>,
    pending: Vec<f32>,
    delay_left: usize,
    consumed: u64,
    produced: u64,
    ratio: f64,
}

impl std::fmt::Debug for StreamResampler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamResampler")
            .field("ratio", &self.ratio)
            .field("pending", &self.pending.len())
            .finish()
    }
}

impl StreamResampler {
    /// A resampler from `rate_in` Hz to 16 kHz (a pass-through at 16 kHz).
    pub fn new(rate_in: u32) -> Result<Self, InferenceError> {
        if !(4_000..=192_000).contains(&rate_in) {
            return Err(InferenceError::UnsupportedFormat(format!(
                "sample rate {rate_in} Hz; use 8000 or 16000 (anything from 4000 to 192000 is resampled)"
            )));
        }
        let inner = if rate_in == SAMPLE_RATE {
            None
        } else {
            Some(
                FftFixedInOut::new(rate_in as usize, SAMPLE_RATE as usize, CHUNK_IN, 1)
                    .map_err(|e| InferenceError::UnsupportedFormat(e.to_string()))?,
            )
        };
        let delay_left = inner.as_ref().map_or(0, |r| r.output_delay());
        Ok(Self {
            inner,
            pending: Vec::new(),
            delay_left,
            consumed: 0,
            produced: 0,
            ratio: SAMPLE_RATE as f64 / rate_in as f64,
        })
    }

    /// Feeds `input` and appends every 16 kHz sample that is ready to `out`.
    pub fn push(&mut self, input: &[f32], out: &mut Vec<f32>) {
        self.consumed += input.len() as u64;
        let Some(r) = self.inner.as_mut() else {
            out.extend_from_slice(input);
            self.produced += input.len() as u64;
            return;
        };
        self.pending.extend_from_slice(input);
        let need = r.input_frames_next();
        let mut start = 0;
        while self.pending.len() - start >= need {
            let chunk = &self.pending[start..start + need];
            if let Ok(res) = r.process(&[chunk], None) {
                Self::emit(&mut self.delay_left, &mut self.produced, &res[0], out);
            }
            start += need;
        }
        self.pending.drain(..start);
    }

    /// Flushes what is buffered (zero-padded), emitting exactly the samples owed so far.
    pub fn flush(&mut self, out: &mut Vec<f32>) {
        let Some(r) = self.inner.as_mut() else {
            return;
        };
        let owed = (self.consumed as f64 * self.ratio).round() as u64;
        let need = r.input_frames_next();
        let mut guard = 0;
        while self.produced < owed && guard < 64 {
            self.pending.resize(need, 0.0);
            if let Ok(res) = r.process(&[&self.pending[..]], None) {
                let room = (owed - self.produced) as usize;
                let take = &res[0][..res[0].len().min(room + self.delay_left)];
                Self::emit(&mut self.delay_left, &mut self.produced, take, out);
            }
            self.pending.clear();
            guard += 1;
        }
    }

    fn emit(delay_left: &mut usize, produced: &mut u64, chunk: &[f32], out: &mut Vec<f32>) {
        let skip = (*delay_left).min(chunk.len());
        *delay_left -= skip;
        out.extend_from_slice(&chunk[skip..]);
        *produced += (chunk.len() - skip) as u64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(rate: u32, hz: f32, secs: f32) -> Vec<f32> {
        let n = (rate as f32 * secs) as usize;
        (0..n)
            .map(|i| (i as f32 * hz * std::f32::consts::TAU / rate as f32).sin() * 0.5)
            .collect()
    }

    #[test]
    fn upsamples_8k_with_correct_length_and_frequency() {
        let input = tone(8_000, 440.0, 1.0);
        let mut r = StreamResampler::new(8_000).unwrap();
        let mut out = Vec::new();
        for c in input.chunks(160) {
            r.push(c, &mut out);
        }
        r.flush(&mut out);
        assert_eq!(out.len(), 16_000);
        // Zero crossings of a 440 Hz tone over 1 s: ~880.
        let zc = out
            .windows(2)
            .skip(400)
            .take(15_000)
            .filter(|w| (w[0] < 0.0) != (w[1] < 0.0))
            .count();
        assert!((800..=860).contains(&zc), "zero crossings {zc}");
    }

    #[test]
    fn passthrough_at_16k_and_rejects_nonsense_rates() {
        let mut r = StreamResampler::new(16_000).unwrap();
        let mut out = Vec::new();
        r.push(&[0.1, 0.2], &mut out);
        assert_eq!(out, vec![0.1, 0.2]);
        assert!(StreamResampler::new(0).is_err());
        assert!(StreamResampler::new(1_000_000).is_err());
    }
}
