//! What a phone line does to 16 kHz audio (shared by `asr-rtf` and `vad-compare`).

/// `x` (16 kHz) as a phone line delivers it: low-passed under 4 kHz and decimated to 8 kHz,
/// mu-law coded, then resampled to 16 kHz as the server does.
pub fn telephony(x: &[f32]) -> anyhow::Result<Vec<f32>> {
    use callassist_inference::audio::{StreamResampler, linear_to_mulaw, mulaw_to_linear};
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
