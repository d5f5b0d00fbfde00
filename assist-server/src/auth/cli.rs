//! `callassist-server keys create | revoke | list`: manage the API keys of `<data>/keys.json`.
//! A new key is printed once; only its hash is stored. The running server sees changes at once.

use std::path::{Path, PathBuf};

use clap::Subcommand;

use super::{KeyStore, Role};

/// The key file under a data directory.
pub fn key_file(data: &Path) -> PathBuf {
    data.join("keys.json")
}

/// Key management commands.
#[derive(Debug, Subcommand)]
pub enum KeysCmd {
    /// Create a key for a tenant and print it (shown only this once).
    Create {
        #[arg(long)]
        tenant: String,
        /// agent (stream calls), crm (subscribe, adoption) or admin (packs, search, adoption).
        #[arg(long, value_enum)]
        role: Role,
    },
    /// Revoke a key by its id (it fails on its next request).
    Revoke { id: String },
    /// List keys (ids, tenants, roles; never the secrets).
    List,
}

/// Runs a key command against `<data>/keys.json`.
pub fn run(cmd: KeysCmd, data: &Path) -> anyhow::Result<()> {
    let store = KeyStore::new(&key_file(data));
    match cmd {
        KeysCmd::Create { tenant, role } => {
            let k = store.create(&tenant, role)?;
            eprintln!(
                "created key {} for tenant {} with role {} (store it now: it is not shown again)",
                k.record.id,
                k.record.tenant,
                role.as_str()
            );
            println!("{}", k.key);
        }
        KeysCmd::Revoke { id } => {
            let r = store.revoke(&id)?;
            eprintln!("revoked key {} of tenant {}", r.id, r.tenant);
        }
        KeysCmd::List => {
            for k in store.list()? {
                println!(
                    "{}\t{}\t{}\t{}",
                    k.id,
                    k.tenant,
                    k.role.as_str(),
                    if k.revoked { "revoked" } else { "active" }
                );
            }
        }
    }
    Ok(())
}
