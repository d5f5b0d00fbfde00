//! Speech recognition: the synchronous [`Recognizer`] trait every backend implements (Whisper
//! on candle in [`whisper`], on whisper.cpp in [`whispercpp`]), and the [`AsrPool`] of
//! dedicated worker threads that serves it to async code.

pub mod chinese;
mod dtw;
mod guards;
mod pool;
mod segments;
pub mod whisper;
pub mod whispercpp;
mod words;

pub use pool::{AsrPool, PoolStats};

use crate::InferenceError;

/// One piece of 16 kHz mono audio to transcribe.
#[derive(Clone, Debug, Default)]
pub struct AsrRequest {
    /// Samples in [-1, 1] at 16 kHz.
    pub samples: Vec<f32>,
    /// Language hint ("en", "zh"); `None` = detect (multilingual models) or English.
    pub language: Option<String>,
    /// True for an interim hypothesis: a cheaper decode is fine (no temperature fallback) and
    /// it may be skipped when the workers are busy.
    pub partial: bool,
    /// Text given to the decoder as what came before (Whisper's previous-text prompt): the
    /// call's last words and phrase hints such as product names bias spelling and style.
    /// `None` = no prompt (Mandarin then gets one that asks for Simplified characters with
    /// punctuation).
    pub prompt: Option<String>,
}

/// A timed piece of a transcript, relative to the start of the request's audio.
#[derive(Clone, Debug, PartialEq)]
pub struct AsrSegment {
    pub start_ms: u64,
    pub end_ms: u64,
    pub text: String,
}

/// One word of a transcript with its time, relative to the start of the request's audio.
///
/// Latin-script words are the text between spaces, with their punctuation attached
/// (`"Americans,"`); in Chinese (and other CJK) text every character is a word, with the
/// punctuation after it attached (`"好，"`), and the characters of one multi-character token
/// share its time. Concatenated, the words' texts are [`AsrOutput::text`] (joined with spaces
/// between Latin words, without at CJK boundaries), after the repetition cuts and the
/// Simplified-Chinese conversion.
///
/// How good the times are depends on the backend. whisper.cpp aligns tokens to the audio by
/// dynamic time warping over the decoder's alignment heads (its timestamp-probability
/// heuristic for models without a head preset); on jfk.wav (tiny.en) every word's span lies
/// on sound. The candle backend has no alignment (candle's decoder does not expose its
/// cross-attention): the words of a segment are spread over the segment's voiced frames in
/// proportion to their length, so its times are approximate (a mean 0.23 s from
/// whisper.cpp's starts on jfk.wav) and a word may span a pause inside a segment. Both trim
/// silence off word edges.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AsrWord {
    pub text: String,
    pub start_ms: u64,
    pub end_ms: u64,
    /// Mean probability of the word's tokens when they were decoded.
    pub probability: f32,
}

/// What a recognizer heard.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AsrOutput {
    /// Whole text (segments joined), trimmed; empty when nothing was said.
    pub text: String,
    pub segments: Vec<AsrSegment>,
    /// The words of `text` with their times, in order (see [`AsrWord`]).
    pub words: Vec<AsrWord>,
    /// Language code used or detected ("en").
    pub language: String,
    /// Probability that the audio holds no speech.
    pub no_speech_prob: f32,
    /// Mean log-probability of the emitted tokens.
    pub avg_logprob: f32,
    /// Number of tokens decoded.
    pub tokens: usize,
    /// Sampling temperature of the kept decode (0 = greedy; higher after fallback).
    pub temperature: f32,
    /// Length of the text over its gzip-compressed length (repetitive text compresses well:
    /// above ~2.4 it is usually a hallucinated loop).
    pub compression_ratio: f32,
}

/// A speech recognizer. Synchronous and `&mut self` (models own caches); run it on a worker
/// thread through [`AsrPool`].
pub trait Recognizer: Send {
    /// Transcribes one request.
    fn transcribe(&mut self, req: &AsrRequest) -> Result<AsrOutput, InferenceError>;
    /// Short backend/model name for logs and metrics.
    fn name(&self) -> String;
}
