//! Errors of the client SDK.

/// What a client call can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    #[error("invalid server URL {url:?}: {detail}")]
    BadUrl { url: String, detail: String },
    #[error("cannot connect to {url}: {detail} (is `callassist serve` running?)")]
    Connect { url: String, detail: String },
    #[error("{path}: {detail}")]
    /// A local file (WAV, script, pack) cannot be used.
    Input { path: String, detail: String },
    #[error("server answered {code:?}: {message}")]
    Status { code: tonic::Code, message: String },
    #[error("the call stream ended before the server sent `end`")]
    Truncated,
}

impl From<tonic::Status> for ClientError {
    fn from(s: tonic::Status) -> Self {
        ClientError::Status {
            code: s.code(),
            message: s.message().to_string(),
        }
    }
}
