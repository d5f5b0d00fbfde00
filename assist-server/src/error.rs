//! Call errors and the one table that maps them to gRPC status codes.

use callassist_inference::InferenceError;
use tonic::{Code, Status};

/// Why a call (or a request on it) failed.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// The client sent something malformed; the message says what to fix.
    #[error("{0}")]
    Invalid(String),
    /// The client asked for something not built yet.
    #[error("{0}")]
    Unimplemented(String),
    /// Too many calls or requests.
    #[error("{0}")]
    Exhausted(String),
    /// The server is going away.
    #[error("server is shutting down; retry on another replica")]
    ShuttingDown,
    /// Audio the client sent cannot be decoded, or a model failed.
    #[error("{}", inference_message(.0))]
    Inference(#[from] InferenceError),
}

/// Bad client audio is named as such; anything else is the recognizer's own failure.
fn inference_message(e: &InferenceError) -> String {
    match e {
        InferenceError::InvalidAudio(_) | InferenceError::UnsupportedFormat(_) => e.to_string(),
        _ => format!("speech recognition failed: {e}"),
    }
}

impl From<CallError> for Status {
    fn from(e: CallError) -> Self {
        let code = match &e {
            CallError::Invalid(_) => Code::InvalidArgument,
            CallError::Unimplemented(_) => Code::Unimplemented,
            CallError::Exhausted(_) => Code::ResourceExhausted,
            CallError::ShuttingDown => Code::Unavailable,
            CallError::Inference(InferenceError::InvalidAudio(_))
            | CallError::Inference(InferenceError::UnsupportedFormat(_)) => Code::InvalidArgument,
            CallError::Inference(InferenceError::Overloaded(_)) => Code::ResourceExhausted,
            CallError::Inference(_) => Code::Internal,
        };
        Status::new(code, e.to_string())
    }
}
