//! Whisper on candle-transformers: loads converted safetensors weights, computes the log-mel
//! input, detects the language on multilingual models, and decodes 30 s windows with
//! timestamps into timed segments, after a previous-text prompt (context and phrase hints).
//! A decode that looks wrong (compression ratio above 2.4, mean log-probability below -1, or a
//! cut loop) is retried at rising temperatures; silence is rejected by the no-speech
//! probability.
//!
//! Word times are approximate: candle's decoder does not expose its cross-attention weights,
//! so there is no token alignment; the words of a segment are spread over the segment's
//! timestamp tokens in proportion to their length in bytes, over the segment's voiced 20 ms
//! frames only (`words::spread`).

mod decode;
mod tokens;

use std::path::Path;

use candle_core::{Device, IndexOp, Tensor};
use candle_nn::VarBuilder;
use candle_nn::ops::softmax_last_dim;
use candle_transformers::models::whisper::{self as m, Config, audio};
use serde::Deserialize;
use tokenizers::Tokenizer;

use super::words::{self, TimedToken, Voice};
use super::{AsrOutput, AsrRequest, Recognizer, segments};
use crate::InferenceError;
use crate::asr::guards::{
    LOGPROB_THRESHOLD, SILENCE_DBFS, is_cjk, is_silent, join_segments, rms_dbfs,
};
pub use decode::DecodeOptions;
use tokens::SpecialTokens;

/// Samples in one 30 s window.
const WINDOW: usize = m::N_SAMPLES;
/// Temperatures tried in turn while a decode looks wrong (OpenAI's ladder); partials only
/// take the first.
const TEMPERATURES: [f32; 6] = [0.0, 0.2, 0.4, 0.6, 0.8, 1.0];
/// Fallback decodes stop once a window's decoding has taken this fraction of its audio
/// duration (a live call cannot wait for the whole ladder).
const FALLBACK_BUDGET: f32 = 0.5;
/// Text whose compression ratio is above this is a loop.
const COMPRESSION_RATIO_THRESHOLD: f32 = 2.4;
/// Prompt tokens kept (the most recent), as Whisper was trained: under half the context.
const MAX_PROMPT_TOKENS: usize = 223;
/// The prompt for Mandarin when the caller gives none: Whisper follows the prompt's script
/// and punctuation, so this asks for Simplified characters with punctuation.
pub const ZH_DEFAULT_PROMPT: &str = "以下是普通话的句子，请使用简体中文和标点符号。";

/// Extra decoding data carried over from the CTranslate2 package (`generation.json`).
#[derive(Debug, Default, Deserialize)]
struct Generation {
    #[serde(default)]
    suppress_ids: Vec<u32>,
    #[serde(default)]
    suppress_ids_begin: Vec<u32>,
}

/// How much of the 30 s encoder window is computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EncoderWindow {
    /// The full 30 s (1500 encoder positions), as Whisper was trained.
    Full,
    /// Only the audio plus `pad_ms` of trailing silence (like whisper.cpp's `audio_ctx`):
    /// much cheaper for short utterances.
    Fit { pad_ms: u32 },
}

impl EncoderWindow {
    /// The server's choice: audio + 1 s. On tiny.en it halved decode time against the full
    /// window with no loss of accuracy (docs/PERFORMANCE.md).
    pub const DEFAULT: EncoderWindow = EncoderWindow::Fit { pad_ms: 1_000 };
}

/// A loaded Whisper model (one per worker thread).
pub struct WhisperRecognizer {
    window: EncoderWindow,
    model: m::model::Whisper,
    tokenizer: Tokenizer,
    filters: Vec<f32>,
    sp: SpecialTokens,
    suppress: Vec<u32>,
    suppress_begin: Vec<u32>,
    device: Device,
    label: String,
}

fn load_err(path: &Path, e: impl std::fmt::Display) -> InferenceError {
    InferenceError::ModelLoad {
        path: path.display().to_string(),
        detail: e.to_string(),
    }
}

impl WhisperRecognizer {
    /// Loads a converted model (see `callassist_models::whisper_files`).
    pub fn load(files: &callassist_models::WhisperFiles) -> Result<Self, InferenceError> {
        let device = Device::Cpu;
        let cfg_text =
            std::fs::read_to_string(&files.config).map_err(|e| load_err(&files.config, e))?;
        let config: Config =
            serde_json::from_str(&cfg_text).map_err(|e| load_err(&files.config, e))?;
        let gen_cfg: Generation = match std::fs::read_to_string(&files.generation) {
            Ok(t) => serde_json::from_str(&t).map_err(|e| load_err(&files.generation, e))?,
            Err(_) => Generation::default(),
        };
        let tokenizer =
            Tokenizer::from_file(&files.tokenizer).map_err(|e| load_err(&files.tokenizer, e))?;
        let multilingual = config.vocab_size >= 51_865;
        let sp = SpecialTokens::from_tokenizer(&tokenizer, multilingual)?;
        // Read into memory: mmap would need `unsafe`, which the workspace denies.
        let bytes = std::fs::read(&files.weights).map_err(|e| load_err(&files.weights, e))?;
        let vb = VarBuilder::from_buffered_safetensors(bytes, m::DTYPE, &device)
            .map_err(|e| load_err(&files.weights, e))?;
        let filters =
            callassist_models::mel_filters(m::SAMPLE_RATE as u32, m::N_FFT, config.num_mel_bins);
        let mut suppress = gen_cfg.suppress_ids;
        suppress.extend(config.suppress_tokens.iter().copied());
        let model =
            m::model::Whisper::load(&vb, config).map_err(|e| load_err(&files.weights, e))?;
        let label = format!(
            "candle-whisper-{}",
            files
                .dir
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("model")
        );
        Ok(Self {
            window: EncoderWindow::DEFAULT,
            model,
            tokenizer,
            filters,
            sp,
            suppress,
            suppress_begin: gen_cfg.suppress_ids_begin,
            device,
            label,
        })
    }

    /// Chooses how much of the encoder window to compute.
    pub fn with_window(mut self, window: EncoderWindow) -> Self {
        self.window = window;
        self
    }

    fn features(&mut self, window: &[f32]) -> Result<Tensor, InferenceError> {
        let n_mels = self.model.config.num_mel_bins;
        let mel = audio::pcm_to_mel(&self.model.config, window, &self.filters);
        let frames = mel.len() / n_mels;
        let wanted = match self.window {
            EncoderWindow::Full => m::N_FRAMES,
            EncoderWindow::Fit { pad_ms } => {
                let audio_frames = window.len() / m::HOP_LENGTH + pad_ms as usize / 10;
                // conv2 has stride 2: keep an even frame count.
                audio_frames.div_ceil(2) * 2
            }
        };
        let mel = Tensor::from_vec(mel, (1, n_mels, frames), &self.device)?;
        let mel = mel.narrow(2, 0, wanted.min(m::N_FRAMES).min(frames))?;
        Ok(self.model.encoder.forward(&mel, true)?)
    }

    fn detect_language(&mut self, features: &Tensor) -> Result<(u32, String), InferenceError> {
        let input = Tensor::new(&[self.sp.sot], &self.device)?.unsqueeze(0)?;
        let ys = self.model.decoder.forward(&input, features, true)?;
        let logits = self
            .model
            .decoder
            .final_linear(&ys.i((..1, ..1))?)?
            .i(0)?
            .i(0)?;
        let ids: Vec<u32> = self.sp.languages.iter().map(|(id, _)| *id).collect();
        let idx = Tensor::new(ids.as_slice(), &self.device)?;
        let probs: Vec<f32> = softmax_last_dim(&logits.index_select(&idx, 0)?)?.to_vec1()?;
        let best = probs
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .map(|(i, _)| i)
            .unwrap_or(0);
        Ok(self.sp.languages[best].clone())
    }

    fn decode_text(&self, ids: &[u32]) -> Result<String, InferenceError> {
        self.tokenizer
            .decode(ids, true)
            .map_err(|e| InferenceError::Tokenizer(e.to_string()))
    }

    /// The previous-text prompt: `<|startofprev|>` and the last tokens of `text`.
    fn prompt_tokens(&self, text: &str) -> Result<Vec<u32>, InferenceError> {
        let Some(prev) = self.sp.prev else {
            return Ok(Vec::new());
        };
        let text = format!(" {}", text.trim());
        let enc = self
            .tokenizer
            .encode(text, false)
            .map_err(|e| InferenceError::Tokenizer(e.to_string()))?;
        let ids = enc.get_ids();
        let keep = &ids[ids.len().saturating_sub(MAX_PROMPT_TOKENS)..];
        let mut out = Vec::with_capacity(keep.len() + 1);
        out.push(prev);
        out.extend(keep.iter().copied().filter(|&t| t < self.sp.eot));
        Ok(out)
    }

    /// Transcribes one window (at most 30 s) whose first sample is at `offset_ms`.
    fn window(
        &mut self,
        samples: &[f32],
        offset_ms: u64,
        req: &AsrRequest,
        out: &mut AsrOutput,
    ) -> Result<(), InferenceError> {
        let language = req.language.as_deref();
        if rms_dbfs(samples) < SILENCE_DBFS {
            out.no_speech_prob = 1.0;
            return Ok(());
        }
        let features = self.features(samples)?;
        let mut sot_seq = vec![self.sp.sot];
        let prompt = &mut sot_seq;
        if !self.sp.languages.is_empty() {
            let hinted = language.and_then(|l| self.sp.language(l).map(|id| (id, l.to_string())));
            let (id, code) = match hinted {
                Some(x) => x,
                None => self.detect_language(&features)?,
            };
            prompt.push(id);
            out.language = code;
            // English-only models take the bare start token, multilingual ones the task too.
            prompt.push(self.sp.transcribe);
        } else {
            out.language = "en".into();
        }
        let given = req
            .prompt
            .as_deref()
            .map(str::trim)
            .filter(|p| !p.is_empty());
        let prompt_text = match (given, out.language.as_str()) {
            // Chinese context already sets script and punctuation; Latin-only hints do not.
            (Some(p), "zh") if !p.chars().any(is_cjk) => Some(format!("{ZH_DEFAULT_PROMPT}{p}")),
            (Some(p), _) => Some(p.to_string()),
            (None, "zh") => Some(ZH_DEFAULT_PROMPT.to_string()),
            (None, _) => None,
        };
        let mut full_prompt = match prompt_text {
            Some(t) => self.prompt_tokens(&t)?,
            None => Vec::new(),
        };
        full_prompt.extend_from_slice(&sot_seq);
        let audio_ms = samples.len() as u64 * 1000 / m::SAMPLE_RATE as u64;
        let temperatures: &[f32] = if req.partial {
            &TEMPERATURES[..1]
        } else {
            &TEMPERATURES
        };
        let mut best: Option<Attempt> = None;
        let started = std::time::Instant::now();
        for (i, &temperature) in temperatures.iter().enumerate() {
            let opts = DecodeOptions {
                // Fast speech is ~4 tokens/s; timestamps add 2 per segment.
                max_tokens: (24 + audio_ms as usize * 8 / 1000)
                    .min(self.model.config.max_target_positions / 2),
                audio_ms,
                max_initial_timestamp_s: 1.0,
                temperature,
                seed: i as u64 + 1,
            };
            let d = decode::decode(
                &mut self.model,
                &features,
                &full_prompt,
                &self.sp,
                &self.suppress,
                &self.suppress_begin,
                &opts,
            )?;
            out.tokens += d.tokens.len();
            let text_ids: Vec<u32> = d
                .tokens
                .iter()
                .copied()
                .filter(|&t| t < self.sp.eot)
                .collect();
            let avg = if d.tokens.is_empty() {
                0.0
            } else {
                d.sum_logprob / d.tokens.len() as f32
            };
            if i == 0 {
                out.no_speech_prob = out.no_speech_prob.max(d.no_speech_prob);
                if text_ids.is_empty() || is_silent(d.no_speech_prob, avg) {
                    return Ok(());
                }
            }
            let ratio = compression_ratio(&self.decode_text(&text_ids)?);
            let attempt = Attempt {
                // A loop the repetition guard cut is already handled; a loop it missed
                // shows in the compression ratio.
                good_ratio: ratio <= COMPRESSION_RATIO_THRESHOLD,
                avg,
                ratio,
                temperature,
                decoded: d,
            };
            let done = attempt.good_ratio && avg >= LOGPROB_THRESHOLD;
            tracing::debug!(
                temperature,
                avg,
                ratio,
                looped = attempt.decoded.looped,
                "decode"
            );
            if best.as_ref().is_none_or(|b| attempt.better_than(b)) {
                best = Some(attempt);
            }
            // Live calls cannot wait for the whole ladder: stop once the window has cost
            // more than FALLBACK_BUDGET of its own audio duration.
            let over_budget =
                started.elapsed().as_secs_f32() > audio_ms as f32 / 1000.0 * FALLBACK_BUDGET;
            if done || over_budget {
                break;
            }
        }
        let Some(best) = best else {
            return Ok(());
        };
        let d = best.decoded;
        out.avg_logprob = best.avg;
        out.temperature = out.temperature.max(best.temperature);
        out.compression_ratio = out.compression_ratio.max(best.ratio);
        // Split into segments at timestamp pairs; words spread over their segment.
        let end_ms = offset_ms + audio_ms;
        let splits = segments::split(
            &d.tokens,
            self.sp.eot,
            self.sp.timestamp_begin,
            offset_ms,
            end_ms,
            |ids| self.decode_text(ids),
        )?;
        let voice = Voice::new(samples, offset_ms);
        let mut window_words = Vec::new();
        for s in splits {
            let mut tokens = Vec::with_capacity(s.tokens.len());
            for &i in &s.tokens {
                let id = d.tokens[i];
                let bytes = SpecialTokens::bytes(&self.tokenizer, id).ok_or_else(|| {
                    InferenceError::Tokenizer(format!("token {id} missing from tokenizer"))
                })?;
                tokens.push(TimedToken {
                    bytes,
                    start_ms: 0,
                    end_ms: 0,
                    probability: d.logprobs.get(i).map_or(0.0, |l| l.exp()),
                });
            }
            words::spread(&mut tokens, s.segment.start_ms, s.segment.end_ms, &voice);
            window_words.extend(words::merge(&tokens));
            out.segments.push(s.segment);
        }
        words::trim(&mut window_words, &voice);
        words::tidy(&mut window_words, offset_ms, end_ms);
        out.words.extend(window_words);
        Ok(())
    }
}

impl Recognizer for WhisperRecognizer {
    fn transcribe(&mut self, req: &AsrRequest) -> Result<AsrOutput, InferenceError> {
        let mut out = AsrOutput::default();
        for (i, chunk) in req.samples.chunks(WINDOW).enumerate() {
            // A trailing scrap under 0.2 s holds no words worth a decode.
            if chunk.len() < m::SAMPLE_RATE / 5 {
                continue;
            }
            let offset = (i * WINDOW) as u64 * 1000 / m::SAMPLE_RATE as u64;
            self.window(chunk, offset, req, &mut out)?;
        }
        let joined: Vec<&str> = out.segments.iter().map(|s| s.text.as_str()).collect();
        out.text = join_segments(&joined);
        Ok(out)
    }

    fn name(&self) -> String {
        self.label.clone()
    }
}

/// One decode of a window, kept while trying temperatures.
struct Attempt {
    decoded: decode::Decoded,
    avg: f32,
    ratio: f32,
    /// No loop: compression ratio under the threshold.
    good_ratio: bool,
    temperature: f32,
}

impl Attempt {
    /// A loop-free decode beats a looping one; then the higher mean log-probability wins.
    fn better_than(&self, other: &Attempt) -> bool {
        (self.good_ratio, self.avg) > (other.good_ratio, other.avg)
    }
}

/// `text`'s length over its gzip-compressed length (OpenAI's loop detector).
pub fn compression_ratio(text: &str) -> f32 {
    use std::io::Write;
    if text.is_empty() {
        return 0.0;
    }
    let mut z = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    // Writing to a Vec cannot fail.
    let _ = z.write_all(text.as_bytes());
    let compressed = z.finish().map(|v| v.len()).unwrap_or(text.len());
    text.len() as f32 / compressed.max(1) as f32
}

#[cfg(test)]
mod tests {
    use super::{compression_ratio, join_segments};

    #[test]
    fn loops_compress_far_better_than_speech() {
        let speech = "And so my fellow Americans, ask not what your country can do for you, \
                      ask what you can do for your country.";
        assert!(
            compression_ratio(speech) < 2.0,
            "{}",
            compression_ratio(speech)
        );
        let looped = "Thank you. ".repeat(20);
        assert!(
            compression_ratio(&looped) > 2.4,
            "{}",
            compression_ratio(&looped)
        );
        assert_eq!(compression_ratio(""), 0.0);
    }

    #[test]
    fn joins_latin_with_spaces_and_cjk_without() {
        assert_eq!(
            join_segments(&["Hello there.", "How are you?"]),
            "Hello there. How are you?"
        );
        assert_eq!(join_segments(&["你好。", "我们聊聊"]), "你好。我们聊聊");
    }
}
