//! Character folding for the redaction scanners: full-width forms (`０`-`９`, `＠`, `＋`, `（）`,
//! `－`, full-width letters) and odd spaces and dashes become their ASCII equivalents, Chinese
//! numerals become "weak" digits, and every char keeps its byte offset in the original text so
//! a mask always replaces exactly the original characters.

/// Stands in for characters already claimed by an e-mail match: neither a word character, a
/// digit nor a separator, exactly like the `]` of a mask, so a second pass sees the same thing.
pub(super) const CLAIMED: char = '\u{FFFC}';

/// The text as folded chars with their byte offsets.
pub(super) struct Folded {
    /// Folded characters, one per char of the original.
    pub chars: Vec<char>,
    /// Byte offset of each char in the original; one extra entry holds the text's length.
    pub offs: Vec<usize>,
}

/// The ASCII form of full-width and look-alike characters; everything else unchanged.
fn fold_char(c: char) -> char {
    match c {
        // Full-width ASCII block: ！ .. ～ -> ! .. ~
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{3000}' | '\u{00A0}' | '\u{2007}' | '\u{2009}' | '\u{202F}' => ' ',
        '\u{2010}'..='\u{2013}' | '\u{2212}' | '\u{FE63}' => '-',
        _ => c,
    }
}

/// Folds `text` (see the module doc).
pub(super) fn fold(text: &str) -> Folded {
    let mut chars = Vec::with_capacity(text.len());
    let mut offs = Vec::with_capacity(text.len() + 1);
    for (i, c) in text.char_indices() {
        chars.push(fold_char(c));
        offs.push(i);
    }
    offs.push(text.len());
    Folded { chars, offs }
}

/// Value of an ASCII digit (full-width digits are folded to ASCII before this).
pub(super) fn digit(c: char) -> Option<u8> {
    c.to_digit(10)
        .filter(|_| c.is_ascii_digit())
        .map(|d| d as u8)
}

/// Value of a Chinese numeral digit as dictated in numbers (`幺` is a spoken 1, `两` a 2).
pub(super) fn zh_digit(c: char) -> Option<u8> {
    Some(match c {
        '零' | '〇' => 0,
        '一' | '幺' => 1,
        '二' | '两' => 2,
        '三' => 3,
        '四' => 4,
        '五' => 5,
        '六' => 6,
        '七' => 7,
        '八' => 8,
        '九' => 9,
        _ => return None,
    })
}

/// ASCII letters and `_`: a digit run touching one is part of a code (`SKU123…`), not PII.
pub(super) fn is_word(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}
