//! [`LlmPool`]: chat-model engines on their own OS threads behind an async handle (see
//! [`crate::worker`] for the queueing rules). Generated text streams back through a bounded
//! channel; when its receiver is dropped (the suggestion was superseded or the client left)
//! the generation stops at the next token.

use std::path::Path;
use std::sync::Arc;

use tokio::sync::mpsc;

use super::engine::{GenRequest, Generation, LlmEngine, LlmOptions};
use super::template::{ChatMessage, ChatTemplate};
use super::tokenizer::GgufTokenizer;
use crate::InferenceError;
use crate::worker::{PoolStats, WorkerPool};

struct LlmJob {
    req: GenRequest,
    pieces: Option<mpsc::Sender<String>>,
}

/// Cloneable async handle to the LLM worker threads.
#[derive(Clone)]
pub struct LlmPool {
    inner: WorkerPool<LlmJob, Generation>,
    template: Arc<ChatTemplate>,
    tokenizer: Arc<GgufTokenizer>,
}

impl std::fmt::Debug for LlmPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LlmPool")
            .field("name", &self.name())
            .field("stats", &self.stats())
            .finish()
    }
}

impl LlmPool {
    /// Loads `workers` engines from `path` (each holds its own KV cache; weights are read
    /// once per engine) and starts their threads; `queue` bounds waiting requests.
    pub fn load(
        path: &Path,
        opts: &LlmOptions,
        workers: usize,
        queue: usize,
    ) -> Result<Self, InferenceError> {
        let engines = (0..workers.max(1))
            .map(|_| LlmEngine::load(path, opts))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self::new(engines, queue))
    }

    /// Starts one thread per engine (all the same model).
    pub fn new(engines: Vec<LlmEngine>, queue: usize) -> Self {
        let first = engines.first().expect("at least one engine");
        let name = first.name().to_string();
        let template = Arc::new(first.template().clone());
        let tokenizer = Arc::new(first.tokenizer().clone());
        let inner = WorkerPool::new(engines, queue, "llm", name, |e, job: &LlmJob| {
            let mut send = |piece: &str| match &job.pieces {
                Some(tx) => tx.blocking_send(piece.to_string()).is_ok(),
                None => true,
            };
            e.generate(&job.req, &mut send)
        });
        Self {
            inner,
            template,
            tokenizer,
        }
    }

    /// Model name.
    pub fn name(&self) -> &str {
        self.inner.name()
    }

    /// Renders a chat prompt with the model's template.
    pub fn chat_prompt(
        &self,
        messages: &[ChatMessage],
        add_generation_prompt: bool,
    ) -> Result<String, InferenceError> {
        self.template.render(messages, add_generation_prompt)
    }

    /// The model's tokenizer (for counting tokens).
    pub fn tokenizer(&self) -> &GgufTokenizer {
        &self.tokenizer
    }

    /// Generates, streaming pieces of text into `pieces` (if given); waits for queue room.
    pub async fn generate(
        &self,
        req: GenRequest,
        pieces: Option<mpsc::Sender<String>>,
    ) -> Result<Generation, InferenceError> {
        self.inner.submit(LlmJob { req, pieces }, false).await
    }

    /// Like [`LlmPool::generate`] but answers `Overloaded` at once when the queue is full.
    pub async fn try_generate(
        &self,
        req: GenRequest,
        pieces: Option<mpsc::Sender<String>>,
    ) -> Result<Generation, InferenceError> {
        self.inner.submit(LlmJob { req, pieces }, true).await
    }

    /// Current numbers.
    pub fn stats(&self) -> PoolStats {
        self.inner.stats()
    }
}
