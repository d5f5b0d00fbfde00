//! The callassist server: gRPC services (calls, knowledge, events, health, reflection) over a
//! shared [`AppState`]. `main.rs` is a thin wrapper around [`cli::main`]; tests call
//! [`serve`] with a listener bound to `127.0.0.1:0` and their own shutdown future.

pub mod adoption;
pub mod assist;
pub mod auth;
pub mod call;
pub mod cli;
pub mod config;
pub mod error;
pub mod eventlog;
pub mod knowledge;
pub mod metrics;
mod recognizers;
pub mod redact;
mod server;
pub mod services;
pub mod shutdown;
pub mod state;
pub mod tenants;
pub mod tls;

pub use config::{AsrModel, ServerConfig};
pub use recognizers::{load_asr_pool, load_composer, load_embed_pool};
pub use server::serve;
pub use state::AppState;
