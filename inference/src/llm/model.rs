//! The decoder-only transformer of the GGUF chat models we ship (llama and qwen2
//! architectures): quantized weights used in place (candle `QMatMul`), rotary positions, grouped
//! query attention without copying K/V per head, and a growable KV cache that can be cut back
//! to any length, saved and restored. That is what makes prefix caching cheap: a new request
//! keeps the cached positions it shares with the previous one and computes only the rest.

use std::fs::File;
use std::io::BufReader;
use std::sync::Arc;

use candle_core::quantized::{GgmlDType, QMatMul, QTensor, ggml_file::qtensor_from_ggml};
use candle_core::{DType, Device, Module, Tensor};

use super::gguf::GgufFile;
use crate::InferenceError;

/// Architecture families we can run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arch {
    /// llama (SmolLM2): no attention biases, interleaved rotary pairs.
    Llama,
    /// qwen2 (Qwen2.5): q/k/v biases, rotary on split halves (NeoX style).
    Qwen2,
}

/// Shape and constants read from the GGUF metadata.
#[derive(Clone, Debug)]
pub struct ModelConfig {
    pub arch: Arch,
    pub n_layer: usize,
    pub n_embd: usize,
    pub n_head: usize,
    pub n_kv_head: usize,
    pub head_dim: usize,
    pub n_vocab: usize,
    pub eps: f64,
    pub rope_theta: f64,
    /// Longest context we allow (the model's trained context, capped by the caller).
    pub max_context: usize,
}

/// How weights are kept for multi-token (prompt) batches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PromptWeights {
    /// Only the quantized weights (least memory; prompt batches use the quantized kernels).
    Quantized,
    /// Also an f16 copy, used when a batch has at least [`DENSE_MIN_ROWS`] rows (tiled f16
    /// GEMM instead of one quantized dot product per row and column).
    F16,
    /// Also an f32 copy (twice the memory of `F16`).
    F32,
}

/// Rows from which a batch goes through the f16 copy.
pub const DENSE_MIN_ROWS: usize = 16;

/// A projection: the quantized weight, and optionally its f16 copy for prompt batches.
struct Proj {
    q: QMatMul,
    dense: Option<QMatMul>,
}

/// Whether candle has SIMD dot products for `dtype` on this machine; the others run a scalar
/// loop that is several times slower than reading the weights.
fn has_fast_kernel(dtype: GgmlDType) -> bool {
    !matches!(dtype, GgmlDType::Q4_1 | GgmlDType::Q5_0 | GgmlDType::Q5_1)
}

impl Proj {
    fn new(q: QTensor, weights: PromptWeights) -> Result<Self, InferenceError> {
        let dev = q.device();
        let dense = match weights {
            PromptWeights::Quantized => None,
            PromptWeights::F16 => Some(QMatMul::TensorF16(q.dequantize_f16(&dev)?)),
            PromptWeights::F32 => Some(QMatMul::Tensor(q.dequantize(&dev)?)),
        };
        // Re-quantize formats without fast kernels to Q8_0 (8 bits per weight: the 4/5-bit
        // values are kept almost exactly; single-token steps get the AVX2 Q8_0 dot product).
        let q = if has_fast_kernel(q.dtype()) {
            q
        } else {
            QTensor::quantize(&q.dequantize(&dev)?, GgmlDType::Q8_0)?
        };
        Ok(Self {
            q: QMatMul::from_qtensor(q)?,
            dense,
        })
    }

    fn forward(&self, x: &Tensor, rows: usize) -> candle_core::Result<Tensor> {
        match &self.dense {
            Some(d) if rows >= DENSE_MIN_ROWS => d.forward(x),
            _ => self.q.forward(x),
        }
    }
}

struct Layer {
    attn_norm: Tensor,
    wq: Proj,
    wk: Proj,
    wv: Proj,
    bq: Option<Tensor>,
    bk: Option<Tensor>,
    bv: Option<Tensor>,
    wo: Proj,
    ffn_norm: Tensor,
    w_gate: Proj,
    w_up: Proj,
    w_down: Proj,
}

/// Per-layer K and V of the first `len` positions, kept in buffers with spare room.
#[derive(Clone)]
struct KvCache {
    k: Vec<Tensor>,
    v: Vec<Tensor>,
    len: usize,
    cap: usize,
}

/// A saved copy of the first `len` cached positions.
#[derive(Clone)]
pub(crate) struct KvSnapshot {
    k: Vec<Tensor>,
    v: Vec<Tensor>,
    pub(crate) len: usize,
}

/// The loaded model plus its KV cache.
pub(crate) struct Transformer {
    pub(crate) cfg: ModelConfig,
    embd: Arc<QTensor>,
    layers: Vec<Layer>,
    out_norm: Tensor,
    output: QMatMul,
    cos: Tensor,
    sin: Tensor,
    cache: KvCache,
    device: Device,
}

const FIRST_CAP: usize = 512;

impl Transformer {
    /// Loads the weights named in `gguf` from `reader`, allowing up to `max_context` positions.
    pub(crate) fn load(
        gguf: &GgufFile,
        reader: &mut BufReader<File>,
        max_context: usize,
        prompt_weights: PromptWeights,
    ) -> Result<Self, InferenceError> {
        let device = Device::Cpu;
        let arch_name = gguf.string("general.architecture")?;
        let arch = match arch_name.as_str() {
            "llama" => Arch::Llama,
            "qwen2" => Arch::Qwen2,
            other => {
                return Err(gguf.err(format!(
                    "architecture `{other}` is not supported (llama, qwen2)"
                )));
            }
        };
        let key = |k: &str| format!("{arch_name}.{k}");
        let n_embd = gguf.uint(&key("embedding_length"))?;
        let n_head = gguf.uint(&key("attention.head_count"))?;
        let n_kv_head = gguf
            .opt_uint(&key("attention.head_count_kv"))
            .unwrap_or(n_head);
        if n_head == 0 || n_kv_head == 0 || n_head % n_kv_head != 0 || n_embd % n_head != 0 {
            return Err(gguf.err(format!(
                "inconsistent heads: {n_head} query, {n_kv_head} kv, width {n_embd}"
            )));
        }
        let trained = gguf.opt_uint(&key("context_length")).unwrap_or(4096);
        let cfg = ModelConfig {
            arch,
            n_layer: gguf.uint(&key("block_count"))?,
            n_embd,
            n_head,
            n_kv_head,
            head_dim: n_embd / n_head,
            n_vocab: 0,
            eps: gguf.float(&key("attention.layer_norm_rms_epsilon"))?,
            rope_theta: gguf.float(&key("rope.freq_base")).unwrap_or(10_000.0),
            max_context: max_context.min(trained).max(16),
        };

        let mut tensor = |name: &str| -> Result<QTensor, InferenceError> {
            gguf.content
                .tensor(reader, name, &device)
                .map_err(|e| gguf.err(format!("tensor `{name}`: {e}")))
        };
        let embd = Arc::new(tensor("token_embd.weight")?);
        let n_vocab = embd.shape().dims()[0];
        let out_norm = tensor("output_norm.weight")?.dequantize(&device)?;
        let output = match tensor("output.weight") {
            Ok(w) => QMatMul::from_qtensor(w)?,
            // Tied embeddings (SmolLM2): the output head is the embedding matrix.
            Err(_) => QMatMul::from_arc(embd.clone())?,
        };
        let mut layers = Vec::with_capacity(cfg.n_layer);
        for i in 0..cfg.n_layer {
            let p = format!("blk.{i}");
            let mut bias = |n: &str| -> Result<Option<Tensor>, InferenceError> {
                if arch == Arch::Qwen2 {
                    Ok(Some(tensor(&format!("{p}.{n}.bias"))?.dequantize(&device)?))
                } else {
                    Ok(None)
                }
            };
            let (bq, bk, bv) = (bias("attn_q")?, bias("attn_k")?, bias("attn_v")?);
            let mut mm = |n: &str| -> Result<Proj, InferenceError> {
                Proj::new(tensor(&format!("{p}.{n}.weight"))?, prompt_weights)
            };
            let (wq, wk, wv, wo) = (
                mm("attn_q")?,
                mm("attn_k")?,
                mm("attn_v")?,
                mm("attn_output")?,
            );
            let (w_gate, w_up, w_down) = (mm("ffn_gate")?, mm("ffn_up")?, mm("ffn_down")?);
            let mut norm = |n: &str| -> Result<Tensor, InferenceError> {
                Ok(tensor(&format!("{p}.{n}.weight"))?.dequantize(&device)?)
            };
            layers.push(Layer {
                attn_norm: norm("attn_norm")?,
                ffn_norm: norm("ffn_norm")?,
                wq,
                wk,
                wv,
                bq,
                bk,
                bv,
                wo,
                w_gate,
                w_up,
                w_down,
            });
        }
        let (cos, sin) = rope_tables(&cfg, &device)?;
        let cfg = ModelConfig { n_vocab, ..cfg };
        let cache = KvCache {
            k: Vec::new(),
            v: Vec::new(),
            len: 0,
            cap: 0,
        };
        Ok(Self {
            cfg,
            embd,
            layers,
            out_norm,
            output,
            cos,
            sin,
            cache,
            device,
        })
    }

    /// Forgets every cached position from `len` on.
    pub(crate) fn truncate(&mut self, len: usize) {
        self.cache.len = self.cache.len.min(len);
    }

    /// A copy of the first `len` cached positions.
    pub(crate) fn snapshot(&self, len: usize) -> Result<KvSnapshot, InferenceError> {
        let len = len.min(self.cache.len);
        let copy = |ts: &[Tensor]| -> Result<Vec<Tensor>, InferenceError> {
            ts.iter()
                .map(|t| Ok(t.narrow(2, 0, len)?.contiguous()?.copy()?))
                .collect()
        };
        Ok(KvSnapshot {
            k: copy(&self.cache.k)?,
            v: copy(&self.cache.v)?,
            len,
        })
    }

    /// Replaces the cache with `snap`.
    pub(crate) fn restore(&mut self, snap: &KvSnapshot) -> Result<(), InferenceError> {
        self.cache.len = 0;
        if snap.len == 0 {
            return Ok(());
        }
        self.reserve(snap.len)?;
        for (dst, src) in self.cache.k.iter().zip(&snap.k) {
            dst.slice_set(src, 2, 0)?;
        }
        for (dst, src) in self.cache.v.iter().zip(&snap.v) {
            dst.slice_set(src, 2, 0)?;
        }
        self.cache.len = snap.len;
        Ok(())
    }

    /// Makes room for `total` positions, doubling the buffers and keeping their content.
    fn reserve(&mut self, total: usize) -> Result<(), InferenceError> {
        if total > self.cfg.max_context {
            return Err(InferenceError::Tokenizer(format!(
                "prompt and reply need {total} positions, more than the context of {}",
                self.cfg.max_context
            )));
        }
        if total <= self.cache.cap {
            return Ok(());
        }
        let mut cap = self.cache.cap.max(FIRST_CAP);
        while cap < total {
            cap *= 2;
        }
        let cap = cap.min(self.cfg.max_context);
        let shape = (1, self.cfg.n_kv_head, cap, self.cfg.head_dim);
        let grow = |old: &[Tensor], len: usize| -> Result<Vec<Tensor>, InferenceError> {
            (0..self.cfg.n_layer)
                .map(|i| {
                    let t = Tensor::zeros(shape, DType::F32, &self.device)?;
                    if let Some(o) = old.get(i)
                        && len > 0
                    {
                        t.slice_set(&o.narrow(2, 0, len)?.contiguous()?, 2, 0)?;
                    }
                    Ok(t)
                })
                .collect()
        };
        let k = grow(&self.cache.k, self.cache.len)?;
        let v = grow(&self.cache.v, self.cache.len)?;
        self.cache.k = k;
        self.cache.v = v;
        self.cache.cap = cap;
        Ok(())
    }

    /// Embeddings of `tokens`, dequantizing only their rows.
    fn embed(&self, tokens: &[u32]) -> Result<Tensor, InferenceError> {
        let dtype = self.embd.dtype();
        let row_bytes = self.cfg.n_embd / dtype.block_size() * dtype.type_size();
        let data = self.embd.data()?;
        let mut rows = Vec::with_capacity(tokens.len());
        for &t in tokens {
            let t = t as usize;
            if t >= self.cfg.n_vocab {
                return Err(InferenceError::Tokenizer(format!(
                    "token id {t} outside the vocabulary of {}",
                    self.cfg.n_vocab
                )));
            }
            let bytes = &data[t * row_bytes..(t + 1) * row_bytes];
            let q = qtensor_from_ggml(dtype, bytes, vec![self.cfg.n_embd], &self.device)?;
            rows.push(q.dequantize(&self.device)?);
        }
        Ok(Tensor::stack(&rows, 0)?.unsqueeze(0)?)
    }

    /// Runs `tokens` at the next positions, appending their K/V to the cache; returns the
    /// logits (f32, vocabulary-sized) of the last one.
    pub(crate) fn forward(&mut self, tokens: &[u32]) -> Result<Vec<f32>, InferenceError> {
        let seq = tokens.len();
        if seq == 0 {
            return Err(InferenceError::Tokenizer("no tokens to process".into()));
        }
        let pos = self.cache.len;
        self.reserve(pos + seq)?;
        let cfg = &self.cfg;
        let (hd, nh, nkv) = (cfg.head_dim, cfg.n_head, cfg.n_kv_head);
        let rep = nh / nkv;
        let total = pos + seq;
        let cos = self.cos.narrow(0, pos, seq)?;
        let sin = self.sin.narrow(0, pos, seq)?;
        // Queries of one KV group are stacked as rows: (1, nkv, rep * seq, hd). The mask is
        // the causal mask of `seq` new rows against `total` keys, repeated per group member.
        let mask = if seq > 1 {
            let mut m = vec![0f32; rep * seq * total];
            for r in 0..rep {
                for i in 0..seq {
                    let row = (r * seq + i) * total;
                    for j in (pos + i + 1)..total {
                        m[row + j] = f32::NEG_INFINITY;
                    }
                }
            }
            Some(Tensor::from_vec(m, (1, 1, rep * seq, total), &self.device)?)
        } else {
            None
        };
        let scale = 1.0 / (hd as f64).sqrt();
        let mut x = self.embed(tokens)?;
        for (li, layer) in self.layers.iter().enumerate() {
            let h = candle_nn::ops::rms_norm(&x, &layer.attn_norm, cfg.eps as f32)?;
            let proj = |w: &Proj, b: &Option<Tensor>| -> Result<Tensor, InferenceError> {
                let y = w.forward(&h, seq)?;
                Ok(match b {
                    Some(b) => y.broadcast_add(b)?,
                    None => y,
                })
            };
            let q = proj(&layer.wq, &layer.bq)?;
            let k = proj(&layer.wk, &layer.bk)?;
            let v = proj(&layer.wv, &layer.bv)?;
            let q = q.reshape((1, seq, nh, hd))?.transpose(1, 2)?.contiguous()?;
            let k = k
                .reshape((1, seq, nkv, hd))?
                .transpose(1, 2)?
                .contiguous()?;
            let v = v
                .reshape((1, seq, nkv, hd))?
                .transpose(1, 2)?
                .contiguous()?;
            let (q, k) = match cfg.arch {
                Arch::Llama => (
                    candle_nn::rotary_emb::rope_i(&q, &cos, &sin)?,
                    candle_nn::rotary_emb::rope_i(&k, &cos, &sin)?,
                ),
                Arch::Qwen2 => (
                    candle_nn::rotary_emb::rope(&q, &cos, &sin)?,
                    candle_nn::rotary_emb::rope(&k, &cos, &sin)?,
                ),
            };
            self.cache.k[li].slice_set(&k, 2, pos)?;
            self.cache.v[li].slice_set(&v, 2, pos)?;
            let k_all = self.cache.k[li].narrow(2, 0, total)?;
            let v_all = self.cache.v[li].narrow(2, 0, total)?;
            let q = q.reshape((1, nkv, rep * seq, hd))?;
            let att = (q.matmul(&k_all.t()?)? * scale)?;
            let att = match &mask {
                Some(m) => att.broadcast_add(m)?,
                None => att,
            };
            let att = candle_nn::ops::softmax_last_dim(&att)?;
            let y = att.matmul(&v_all)?; // (1, nkv, rep * seq, hd)
            let y = y
                .reshape((1, nh, seq, hd))?
                .transpose(1, 2)?
                .reshape((1, seq, nh * hd))?;
            let x1 = (layer.wo.forward(&y, seq)? + &x)?;
            let h = candle_nn::ops::rms_norm(&x1, &layer.ffn_norm, cfg.eps as f32)?;
            let gate = layer.w_gate.forward(&h, seq)?.silu()?;
            let up = layer.w_up.forward(&h, seq)?;
            x = (layer.w_down.forward(&(gate * up)?, seq)? + x1)?;
        }
        self.cache.len = total;
        let last = x.narrow(1, seq - 1, 1)?.squeeze(1)?;
        let last = candle_nn::ops::rms_norm(&last, &self.out_norm, self.cfg.eps as f32)?;
        let logits = self.output.forward(&last)?.squeeze(0)?;
        Ok(logits.to_dtype(DType::F32)?.to_vec1::<f32>()?)
    }
}

/// cos/sin tables, one row per position, `head_dim / 2` frequencies.
fn rope_tables(cfg: &ModelConfig, device: &Device) -> Result<(Tensor, Tensor), InferenceError> {
    let half = cfg.head_dim / 2;
    let inv: Vec<f32> = (0..half)
        .map(|i| 1.0 / (cfg.rope_theta.powf(2.0 * i as f64 / cfg.head_dim as f64)) as f32)
        .collect();
    let inv = Tensor::from_vec(inv, (1, half), device)?;
    let t = Tensor::arange(0u32, cfg.max_context as u32, device)?
        .to_dtype(DType::F32)?
        .reshape((cfg.max_context, 1))?;
    let freqs = t.matmul(&inv)?;
    Ok((freqs.cos()?, freqs.sin()?))
}
