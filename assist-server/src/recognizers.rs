//! Builds the model pools the config asks for (speech recognizers, sentence embedder): ensures
//! the model files are in the cache (fetching them on first use) and loads one model per
//! worker thread.

use callassist_inference::asr::whisper::WhisperRecognizer;
use callassist_inference::asr::whispercpp::{WhisperCppOptions, WhisperCppRecognizer};
use callassist_inference::asr::{AsrPool, Recognizer};
use callassist_models::{Asset, ModelHome};

use callassist_inference::embed::{E5Embedder, EmbedPool, Embedder, MiniLmEmbedder};

use crate::config::{AsrBackend, AsrModel, EmbedModel, ServerConfig};

/// Loads `cfg.asr_workers` Whisper models on `cfg.asr_backend`. Blocking: call from
/// `spawn_blocking` or before the runtime serves requests.
pub fn load_asr_pool(cfg: &ServerConfig, home: &ModelHome) -> anyhow::Result<AsrPool> {
    let asset = match cfg.asr_model {
        AsrModel::TinyEn => Asset::WhisperTinyEn,
        AsrModel::Base => Asset::WhisperBase,
    };
    let workers = cfg.asr_workers.max(1);
    let mut recognizers: Vec<Box<dyn Recognizer>> = Vec::new();
    match cfg.asr_backend {
        AsrBackend::Candle => {
            let files = callassist_models::whisper_files(home, asset)?;
            for _ in 0..workers {
                recognizers.push(Box::new(WhisperRecognizer::load(&files)?));
            }
        }
        AsrBackend::Whispercpp => {
            let path = callassist_models::whisper_ggml_file(home, asset)?;
            let opts = WhisperCppOptions {
                threads: cfg.asr_threads.max(1),
                align_words: cfg.asr_word_alignment,
                ..Default::default()
            };
            for _ in 0..workers {
                recognizers.push(Box::new(WhisperCppRecognizer::load(&path, opts.clone())?));
            }
        }
    }
    tracing::info!(
        model = asset.name(),
        backend = ?cfg.asr_backend,
        workers = recognizers.len(),
        "speech recognizer loaded"
    );
    Ok(AsrPool::new(recognizers, cfg.asr_queue))
}

/// Loads the sentence embedder for the knowledge base, or `None` when disabled.
pub fn load_embed_pool(cfg: &ServerConfig, home: &ModelHome) -> anyhow::Result<Option<EmbedPool>> {
    let embedder: Box<dyn Embedder> = match cfg.embed_model {
        EmbedModel::None => return Ok(None),
        EmbedModel::E5 => Box::new(E5Embedder::load(&callassist_models::e5_small_file(home)?)?),
        EmbedModel::Minilm => Box::new(MiniLmEmbedder::load(&callassist_models::minilm_files(
            home,
        )?)?),
    };
    tracing::info!(model = %embedder.name(), "sentence embedder loaded");
    Ok(Some(EmbedPool::new(vec![embedder], cfg.asr_queue)))
}

/// Loads the configured LLM into one worker thread, or `None` when it is off.
pub fn load_composer(
    cfg: &ServerConfig,
    home: &ModelHome,
) -> anyhow::Result<Option<crate::assist::compose::Composer>> {
    use crate::config::LlmModel;
    use callassist_inference::llm::{LlmOptions, LlmPool};
    let asset = match cfg.llm {
        LlmModel::Off => return Ok(None),
        LlmModel::Qwen => callassist_models::Asset::LlmQwen05,
        LlmModel::Smollm2 => callassist_models::Asset::LlmSmolLm2,
    };
    let path = callassist_models::llm_file(home, asset)?;
    // One worker: a second would only compete for the same cores. Requests beyond a few
    // queued are dropped (suggestions) or wait (summaries).
    use crate::config::PromptWeightsArg;
    use callassist_inference::llm::PromptWeights;
    let opts = LlmOptions {
        prompt_weights: match cfg.llm_prompt_weights {
            PromptWeightsArg::F32 => PromptWeights::F32,
            PromptWeightsArg::F16 => PromptWeights::F16,
            PromptWeightsArg::Quantized => PromptWeights::Quantized,
        },
        ..Default::default()
    };
    let pool = LlmPool::load(&path, &opts, 1, 4)?;
    tracing::info!(model = %pool.name(), "LLM loaded");
    Ok(Some(crate::assist::compose::Composer {
        pool,
        suggestion_tokens: cfg.llm_suggestion_tokens,
        summary_tokens: cfg.llm_summary_tokens,
    }))
}
