//! Reader for CTranslate2 `model.bin` files (binary versions 4 to 6): little-endian
//! `u32 version; string spec; u32 revision; u32 n_vars;` then per variable
//! `string name; u8 rank; u32 dims[rank]; u8 dtype; u32 nbytes; data`, then
//! `u32 n_aliases` and `(alias, target)` string pairs. A string is a `u16` length that counts
//! a trailing NUL, then the bytes.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use crate::error::{IoContext, ModelError, Result};

/// Element type of a variable, with CTranslate2's numeric codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ct2DType {
    F32,
    I8,
    I16,
    I32,
    F16,
    BF16,
}

impl Ct2DType {
    fn from_code(code: u8) -> Option<Self> {
        Some(match code {
            0 => Self::F32,
            1 => Self::I8,
            2 => Self::I16,
            3 => Self::I32,
            4 => Self::F16,
            5 => Self::BF16,
            _ => return None,
        })
    }

    /// Bytes per element.
    pub fn size(&self) -> usize {
        match self {
            Self::I8 => 1,
            Self::I16 | Self::F16 | Self::BF16 => 2,
            Self::F32 | Self::I32 => 4,
        }
    }
}

/// One named tensor (or scalar, with an empty shape).
#[derive(Clone, Debug, PartialEq)]
pub struct Ct2Variable {
    pub name: String,
    pub shape: Vec<usize>,
    pub dtype: Ct2DType,
    /// Raw little-endian element bytes.
    pub data: Vec<u8>,
}

impl Ct2Variable {
    /// Number of elements.
    pub fn len(&self) -> usize {
        self.shape.iter().product()
    }

    /// Whether the variable has no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The elements as f32 (floating-point types only).
    pub fn to_f32(&self) -> Option<Vec<f32>> {
        let chunks2 = || {
            self.data
                .chunks_exact(2)
                .map(|c| u16::from_le_bytes([c[0], c[1]]))
        };
        Some(match self.dtype {
            Ct2DType::F32 => self
                .data
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect(),
            Ct2DType::F16 => chunks2()
                .map(|b| half::f16::from_bits(b).to_f32())
                .collect(),
            Ct2DType::BF16 => chunks2()
                .map(|b| half::bf16::from_bits(b).to_f32())
                .collect(),
            _ => return None,
        })
    }

    /// The first element as an integer (integer types only), for scalars like `num_heads`.
    pub fn scalar_i64(&self) -> Option<i64> {
        let d = &self.data;
        match self.dtype {
            Ct2DType::I8 => d.first().map(|b| *b as i8 as i64),
            Ct2DType::I16 => d.get(..2).map(|b| i16::from_le_bytes([b[0], b[1]]) as i64),
            Ct2DType::I32 => d
                .get(..4)
                .map(|b| i32::from_le_bytes([b[0], b[1], b[2], b[3]]) as i64),
            _ => None,
        }
    }
}

/// A parsed `model.bin`.
#[derive(Clone, Debug, PartialEq)]
pub struct Ct2Model {
    pub version: u32,
    /// Model specification name, e.g. `WhisperSpec`.
    pub spec: String,
    pub revision: u32,
    pub variables: Vec<Ct2Variable>,
    /// `(alias, target)` pairs, e.g. `decoder/projection/weight` -> `decoder/embeddings/weight`.
    pub aliases: Vec<(String, String)>,
}

impl Ct2Model {
    /// The variable called `name`.
    pub fn get(&self, name: &str) -> Option<&Ct2Variable> {
        self.variables.iter().find(|v| v.name == name)
    }
}

/// Read the `model.bin` at `path`.
pub fn read_ct2_file(path: &Path) -> Result<Ct2Model> {
    let file = File::open(path).at(path)?;
    read_ct2(BufReader::with_capacity(1 << 20, file), path)
}

/// Read a `model.bin` from `reader`; `path` names it in errors.
pub fn read_ct2(reader: impl Read, path: &Path) -> Result<Ct2Model> {
    let mut r = Reader {
        inner: reader,
        path,
    };
    let version = r.u32()?;
    if !(4..=6).contains(&version) {
        return Err(r.bad(format!(
            "unsupported CTranslate2 binary version {version} (need 4-6)"
        )));
    }
    let spec = r.string()?;
    let revision = r.u32()?;
    let n_vars = r.u32()?;
    let mut variables = Vec::with_capacity(n_vars.min(4096) as usize);
    for _ in 0..n_vars {
        let name = r.string()?;
        let rank = r.u8()? as usize;
        if rank > 8 {
            return Err(r.bad(format!("variable {name}: rank {rank} is implausible")));
        }
        let mut shape = Vec::with_capacity(rank);
        for _ in 0..rank {
            shape.push(r.u32()? as usize);
        }
        let code = r.u8()?;
        let dtype = Ct2DType::from_code(code)
            .ok_or_else(|| r.bad(format!("variable {name}: unknown dtype code {code}")))?;
        let nbytes = r.u32()? as usize;
        let expected = shape.iter().product::<usize>() * dtype.size();
        if nbytes != expected {
            return Err(r.bad(format!(
                "variable {name}: {nbytes} bytes for shape {shape:?} of {dtype:?} (want {expected})"
            )));
        }
        let data = r.bytes(nbytes)?;
        variables.push(Ct2Variable {
            name,
            shape,
            dtype,
            data,
        });
    }
    let n_aliases = r.u32()?;
    let mut aliases = Vec::new();
    for _ in 0..n_aliases {
        aliases.push((r.string()?, r.string()?));
    }
    Ok(Ct2Model {
        version,
        spec,
        revision,
        variables,
        aliases,
    })
}

struct Reader<'a, R> {
    inner: R,
    path: &'a Path,
}

impl<R: Read> Reader<'_, R> {
    fn bad(&self, detail: String) -> ModelError {
        ModelError::format(self.path, detail)
    }

    fn bytes(&mut self, n: usize) -> Result<Vec<u8>> {
        let mut buf = vec![0u8; n];
        self.inner.read_exact(&mut buf).map_err(|e| {
            if e.kind() == std::io::ErrorKind::UnexpectedEof {
                self.bad("file is truncated".into())
            } else {
                ModelError::io(self.path, e)
            }
        })?;
        Ok(buf)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        let v = self.bytes(N)?;
        Ok(v.try_into().expect("length N"))
    }

    fn u8(&mut self) -> Result<u8> {
        Ok(self.array::<1>()?[0])
    }

    fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    fn string(&mut self) -> Result<String> {
        let len = u16::from_le_bytes(self.array()?) as usize;
        let mut bytes = self.bytes(len)?;
        if bytes.pop() != Some(0) {
            return Err(self.bad("string without trailing NUL".into()));
        }
        String::from_utf8(bytes).map_err(|_| self.bad("string is not UTF-8".into()))
    }
}

/// Serialise a model in the same format (for tests and synthetic fixtures).
pub fn write_ct2(model: &Ct2Model) -> Vec<u8> {
    fn string(out: &mut Vec<u8>, s: &str) {
        out.extend_from_slice(&((s.len() + 1) as u16).to_le_bytes());
        out.extend_from_slice(s.as_bytes());
        out.push(0);
    }
    let mut out = Vec::new();
    out.extend_from_slice(&model.version.to_le_bytes());
    string(&mut out, &model.spec);
    out.extend_from_slice(&model.revision.to_le_bytes());
    out.extend_from_slice(&(model.variables.len() as u32).to_le_bytes());
    for v in &model.variables {
        string(&mut out, &v.name);
        out.push(v.shape.len() as u8);
        for d in &v.shape {
            out.extend_from_slice(&(*d as u32).to_le_bytes());
        }
        out.push(match v.dtype {
            Ct2DType::F32 => 0,
            Ct2DType::I8 => 1,
            Ct2DType::I16 => 2,
            Ct2DType::I32 => 3,
            Ct2DType::F16 => 4,
            Ct2DType::BF16 => 5,
        });
        out.extend_from_slice(&(v.data.len() as u32).to_le_bytes());
        out.extend_from_slice(&v.data);
    }
    out.extend_from_slice(&(model.aliases.len() as u32).to_le_bytes());
    for (a, t) in &model.aliases {
        string(&mut out, a);
        string(&mut out, t);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Ct2Model {
        let f16 = |x: f32| half::f16::from_f32(x).to_bits().to_le_bytes();
        Ct2Model {
            version: 6,
            spec: "WhisperSpec".into(),
            revision: 3,
            variables: vec![
                Ct2Variable {
                    name: "encoder/num_heads".into(),
                    shape: vec![],
                    dtype: Ct2DType::I16,
                    data: 6i16.to_le_bytes().to_vec(),
                },
                Ct2Variable {
                    name: "w".into(),
                    shape: vec![2, 1],
                    dtype: Ct2DType::F16,
                    data: [f16(1.5), f16(-2.0)].concat(),
                },
            ],
            aliases: vec![("a".into(), "w".into())],
        }
    }

    #[test]
    fn synthetic_file_round_trips() {
        let model = sample();
        let bytes = write_ct2(&model);
        let parsed = read_ct2(&bytes[..], Path::new("mem")).unwrap();
        assert_eq!(parsed, model);
        assert_eq!(
            parsed.get("encoder/num_heads").unwrap().scalar_i64(),
            Some(6)
        );
        assert_eq!(parsed.get("w").unwrap().to_f32().unwrap(), vec![1.5, -2.0]);
    }

    #[test]
    fn header_is_parsed_from_raw_bytes() {
        // Hand-written: version 6, spec "S", revision 1, one i8 scalar "x" = -3, no aliases.
        let mut b = 6u32.to_le_bytes().to_vec();
        b.extend([2, 0, b'S', 0]);
        b.extend(1u32.to_le_bytes());
        b.extend(1u32.to_le_bytes());
        b.extend([2, 0, b'x', 0, 0, 1]);
        b.extend(1u32.to_le_bytes());
        b.push(0xfd);
        b.extend(0u32.to_le_bytes());
        let m = read_ct2(&b[..], Path::new("mem")).unwrap();
        assert_eq!((m.version, m.spec.as_str(), m.revision), (6, "S", 1));
        assert_eq!(m.variables[0].shape, Vec::<usize>::new());
        assert_eq!(m.variables[0].scalar_i64(), Some(-3));
    }

    #[test]
    fn truncated_and_bad_files_are_format_errors() {
        let bytes = write_ct2(&sample());
        for cut in [2, 10, bytes.len() - 1] {
            let err = read_ct2(&bytes[..cut], Path::new("mem")).unwrap_err();
            assert!(matches!(err, ModelError::Format { .. }), "{err}");
        }
        let mut bad = bytes.clone();
        bad[0] = 99;
        assert!(matches!(
            read_ct2(&bad[..], Path::new("mem")),
            Err(ModelError::Format { .. })
        ));
    }
}
