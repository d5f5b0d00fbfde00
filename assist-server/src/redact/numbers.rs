//! Finds phone, ID-card and bank-card numbers in folded text. Digit runs ("groups") joined by
//! the separators people and ASR put inside numbers (spaces, `-`, `.`, `(415) `) form a chunk;
//! from each group of a chunk, the longest run of following groups (at most [`MAX_DIGITS`]
//! digits) that [`checks::classify`] accepts is masked and the scan resumes after it. Every
//! start looks at a bounded number of groups, so the scan is linear in the text.
//!
//! Not candidates: digit runs touching ASCII letters (codes such as `SKU123`, except an ID's
//! final `X`), runs after a currency sign or before `%`/`元`/`万`..., runs longer than
//! [`MAX_DIGITS`], and runs of Chinese numerals (`一三八…`) shorter than [`MIN_ZH_RUN`].

use super::text::{digit, is_word, zh_digit};
use super::{Kind, Span, checks};

/// The longest candidate, in digits (19-digit cards; 0086 + 11-digit mobiles).
const MAX_DIGITS: usize = 20;
/// Chinese numerals count as a number only in runs this long (shorter ones are ordinary words).
const MIN_ZH_RUN: usize = 7;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Script {
    Ascii,
    Zh,
}

/// One run of digits.
struct Group {
    /// First char of the group's span: its `+` or `(` if it has them, else its first digit.
    start: usize,
    /// First digit.
    dstart: usize,
    /// One past the last digit.
    dend: usize,
    /// One past the group's span (after its `)`).
    end: usize,
    script: Script,
    /// Wrapped in parentheses: `(415)`.
    paren: bool,
    /// Preceded by `+`.
    plus: bool,
    /// Followed by a lone `X`/`x` (an ID's check letter).
    x: bool,
    /// A currency sign comes just before.
    money: bool,
    /// `%` or a unit of money or magnitude comes just after.
    unit: bool,
}

fn value(c: char, script: Script) -> Option<u8> {
    match script {
        Script::Ascii => digit(c),
        Script::Zh => zh_digit(c),
    }
}

fn is_currency(c: char) -> bool {
    matches!(c, '$' | '¥' | '￥' | '€' | '£' | '₹' | '₩')
}

fn is_unit(c: char) -> bool {
    matches!(
        c,
        '%' | '‰' | '元' | '块' | '万' | '亿' | '千' | '百' | '美' | '欧' | '圆' | '円'
    )
}

/// The char at `i` if any.
fn at(chars: &[char], i: usize) -> Option<char> {
    chars.get(i).copied()
}

/// Every candidate digit group of `chars`, in order.
fn groups(chars: &[char]) -> Vec<Group> {
    let n = chars.len();
    let mut out = Vec::new();
    let mut p = 0;
    while p < n {
        let c = chars[p];
        let script = if digit(c).is_some() {
            Script::Ascii
        } else if zh_digit(c).is_some() {
            Script::Zh
        } else {
            p += 1;
            continue;
        };
        let dstart = p;
        while p < n && value(chars[p], script).is_some() {
            p += 1;
        }
        let dend = p;
        if script == Script::Zh && dend - dstart < MIN_ZH_RUN {
            continue;
        }
        let mut x = false;
        if script == Script::Ascii {
            if dstart > 0 && is_word(chars[dstart - 1]) {
                continue;
            }
            match at(chars, dend) {
                Some('X' | 'x')
                    if !at(chars, dend + 1)
                        .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') =>
                {
                    x = true
                }
                Some(c) if is_word(c) => continue,
                _ => {}
            }
        }
        let paren = !x && dstart > 0 && chars[dstart - 1] == '(' && at(chars, dend) == Some(')');
        let mut start = if paren { dstart - 1 } else { dstart };
        let end = if paren { dend + 1 } else { dend };
        let plus = start > 0 && chars[start - 1] == '+';
        if plus {
            start -= 1;
        }
        let before = |k: usize| start.checked_sub(k).map(|i| chars[i]);
        let money = before(1).is_some_and(is_currency)
            || (before(1) == Some(' ') && before(2).is_some_and(is_currency));
        let unit = at(chars, end).is_some_and(is_unit)
            || (at(chars, end) == Some(' ') && at(chars, end + 1).is_some_and(is_unit));
        out.push(Group {
            start,
            dstart,
            dend,
            end,
            script,
            paren,
            plus,
            x,
            money,
            unit,
        });
    }
    out
}

/// Whether `gap` may sit between two groups of one number: up to two spaces, at most one `-`
/// or `.`, up to two spaces; empty only after a `)`.
fn joins(gap: &[char], after_paren: bool) -> bool {
    if gap.is_empty() {
        return after_paren;
    }
    let mut i = 0;
    let spaces = |i: &mut usize| {
        let s = *i;
        while *i < gap.len() && gap[*i] == ' ' && *i - s < 2 {
            *i += 1;
        }
    };
    spaces(&mut i);
    if i < gap.len() && matches!(gap[i], '-' | '.') {
        i += 1;
    }
    spaces(&mut i);
    i == gap.len()
}

/// Masks found in one chunk (`g` are its groups).
fn scan_chunk(chars: &[char], g: &[Group], out: &mut Vec<Span>) {
    let mut digits = [0u8; MAX_DIGITS + 1];
    let mut lens = [0usize; MAX_DIGITS + 1];
    let mut i = 0;
    while i < g.len() {
        // The furthest group a span from i may reach.
        let mut total = 0;
        let mut last = None;
        for (j, gr) in g.iter().enumerate().skip(i) {
            total += gr.dend - gr.dstart;
            if total > MAX_DIGITS {
                break;
            }
            last = Some(j);
        }
        let mut found = None;
        if let Some(last) = last.filter(|_| !g[i].money) {
            'ends: for j in (i..=last).rev() {
                if g[j].unit {
                    continue;
                }
                let mut n = 0;
                for (k, gr) in g[i..=j].iter().enumerate() {
                    for &c in &chars[gr.dstart..gr.dend] {
                        digits[n] = value(c, gr.script).unwrap_or(0);
                        n += 1;
                    }
                    lens[k] = gr.dend - gr.dstart;
                }
                let groups = &lens[..=j - i];
                // With its X, only as an ID; then without it, as anything.
                if g[j].x && n < digits.len() {
                    digits[n] = 10;
                    if checks::classify(&digits[..=n], groups, false) == Some(Kind::IdCard) {
                        found = Some((j, Kind::IdCard, g[j].dend + 1));
                        break 'ends;
                    }
                }
                if let Some(kind) = checks::classify(&digits[..n], groups, g[i].plus) {
                    found = Some((j, kind, g[j].end));
                    break;
                }
            }
        }
        match found {
            Some((j, kind, end)) => {
                out.push(Span {
                    start: g[i].start,
                    end,
                    kind,
                });
                i = j + 1;
            }
            None => i += 1,
        }
    }
}

/// Phone, ID and card spans in `chars` (chars of e-mail matches already replaced).
pub(super) fn find(chars: &[char], out: &mut Vec<Span>) {
    let g = groups(chars);
    let mut first = 0;
    for k in 1..=g.len() {
        let split = k == g.len() || {
            let (a, b) = (&g[k - 1], &g[k]);
            a.script != b.script
                || a.x
                || b.plus
                || !chars
                    .get(a.end..b.start)
                    .is_some_and(|gap| joins(gap, a.paren))
        };
        if split {
            scan_chunk(chars, &g[first..k], out);
            first = k;
        }
    }
}
