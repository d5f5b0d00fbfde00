//! Whisper on candle-transformers: loads converted safetensors weights, computes the log-mel
//! input, detects the language on multilingual models, and decodes 30 s windows greedily with
//! timestamps into timed segments. Silence is rejected by the no-speech probability.

mod decode;
mod tokens;

use std::path::Path;

use candle_core::{Device, IndexOp, Tensor};
use candle_nn::VarBuilder;
use candle_nn::ops::softmax_last_dim;
use candle_transformers::models::whisper::{self as m, Config, audio};
use serde::Deserialize;
use tokenizers::Tokenizer;

use super::{AsrOutput, AsrRequest, AsrSegment, Recognizer};
use crate::InferenceError;
pub use decode::DecodeOptions;
use tokens::SpecialTokens;

/// Samples in one 30 s window.
const WINDOW: usize = m::N_SAMPLES;
/// Silence gate (OpenAI's defaults): no-speech probability above this...
const NO_SPEECH_THRESHOLD: f32 = 0.6;
/// ...together with a mean log-probability below this means "nothing was said".
const LOGPROB_THRESHOLD: f32 = -1.0;
/// A no-speech probability this high means silence whatever the text's log-probability
/// (Whisper's classic "you" / "Thank you." on quiet audio scores about -0.9).
const STRONG_NO_SPEECH: f32 = 0.8;
/// Windows quieter than this (RMS, dBFS) are not decoded at all.
const SILENCE_DBFS: f32 = -55.0;

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

    /// Transcribes one window (at most 30 s) whose first sample is at `offset_ms`.
    fn window(
        &mut self,
        samples: &[f32],
        offset_ms: u64,
        language: Option<&str>,
        out: &mut AsrOutput,
    ) -> Result<(), InferenceError> {
        if rms_dbfs(samples) < SILENCE_DBFS {
            out.no_speech_prob = 1.0;
            return Ok(());
        }
        let features = self.features(samples)?;
        let mut prompt = vec![self.sp.sot];
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
        let audio_ms = samples.len() as u64 * 1000 / m::SAMPLE_RATE as u64;
        let opts = DecodeOptions {
            // Fast speech is ~4 tokens/s; timestamps add 2 per segment.
            max_tokens: (24 + audio_ms as usize * 8 / 1000)
                .min(self.model.config.max_target_positions / 2),
            audio_ms,
            max_initial_timestamp_s: 1.0,
        };
        let suppress = self.suppress.clone();
        let suppress_begin = self.suppress_begin.clone();
        let d = decode::greedy(
            &mut self.model,
            &features,
            &prompt,
            &self.sp,
            &suppress,
            &suppress_begin,
            &opts,
        )?;
        let text_tokens = d.tokens.iter().filter(|&&t| t < self.sp.eot).count();
        let avg = if d.tokens.is_empty() {
            0.0
        } else {
            d.sum_logprob / d.tokens.len() as f32
        };
        out.no_speech_prob = out.no_speech_prob.max(d.no_speech_prob);
        out.tokens += d.tokens.len();
        let silent = d.no_speech_prob > STRONG_NO_SPEECH
            || (d.no_speech_prob > NO_SPEECH_THRESHOLD && avg < LOGPROB_THRESHOLD);
        if text_tokens == 0 || silent {
            return Ok(());
        }
        out.avg_logprob = avg;
        // Split into segments at timestamp pairs.
        let ts_begin = self.sp.timestamp_begin;
        let ts_ms = |t: u32| offset_ms + (t - ts_begin) as u64 * 20;
        let mut start = offset_ms;
        let mut buf: Vec<u32> = Vec::new();
        for &t in &d.tokens {
            if t >= ts_begin {
                if buf.is_empty() {
                    start = ts_ms(t);
                } else {
                    let text = self.decode_text(&buf)?.trim().to_string();
                    if !text.is_empty() {
                        out.segments.push(AsrSegment {
                            start_ms: start,
                            end_ms: ts_ms(t),
                            text,
                        });
                    }
                    buf.clear();
                    start = ts_ms(t);
                }
            } else if t < self.sp.eot {
                buf.push(t);
            }
        }
        if !buf.is_empty() {
            let text = self.decode_text(&buf)?.trim().to_string();
            if !text.is_empty() {
                out.segments.push(AsrSegment {
                    start_ms: start,
                    end_ms: offset_ms + audio_ms,
                    text,
                });
            }
        }
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
            self.window(chunk, offset, req.language.as_deref(), &mut out)?;
        }
        let joined: Vec<&str> = out.segments.iter().map(|s| s.text.as_str()).collect();
        out.text = join_segments(&joined);
        Ok(out)
    }

    fn name(&self) -> String {
        self.label.clone()
    }
}

fn rms_dbfs(samples: &[f32]) -> f32 {
    let energy = samples.iter().map(|s| s * s).sum::<f32>() / samples.len().max(1) as f32;
    10.0 * (energy + 1e-12).log10()
}

/// Joins segment texts: with a space between Latin-script pieces, directly for CJK.
fn join_segments(parts: &[&str]) -> String {
    let mut s = String::new();
    for p in parts {
        let cjk_boundary =
            s.chars().last().is_some_and(is_cjk) || p.chars().next().is_some_and(is_cjk);
        if !s.is_empty() && !cjk_boundary {
            s.push(' ');
        }
        s.push_str(p);
    }
    s
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x3000..=0x303F | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xFF00..=0xFFEF)
}

#[cfg(test)]
mod tests {
    use super::join_segments;

    #[test]
    fn joins_latin_with_spaces_and_cjk_without() {
        assert_eq!(
            join_segments(&["Hello there.", "How are you?"]),
            "Hello there. How are you?"
        );
        assert_eq!(join_segments(&["你好。", "我们聊聊"]), "你好。我们聊聊");
    }
}
