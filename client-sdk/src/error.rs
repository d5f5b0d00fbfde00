//! Errors of the client SDK.

/// What a client call can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    #[error("invalid server URL {url:?}: {detail}")]
    BadUrl { url: String, detail: String },
    #[error("cannot connect to {url}: {detail} (is `callassist serve` running?)")]
    Connect { url: String, detail: String },
    /// The TLS handshake or TLS settings failed (certificate not trusted, wrong name, ...).
    #[error("TLS with {url} failed: {detail}")]
    Tls { url: String, detail: String },
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
        let mut message = s.message().to_string();
        // A status made locally from a transport failure says only "transport error"; its
        // source says why (e.g. the server's TLS alert "CertificateRequired").
        if let Some(source) = std::error::Error::source(&s) {
            let why = crate::tls::error_chain(source);
            if !why.starts_with(&message) {
                message.push_str(": ");
            } else {
                message.clear();
            }
            message.push_str(&why);
        }
        ClientError::Status {
            code: s.code(),
            message,
        }
    }
}
