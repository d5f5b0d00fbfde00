//! Latin word boundaries: a hit may not start or end inside an ASCII letter/digit word
//! (`cure` is not in `secure` or `cures`), while CJK text, which has no spaces, matches
//! anywhere, and a Latin phrase right next to a CJK character still matches (`用crm系统`).

use std::ops::Range;

/// Whether a pattern's first and last bytes are ASCII letters or digits, i.e. whether a hit
/// of it needs a word boundary before and after.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Edges {
    start_word: bool,
    end_word: bool,
}

impl Edges {
    /// The edges of a normalised pattern.
    pub(super) fn of(pattern: &str) -> Self {
        let bytes = pattern.as_bytes();
        Self {
            start_word: bytes.first().is_some_and(u8::is_ascii_alphanumeric),
            end_word: bytes.last().is_some_and(u8::is_ascii_alphanumeric),
        }
    }

    /// Whether a hit at `span` of normalised `text` sits on word boundaries. Bytes of non-ASCII
    /// characters are never ASCII alphanumeric, so CJK neighbours always count as a boundary.
    #[inline]
    pub(super) fn allow(self, text: &[u8], span: &Range<usize>) -> bool {
        let word = |at: Option<usize>| {
            at.and_then(|i| text.get(i))
                .is_some_and(u8::is_ascii_alphanumeric)
        };
        let inside_before = self.start_word && word(span.start.checked_sub(1));
        let inside_after = self.end_word && word(Some(span.end));
        !(inside_before || inside_after)
    }
}
