//! The JSON files written beside a converted Whisper model: `config.json` in the Hugging Face
//! format that candle-transformers' `whisper::Config` reads, `generation.json` carrying the
//! decoding hints from CTranslate2's `config.json`, and the list of tensor names candle's
//! `whisper::model::Whisper::load` looks up.

use serde::{Deserialize, Serialize};

/// Hugging Face Whisper `config.json` (the fields candle reads, plus a few informative ones).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HfWhisperConfig {
    pub model_type: String,
    pub num_mel_bins: usize,
    pub max_source_positions: usize,
    pub d_model: usize,
    pub encoder_attention_heads: usize,
    pub encoder_layers: usize,
    pub encoder_ffn_dim: usize,
    pub decoder_attention_heads: usize,
    pub decoder_layers: usize,
    pub decoder_ffn_dim: usize,
    pub vocab_size: usize,
    pub max_target_positions: usize,
    /// Token ids never to emit (CTranslate2 `suppress_ids`).
    pub suppress_tokens: Vec<u32>,
    /// Token ids not to emit first (CTranslate2 `suppress_ids_begin`).
    pub begin_suppress_tokens: Vec<u32>,
}

/// The decoding hints CTranslate2 keeps in its `config.json`; written as `generation.json`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GenerationConfig {
    /// Token ids never to emit.
    #[serde(default)]
    pub suppress_ids: Vec<u32>,
    /// Token ids not to emit as the first sampled token.
    #[serde(default)]
    pub suppress_ids_begin: Vec<u32>,
    /// `(decoder layer, head)` pairs whose cross-attention aligns text to audio (word times).
    #[serde(default)]
    pub alignment_heads: Vec<[u32; 2]>,
    /// Token ids of the language tokens (`<|en|>`, `<|zh|>`, ...).
    #[serde(default)]
    pub lang_ids: Vec<u32>,
    /// Whether the model is multilingual (vocabulary of 51865 or more, as in openai/whisper).
    /// Not in CTranslate2's file; set by the converter.
    #[serde(default)]
    pub is_multilingual: bool,
}

/// Every tensor name candle-transformers 0.11 `whisper::model::Whisper::load` reads for
/// `cfg` (it computes the encoder's sinusoidal positions itself, so
/// `model.encoder.embed_positions.weight` is written but not in this list).
pub fn candle_tensor_names(cfg: &HfWhisperConfig) -> Vec<String> {
    let mut names = Vec::new();
    let mut push = |prefix: &str, params: &[&str]| {
        for p in params {
            names.push(format!("{prefix}.{p}"));
        }
    };
    const WB: &[&str] = &["weight", "bias"];
    let attention = |push: &mut dyn FnMut(&str, &[&str]), prefix: &str| {
        push(&format!("{prefix}.q_proj"), WB);
        push(&format!("{prefix}.k_proj"), &["weight"]);
        push(&format!("{prefix}.v_proj"), WB);
        push(&format!("{prefix}.out_proj"), WB);
    };
    push("model.encoder.conv1", WB);
    push("model.encoder.conv2", WB);
    for side in ["encoder", "decoder"] {
        let layers = if side == "encoder" {
            cfg.encoder_layers
        } else {
            cfg.decoder_layers
        };
        for i in 0..layers {
            let layer = format!("model.{side}.layers.{i}");
            attention(&mut push, &format!("{layer}.self_attn"));
            push(&format!("{layer}.self_attn_layer_norm"), WB);
            if side == "decoder" {
                attention(&mut push, &format!("{layer}.encoder_attn"));
                push(&format!("{layer}.encoder_attn_layer_norm"), WB);
            }
            push(&format!("{layer}.fc1"), WB);
            push(&format!("{layer}.fc2"), WB);
            push(&format!("{layer}.final_layer_norm"), WB);
        }
        push(&format!("model.{side}.layer_norm"), WB);
    }
    push("model.decoder.embed_tokens", &["weight"]);
    push("model.decoder.embed_positions", &["weight"]);
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ct2_config_fields_parse() {
        let json = r#"{"alignment_heads": [[1, 0], [2, 5]], "lang_ids": [50259],
            "suppress_ids": [1, 2], "suppress_ids_begin": [220, 50256], "other": 3}"#;
        let g: GenerationConfig = serde_json::from_str(json).unwrap();
        assert_eq!(g.alignment_heads, vec![[1, 0], [2, 5]]);
        assert_eq!(g.suppress_ids_begin, vec![220, 50256]);
        assert!(!g.is_multilingual);
    }

    #[test]
    fn tiny_en_has_expected_name_count() {
        let cfg = HfWhisperConfig {
            model_type: "whisper".into(),
            num_mel_bins: 80,
            max_source_positions: 1500,
            d_model: 384,
            encoder_attention_heads: 6,
            encoder_layers: 4,
            encoder_ffn_dim: 1536,
            decoder_attention_heads: 6,
            decoder_layers: 4,
            decoder_ffn_dim: 1536,
            vocab_size: 51864,
            max_target_positions: 448,
            suppress_tokens: vec![],
            begin_suppress_tokens: vec![],
        };
        let names = candle_tensor_names(&cfg);
        // conv 4 + encoder 4 x 15 + ln 2 + decoder 4 x 24 + ln 2 + embeddings 2
        assert_eq!(names.len(), 4 + 60 + 2 + 96 + 2 + 2);
        assert!(names.contains(&"model.decoder.layers.3.encoder_attn.k_proj.weight".into()));
        assert!(!names.contains(&"model.decoder.layers.3.encoder_attn.k_proj.bias".into()));
    }
}
