//! What a phone line does to 16 kHz audio, for benchmarks and tests that need telephony
//! speech from wideband clips: band-limited under 4 kHz, 8 kHz, G.711 mu-law, and back to
//! 16 kHz through the server's own resampler.

use super::{StreamResampler, linear_to_mulaw, mulaw_to_linear};
use crate::InferenceError;

/// `x` (16 kHz) as a phone line delivers it: low-passed at 3.6 kHz and decimated to 8 kHz,
/// mu-law coded, then resampled to 16 kHz as the server does.
pub fn phone_line(x: &[f32]) -> Result<Vec<f32>, InferenceError> {
    // 63-tap Hann-windowed sinc low-pass at 3.6 kHz.
    const TAPS: usize = 63;
    let cutoff = 3_600.0 / 16_000.0;
    let h: Vec<f32> = (0..TAPS)
        .map(|i| {
            let n = i as f32 - (TAPS / 2) as f32;
            let sinc = if n == 0.0 {
                2.0 * cutoff
            } else {
                (2.0 * std::f32::consts::PI * cutoff * n).sin() / (std::f32::consts::PI * n)
            };
            let hann =
                0.5 - 0.5 * (2.0 * std::f32::consts::PI * i as f32 / (TAPS - 1) as f32).cos();
            sinc * hann
        })
        .collect();
    let narrow: Vec<f32> = (0..x.len() / 2)
        .map(|k| {
            let centre = 2 * k;
            h.iter()
                .enumerate()
                .map(|(i, c)| {
                    let j = (centre + i).checked_sub(TAPS / 2);
                    c * j.and_then(|j| x.get(j)).copied().unwrap_or(0.0)
                })
                .sum::<f32>()
        })
        .map(|v| {
            let coded = linear_to_mulaw((v * 32767.0).clamp(-32768.0, 32767.0) as i16);
            mulaw_to_linear(coded) as f32 / 32768.0
        })
        .collect();
    let mut r = StreamResampler::new(8_000)?;
    let mut out = Vec::new();
    r.push(&narrow, &mut out);
    r.flush(&mut out);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::phone_line;

    fn tone(hz: f32) -> Vec<f32> {
        (0..16_000)
            .map(|i| (2.0 * std::f32::consts::PI * hz * i as f32 / 16_000.0).sin() * 0.5)
            .collect()
    }

    fn rms(x: &[f32]) -> f32 {
        (x.iter().map(|v| v * v).sum::<f32>() / x.len() as f32).sqrt()
    }

    #[test]
    fn keeps_the_voice_band_and_drops_what_a_phone_cannot_carry() {
        let voice = phone_line(&tone(1_000.0)).unwrap();
        let high = phone_line(&tone(6_000.0)).unwrap();
        assert!((voice.len() as i64 - 16_000).abs() < 200, "{}", voice.len());
        // 1 kHz passes within 1 dB (mu-law noise included); 6 kHz is cut by over 30 dB.
        let mid = &voice[2_000..14_000];
        assert!((20.0 * (rms(mid) / rms(&tone(1_000.0))).log10()).abs() < 1.0);
        assert!(20.0 * (rms(&high[2_000..14_000]) / 0.35).log10() < -30.0);
    }
}
