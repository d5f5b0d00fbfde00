//! Locating the local LLMs' GGUF files.

use std::path::PathBuf;

use crate::catalogue::Asset;
use crate::error::Result;
use crate::home::ModelHome;
use crate::install::ensure;

/// Ensure an LLM asset ([`Asset::LlmSmolLm2`] or [`Asset::LlmQwen05`]) is present and return
/// the path of its `model.gguf` (weights, tokenizer and chat template in one file).
pub fn llm_file(home: &ModelHome, asset: Asset) -> Result<PathBuf> {
    Ok(ensure(home, asset)?.join("model.gguf"))
}
