//! Decoding of interleaved wire audio (LINEAR16 little-endian, G.711 mu-law and A-law) into
//! per-channel `f32` samples in [-1, 1], with validation that names what the client got wrong.

use crate::InferenceError;

/// Sample encoding of the audio a client sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AudioEncoding {
    /// Signed 16-bit little-endian PCM.
    Linear16,
    /// G.711 mu-law, one byte per sample.
    Mulaw,
    /// G.711 A-law, one byte per sample.
    Alaw,
}

impl AudioEncoding {
    /// Bytes one sample of one channel takes.
    pub fn bytes_per_sample(self) -> usize {
        match self {
            AudioEncoding::Linear16 => 2,
            AudioEncoding::Mulaw | AudioEncoding::Alaw => 1,
        }
    }

    /// Name as used on the wire and in messages.
    pub fn name(self) -> &'static str {
        match self {
            AudioEncoding::Linear16 => "LINEAR16",
            AudioEncoding::Mulaw => "MULAW",
            AudioEncoding::Alaw => "ALAW",
        }
    }
}

/// G.711 mu-law byte to a 16-bit linear sample.
pub fn mulaw_to_linear(byte: u8) -> i16 {
    let u = !byte;
    let sign = u & 0x80;
    let exponent = (u >> 4) & 0x07;
    let mantissa = u & 0x0F;
    let magnitude = ((((mantissa as i32) << 3) + 0x84) << exponent) - 0x84;
    if sign != 0 {
        -magnitude as i16
    } else {
        magnitude as i16
    }
}

/// 16-bit linear sample to a G.711 mu-law byte (used to make telephony test audio).
pub fn linear_to_mulaw(sample: i16) -> u8 {
    const BIAS: i32 = 0x84;
    const CLIP: i32 = 32_635;
    let mut s = sample as i32;
    let sign = if s < 0 {
        s = -s;
        0x80
    } else {
        0
    };
    s = s.min(CLIP) + BIAS;
    let exponent = (7 - (s.leading_zeros() as i32 - 17)).clamp(0, 7);
    let mantissa = (s >> (exponent + 3)) & 0x0F;
    !((sign | (exponent << 4) | mantissa) as u8)
}

/// G.711 A-law byte to a 16-bit linear sample.
pub fn alaw_to_linear(byte: u8) -> i16 {
    let a = byte ^ 0x55;
    let sign = a & 0x80;
    let exponent = (a >> 4) & 0x07;
    let mantissa = (a & 0x0F) as i32;
    let magnitude = match exponent {
        0 => (mantissa << 4) + 8,
        e => ((mantissa << 4) + 0x108) << (e - 1),
    };
    if sign != 0 {
        magnitude as i16
    } else {
        -magnitude as i16
    }
}

/// Splits interleaved frames into per-channel `f32` samples.
#[derive(Clone, Debug)]
pub struct Deinterleaver {
    encoding: AudioEncoding,
    channels: usize,
}

impl Deinterleaver {
    /// A decoder for `channels` interleaved channels (1 or 2).
    pub fn new(encoding: AudioEncoding, channels: usize) -> Result<Self, InferenceError> {
        if !(1..=2).contains(&channels) {
            return Err(InferenceError::UnsupportedFormat(format!(
                "{channels} channels; send 1 (mono) or 2 (stereo, one party per channel)"
            )));
        }
        Ok(Self { encoding, channels })
    }

    /// Bytes per interleaved sample frame (all channels).
    pub fn frame_bytes(&self) -> usize {
        self.encoding.bytes_per_sample() * self.channels
    }

    /// Decodes `data`, appending each channel's samples to `out[channel]`.
    pub fn decode_into(&self, data: &[u8], out: &mut [Vec<f32>]) -> Result<(), InferenceError> {
        let fb = self.frame_bytes();
        if !data.len().is_multiple_of(fb) {
            return Err(InferenceError::InvalidAudio(format!(
                "{} bytes is not a whole number of {}-byte sample frames ({} x {} channel(s)); \
                 send complete samples in every frame",
                data.len(),
                fb,
                self.encoding.name(),
                self.channels
            )));
        }
        debug_assert_eq!(out.len(), self.channels);
        let bps = self.encoding.bytes_per_sample();
        for frame in data.chunks_exact(fb) {
            for (ch, sample) in frame.chunks_exact(bps).enumerate() {
                let v = match self.encoding {
                    AudioEncoding::Linear16 => i16::from_le_bytes([sample[0], sample[1]]),
                    AudioEncoding::Mulaw => mulaw_to_linear(sample[0]),
                    AudioEncoding::Alaw => alaw_to_linear(sample[0]),
                };
                out[ch].push(v as f32 / 32_768.0);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mulaw_round_trip_is_close() {
        for s in (-32_000i32..32_000).step_by(97) {
            let back = mulaw_to_linear(linear_to_mulaw(s as i16)) as i32;
            let tol = (s.abs() / 16).max(8);
            assert!((back - s).abs() <= tol, "{s} -> {back}");
        }
    }

    #[test]
    fn g711_silence_codes_decode_to_near_zero() {
        assert_eq!(mulaw_to_linear(0xFF), 0);
        assert_eq!(mulaw_to_linear(0x7F), 0);
        assert!(alaw_to_linear(0xD5).abs() <= 8);
        assert!(alaw_to_linear(0x55).abs() <= 8);
    }

    #[test]
    fn alaw_known_values() {
        // ITU-T G.711 table: 0x2A (after inversion 0x7F) is the largest negative magnitude.
        assert_eq!(alaw_to_linear(0xAA), 32_256);
        assert_eq!(alaw_to_linear(0x2A), -32_256);
    }

    #[test]
    fn deinterleaves_stereo_pcm16() {
        let d = Deinterleaver::new(AudioEncoding::Linear16, 2).unwrap();
        let mut out = vec![Vec::new(), Vec::new()];
        let bytes: Vec<u8> = [1000i16, -1000, 2000, -2000]
            .iter()
            .flat_map(|s| s.to_le_bytes())
            .collect();
        d.decode_into(&bytes, &mut out).unwrap();
        assert_eq!(out[0].len(), 2);
        assert!(out[0][1] > 0.0 && out[1][1] < 0.0);
    }

    #[test]
    fn odd_byte_count_is_rejected_with_a_reason() {
        let d = Deinterleaver::new(AudioEncoding::Linear16, 1).unwrap();
        let err = d.decode_into(&[0, 1, 2], &mut [Vec::new()]).unwrap_err();
        assert!(err.to_string().contains("whole number"), "{err}");
        assert!(Deinterleaver::new(AudioEncoding::Mulaw, 3).is_err());
    }
}
