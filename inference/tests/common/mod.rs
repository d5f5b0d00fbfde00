//! Shared set-up for the inference crate's real-model tests: the model cache, its clips
//! (jfk.wav and the others) as 16 kHz samples, and Whisper recognizers on either backend.
#![allow(dead_code)]

use callassist_inference::asr::whisper::WhisperRecognizer;
use callassist_inference::asr::whispercpp::{WhisperCppOptions, WhisperCppRecognizer};
use callassist_inference::audio::StreamResampler;
use callassist_models::{Asset, ModelHome};

/// The model cache (`CALLASSIST_HOME` or the default), where assets are fetched on first use.
pub fn home() -> ModelHome {
    ModelHome::from_env()
}

/// The samples of a canonical mono PCM16 WAV file (found by its data chunk), in [-1, 1).
pub fn read_pcm16_wav(path: &std::path::Path) -> Vec<f32> {
    let bytes = std::fs::read(path).unwrap();
    let pos = bytes.windows(4).position(|w| w == b"data").unwrap();
    bytes[pos + 8..]
        .chunks_exact(2)
        .map(|b| i16::from_le_bytes([b[0], b[1]]) as f32 / 32768.0)
        .collect()
}

/// `x` (at `rate` Hz) resampled to 16 kHz as the server does.
pub fn to_16k(x: &[f32], rate: u32) -> Vec<f32> {
    let mut rs = StreamResampler::new(rate).unwrap();
    let mut out = Vec::new();
    rs.push(x, &mut out);
    rs.flush(&mut out);
    out
}

/// jfk.wav (16 kHz mono PCM16) as samples.
pub fn jfk() -> Vec<f32> {
    read_pcm16_wav(&callassist_models::jfk_wav(&home()).unwrap())
}

/// 3 s of silence and 3 s of a faint hum (about -37 dBFS): neither may give text.
pub fn silence_and_faint_hum() -> [Vec<f32>; 2] {
    let hum: Vec<f32> = (0..16_000 * 3)
        .map(|i| (i as f32 * 0.05).sin() * 0.02)
        .collect();
    [vec![0.0; 16_000 * 3], hum]
}

/// `asset` on the candle backend (safetensors weights).
pub fn candle(asset: Asset) -> WhisperRecognizer {
    let files = callassist_models::whisper_files(&home(), asset).unwrap();
    WhisperRecognizer::load(&files).unwrap()
}

/// `asset` on the whisper.cpp backend (the same weights converted to ggml).
pub fn whispercpp(asset: Asset, opts: WhisperCppOptions) -> WhisperCppRecognizer {
    let path = callassist_models::whisper_ggml_file(&home(), asset).unwrap();
    WhisperCppRecognizer::load(&path, opts).unwrap()
}
