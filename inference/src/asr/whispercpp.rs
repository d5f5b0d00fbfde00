//! Whisper on whisper.cpp (through whisper-rs): the second [`Recognizer`] backend, loading the
//! ggml file `models pull` converts from the same weights (`callassist_models::whisper_ggml_file`).
//!
//! Behaviour matches the candle backend: 30 s windows, an RMS gate (windows under -55 dBFS are
//! not decoded), the encoder window fitted to the audio + 1 s (whisper.cpp's `audio_ctx`), a
//! token cap, the same no-speech rules, repetition cuts, and segments split at timestamp
//! tokens. Decoding is greedy with whisper.cpp's temperature fallback (finals only), without
//! context from earlier windows but after the caller's previous-text prompt (the candle
//! backend's rules, including the Simplified-Chinese prompt for Mandarin when the language is
//! known up front), blank and non-speech tokens suppressed. Each window is decoded as one
//! whisper.cpp segment (one encoder pass) whose timestamp tokens are split here.
//! Word times: whisper.cpp's token timestamps, aligned by dynamic time warping over the
//! model's alignment heads where it has a preset for the model size (`asr/dtw.rs`, one more
//! decoder pass per window), else its timestamp-probability heuristic; tokens are merged into
//! [`super::AsrWord`]s and trimmed to the voiced frames.
//! whisper.cpp's own log lines go to `tracing` (target `whisper_rs`). whisper.cpp does not say
//! which fallback temperature it kept, so [`AsrOutput::temperature`] stays 0.

use std::collections::HashMap;
use std::path::Path;

use whisper_rs::{
    DtwMode, DtwParameters, FullParams, SamplingStrategy, WhisperContext, WhisperContextParameters,
    WhisperState,
};

use super::guards::{self, LOGPROB_THRESHOLD, NO_SPEECH_THRESHOLD, SILENCE_DBFS};
use super::whisper::{EncoderWindow, ZH_DEFAULT_PROMPT, compression_ratio};
use super::words::{self, TimedToken, Voice};
use super::{AsrOutput, AsrRequest, Recognizer, dtw, segments};
use crate::InferenceError;

const SAMPLE_RATE: usize = 16_000;
/// Samples in one 30 s window.
const WINDOW: usize = 30 * SAMPLE_RATE;
/// Mel frames per encoder position (conv2 has stride 2), 10 ms each.
const FRAMES_PER_POSITION: usize = 2;

/// How a [`WhisperCppRecognizer`] decodes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WhisperCppOptions {
    /// whisper.cpp threads per decode. 1 by default: on two cores a second thread only
    /// competes with the other engines (see docs/PERFORMANCE.md).
    pub threads: usize,
    /// How much of the 30 s encoder window is computed (`audio_ctx`).
    pub window: EncoderWindow,
    /// Candidates sampled at each fallback temperature (whisper.cpp's `greedy.best_of`).
    pub best_of: i32,
    /// Word times by dynamic time warping over the model's alignment heads (one extra decoder
    /// pass per window) where whisper.cpp has a head preset for the model; otherwise, or when
    /// false, by whisper.cpp's timestamp-probability heuristic.
    pub align_words: bool,
}

impl Default for WhisperCppOptions {
    fn default() -> Self {
        Self {
            threads: 1,
            window: EncoderWindow::DEFAULT,
            best_of: 1,
            align_words: true,
        }
    }
}

/// A whisper.cpp model with its decoding state (one per worker thread).
pub struct WhisperCppRecognizer {
    ctx: WhisperContext,
    state: WhisperState,
    opts: WhisperCppOptions,
    multilingual: bool,
    eot: u32,
    timestamp_begin: u32,
    n_audio_ctx: usize,
    n_text_ctx: usize,
    /// Token times come from dynamic time warping (`t_dtw`), not the heuristic (`t0`).
    dtw: bool,
    /// Decoding parameters per (language (`None`: detect), partial). Built once: whisper-rs
    /// keeps the language string alive for good, so building them per request would leak.
    params: HashMap<(Option<&'static str>, bool), FullParams<'static, 'static>>,
    label: String,
}

fn load_err(path: &Path, e: impl std::fmt::Display) -> InferenceError {
    InferenceError::ModelLoad {
        path: path.display().to_string(),
        detail: e.to_string(),
    }
}

impl WhisperCppRecognizer {
    /// Loads a whisper.cpp ggml model file.
    pub fn load(path: &Path, opts: WhisperCppOptions) -> Result<Self, InferenceError> {
        whisper_rs::install_logging_hooks();
        if opts.threads == 0 {
            return Err(load_err(path, "threads must be at least 1"));
        }
        let mut cparams = WhisperContextParameters::default();
        cparams.use_gpu(false);
        let preset = dtw::read_shape(path)
            .and_then(dtw::preset)
            .filter(|_| opts.align_words);
        let dtw = preset.is_some();
        if let Some(model_preset) = preset {
            cparams.dtw_parameters(DtwParameters {
                mode: DtwMode::ModelPreset { model_preset },
                ..Default::default()
            });
        }
        let ctx = WhisperContext::new_with_params(path, cparams)
            .map_err(|e| load_err(path, format!("{e} (not a whisper.cpp model?)")))?;
        let state = ctx.create_state().map_err(|e| load_err(path, e))?;
        let id = |t: i32| u32::try_from(t).map_err(|_| load_err(path, "negative token id"));
        let model = path
            .parent()
            .and_then(|d| d.file_name())
            .and_then(|n| n.to_str())
            .unwrap_or("model");
        Ok(Self {
            multilingual: ctx.is_multilingual(),
            eot: id(ctx.token_eot())?,
            timestamp_begin: id(ctx.token_beg())?,
            n_audio_ctx: ctx.model_n_audio_ctx().max(1) as usize,
            n_text_ctx: ctx.model_n_text_ctx().max(1) as usize,
            dtw,
            label: format!("whispercpp-{model}"),
            ctx,
            state,
            opts,
            params: HashMap::new(),
        })
    }

    fn base_params(
        &self,
        language: Option<&'static str>,
        partial: bool,
    ) -> FullParams<'static, 'static> {
        let mut p = FullParams::new(SamplingStrategy::Greedy {
            best_of: self.opts.best_of.max(1),
        });
        p.set_n_threads(self.opts.threads as i32);
        p.set_translate(false);
        p.set_no_context(true);
        p.set_single_segment(true);
        p.set_print_special(false);
        p.set_print_progress(false);
        p.set_print_realtime(false);
        p.set_print_timestamps(false);
        p.set_suppress_blank(true);
        p.set_suppress_nst(true);
        // Per-token times (centiseconds) for the words: the heuristic's `t0`/`t1`, and
        // `t_dtw` when the context aligns.
        p.set_token_timestamps(true);
        p.set_max_initial_ts(1.0);
        p.set_no_speech_thold(NO_SPEECH_THRESHOLD);
        p.set_logprob_thold(LOGPROB_THRESHOLD);
        // Temperature fallback (0.2 steps up to 1.0) for finals only (a partial is replaced
        // soon anyway), when the mean log-probability is low. Not on whisper.cpp's entropy
        // test: a greedy loop is exact, and the repetition cut below leaves its first, clean
        // pass, while sampling turned one into a fuzzy, longer hallucination (tiny.en on
        // LibriVox 0930 over mu-law, docs/PERFORMANCE.md).
        p.set_temperature(0.0);
        p.set_temperature_inc(if partial { 0.0 } else { 0.2 });
        p.set_entropy_thold(0.0);
        // `None` asks whisper.cpp to detect the language.
        p.set_language(language);
        p
    }

    /// whisper.cpp's static code for a language hint (`None` = detect), English on
    /// English-only models.
    fn language(&self, hint: Option<&str>) -> Option<&'static str> {
        if !self.multilingual {
            return Some("en");
        }
        let id = whisper_rs::get_lang_id(hint?)?;
        whisper_rs::get_lang_str(id)
    }

    /// Encoder positions to compute for `samples` (0: the model's full window).
    fn audio_ctx(&self, samples: usize) -> usize {
        match self.opts.window {
            EncoderWindow::Full => 0,
            EncoderWindow::Fit { pad_ms } => {
                let frames = samples / (SAMPLE_RATE / 100) + pad_ms as usize / 10;
                let ctx = frames.div_ceil(FRAMES_PER_POSITION);
                if ctx >= self.n_audio_ctx { 0 } else { ctx }
            }
        }
    }

    /// The previous-text prompt: the last tokens of ` text` (whisper.cpp adds
    /// `<|startofprev|>` and drops the prompt at temperatures of 0.5 and up, as Whisper does).
    fn prompt_tokens(&self, text: &str) -> Result<Vec<i32>, InferenceError> {
        let text = format!(" {}", text.trim());
        // Every token covers at least one byte, so the buffer is always big enough (whisper-rs
        // must never see whisper.cpp ask for more).
        let ids = self.ctx.tokenize(&text, text.len() + 8)?;
        let keep = (self.n_text_ctx / 2).saturating_sub(1);
        Ok(ids[ids.len().saturating_sub(keep)..]
            .iter()
            .copied()
            .filter(|&t| u32::try_from(t).is_ok_and(|t| t < self.eot))
            .collect())
    }

    fn text(&self, ids: &[u32]) -> Result<String, InferenceError> {
        let mut bytes = Vec::new();
        for &id in ids {
            bytes.extend_from_slice(self.ctx.token_to_bytes(id as i32)?);
        }
        Ok(String::from_utf8_lossy(&bytes).trim().to_string())
    }

    /// Transcribes one window (at most 30 s) whose first sample is at `offset_ms`.
    fn window(
        &mut self,
        samples: &[f32],
        offset_ms: u64,
        req: &AsrRequest,
        out: &mut AsrOutput,
    ) -> Result<(), InferenceError> {
        let hint = req.language.as_deref();
        if guards::rms_dbfs(samples) < SILENCE_DBFS {
            out.no_speech_prob = 1.0;
            return Ok(());
        }
        let audio_ms = (samples.len() * 1000 / SAMPLE_RATE) as u64;
        let language = self.language(hint);
        // Fast speech is ~4 tokens/s; timestamps add 2 per segment.
        let max_tokens = (24 + audio_ms as usize * 8 / 1000).min(self.n_text_ctx / 2);
        let audio_ctx = self.audio_ctx(samples.len());
        let key = (language, req.partial);
        let base = match self.params.get(&key) {
            Some(p) => p.clone(),
            None => {
                let p = self.base_params(language, req.partial);
                self.params.insert(key, p.clone());
                p
            }
        };
        // The language known before decoding (a hint, or English-only); a detected one comes
        // too late for the Mandarin default prompt.
        let known = if self.multilingual {
            language
        } else {
            Some("en")
        };
        let given = req
            .prompt
            .as_deref()
            .map(str::trim)
            .filter(|p| !p.is_empty());
        let prompt_text = match (given, known) {
            // Chinese context already sets script and punctuation; Latin-only hints do not.
            (Some(p), Some("zh")) if !p.chars().any(guards::is_cjk) => {
                Some(format!("{ZH_DEFAULT_PROMPT}{p}"))
            }
            (Some(p), _) => Some(p.to_string()),
            (None, Some("zh")) => Some(ZH_DEFAULT_PROMPT.to_string()),
            (None, _) => None,
        };
        let prompt = match prompt_text {
            Some(t) => self.prompt_tokens(&t)?,
            None => Vec::new(),
        };
        let mut params: FullParams<'static, '_> = base;
        params.set_audio_ctx(audio_ctx as i32);
        params.set_max_tokens(max_tokens as i32);
        if !prompt.is_empty() {
            params.set_tokens(&prompt);
        }
        self.state.full(params, samples)?;

        out.language = if self.multilingual {
            whisper_rs::get_lang_str(self.state.full_lang_id_from_state())
                .unwrap_or("en")
                .to_string()
        } else {
            "en".into()
        };
        // Sampled text and timestamp tokens with their probabilities and times.
        let mut no_speech = None::<f32>;
        let mut sampled: Vec<Sampled> = Vec::new();
        for seg in self.state.as_iter() {
            let ns = seg.no_speech_probability();
            no_speech = Some(no_speech.map_or(ns, |p| p.max(ns)));
            for j in 0..seg.n_tokens() {
                let Some(token) = seg.get_token(j) else {
                    continue;
                };
                let data = token.token_data();
                let Ok(id) = u32::try_from(data.id) else {
                    continue;
                };
                if id < self.eot || id >= self.timestamp_begin {
                    sampled.push(Sampled {
                        id,
                        logprob: data.plog,
                        probability: data.p,
                        t0: data.t0,
                        t1: data.t1,
                        t_dtw: if self.dtw { data.t_dtw } else { -1 },
                    });
                }
            }
        }
        // No segment: whisper.cpp found nothing, or judged the window to hold no speech (it
        // does not report the probability then).
        let Some(no_speech) = no_speech else {
            out.no_speech_prob = 1.0;
            return Ok(());
        };
        let ids: Vec<u32> = sampled.iter().map(|t| t.id).collect();
        let keep = [
            guards::repetition_cut(&ids, self.eot),
            guards::fuzzy_loop_cut(&ids, self.eot),
        ]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(ids.len());
        let sampled = &sampled[..keep];
        let avg = if sampled.is_empty() {
            0.0
        } else {
            sampled.iter().map(|t| t.logprob).sum::<f32>() / sampled.len() as f32
        };
        out.no_speech_prob = out.no_speech_prob.max(no_speech);
        out.tokens += sampled.len();
        let text_tokens = sampled.iter().filter(|t| t.id < self.eot).count();
        if text_tokens == 0 || guards::is_silent(no_speech, avg) {
            return Ok(());
        }
        out.avg_logprob = avg;
        let text_ids: Vec<u32> = sampled
            .iter()
            .map(|t| t.id)
            .filter(|&t| t < self.eot)
            .collect();
        out.compression_ratio = out
            .compression_ratio
            .max(compression_ratio(&self.text(&text_ids)?));
        let voice = Voice::new(samples, offset_ms);
        self.split_segments(sampled, offset_ms, audio_ms, &voice, out)
    }

    /// Splits a window's tokens into segments at timestamp tokens, and their words.
    fn split_segments(
        &self,
        sampled: &[Sampled],
        offset_ms: u64,
        audio_ms: u64,
        voice: &Voice,
        out: &mut AsrOutput,
    ) -> Result<(), InferenceError> {
        let ids: Vec<u32> = sampled.iter().map(|t| t.id).collect();
        let end_ms = offset_ms + audio_ms;
        let splits = segments::split(
            &ids,
            self.eot,
            self.timestamp_begin,
            offset_ms,
            end_ms,
            |ids| self.text(ids),
        )?;
        let ms = |cs: i64| offset_ms + u64::try_from(cs).unwrap_or(0) * 10;
        let mut window_words = Vec::new();
        // The aligned end of the window's previous text token: where the next one starts.
        let mut aligned_end: Option<i64> = None;
        for s in splits {
            let mut tokens = Vec::with_capacity(s.tokens.len());
            for &i in &s.tokens {
                let t = &sampled[i];
                // whisper.cpp's `t_dtw` of a token is where the alignment moves on to the
                // next one (it skips the path's first step): the token's end. Its start is
                // the previous token's end, or for the first the heuristic's start.
                let (start, end) = match (t.t_dtw >= 0, aligned_end) {
                    (true, Some(prev)) => (prev, t.t_dtw),
                    (true, None) => (t.t0.clamp(0, t.t_dtw), t.t_dtw),
                    (false, _) => (t.t0, t.t1),
                };
                aligned_end = (t.t_dtw >= 0).then_some(t.t_dtw);
                tokens.push(TimedToken {
                    bytes: self.ctx.token_to_bytes(t.id as i32)?.to_vec(),
                    start_ms: ms(start),
                    end_ms: ms(end).min(s.segment.end_ms.max(ms(start))),
                    probability: t.probability,
                });
            }
            window_words.extend(words::merge(&tokens));
            out.segments.push(s.segment);
        }
        words::trim(&mut window_words, voice);
        words::tidy(&mut window_words, offset_ms, end_ms);
        out.words.extend(window_words);
        Ok(())
    }
}

/// A sampled token as whisper.cpp reports it.
struct Sampled {
    id: u32,
    logprob: f32,
    probability: f32,
    /// Start and end by whisper.cpp's timestamp-probability heuristic, centiseconds from the
    /// window's start.
    t0: i64,
    t1: i64,
    /// Aligned time (see `split_segments`), centiseconds; -1 without alignment.
    t_dtw: i64,
}

impl Recognizer for WhisperCppRecognizer {
    fn transcribe(&mut self, req: &AsrRequest) -> Result<AsrOutput, InferenceError> {
        let mut out = AsrOutput::default();
        for (i, chunk) in req.samples.chunks(WINDOW).enumerate() {
            // A trailing scrap under 0.2 s holds no words worth a decode.
            if chunk.len() < SAMPLE_RATE / 5 {
                continue;
            }
            let offset = (i * WINDOW * 1000 / SAMPLE_RATE) as u64;
            self.window(chunk, offset, req, &mut out)?;
        }
        let joined: Vec<&str> = out.segments.iter().map(|s| s.text.as_str()).collect();
        out.text = guards::join_segments(&joined);
        Ok(out)
    }

    fn name(&self) -> String {
        self.label.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_or_bad_model_is_a_load_error() {
        let dir = std::env::temp_dir().join(format!("whispercpp-bad-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("ggml-model.bin");
        std::fs::write(&path, b"not a model").unwrap();
        for p in [path.as_path(), Path::new("/nonexistent/ggml-model.bin")] {
            let err = WhisperCppRecognizer::load(p, WhisperCppOptions::default())
                .err()
                .unwrap();
            assert!(matches!(err, InferenceError::ModelLoad { .. }), "{err}");
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
