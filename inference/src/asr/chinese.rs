//! Chinese output normalisation for every ASR backend: Whisper often writes Mandarin in
//! Traditional characters (its training data mixes both), and callers want Simplified. The
//! conversion is OpenCC's Traditional-to-Simplified (phrases, then characters), built once.
//! Half-width punctuation next to Chinese characters becomes full-width (`对,这` -> `对，这`).
//! Words follow the converted text: the conversion maps characters one to one in all but rare
//! phrases, so each word takes as many characters of the converted text as it had; where the
//! counts differ, each word is converted on its own.

use std::sync::OnceLock;

use ferrous_opencc::OpenCC;
use ferrous_opencc::config::BuiltinConfig;

use super::{AsrOutput, AsrWord};

fn converter() -> Option<&'static OpenCC> {
    static T2S: OnceLock<Option<OpenCC>> = OnceLock::new();
    T2S.get_or_init(|| match OpenCC::from_config(BuiltinConfig::T2s) {
        Ok(c) => Some(c),
        Err(e) => {
            tracing::error!(error = %e, "cannot build the Traditional-to-Simplified converter");
            None
        }
    })
    .as_ref()
}

/// `text` in Simplified characters (unchanged when it holds no Traditional ones).
pub fn to_simplified(text: &str) -> String {
    match converter() {
        Some(c) if !text.is_ascii() => c.convert(text),
        _ => text.to_string(),
    }
}

fn is_han(c: char) -> bool {
    matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF)
}

/// Half-width `, . ? ! : ;` after a Chinese character become their full-width forms (a
/// decimal point or an English sentence keeps its own).
pub fn full_width_punctuation(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut prev: Option<char> = None;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let after_han = prev.is_some_and(is_han);
        let next_digit = chars.peek().is_some_and(|n| n.is_ascii_digit());
        let mapped = match c {
            ',' if after_han => '，',
            '.' if after_han && !next_digit => '。',
            '?' if after_han => '？',
            '!' if after_han => '！',
            ':' if after_han => '：',
            ';' if after_han => '；',
            _ => c,
        };
        // The space Whisper puts after a half-width mark is not used in Chinese.
        if mapped != c {
            while chars.peek() == Some(&' ') {
                chars.next();
            }
        }
        out.push(mapped);
        prev = Some(c);
    }
    out
}

/// Rewrites a Chinese transcript (language `zh`) in Simplified characters, segments and
/// words too.
pub fn simplify_output(out: &mut AsrOutput) {
    if !out.language.starts_with("zh") {
        return;
    }
    let fix = |t: &str| full_width_punctuation(&to_simplified(t));
    out.text = fix(&out.text);
    for s in &mut out.segments {
        s.text = fix(&s.text);
    }
    follow_text(&mut out.words, &out.text, fix);
}

/// Rewrites `words` as the pieces of `text` (their conversion): each takes as many
/// non-space characters as it had, when the totals match; otherwise each is `fix`ed alone.
fn follow_text(words: &mut [AsrWord], text: &str, fix: impl Fn(&str) -> String) {
    let solid = |s: &str| s.chars().filter(|c| !c.is_whitespace()).count();
    let mut chars = text.chars().filter(|c| !c.is_whitespace());
    if words.iter().map(|w| solid(&w.text)).sum::<usize>() != solid(text) {
        for w in words {
            w.text = fix(&w.text);
        }
        return;
    }
    for w in words {
        let n = solid(&w.text);
        w.text = chars.by_ref().take(n).collect();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traditional_becomes_simplified_and_the_rest_is_kept() {
        assert_eq!(
            to_simplified("對，這就是我，萬人敬仰的太乙真人。"),
            "对，这就是我，万人敬仰的太乙真人。"
        );
        assert_eq!(to_simplified("预算不够"), "预算不够");
        assert_eq!(to_simplified("Price is 5% off"), "Price is 5% off");
        let mut out = AsrOutput {
            text: "這個價格".into(),
            language: "zh".into(),
            ..Default::default()
        };
        simplify_output(&mut out);
        assert_eq!(out.text, "这个价格");
        let mut en = AsrOutput {
            text: "這".into(),
            language: "en".into(),
            ..Default::default()
        };
        simplify_output(&mut en);
        assert_eq!(en.text, "這");
    }

    #[test]
    fn words_follow_the_converted_text() {
        let word = |t: &str| AsrWord {
            text: t.into(),
            ..Default::default()
        };
        let mut out = AsrOutput {
            text: "對, 這個 OK.".into(),
            language: "zh".into(),
            words: vec![word("對,"), word("這"), word("個"), word("OK.")],
            ..Default::default()
        };
        simplify_output(&mut out);
        assert_eq!(out.text, "对，这个 OK.");
        let texts: Vec<&str> = out.words.iter().map(|w| w.text.as_str()).collect();
        assert_eq!(texts, ["对，", "这", "个", "OK."]);
        // Counts that differ: word by word.
        let mut words = vec![word("這,"), word("個")];
        follow_text(&mut words, "这", to_simplified);
        assert_eq!(words[0].text, "这,");
        assert_eq!(words[1].text, "个");
    }

    #[test]
    fn punctuation_after_chinese_becomes_full_width() {
        assert_eq!(
            full_width_punctuation("对, 这就是我. 好吗?"),
            "对，这就是我。好吗？"
        );
        assert_eq!(
            full_width_punctuation("价格是3.5万. OK, fine."),
            "价格是3.5万。OK, fine."
        );
    }
}
