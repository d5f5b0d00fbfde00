//! Reading a GGUF file's header: typed access to its metadata with errors that name the key
//! and the file.

use std::collections::HashMap;
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use candle_core::quantized::gguf_file::{Content, Value};

use crate::InferenceError;

/// A GGUF header (metadata and tensor directory) and the path it came from.
pub(crate) struct GgufFile {
    pub(crate) path: PathBuf,
    pub(crate) content: Content,
}

impl GgufFile {
    /// Reads the header of `path` (tensor data stays on disk until asked for).
    pub(crate) fn open(path: &Path) -> Result<(Self, BufReader<File>), InferenceError> {
        let file = File::open(path).map_err(|e| load_err(path, e))?;
        let mut reader = BufReader::new(file);
        let content = Content::read(&mut reader).map_err(|e| load_err(path, e))?;
        Ok((
            Self {
                path: path.to_path_buf(),
                content,
            },
            reader,
        ))
    }

    pub(crate) fn metadata(&self) -> &HashMap<String, Value> {
        &self.content.metadata
    }

    fn get(&self, key: &str) -> Result<&Value, InferenceError> {
        self.metadata()
            .get(key)
            .ok_or_else(|| self.err(format!("missing metadata key `{key}`")))
    }

    pub(crate) fn err(&self, detail: impl Into<String>) -> InferenceError {
        InferenceError::ModelLoad {
            path: self.path.display().to_string(),
            detail: detail.into(),
        }
    }

    pub(crate) fn string(&self, key: &str) -> Result<String, InferenceError> {
        self.get(key)?
            .to_string()
            .cloned()
            .map_err(|e| self.err(format!("`{key}`: {e}")))
    }

    pub(crate) fn opt_string(&self, key: &str) -> Option<String> {
        self.metadata()
            .get(key)
            .and_then(|v| v.to_string().ok().cloned())
    }

    pub(crate) fn uint(&self, key: &str) -> Result<usize, InferenceError> {
        as_uint(self.get(key)?).ok_or_else(|| self.err(format!("`{key}` is not an integer")))
    }

    pub(crate) fn opt_uint(&self, key: &str) -> Option<usize> {
        self.metadata().get(key).and_then(as_uint)
    }

    pub(crate) fn float(&self, key: &str) -> Result<f64, InferenceError> {
        match self.get(key)? {
            Value::F32(v) => Ok(f64::from(*v)),
            Value::F64(v) => Ok(*v),
            v => as_uint(v)
                .map(|u| u as f64)
                .ok_or_else(|| self.err(format!("`{key}` is not a number"))),
        }
    }

    pub(crate) fn opt_bool(&self, key: &str) -> Option<bool> {
        self.metadata().get(key).and_then(|v| v.to_bool().ok())
    }

    pub(crate) fn strings(&self, key: &str) -> Result<Vec<String>, InferenceError> {
        let arr = self
            .get(key)?
            .to_vec()
            .map_err(|e| self.err(format!("`{key}`: {e}")))?;
        arr.iter()
            .map(|v| {
                v.to_string()
                    .cloned()
                    .map_err(|e| self.err(format!("`{key}` element: {e}")))
            })
            .collect()
    }

    pub(crate) fn uints(&self, key: &str) -> Result<Vec<usize>, InferenceError> {
        let arr = self
            .get(key)?
            .to_vec()
            .map_err(|e| self.err(format!("`{key}`: {e}")))?;
        arr.iter()
            .map(|v| as_uint(v).ok_or_else(|| self.err(format!("`{key}` element not an integer"))))
            .collect()
    }
}

fn as_uint(v: &Value) -> Option<usize> {
    match v {
        Value::U8(x) => Some(usize::from(*x)),
        Value::U16(x) => Some(usize::from(*x)),
        Value::U32(x) => usize::try_from(*x).ok(),
        Value::U64(x) => usize::try_from(*x).ok(),
        Value::I8(x) => usize::try_from(*x).ok(),
        Value::I16(x) => usize::try_from(*x).ok(),
        Value::I32(x) => usize::try_from(*x).ok(),
        Value::I64(x) => usize::try_from(*x).ok(),
        _ => None,
    }
}

fn load_err(path: &Path, e: impl std::fmt::Display) -> InferenceError {
    InferenceError::ModelLoad {
        path: path.display().to_string(),
        detail: e.to_string(),
    }
}
