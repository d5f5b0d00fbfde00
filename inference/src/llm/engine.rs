//! [`LlmEngine`]: one loaded chat model (weights, GGUF tokenizer, chat template) and its KV
//! cache, generating on the calling thread. A request is a `prefix` (system prompt and the
//! tenant's standing context) plus a `prompt`; cached positions shared with the previous
//! request are kept, and the KV of recent prefixes is saved, so a new request usually
//! computes only its own new tokens. Text streams out through a callback as it is decoded;
//! the callback returning `false` cancels.

use std::collections::VecDeque;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use super::gguf::GgufFile;
use super::model::{KvSnapshot, ModelConfig, PromptWeights, Transformer};
use super::sampler::{Sampler, SamplingParams};
use super::template::{ChatMessage, ChatTemplate};
use super::tokenizer::GgufTokenizer;
use crate::InferenceError;

/// Tokens run through the model per forward call while processing a prompt.
const PROMPT_BATCH: usize = 256;
/// Prefix snapshots kept (most recently used first).
const SNAPSHOTS: usize = 4;

/// Options for loading a model.
#[derive(Clone, Debug)]
pub struct LlmOptions {
    /// Longest prompt + reply, in tokens.
    pub max_context: usize,
    /// How weights are kept for prompt batches (memory against prompt speed).
    pub prompt_weights: PromptWeights,
}

impl Default for LlmOptions {
    fn default() -> Self {
        Self {
            max_context: 4096,
            prompt_weights: PromptWeights::F32,
        }
    }
}

/// Set from another thread to stop a generation at the next token.
#[derive(Clone, Debug, Default)]
pub struct CancelFlag(Arc<AtomicBool>);

impl CancelFlag {
    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// One generation request.
#[derive(Clone, Debug, Default)]
pub struct GenRequest {
    /// Text whose KV is worth keeping across requests (system prompt, standing context).
    pub prefix: String,
    /// The rest of the prompt (ends where the reply starts).
    pub prompt: String,
    pub max_tokens: usize,
    pub sampling: SamplingParams,
    /// Generation ends before any of these strings.
    pub stop: Vec<String>,
    pub cancel: CancelFlag,
}

/// Why a generation ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StopReason {
    /// The model ended its turn.
    EndOfTurn,
    /// A stop string appeared.
    StopString,
    MaxTokens,
    Cancelled,
}

/// What a generation did, with timings.
#[derive(Clone, Debug, PartialEq)]
pub struct Generation {
    pub text: String,
    pub stop: StopReason,
    /// Tokens of prefix + prompt.
    pub prompt_tokens: usize,
    /// Of those, taken from the cache instead of computed.
    pub reused_tokens: usize,
    pub generated_tokens: usize,
    /// Time to process the uncached prompt tokens.
    pub prompt_ms: f64,
    /// From the start of the request to the first generated token.
    pub first_token_ms: f64,
    /// Time spent generating after the first token.
    pub gen_ms: f64,
}

/// A loaded model with its cache. Not `Sync`: one thread drives it.
pub struct LlmEngine {
    name: String,
    model: Transformer,
    tokenizer: GgufTokenizer,
    template: ChatTemplate,
    /// Tokens whose K/V are in the cache, in order.
    cached: Vec<u32>,
    snapshots: VecDeque<(Vec<u32>, KvSnapshot)>,
    prefix_tokens: Option<(String, Vec<u32>)>,
}

impl std::fmt::Debug for LlmEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LlmEngine")
            .field("name", &self.name)
            .field("cached", &self.cached.len())
            .finish()
    }
}

impl LlmEngine {
    /// Loads a GGUF chat model (weights, tokenizer and chat template from the one file).
    pub fn load(path: &Path, opts: &LlmOptions) -> Result<Self, InferenceError> {
        let (gguf, mut reader) = GgufFile::open(path)?;
        let tokenizer = GgufTokenizer::from_gguf(&gguf)?;
        let source = gguf.string("tokenizer.chat_template")?;
        let token_text = |id: Option<u32>| {
            id.and_then(|id| tokenizer.decode(&[id], false).ok())
                .unwrap_or_default()
        };
        let bos = token_text(
            gguf.opt_uint("tokenizer.ggml.bos_token_id")
                .map(|b| b as u32),
        );
        let eos = token_text(Some(tokenizer.eos()));
        let template = ChatTemplate::new(&source, &bos, &eos)?;
        let model = Transformer::load(&gguf, &mut reader, opts.max_context, opts.prompt_weights)?;
        let name = gguf
            .opt_string("general.name")
            .unwrap_or_else(|| path.display().to_string());
        Ok(Self {
            name,
            model,
            tokenizer,
            template,
            cached: Vec::new(),
            snapshots: VecDeque::new(),
            prefix_tokens: None,
        })
    }

    /// The model's name from its metadata.
    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn config(&self) -> &ModelConfig {
        &self.model.cfg
    }

    pub fn tokenizer(&self) -> &GgufTokenizer {
        &self.tokenizer
    }

    pub fn template(&self) -> &ChatTemplate {
        &self.template
    }

    /// Renders `messages` with the model's chat template.
    pub fn chat_prompt(
        &self,
        messages: &[ChatMessage],
        add_generation_prompt: bool,
    ) -> Result<String, InferenceError> {
        self.template.render(messages, add_generation_prompt)
    }

    /// Drops the cache (the next request computes everything).
    pub fn clear_cache(&mut self) {
        self.model.truncate(0);
        self.cached.clear();
        self.snapshots.clear();
    }

    /// Runs `tokens` after the cached ones, in batches; the logits of the last.
    fn feed(&mut self, tokens: &[u32]) -> Result<Vec<f32>, InferenceError> {
        let mut logits = Vec::new();
        for chunk in tokens.chunks(PROMPT_BATCH) {
            logits = self.model.forward(chunk)?;
            self.cached.extend_from_slice(chunk);
        }
        Ok(logits)
    }

    fn encode_prefix(&mut self, prefix: &str) -> Result<Vec<u32>, InferenceError> {
        if let Some((text, toks)) = &self.prefix_tokens
            && text == prefix
        {
            return Ok(toks.clone());
        }
        let toks = self.tokenizer.encode(prefix)?;
        self.prefix_tokens = Some((prefix.to_string(), toks.clone()));
        Ok(toks)
    }

    /// Brings the cache to the longest usable start of `tokens` (never all of them: the
    /// last is always computed to get logits). Returns how many are reused.
    /// With a prefix, nothing past it is reused: the rest is always computed as one batch, so
    /// the same request gives the same logits (a token computed alone goes through the
    /// single-row kernels, whose rounding differs from the batched ones).
    fn reuse(&mut self, tokens: &[u32], prefix_len: usize) -> Result<usize, InferenceError> {
        let mut lcp = common_prefix(&self.cached, tokens).min(tokens.len() - 1);
        if prefix_len > 0 {
            lcp = lcp.min(prefix_len);
        }
        if lcp < prefix_len
            && prefix_len < tokens.len()
            && let Some(pos) = self
                .snapshots
                .iter()
                .position(|(t, _)| t.as_slice() == &tokens[..prefix_len])
        {
            let entry = self.snapshots.remove(pos).expect("position is in range");
            self.model.restore(&entry.1)?;
            self.cached = entry.0.clone();
            self.snapshots.push_front(entry);
            return Ok(prefix_len);
        }
        self.model.truncate(lcp);
        self.cached.truncate(lcp);
        Ok(lcp)
    }

    fn remember_prefix(&mut self, prefix: &[u32]) -> Result<(), InferenceError> {
        if prefix.is_empty()
            || self.cached.len() < prefix.len()
            || self.snapshots.iter().any(|(t, _)| t.as_slice() == prefix)
        {
            return Ok(());
        }
        let snap = self.model.snapshot(prefix.len())?;
        self.snapshots.push_front((prefix.to_vec(), snap));
        self.snapshots.truncate(SNAPSHOTS);
        Ok(())
    }

    /// Generates a reply to `req`, calling `on_text` with each new piece of text; `on_text`
    /// returning `false` stops (reason `Cancelled`).
    pub fn generate(
        &mut self,
        req: &GenRequest,
        on_text: &mut dyn FnMut(&str) -> bool,
    ) -> Result<Generation, InferenceError> {
        let start = Instant::now();
        if req.cancel.is_cancelled() {
            // Superseded while queued: no work at all.
            return Ok(Generation {
                text: String::new(),
                stop: StopReason::Cancelled,
                prompt_tokens: 0,
                reused_tokens: 0,
                generated_tokens: 0,
                prompt_ms: 0.0,
                first_token_ms: 0.0,
                gen_ms: 0.0,
            });
        }
        let prefix = self.encode_prefix(&req.prefix)?;
        let mut tokens = prefix.clone();
        tokens.extend(self.tokenizer.encode(&req.prompt)?);
        if tokens.is_empty() {
            return Err(InferenceError::Tokenizer("empty prompt".into()));
        }
        let budget = self.model.cfg.max_context;
        if tokens.len() + req.max_tokens > budget {
            return Err(InferenceError::Tokenizer(format!(
                "prompt of {} tokens plus {} to generate exceeds the context of {budget}",
                tokens.len(),
                req.max_tokens
            )));
        }
        let reused = self.reuse(&tokens, prefix.len())?;
        // Compute the prefix first (if needed) so its KV can be saved on its own.
        let mut logits = Vec::new();
        if reused < prefix.len() && prefix.len() < tokens.len() {
            logits = self.feed(&tokens[reused..prefix.len()])?;
            self.remember_prefix(&prefix)?;
        }
        let done = self.cached.len();
        if done < tokens.len() {
            logits = self.feed(&tokens[done..])?;
        }
        let prompt_ms = ms(start);

        let mut sampler = Sampler::new(req.sampling.clone());
        let mut history = tokens.clone();
        let mut out: Vec<u32> = Vec::new();
        let mut sent = 0usize; // bytes of text already handed to on_text
        let hold = req.stop.iter().map(|s| s.len()).max().unwrap_or(1).max(1) - 1;
        let mut first_token_ms = 0.0;
        let gen_start = Instant::now();
        let stop_ids = self.tokenizer.stop_ids().to_vec();
        let mut text = String::new();
        let mut reason = StopReason::MaxTokens;
        while out.len() < req.max_tokens {
            if req.cancel.is_cancelled() {
                reason = StopReason::Cancelled;
                break;
            }
            let next = sampler.sample(&mut logits, &history);
            if out.is_empty() {
                first_token_ms = ms(start);
            }
            if stop_ids.contains(&next) {
                reason = StopReason::EndOfTurn;
                break;
            }
            out.push(next);
            history.push(next);
            text = self.tokenizer.decode(&out, true)?;
            if let Some(cut) = req.stop.iter().filter_map(|s| text.find(s.as_str())).min() {
                text.truncate(cut);
                reason = StopReason::StopString;
                break;
            }
            // Hand out what can no longer become part of a stop string or a split character.
            if !text.ends_with('\u{FFFD}') {
                let mut safe = text.len().saturating_sub(hold);
                while !text.is_char_boundary(safe) {
                    safe -= 1;
                }
                if safe > sent {
                    if !on_text(&text[sent..safe]) {
                        reason = StopReason::Cancelled;
                        break;
                    }
                    sent = safe;
                }
            }
            if out.len() >= req.max_tokens {
                break;
            }
            logits = self.feed(&[next])?;
        }
        let text = text.trim_end_matches('\u{FFFD}').to_string();
        if reason != StopReason::Cancelled && text.len() > sent {
            on_text(&text[sent..]);
        }
        Ok(Generation {
            text,
            stop: reason,
            prompt_tokens: tokens.len(),
            reused_tokens: reused,
            generated_tokens: out.len(),
            prompt_ms,
            first_token_ms,
            gen_ms: ms(gen_start),
        })
    }

    /// Logits after feeding `chunks` one after another from an empty cache (tests).
    #[doc(hidden)]
    pub fn debug_logits(&mut self, chunks: &[&[u32]]) -> Result<Vec<f32>, InferenceError> {
        self.clear_cache();
        let mut l = Vec::new();
        for c in chunks {
            l = self.model.forward(c)?;
            self.cached.extend_from_slice(c);
        }
        Ok(l)
    }

    /// Computes `tokens` from an empty cache and returns the time taken (benchmarks).
    pub fn process_prompt_uncached(&mut self, tokens: &[u32]) -> Result<f64, InferenceError> {
        self.clear_cache();
        let start = Instant::now();
        self.feed(tokens)?;
        Ok(ms(start))
    }

    /// Generates `n` tokens greedily after the cached ones, ignoring end-of-turn (benchmarks);
    /// returns the time taken.
    pub fn generate_tokens(&mut self, first: u32, n: usize) -> Result<f64, InferenceError> {
        let start = Instant::now();
        let mut next = first;
        for _ in 0..n {
            let logits = self.feed(&[next])?;
            next = super::sampler::argmax(&logits);
        }
        Ok(ms(start))
    }
}

fn common_prefix(a: &[u32], b: &[u32]) -> usize {
    a.iter().zip(b).take_while(|(x, y)| x == y).count()
}

fn ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1000.0
}
