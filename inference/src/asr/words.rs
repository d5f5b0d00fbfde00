//! Words from timed BPE tokens, the same for every backend: a token whose bytes begin with a
//! space starts a new word, other tokens (word pieces, punctuation, the bytes of a split
//! character) extend the current one; text in CJK scripts is split further into one word per
//! character, punctuation attached to the character before it. Also the audio's voiced
//! frames ([`Voice`]), the candle backend's timing heuristic ([`spread`], over the voiced
//! frames of a segment), and the final clean-up ([`trim`] to voice, [`tidy`]).

use super::AsrWord;
use super::guards::is_cjk;

/// One decoded text token with its time and probability.
#[derive(Clone, Debug)]
pub(crate) struct TimedToken {
    /// The token's bytes (a piece of UTF-8: Whisper may split a character over two tokens).
    pub bytes: Vec<u8>,
    pub start_ms: u64,
    pub end_ms: u64,
    pub probability: f32,
}

/// Whether `c` is a CJK ideograph (not punctuation).
fn is_ideograph(c: char) -> bool {
    matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF)
}

/// Merges `tokens` (one segment's, in order) into words.
pub(crate) fn merge(tokens: &[TimedToken]) -> Vec<AsrWord> {
    let mut words = Vec::new();
    let mut group: Vec<&TimedToken> = Vec::new();
    for t in tokens {
        if t.bytes.first() == Some(&b' ') && !group.is_empty() {
            push_group(&group, &mut words);
            group.clear();
        }
        group.push(t);
    }
    push_group(&group, &mut words);
    words
}

/// Turns the tokens of one space-delimited group into one word, or one per CJK character.
fn push_group(group: &[&TimedToken], words: &mut Vec<AsrWord>) {
    // Which token each byte came from.
    let mut bytes = Vec::new();
    let mut owner = Vec::new();
    for (i, t) in group.iter().enumerate() {
        bytes.extend_from_slice(&t.bytes);
        owner.extend(std::iter::repeat_n(i, t.bytes.len()));
    }
    let text = String::from_utf8_lossy(&bytes);
    // Units of (first byte, last byte) in `text`. Lossy decoding may change byte offsets
    // only where bytes were invalid; owners are then looked up clamped.
    let mut units: Vec<(usize, usize)> = Vec::new();
    let mut prev: Option<char> = None;
    for (at, c) in text.char_indices() {
        let last = at + c.len_utf8() - 1;
        if c.is_whitespace() {
            prev = Some(c);
            continue;
        }
        let new_unit = units.is_empty()
            || is_ideograph(c)
            || prev.is_some_and(char::is_whitespace)
            || (c.is_alphanumeric() && prev.is_some_and(is_cjk));
        match units.last_mut() {
            Some(u) if !new_unit => u.1 = last,
            _ => units.push((at, last)),
        }
        prev = Some(c);
    }
    let owner_of = |b: usize| owner.get(b.min(owner.len().saturating_sub(1))).copied();
    for (first, last) in units {
        let (Some(a), Some(b)) = (owner_of(first), owner_of(last)) else {
            continue;
        };
        let probability =
            group[a..=b].iter().map(|t| t.probability).sum::<f32>() / (b - a + 1) as f32;
        words.push(AsrWord {
            text: text[first..=last].to_string(),
            start_ms: group[a].start_ms,
            end_ms: group[b].end_ms,
            probability,
        });
    }
}

/// Length of a [`Voice`] frame.
const FRAME_MS: u64 = 20;
/// Frames this far under the window's loudest one are silence...
const VOICE_RANGE_DB: f32 = 30.0;

/// Which 20 ms frames of a window hold sound: quieter than 30 dB under the loudest frame (and
/// than the RMS gate) is silence.
#[derive(Clone, Debug)]
pub(crate) struct Voice {
    offset_ms: u64,
    voiced: Vec<bool>,
}

impl Voice {
    /// The frames of `samples` (16 kHz), whose first sample is at `offset_ms`.
    pub fn new(samples: &[f32], offset_ms: u64) -> Self {
        let levels: Vec<f32> = samples.chunks(320).map(super::guards::rms_dbfs).collect();
        let loudest = levels.iter().copied().fold(f32::MIN, f32::max);
        let floor = (loudest - VOICE_RANGE_DB).max(super::guards::SILENCE_DBFS);
        Self {
            offset_ms,
            voiced: levels.iter().map(|&l| l >= floor).collect(),
        }
    }

    /// Whether the frame holding `ms` (request time) is voiced; outside the window, no.
    fn at(&self, ms: u64) -> bool {
        let i = ms.saturating_sub(self.offset_ms) / FRAME_MS;
        ms >= self.offset_ms && self.voiced.get(i as usize).copied().unwrap_or(false)
    }

    /// Starts of the voiced frames in `start_ms..end_ms`.
    fn frames(&self, start_ms: u64, end_ms: u64) -> Vec<u64> {
        let first = start_ms.saturating_sub(self.offset_ms).div_ceil(FRAME_MS) * FRAME_MS;
        (self.offset_ms + first..end_ms)
            .step_by(FRAME_MS as usize)
            .filter(|&t| self.at(t))
            .collect()
    }
}

/// Times `tokens` (one segment's bytes and probabilities) by spreading the voiced frames of
/// `start_ms..end_ms` over them in proportion to their length in bytes, spaces not counted:
/// the candle backend's approximation, for want of per-token alignment. Without voiced
/// frames the whole span is spread.
pub(crate) fn spread(tokens: &mut [TimedToken], start_ms: u64, end_ms: u64, voice: &Voice) {
    let weight = |t: &TimedToken| t.bytes.iter().filter(|&&b| b != b' ').count().max(1) as u64;
    let total: u64 = tokens.iter().map(weight).sum::<u64>().max(1);
    let mut frames = voice.frames(start_ms, end_ms);
    if frames.is_empty() {
        frames = (start_ms..end_ms).step_by(FRAME_MS as usize).collect();
    }
    let n = frames.len() as u64;
    // The time at a fraction `done / total` of the voiced frames.
    let at = |done: u64, end: bool| -> u64 {
        let k = n * done / total;
        match (k.checked_sub(u64::from(end)), frames.first()) {
            (_, None) => start_ms,
            (Some(k), _) if end => (frames[k as usize] + FRAME_MS).min(end_ms),
            _ => frames[(k as usize).min(frames.len() - 1)],
        }
    };
    let mut done = 0;
    for t in tokens {
        t.start_ms = at(done, false);
        done += weight(t);
        t.end_ms = at(done, true).max(t.start_ms);
    }
}

/// Moves each word's edges off silent frames (keeping at least one frame): a word the
/// alignment stretched over a pause ends where the sound does.
pub(crate) fn trim(words: &mut [AsrWord], voice: &Voice) {
    for w in words {
        while w.start_ms + FRAME_MS < w.end_ms && !voice.at(w.start_ms) {
            w.start_ms += FRAME_MS;
        }
        while w.end_ms > w.start_ms + FRAME_MS && !voice.at(w.end_ms - FRAME_MS) {
            w.end_ms -= FRAME_MS;
        }
    }
}

/// Keeps words inside `lo..=hi` with starts that never go back and ends not before starts.
pub(crate) fn tidy(words: &mut [AsrWord], lo: u64, hi: u64) {
    let mut floor = lo;
    for w in words {
        w.start_ms = w.start_ms.clamp(floor, hi);
        w.end_ms = w.end_ms.clamp(w.start_ms, hi);
        floor = w.start_ms;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tok(s: &str, start_ms: u64) -> TimedToken {
        TimedToken {
            bytes: s.as_bytes().to_vec(),
            start_ms,
            end_ms: start_ms + 100,
            probability: 0.5,
        }
    }

    fn texts(w: &[AsrWord]) -> Vec<&str> {
        w.iter().map(|w| w.text.as_str()).collect()
    }

    #[test]
    fn pieces_and_punctuation_join_the_word_a_space_starts() {
        let w = merge(&[
            tok(" And", 0),
            tok(" Amer", 100),
            tok("icans", 200),
            tok(",", 300),
            tok(" ask", 400),
        ]);
        assert_eq!(texts(&w), ["And", "Americans,", "ask"]);
        assert_eq!((w[1].start_ms, w[1].end_ms), (100, 400));
        assert_eq!((w[2].start_ms, w[2].end_ms), (400, 500));
        // A first token without a space is a word too.
        assert_eq!(
            texts(&merge(&[tok("OK", 0), tok(" then", 1)])),
            ["OK", "then"]
        );
        assert!(merge(&[]).is_empty());
    }

    #[test]
    fn chinese_is_one_word_per_character_even_when_a_character_spans_tokens() {
        let bytes = "预算不够，".as_bytes();
        // "预" split over two tokens; the rest one token each, the comma attached.
        let toks = vec![
            TimedToken {
                bytes: bytes[..2].to_vec(),
                ..tok("", 0)
            },
            TimedToken {
                bytes: bytes[2..3].to_vec(),
                ..tok("", 100)
            },
            TimedToken {
                bytes: bytes[3..6].to_vec(),
                ..tok("", 200)
            },
            TimedToken {
                bytes: bytes[6..12].to_vec(),
                ..tok("", 300)
            },
            TimedToken {
                bytes: bytes[12..].to_vec(),
                ..tok("", 400)
            },
        ];
        let w = merge(&toks);
        assert_eq!(texts(&w), ["预", "算", "不", "够，"]);
        assert_eq!((w[0].start_ms, w[0].end_ms), (0, 200));
        assert_eq!((w[3].start_ms, w[3].end_ms), (300, 500));
        // Latin runs inside Chinese stay whole.
        let w = merge(&[tok("用CRM系统", 0)]);
        assert_eq!(texts(&w), ["用", "CRM", "系", "统"]);
    }

    /// 1 s of sound, 1 s of silence, 1 s of sound.
    fn voice() -> Voice {
        let mut x = vec![0.5f32; 48_000];
        x[16_000..32_000].fill(0.0);
        Voice::new(&x, 1_000)
    }

    #[test]
    fn spread_is_proportional_to_length_over_voiced_frames() {
        let mut t = vec![tok(" a", 0), tok(" bbb", 0)];
        spread(&mut t, 1_000, 1_400, &voice());
        assert_eq!((t[0].start_ms, t[0].end_ms), (1_000, 1_100));
        assert_eq!((t[1].start_ms, t[1].end_ms), (1_100, 1_400));
        // Across the silence (2 s..3 s): two voiced seconds shared 1:1.
        let mut t = vec![tok(" aa", 0), tok(" bb", 0)];
        spread(&mut t, 1_000, 4_000, &voice());
        assert_eq!((t[0].start_ms, t[0].end_ms), (1_000, 2_000));
        assert_eq!((t[1].start_ms, t[1].end_ms), (3_000, 4_000));
        // Silence only: the span itself.
        let mut t = vec![tok(" a", 0)];
        spread(&mut t, 2_100, 2_500, &voice());
        assert_eq!((t[0].start_ms, t[0].end_ms), (2_100, 2_500));
    }

    #[test]
    fn trim_takes_silence_off_word_edges() {
        let mut w = vec![AsrWord {
            text: "x".into(),
            start_ms: 1_500,
            end_ms: 2_600,
            probability: 1.0,
        }];
        trim(&mut w, &voice());
        assert_eq!((w[0].start_ms, w[0].end_ms), (1_500, 2_000));
        w[0].start_ms = 2_200;
        w[0].end_ms = 2_400;
        trim(&mut w, &voice());
        assert_eq!((w[0].start_ms, w[0].end_ms), (2_380, 2_400));
    }

    #[test]
    fn tidy_is_monotonic_and_in_range() {
        let mut w = merge(&[tok(" x", 500), tok(" y", 300), tok(" z", 2_000)]);
        tidy(&mut w, 400, 1_000);
        let times: Vec<(u64, u64)> = w.iter().map(|w| (w.start_ms, w.end_ms)).collect();
        assert_eq!(times, [(500, 600), (500, 500), (1_000, 1_000)]);
    }
}
