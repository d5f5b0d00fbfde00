//! Server configuration: one struct, from flags or `CALLASSIST_*` environment variables.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, ValueEnum};

/// Which Whisper model transcribes calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum AsrModel {
    /// English only, fastest (CI model).
    #[value(name = "tiny.en")]
    TinyEn,
    /// Multilingual (Mandarin + English).
    Base,
}

/// Which engine runs the Whisper model (same weights, same silence and loop guards).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum AsrBackend {
    /// whisper.cpp, on the ggml file `models pull` converts from the weights.
    Whispercpp,
    /// candle (pure Rust), on the converted safetensors.
    Candle,
}

/// Which per-frame speech decision endpoints each channel (docs/VAD.md compares them).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum VadArg {
    /// Energy over an adaptive floor and not spectrally flat (no model).
    Energy,
    /// The earshot crate's neural voice-activity detector.
    Earshot,
    /// earshot AND not spectrally flat (best overall in docs/VAD.md).
    EarshotFlat,
}

/// Which sentence embedder indexes and searches knowledge.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum EmbedModel {
    /// multilingual-e5-small (Chinese + English).
    E5,
    /// all-MiniLM-L6-v2 (English only).
    Minilm,
    /// No knowledge base: the Knowledge RPCs answer UNIMPLEMENTED.
    None,
}

/// Which local LLM composes suggestions and summaries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LlmModel {
    /// Qwen2.5-Coder-0.5B-Instruct, Q4_K_M (Chinese + English).
    Qwen,
    /// SmolLM2-135M-Instruct, Q4_1 (English, fastest; CI model).
    Smollm2,
    /// No LLM: rule and retrieval suggestions only, no summary.
    Off,
}

/// `--llm-prompt-weights` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum PromptWeightsArg {
    F32,
    F16,
    Quantized,
}

/// Everything `serve` needs.
#[derive(Clone, Debug, Args)]
pub struct ServerConfig {
    /// Address to listen on.
    #[arg(long, env = "CALLASSIST_LISTEN", default_value = "127.0.0.1:50051")]
    pub listen: SocketAddr,
    /// Directory for the server's data (knowledge store, event log).
    #[arg(long, env = "CALLASSIST_DATA", default_value = ".callassist/data")]
    pub data: PathBuf,
    /// Speech recognition model (fetched on first use).
    #[arg(long, env = "CALLASSIST_ASR_MODEL", value_enum, default_value = "base")]
    pub asr_model: AsrModel,
    /// Engine that runs the speech recognition model. whispercpp decodes 1.6-1.9x faster on
    /// one thread; candle is the default because whisper.cpp tiny.en misheard the synthesised
    /// test call's budget objection ("two expensive"), see docs/PERFORMANCE.md.
    #[arg(
        long,
        env = "CALLASSIST_ASR_BACKEND",
        value_enum,
        default_value = "candle"
    )]
    pub asr_backend: AsrBackend,
    /// Threads each whisper.cpp recognizer uses (candle's come from RAYON_NUM_THREADS). 1
    /// leaves the other core to the LLM (docs/PERFORMANCE.md).
    #[arg(long, env = "CALLASSIST_ASR_THREADS", default_value_t = 1)]
    pub asr_threads: usize,
    /// whisper.cpp: align word timings to the audio (DTW over the model's alignment heads,
    /// one more decoder pass per window; docs/PERFORMANCE.md has the cost). Off: word times
    /// from whisper.cpp's timestamp-token estimate. candle always spreads words over voiced
    /// frames.
    #[arg(long, env = "CALLASSIST_ASR_WORD_ALIGNMENT", default_value_t = true, action = clap::ArgAction::Set)]
    pub asr_word_alignment: bool,
    /// Give the recognizer the tenant's phrase hints and the channel's last words as Whisper's
    /// previous-text prompt. Off by default: on the synthesised test call it changed words
    /// ("Thanks" -> "Thank") and let the decoder repeat the prompt (docs/PERFORMANCE.md).
    #[arg(long, env = "CALLASSIST_ASR_PROMPTS")]
    pub asr_prompts: bool,
    /// Sentence embedder for the knowledge base (fetched on first use).
    #[arg(long, env = "CALLASSIST_EMBED_MODEL", value_enum, default_value = "e5")]
    pub embed_model: EmbedModel,
    /// Local LLM for grounded suggestions and the post-call summary (fetched on first use).
    #[arg(long, env = "CALLASSIST_LLM", value_enum, default_value = "qwen")]
    pub llm: LlmModel,
    /// Tokens a generated suggestion may have.
    #[arg(long, env = "CALLASSIST_LLM_SUGGESTION_TOKENS", default_value_t = 60)]
    pub llm_suggestion_tokens: usize,
    /// Tokens a summary may have.
    #[arg(long, env = "CALLASSIST_LLM_SUMMARY_TOKENS", default_value_t = 160)]
    pub llm_summary_tokens: usize,
    /// Threads of the LLM's quantized kernels (sets CANDLE_NUM_THREADS unless already set).
    /// 1 keeps generation steady while Whisper decodes on the other core (docs/PERFORMANCE.md).
    #[arg(long, env = "CALLASSIST_LLM_THREADS", default_value_t = 1)]
    pub llm_threads: usize,
    /// How the LLM keeps weights for prompt batches: f32 (fastest prompts, most memory), f16,
    /// or quantized (least memory).
    #[arg(
        long,
        env = "CALLASSIST_LLM_PROMPT_WEIGHTS",
        value_enum,
        default_value = "f32"
    )]
    pub llm_prompt_weights: PromptWeightsArg,
    /// Recognizer worker threads (each holds its own copy of the model).
    #[arg(long, env = "CALLASSIST_ASR_WORKERS", default_value_t = 1)]
    pub asr_workers: usize,
    /// Recognition requests that may wait for a worker before callers are held back.
    #[arg(long, env = "CALLASSIST_ASR_QUEUE", default_value_t = 16)]
    pub asr_queue: usize,
    /// Largest audio frame accepted, in bytes (INVALID_ARGUMENT); a StreamCall message over
    /// this (or --max-text-bytes if larger) plus 64 KiB is refused with OUT_OF_RANGE.
    #[arg(long, env = "CALLASSIST_MAX_FRAME_BYTES", default_value_t = 64 * 1024)]
    pub max_frame_bytes: usize,
    /// Largest text utterance accepted, in bytes.
    #[arg(long, env = "CALLASSIST_MAX_TEXT_BYTES", default_value_t = 4 * 1024)]
    pub max_text_bytes: usize,
    /// Calls served at once; more get RESOURCE_EXHAUSTED.
    #[arg(long, env = "CALLASSIST_MAX_CALLS", default_value_t = 64)]
    pub max_calls: usize,
    /// Calls one tenant may have in progress at once; more get RESOURCE_EXHAUSTED (checked
    /// when the call's config names the tenant).
    #[arg(long, env = "CALLASSIST_MAX_CALLS_PER_TENANT", default_value_t = 16)]
    pub max_calls_per_tenant: usize,
    /// New audio calls get RESOURCE_EXHAUSTED while recognition requests wait longer than
    /// this for a worker on average (the box is saturated: admitting more calls would make
    /// every call's transcripts late). 0: never refuse for load.
    #[arg(long, env = "CALLASSIST_MAX_ASR_WAIT_MS", default_value_t = 2_000)]
    pub max_asr_wait_ms: u64,
    /// Audio frames a call may send in any 1 s window; a call over it ends with
    /// RESOURCE_EXHAUSTED. 0 (default): no limit. A softphone sends 50/s at 20 ms, so 100
    /// suits softphone-only deployments; the `callassist call` CLI streams files faster than
    /// real time unless `--realtime`, which a limit refuses.
    #[arg(long, env = "CALLASSIST_MAX_FRAMES_PER_SEC", default_value_t = 0)]
    pub max_frames_per_sec: u32,
    /// Seconds a call may go without any request before it ends with DEADLINE_EXCEEDED.
    /// 0: no limit.
    #[arg(long, env = "CALLASSIST_IDLE_TIMEOUT_SECS", default_value_t = 60)]
    pub idle_timeout_secs: u64,
    /// HTTP/2 keepalive: ping idle connections every this many seconds and drop those that do
    /// not answer within as long; also the TCP keepalive time. 0: off.
    #[arg(long, env = "CALLASSIST_KEEPALIVE_SECS", default_value_t = 20)]
    pub keepalive_secs: u64,
    /// Largest knowledge pack archive accepted by UploadPack, compressed, in bytes.
    #[arg(long, env = "CALLASSIST_MAX_PACK_BYTES", default_value_t = 64 * 1024 * 1024)]
    pub max_pack_bytes: u64,
    /// Silence (ms) that ends an utterance.
    #[arg(long, env = "CALLASSIST_END_SILENCE_MS", default_value_t = 600)]
    pub end_silence_ms: u32,
    /// Silence (ms) inside an utterance after which what was said before it (at least 1 s
    /// of new audio) is transcribed as a final at once, while the speaker may go on. Shorter
    /// than --end-silence-ms to matter. 0: finals only when an utterance ends.
    #[arg(long, env = "CALLASSIST_PAUSE_MS", default_value_t = 200)]
    pub pause_ms: u32,
    /// Silence (ms) after an utterance that ends the speaker's turn (an END_OF_TURN speech
    /// event). 0: no such events.
    #[arg(long, env = "CALLASSIST_END_OF_TURN_MS", default_value_t = 1_200)]
    pub end_of_turn_ms: u32,
    /// Voice-activity engine of each channel's endpointer (docs/VAD.md has the measurement).
    #[arg(long, env = "CALLASSIST_VAD", value_enum, default_value_t = VadArg::Energy)]
    pub vad: VadArg,
    /// Interval (ms) between partial hypotheses of an utterance in progress.
    #[arg(long, env = "CALLASSIST_PARTIAL_INTERVAL_MS", default_value_t = 1000)]
    pub partial_interval_ms: u64,
    /// Mask phone, ID-card and bank-card numbers and e-mail addresses in transcripts and events
    /// of every tenant (per tenant: `callassist-server tenants set T --redact-pii on`).
    #[arg(long, env = "CALLASSIST_REDACT_PII")]
    pub redact_pii: bool,
    /// Seconds to let calls finish after a shutdown signal.
    #[arg(long, env = "CALLASSIST_DRAIN_SECS", default_value_t = 10)]
    pub drain_secs: u64,
    /// Serve TLS with this PEM certificate chain (needs --tls-key; clients then use https://).
    #[arg(long, env = "CALLASSIST_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key of --tls-cert.
    #[arg(long, env = "CALLASSIST_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Mutual TLS: require client certificates signed by this PEM CA.
    #[arg(long, env = "CALLASSIST_TLS_CLIENT_CA", requires = "tls_cert")]
    pub tls_client_ca: Option<PathBuf>,
    /// Serve Prometheus metrics at `http://ADDR/metrics` (e.g. 127.0.0.1:9464). Default: off.
    #[arg(long, env = "CALLASSIST_METRICS_LISTEN")]
    pub metrics_listen: Option<SocketAddr>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        use clap::Parser;
        #[derive(Parser)]
        struct Wrapper {
            #[command(flatten)]
            cfg: ServerConfig,
        }
        Wrapper::parse_from(["callassist-server"]).cfg
    }
}
