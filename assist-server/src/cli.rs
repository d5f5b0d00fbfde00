//! Command line of `callassist-server` (also reached as `callassist serve` and
//! `callassist models pull`): serve, fetch/verify/convert models, or manage API keys.

use std::process::ExitCode;

use callassist_models::{Asset, ModelHome, ModelSet, PullOptions};
use clap::{Parser, Subcommand};

use crate::config::ServerConfig;

#[derive(Debug, Parser)]
#[command(
    name = "callassist-server",
    version,
    about = "Live call assistant server"
)]
struct Cli {
    /// Log as JSON lines.
    #[arg(long, env = "CALLASSIST_LOG_JSON", global = true)]
    log_json: bool,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Serve the gRPC API.
    Serve(Box<ServerConfig>),
    /// Manage model weights.
    Models {
        #[command(subcommand)]
        cmd: ModelsCmd,
    },
    /// Manage API keys (`<data>/keys.json`).
    Keys {
        /// The server's data directory.
        #[arg(long, env = "CALLASSIST_DATA", default_value = ".callassist/data")]
        data: std::path::PathBuf,
        #[command(subcommand)]
        cmd: crate::auth::cli::KeysCmd,
    },
    /// Manage per-tenant settings (`<data>/tenants.json`), e.g. PII redaction.
    Tenants {
        /// The server's data directory.
        #[arg(long, env = "CALLASSIST_DATA", default_value = ".callassist/data")]
        data: std::path::PathBuf,
        #[command(subcommand)]
        cmd: crate::tenants::cli::TenantsCmd,
    },
}

#[derive(Debug, Subcommand)]
enum ModelsCmd {
    /// Fetch, verify and convert a model set into the cache ($CALLASSIST_HOME).
    Pull {
        /// ci (whisper tiny.en, both embedders, test audio), default (adds multilingual whisper
        /// base) or all.
        #[arg(long, default_value = "default")]
        set: ModelSet,
    },
    /// Print the cache directory of a pulled asset (e.g. `audio-jfk`, `whisper-base`).
    Path {
        /// Asset name as listed by `models pull`.
        asset: String,
    },
}

fn init_tracing(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        // whisper.cpp reports every model load at info: keep that one level down.
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,whisper_rs=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing(cli.log_json);
    let result = match cli.cmd {
        Cmd::Serve(cfg) => run_server(*cfg),
        Cmd::Models {
            cmd: ModelsCmd::Pull { set },
        } => callassist_models::pull(&ModelHome::from_env(), set, &PullOptions { progress: true })
            .map_err(anyhow::Error::from),
        Cmd::Models {
            cmd: ModelsCmd::Path { asset },
        } => asset_path(&asset),
        Cmd::Keys { data, cmd } => crate::auth::cli::run(cmd, &data),
        Cmd::Tenants { data, cmd } => crate::tenants::cli::run(cmd, &data),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// API keys when `<data>/keys.json` holds an active key; otherwise open, on loopback only.
fn choose_auth(cfg: &ServerConfig) -> anyhow::Result<crate::auth::Auth> {
    let store = crate::auth::KeyStore::new(&crate::auth::cli::key_file(&cfg.data));
    if store.has_active_keys()? {
        tracing::info!("API keys required (roles agent, crm, admin; tenant from the key)");
        return Ok(crate::auth::Auth::Keys(std::sync::Arc::new(store)));
    }
    if !cfg.listen.ip().is_loopback() {
        anyhow::bail!(
            "no API keys in {}: refusing to serve {} without authentication; create keys with \
             `callassist-server keys create --tenant T --role agent|crm|admin`, or listen on loopback",
            crate::auth::cli::key_file(&cfg.data).display(),
            cfg.listen
        );
    }
    tracing::warn!(
        "NO AUTHENTICATION: no API keys in {}; any local process may act for any tenant \
         (loopback only). Create keys with `callassist-server keys create` to require them \
         (from the first key on, no restart needed).",
        crate::auth::cli::key_file(&cfg.data).display()
    );
    Ok(crate::auth::Auth::OpenUntilKeys(std::sync::Arc::new(store)))
}

fn asset_path(name: &str) -> anyhow::Result<()> {
    let names: Vec<&str> = Asset::all().iter().map(|a| a.name()).collect();
    let asset = Asset::all()
        .iter()
        .find(|a| a.name() == name)
        .ok_or_else(|| anyhow::anyhow!("unknown asset {name:?}: one of {}", names.join(", ")))?;
    let home = ModelHome::from_env();
    if !callassist_models::is_present(&home, *asset) {
        anyhow::bail!("{name} is not in the cache yet: run `callassist models pull`");
    }
    println!("{}", home.asset_dir(asset.name()).display());
    Ok(())
}

/// Caps the threads of candle's quantized kernels (the LLM) before any thread starts.
#[allow(unsafe_code)]
fn set_llm_threads(threads: usize) {
    if std::env::var_os("CANDLE_NUM_THREADS").is_none() && threads > 0 {
        // SAFETY: called from `run_server` on the main thread before the runtime, the model
        // workers or any other thread exist, so nothing reads the environment concurrently.
        unsafe { std::env::set_var("CANDLE_NUM_THREADS", threads.to_string()) };
    }
}

fn run_server(cfg: ServerConfig) -> anyhow::Result<()> {
    set_llm_threads(cfg.llm_threads);
    // Bad TLS files stop the server now, before models load.
    crate::tls::server_tls(&cfg)?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(cfg.listen)
            .await
            .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", cfg.listen))?;
        let home = ModelHome::from_env();
        let load_cfg = cfg.clone();
        let (pool, embed, composer) = tokio::task::spawn_blocking(move || {
            anyhow::Ok((
                crate::load_asr_pool(&load_cfg, &home)?,
                crate::load_embed_pool(&load_cfg, &home)?,
                crate::recognizers::load_composer(&load_cfg, &home)?,
            ))
        })
        .await??;
        let mut state = crate::AppState::new(cfg.clone(), pool);
        if let Some(composer) = composer {
            state = state.with_composer(composer);
        }
        if let Some(embed) = embed {
            let mut kb = crate::knowledge::Knowledge::open(&cfg.data.join("knowledge"), embed)?;
            kb.limits.max_archive_bytes = cfg.max_pack_bytes;
            state = state.with_knowledge(kb);
        }
        std::fs::create_dir_all(&cfg.data)?;
        let adoption = crate::adoption::AdoptionStore::open(&cfg.data.join("adoption.db"))?;
        state = state.with_adoption(adoption);
        state = state.with_auth(choose_auth(&cfg)?);
        let events = crate::eventlog::EventLog::open(&cfg.data.join("events.db"))?;
        state = state.with_event_log(events);
        if let Some(addr) = cfg.metrics_listen {
            crate::metrics::spawn_metrics(addr, state.clone())
                .await
                .map_err(|e| anyhow::anyhow!("cannot serve metrics on {addr}: {e}"))?;
        }
        crate::serve(listener, state, crate::shutdown::shutdown_signal()).await
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::{Auth, KeyStore, Role};

    #[test]
    fn no_keys_means_open_on_loopback_only() {
        let dir = tempfile::tempdir().unwrap();
        let mut cfg = ServerConfig {
            data: dir.path().to_path_buf(),
            ..ServerConfig::default()
        };
        assert!(matches!(choose_auth(&cfg).unwrap(), Auth::OpenUntilKeys(_)));
        cfg.listen = "0.0.0.0:50051".parse().unwrap();
        let err = choose_auth(&cfg).unwrap_err().to_string();
        assert!(err.contains("without authentication"), "{err}");
        KeyStore::new(&crate::auth::cli::key_file(dir.path()))
            .create("acme", Role::Agent)
            .unwrap();
        assert!(matches!(choose_auth(&cfg).unwrap(), Auth::Keys(_)));
    }
}
