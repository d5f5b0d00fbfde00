//! Phrase normalisation shared by rule phrases and transcripts, so matching is case-, width-
//! and punctuation-insensitive and works on Chinese without spaces: lower-case, full-width ->
//! half-width, apostrophes dropped (`don't` == `dont`), other punctuation -> space, whitespace
//! collapsed, and no space kept next to a CJK character (`预算 不足` == `预算不足`, and
//! `用 CRM 系统` == `用CRM系统`, since writers differ on spacing around Latin words in Chinese).

use std::ops::Range;

/// `text` normalised for phrase matching.
pub fn normalize(text: &str) -> String {
    normalize_with_map(text).text
}

/// Normalised text plus, for every byte of it, the byte range of the source character it came
/// from, so a match in the normalised text maps back to a span of the original utterance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Normalized {
    pub text: String,
    sources: Vec<Range<usize>>,
}

impl Normalized {
    /// The source byte range covering normalised bytes `range` (empty range -> empty span).
    pub fn source_range(&self, range: Range<usize>) -> Range<usize> {
        if range.start >= range.end || range.end > self.sources.len() {
            let at = self.sources.get(range.start).map_or(0, |r| r.start);
            return at..at;
        }
        self.sources[range.start].start..self.sources[range.end - 1].end
    }
}

/// Like `normalize`, keeping the map back to the source.
pub fn normalize_with_map(text: &str) -> Normalized {
    let mut out = Normalized {
        text: String::with_capacity(text.len()),
        sources: Vec::new(),
    };
    // A pending space and the last character pushed decide whether a space survives.
    let mut pending_space: Option<Range<usize>> = None;
    let mut last: Option<char> = None;
    for (start, raw) in text.char_indices() {
        let source = start..start + raw.len_utf8();
        let c = to_half_width(raw);
        if is_apostrophe(c) {
            continue;
        }
        if c.is_whitespace() || is_punctuation(c) {
            if last.is_some() && pending_space.is_none() {
                pending_space = Some(source);
            }
            continue;
        }
        for lower in c.to_lowercase() {
            if let Some(space) = pending_space.take()
                && !(last.is_some_and(is_cjk) || is_cjk(lower))
            {
                push(&mut out, ' ', space);
            }
            push(&mut out, lower, source.clone());
            last = Some(lower);
        }
    }
    out
}

fn push(out: &mut Normalized, c: char, source: Range<usize>) {
    out.text.push(c);
    out.sources
        .extend(std::iter::repeat_n(source, c.len_utf8()));
}

/// Full-width ASCII variants (U+FF01-FF5E) and the ideographic space (U+3000) to ASCII.
fn to_half_width(c: char) -> char {
    match c {
        '\u{3000}' => ' ',
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        _ => c,
    }
}

fn is_apostrophe(c: char) -> bool {
    matches!(c, '\'' | '\u{2019}' | '\u{02BC}')
}

/// ASCII, Latin-1, general, CJK and full/half-width punctuation and symbols used as such.
fn is_punctuation(c: char) -> bool {
    c.is_ascii_punctuation()
        || matches!(c,
            '\u{00A1}' | '\u{00A7}' | '\u{00AB}' | '\u{00B6}' | '\u{00B7}' | '\u{00BB}' | '\u{00BF}'
            | '\u{2010}'..='\u{2027}'   // dashes, quotes, bullets, ellipsis
            | '\u{2030}'..='\u{205E}'   // per mille, primes, angle quotes, ...
            | '\u{3001}'..='\u{3003}'   // 、。〃
            | '\u{3008}'..='\u{3011}'   // 〈〉《》「」『』【】
            | '\u{3014}'..='\u{301F}'   // 〔〕〖〗〘〙〚〛〜〝〞〟
            | '\u{30FB}'                // katakana middle dot
            | '\u{FE10}'..='\u{FE19}'   // vertical forms
            | '\u{FE30}'..='\u{FE4F}'   // CJK compatibility forms
            | '\u{FE50}'..='\u{FE6B}'   // small forms
            | '\u{FF5F}'..='\u{FF65}') // half-width CJK punctuation
}

/// Han ideographs, kana and CJK compatibility ideographs: scripts written without spaces.
fn is_cjk(c: char) -> bool {
    matches!(c,
        '\u{3040}'..='\u{30FF}'        // hiragana, katakana
        | '\u{3400}'..='\u{4DBF}'      // CJK extension A
        | '\u{4E00}'..='\u{9FFF}'      // CJK unified ideographs
        | '\u{F900}'..='\u{FAFF}'      // compatibility ideographs
        | '\u{20000}'..='\u{3134F}') // extensions B-G
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lower_cases_and_collapses_whitespace() {
        assert_eq!(normalize("  Over   OUR\tBudget \n"), "over our budget");
    }

    #[test]
    fn full_width_to_half_width() {
        assert_eq!(normalize("ＡＢＣ１２３"), "abc123");
        assert_eq!(
            normalize("ｃａｌｌ\u{3000}ｒｅｃｏｒｄｅｄ"),
            "call recorded"
        );
    }

    #[test]
    fn strips_ascii_and_cjk_punctuation() {
        assert_eq!(normalize("Hello, world!"), "hello world");
        assert_eq!(normalize("预算不足！"), "预算不足");
        assert_eq!(normalize("《合同》「条款」，好吗？"), "合同条款好吗");
        assert_eq!(normalize("well-known… “quoted”"), "well known quoted");
        assert_eq!(normalize("!!!"), "");
    }

    #[test]
    fn apostrophes_vanish() {
        assert_eq!(
            normalize("We can't afford it"),
            normalize("we cant afford it")
        );
        assert_eq!(normalize("don’t"), "dont");
    }

    #[test]
    fn removes_spaces_next_to_cjk_only() {
        assert_eq!(normalize("预算 不足"), "预算不足");
        assert_eq!(normalize("预算，不足"), "预算不足");
        assert_eq!(normalize("我们 用 CRM 系统"), "我们用crm系统");
        assert_eq!(normalize("我们用CRM系统"), "我们用crm系统");
        assert_eq!(normalize("fs-100 泵"), "fs 100泵");
        assert_eq!(normalize("new CRM system"), "new crm system");
    }

    #[test]
    fn mixed_zh_en_phrases_match_transcripts() {
        let phrase = normalize("新生儿也可以用FS-100");
        let heard = normalize("嗯，新生儿 也可以用 ＦＳ－１００吗？");
        assert_eq!(phrase, "新生儿也可以用fs 100");
        assert_eq!(heard, "嗯新生儿也可以用fs 100吗");
        assert!(heard.contains(&phrase));
        assert_eq!(normalize("FS 100"), normalize("fs-100"));
        assert!(normalize("我们已经在用科维塔, OK").contains(&normalize("已经在用 科维塔")));
        assert!(normalize("Budget is TIGHT, 预算不够。").contains(&normalize("budget is tight")));
    }

    #[test]
    fn map_points_back_to_source_spans() {
        let src = "Hi， 预算 不足!";
        let n = normalize_with_map(src);
        assert_eq!(n.text, "hi预算不足");
        let start = n.text.find("预算不足").unwrap();
        let span = n.source_range(start..start + "预算不足".len());
        assert_eq!(&src[span], "预算 不足");
        let src = "So... it's OVER our budget!";
        let n = normalize_with_map(src);
        let start = n.text.find("over our budget").unwrap();
        assert_eq!(&src[n.source_range(start..start + 15)], "OVER our budget");
        assert_eq!(n.source_range(0..2), 0..2);
        assert_eq!(n.source_range(3..3), 6..6);
    }
}
