//! `callassist-server tenants set | list`: per-tenant settings in `<data>/tenants.json`. The
//! running server sees a change from the next utterance on.

use std::path::Path;

use clap::{Subcommand, ValueEnum};

use super::{TenantSettings, tenant_file};

/// A setting's value on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Switch {
    On,
    Off,
}

fn on_off(on: bool) -> &'static str {
    if on { "on" } else { "off" }
}

/// Tenant settings commands.
#[derive(Debug, Subcommand)]
pub enum TenantsCmd {
    /// Change a tenant's settings.
    Set {
        /// Tenant id (as in its API keys).
        tenant: String,
        /// Mask phone, ID-card and bank-card numbers and e-mail addresses in this tenant's
        /// transcripts and events before they are logged or stored.
        #[arg(long, value_enum)]
        redact_pii: Switch,
    },
    /// List tenants that have settings.
    List,
}

/// Runs a tenant command against `<data>/tenants.json`.
pub fn run(cmd: TenantsCmd, data: &Path) -> anyhow::Result<()> {
    let store = TenantSettings::new(&tenant_file(data));
    match cmd {
        TenantsCmd::Set { tenant, redact_pii } => {
            let t = store.set_redact_pii(&tenant, redact_pii == Switch::On)?;
            eprintln!("tenant {tenant}: redact_pii {}", on_off(t.redact_pii));
        }
        TenantsCmd::List => {
            let all = store.list()?;
            if all.is_empty() {
                eprintln!("no tenant settings in {}", tenant_file(data).display());
            }
            for (id, t) in all {
                println!("{id}\tredact_pii={}", on_off(t.redact_pii));
            }
        }
    }
    Ok(())
}
