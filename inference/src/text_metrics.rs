//! Transcript accuracy: word error rate (English and other space-separated languages) and
//! character error rate (Chinese), on text normalised the usual way (case and punctuation
//! removed).

/// Lower-cases and strips punctuation, keeping letters, digits, CJK and single spaces.
pub fn normalize(text: &str) -> String {
    let cleaned: String = text
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '\'' {
                c.to_lowercase().next().unwrap_or(c)
            } else {
                ' '
            }
        })
        .collect();
    cleaned
        .replace('\'', "")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn edit_distance<T: PartialEq>(a: &[T], b: &[T]) -> usize {
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, x) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, y) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(x != y))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// Word error rate of `hypothesis` against `reference` after [`normalize`].
pub fn word_error_rate(reference: &str, hypothesis: &str) -> f32 {
    let r = normalize(reference);
    let h = normalize(hypothesis);
    let rw: Vec<&str> = r.split_whitespace().collect();
    let hw: Vec<&str> = h.split_whitespace().collect();
    if rw.is_empty() {
        return if hw.is_empty() { 0.0 } else { 1.0 };
    }
    edit_distance(&rw, &hw) as f32 / rw.len() as f32
}

/// Character error rate over non-space characters after [`normalize`] (for Chinese).
pub fn char_error_rate(reference: &str, hypothesis: &str) -> f32 {
    let r: Vec<char> = normalize(reference)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let h: Vec<char> = normalize(hypothesis)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    if r.is_empty() {
        return if h.is_empty() { 0.0 } else { 1.0 };
    }
    edit_distance(&r, &h) as f32 / r.len() as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wer_ignores_case_and_punctuation() {
        assert_eq!(word_error_rate("Ask not, what!", "ask not what"), 0.0);
        assert!((word_error_rate("a b c d", "a x c") - 0.5).abs() < 1e-6);
        assert!((char_error_rate("对，这就是我", "对这就是你") - 0.2).abs() < 1e-6);
    }
}
