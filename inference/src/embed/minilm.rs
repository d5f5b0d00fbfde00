//! all-MiniLM-L6-v2 (English): candle's `BertModel`, the model's own WordPiece
//! `tokenizer.json` (padding to the batch's longest, truncation at 256 tokens as
//! sentence-transformers does), mean pooling over the attention mask, L2 normalisation.

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config};
use tokenizers::{PaddingParams, PaddingStrategy, Tokenizer, TruncationParams};

use super::{EmbedKind, Embedder, l2_normalize};
use crate::InferenceError;

/// Longest input in tokens (sentence-transformers' `max_seq_length` for this model).
const MAX_TOKENS: usize = 256;

/// all-MiniLM-L6-v2, d=384.
pub struct MiniLmEmbedder {
    model: BertModel,
    tokenizer: Tokenizer,
    dim: usize,
}

fn load_err(path: &std::path::Path, e: impl std::fmt::Display) -> InferenceError {
    InferenceError::ModelLoad {
        path: path.display().to_string(),
        detail: e.to_string(),
    }
}

impl MiniLmEmbedder {
    /// Loads the model (see `callassist_models::minilm_files`).
    pub fn load(files: &callassist_models::MiniLmFiles) -> Result<Self, InferenceError> {
        let cfg_text =
            std::fs::read_to_string(&files.config).map_err(|e| load_err(&files.config, e))?;
        let config: Config =
            serde_json::from_str(&cfg_text).map_err(|e| load_err(&files.config, e))?;
        let mut tokenizer =
            Tokenizer::from_file(&files.tokenizer).map_err(|e| load_err(&files.tokenizer, e))?;
        tokenizer.with_padding(Some(PaddingParams {
            strategy: PaddingStrategy::BatchLongest,
            ..Default::default()
        }));
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: MAX_TOKENS,
                ..Default::default()
            }))
            .map_err(|e| load_err(&files.tokenizer, e))?;
        // Read into memory: mmap would need `unsafe`, which the workspace denies.
        let bytes = std::fs::read(&files.weights).map_err(|e| load_err(&files.weights, e))?;
        let vb = VarBuilder::from_buffered_safetensors(bytes, DType::F32, &Device::Cpu)
            .map_err(|e| load_err(&files.weights, e))?;
        let model = BertModel::load(vb, &config).map_err(|e| load_err(&files.weights, e))?;
        Ok(Self {
            model,
            tokenizer,
            dim: config.hidden_size,
        })
    }
}

impl Embedder for MiniLmEmbedder {
    fn embed(
        &mut self,
        texts: &[String],
        _kind: EmbedKind,
    ) -> Result<Vec<Vec<f32>>, InferenceError> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        let enc = self
            .tokenizer
            .encode_batch(texts.to_vec(), true)
            .map_err(|e| InferenceError::Tokenizer(e.to_string()))?;
        let (b, l) = (enc.len(), enc[0].get_ids().len());
        let flat = |f: &dyn Fn(&tokenizers::Encoding) -> &[u32]| -> Vec<u32> {
            enc.iter().flat_map(|e| f(e).iter().copied()).collect()
        };
        let dev = Device::Cpu;
        let ids = Tensor::from_vec(flat(&|e| e.get_ids()), (b, l), &dev)?;
        let types = Tensor::from_vec(flat(&|e| e.get_type_ids()), (b, l), &dev)?;
        let mask = Tensor::from_vec(flat(&|e| e.get_attention_mask()), (b, l), &dev)?;
        let hidden = self.model.forward(&ids, &types, Some(&mask))?;
        let mask = mask.to_dtype(DType::F32)?.unsqueeze(2)?;
        let mean = hidden
            .broadcast_mul(&mask)?
            .sum(1)?
            .broadcast_div(&mask.sum(1)?)?;
        Ok(mean
            .to_vec2::<f32>()?
            .into_iter()
            .map(l2_normalize)
            .collect())
    }

    fn dim(&self) -> usize {
        self.dim
    }

    fn name(&self) -> String {
        "candle-all-minilm-l6-v2".into()
    }
}
