//! Locating a converted Whisper model's files: candle's safetensors set and whisper.cpp's
//! ggml file.

use std::path::PathBuf;

use crate::catalogue::{Asset, Convert};
use crate::error::{ModelError, Result};
use crate::home::ModelHome;
use crate::install::ensure;

/// The files of a converted Whisper model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WhisperFiles {
    /// The asset directory.
    pub dir: PathBuf,
    /// `model.safetensors`: F32 tensors with Hugging Face Whisper names.
    pub weights: PathBuf,
    /// `config.json` in Hugging Face format (candle's `whisper::Config`).
    pub config: PathBuf,
    /// `tokenizer.json` (Hugging Face tokenizers).
    pub tokenizer: PathBuf,
    /// `generation.json` ([`crate::GenerationConfig`]: suppress ids, alignment heads,
    /// language ids, multilingual flag).
    pub generation: PathBuf,
}

/// Ensure the Whisper model `asset` is present and return its files.
pub fn whisper_files(home: &ModelHome, asset: Asset) -> Result<WhisperFiles> {
    if !matches!(asset.spec().convert, Convert::WhisperCt2 { .. }) {
        return Err(ModelError::WrongKind {
            asset: asset.name(),
            expected: "a Whisper model",
        });
    }
    let dir = ensure(home, asset)?;
    Ok(WhisperFiles {
        weights: dir.join("model.safetensors"),
        config: dir.join("config.json"),
        tokenizer: dir.join("tokenizer.json"),
        generation: dir.join("generation.json"),
        dir,
    })
}

/// Ensure the Whisper model `asset` is present and return its whisper.cpp model file
/// (`ggml-model.bin` beside the safetensors, converted on first use if `models pull` has not
/// made it yet; see [`crate::whisper_ggml`]).
pub fn whisper_ggml_file(home: &ModelHome, asset: Asset) -> Result<PathBuf> {
    if !matches!(asset.spec().convert, Convert::WhisperCt2 { .. }) {
        return Err(ModelError::WrongKind {
            asset: asset.name(),
            expected: "a Whisper model",
        });
    }
    crate::install::ensure_whisper_ggml(home, asset, crate::progress::Progress::new(false))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audio_is_not_a_whisper_model() {
        let home = ModelHome::new("/nonexistent");
        let err = whisper_files(&home, Asset::JfkWav).unwrap_err();
        assert!(matches!(err, ModelError::WrongKind { .. }), "{err}");
        let err = whisper_ggml_file(&home, Asset::JfkWav).unwrap_err();
        assert!(matches!(err, ModelError::WrongKind { .. }), "{err}");
    }
}
