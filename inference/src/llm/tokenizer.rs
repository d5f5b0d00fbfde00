//! A `tokenizers` tokenizer built from a GGUF file's metadata: the byte-level BPE vocabulary
//! and merges (`tokenizer.ggml.tokens`, `.merges`), control and user-defined tokens as added
//! tokens (so `<|im_start|>` is always one id), and the pre-tokenizer named by
//! `tokenizer.ggml.pre` (the split rules each model family was trained with).

use tokenizers::decoders::byte_level::ByteLevel as ByteLevelDecoder;
use tokenizers::models::bpe::{BPE, Vocab};
use tokenizers::normalizers::unicode::NFC;
use tokenizers::pre_tokenizers::byte_level::ByteLevel;
use tokenizers::pre_tokenizers::digits::Digits;
use tokenizers::pre_tokenizers::sequence::Sequence;
use tokenizers::pre_tokenizers::split::{Split, SplitPattern};
use tokenizers::tokenizer::SplitDelimiterBehavior;
use tokenizers::{AddedToken, PreTokenizerWrapper, Tokenizer};

use super::gguf::GgufFile;
use crate::InferenceError;

/// GGUF token types (llama.cpp's `llama_token_type`).
const TYPE_CONTROL: usize = 3;
const TYPE_USER_DEFINED: usize = 4;

/// Qwen2's split rule: contractions, letters with one leading non-letter, single digits,
/// punctuation runs, newlines, spaces.
const SPLIT_QWEN2: &str = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
/// Llama 3's rule: as Qwen2's but digits in groups of up to three.
const SPLIT_LLAMA3: &str = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

/// The tokenizer of a GGUF model and its special ids.
#[derive(Clone)]
pub struct GgufTokenizer {
    inner: Tokenizer,
    eos: u32,
    bos: Option<u32>,
    add_bos: bool,
    /// Ids that end generation: EOS and the end-of-turn tokens present in the vocabulary.
    stops: Vec<u32>,
    vocab_size: usize,
}

impl std::fmt::Debug for GgufTokenizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GgufTokenizer")
            .field("vocab_size", &self.vocab_size)
            .field("eos", &self.eos)
            .field("stops", &self.stops)
            .finish()
    }
}

impl GgufTokenizer {
    /// Builds the tokenizer from the metadata of `gguf`.
    pub(crate) fn from_gguf(gguf: &GgufFile) -> Result<Self, InferenceError> {
        let model = gguf.string("tokenizer.ggml.model")?;
        if model != "gpt2" {
            return Err(gguf.err(format!(
                "tokenizer model `{model}` is not supported (only byte-level BPE, `gpt2`)"
            )));
        }
        let tokens = gguf.strings("tokenizer.ggml.tokens")?;
        let types = gguf
            .uints("tokenizer.ggml.token_type")
            .unwrap_or_else(|_| vec![1; tokens.len()]);
        let merges = gguf
            .strings("tokenizer.ggml.merges")?
            .into_iter()
            .map(|m| match m.split_once(' ') {
                Some((a, b)) => Ok((a.to_string(), b.to_string())),
                None => Err(gguf.err(format!("merge without a space: {m:?}"))),
            })
            .collect::<Result<Vec<_>, _>>()?;
        let vocab: Vocab = tokens
            .iter()
            .enumerate()
            .map(|(i, t)| (t.clone(), i as u32))
            .collect();
        let bpe = BPE::builder()
            .vocab_and_merges(vocab, merges)
            .build()
            .map_err(|e| gguf.err(format!("building BPE: {e}")))?;
        let mut inner = Tokenizer::new(bpe);

        let pre = gguf
            .opt_string("tokenizer.ggml.pre")
            .unwrap_or_else(|| "default".into());
        let (pre_tokenizer, nfc) = pre_tokenizer(&pre).map_err(|e| gguf.err(e))?;
        if nfc {
            inner
                .with_normalizer(Some(NFC))
                .map_err(|e| gguf.err(e.to_string()))?;
        }
        inner.with_pre_tokenizer(Some(pre_tokenizer));
        inner.with_decoder(Some(ByteLevelDecoder::new(false, false, false)));

        let specials: Vec<AddedToken> = tokens
            .iter()
            .zip(&types)
            .filter(|(_, ty)| **ty == TYPE_CONTROL || **ty == TYPE_USER_DEFINED)
            .map(|(t, ty)| AddedToken::from(t.clone(), *ty == TYPE_CONTROL))
            .collect();
        inner
            .add_special_tokens(specials)
            .map_err(|e| gguf.err(format!("adding special tokens: {e}")))?;

        let eos = gguf.uint("tokenizer.ggml.eos_token_id")? as u32;
        let bos = gguf
            .opt_uint("tokenizer.ggml.bos_token_id")
            .map(|b| b as u32);
        let add_bos = gguf
            .opt_bool("tokenizer.ggml.add_bos_token")
            .unwrap_or(false);
        let mut stops = vec![eos];
        for name in ["<|im_end|>", "<|endoftext|>", "<|eot_id|>", "<end_of_turn>"] {
            if let Some(id) = inner.token_to_id(name)
                && !stops.contains(&id)
            {
                stops.push(id);
            }
        }
        Ok(Self {
            inner,
            eos,
            bos,
            add_bos,
            stops,
            vocab_size: tokens.len(),
        })
    }

    /// Token ids of `text`; special tokens written in the text become their single ids.
    pub fn encode(&self, text: &str) -> Result<Vec<u32>, InferenceError> {
        let enc = self
            .inner
            .encode(text, false)
            .map_err(|e| InferenceError::Tokenizer(e.to_string()))?;
        let mut ids = Vec::with_capacity(enc.len() + 1);
        if self.add_bos
            && let Some(bos) = self.bos
        {
            ids.push(bos);
        }
        ids.extend_from_slice(enc.get_ids());
        Ok(ids)
    }

    /// Text of `ids`; with `skip_special` the control tokens are left out.
    pub fn decode(&self, ids: &[u32], skip_special: bool) -> Result<String, InferenceError> {
        self.inner
            .decode(ids, skip_special)
            .map_err(|e| InferenceError::Tokenizer(e.to_string()))
    }

    /// The id of one token string, e.g. `<|im_end|>`.
    pub fn token_id(&self, token: &str) -> Option<u32> {
        self.inner.token_to_id(token)
    }

    /// The end-of-sequence id.
    pub fn eos(&self) -> u32 {
        self.eos
    }

    /// Ids that end a generation (EOS and end-of-turn tokens).
    pub fn stop_ids(&self) -> &[u32] {
        &self.stops
    }

    /// Number of tokens in the vocabulary.
    pub fn vocab_size(&self) -> usize {
        self.vocab_size
    }
}

/// The pre-tokenizer for `tokenizer.ggml.pre`, and whether text is NFC-normalised first.
fn pre_tokenizer(pre: &str) -> Result<(PreTokenizerWrapper, bool), String> {
    let split = |re: &str| -> Result<PreTokenizerWrapper, String> {
        let split = Split::new(
            SplitPattern::Regex(re.to_string()),
            SplitDelimiterBehavior::Isolated,
            false,
        )
        .map_err(|e| format!("split rule: {e}"))?;
        Ok(Sequence::new(vec![
            split.into(),
            ByteLevel::new(false, false, false).into(),
        ])
        .into())
    };
    Ok(match pre {
        "qwen2" | "deepseek-r1-qwen" => (split(SPLIT_QWEN2)?, true),
        "llama3" | "llama-bpe" | "smaug-bpe" => (split(SPLIT_LLAMA3)?, false),
        // SmolLM: every digit on its own, then GPT-2's byte-level rule.
        "smollm" => (
            Sequence::new(vec![
                Digits::new(true).into(),
                ByteLevel::new(false, false, true).into(),
            ])
            .into(),
            false,
        ),
        "gpt2" | "default" | "gpt-2" => (ByteLevel::new(false, false, true).into(), false),
        other => return Err(format!("pre-tokenizer `{other}` is not supported")),
    })
}
