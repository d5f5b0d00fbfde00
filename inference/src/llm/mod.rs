//! The local chat model: GGUF weights (llama and qwen2 families) run with candle on dedicated
//! threads, a `tokenizers` tokenizer and the chat template built from the GGUF metadata,
//! streaming generation with stop strings, sampling and cancellation, and prefix caching.

mod engine;
mod gguf;
mod model;
mod pool;
mod sampler;
mod template;
mod tokenizer;

pub use engine::{CancelFlag, GenRequest, Generation, LlmEngine, LlmOptions, StopReason};
pub use model::{Arch, DENSE_MIN_ROWS, ModelConfig, PromptWeights};
pub use pool::LlmPool;
pub use sampler::SamplingParams;
pub use template::{ChatMessage, ChatRole, ChatTemplate};
pub use tokenizer::GgufTokenizer;
