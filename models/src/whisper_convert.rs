//! CTranslate2 Whisper (`model.bin` + `config.json`) -> Hugging Face layout:
//! `model.safetensors` (F32, HF tensor names), `config.json`, `generation.json`, and the
//! tokenizer copied beside them. Fused projections are split: self-attention `linear_0` is
//! q,k,v stacked along dim 0, cross-attention `linear_1` is k,v; the k bias (all zeros, and
//! irrelevant to softmax anyway) is dropped because Whisper's k_proj has none.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::path::Path;

use safetensors::{Dtype, View};

use crate::ct2::{Ct2Model, Ct2Variable, read_ct2_file};
use crate::error::{IoContext, ModelError, Result};
use crate::progress::Progress;
use crate::whisper_config::{GenerationConfig, HfWhisperConfig, candle_tensor_names};

/// An F32 tensor ready for safetensors.
#[derive(Clone, Debug, PartialEq)]
pub struct F32Tensor {
    pub shape: Vec<usize>,
    /// Little-endian f32 bytes.
    pub data: Vec<u8>,
}

impl F32Tensor {
    fn new(shape: Vec<usize>, values: &[f32]) -> Self {
        let data = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        Self { shape, data }
    }

    /// The values as f32.
    pub fn values(&self) -> Vec<f32> {
        self.data
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect()
    }
}

impl View for &F32Tensor {
    fn dtype(&self) -> Dtype {
        Dtype::F32
    }
    fn shape(&self) -> &[usize] {
        &self.shape
    }
    fn data(&self) -> Cow<'_, [u8]> {
        Cow::Borrowed(&self.data)
    }
    fn data_len(&self) -> usize {
        self.data.len()
    }
}

/// Where one CTranslate2 variable goes.
#[derive(Debug, PartialEq)]
enum Target {
    /// Metadata scalar (num_heads, activation, ...): not a weight.
    Skip,
    One(String),
    /// Split along dim 0 into equal parts; `None` parts are dropped.
    Split(Vec<Option<String>>),
}

/// The HF name(s) for CTranslate2 variable `name`, or `None` if it is not a known weight.
fn target(name: &str) -> Option<Target> {
    let parts: Vec<&str> = name.split('/').collect();
    let param = |p: &str| match p {
        "gamma" | "weight" => Some("weight"),
        "beta" | "bias" => Some("bias"),
        _ => None,
    };
    let one = |s: String| Some(Target::One(s));
    match parts.as_slice() {
        [side @ ("encoder" | "decoder"), rest @ ..] => match rest {
            [_scalar] => Some(Target::Skip),
            [conv @ ("conv1" | "conv2"), p] => one(format!("model.{side}.{conv}.{}", param(p)?)),
            ["position_encodings", "encodings"] => {
                one(format!("model.{side}.embed_positions.weight"))
            }
            ["layer_norm", p] => one(format!("model.{side}.layer_norm.{}", param(p)?)),
            ["embeddings", "weight"] if *side == "decoder" => {
                one("model.decoder.embed_tokens.weight".into())
            }
            [layer, block, sub, p] => {
                let i: usize = layer.strip_prefix("layer_")?.parse().ok()?;
                let p = param(p)?;
                let pre = format!("model.{side}.layers.{i}");
                let split = |names: &[&str]| {
                    let v = names
                        .iter()
                        .map(|n| {
                            // Whisper's k_proj has no bias: drop CTranslate2's zero one.
                            (!(n.ends_with("k_proj") && p == "bias"))
                                .then(|| format!("{pre}.{n}.{p}"))
                        })
                        .collect();
                    Some(Target::Split(v))
                };
                match (*block, *sub) {
                    ("self_attention", "layer_norm") => {
                        one(format!("{pre}.self_attn_layer_norm.{p}"))
                    }
                    ("self_attention", "linear_0") => {
                        split(&["self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj"])
                    }
                    ("self_attention", "linear_1") => one(format!("{pre}.self_attn.out_proj.{p}")),
                    ("attention", "layer_norm") => {
                        one(format!("{pre}.encoder_attn_layer_norm.{p}"))
                    }
                    ("attention", "linear_0") => one(format!("{pre}.encoder_attn.q_proj.{p}")),
                    ("attention", "linear_1") => {
                        split(&["encoder_attn.k_proj", "encoder_attn.v_proj"])
                    }
                    ("attention", "linear_2") => one(format!("{pre}.encoder_attn.out_proj.{p}")),
                    ("ffn", "layer_norm") => one(format!("{pre}.final_layer_norm.{p}")),
                    ("ffn", "linear_0") => one(format!("{pre}.fc1.{p}")),
                    ("ffn", "linear_1") => one(format!("{pre}.fc2.{p}")),
                    _ => None,
                }
            }
            _ => None,
        },
        _ => None,
    }
}

/// Split `values` of `shape` into `n` equal parts along dim 0.
fn split_rows(
    shape: &[usize],
    values: &[f32],
    n: usize,
) -> std::result::Result<Vec<F32Tensor>, String> {
    let rows = shape.first().copied().unwrap_or(0);
    if rows == 0 || rows % n != 0 {
        return Err(format!("cannot split shape {shape:?} into {n} along dim 0"));
    }
    let mut part_shape = shape.to_vec();
    part_shape[0] = rows / n;
    let chunk = values.len() / n;
    Ok(values
        .chunks_exact(chunk)
        .map(|c| F32Tensor::new(part_shape.clone(), c))
        .collect())
}

/// Convert the variables of a CTranslate2 `WhisperSpec` model; `generation` comes from its
/// `config.json`. Returns the HF tensors, the HF config, and the generation config.
pub fn convert_model(
    model: Ct2Model,
    mut generation: GenerationConfig,
    file: &Path,
    on_variable: &dyn Fn(),
) -> Result<(
    BTreeMap<String, F32Tensor>,
    HfWhisperConfig,
    GenerationConfig,
)> {
    if model.spec != "WhisperSpec" {
        return Err(ModelError::format(
            file,
            format!("expected a WhisperSpec model, found {}", model.spec),
        ));
    }
    let heads = |side: &str| {
        model
            .get(&format!("{side}/num_heads"))
            .and_then(Ct2Variable::scalar_i64)
    };
    let (enc_heads, dec_heads) = (heads("encoder"), heads("decoder"));
    let mut tensors = BTreeMap::new();
    for var in model.variables {
        on_variable();
        let bad = |detail: String| ModelError::format(file, format!("{}: {detail}", var.name));
        let Some(target) = target(&var.name) else {
            if var.shape.is_empty() {
                continue;
            }
            return Err(bad(
                "unknown variable (quantized or unsupported model?)".into()
            ));
        };
        if target == Target::Skip || var.shape.is_empty() {
            continue;
        }
        let values = var
            .to_f32()
            .ok_or_else(|| bad(format!("{:?} weights are not supported", var.dtype)))?;
        match target {
            Target::Skip => {}
            Target::One(name) => {
                tensors.insert(name, F32Tensor::new(var.shape.clone(), &values));
            }
            Target::Split(names) => {
                let parts = split_rows(&var.shape, &values, names.len()).map_err(bad)?;
                for (name, part) in names.into_iter().zip(parts) {
                    if let Some(name) = name {
                        tensors.insert(name, part);
                    }
                }
            }
        }
    }
    let dim = |name: &str, axis: usize| {
        tensors
            .get(name)
            .and_then(|t| t.shape.get(axis).copied())
            .ok_or_else(|| ModelError::format(file, format!("missing tensor {name}")))
    };
    let count_layers = |side: &str| {
        (0..)
            .take_while(|i| tensors.contains_key(&format!("model.{side}.layers.{i}.fc1.weight")))
            .count()
    };
    let d_model = dim("model.encoder.conv1.weight", 0)?;
    let default_heads = (d_model / 64).max(1) as i64;
    let vocab_size = dim("model.decoder.embed_tokens.weight", 0)?;
    let config = HfWhisperConfig {
        model_type: "whisper".into(),
        num_mel_bins: dim("model.encoder.conv1.weight", 1)?,
        max_source_positions: dim("model.encoder.embed_positions.weight", 0)?,
        d_model,
        encoder_attention_heads: enc_heads.unwrap_or(default_heads) as usize,
        encoder_layers: count_layers("encoder"),
        encoder_ffn_dim: dim("model.encoder.layers.0.fc1.weight", 0)?,
        decoder_attention_heads: dec_heads.unwrap_or(default_heads) as usize,
        decoder_layers: count_layers("decoder"),
        decoder_ffn_dim: dim("model.decoder.layers.0.fc1.weight", 0)?,
        vocab_size,
        max_target_positions: dim("model.decoder.embed_positions.weight", 0)?,
        suppress_tokens: generation.suppress_ids.clone(),
        begin_suppress_tokens: generation.suppress_ids_begin.clone(),
    };
    generation.is_multilingual = vocab_size >= 51865;
    if let Some(missing) = candle_tensor_names(&config)
        .into_iter()
        .find(|n| !tensors.contains_key(n))
    {
        return Err(ModelError::format(
            file,
            format!("converted model lacks tensor {missing}"),
        ));
    }
    Ok((tensors, config, generation))
}

/// Convert the CTranslate2 model in `ct2_dir` into `out_dir` (see the module docs).
pub fn convert_dir(ct2_dir: &Path, out_dir: &Path) -> Result<()> {
    convert_dir_with(ct2_dir, out_dir, &Progress::new(false))
}

/// [`convert_dir`] with progress bars.
pub(crate) fn convert_dir_with(ct2_dir: &Path, out_dir: &Path, progress: &Progress) -> Result<()> {
    let model_bin = ct2_dir.join("model.bin");
    let ct2_config = ct2_dir.join("config.json");
    let text = fs::read_to_string(&ct2_config).at(&ct2_config)?;
    let generation: GenerationConfig = serde_json::from_str(&text)
        .map_err(|e| ModelError::format(&ct2_config, format!("bad JSON: {e}")))?;
    let model = read_ct2_file(&model_bin)?;
    let pb = progress.items(
        "converting to safetensors".into(),
        model.variables.len() as u64,
    );
    let (tensors, config, generation) =
        convert_model(model, generation, &model_bin, &|| pb.inc(1))?;
    fs::create_dir_all(out_dir).at(out_dir)?;
    let weights = out_dir.join("model.safetensors");
    let metadata = HashMap::from([
        ("format".to_string(), "pt".to_string()),
        ("converted_from".to_string(), "ctranslate2".to_string()),
    ]);
    safetensors::tensor::serialize_to_file(tensors.iter(), Some(metadata), &weights)
        .map_err(|e| ModelError::format(&weights, format!("cannot write safetensors: {e}")))?;
    make_readable(&weights)?;
    pb.finish_and_clear();
    write_json(&out_dir.join("config.json"), &config)?;
    write_json(&out_dir.join("generation.json"), &generation)?;
    for name in ["tokenizer.json", "vocabulary.txt"] {
        let from = ct2_dir.join(name);
        if from.exists() || name == "tokenizer.json" {
            fs::copy(&from, out_dir.join(name)).at(&from)?;
        }
    }
    Ok(())
}

/// The safetensors writer creates its file owner-only; a shared cache wants it readable.
#[cfg(unix)]
fn make_readable(path: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(0o644)).at(path)
}

#[cfg(not(unix))]
fn make_readable(_path: &Path) -> Result<()> {
    Ok(())
}

fn write_json(path: &Path, value: &impl serde::Serialize) -> Result<()> {
    let text = serde_json::to_string_pretty(value).expect("serialisable");
    fs::write(path, text + "\n").at(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ct2::Ct2DType;

    const D: usize = 4;

    fn var(name: &str, shape: &[usize], value: impl Fn(usize) -> f32) -> Ct2Variable {
        let n: usize = shape.iter().product();
        let data = (0..n)
            .flat_map(|i| half::f16::from_f32(value(i)).to_bits().to_le_bytes())
            .collect();
        Ct2Variable {
            name: name.into(),
            shape: shape.to_vec(),
            dtype: Ct2DType::F16,
            data,
        }
    }

    fn scalar(name: &str, v: i16) -> Ct2Variable {
        Ct2Variable {
            name: name.into(),
            shape: vec![],
            dtype: Ct2DType::I16,
            data: v.to_le_bytes().to_vec(),
        }
    }

    /// A 1-layer Whisper with d=4, 2 heads, 3 mel bins, vocab 5; each weight element holds
    /// its row index so splits can be checked.
    fn mini() -> Ct2Model {
        let row = |cols: usize| move |i: usize| (i / cols) as f32;
        let mut v = vec![
            scalar("encoder/num_heads", 2),
            scalar("decoder/num_heads", 2),
            var("encoder/conv1/weight", &[D, 3, 3], |_| 0.5),
            var("encoder/conv1/bias", &[D], |_| 0.0),
            var("encoder/conv2/weight", &[D, D, 3], |_| 0.5),
            var("encoder/conv2/bias", &[D], |_| 0.0),
            var("encoder/position_encodings/encodings", &[6, D], |_| 0.0),
            var("decoder/position_encodings/encodings", &[7, D], |_| 0.0),
            var("decoder/embeddings/weight", &[5, D], row(D)),
        ];
        for side in ["encoder", "decoder"] {
            v.push(var(&format!("{side}/layer_norm/gamma"), &[D], |_| 1.0));
            v.push(var(&format!("{side}/layer_norm/beta"), &[D], |_| 0.0));
            let l = format!("{side}/layer_0");
            let mut blocks = vec![("self_attention", vec![3 * D, D])];
            if side == "decoder" {
                blocks.push(("attention", vec![D, 2 * D, D]));
            }
            for (block, outs) in blocks {
                v.push(var(&format!("{l}/{block}/layer_norm/gamma"), &[D], |_| 1.0));
                v.push(var(&format!("{l}/{block}/layer_norm/beta"), &[D], |_| 0.0));
                for (k, out) in outs.iter().enumerate() {
                    v.push(var(
                        &format!("{l}/{block}/linear_{k}/weight"),
                        &[*out, D],
                        row(D),
                    ));
                    v.push(var(&format!("{l}/{block}/linear_{k}/bias"), &[*out], |i| {
                        i as f32
                    }));
                }
            }
            v.push(var(&format!("{l}/ffn/layer_norm/gamma"), &[D], |_| 1.0));
            v.push(var(&format!("{l}/ffn/layer_norm/beta"), &[D], |_| 0.0));
            v.push(var(&format!("{l}/ffn/linear_0/weight"), &[8, D], row(D)));
            v.push(var(&format!("{l}/ffn/linear_0/bias"), &[8], |_| 0.0));
            v.push(var(&format!("{l}/ffn/linear_1/weight"), &[D, 8], row(8)));
            v.push(var(&format!("{l}/ffn/linear_1/bias"), &[D], |_| 0.0));
        }
        Ct2Model {
            version: 6,
            spec: "WhisperSpec".into(),
            revision: 3,
            variables: v,
            aliases: vec![],
        }
    }

    fn convert(model: Ct2Model) -> Result<(BTreeMap<String, F32Tensor>, HfWhisperConfig)> {
        let generation = GenerationConfig {
            suppress_ids: vec![1],
            suppress_ids_begin: vec![2],
            ..Default::default()
        };
        let (t, c, g) = convert_model(model, generation, Path::new("mini"), &|| ())?;
        assert!(!g.is_multilingual);
        Ok((t, c))
    }

    #[test]
    fn mini_model_converts_with_candle_names() {
        let (tensors, cfg) = convert(mini()).unwrap();
        assert_eq!((cfg.d_model, cfg.num_mel_bins, cfg.vocab_size), (D, 3, 5));
        assert_eq!((cfg.encoder_layers, cfg.decoder_layers), (1, 1));
        assert_eq!(
            (cfg.encoder_attention_heads, cfg.decoder_attention_heads),
            (2, 2)
        );
        assert_eq!((cfg.max_source_positions, cfg.max_target_positions), (6, 7));
        assert_eq!(
            (cfg.encoder_ffn_dim, cfg.suppress_tokens.clone()),
            (8, vec![1])
        );
        let mut expected = candle_tensor_names(&cfg);
        expected.push("model.encoder.embed_positions.weight".into());
        expected.sort();
        let names: Vec<String> = tensors.keys().cloned().collect();
        assert_eq!(names, expected);
    }

    #[test]
    fn fused_projections_split_in_order() {
        let (t, _) = convert(mini()).unwrap();
        let rows = |name: &str| {
            let t = &t[name];
            assert_eq!(t.shape, vec![D, D], "{name}");
            t.values().iter().step_by(D).copied().collect::<Vec<f32>>()
        };
        let third = |k: usize| (k * D..(k + 1) * D).map(|r| r as f32).collect::<Vec<_>>();
        for side in ["encoder", "decoder"] {
            let p = format!("model.{side}.layers.0.self_attn");
            assert_eq!(rows(&format!("{p}.q_proj.weight")), third(0));
            assert_eq!(rows(&format!("{p}.k_proj.weight")), third(1));
            assert_eq!(rows(&format!("{p}.v_proj.weight")), third(2));
            assert_eq!(t[&format!("{p}.v_proj.bias")].values(), third(2));
            assert!(!t.contains_key(&format!("{p}.k_proj.bias")));
        }
        let p = "model.decoder.layers.0.encoder_attn";
        assert_eq!(rows(&format!("{p}.q_proj.weight")), third(0));
        assert_eq!(rows(&format!("{p}.k_proj.weight")), third(0));
        assert_eq!(rows(&format!("{p}.v_proj.weight")), third(1));
        assert_eq!(rows(&format!("{p}.out_proj.weight")), third(0));
    }

    #[test]
    fn unknown_or_quantized_variables_are_rejected() {
        let mut m = mini();
        m.variables.push(var(
            "encoder/layer_0/ffn/linear_0/weight_scale",
            &[8],
            |_| 1.0,
        ));
        assert!(matches!(convert(m), Err(ModelError::Format { .. })));
        let mut m = mini();
        m.spec = "TransformerSpec".into();
        assert!(matches!(convert(m), Err(ModelError::Format { .. })));
        let mut m = mini();
        m.variables.retain(|v| v.name != "decoder/layer_norm/gamma");
        assert!(matches!(convert(m), Err(ModelError::Format { .. })));
    }

    #[test]
    fn convert_dir_writes_all_files() {
        let dir = tempfile::tempdir().unwrap();
        let ct2 = dir.path().join("ct2");
        fs::create_dir_all(&ct2).unwrap();
        fs::write(ct2.join("model.bin"), crate::ct2::write_ct2(&mini())).unwrap();
        fs::write(
            ct2.join("config.json"),
            r#"{"suppress_ids": [1], "lang_ids": [9]}"#,
        )
        .unwrap();
        fs::write(ct2.join("tokenizer.json"), "{}").unwrap();
        let out = dir.path().join("out");
        convert_dir(&ct2, &out).unwrap();
        let bytes = fs::read(out.join("model.safetensors")).unwrap();
        let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
        let emb = st.tensor("model.decoder.embed_tokens.weight").unwrap();
        assert_eq!((emb.dtype(), emb.shape()), (Dtype::F32, &[5, D][..]));
        let cfg: HfWhisperConfig =
            serde_json::from_slice(&fs::read(out.join("config.json")).unwrap()).unwrap();
        assert_eq!(cfg.d_model, D);
        let g: GenerationConfig =
            serde_json::from_slice(&fs::read(out.join("generation.json")).unwrap()).unwrap();
        assert_eq!(g.lang_ids, vec![9]);
        assert!(out.join("tokenizer.json").is_file());
    }
}
