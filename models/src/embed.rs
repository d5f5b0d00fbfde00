//! Locating the sentence-embedding models' files.

use std::path::PathBuf;

use crate::catalogue::Asset;
use crate::error::Result;
use crate::home::ModelHome;
use crate::install::ensure;

/// The files of all-MiniLM-L6-v2 ([`Asset::EmbedMiniLm`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MiniLmFiles {
    /// The asset directory.
    pub dir: PathBuf,
    /// `model.safetensors`: BERT weights with Hugging Face names.
    pub weights: PathBuf,
    /// `config.json` (candle's `bert::Config`).
    pub config: PathBuf,
    /// `tokenizer.json` (Hugging Face tokenizers, WordPiece, lower-cased).
    pub tokenizer: PathBuf,
}

/// Ensure all-MiniLM-L6-v2 is present and return its files.
pub fn minilm_files(home: &ModelHome) -> Result<MiniLmFiles> {
    let dir = ensure(home, Asset::EmbedMiniLm)?;
    Ok(MiniLmFiles {
        weights: dir.join("model.safetensors"),
        config: dir.join("config.json"),
        tokenizer: dir.join("tokenizer.json"),
        dir,
    })
}

/// Ensure multilingual-e5-small ([`Asset::EmbedE5Small`]) is present and return the path of
/// its packed `E5S1` file (Q4_0 weights and the SentencePiece vocabulary in one file).
pub fn e5_small_file(home: &ModelHome) -> Result<PathBuf> {
    Ok(ensure(home, Asset::EmbedE5Small)?.join("e5-small-q4.bin"))
}
