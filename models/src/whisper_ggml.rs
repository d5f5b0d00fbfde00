//! whisper.cpp's ggml model file (`ggml-model.bin`), written from a converted Whisper model
//! (`model.safetensors` + `config.json` + `tokenizer.json`, see [`crate::whisper_convert`]).
//!
//! Layout (little-endian, `i32` unless said otherwise), as whisper.cpp's loader reads it:
//! 1. magic `0x67676d6c` ("ggml");
//! 2. hparams: n_vocab, n_audio_ctx, n_audio_state, n_audio_head, n_audio_layer, n_text_ctx,
//!    n_text_state, n_text_head, n_text_layer, n_mels, ftype (1: big matrices in f16);
//! 3. mel filters: n_mel, n_fft (bins), then `n_mel * n_fft` f32 (Slaney, as librosa);
//! 4. vocabulary: count, then per token `u32` length + raw bytes (byte-level BPE strings mapped
//!    back to bytes), for the ordinary tokens only: whisper.cpp names the special ones itself;
//! 5. tensors until end of file: n_dims, name length, type (0 f32, 1 f16), dims innermost
//!    first (the reverse of the row-major shape), the name, then the data.
//!
//! Tensor names follow openai/whisper (`encoder.blocks.0.attn.query.weight`, ...). Matrices
//! and conv kernels are f16; biases, norms, positional embeddings and the conv biases (stored
//! as `[d, 1]`) are f32, the types whisper.cpp allocates for an f16 model.

use std::collections::HashMap;
use std::fs::{self, File};
use std::io::{self, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use safetensors::{Dtype, SafeTensors};

use crate::error::{IoContext, ModelError, Result};
use crate::progress::Progress;
use crate::whisper_config::HfWhisperConfig;

/// File name of the ggml model inside a Whisper asset directory.
pub const GGML_FILE: &str = "ggml-model.bin";

const MAGIC: u32 = 0x6767_6d6c;
/// `ftype` 1: "mostly f16" (matrices f16, vectors f32).
const FTYPE_F16: i32 = 1;
/// Mel filter bins of a 400-point FFT.
const N_FFT_BINS: usize = 201;

/// The model hyper-parameters in the order whisper.cpp reads them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GgmlHparams {
    pub n_vocab: i32,
    pub n_audio_ctx: i32,
    pub n_audio_state: i32,
    pub n_audio_head: i32,
    pub n_audio_layer: i32,
    pub n_text_ctx: i32,
    pub n_text_state: i32,
    pub n_text_head: i32,
    pub n_text_layer: i32,
    pub n_mels: i32,
    pub ftype: i32,
}

impl GgmlHparams {
    /// The hparams an f16 ggml file of the model described by `cfg` carries.
    pub fn from_config(cfg: &HfWhisperConfig) -> Self {
        let i = |v: usize| v as i32;
        Self {
            n_vocab: i(cfg.vocab_size),
            n_audio_ctx: i(cfg.max_source_positions),
            n_audio_state: i(cfg.d_model),
            n_audio_head: i(cfg.encoder_attention_heads),
            n_audio_layer: i(cfg.encoder_layers),
            n_text_ctx: i(cfg.max_target_positions),
            n_text_state: i(cfg.d_model),
            n_text_head: i(cfg.decoder_attention_heads),
            n_text_layer: i(cfg.decoder_layers),
            n_mels: i(cfg.num_mel_bins),
            ftype: FTYPE_F16,
        }
    }

    fn to_array(self) -> [i32; 11] {
        [
            self.n_vocab,
            self.n_audio_ctx,
            self.n_audio_state,
            self.n_audio_head,
            self.n_audio_layer,
            self.n_text_ctx,
            self.n_text_state,
            self.n_text_head,
            self.n_text_layer,
            self.n_mels,
            self.ftype,
        ]
    }

    fn from_array(a: [i32; 11]) -> Self {
        Self {
            n_vocab: a[0],
            n_audio_ctx: a[1],
            n_audio_state: a[2],
            n_audio_head: a[3],
            n_audio_layer: a[4],
            n_text_ctx: a[5],
            n_text_state: a[6],
            n_text_head: a[7],
            n_text_layer: a[8],
            n_mels: a[9],
            ftype: a[10],
        }
    }
}

/// Element type of a tensor in the file (ggml's type codes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GgmlType {
    F32,
    F16,
}

impl GgmlType {
    fn code(self) -> i32 {
        match self {
            Self::F32 => 0,
            Self::F16 => 1,
        }
    }

    fn from_code(code: i32) -> Option<Self> {
        match code {
            0 => Some(Self::F32),
            1 => Some(Self::F16),
            _ => None,
        }
    }

    fn size(self) -> u64 {
        match self {
            Self::F32 => 4,
            Self::F16 => 2,
        }
    }
}

/// One tensor as listed in a ggml file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GgmlTensorInfo {
    pub name: String,
    /// Row-major shape (outermost first), as in PyTorch.
    pub shape: Vec<usize>,
    pub dtype: GgmlType,
}

/// What [`read_ggml`] finds in a file: everything but the tensor data.
#[derive(Clone, Debug, PartialEq)]
pub struct GgmlSummary {
    pub hparams: GgmlHparams,
    /// `(n_mel, n_fft_bins)` of the mel filterbank.
    pub mel_shape: (usize, usize),
    /// Mel filter weights, row-major.
    pub mel_filters: Vec<f32>,
    /// Vocabulary entries as bytes, by token id.
    pub vocab: Vec<Vec<u8>>,
    pub tensors: Vec<GgmlTensorInfo>,
}

/// One tensor to write: whisper.cpp name, safetensors (Hugging Face) name, file type, and
/// whether it gains a trailing unit dimension (the conv biases).
#[derive(Clone, Debug, PartialEq, Eq)]
struct Mapping {
    ggml: String,
    hf: String,
    dtype: GgmlType,
    as_column: bool,
}

/// Every tensor whisper.cpp loads for `cfg`, in file order, with its source.
fn mappings(cfg: &HfWhisperConfig) -> Vec<Mapping> {
    let mut out = Vec::new();
    let mut add = |ggml: String, hf: String, dtype: GgmlType| {
        let as_column = ggml.ends_with("conv1.bias") || ggml.ends_with("conv2.bias");
        out.push(Mapping {
            ggml,
            hf,
            dtype,
            as_column,
        });
    };
    use GgmlType::{F16, F32};
    let wb = |add: &mut dyn FnMut(String, String, GgmlType), g: &str, h: &str, bias: bool| {
        add(format!("{g}.weight"), format!("{h}.weight"), F16);
        if bias {
            add(format!("{g}.bias"), format!("{h}.bias"), F32);
        }
    };
    let norm = |add: &mut dyn FnMut(String, String, GgmlType), g: &str, h: &str| {
        add(format!("{g}.weight"), format!("{h}.weight"), F32);
        add(format!("{g}.bias"), format!("{h}.bias"), F32);
    };
    let attention = |add: &mut dyn FnMut(String, String, GgmlType), g: &str, h: &str| {
        wb(add, &format!("{g}.query"), &format!("{h}.q_proj"), true);
        wb(add, &format!("{g}.key"), &format!("{h}.k_proj"), false);
        wb(add, &format!("{g}.value"), &format!("{h}.v_proj"), true);
        wb(add, &format!("{g}.out"), &format!("{h}.out_proj"), true);
    };
    add(
        "encoder.positional_embedding".into(),
        "model.encoder.embed_positions.weight".into(),
        F32,
    );
    for conv in ["conv1", "conv2"] {
        wb(
            &mut add,
            &format!("encoder.{conv}"),
            &format!("model.encoder.{conv}"),
            true,
        );
    }
    for (side, layers) in [
        ("encoder", cfg.encoder_layers),
        ("decoder", cfg.decoder_layers),
    ] {
        if side == "decoder" {
            add(
                "decoder.positional_embedding".into(),
                "model.decoder.embed_positions.weight".into(),
                F32,
            );
            add(
                "decoder.token_embedding.weight".into(),
                "model.decoder.embed_tokens.weight".into(),
                F16,
            );
        }
        for i in 0..layers {
            let g = format!("{side}.blocks.{i}");
            let h = format!("model.{side}.layers.{i}");
            attention(&mut add, &format!("{g}.attn"), &format!("{h}.self_attn"));
            norm(
                &mut add,
                &format!("{g}.attn_ln"),
                &format!("{h}.self_attn_layer_norm"),
            );
            if side == "decoder" {
                attention(
                    &mut add,
                    &format!("{g}.cross_attn"),
                    &format!("{h}.encoder_attn"),
                );
                norm(
                    &mut add,
                    &format!("{g}.cross_attn_ln"),
                    &format!("{h}.encoder_attn_layer_norm"),
                );
            }
            wb(&mut add, &format!("{g}.mlp.0"), &format!("{h}.fc1"), true);
            wb(&mut add, &format!("{g}.mlp.2"), &format!("{h}.fc2"), true);
            norm(
                &mut add,
                &format!("{g}.mlp_ln"),
                &format!("{h}.final_layer_norm"),
            );
        }
        let ln = if side == "encoder" {
            "encoder.ln_post"
        } else {
            "decoder.ln"
        };
        norm(&mut add, ln, &format!("model.{side}.layer_norm"));
    }
    out
}

/// GPT-2's byte-level BPE alphabet, reversed: each printable stand-in character back to the
/// byte it encodes.
fn byte_decoder() -> HashMap<char, u8> {
    let direct = |b: u8| matches!(b, b'!'..=b'~' | 0xA1..=0xAC | 0xAE..=0xFF);
    let mut map = HashMap::with_capacity(256);
    let mut shifted = 0u32;
    for b in 0..=255u8 {
        let c = if direct(b) {
            char::from(b)
        } else {
            shifted += 1;
            char::from_u32(255 + shifted).expect("valid code point")
        };
        map.insert(c, b);
    }
    map
}

/// The ordinary tokens of `tokenizer.json` (ids below `<|endoftext|>`) as raw bytes, by id;
/// ids the vocabulary lacks become empty strings, as in whisper.cpp's own files.
fn vocabulary(tokenizer: &Path) -> Result<Vec<Vec<u8>>> {
    let text = fs::read_to_string(tokenizer).at(tokenizer)?;
    let bad = |d: String| ModelError::format(tokenizer, d);
    let json: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| bad(format!("bad JSON: {e}")))?;
    let vocab = json
        .pointer("/model/vocab")
        .and_then(|v| v.as_object())
        .ok_or_else(|| bad("no model.vocab object".into()))?;
    let eot = json
        .get("added_tokens")
        .and_then(|a| a.as_array())
        .into_iter()
        .flatten()
        .find(|t| t.get("content").and_then(|c| c.as_str()) == Some("<|endoftext|>"))
        .and_then(|t| t.get("id"))
        .and_then(|id| id.as_u64())
        .or_else(|| vocab.get("<|endoftext|>").and_then(|id| id.as_u64()))
        .ok_or_else(|| bad("no <|endoftext|> token".into()))? as usize;
    let decoder = byte_decoder();
    let mut out = vec![Vec::new(); eot];
    for (token, id) in vocab {
        let Some(id) = id.as_u64().map(|i| i as usize).filter(|i| *i < eot) else {
            continue;
        };
        out[id] = token
            .chars()
            .map(|c| decoder.get(&c).copied())
            .collect::<Option<Vec<u8>>>()
            .ok_or_else(|| bad(format!("token {token:?} is not byte-level BPE")))?;
    }
    Ok(out)
}

fn read_config(path: &Path) -> Result<HfWhisperConfig> {
    let text = fs::read_to_string(path).at(path)?;
    serde_json::from_str(&text).map_err(|e| ModelError::format(path, format!("bad JSON: {e}")))
}

fn put_i32(w: &mut impl Write, v: i32) -> io::Result<()> {
    w.write_all(&v.to_le_bytes())
}

/// Write the ggml file for the converted model in `dir` to `out` (not atomically: see
/// [`ensure_ggml`]).
pub fn write_ggml(dir: &Path, out: &Path) -> Result<()> {
    write_ggml_with(dir, out, &Progress::new(false))
}

fn write_ggml_with(dir: &Path, out: &Path, progress: &Progress) -> Result<()> {
    let config_path = dir.join("config.json");
    let cfg = read_config(&config_path)?;
    let vocab = vocabulary(&dir.join("tokenizer.json"))?;
    let weights = dir.join("model.safetensors");
    let bytes = fs::read(&weights).at(&weights)?;
    let st = SafeTensors::deserialize(&bytes)
        .map_err(|e| ModelError::format(&weights, format!("bad safetensors: {e}")))?;
    let filters = crate::mel::mel_filters(16_000, 400, cfg.num_mel_bins);
    let list = mappings(&cfg);
    let pb = progress.items("converting to ggml".into(), list.len() as u64);

    let file = File::create(out).at(out)?;
    let mut w = BufWriter::with_capacity(1 << 20, file);
    let write = |w: &mut BufWriter<File>| -> Result<()> {
        w.write_all(&MAGIC.to_le_bytes()).at(out)?;
        for v in GgmlHparams::from_config(&cfg).to_array() {
            put_i32(w, v).at(out)?;
        }
        put_i32(w, cfg.num_mel_bins as i32).at(out)?;
        put_i32(w, N_FFT_BINS as i32).at(out)?;
        for v in &filters {
            w.write_all(&v.to_le_bytes()).at(out)?;
        }
        put_i32(w, vocab.len() as i32).at(out)?;
        for token in &vocab {
            w.write_all(&(token.len() as u32).to_le_bytes()).at(out)?;
            w.write_all(token).at(out)?;
        }
        for m in &list {
            let t = st.tensor(&m.hf).map_err(|_| {
                ModelError::format(&weights, format!("missing tensor {} for {}", m.hf, m.ggml))
            })?;
            if t.dtype() != Dtype::F32 {
                return Err(ModelError::format(
                    &weights,
                    format!("{}: expected F32, found {:?}", m.hf, t.dtype()),
                ));
            }
            let mut shape = t.shape().to_vec();
            if m.as_column {
                shape.push(1);
            }
            put_i32(w, shape.len() as i32).at(out)?;
            put_i32(w, m.ggml.len() as i32).at(out)?;
            put_i32(w, m.dtype.code()).at(out)?;
            for d in shape.iter().rev() {
                put_i32(w, *d as i32).at(out)?;
            }
            w.write_all(m.ggml.as_bytes()).at(out)?;
            match m.dtype {
                GgmlType::F32 => w.write_all(t.data()).at(out)?,
                GgmlType::F16 => {
                    let half: Vec<u8> = t
                        .data()
                        .chunks_exact(4)
                        .flat_map(|c| {
                            let v = f32::from_le_bytes([c[0], c[1], c[2], c[3]]);
                            half::f16::from_f32(v).to_bits().to_le_bytes()
                        })
                        .collect();
                    w.write_all(&half).at(out)?;
                }
            }
            pb.inc(1);
        }
        Ok(())
    };
    write(&mut w)?;
    let file = w
        .into_inner()
        .map_err(|e| ModelError::io(out, e.into_error()))?;
    file.sync_all().at(out)?;
    pb.finish_and_clear();
    Ok(())
}

/// Reads a ggml file's header, mel filters, vocabulary and tensor list (skipping tensor
/// data), checking that the data of every tensor is all there.
pub fn read_ggml(path: &Path) -> Result<GgmlSummary> {
    let file = File::open(path).at(path)?;
    let len = file.metadata().at(path)?.len();
    let mut r = BufReader::new(file);
    let bad = |d: String| ModelError::format(path, d);
    let eof = |e: io::Error| {
        if e.kind() == io::ErrorKind::UnexpectedEof {
            bad("file is truncated".into())
        } else {
            ModelError::io(path, e)
        }
    };
    let i32_ = |r: &mut BufReader<File>| -> Result<i32> {
        let mut b = [0u8; 4];
        r.read_exact(&mut b).map_err(eof)?;
        Ok(i32::from_le_bytes(b))
    };
    if i32_(&mut r)? as u32 != MAGIC {
        return Err(bad("not a ggml file (bad magic)".into()));
    }
    let mut hp = [0i32; 11];
    for v in &mut hp {
        *v = i32_(&mut r)?;
    }
    let hparams = GgmlHparams::from_array(hp);
    let count = |v: i32, what: &str| {
        usize::try_from(v)
            .ok()
            .filter(|n| *n < 1 << 24)
            .ok_or_else(|| bad(format!("implausible {what} {v}")))
    };
    let n_mel = count(i32_(&mut r)?, "mel count")?;
    let n_fft = count(i32_(&mut r)?, "fft bins")?;
    let mut raw = vec![0u8; n_mel * n_fft * 4];
    r.read_exact(&mut raw).map_err(eof)?;
    let mel_filters = raw
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    let n_vocab = count(i32_(&mut r)?, "vocabulary size")?;
    let mut vocab = Vec::with_capacity(n_vocab);
    for _ in 0..n_vocab {
        let n = count(i32_(&mut r)?, "token length")?;
        let mut token = vec![0u8; n];
        r.read_exact(&mut token).map_err(eof)?;
        vocab.push(token);
    }
    let mut tensors = Vec::new();
    loop {
        let pos = r.stream_position().at(path)?;
        if pos == len {
            break;
        }
        let n_dims = i32_(&mut r)?;
        if !(1..=4).contains(&n_dims) {
            return Err(bad(format!("tensor with {n_dims} dimensions")));
        }
        let name_len = count(i32_(&mut r)?, "name length")?;
        let code = i32_(&mut r)?;
        let dtype = GgmlType::from_code(code).ok_or_else(|| bad(format!("tensor type {code}")))?;
        let mut shape = Vec::new();
        for _ in 0..n_dims {
            shape.push(count(i32_(&mut r)?, "dimension")?);
        }
        shape.reverse();
        let mut name = vec![0u8; name_len];
        r.read_exact(&mut name).map_err(eof)?;
        let name = String::from_utf8(name).map_err(|_| bad("tensor name not UTF-8".into()))?;
        let bytes = shape.iter().product::<usize>() as u64 * dtype.size();
        let end = r.stream_position().at(path)? + bytes;
        if end > len {
            return Err(bad(format!("tensor {name} is truncated")));
        }
        r.seek(SeekFrom::Start(end)).at(path)?;
        tensors.push(GgmlTensorInfo { name, shape, dtype });
    }
    Ok(GgmlSummary {
        hparams,
        mel_shape: (n_mel, n_fft),
        mel_filters,
        vocab,
        tensors,
    })
}

/// Whether `summary` is a complete ggml file of the model `cfg` describes: same hparams, and
/// exactly the tensors whisper.cpp loads, with the right shapes and types.
pub fn ggml_matches(summary: &GgmlSummary, cfg: &HfWhisperConfig) -> bool {
    if summary.hparams != GgmlHparams::from_config(cfg)
        || summary.mel_shape != (cfg.num_mel_bins, N_FFT_BINS)
    {
        return false;
    }
    let expected = mappings(cfg);
    expected.len() == summary.tensors.len()
        && expected
            .iter()
            .zip(&summary.tensors)
            .all(|(m, t)| m.ggml == t.name && m.dtype == t.dtype)
}

fn temp_path(dir: &Path) -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    dir.join(format!(".{GGML_FILE}.tmp-{}-{n}", std::process::id()))
}

/// Make sure `dir` (a converted Whisper model) holds a valid [`GGML_FILE`]: an existing file
/// that matches the model's config is kept; otherwise it is written to a temporary file and
/// renamed into place, so readers never see a partial file. Returns its path.
pub fn ensure_ggml(dir: &Path) -> Result<PathBuf> {
    ensure_ggml_with(dir, &Progress::new(false))
}

pub(crate) fn ensure_ggml_with(dir: &Path, progress: &Progress) -> Result<PathBuf> {
    let target = dir.join(GGML_FILE);
    let cfg = read_config(&dir.join("config.json"))?;
    if read_ggml(&target).is_ok_and(|s| ggml_matches(&s, &cfg)) {
        return Ok(target);
    }
    let tmp = temp_path(dir);
    let written = write_ggml_with(dir, &tmp, progress).and_then(|()| {
        let summary = read_ggml(&tmp)?;
        if ggml_matches(&summary, &cfg) {
            Ok(())
        } else {
            Err(ModelError::format(
                &tmp,
                "written ggml file fails its check",
            ))
        }
    });
    if let Err(e) = written {
        let _ = fs::remove_file(&tmp);
        return Err(e);
    }
    fs::rename(&tmp, &target).at(&target)?;
    tracing::info!(path = %target.display(), "wrote whisper.cpp model");
    Ok(target)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::whisper_config::candle_tensor_names;
    use std::collections::BTreeMap;

    const D: usize = 4;

    fn config() -> HfWhisperConfig {
        HfWhisperConfig {
            model_type: "whisper".into(),
            num_mel_bins: 3,
            max_source_positions: 6,
            d_model: D,
            encoder_attention_heads: 2,
            encoder_layers: 1,
            encoder_ffn_dim: 8,
            decoder_attention_heads: 2,
            decoder_layers: 2,
            decoder_ffn_dim: 8,
            vocab_size: 7,
            max_target_positions: 5,
            suppress_tokens: vec![],
            begin_suppress_tokens: vec![],
        }
    }

    /// Shape of each HF tensor of the synthetic model.
    fn hf_shape(name: &str, cfg: &HfWhisperConfig) -> Vec<usize> {
        let d = cfg.d_model;
        if name.ends_with("conv1.weight") {
            return vec![d, cfg.num_mel_bins, 3];
        }
        if name.ends_with("conv2.weight") {
            return vec![d, d, 3];
        }
        if name.ends_with("embed_tokens.weight") {
            return vec![cfg.vocab_size, d];
        }
        if name == "model.encoder.embed_positions.weight" {
            return vec![cfg.max_source_positions, d];
        }
        if name == "model.decoder.embed_positions.weight" {
            return vec![cfg.max_target_positions, d];
        }
        if name.ends_with("fc1.weight") {
            return vec![cfg.encoder_ffn_dim, d];
        }
        if name.ends_with("fc1.bias") {
            return vec![cfg.encoder_ffn_dim];
        }
        if name.ends_with("fc2.weight") {
            return vec![d, cfg.encoder_ffn_dim];
        }
        if name.ends_with("proj.weight") {
            return vec![d, d];
        }
        vec![d]
    }

    /// Writes a synthetic converted model into `dir`; element `i` of tensor `k` (in name
    /// order) holds `k % 8 + i / 64`, exactly representable in f16.
    fn synthetic(dir: &Path) -> HfWhisperConfig {
        let cfg = config();
        let mut names = candle_tensor_names(&cfg);
        names.push("model.encoder.embed_positions.weight".into());
        names.sort();
        let tensors: BTreeMap<String, (Vec<usize>, Vec<u8>)> = names
            .iter()
            .enumerate()
            .map(|(k, n)| {
                let shape = hf_shape(n, &cfg);
                let len: usize = shape.iter().product();
                let data = (0..len)
                    .flat_map(|i| ((k % 8) as f32 + i as f32 / 64.0).to_le_bytes())
                    .collect();
                (n.clone(), (shape, data))
            })
            .collect();
        let views: Vec<(String, safetensors::tensor::TensorView<'_>)> = tensors
            .iter()
            .map(|(n, (s, d))| {
                let v = safetensors::tensor::TensorView::new(Dtype::F32, s.clone(), d).unwrap();
                (n.clone(), v)
            })
            .collect();
        safetensors::tensor::serialize_to_file(views, None, &dir.join("model.safetensors"))
            .unwrap();
        fs::write(
            dir.join("config.json"),
            serde_json::to_string(&cfg).unwrap(),
        )
        .unwrap();
        // "Ġ" is the byte-level stand-in for a space; id 3 is missing from the vocabulary.
        let tokenizer = serde_json::json!({
            "model": {"type": "BPE", "vocab": {"a": 0, "Ġb": 1, "Ã©": 2, "<|endoftext|>": 4}},
            "added_tokens": [{"id": 4, "content": "<|endoftext|>"}, {"id": 5, "content": "<|startoftranscript|>"}],
        });
        fs::write(dir.join("tokenizer.json"), tokenizer.to_string()).unwrap();
        cfg
    }

    #[test]
    fn byte_decoder_covers_every_byte_once() {
        let d = byte_decoder();
        assert_eq!(d.len(), 256);
        assert_eq!(d[&'Ġ'], b' ');
        assert_eq!(d[&'Ċ'], b'\n');
        assert_eq!(d[&'a'], b'a');
        let mut bytes: Vec<u8> = d.values().copied().collect();
        bytes.sort();
        bytes.dedup();
        assert_eq!(bytes.len(), 256);
    }

    #[test]
    fn synthetic_model_converts_with_whisper_cpp_layout() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = synthetic(dir.path());
        let path = ensure_ggml(dir.path()).unwrap();
        assert_eq!(path, dir.path().join(GGML_FILE));
        let s = read_ggml(&path).unwrap();
        assert_eq!(
            s.hparams,
            GgmlHparams {
                n_vocab: 7,
                n_audio_ctx: 6,
                n_audio_state: 4,
                n_audio_head: 2,
                n_audio_layer: 1,
                n_text_ctx: 5,
                n_text_state: 4,
                n_text_head: 2,
                n_text_layer: 2,
                n_mels: 3,
                ftype: 1,
            }
        );
        assert_eq!(s.mel_shape, (3, 201));
        assert_eq!(s.mel_filters, crate::mel::mel_filters(16_000, 400, 3));
        let vocab: Vec<&[u8]> = s.vocab.iter().map(|t| t.as_slice()).collect();
        assert_eq!(vocab, vec![&b"a"[..], b" b", "é".as_bytes(), b""]);
        assert!(ggml_matches(&s, &cfg));
        // conv 4 + pos 2 + tok 1 + encoder 15/layer + decoder 24/layer + 2 final norms x 2
        assert_eq!(s.tensors.len(), 4 + 2 + 1 + 15 + 2 * 24 + 4);
        let find = |n: &str| s.tensors.iter().find(|t| t.name == n).unwrap();
        let t = find("encoder.conv1.weight");
        assert_eq!((t.shape.clone(), t.dtype), (vec![D, 3, 3], GgmlType::F16));
        let t = find("encoder.conv2.bias");
        assert_eq!((t.shape.clone(), t.dtype), (vec![D, 1], GgmlType::F32));
        let t = find("encoder.positional_embedding");
        assert_eq!((t.shape.clone(), t.dtype), (vec![6, D], GgmlType::F32));
        let t = find("decoder.token_embedding.weight");
        assert_eq!((t.shape.clone(), t.dtype), (vec![7, D], GgmlType::F16));
        let t = find("decoder.blocks.1.cross_attn.key.weight");
        assert_eq!((t.shape.clone(), t.dtype), (vec![D, D], GgmlType::F16));
        assert!(
            !s.tensors
                .iter()
                .any(|t| t.name.ends_with("key.bias") || t.name.contains("layers"))
        );
        let t = find("decoder.blocks.0.mlp_ln.bias");
        assert_eq!((t.shape.clone(), t.dtype), (vec![D], GgmlType::F32));
    }

    #[test]
    fn tensor_data_round_trips_through_f16_and_f32() {
        let dir = tempfile::tempdir().unwrap();
        synthetic(dir.path());
        let path = ensure_ggml(dir.path()).unwrap();
        let bytes = fs::read(&path).unwrap();
        let st_bytes = fs::read(dir.path().join("model.safetensors")).unwrap();
        let st = SafeTensors::deserialize(&st_bytes).unwrap();
        // The name is followed directly by the data: compare the first elements.
        for (ggml, hf, dtype) in [
            (
                "decoder.blocks.1.attn.value.weight",
                "model.decoder.layers.1.self_attn.v_proj.weight",
                GgmlType::F16,
            ),
            (
                "encoder.blocks.0.mlp.0.bias",
                "model.encoder.layers.0.fc1.bias",
                GgmlType::F32,
            ),
        ] {
            let at = bytes
                .windows(ggml.len())
                .position(|w| w == ggml.as_bytes())
                .unwrap()
                + ggml.len();
            let expected: Vec<f32> = st
                .tensor(hf)
                .unwrap()
                .data()
                .chunks_exact(4)
                .take(3)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect();
            let got: Vec<f32> = match dtype {
                GgmlType::F32 => bytes[at..at + 12]
                    .chunks_exact(4)
                    .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                    .collect(),
                GgmlType::F16 => bytes[at..at + 6]
                    .chunks_exact(2)
                    .map(|c| half::f16::from_bits(u16::from_le_bytes([c[0], c[1]])).to_f32())
                    .collect(),
            };
            assert_eq!(got, expected, "{ggml}");
        }
    }

    #[test]
    fn valid_file_is_kept_and_damaged_one_rewritten() {
        let dir = tempfile::tempdir().unwrap();
        synthetic(dir.path());
        let path = ensure_ggml(dir.path()).unwrap();
        let modified = fs::metadata(&path).unwrap().modified().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        ensure_ggml(dir.path()).unwrap();
        assert_eq!(fs::metadata(&path).unwrap().modified().unwrap(), modified);

        let good = fs::read(&path).unwrap();
        fs::write(&path, &good[..good.len() - 3]).unwrap();
        assert!(matches!(read_ggml(&path), Err(ModelError::Format { .. })));
        ensure_ggml(dir.path()).unwrap();
        assert_eq!(fs::read(&path).unwrap(), good);
        // No temporary files are left behind.
        let names: Vec<String> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(!names.iter().any(|n| n.contains(".tmp-")), "{names:?}");
    }

    #[test]
    fn missing_tensor_is_an_error_and_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let mut cfg = synthetic(dir.path());
        cfg.decoder_layers = 3;
        fs::write(
            dir.path().join("config.json"),
            serde_json::to_string(&cfg).unwrap(),
        )
        .unwrap();
        let err = ensure_ggml(dir.path()).unwrap_err();
        assert!(matches!(err, ModelError::Format { .. }), "{err}");
        assert!(!dir.path().join(GGML_FILE).exists());
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 3);
    }
}
