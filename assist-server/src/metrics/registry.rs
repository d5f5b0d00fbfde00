//! The process-wide metric registry: atomics only, fixed label sets (no tenant or call ids:
//! their cardinality is unbounded).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::histogram::Histogram;

/// A timed stage of the call path (`stage` label of `callassist_stage_seconds`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// Audio frame decode (LINEAR16 / MULAW / ALAW to f32 channels).
    Decode,
    /// VAD / endpointing over one channel's resampled audio.
    Vad,
    /// One recognition request, queueing for a worker included.
    Asr,
    /// The assist engine hearing one utterance (phrase rules, objections, emotion, ...).
    Rules,
    /// One knowledge search (embed + vector + keyword).
    Retrieval,
    /// Prompt to the first generated token of an LLM suggestion.
    LlmFirstToken,
}

impl Stage {
    pub const ALL: [Stage; 6] = [
        Stage::Decode,
        Stage::Vad,
        Stage::Asr,
        Stage::Rules,
        Stage::Retrieval,
        Stage::LlmFirstToken,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Stage::Decode => "decode",
            Stage::Vad => "vad",
            Stage::Asr => "asr",
            Stage::Rules => "rules",
            Stage::Retrieval => "retrieval",
            Stage::LlmFirstToken => "llm_first_token",
        }
    }
}

/// gRPC status code names, indexed by the code's number (0 = OK is never counted).
pub const CODE_NAMES: [&str; 17] = [
    "OK",
    "CANCELLED",
    "UNKNOWN",
    "INVALID_ARGUMENT",
    "DEADLINE_EXCEEDED",
    "NOT_FOUND",
    "ALREADY_EXISTS",
    "PERMISSION_DENIED",
    "RESOURCE_EXHAUSTED",
    "FAILED_PRECONDITION",
    "ABORTED",
    "OUT_OF_RANGE",
    "UNIMPLEMENTED",
    "INTERNAL",
    "UNAVAILABLE",
    "DATA_LOSS",
    "UNAUTHENTICATED",
];

/// Every metric the server exports that is not read from [`crate::AppState`] at scrape time.
#[derive(Debug)]
pub struct Registry {
    pub stages: [Histogram; Stage::ALL.len()],
    pub frames: AtomicU64,
    pub frames_dropped: AtomicU64,
    pub errors: [AtomicU64; CODE_NAMES.len()],
    pub suggestions_blocked: AtomicU64,
}

impl Registry {
    pub const fn new() -> Self {
        Self {
            stages: [const { Histogram::new() }; Stage::ALL.len()],
            frames: AtomicU64::new(0),
            frames_dropped: AtomicU64::new(0),
            errors: [const { AtomicU64::new(0) }; CODE_NAMES.len()],
            suggestions_blocked: AtomicU64::new(0),
        }
    }

    pub fn stage(&self, stage: Stage) -> &Histogram {
        &self.stages[stage as usize]
    }
}

impl Default for Registry {
    fn default() -> Self {
        Self::new()
    }
}

static REGISTRY: Registry = Registry::new();

/// The process-wide registry.
pub fn global() -> &'static Registry {
    &REGISTRY
}

/// Records how long `stage` took.
pub fn observe(stage: Stage, d: Duration) {
    REGISTRY.stage(stage).observe(d);
}

/// Records `stage` as having taken since `start`.
pub fn since(stage: Stage, start: Instant) {
    observe(stage, start.elapsed());
}

/// Records `secs` seconds for `stage`.
pub fn observe_secs(stage: Stage, secs: f64) {
    REGISTRY.stage(stage).observe_secs(secs);
}

/// One audio frame accepted.
pub fn frame() {
    REGISTRY.frames.fetch_add(1, Ordering::Relaxed);
}

/// One audio frame dropped (out of order or repeated sequence number).
pub fn frame_dropped() {
    REGISTRY.frames_dropped.fetch_add(1, Ordering::Relaxed);
}

/// One error sent to a client, as a gRPC status.
pub fn error(code: tonic::Code) {
    let i = (code as usize).min(CODE_NAMES.len() - 1);
    if i != 0 {
        REGISTRY.errors[i].fetch_add(1, Ordering::Relaxed);
    }
}

/// One error sent to a client as an `ErrorEvent` naming a gRPC code (unknown names count as
/// UNKNOWN, so the label set stays fixed).
pub fn error_named(code: &str) {
    let i = CODE_NAMES
        .iter()
        .position(|n| n.eq_ignore_ascii_case(code))
        .filter(|&i| i != 0)
        .unwrap_or(tonic::Code::Unknown as usize);
    REGISTRY.errors[i].fetch_add(1, Ordering::Relaxed);
}

/// One generated suggestion withheld by the compliance guard.
pub fn suggestion_blocked() {
    REGISTRY.suggestions_blocked.fetch_add(1, Ordering::Relaxed);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_names_match_tonic_numbers() {
        assert_eq!(
            CODE_NAMES[tonic::Code::InvalidArgument as usize],
            "INVALID_ARGUMENT"
        );
        assert_eq!(
            CODE_NAMES[tonic::Code::Unauthenticated as usize],
            "UNAUTHENTICATED"
        );
        assert_eq!(CODE_NAMES[tonic::Code::DataLoss as usize], "DATA_LOSS");
    }

    #[test]
    fn unknown_error_names_count_as_unknown() {
        let r = global();
        let before = r.errors[tonic::Code::Unknown as usize].load(Ordering::Relaxed);
        error_named("NOT_A_CODE");
        error_named("OK");
        let after = r.errors[tonic::Code::Unknown as usize].load(Ordering::Relaxed);
        assert!(after >= before + 2);
    }
}
