//! The rules that decide what a run of digits is: Chinese mobile and landline numbers, E.164
//! and North American numbers, resident ID cards (ISO 7064 MOD 11-2 check digit, province and
//! birth date) and bank cards (Luhn, length and first digit). Digits are values 0-9; an ID's
//! check letter X is 10. Each rule also looks at how the digits were grouped when that is what
//! tells a phone number from an ordinary number.

use super::Kind;

/// An 11-digit Chinese mobile number: 1[3-9] and nine more.
fn cn_mobile(d: &[u8]) -> bool {
    d.len() == 11 && d[0] == 1 && (3..=9).contains(&d[1])
}

/// A Chinese landline with its trunk 0: 010 or 02x + 8 digits, 0xxx + 7 or 8 digits; the local
/// number never starts with 0.
fn cn_landline(d: &[u8]) -> bool {
    if d.len() < 10 || d[0] != 0 {
        return false;
    }
    let area = match d[1] {
        1 if d[2] == 0 => 3,
        2 => 3,
        3..=9 => 4,
        _ => return false,
    };
    let local = d.len() - area;
    d[area] != 0
        && if area == 3 {
            local == 8
        } else {
            (7..=8).contains(&local)
        }
}

/// A Chinese landline written after +86 / 0086 (no trunk 0).
fn cn_landline_intl(d: &[u8]) -> bool {
    let mut with_zero = [0u8; 16];
    if d.is_empty() || d.len() >= with_zero.len() {
        return false;
    }
    with_zero[1..=d.len()].copy_from_slice(d);
    cn_landline(&with_zero[..=d.len()])
}

/// A North American number (area code and exchange start 2-9), grouped like one:
/// `415-555-0132`, `(415) 555-0132`, `415 5550132`, `1-415-555-0132`.
fn nanp(d: &[u8], groups: &[usize]) -> bool {
    let ten = |d: &[u8]| d.len() == 10 && d[0] >= 2 && d[3] >= 2;
    match groups {
        [3, 3, 4] | [3, 7] => ten(d),
        [1, 3, 3, 4] | [1, 3, 7] => d[0] == 1 && ten(&d[1..]),
        _ => false,
    }
}

/// After a `+`: country code and subscriber number, at most 15 digits (E.164). +1 and +86
/// are checked against their own plans; other countries by length only.
pub(super) fn e164(d: &[u8]) -> bool {
    match d {
        [0, ..] | [] => false,
        [1, rest @ ..] => rest.len() == 10 && rest[0] >= 2 && rest[3] >= 2,
        [8, 6, rest @ ..] => cn_mobile(rest) || cn_landline_intl(rest),
        _ => (7..=15).contains(&d.len()),
    }
}

/// Any phone number without a leading `+`.
pub(super) fn phone(d: &[u8], groups: &[usize]) -> bool {
    match d {
        [8, 6, rest @ ..] if cn_mobile(rest) => true,
        [0, 0, 8, 6, rest @ ..] => cn_mobile(rest) || cn_landline_intl(rest),
        // Another international prefix: 00 + country code + number.
        [0, 0, c, ..] => *c != 0 && (8..=15).contains(&(d.len() - 2)),
        _ => cn_mobile(d) || cn_landline(d) || nanp(d, groups),
    }
}

fn is_leap(y: u32) -> bool {
    (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400)
}

fn num(d: &[u8]) -> u32 {
    d.iter().fold(0, |acc, &x| acc * 10 + u32::from(x))
}

fn valid_date(y: u32, m: u32, day: u32) -> bool {
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(y) => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&day)
}

/// First two digits of a resident ID: the province (or HK, Macau, Taiwan, 91 for foreigners).
fn province(d: &[u8]) -> bool {
    matches!(
        num(&d[..2]),
        11..=15 | 21..=23 | 31..=37 | 41..=46 | 50..=54 | 61..=65 | 71 | 81..=83 | 91
    )
}

const ID_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK: [u8; 11] = [1, 0, 10, 9, 8, 7, 6, 5, 4, 3, 2];

/// The check digit (10 = X) of the first 17 digits of an 18-digit resident ID.
pub(super) fn id_check_digit(d17: &[u8]) -> u8 {
    let sum: u32 = d17
        .iter()
        .zip(ID_WEIGHTS)
        .map(|(&x, w)| u32::from(x) * w)
        .sum();
    ID_CHECK[(sum % 11) as usize]
}

/// An 18-digit resident ID: province, birth date 1900-2099, ISO 7064 MOD 11-2 check digit.
pub(super) fn id18(d: &[u8]) -> bool {
    d.len() == 18
        && d[..17].iter().all(|&x| x < 10)
        && province(d)
        && (1900..=2099).contains(&num(&d[6..10]))
        && valid_date(num(&d[6..10]), num(&d[10..12]), num(&d[12..14]))
        && id_check_digit(&d[..17]) == d[17]
}

/// A 15-digit resident ID (issued before 1999): province and a 19yy birth date.
pub(super) fn id15(d: &[u8]) -> bool {
    d.len() == 15
        && d.iter().all(|&x| x < 10)
        && province(d)
        && valid_date(1900 + num(&d[6..8]), num(&d[8..10]), num(&d[10..12]))
}

/// The Luhn (mod 10) check.
pub(super) fn luhn(d: &[u8]) -> bool {
    let sum: u32 = d
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &x)| {
            let x = u32::from(x);
            if i % 2 == 1 {
                let y = x * 2;
                if y > 9 { y - 9 } else { y }
            } else {
                x
            }
        })
        .sum();
    !d.is_empty() && sum.is_multiple_of(10)
}

/// How card numbers are written: one run, fours with a shorter tail (`6222 0212 3456 7890 123`),
/// or the American Express / Diners 4-6-5 and 4-6-4.
fn card_grouping(groups: &[usize]) -> bool {
    match groups {
        [_] | [4, 6, 5] | [4, 6, 4] => true,
        [head @ .., last] => {
            head.len() >= 2 && head.iter().all(|&g| g == 4) && (1..=4).contains(last)
        }
        [] => false,
    }
}

/// A payment card: 13-19 digits with a plausible first digit for its length, card grouping,
/// and the Luhn check.
pub(super) fn card(d: &[u8], groups: &[usize]) -> bool {
    let first_ok = match d.len() {
        13 => d[0] == 4,
        14 | 15 => d[0] == 3,
        16..=19 => matches!(d[0], 2..=6 | 8 | 9),
        _ => false,
    };
    first_ok && d.iter().all(|&x| x < 10) && card_grouping(groups) && luhn(d)
}

/// What a candidate run is, if anything: `d` its digits (10 = a trailing X), `groups` the
/// length of each digit group, `plus` whether a `+` came first.
pub(super) fn classify(d: &[u8], groups: &[usize], plus: bool) -> Option<Kind> {
    if d.last() == Some(&10) {
        return id18(d).then_some(Kind::IdCard);
    }
    if plus {
        return (e164(d) || phone(d, groups)).then_some(Kind::Phone);
    }
    if id18(d) || (id15(d) && groups != [4, 6, 5]) {
        return Some(Kind::IdCard);
    }
    if phone(d, groups) {
        return Some(Kind::Phone);
    }
    card(d, groups).then_some(Kind::BankCard)
}
