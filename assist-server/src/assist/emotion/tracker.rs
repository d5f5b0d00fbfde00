//! Per-caller emotion over a call: text classification plus audio arousal against the
//! caller's own baseline, and swing detection.
//!
//! Arousal compares an utterance's loudness (dBFS) with the median of the caller's earlier
//! utterances and their speech rate (characters per second for Chinese, words per second for
//! English, each language with its own baseline) with the mean; a feature needs two earlier
//! utterances before it counts, so the first two utterances only build the baseline. Louder
//! by >= 6 dB and faster by >= 1.35x each add one arousal level, which strengthens a negative
//! text label. Arousal never creates a negative label by itself: neutral text stays neutral
//! with at most a low score, so loudness alone never fires a swing.

use std::collections::VecDeque;

use super::Emotion;
use super::lexicon;

/// Earlier utterances a feature needs before it is compared.
const BASELINE_MIN: usize = 2;
/// Most recent utterances a baseline keeps.
const BASELINE_WINDOW: usize = 30;
/// Louder than the baseline median by this much raises arousal.
const LOUD_DB: f32 = 6.0;
/// Faster than the baseline mean by this factor raises arousal.
const FAST_RATIO: f32 = 1.35;
/// Score added to a negative label per arousal level (at most two).
const AROUSAL_BOOST: f32 = 0.15;
/// Score added to a positive label per arousal level (excitement).
const POSITIVE_BOOST: f32 = 0.05;
/// Score of neutral text per arousal level: low, never a swing.
const NEUTRAL_AROUSAL: f32 = 0.1;
/// A change to a negative label swings at this score or more.
const SWING_SCORE: f32 = 0.6;
/// The same negative label swings when its score rises this much.
const SWING_RISE: f32 = 0.25;
/// Speech rate is not measured on shorter utterances or fewer units.
const MIN_RATE_MS: u64 = 300;
const MIN_RATE_UNITS: usize = 2;
/// Speech rates above this (units per second) are not physical and are clamped.
const MAX_RATE: f32 = 30.0;

/// Audio facts about one utterance, from its channel (absent for text calls).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UtteranceAudio {
    /// RMS level of the utterance in dBFS (0 = full scale, speech is typically -40..-10).
    pub rms_dbfs: f32,
    pub duration_ms: u64,
}

/// The emotion of one utterance in the context of the caller's call so far.
#[derive(Debug, Clone, PartialEq)]
pub struct EmotionReading {
    pub label: Emotion,
    /// 0..=1.
    pub score: f32,
    /// The customer turned negative (score >= 0.6) or the same negative label rose by >= 0.25.
    pub swing: bool,
    /// Evidence: matched phrases, punctuation, loudness and rate against the baseline.
    pub reasons: Vec<String>,
}

/// The recent values of one audio feature.
#[derive(Debug, Default)]
struct Baseline(VecDeque<f32>);

impl Baseline {
    fn push(&mut self, v: f32) {
        if self.0.len() == BASELINE_WINDOW {
            self.0.pop_front();
        }
        self.0.push_back(v);
    }

    fn ready(&self) -> bool {
        self.0.len() >= BASELINE_MIN
    }

    fn median(&self) -> f32 {
        let mut v: Vec<f32> = self.0.iter().copied().collect();
        v.sort_by(f32::total_cmp);
        match v.len() {
            0 => 0.0,
            n if n % 2 == 1 => v[n / 2],
            n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
        }
    }

    fn mean(&self) -> f32 {
        if self.0.is_empty() {
            return 0.0;
        }
        self.0.iter().sum::<f32>() / self.0.len() as f32
    }
}

/// One caller's emotion over a call (one per caller per call).
#[derive(Debug, Default)]
pub struct EmotionTracker {
    loudness: Baseline,
    /// Characters per second of Chinese utterances.
    rate_zh: Baseline,
    /// Words per second of English utterances.
    rate_en: Baseline,
    last: Option<(Emotion, f32)>,
}

impl EmotionTracker {
    pub fn new() -> Self {
        Self::default()
    }

    /// One customer utterance: text classification combined with audio arousal against this
    /// caller's own baseline (loudness in dB and speech rate in chars-per-second for Chinese /
    /// words-per-second for English, relative to the running median/mean of their earlier
    /// utterances; the first 2 utterances only build the baseline).
    /// `swing` is true when the label changes to a negative one (angry/frustrated/anxious/
    /// confused) with score >= 0.6, or the score of the same negative label rises by >= 0.25;
    /// never on neutral text with normal audio.
    pub fn observe(&mut self, text: &str, audio: Option<UtteranceAudio>) -> EmotionReading {
        let text_reading = lexicon::analyze(text);
        let mut reasons = text_reading.cues;
        let level = audio.map_or(0, |a| self.arousal(text, a, &mut reasons));
        let label = text_reading.label;
        let per_level = match label {
            Emotion::Neutral => 0.0,
            Emotion::Positive => POSITIVE_BOOST,
            _ => AROUSAL_BOOST,
        };
        let score = if label == Emotion::Neutral {
            NEUTRAL_AROUSAL * level as f32
        } else {
            text_reading.score + per_level * level as f32
        }
        .clamp(0.0, 1.0);
        let swing = label.is_negative()
            && match self.last {
                Some((prev, prev_score)) if prev == label => {
                    score - prev_score >= SWING_RISE - 1e-4
                }
                _ => score >= SWING_SCORE - 1e-4,
            };
        self.last = Some((label, score));
        EmotionReading {
            label,
            score,
            swing,
            reasons,
        }
    }

    /// Arousal level 0..=2 of one utterance against the baseline, which it then joins.
    fn arousal(&mut self, text: &str, audio: UtteranceAudio, reasons: &mut Vec<String>) -> u8 {
        let mut level = 0;
        let db = audio.rms_dbfs;
        if db.is_finite() && (-120.0..=20.0).contains(&db) {
            if self.loudness.ready() {
                let delta = db - self.loudness.median();
                if delta >= LOUD_DB {
                    level += 1;
                    reasons.push(format!("louder than usual (+{delta:.0} dB)"));
                }
            }
            self.loudness.push(db);
        }
        let (units, chinese) = speech_units(text);
        if audio.duration_ms >= MIN_RATE_MS && units >= MIN_RATE_UNITS {
            let rate = (units as f32 * 1000.0 / audio.duration_ms as f32).min(MAX_RATE);
            let base = if chinese {
                &mut self.rate_zh
            } else {
                &mut self.rate_en
            };
            if base.ready() {
                let mean = base.mean();
                if mean > 0.0 && rate / mean >= FAST_RATIO {
                    level += 1;
                    reasons.push(format!("faster than usual ({:.1}x)", rate / mean));
                }
            }
            base.push(rate);
        }
        level
    }
}

/// Spoken units of `text` (Han characters plus Latin words) and whether it is mainly Chinese.
fn speech_units(text: &str) -> (usize, bool) {
    let (mut han, mut words, mut in_word) = (0usize, 0usize, false);
    for c in text.chars() {
        if is_han(c) {
            han += 1;
            in_word = false;
        } else if c.is_alphanumeric() {
            if !in_word {
                words += 1;
            }
            in_word = true;
        } else if !matches!(c, '\'' | '\u{2019}') {
            in_word = false;
        }
    }
    (han + words, han > words)
}

fn is_han(c: char) -> bool {
    matches!(c, '\u{3400}'..='\u{4DBF}' | '\u{4E00}'..='\u{9FFF}' | '\u{F900}'..='\u{FAFF}')
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Normal speech for an English speaker: -30 dBFS, 2.5 words per second.
    fn calm(words: usize) -> Option<UtteranceAudio> {
        Some(UtteranceAudio {
            rms_dbfs: -30.0,
            duration_ms: words as u64 * 400,
        })
    }

    /// 10 dB louder and 1.6x faster than `calm`.
    fn heated(words: usize) -> Option<UtteranceAudio> {
        Some(UtteranceAudio {
            rms_dbfs: -20.0,
            duration_ms: words as u64 * 250,
        })
    }

    fn with_baseline() -> EmotionTracker {
        let mut t = EmotionTracker::new();
        for text in [
            "Hi, thanks for calling back about the renewal",
            "We use the reporting module every week",
            "Our team has about forty users right now",
        ] {
            let r = t.observe(text, calm(text.split_whitespace().count()));
            assert!(!r.swing, "{text}: {r:?}");
        }
        t
    }

    #[test]
    fn speech_units_count_chars_and_words() {
        assert_eq!(speech_units("I don't know, 3 users"), (5, false));
        assert_eq!(speech_units("我们用CRM系统"), (6, true));
        assert_eq!(speech_units(""), (0, false));
    }

    #[test]
    fn loud_fast_mild_complaint_swings_after_baseline() {
        let text = "and then it happened again";
        let mut t = with_baseline();
        let r = t.observe(text, heated(5));
        assert_eq!(r.label, Emotion::Frustrated);
        assert!(r.swing && r.score >= SWING_SCORE, "{r:?}");
        assert!(r.reasons.iter().any(|s| s.starts_with("louder")), "{r:?}");
        assert!(r.reasons.iter().any(|s| s.starts_with("faster")), "{r:?}");
        // The same words said calmly are only mildly frustrated: no swing.
        let r = with_baseline().observe(text, calm(5));
        assert_eq!(r.label, Emotion::Frustrated);
        assert!(!r.swing && r.score < SWING_SCORE, "{r:?}");
    }

    #[test]
    fn chinese_baseline_uses_chars_per_second() {
        let mut t = EmotionTracker::new();
        let calm_zh = |chars: u64| {
            Some(UtteranceAudio {
                rms_dbfs: -28.0,
                duration_ms: chars * 220,
            })
        };
        t.observe("您好我们是做生产排程的", calm_zh(11));
        t.observe("现在用的是老系统", calm_zh(8));
        let fast = Some(UtteranceAudio {
            rms_dbfs: -27.0,
            duration_ms: 6 * 140,
        });
        let r = t.observe("这个又来了吧", fast);
        assert_eq!(r.label, Emotion::Frustrated);
        assert!(r.reasons.iter().any(|s| s.starts_with("faster")), "{r:?}");
        assert!(!r.reasons.iter().any(|s| s.starts_with("louder")), "{r:?}");
    }

    #[test]
    fn loud_neutral_text_never_swings() {
        let mut t = with_baseline();
        let r = t.observe("Can you send the contract on Friday please", heated(8));
        assert_eq!(r.label, Emotion::Neutral);
        assert!(!r.swing && r.score <= 0.2, "{r:?}");
        let r = t.observe("OK, let's talk next week", heated(5));
        assert!(!r.swing && r.label == Emotion::Neutral, "{r:?}");
        // Normal neutral speech has no score at all.
        let r = t.observe("The team meets on Mondays", calm(5));
        assert_eq!((r.label, r.score, r.swing), (Emotion::Neutral, 0.0, false));
    }

    #[test]
    fn first_two_utterances_only_build_the_baseline() {
        let mut t = EmotionTracker::new();
        let r = t.observe("it happened again", heated(3));
        assert!(!r.swing && r.reasons == vec!["\"again\""], "{r:?}");
        let r = t.observe("hello there friend", calm(3));
        assert!(!r.swing && r.reasons.is_empty(), "{r:?}");
    }

    #[test]
    fn text_alone_swings_on_strong_or_rising_negatives() {
        let mut t = EmotionTracker::new();
        let r = t.observe("This is unacceptable.", None);
        assert!(r.swing && r.label == Emotion::Angry, "{r:?}");
        // Same label at a similar score: no new swing.
        let r = t.observe("Totally ridiculous.", None);
        assert!(!r.swing, "{r:?}");
        // A mildly anxious remark, then the same label much stronger.
        let mut t = EmotionTracker::new();
        let r = t.observe("what about the risk", None);
        assert!(!r.swing && r.label == Emotion::Anxious, "{r:?}");
        let r = t.observe("I'm really worried, what if the data is lost?", None);
        assert!(r.label == Emotion::Anxious && r.swing, "{r:?}");
        // Positive and neutral never swing.
        assert!(!t.observe("太好了，非常满意！！", None).swing);
        assert!(!t.observe("", None).swing);
    }

    #[test]
    fn odd_audio_is_ignored() {
        let mut t = with_baseline();
        for rms_dbfs in [f32::NAN, f32::INFINITY, -1e9, 1e9] {
            let a = UtteranceAudio {
                rms_dbfs,
                duration_ms: 0,
            };
            let r = t.observe("fine", Some(a));
            assert!(!r.swing && r.score == 0.0, "{r:?}");
        }
        let huge = "ridiculous ".repeat(100_000);
        let r = t.observe(
            &huge,
            Some(UtteranceAudio {
                rms_dbfs: 0.0,
                duration_ms: 1,
            }),
        );
        assert!(r.label == Emotion::Angry && (0.0..=1.0).contains(&r.score));
    }
}
