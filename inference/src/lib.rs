//! Inference for callassist: audio decoding and resampling, voice-activity endpointing,
//! speech recognition and sentence embeddings. Engines are synchronous (`&mut self`); each
//! runs on a dedicated worker thread behind an async handle ([`asr::AsrPool`],
//! [`embed::EmbedPool`]), never on a tokio worker thread.

pub mod asr;
pub mod audio;
pub mod embed;
mod error;
pub mod llm;
pub mod spectral;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod text_metrics;
pub mod vad;
mod vad_earshot;
mod worker;

pub use error::InferenceError;

/// Sample rate every engine consumes.
pub const SAMPLE_RATE: u32 = 16_000;
