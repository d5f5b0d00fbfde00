//! `callassist`: the command line for operators, demos and scripts (contract: spec/cli.md).
//! Server-side commands (`serve`, `models`) run the `callassist-server` binary that is
//! installed beside this one; client commands talk gRPC to `--server`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use callassist_client::call::{self, CallOptions};
use callassist_client::follow::{Backoff, Followed};
use callassist_client::pb::Role;
use callassist_client::{Client, ClientError, TlsOptions, json, wav::WavAudio};
use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "callassist",
    version,
    about = "Live call assistant: server, models and client"
)]
struct Cli {
    /// Server address for client commands.
    #[arg(
        long,
        env = "CALLASSIST_SERVER",
        default_value = "http://127.0.0.1:50051",
        global = true
    )]
    server: String,
    /// API key for client commands (required when the server has keys).
    #[arg(
        long,
        env = "CALLASSIST_API_KEY",
        global = true,
        hide_env_values = true
    )]
    api_key: Option<String>,
    #[command(flatten)]
    tls: TlsArgs,
    #[command(subcommand)]
    cmd: Cmd,
}

/// TLS for `https://` servers (client commands).
#[derive(Clone, Debug, Default, Args)]
struct TlsArgs {
    /// PEM of the CA (or self-signed server certificate) to trust for an https:// --server
    /// (default: the system's trusted roots).
    #[arg(long, env = "CALLASSIST_TLS_CA", global = true)]
    tls_ca: Option<PathBuf>,
    /// Name to verify the server's certificate against (default: the host in --server).
    #[arg(long, env = "CALLASSIST_TLS_DOMAIN", global = true)]
    tls_domain: Option<String>,
    /// Mutual TLS: client certificate (PEM) to present; needs --tls-client-key.
    #[arg(
        long,
        env = "CALLASSIST_TLS_CLIENT_CERT",
        global = true,
        requires = "tls_client_key"
    )]
    tls_client_cert: Option<PathBuf>,
    /// Mutual TLS: the PEM private key of --tls-client-cert.
    #[arg(
        long,
        env = "CALLASSIST_TLS_CLIENT_KEY",
        global = true,
        requires = "tls_client_cert"
    )]
    tls_client_key: Option<PathBuf>,
}

impl TlsArgs {
    fn options(&self) -> Result<TlsOptions, callassist_client::ClientError> {
        let mut o = TlsOptions::default();
        if let Some(ca) = &self.tls_ca {
            o = o.with_ca_file(ca)?;
        }
        if let Some(d) = &self.tls_domain {
            o = o.with_domain(d.clone());
        }
        if let (Some(c), Some(k)) = (&self.tls_client_cert, &self.tls_client_key) {
            o = o.with_identity_files(c, k)?;
        }
        Ok(o)
    }
}

/// The API key given on the command line, for every connection this process makes.
static API_KEY: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
/// The TLS flags given on the command line, for every connection this process makes.
static TLS: std::sync::OnceLock<TlsArgs> = std::sync::OnceLock::new();

async fn connect(server: &str) -> Result<Client, callassist_client::ClientError> {
    let tls = TLS
        .get()
        .map(TlsArgs::options)
        .transpose()?
        .unwrap_or_default();
    Client::connect_with_tls(server, API_KEY.get().and_then(|k| k.as_deref()), &tls).await
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Run the server (arguments as `callassist-server serve --help`).
    Serve {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Fetch, verify and convert models (arguments as `callassist-server models --help`).
    Models {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Manage API keys (arguments as `callassist-server keys --help`).
    Keys {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Stream a call from a WAV file or a text script and print the server's events.
    Call(CallArgs),
    /// Manage a tenant's knowledge packs.
    Pack {
        #[command(subcommand)]
        cmd: PackCmd,
    },
    /// Search a tenant's knowledge.
    Search {
        query: String,
        #[arg(long)]
        tenant: String,
        /// Hits to return.
        #[arg(short, default_value_t = 5)]
        k: u32,
        /// Only documents of this kind (repeatable).
        #[arg(long = "kind", value_parser = ["product", "case", "legal", "faq", "competitor", "script"])]
        kinds: Vec<String>,
        /// One JSON object per hit.
        #[arg(long)]
        json: bool,
    },
    /// Follow a tenant's call events from the server's event log (backlog, then live) until
    /// Ctrl-C.
    Subscribe(SubscribeArgs),
}

#[derive(Debug, Args)]
struct SubscribeArgs {
    /// Tenant whose events to follow.
    #[arg(long)]
    tenant: String,
    /// Resume after this cursor (the `cursor` of the last event processed); default: from the
    /// beginning of the log.
    #[arg(long = "from")]
    from: Option<String>,
    /// Only events of this type (repeatable).
    #[arg(long = "type", value_parser = EVENT_TYPES)]
    types: Vec<String>,
    /// Only events of this call (repeatable).
    #[arg(long = "call")]
    call_ids: Vec<String>,
    /// Print one JSON object per event (the `call --json` fields plus `cursor`, `tenant_id`,
    /// `logged_at_ms`).
    #[arg(long)]
    json: bool,
    /// Exit when the connection drops instead of re-subscribing after the last event printed
    /// (by default a server restart or network loss is waited out and nothing is missed).
    #[arg(long)]
    no_reconnect: bool,
}

/// The event type names the server's filter accepts.
use callassist_proto::EVENT_TYPES;

#[derive(Debug, Subcommand)]
enum PackCmd {
    /// Upload a pack: a directory with pack.toml, a .tar.gz or a .zip.
    Upload {
        path: PathBuf,
        #[arg(long)]
        tenant: String,
    },
    /// List the tenant's packs.
    List {
        #[arg(long)]
        tenant: String,
    },
    /// Delete one of the tenant's packs.
    Delete {
        id: String,
        #[arg(long)]
        tenant: String,
    },
}

#[derive(Debug, Args)]
struct CallArgs {
    /// WAV file: 16-bit PCM, mu-law or A-law; mono or stereo; any sample rate.
    wav: Option<PathBuf>,
    /// Text script instead of audio: one `AGENT: ...` / `CUSTOMER: ...` line per utterance.
    #[arg(long, conflicts_with = "wav")]
    text: Option<PathBuf>,
    /// Tenant whose knowledge and rules apply.
    #[arg(long, default_value = "default")]
    tenant: String,
    /// In a stereo file, the channel (0 or 1) that carries the agent.
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u8).range(0..=1))]
    agent_channel: u8,
    /// In a mono file, who speaks: agent or customer.
    #[arg(long, default_value = "customer", value_parser = ["agent", "customer"])]
    mono_role: String,
    /// Language hint (en, zh); repeat for several.
    #[arg(long = "language")]
    languages: Vec<String>,
    /// Send frames at wall-clock speed (20 ms each), as a softphone would.
    #[arg(long)]
    realtime: bool,
    /// Print one JSON object per event.
    #[arg(long)]
    json: bool,
    /// Do not ask for partial hypotheses.
    #[arg(long)]
    no_interim: bool,
    /// Call id (default: the server makes one).
    #[arg(long, default_value = "")]
    call_id: String,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let _ = API_KEY.set(cli.api_key.clone());
    let _ = TLS.set(cli.tls.clone());
    let result = match cli.cmd {
        Cmd::Serve { args } => delegate("serve", args),
        Cmd::Models { args } => delegate("models", args),
        Cmd::Keys { args } => delegate("keys", args),
        Cmd::Call(args) => runtime().and_then(|rt| rt.block_on(run_call(&cli.server, args))),
        Cmd::Pack { cmd } => runtime().and_then(|rt| rt.block_on(run_pack(&cli.server, cmd))),
        Cmd::Subscribe(args) => {
            runtime().and_then(|rt| rt.block_on(run_subscribe(&cli.server, args)))
        }
        Cmd::Search {
            query,
            tenant,
            k,
            kinds,
            json,
        } => runtime().and_then(|rt| {
            rt.block_on(async {
                let client = connect(&cli.server).await?;
                for (i, h) in client.search(&tenant, &query, k, kinds).await?.iter().enumerate() {
                    if json {
                        println!(
                            "{}",
                            serde_json::json!({"chunk_id": h.chunk_id, "pack_id": h.pack_id, "doc_path": h.doc_path, "kind": h.kind, "score": h.score, "text": h.text})
                        );
                    } else {
                        println!("{}. [{:.4}] {} {} ({})\n   {}", i + 1, h.score, h.pack_id, h.doc_path, h.kind, h.text.replace('\n', " "));
                    }
                }
                Ok(ExitCode::SUCCESS)
            })
        }),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

async fn run_pack(server: &str, cmd: PackCmd) -> anyhow::Result<ExitCode> {
    match cmd {
        PackCmd::Upload { path, tenant } => {
            // Read and pack locally first, so a bad path fails before connecting.
            let (bytes, format) = callassist_client::packs::archive_bytes(&path)?;
            let client = connect(server).await?;
            let bar = indicatif::ProgressBar::new(bytes.len() as u64);
            bar.set_style(
                indicatif::ProgressStyle::with_template("uploading {bar:40} {bytes}/{total_bytes}")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            let b = bar.clone();
            let s = client
                .upload_pack(&tenant, bytes, format, move |sent, _| b.set_position(sent))
                .await;
            bar.finish_and_clear();
            let s = s?;
            println!(
                "stored {} version {} ({}): {} documents, {} chunks, {} rules, {} stages",
                s.pack_id, s.version, s.name, s.documents, s.chunks, s.rules, s.stages
            );
        }
        PackCmd::List { tenant } => {
            let client = connect(server).await?;
            for p in client.list_packs(&tenant).await? {
                println!(
                    "{}\t{}\t{}\t{} documents, {} chunks, {} rules",
                    p.pack_id, p.version, p.name, p.documents, p.chunks, p.rules
                );
            }
        }
        PackCmd::Delete { id, tenant } => {
            let client = connect(server).await?;
            client.delete_pack(&tenant, &id).await?;
            println!("deleted {id}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs `callassist-server SUBCOMMAND ARGS...` from beside this binary (or PATH).
fn delegate(sub: &str, args: Vec<String>) -> anyhow::Result<ExitCode> {
    let name = "callassist-server";
    let beside = std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(|d| d.join(name)))
        .filter(|p| p.exists());
    let program = beside.unwrap_or_else(|| PathBuf::from(name));
    let mut cmd = std::process::Command::new(&program);
    cmd.arg(sub).args(&args);
    let hint = || {
        format!(
            "cannot run {}: build it with `cargo build --release` (it is installed beside `callassist`)",
            program.display()
        )
    };
    // Replace this process, so signals (Ctrl-C, SIGTERM) reach the server itself.
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        let err = cmd.exec();
        Err(anyhow::Error::from(err).context(hint()))
    }
    #[cfg(not(unix))]
    {
        let status = cmd.status().with_context(hint)?;
        Ok(ExitCode::from(
            status.code().unwrap_or(1).clamp(0, 255) as u8
        ))
    }
}

async fn run_call(server: &str, args: CallArgs) -> anyhow::Result<ExitCode> {
    let opts = CallOptions {
        tenant: args.tenant.clone(),
        call_id: args.call_id.clone(),
        language_codes: args.languages.clone(),
        interim_results: !args.no_interim,
        realtime: args.realtime,
        agent_channel: args.agent_channel as usize,
        mono_role: if args.mono_role == "agent" {
            Role::Agent
        } else {
            Role::Customer
        },
        ..CallOptions::default()
    };
    // Read and check the input before connecting, so a bad file fails fast.
    let requests = match (&args.wav, &args.text) {
        (Some(path), None) => {
            let audio = WavAudio::read(path)?;
            if !args.json {
                eprintln!(
                    "streaming {} ({} Hz, {} channel(s), {:.1} s)",
                    path.display(),
                    audio.sample_rate,
                    audio.channels,
                    audio.duration_ms() as f64 / 1000.0
                );
            }
            call::audio_requests(&audio, &opts)
        }
        (None, Some(path)) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            let lines = call::parse_script(&text)
                .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
            call::text_requests(&lines, &opts)
        }
        _ => bail!("give a WAV file or --text SCRIPT.txt"),
    };
    let pace = opts
        .realtime
        .then(|| std::time::Duration::from_millis(opts.frame_ms as u64));
    let client = connect(server).await?;
    let mut events = call::stream_requests(&client, requests, pace).await?;
    while let Some(ev) = events
        .message()
        .await
        .map_err(callassist_client::ClientError::from)?
    {
        if args.json {
            println!("{}", json::event_json(&ev));
        } else if let Some(line) = json::event_text(&ev) {
            println!("{line}");
        }
        if json::event_type(&ev) == "end" {
            return Ok(ExitCode::SUCCESS);
        }
    }
    Err(callassist_client::ClientError::Truncated.into())
}

/// What `subscribe` reads, with or without reconnects.
type FollowedStream =
    std::pin::Pin<Box<dyn futures::Stream<Item = Result<Followed, ClientError>> + Send>>;

async fn run_subscribe(server: &str, args: SubscribeArgs) -> anyhow::Result<ExitCode> {
    use futures::StreamExt;

    let client = connect(server).await?;
    let request = callassist_client::pb::SubscribeRequest {
        tenant_id: args.tenant.clone(),
        from_cursor: args.from.clone().unwrap_or_default(),
        types: args.types.clone(),
        call_ids: args.call_ids.clone(),
    };
    let mut last = args.from.clone();
    let resume = |last: &Option<String>| match last {
        Some(c) => format!("resume with --from {c}"),
        None => "nothing received yet".to_string(),
    };
    let print = |env: &callassist_client::pb::EventEnvelope| {
        if args.json {
            println!("{}", json::envelope_json(env));
        } else {
            println!("{}", json::envelope_text(env));
        }
    };
    // Both modes yield `Followed`: with reconnects, `Client::follow`; with --no-reconnect, the
    // plain subscription's envelopes as `Followed::Event` (its first error ends the loop).
    // Without reconnects, failing to subscribe at all is reported as is, with no resume hint.
    let (mut events, ended): (FollowedStream, &str) = if args.no_reconnect {
        let events = client.subscribe_with(request).await?;
        let events = events.map(|item| item.map(|env| Followed::Event(Box::new(env))));
        (Box::pin(events), "the server ended the subscription")
    } else {
        let events = client.follow(request, Backoff::default());
        (Box::pin(events), "the subscription ended")
    };
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    loop {
        let item = tokio::select! {
            _ = &mut ctrl_c => {
                eprintln!("stopped; {}", resume(&last));
                return Ok(ExitCode::SUCCESS);
            }
            item = events.next() => item,
        };
        match item {
            Some(Ok(Followed::Event(env))) => {
                print(&env);
                last = Some(env.cursor);
            }
            Some(Ok(Followed::Disconnected { reason, retry_in })) => {
                eprintln!("disconnected ({reason}); retrying in {retry_in:?}");
            }
            Some(Ok(Followed::Resumed { from_cursor })) => {
                let from = from_cursor.unwrap_or_else(|| "the beginning".into());
                eprintln!("resumed after cursor {from}");
            }
            Some(Err(e)) => bail!("{e}; {}", resume(&last)),
            None => bail!("{ended}; {}", resume(&last)),
        }
    }
}
