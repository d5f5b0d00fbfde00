//! The load test's call audio: real speech (jfk.wav and the LibriVox clips) laid out as a
//! two-party conversation, agent and customer taking turns with pauses, band-limited and
//! decimated to 8 kHz and mu-law encoded as stereo frames, the way a softphone sends a call.

use anyhow::{Context, bail};
use callassist_client::pb::AudioEncoding;
use callassist_client::wav::WavAudio;
use callassist_inference::audio::linear_to_mulaw;
use callassist_models::ModelHome;

/// Pause between turns.
const GAP_MS: usize = 1_200;

/// One loop of the conversation: interleaved stereo mu-law at 8 kHz (channel 0 = agent).
#[derive(Debug)]
pub struct Conversation {
    pub stereo_mulaw: Vec<u8>,
    /// Speech turns as (channel, start ms, end ms) within the loop.
    pub turns: Vec<(usize, u64, u64)>,
}

impl Conversation {
    pub fn duration_ms(&self) -> u64 {
        self.stereo_mulaw.len() as u64 / 2 / 8
    }
}

fn read_16k_mono(path: &std::path::Path) -> anyhow::Result<Vec<f32>> {
    let wav = WavAudio::read(path)?;
    if wav.encoding != AudioEncoding::Linear16 || wav.sample_rate != 16_000 || wav.channels != 1 {
        bail!("{}: expected 16 kHz mono PCM16", path.display());
    }
    Ok(wav
        .data
        .chunks_exact(2)
        .map(|b| i16::from_le_bytes([b[0], b[1]]) as f32 / 32768.0)
        .collect())
}

/// 16 kHz -> 8 kHz: a 63-tap windowed-sinc low-pass at 3.6 kHz, then every other sample.
fn to_8k(x: &[f32]) -> Vec<f32> {
    const TAPS: usize = 63;
    let fc = 3_600.0 / 16_000.0;
    let mid = (TAPS / 2) as f32;
    let h: Vec<f32> = (0..TAPS)
        .map(|i| {
            let t = i as f32 - mid;
            let sinc = if t == 0.0 {
                2.0 * fc
            } else {
                (2.0 * std::f32::consts::PI * fc * t).sin() / (std::f32::consts::PI * t)
            };
            let w = 0.54 - 0.46 * (2.0 * std::f32::consts::PI * i as f32 / (TAPS - 1) as f32).cos();
            sinc * w
        })
        .collect();
    (0..x.len() / 2)
        .map(|o| {
            let c = 2 * o;
            h.iter()
                .enumerate()
                .map(|(k, hk)| {
                    let j = c as isize + k as isize - mid as isize;
                    if j >= 0 && (j as usize) < x.len() {
                        hk * x[j as usize]
                    } else {
                        0.0
                    }
                })
                .sum()
        })
        .collect()
}

/// Builds the conversation from the cached test clips (fetched on first use).
pub fn build(home: &ModelHome) -> anyhow::Result<Conversation> {
    let mut clips = vec![read_16k_mono(&callassist_models::jfk_wav(home)?)?];
    for (path, _) in callassist_models::librivox_clips(home)? {
        clips.push(read_16k_mono(&path).with_context(|| path.display().to_string())?);
    }
    let gap = GAP_MS * 8;
    let mut agent: Vec<f32> = Vec::new();
    let mut customer: Vec<f32> = Vec::new();
    let mut turns = Vec::new();
    for (i, clip) in clips.iter().enumerate() {
        let speech = to_8k(clip);
        let start = agent.len();
        let (talker, other) = if i % 2 == 0 {
            (&mut agent, &mut customer)
        } else {
            (&mut customer, &mut agent)
        };
        talker.extend_from_slice(&speech);
        other.resize(talker.len(), 0.0);
        turns.push((i % 2, start as u64 / 8, agent.len() as u64 / 8));
        agent.resize(agent.len() + gap, 0.0);
        customer.resize(agent.len(), 0.0);
    }
    let mut stereo_mulaw = Vec::with_capacity(agent.len() * 2);
    for (a, c) in agent.iter().zip(&customer) {
        for s in [a, c] {
            stereo_mulaw.push(linear_to_mulaw((s.clamp(-1.0, 1.0) * 32767.0) as i16));
        }
    }
    Ok(Conversation {
        stereo_mulaw,
        turns,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimation_keeps_speech_band_and_removes_aliases() {
        let tone = |hz: f32| -> Vec<f32> {
            (0..16_000)
                .map(|i| (2.0 * std::f32::consts::PI * hz * i as f32 / 16_000.0).sin())
                .collect()
        };
        let rms = |x: &[f32]| (x.iter().map(|v| v * v).sum::<f32>() / x.len() as f32).sqrt();
        let low = to_8k(&tone(1_000.0));
        let high = to_8k(&tone(6_000.0));
        assert_eq!(low.len(), 8_000);
        assert!(rms(&low[100..7_900]) > 0.6, "{}", rms(&low));
        assert!(rms(&high[100..7_900]) < 0.05, "{}", rms(&high));
    }
}
