//! Finds e-mail addresses in folded text (so `＠` and full-width letters count): written ones,
//! `local@domain.tld` with a final label of two or more letters, and the forms speech
//! recognition writes for dictated ones, `john dot smith at gmail dot com`,
//! `zhangsan艾特qq点com`, `zhangsan at qq.com`. A spoken address needs a known mail provider
//! (gmail, qq, 163, outlook...) and a known top-level domain, so "sign up at acme.com" or
//! "look at it" stay as they are. Every scan stops at the next `@`, so the work is linear.

use super::{Kind, Span};

/// Mail providers accepted after a spoken "at" / "艾特".
const PROVIDERS: &[&str] = &[
    "gmail",
    "googlemail",
    "qq",
    "foxmail",
    "163",
    "126",
    "yeah",
    "sina",
    "sohu",
    "aliyun",
    "outlook",
    "hotmail",
    "msn",
    "yahoo",
    "icloud",
    "proton",
    "protonmail",
    "139",
    "189",
    "21cn",
    "yandex",
    "gmx",
    "aol",
    "zoho",
];
/// Top-level domains accepted after a spoken "dot" / "点".
const TLDS: &[&str] = &[
    "com", "net", "cn", "org", "edu", "hk", "tw", "co", "uk", "jp", "io", "me", "de", "fr", "sg",
];
/// Longest local part looked at (RFC 5321 allows 64).
const MAX_LOCAL: usize = 64;
/// Spoken "dot"s followed back into a local part.
const MAX_LOCAL_DOTS: usize = 8;

fn is_local(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '%' | '+' | '-')
}

fn is_label(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-'
}

/// Whether `chars[a..b]` spells `word` (ASCII, any case).
fn eq_ci(chars: &[char], a: usize, b: usize, word: &str) -> bool {
    chars.get(a..b).is_some_and(|s| {
        s.len() == word.len()
            && s.iter()
                .zip(word.chars())
                .all(|(c, w)| c.eq_ignore_ascii_case(&w))
    })
}

/// The end of the run of chars from `p` that satisfy `f`.
fn run_end(chars: &[char], mut p: usize, f: impl Fn(char) -> bool) -> usize {
    while p < chars.len() && f(chars[p]) {
        p += 1;
    }
    p
}

/// The start of the run of chars ending at `p` that satisfy `f` (at most `max` long).
fn run_start(
    chars: &[char],
    mut p: usize,
    floor: usize,
    max: usize,
    f: impl Fn(char) -> bool,
) -> usize {
    let end = p;
    while p > floor && end - p < max && f(chars[p - 1]) {
        p -= 1;
    }
    p
}

/// End of a written domain starting at `p`: dot-separated labels, the last one alphabetic and
/// at least two long (labels after it, such as a trailing `.5`, are left out).
fn domain_end(chars: &[char], mut p: usize) -> Option<usize> {
    let (mut labels, mut best) = (0, None);
    loop {
        let e = run_end(chars, p, is_label);
        if e == p {
            break;
        }
        labels += 1;
        if labels >= 2 && e - p >= 2 && chars[p..e].iter().all(char::is_ascii_alphabetic) {
            best = Some(e);
        }
        if chars.get(e) == Some(&'.') && chars.get(e + 1).is_some_and(|&c| is_label(c)) {
            p = e + 1;
        } else {
            break;
        }
    }
    best
}

/// Written addresses.
fn written(chars: &[char], out: &mut Vec<Span>) {
    let mut from = 0;
    for a in 0..chars.len() {
        if chars[a] != '@' || a < from {
            continue;
        }
        let mut s = run_start(chars, a, from, MAX_LOCAL, is_local);
        while s < a && chars[s] == '.' {
            s += 1;
        }
        if s == a {
            continue;
        }
        if let Some(e) = domain_end(chars, a + 1) {
            out.push(Span {
                start: s,
                end: e,
                kind: Kind::Email,
            });
            from = e;
        }
    }
}

/// Length of a spoken "at" at `p` (`艾特`, `@`, or the word `at` between spaces).
fn at_sign(chars: &[char], p: usize) -> Option<usize> {
    match chars[p] {
        '@' => Some(1),
        '艾' if chars.get(p + 1) == Some(&'特') => Some(2),
        'a' | 'A'
            if p > 0
                && chars[p - 1] == ' '
                && eq_ci(chars, p, p + 2, "at")
                && chars.get(p + 2) == Some(&' ') =>
        {
            Some(2)
        }
        _ => None,
    }
}

/// A spoken or written dot at `p` (after any spaces): returns where what follows it starts.
fn dot_after(chars: &[char], p: usize) -> Option<usize> {
    let q = run_end(chars, p, |c| c == ' ');
    let next = match chars.get(q)? {
        '.' | '点' => q + 1,
        'd' | 'D' if q > p && eq_ci(chars, q, q + 3, "dot") && chars.get(q + 3) == Some(&' ') => {
            q + 3
        }
        _ => return None,
    };
    Some(run_end(chars, next, |c| c == ' '))
}

/// The start of a spoken local part ending at `e` (`john dot smith`), or `None`.
fn local_before(chars: &[char], e: usize, floor: usize) -> Option<usize> {
    let mut s = run_start(chars, e, floor, MAX_LOCAL, is_local);
    if s == e {
        return None;
    }
    for _ in 0..MAX_LOCAL_DOTS {
        // `… dot <s>` or `…点<s>`
        let k = run_start(chars, s, floor, 2, |c| c == ' ');
        let dot = if k > floor && chars[k - 1] == '点' {
            k - 1
        } else if k < s && k >= floor + 4 && eq_ci(chars, k - 3, k, "dot") && chars[k - 4] == ' ' {
            k - 4
        } else {
            break;
        };
        let k2 = run_start(chars, dot, floor, 2, |c| c == ' ');
        let s2 = run_start(chars, k2, floor, MAX_LOCAL, is_local);
        if s2 == k2 {
            break;
        }
        s = s2;
    }
    while s < e && chars[s] == '.' {
        s += 1;
    }
    (s < e).then_some(s)
}

/// Dictated addresses (see the module doc).
fn spoken(chars: &[char], out: &mut Vec<Span>) {
    let mut from = 0;
    let mut p = 0;
    while p < chars.len() {
        let Some(len) = at_sign(chars, p) else {
            p += 1;
            continue;
        };
        let q = run_end(chars, p + len, |c| c == ' ');
        let pe = run_end(chars, q, |c| c.is_ascii_alphanumeric());
        let mut end = None;
        if PROVIDERS.iter().any(|w| eq_ci(chars, q, pe, w)) {
            let mut t = pe;
            while let Some(ts) = dot_after(chars, t) {
                let te = run_end(chars, ts, |c| c.is_ascii_alphabetic());
                if !TLDS.iter().any(|w| eq_ci(chars, ts, te, w)) {
                    break;
                }
                end = Some(te);
                t = te;
            }
        }
        let le = run_start(chars, p, from, 2, |c| c == ' ');
        match (end, local_before(chars, le, from)) {
            (Some(e), Some(s)) => {
                out.push(Span {
                    start: s,
                    end: e,
                    kind: Kind::Email,
                });
                from = e;
                p = e;
            }
            _ => p += len,
        }
    }
}

/// E-mail spans of `chars`, written ones first; spoken ones are searched only in what is left
/// (`claim` marks a span as taken).
pub(super) fn find(chars: &mut [char], out: &mut Vec<Span>, claim: impl Fn(&mut [char], &Span)) {
    let before = out.len();
    written(chars, out);
    for s in &out[before..] {
        claim(chars, s);
    }
    let mid = out.len();
    spoken(chars, out);
    for s in &out[mid..] {
        claim(chars, s);
    }
}
