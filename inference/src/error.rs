//! Errors of the inference layer.

/// What can go wrong while decoding audio or running a model.
#[derive(Debug, thiserror::Error)]
pub enum InferenceError {
    /// The client's audio does not match its declared format.
    #[error("invalid audio: {0}")]
    InvalidAudio(String),
    /// The audio format is one we cannot handle.
    #[error("unsupported audio format: {0}")]
    UnsupportedFormat(String),
    /// Loading model files failed.
    #[error("loading model from {path}: {detail}")]
    ModelLoad { path: String, detail: String },
    /// Fetching the model files failed.
    #[error(transparent)]
    Models(#[from] callassist_models::ModelError),
    /// The model itself failed while running.
    #[error("model error: {0}")]
    Model(#[from] candle_core::Error),
    /// whisper.cpp failed while running.
    #[error("whisper.cpp: {0}")]
    WhisperCpp(#[from] whisper_rs::WhisperError),
    /// Tokenizer failure.
    #[error("tokenizer: {0}")]
    Tokenizer(String),
    /// Every worker is busy and the queue is full: back off and retry.
    #[error("model workers overloaded: {0} requests already queued")]
    Overloaded(usize),
    /// The worker thread is gone (it panicked or the pool was shut down).
    #[error("model worker stopped")]
    WorkerGone,
}
