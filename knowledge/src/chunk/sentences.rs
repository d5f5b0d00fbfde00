//! Splits section text into sentence-sized units: after `.` `!` `?` followed by a space (or
//! the end), after Chinese `。！？；` (plus closing quotes/brackets), at paragraph breaks and
//! at Markdown block starts (list items, table rows, quotes). A unit longer than the limit is
//! cut, preferably after a space or comma. Lengths count characters, never words.

use std::ops::Range;

/// Sentence units of `text[body]`, as trimmed, non-empty absolute byte ranges, each at most
/// `max_chars` characters.
pub(crate) fn units(text: &str, body: Range<usize>, max_chars: usize) -> Vec<Range<usize>> {
    let base = body.start;
    let body_text = &text[body];
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    let mut chars = body_text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let s = *start.get_or_insert(i);
        let end = match c {
            '\n' if starts_block(&body_text[i + 1..]) => Some(i),
            '。' | '！' | '？' | '；' | '!' | '?' | '.' => {
                let mut end = i + c.len_utf8();
                while let Some(&(j, next)) = chars.peek() {
                    if !(is_terminator(next) || is_closer(next)) {
                        break;
                    }
                    end = j + next.len_utf8();
                    chars.next();
                }
                let next = chars.peek().map(|&(_, n)| n);
                let cjk_end = is_cjk_terminator(c);
                (cjk_end || next.is_none_or(char::is_whitespace)).then_some(end)
            }
            _ => None,
        };
        if let Some(end) = end {
            push_unit(&mut out, body_text, s..end, base, max_chars);
            start = None;
        }
    }
    if let Some(s) = start {
        push_unit(&mut out, body_text, s..body_text.len(), base, max_chars);
    }
    out
}

fn is_cjk_terminator(c: char) -> bool {
    matches!(c, '。' | '！' | '？' | '；')
}

fn is_terminator(c: char) -> bool {
    is_cjk_terminator(c) || matches!(c, '!' | '?' | '.' | '…')
}

fn is_closer(c: char) -> bool {
    matches!(
        c,
        '"' | '\'' | ')' | ']' | '”' | '’' | '」' | '』' | '）' | '】' | '》'
    )
}

/// Whether the line after a newline starts a new block: blank, list item, quote, table row,
/// heading or fence.
fn starts_block(rest: &str) -> bool {
    let line = rest.split('\n').next().unwrap_or_default().trim_start();
    if line.is_empty() || line.starts_with(['>', '|', '#', '`', '~']) {
        return true;
    }
    if line.starts_with(['-', '*', '+', '•']) {
        return line.chars().nth(1).is_some_and(char::is_whitespace);
    }
    let digits = line.len() - line.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    digits > 0 && line[digits..].starts_with(['.', ')', '、'])
}

/// Trims `range` of `body` and pushes it (cut into pieces of at most `max_chars`).
fn push_unit(
    out: &mut Vec<Range<usize>>,
    body: &str,
    range: Range<usize>,
    base: usize,
    max_chars: usize,
) {
    let slice = &body[range.clone()];
    let lead = slice.len() - slice.trim_start().len();
    let trimmed = slice.trim();
    if trimmed.is_empty() {
        return;
    }
    let mut start = range.start + lead;
    let end = start + trimmed.len();
    while start < end {
        let piece = cut(&body[start..end], max_chars);
        let piece_text = body[start..start + piece].trim_end();
        out.push(base + start..base + start + piece_text.len());
        start += piece;
        start += body[start..end].len() - body[start..end].trim_start().len();
    }
}

/// Byte length of the first piece of `s` holding at most `max_chars` characters, cut after a
/// space or comma in the second half of the window when there is one.
fn cut(s: &str, max_chars: usize) -> usize {
    let max_chars = max_chars.max(1);
    let Some((limit, _)) = s.char_indices().nth(max_chars) else {
        return s.len();
    };
    let window = &s[..limit];
    let soft = window
        .char_indices()
        .rev()
        .take(max_chars / 2)
        .find_map(|(i, c)| {
            let soft_break = c.is_whitespace() || matches!(c, ',' | '，' | '、' | ':' | '：' | ';');
            soft_break.then_some(i + c.len_utf8())
        });
    soft.unwrap_or(limit)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(text: &str, max: usize) -> Vec<&str> {
        units(text, 0..text.len(), max)
            .into_iter()
            .map(|r| &text[r])
            .collect()
    }

    #[test]
    fn english_sentences() {
        let text = "Prices start at $9.99 per seat. Really? Yes! See \"Tiers.\" Next";
        assert_eq!(
            split(text, 500),
            [
                "Prices start at $9.99 per seat.",
                "Really?",
                "Yes!",
                "See \"Tiers.\"",
                "Next"
            ]
        );
    }

    #[test]
    fn chinese_sentences_without_spaces() {
        let text = "预算不足怎么办？我们提供租赁方案。分期付款；首付为零！“好的。”";
        assert_eq!(
            split(text, 500),
            [
                "预算不足怎么办？",
                "我们提供租赁方案。",
                "分期付款；",
                "首付为零！",
                "“好的。”"
            ]
        );
        assert_eq!(split("真的吗？！好。", 500), ["真的吗？！", "好。"]);
    }

    #[test]
    fn markdown_blocks_and_soft_wraps() {
        let text = "Intro line wraps\nonto the next line.\n\n- item one\n- item two\n| a | b |\n";
        assert_eq!(
            split(text, 500),
            [
                "Intro line wraps\nonto the next line.",
                "- item one",
                "- item two",
                "| a | b |"
            ]
        );
    }

    #[test]
    fn long_units_are_cut_by_characters() {
        let zh = "字".repeat(25);
        let pieces = split(&zh, 10);
        assert_eq!(pieces.len(), 3);
        assert!(pieces.iter().all(|p| p.chars().count() <= 10));
        let en = "alpha beta gamma delta epsilon zeta eta theta";
        let pieces = split(en, 12);
        assert!(pieces.iter().all(|p| p.chars().count() <= 12), "{pieces:?}");
        assert_eq!(pieces[0], "alpha beta");
    }
}
