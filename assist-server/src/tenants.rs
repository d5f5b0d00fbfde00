//! Per-tenant settings (`<data>/tenants.json`, e.g. `{"acme": {"redact_pii": true}}`), set
//! with `callassist-server tenants set`. The server re-reads the file when it changes on disk,
//! so a change applies from the next utterance without a restart. Today the one setting is
//! `redact_pii`: mask PII ([`crate::redact`]) in the tenant's transcripts and events before
//! they are logged or stored. `--redact-pii` on the server turns it on for every tenant.
//!
//! A file that cannot be read or parsed redacts for every tenant (fail closed) and is logged
//! once per change of the file; the CLI refuses to overwrite it.

pub mod cli;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{PoisonError, RwLock};
use std::time::SystemTime;

/// One tenant's settings.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Tenant {
    /// Mask phone, ID-card and bank-card numbers and e-mail addresses in this tenant's
    /// transcripts and events.
    #[serde(default)]
    pub redact_pii: bool,
    /// Settings this version does not know, kept as they are when the file is rewritten.
    #[serde(flatten)]
    pub other: serde_json::Map<String, serde_json::Value>,
}

/// Every tenant's settings, by tenant id.
pub type Tenants = BTreeMap<String, Tenant>;

/// Tenant-file errors.
#[derive(Debug, thiserror::Error)]
pub enum TenantError {
    #[error("tenant file {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("tenant file {path} is not valid: {detail}")]
    Format { path: String, detail: String },
    #[error("tenant {0:?} is invalid: use 1-128 characters of A-Z a-z 0-9 . _ : -")]
    BadTenant(String),
}

/// The tenant file under a data directory.
pub fn tenant_file(data: &Path) -> PathBuf {
    data.join("tenants.json")
}

/// What identifies one version of the file: a rewrite (temp file + rename) changes the inode
/// even within one mtime tick.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    modified: Option<SystemTime>,
    len: u64,
    #[cfg(unix)]
    ino: u64,
}

impl Stamp {
    fn of(path: &Path) -> Option<Stamp> {
        let m = std::fs::metadata(path).ok()?;
        Some(Stamp {
            modified: m.modified().ok(),
            len: m.len(),
            #[cfg(unix)]
            ino: std::os::unix::fs::MetadataExt::ino(&m),
        })
    }
}

/// The settings as last read: `None` when the file was unreadable or invalid.
type Cache = Option<(Option<Stamp>, Option<Tenants>)>;

/// The settings, cached and reloaded when the file changes.
#[derive(Debug)]
pub struct TenantSettings {
    path: PathBuf,
    redact_all: bool,
    cache: RwLock<Cache>,
}

impl TenantSettings {
    /// The store at `path` (the file may not exist yet).
    pub fn new(path: &Path) -> Self {
        Self {
            path: path.to_path_buf(),
            redact_all: false,
            cache: RwLock::new(None),
        }
    }

    /// The server's store: `<data>/tenants.json`, redacting for everyone with `--redact-pii`.
    pub fn for_server(cfg: &crate::config::ServerConfig) -> Self {
        Self::new(&tenant_file(&cfg.data)).with_redact_all(cfg.redact_pii)
    }

    /// Redacts for every tenant whatever the file says (when `on`).
    pub fn with_redact_all(mut self, on: bool) -> Self {
        self.redact_all = on;
        self
    }

    /// Whether PII in `tenant`'s transcripts and events must be masked. Costs one `stat` of the
    /// file; it is read again only when it changed. An unreadable file means yes.
    pub fn redact_pii(&self, tenant: &str) -> bool {
        if self.redact_all {
            return true;
        }
        let lookup = |all: &Option<Tenants>| {
            all.as_ref()
                .is_none_or(|all| all.get(tenant).is_some_and(|t| t.redact_pii))
        };
        // Stamp first: a change during the read below is seen on the next call.
        let stamp = Stamp::of(&self.path);
        {
            let cache = self.cache.read().unwrap_or_else(PoisonError::into_inner);
            if let Some((s, all)) = cache.as_ref()
                && *s == stamp
            {
                return lookup(all);
            }
        }
        let loaded = match self.read() {
            Ok(all) => Some(all),
            Err(e) => {
                tracing::warn!(error = %e, "redacting PII for every tenant until the tenant file is fixed");
                None
            }
        };
        let on = lookup(&loaded);
        *self.cache.write().unwrap_or_else(PoisonError::into_inner) = Some((stamp, loaded));
        on
    }

    fn io(&self, source: std::io::Error) -> TenantError {
        TenantError::Io {
            path: self.path.display().to_string(),
            source,
        }
    }

    fn format(&self, detail: impl ToString) -> TenantError {
        TenantError::Format {
            path: self.path.display().to_string(),
            detail: detail.to_string(),
        }
    }

    fn read(&self) -> Result<Tenants, TenantError> {
        match std::fs::read(&self.path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| self.format(e)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Tenants::new()),
            Err(e) => Err(self.io(e)),
        }
    }

    /// Writes through a temp file in the same directory and a rename, so a reader sees either
    /// the old file or the new one.
    fn write(&self, tenants: &Tenants) -> Result<(), TenantError> {
        use std::io::Write;
        let dir = self.path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(|e| self.io(e))?;
        let body = serde_json::to_vec_pretty(tenants).map_err(|e| self.format(e))?;
        let nanos = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let tmp = dir.join(format!(".tenants.json.{}.{nanos}.tmp", std::process::id()));
        let result = std::fs::File::create(&tmp)
            .and_then(|mut f| {
                f.write_all(&body)?;
                f.write_all(b"\n")?;
                f.sync_all()
            })
            .and_then(|()| std::fs::rename(&tmp, &self.path));
        if result.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        result.map_err(|e| self.io(e))
    }

    /// Turns PII redaction for `tenant` on or off; returns the tenant's settings.
    pub fn set_redact_pii(&self, tenant: &str, on: bool) -> Result<Tenant, TenantError> {
        if !crate::call::spec::valid_id(tenant) {
            return Err(TenantError::BadTenant(tenant.to_string()));
        }
        let mut all = self.read()?;
        let t = all.entry(tenant.to_string()).or_default();
        t.redact_pii = on;
        let out = t.clone();
        self.write(&all)?;
        Ok(out)
    }

    /// Every tenant with settings.
    pub fn list(&self) -> Result<Tenants, TenantError> {
        self.read()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_list_and_reload() {
        let dir = tempfile::tempdir().unwrap();
        let path = tenant_file(dir.path());
        let server = TenantSettings::new(&path);
        assert!(!server.redact_pii("acme"), "no file: nobody is redacted");
        // Changed through another handle (as the CLI does): seen at once.
        let cli = TenantSettings::new(&path);
        assert!(cli.set_redact_pii("acme", true).unwrap().redact_pii);
        assert!(server.redact_pii("acme"));
        assert!(!server.redact_pii("globex"));
        cli.set_redact_pii("globex", true).unwrap();
        cli.set_redact_pii("acme", false).unwrap();
        assert!(!server.redact_pii("acme"));
        assert!(server.redact_pii("globex"));
        let all = cli.list().unwrap();
        assert_eq!(all.keys().collect::<Vec<_>>(), ["acme", "globex"]);
        assert!(matches!(
            cli.set_redact_pii("a b", true),
            Err(TenantError::BadTenant(_))
        ));
        // No temp files left behind.
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["tenants.json"]);
    }

    #[test]
    fn unknown_settings_survive_and_bad_files_fail_closed() {
        let dir = tempfile::tempdir().unwrap();
        let path = tenant_file(dir.path());
        std::fs::write(
            &path,
            r#"{"acme": {"redact_pii": false, "future": 3}, "b": {}}"#,
        )
        .unwrap();
        let store = TenantSettings::new(&path);
        assert!(!store.redact_pii("acme"));
        assert!(!store.redact_pii("b"));
        store.set_redact_pii("acme", true).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("\"future\": 3"), "{text}");
        assert!(store.redact_pii("acme"));

        std::fs::write(&path, "{ not json").unwrap();
        assert!(store.redact_pii("b"), "unreadable file: redact everyone");
        assert!(matches!(store.list(), Err(TenantError::Format { .. })));
        assert!(
            store.set_redact_pii("acme", false).is_err(),
            "never overwrites a bad file"
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "{ not json");
    }

    #[test]
    fn server_flag_redacts_everyone() {
        use clap::Parser;
        #[derive(Parser)]
        struct Wrapper {
            #[command(flatten)]
            cfg: crate::config::ServerConfig,
        }
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().to_str().unwrap();
        let off = Wrapper::parse_from(["x", "--data", data]).cfg;
        let on = Wrapper::parse_from(["x", "--data", data, "--redact-pii"]).cfg;
        assert!(!TenantSettings::for_server(&off).redact_pii("acme"));
        assert!(TenantSettings::for_server(&on).redact_pii("acme"));
    }
}
