//! Prometheus metrics: a process-wide registry of atomics ([`registry`]), latency
//! histograms with fixed buckets ([`histogram`]), the text exposition format
//! ([`exposition`]) and a tiny `GET /metrics` responder ([`http`]) started by
//! `--metrics-listen`. Label sets are fixed: never a tenant or call id.

pub mod exposition;
pub mod histogram;
pub mod http;
pub mod registry;

pub use http::{serve_metrics, spawn_metrics};
pub use registry::{
    Stage, error, error_named, frame, frame_dropped, observe, observe_secs, since,
    suggestion_blocked,
};
