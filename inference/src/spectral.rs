//! Spectral flatness of one analysis frame in the telephone band (100-3800 Hz): the geometric
//! over the arithmetic mean of the Hann-windowed power spectrum. Voiced speech has harmonic
//! peaks (flatness well under 0.3); white or broadband hiss is flat (about 0.56 for a raw
//! periodogram of white noise), so the endpointer can refuse noise that is merely loud.

use std::sync::Arc;

use rustfft::num_complex::Complex32;
use rustfft::{Fft, FftPlanner};

/// Lowest and highest frequency (Hz) measured: the band every 8 kHz call still carries.
const BAND_HZ: (f32, f32) = (100.0, 3_800.0);

/// Flatness meter for frames of one fixed length.
pub struct Flatness {
    fft: Arc<dyn Fft<f32>>,
    window: Vec<f32>,
    buf: Vec<Complex32>,
    scratch: Vec<Complex32>,
    bins: std::ops::Range<usize>,
}

impl std::fmt::Debug for Flatness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Flatness")
            .field("frame", &self.window.len())
            .field("bins", &self.bins)
            .finish()
    }
}

impl Flatness {
    /// A meter for `frame_len` samples at `sample_rate` Hz.
    pub fn new(frame_len: usize, sample_rate: u32) -> Self {
        let frame_len = frame_len.max(8);
        let fft = FftPlanner::new().plan_fft_forward(frame_len);
        let window = (0..frame_len)
            .map(|i| {
                let x = std::f32::consts::PI * 2.0 * i as f32 / frame_len as f32;
                0.5 - 0.5 * x.cos()
            })
            .collect();
        let hz_per_bin = sample_rate as f32 / frame_len as f32;
        let lo = (BAND_HZ.0 / hz_per_bin).ceil() as usize;
        let hi = ((BAND_HZ.1 / hz_per_bin).floor() as usize).min(frame_len / 2);
        Self {
            scratch: vec![Complex32::default(); fft.get_inplace_scratch_len()],
            buf: vec![Complex32::default(); frame_len],
            fft,
            window,
            bins: lo.max(1)..hi.max(lo.max(1) + 1),
        }
    }

    /// Flatness (0..1) of `frame` (its length must be the meter's frame length; shorter
    /// frames are zero-padded).
    pub fn measure(&mut self, frame: &[f32]) -> f32 {
        for (i, b) in self.buf.iter_mut().enumerate() {
            let x = frame.get(i).copied().unwrap_or(0.0);
            *b = Complex32::new(x * self.window[i], 0.0);
        }
        self.fft
            .process_with_scratch(&mut self.buf, &mut self.scratch);
        let (mut log_sum, mut sum) = (0.0f64, 0.0f64);
        let n = self.bins.len() as f64;
        for b in &self.buf[self.bins.clone()] {
            let p = b.norm_sqr() as f64 + 1e-20;
            log_sum += p.ln();
            sum += p;
        }
        if sum <= 0.0 {
            return 0.0;
        }
        ((log_sum / n).exp() / (sum / n)) as f32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn white_noise_is_flat_and_a_vowel_is_not() {
        let mut m = Flatness::new(320, 16_000);
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        let mut noise = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 40) as f32 / (1u64 << 23) as f32 - 1.0
        };
        let white: Vec<f32> = (0..320).map(|_| noise() * 0.3).collect();
        // A vowel-like frame: 140 Hz fundamental with decaying harmonics.
        let vowel: Vec<f32> = (0..320)
            .map(|i| {
                let t = i as f32 / 16_000.0;
                (1..20)
                    .map(|h| (std::f32::consts::TAU * 140.0 * h as f32 * t).sin() / h as f32)
                    .sum::<f32>()
                    * 0.1
            })
            .collect();
        let (w, v) = (m.measure(&white), m.measure(&vowel));
        assert!(w > 0.45, "white noise flatness {w}");
        assert!(v < 0.3, "vowel flatness {v}");
        assert_eq!(m.measure(&[0.0; 320]), 1.0);
    }
}
