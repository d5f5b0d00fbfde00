//! Splits a document into sections at Markdown ATX headings (`#` .. `######`, outside fenced
//! code), each carrying its heading path (`["Pricing", "Tiers"]`). Plain text is one section.

use std::ops::Range;

/// A run of body text under one heading path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Section {
    /// Enclosing headings, outermost first; empty before the first heading.
    pub headings: Vec<String>,
    /// Byte range of the body (heading line excluded) in the document text.
    pub body: Range<usize>,
}

/// The sections of `text`; with `markdown == false`, one section with no headings.
pub(crate) fn sections(text: &str, markdown: bool) -> Vec<Section> {
    if !markdown {
        return vec![Section {
            headings: Vec::new(),
            body: 0..text.len(),
        }];
    }
    let mut out = Vec::new();
    let mut stack: Vec<(usize, String)> = Vec::new();
    let mut body_start = 0;
    let mut fence: Option<(char, usize)> = None;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let line_start = offset;
        offset += line.len();
        if let Some(marker) = fence_marker(line) {
            fence = match fence {
                None => Some(marker),
                Some((c, n)) if marker.0 == c && marker.1 >= n => None,
                open => open,
            };
            continue;
        }
        if fence.is_some() {
            continue;
        }
        let Some((level, title)) = atx_heading(line) else {
            continue;
        };
        let headings = stack.iter().map(|(_, t)| t.clone()).collect();
        out.push(Section {
            headings,
            body: body_start..line_start,
        });
        while stack.last().is_some_and(|(l, _)| *l >= level) {
            stack.pop();
        }
        stack.push((level, title));
        body_start = offset;
    }
    let headings = stack.iter().map(|(_, t)| t.clone()).collect();
    out.push(Section {
        headings,
        body: body_start..text.len(),
    });
    out.retain(|s| !text[s.body.clone()].trim().is_empty());
    out
}

/// `(level, title)` of an ATX heading line: up to 3 spaces, 1-6 `#`, a space, the title.
fn atx_heading(line: &str) -> Option<(usize, String)> {
    let line = line.trim_end_matches(['\n', '\r']);
    let indent = line.len() - line.trim_start_matches(' ').len();
    if indent > 3 {
        return None;
    }
    let rest = &line[indent..];
    let level = rest.len() - rest.trim_start_matches('#').len();
    let after = &rest[level..];
    if !(1..=6).contains(&level) || !(after.is_empty() || after.starts_with([' ', '\t'])) {
        return None;
    }
    let title = after.trim();
    // An optional closing sequence of `#`s, preceded by a space.
    let title = match title.trim_end_matches('#') {
        t if t.len() < title.len() && (t.is_empty() || t.ends_with([' ', '\t'])) => t.trim_end(),
        _ => title,
    };
    Some((level, title.to_owned()))
}

/// `(char, count)` when `line` opens or closes a fenced code block (``` or ~~~).
fn fence_marker(line: &str) -> Option<(char, usize)> {
    let trimmed = line.trim_start_matches(' ');
    if line.len() - trimmed.len() > 3 {
        return None;
    }
    let c = trimmed.chars().next().filter(|c| *c == '`' || *c == '~')?;
    let count = trimmed.len() - trimmed.trim_start_matches(c).len();
    (count >= 3).then_some((c, count))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(text: &str) -> Vec<(String, String)> {
        sections(text, true)
            .into_iter()
            .map(|s| (s.headings.join(" > "), text[s.body].trim().to_owned()))
            .collect()
    }

    #[test]
    fn nests_and_pops_headings() {
        let text = "intro\n# Pricing\nall tiers\n## Tiers\nbasic\n### Extra\nmore\n## Leasing\n\
                    lease\n# FAQ ##\nq\n";
        let got = paths(text);
        let want = [
            ("", "intro"),
            ("Pricing", "all tiers"),
            ("Pricing > Tiers", "basic"),
            ("Pricing > Tiers > Extra", "more"),
            ("Pricing > Leasing", "lease"),
            ("FAQ", "q"),
        ];
        let want: Vec<(String, String)> = want
            .iter()
            .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
            .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn ignores_hashes_in_code_and_non_headings() {
        let text = "# A\n```\n# not a heading\n```\n#hashtag\n    # indented code\n";
        let got = paths(text);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].0, "A");
        assert!(got[0].1.contains("# not a heading") && got[0].1.contains("#hashtag"));
    }

    #[test]
    fn chinese_headings_and_empty_sections() {
        let got = paths("# 价格\n## 套餐\n基础版每年一万元。\n");
        assert_eq!(
            got,
            vec![("价格 > 套餐".to_owned(), "基础版每年一万元。".to_owned())]
        );
    }

    #[test]
    fn plain_text_is_one_section() {
        let s = sections("# not markdown\nbody", false);
        assert_eq!(
            s,
            vec![Section {
                headings: vec![],
                body: 0..19
            }]
        );
    }
}
