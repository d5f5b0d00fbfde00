//! Reads WAV files for streaming: RIFF/WAVE with 16-bit PCM, G.711 mu-law or A-law samples
//! (including WAVE_FORMAT_EXTENSIBLE), mono or stereo, any sample rate. The samples are sent
//! as they are; the server decodes and resamples.

use std::path::Path;

use crate::ClientError;
use crate::pb::AudioEncoding;

/// Audio read from a WAV file, still in its wire encoding.
#[derive(Clone, Debug)]
pub struct WavAudio {
    pub encoding: AudioEncoding,
    pub sample_rate: u32,
    pub channels: u16,
    /// Interleaved sample bytes (the `data` chunk).
    pub data: Vec<u8>,
}

impl WavAudio {
    /// Bytes per interleaved sample frame.
    pub fn frame_bytes(&self) -> usize {
        let bps = if self.encoding == AudioEncoding::Linear16 {
            2
        } else {
            1
        };
        bps * self.channels as usize
    }

    /// Duration in milliseconds.
    pub fn duration_ms(&self) -> u64 {
        (self.data.len() / self.frame_bytes()) as u64 * 1000 / self.sample_rate as u64
    }

    /// Reads and checks a WAV file.
    pub fn read(path: &Path) -> Result<Self, ClientError> {
        let bytes = std::fs::read(path).map_err(|e| ClientError::Input {
            path: path.display().to_string(),
            detail: e.to_string(),
        })?;
        Self::parse(&bytes).map_err(|detail| ClientError::Input {
            path: path.display().to_string(),
            detail,
        })
    }

    /// Parses WAV bytes; the error says what is wrong with the file.
    pub fn parse(bytes: &[u8]) -> Result<Self, String> {
        if bytes.len() < 12 || &bytes[0..4] != b"RIFF" || &bytes[8..12] != b"WAVE" {
            return Err("not a WAV file (no RIFF/WAVE header): give a .wav recording".into());
        }
        let mut pos = 12;
        let mut fmt: Option<(u16, u16, u32, u16)> = None;
        let mut data: Option<&[u8]> = None;
        while pos + 8 <= bytes.len() {
            let id = &bytes[pos..pos + 4];
            let size = u32::from_le_bytes([
                bytes[pos + 4],
                bytes[pos + 5],
                bytes[pos + 6],
                bytes[pos + 7],
            ]) as usize;
            let body_start = pos + 8;
            let body_end = body_start.saturating_add(size).min(bytes.len());
            let body = &bytes[body_start..body_end];
            match id {
                b"fmt " => {
                    if body.len() < 16 {
                        return Err("fmt chunk is shorter than 16 bytes".into());
                    }
                    let le16 = |o: usize| u16::from_le_bytes([body[o], body[o + 1]]);
                    let mut tag = le16(0);
                    let channels = le16(2);
                    let rate = u32::from_le_bytes([body[4], body[5], body[6], body[7]]);
                    let bits = le16(14);
                    if tag == 0xFFFE && body.len() >= 26 {
                        tag = le16(24); // first two bytes of the sub-format GUID
                    }
                    fmt = Some((tag, channels, rate, bits));
                }
                b"data" => {
                    data = Some(body);
                    if fmt.is_some() {
                        break;
                    }
                }
                _ => {}
            }
            pos = body_start.saturating_add(size).saturating_add(size & 1);
        }
        let (tag, channels, sample_rate, bits) =
            fmt.ok_or("no fmt chunk: the WAV header is incomplete")?;
        let data = data.ok_or("no data chunk: the WAV file holds no audio")?;
        let encoding = match (tag, bits) {
            (1, 16) => AudioEncoding::Linear16,
            (7, 8) => AudioEncoding::Mulaw,
            (6, 8) => AudioEncoding::Alaw,
            (1, b) => {
                return Err(format!(
                    "{b}-bit PCM is not supported: convert to 16-bit PCM, mu-law or A-law"
                ));
            }
            (t, _) => {
                return Err(format!(
                    "WAV format tag {t} is not supported: use 16-bit PCM (1), A-law (6) or mu-law (7)"
                ));
            }
        };
        if !(1..=2).contains(&channels) {
            return Err(format!(
                "{channels} channels: use mono or stereo (one party per channel)"
            ));
        }
        if sample_rate == 0 {
            return Err("sample rate is 0 in the WAV header".into());
        }
        let mut audio = WavAudio {
            encoding,
            sample_rate,
            channels,
            data: data.to_vec(),
        };
        let fb = audio.frame_bytes();
        audio.data.truncate(audio.data.len() / fb * fb);
        Ok(audio)
    }

    /// Encodes as a WAV file (used to write converted test audio). Header sizes that do not
    /// fit their 32-bit fields (a byte rate for an absurd sample rate that `parse` accepted, or
    /// over 4 GiB of data) are written as `u32::MAX` rather than overflowing.
    pub fn to_wav_bytes(&self) -> Vec<u8> {
        let (tag, bits): (u16, u16) = match self.encoding {
            AudioEncoding::Mulaw => (7, 8),
            AudioEncoding::Alaw => (6, 8),
            _ => (1, 16),
        };
        let block = self.frame_bytes() as u16;
        let mut out = Vec::with_capacity(44 + self.data.len());
        out.extend_from_slice(b"RIFF");
        let data_len = u32::try_from(self.data.len()).unwrap_or(u32::MAX);
        out.extend_from_slice(&data_len.saturating_add(36).to_le_bytes());
        out.extend_from_slice(b"WAVEfmt ");
        out.extend_from_slice(&16u32.to_le_bytes());
        out.extend_from_slice(&tag.to_le_bytes());
        out.extend_from_slice(&self.channels.to_le_bytes());
        out.extend_from_slice(&self.sample_rate.to_le_bytes());
        let byte_rate = self.sample_rate.saturating_mul(block as u32);
        out.extend_from_slice(&byte_rate.to_le_bytes());
        out.extend_from_slice(&block.to_le_bytes());
        out.extend_from_slice(&bits.to_le_bytes());
        out.extend_from_slice(b"data");
        out.extend_from_slice(&data_len.to_le_bytes());
        out.extend_from_slice(&self.data);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_mulaw_stereo() {
        let a = WavAudio {
            encoding: AudioEncoding::Mulaw,
            sample_rate: 8000,
            channels: 2,
            data: vec![0xFF; 1600],
        };
        let b = WavAudio::parse(&a.to_wav_bytes()).unwrap();
        assert_eq!(
            (b.encoding, b.sample_rate, b.channels, b.data.len()),
            (AudioEncoding::Mulaw, 8000, 2, 1600)
        );
        assert_eq!(b.duration_ms(), 100);
    }

    #[test]
    fn writes_any_sample_rate_parse_accepts_without_overflow() {
        // Found by the `audio_decode` fuzz target: a stereo mu-law header claiming ~2.1 GHz
        // parsed, then `to_wav_bytes` overflowed computing the byte rate.
        let a = WavAudio {
            encoding: AudioEncoding::Mulaw,
            sample_rate: 0x8000_1F40,
            channels: 2,
            data: vec![0; 8],
        };
        let b = WavAudio::parse(&a.to_wav_bytes()).unwrap();
        assert_eq!(
            (b.sample_rate, b.channels, b.data),
            (a.sample_rate, 2, a.data)
        );
    }

    #[test]
    fn rejects_non_wav_and_odd_formats_with_reasons() {
        assert!(
            WavAudio::parse(b"hello world, not audio")
                .unwrap_err()
                .contains("not a WAV")
        );
        let mut a = WavAudio {
            encoding: AudioEncoding::Linear16,
            sample_rate: 16000,
            channels: 1,
            data: vec![0; 10],
        }
        .to_wav_bytes();
        a[20] = 3; // IEEE float tag
        assert!(WavAudio::parse(&a).unwrap_err().contains("format tag 3"));
        let truncated = &a[..30];
        assert!(WavAudio::parse(truncated).is_err());
    }
}
