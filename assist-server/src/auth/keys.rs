//! The key file (`<data>/keys.json`): one record per API key with its id, tenant, role,
//! creation time, revocation flag and the SHA-256 of the key; the key itself is shown once at
//! creation and never stored. The server re-reads the file when it changes on disk, so a key
//! revoked with `callassist-server keys revoke` fails on its next request.

use std::path::{Path, PathBuf};
use std::sync::RwLock;
use std::time::SystemTime;

use sha2::{Digest, Sha256};

use super::Role;

/// One stored key (without the secret).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct KeyRecord {
    pub id: String,
    pub tenant: String,
    pub role: Role,
    /// Hex SHA-256 of the whole key.
    pub sha256: String,
    pub created_ms: u64,
    #[serde(default)]
    pub revoked: bool,
}

/// A key just created: the only time its secret exists outside the client.
#[derive(Debug, Clone)]
pub struct NewKey {
    pub key: String,
    pub record: KeyRecord,
}

/// Key-file errors.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("key file {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("key file {path} is not valid: {detail}")]
    Format { path: String, detail: String },
    #[error("no key with id {0:?}")]
    NotFound(String),
    #[error("tenant {0:?} is invalid: use 1-128 characters of A-Z a-z 0-9 . _ : -")]
    BadTenant(String),
}

/// The keys, cached and reloaded when the file changes.
#[derive(Debug)]
pub struct KeyStore {
    path: PathBuf,
    cache: RwLock<(Option<SystemTime>, Vec<KeyRecord>)>,
}

fn hash(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

/// Equal-time comparison of two hex digests.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

impl KeyStore {
    /// The store at `path` (the file may not exist yet).
    pub fn new(path: &Path) -> Self {
        Self {
            path: path.to_path_buf(),
            cache: RwLock::new((None, Vec::new())),
        }
    }

    /// Re-reads the key file into the cache when it changed (or has no modification time).
    fn refresh(&self) -> Result<(), KeyError> {
        let mtime = std::fs::metadata(&self.path)
            .and_then(|m| m.modified())
            .ok();
        let stale = self
            .cache
            .read()
            .map_or(true, |c| c.0 != mtime || mtime.is_none());
        if stale {
            let keys = self.read()?;
            if let Ok(mut c) = self.cache.write() {
                *c = (mtime, keys);
            }
        }
        Ok(())
    }

    /// [`KeyStore::has_active_keys`] through the cache (the file is re-read only when it
    /// changed): cheap enough to ask on every request.
    pub fn has_active_keys_cached(&self) -> Result<bool, KeyError> {
        self.refresh()?;
        Ok(self
            .cache
            .read()
            .map(|c| c.1.iter().any(|k| !k.revoked))
            .unwrap_or(false))
    }

    /// Whether the file exists and holds at least one key that is not revoked.
    pub fn has_active_keys(&self) -> Result<bool, KeyError> {
        Ok(self.read()?.iter().any(|k| !k.revoked))
    }

    fn io(&self, source: std::io::Error) -> KeyError {
        KeyError::Io {
            path: self.path.display().to_string(),
            source,
        }
    }

    fn read(&self) -> Result<Vec<KeyRecord>, KeyError> {
        match std::fs::read(&self.path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| KeyError::Format {
                path: self.path.display().to_string(),
                detail: e.to_string(),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(e) => Err(self.io(e)),
        }
    }

    fn write(&self, keys: &[KeyRecord]) -> Result<(), KeyError> {
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| self.io(e))?;
        }
        let tmp = self.path.with_extension("json.tmp");
        let body = serde_json::to_vec_pretty(keys).map_err(|e| KeyError::Format {
            path: self.path.display().to_string(),
            detail: e.to_string(),
        })?;
        std::fs::write(&tmp, body).map_err(|e| self.io(e))?;
        std::fs::rename(&tmp, &self.path).map_err(|e| self.io(e))
    }

    /// Creates a key for `tenant` with `role`; returns it with its secret.
    pub fn create(&self, tenant: &str, role: Role) -> Result<NewKey, KeyError> {
        if !crate::call::spec::valid_id(tenant) {
            return Err(KeyError::BadTenant(tenant.to_string()));
        }
        let id = uuid::Uuid::new_v4().simple().to_string()[..12].to_string();
        let secret = format!(
            "{}{}",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        );
        let key = format!("ca_{id}_{secret}");
        let record = KeyRecord {
            id,
            tenant: tenant.to_string(),
            role,
            sha256: hash(&key),
            created_ms: SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .map_or(0, |d| d.as_millis() as u64),
            revoked: false,
        };
        let mut keys = self.read()?;
        keys.push(record.clone());
        self.write(&keys)?;
        Ok(NewKey { key, record })
    }

    /// Revokes key `id`.
    pub fn revoke(&self, id: &str) -> Result<KeyRecord, KeyError> {
        let mut keys = self.read()?;
        let k = keys
            .iter_mut()
            .find(|k| k.id == id)
            .ok_or_else(|| KeyError::NotFound(id.to_string()))?;
        k.revoked = true;
        let out = k.clone();
        self.write(&keys)?;
        Ok(out)
    }

    /// Every key record.
    pub fn list(&self) -> Result<Vec<KeyRecord>, KeyError> {
        self.read()
    }

    /// The record of `key` if it is valid and not revoked (`Ok(None)` otherwise).
    pub fn verify(&self, key: &str) -> Result<Option<KeyRecord>, KeyError> {
        self.refresh()?;
        let Some(id) = key
            .strip_prefix("ca_")
            .and_then(|rest| rest.split_once('_'))
            .map(|(id, _)| id)
        else {
            return Ok(None);
        };
        let digest = hash(key);
        let cache = self
            .cache
            .read()
            .map_err(|_| KeyError::NotFound(id.into()))?;
        Ok(cache
            .1
            .iter()
            .find(|k| k.id == id && same(&k.sha256, &digest) && !k.revoked)
            .cloned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_verify_revoke() {
        let dir = tempfile::tempdir().unwrap();
        let store = KeyStore::new(&dir.path().join("keys.json"));
        assert!(!store.has_active_keys().unwrap());
        let k = store.create("acme", Role::Agent).unwrap();
        assert!(k.key.starts_with("ca_"));
        let text = std::fs::read_to_string(dir.path().join("keys.json")).unwrap();
        assert!(!text.contains(&k.key), "the secret is never stored");
        assert_eq!(store.verify(&k.key).unwrap().unwrap().tenant, "acme");
        assert!(store.verify("ca_nope_x").unwrap().is_none());
        let mut wrong = k.key.clone();
        wrong.pop();
        assert!(store.verify(&wrong).unwrap().is_none());
        // Revoked through another handle (as the CLI does): fails at once.
        KeyStore::new(&dir.path().join("keys.json"))
            .revoke(&k.record.id)
            .unwrap();
        assert!(store.verify(&k.key).unwrap().is_none());
        assert!(matches!(store.revoke("zzz"), Err(KeyError::NotFound(_))));
        assert!(matches!(
            store.create("a b", Role::Crm),
            Err(KeyError::BadTenant(_))
        ));
    }
}
