//! Decoding guards and text helpers shared by the Whisper backends: the silence thresholds,
//! the RMS gate, the repetition cuts (exact and fuzzy) and how segment texts are joined.

/// No-speech probability above this...
pub(crate) const NO_SPEECH_THRESHOLD: f32 = 0.6;
/// ...together with a mean log-probability below this means "nothing was said".
pub(crate) const LOGPROB_THRESHOLD: f32 = -1.0;
/// A no-speech probability this high means silence whatever the text's log-probability.
pub(crate) const STRONG_NO_SPEECH: f32 = 0.8;
/// Windows quieter than this (RMS, dBFS) are not decoded at all.
pub(crate) const SILENCE_DBFS: f32 = -55.0;

/// Whether a window decoded with these scores should count as silence.
pub(crate) fn is_silent(no_speech_prob: f32, avg_logprob: f32) -> bool {
    no_speech_prob > STRONG_NO_SPEECH
        || (no_speech_prob > NO_SPEECH_THRESHOLD && avg_logprob < LOGPROB_THRESHOLD)
}

/// RMS level of `samples` in dBFS.
pub(crate) fn rms_dbfs(samples: &[f32]) -> f32 {
    let energy = samples.iter().map(|s| s * s).sum::<f32>() / samples.len().max(1) as f32;
    10.0 * (energy + 1e-12).log10()
}

/// The text tokens of `sampled` (ids below `first_special`) with their positions in it.
fn text_tokens(sampled: &[u32], first_special: u32) -> Vec<(usize, u32)> {
    sampled
        .iter()
        .copied()
        .enumerate()
        .filter(|&(_, t)| t < first_special)
        .collect()
}

/// If the text tokens (ids below `first_special`) end in a loop (the same n-gram three times
/// in a row, or one token six times), returns how many tokens of `sampled` to keep:
/// everything up to the first repetition.
pub(crate) fn repetition_cut(sampled: &[u32], first_special: u32) -> Option<usize> {
    let text = text_tokens(sampled, first_special);
    let n = text.len();
    for period in 1..=16usize {
        let times = if period == 1 { 6 } else { 3 };
        if n < period * times {
            continue;
        }
        let tail = &text[n - period * times..];
        let gram: Vec<u32> = tail[..period].iter().map(|x| x.1).collect();
        if tail
            .chunks(period)
            .all(|c| c.iter().map(|x| x.1).eq(gram.iter().copied()))
        {
            return Some(tail[period].0);
        }
    }
    None
}

/// Words in the n-grams [`fuzzy_loop_cut`] compares.
const LOOP_GRAM: usize = 5;

/// If some run of [`LOOP_GRAM`] text tokens (ids below `first_special`) occurs three times or
/// more, returns how many tokens of `sampled` to keep: everything before its second
/// occurrence. Catches the loops sampling turns inexact ("He might even have been made
/// amiable himself. It may have even been made amiable himself. He might even ...").
pub(crate) fn fuzzy_loop_cut(sampled: &[u32], first_special: u32) -> Option<usize> {
    let text = text_tokens(sampled, first_special);
    let mut seen: std::collections::HashMap<Vec<u32>, Vec<usize>> = Default::default();
    for start in 0..text.len().saturating_sub(LOOP_GRAM - 1) {
        let gram: Vec<u32> = text[start..start + LOOP_GRAM].iter().map(|x| x.1).collect();
        let starts = seen.entry(gram).or_default();
        // Occurrences must not overlap (a run of one token is the exact cut's business).
        if starts.last().is_none_or(|&s| start >= s + LOOP_GRAM) {
            starts.push(start);
        }
    }
    seen.values()
        .filter(|starts| starts.len() >= 3)
        .map(|starts| text[starts[1]].0)
        .min()
}

/// Joins segment texts: with a space between Latin-script pieces, directly for CJK.
pub(crate) fn join_segments(parts: &[&str]) -> String {
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

/// Whether `c` is a CJK character or CJK punctuation.
pub(crate) fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x3000..=0x303F | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xFF00..=0xFFEF)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_loops_and_keeps_normal_text() {
        assert_eq!(repetition_cut(&[1, 2, 3, 4, 5], 100), None);
        assert_eq!(repetition_cut(&[9, 1, 2, 1, 2, 1, 2], 100), Some(3));
        assert_eq!(repetition_cut(&[7, 7, 7, 7, 7, 7], 100), Some(1));
        // Timestamps between repeats do not hide the loop.
        assert_eq!(repetition_cut(&[1, 2, 150, 1, 2, 151, 1, 2], 100), Some(3));
    }

    #[test]
    fn fuzzy_loops_are_cut_before_the_second_occurrence() {
        // "a b c d e x" then "a b c d e y" then "a b c d e": cut at the second "a".
        let looped = [1, 2, 3, 4, 5, 9, 1, 2, 3, 4, 5, 8, 1, 2, 3, 4, 5];
        assert_eq!(fuzzy_loop_cut(&looped, 100), Some(6));
        // Twice is not a loop; timestamps are skipped but count in the returned length.
        assert_eq!(
            fuzzy_loop_cut(&[1, 2, 3, 4, 5, 9, 1, 2, 3, 4, 5], 100),
            None
        );
        let with_ts = [150, 1, 2, 3, 4, 5, 151, 1, 2, 3, 4, 5, 152, 1, 2, 3, 4, 5];
        assert_eq!(fuzzy_loop_cut(&with_ts, 100), Some(7));
        assert_eq!(fuzzy_loop_cut(&[7; 20], 100), Some(5));
        assert_eq!(fuzzy_loop_cut(&(0..60).collect::<Vec<u32>>(), 100), None);
    }

    #[test]
    fn silence_rules() {
        assert!(is_silent(0.9, -0.2));
        assert!(is_silent(0.7, -1.5));
        assert!(!is_silent(0.7, -0.5));
        assert!(!is_silent(0.1, -3.0));
        assert!(rms_dbfs(&[0.0; 160]) < SILENCE_DBFS);
        assert!((rms_dbfs(&[0.5; 160]) + 6.02).abs() < 0.01);
    }

    #[test]
    fn joins_latin_with_spaces_and_cjk_without() {
        assert_eq!(join_segments(&["Hello.", "Bye."]), "Hello. Bye.");
        assert_eq!(join_segments(&["你好。", "我们"]), "你好。我们");
    }
}
