//! Keyword tokens: the text is normalised (`normalize`: lower-case, half-width, punctuation
//! to spaces), then segmented with jieba in search mode, so Chinese gets words and their
//! sub-words and English gets lower-cased words. Whitespace and a few Chinese function words
//! are dropped. Every run of Chinese characters also yields its character bigrams, so a name
//! jieba does not know (or segments differently in the query and the document) still matches;
//! bigrams carry a U+0001 prefix so they never merge with a two-character jieba word.

use std::sync::OnceLock;

use jieba_rs::Jieba;

use crate::normalize::normalize;

/// Very common Chinese function words that carry no retrieval signal.
const STOP_WORDS: [&str; 12] = [
    "的", "了", "是", "和", "在", "吗", "呢", "吧", "啊", "也", "就", "都",
];

fn jieba() -> &'static Jieba {
    static JIEBA: OnceLock<Jieba> = OnceLock::new();
    JIEBA.get_or_init(Jieba::new)
}

/// The keyword tokens of `text`, in order (repeats kept).
pub fn tokenize(text: &str) -> Vec<String> {
    let text = normalize(text);
    let mut tokens: Vec<String> = jieba()
        .cut_for_search(&text, true)
        .into_iter()
        .map(str::trim)
        .filter(|t| !t.is_empty() && !STOP_WORDS.contains(t))
        .map(str::to_owned)
        .collect();
    let mut run: Vec<char> = Vec::new();
    for c in text.chars().chain([' ']) {
        if is_han(c) {
            run.push(c);
            continue;
        }
        tokens.extend(
            run.windows(2)
                .map(|pair| format!("\u{1}{}{}", pair[0], pair[1])),
        );
        run.clear();
    }
    tokens
}

/// CJK unified ideographs (with extension A and compatibility ideographs).
fn is_han(c: char) -> bool {
    matches!(c, '\u{3400}'..='\u{4DBF}' | '\u{4E00}'..='\u{9FFF}' | '\u{F900}'..='\u{FAFF}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_chinese_and_lower_cases_english() {
        let tokens = tokenize("客户的预算不足, Pricing Tiers!");
        assert!(tokens.contains(&"预算".to_owned()), "{tokens:?}");
        assert!(tokens.contains(&"pricing".to_owned()), "{tokens:?}");
        assert!(tokens.contains(&"tiers".to_owned()), "{tokens:?}");
        assert!(!tokens.contains(&"的".to_owned()));
        assert!(tokens.contains(&"\u{1}算不".to_owned()), "{tokens:?}");
    }
}
