//! PII redaction for transcripts and events: e-mail addresses, phone numbers (Chinese mobile
//! and landline, E.164, North American), Chinese resident ID numbers (18-digit with a valid
//! check digit, and the 15-digit legacy form) and bank-card numbers (Luhn) are replaced by
//! `[EMAIL]`, `[PHONE]`, `[ID]` and `[CARD]`, in Chinese and English text and in the forms
//! speech recognition writes them (grouped digits, full-width `１３８`, `＠`, Chinese numerals
//! `一三八…`, "at … dot com"). Prices, years, times, percentages and other ordinary numbers
//! stay. [`redact`] is pure, never panics, runs in time linear in the text, and is idempotent.
//!
//! Whether a tenant's calls are redacted is [`crate::tenants::TenantSettings::redact_pii`].

mod checks;
mod email;
mod numbers;
#[cfg(test)]
mod tests;
mod text;

use std::fmt;

/// What a mask hides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Email,
    Phone,
    IdCard,
    BankCard,
}

impl Kind {
    /// Every kind.
    pub const ALL: [Kind; 4] = [Kind::Email, Kind::Phone, Kind::IdCard, Kind::BankCard];

    /// The text that replaces a match.
    pub fn mask(self) -> &'static str {
        match self {
            Kind::Email => "[EMAIL]",
            Kind::Phone => "[PHONE]",
            Kind::IdCard => "[ID]",
            Kind::BankCard => "[CARD]",
        }
    }

    /// A stable lower-case name (for metrics labels and logs).
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Email => "email",
            Kind::Phone => "phone",
            Kind::IdCard => "id_card",
            Kind::BankCard => "bank_card",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How many of each kind were masked.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub email: u32,
    pub phone: u32,
    pub id_card: u32,
    pub bank_card: u32,
}

impl Counts {
    /// The count of one kind.
    pub fn get(&self, kind: Kind) -> u32 {
        match kind {
            Kind::Email => self.email,
            Kind::Phone => self.phone,
            Kind::IdCard => self.id_card,
            Kind::BankCard => self.bank_card,
        }
    }

    fn slot(&mut self, kind: Kind) -> &mut u32 {
        match kind {
            Kind::Email => &mut self.email,
            Kind::Phone => &mut self.phone,
            Kind::IdCard => &mut self.id_card,
            Kind::BankCard => &mut self.bank_card,
        }
    }

    /// All masks together.
    pub fn total(&self) -> u32 {
        Kind::ALL.iter().map(|&k| self.get(k)).sum()
    }
}

impl std::ops::AddAssign for Counts {
    fn add_assign(&mut self, other: Counts) {
        for k in Kind::ALL {
            *self.slot(k) += other.get(k);
        }
    }
}

/// Redacted text and what was masked in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redacted {
    pub text: String,
    pub counts: Counts,
}

impl Redacted {
    /// Whether anything was masked.
    pub fn changed(&self) -> bool {
        self.counts.total() > 0
    }
}

/// A match, in char indices of the folded text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Span {
    start: usize,
    end: usize,
    kind: Kind,
}

/// Whether `text` can hold nothing to mask: ASCII without a digit, `@` or the word "at".
fn clearly_clean(text: &str) -> bool {
    let b = text.as_bytes();
    text.is_ascii()
        && !b.iter().any(|c| c.is_ascii_digit() || *c == b'@')
        && !b
            .windows(4)
            .any(|w| w[0] == b' ' && w[1..3].eq_ignore_ascii_case(b"at") && w[3] == b' ')
}

/// Masks the PII in `text` (see the module doc).
#[must_use]
pub fn redact(text: &str) -> Redacted {
    if clearly_clean(text) {
        return Redacted {
            text: text.to_string(),
            counts: Counts::default(),
        };
    }
    let text::Folded { mut chars, offs } = text::fold(text);
    let mut spans = Vec::new();
    email::find(&mut chars, &mut spans, |chars, s| {
        if let Some(cs) = chars.get_mut(s.start..s.end) {
            cs.fill(text::CLAIMED);
        }
    });
    numbers::find(&chars, &mut spans);
    spans.sort_by_key(|s| s.start);

    let mut out = String::with_capacity(text.len());
    let mut counts = Counts::default();
    let mut at = 0; // byte offset copied so far
    for s in spans {
        let (Some(&a), Some(&b)) = (offs.get(s.start), offs.get(s.end)) else {
            continue;
        };
        if a < at || b < a {
            continue; // overlapping spans cannot happen; never mask twice if they did
        }
        out.push_str(&text[at..a]);
        out.push_str(s.kind.mask());
        *counts.slot(s.kind) += 1;
        at = b;
    }
    out.push_str(&text[at..]);
    Redacted { text: out, counts }
}

/// Masks the PII in `text` in place (it is left untouched when there is none).
pub fn redact_in_place(text: &mut String) -> Counts {
    let r = redact(text);
    if r.changed() {
        *text = r.text;
    }
    r.counts
}
