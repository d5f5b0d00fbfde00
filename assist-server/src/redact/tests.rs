//! Tests of [`super::redact`]: each kind in Chinese and English, ASR forms, ordinary numbers
//! that must stay, several matches at once, idempotence, and hostile input (no panics, linear).

use super::checks::{id_check_digit, id18, luhn};
use super::{Counts, Kind, redact, redact_in_place};

/// Redacts `input` and checks the result, that a second pass changes nothing, and the counts.
#[track_caller]
fn check(input: &str, want: &str) {
    let r = redact(input);
    assert_eq!(r.text, want, "input: {input:?}");
    let again = redact(&r.text);
    assert_eq!(again.text, r.text, "not idempotent for {input:?}");
    assert_eq!(
        again.counts.total(),
        0,
        "second pass masked more in {input:?}"
    );
    let masks: u32 = Kind::ALL
        .iter()
        .map(|k| want.matches(k.mask()).count() as u32)
        .sum();
    assert_eq!(
        r.counts.total(),
        masks,
        "counts of {input:?}: {:?}",
        r.counts
    );
}

#[track_caller]
fn unchanged(input: &str) {
    check(input, input);
}

#[test]
fn email_zh_en_fullwidth_and_spoken() {
    check(
        "mail me at zhang.san+crm@example.com.",
        "mail me at [EMAIL].",
    );
    check("我的邮箱是zhangsan@qq.com谢谢", "我的邮箱是[EMAIL]谢谢");
    check("邮箱：１３８００１３８０００@163.com", "邮箱：[EMAIL]");
    check("ｚｈａｎｇ＠ｑｑ．ｃｏｍ", "[EMAIL]");
    check(
        "it's john dot smith at gmail dot com, thanks",
        "it's [EMAIL], thanks",
    );
    check("邮箱是zhangsan艾特qq点com", "邮箱是[EMAIL]");
    check("Email Li.Wei AT Outlook.com please", "Email [EMAIL] please");
    check("zhangsan at 163 dot com dot cn", "[EMAIL]");
    check("write to ops@mail.acme-corp.co.uk", "write to [EMAIL]");
    unchanged("sign up at acme.com or look at gmail later");
    unchanged("we met at 3 at the office");
    unchanged("@everyone see a@b and x@localhost");
    let r = redact("a@b.com, c@d.org");
    assert_eq!(r.counts.email, 2);
}

#[test]
fn chinese_mobile_forms() {
    check("我的手机是13800138000谢谢", "我的手机是[PHONE]谢谢");
    check("手机 138 0013 8000。", "手机 [PHONE]。");
    check(
        "打+86-138-0013-8000或者+86 13800138000",
        "打[PHONE]或者[PHONE]",
    );
    check("0086 138 0013 8000", "[PHONE]");
    check("8613800138000", "[PHONE]");
    check("号码是１３８００１３８０００", "号码是[PHONE]");
    check("号码是一三八零零一三八零零零好吗", "号码是[PHONE]好吗");
    check("幺三八 is 幺三八零零幺三八零零零", "幺三八 is [PHONE]");
    check("call 1 3 8 0 0 1 3 8 0 0 0 now", "call [PHONE] now");
    check("(13800138000)", "[PHONE]");
    check("(1380013800", "(1380013800");
}

#[test]
fn landlines_and_international() {
    check("办公室电话010-12345678转8", "办公室电话[PHONE]转8");
    check("深圳 0755 8888 6666", "深圳 [PHONE]");
    check("(010) 12345678", "[PHONE]");
    check("+86 10 1234 5678", "[PHONE]");
    check("London: +44 20 7946 0958.", "London: [PHONE].");
    check("call +1 (415) 555-0132 today", "call [PHONE] today");
    check(
        "call (415) 555-0132 or 415-555-0132",
        "call [PHONE] or [PHONE]",
    );
    check("or 415.555.0132 or 1-415-555-0132", "or [PHONE] or [PHONE]");
    check("+49 30 901820", "[PHONE]");
    check("dial 00 44 20 7946 0958", "dial [PHONE]");
    check(
        "+44 (0) 20 7946 0958 or 1 (415) 555-0132",
        "[PHONE] or [PHONE]",
    );
    check("(0755)88886666，热线400-820-8820", "[PHONE]，热线[PHONE]");
    check("手机号码：+86 138-0013-8000", "手机号码：[PHONE]");
    check("13800138000x", "[PHONE]x");
}

#[test]
fn id_cards() {
    check("身份证号11010519491231002X。", "身份证号[ID]。");
    check("身份证号11010519491231002x", "身份证号[ID]");
    check("ID 110105 19491231 002X ok", "ID [ID] ok");
    check("my ID is 310115198808154563", "my ID is [ID]");
    check("１１０１０５１９４９１２３１００２Ｘ", "[ID]");
    check("老身份证110105491231002", "老身份证[ID]");
    // Wrong check digit, bad date, bad province: not IDs (and not Luhn-valid cards).
    assert!(!luhn(&digits("110105194912310021")));
    unchanged("110105194912310021");
    unchanged("11010519491331002X");
    unchanged("99010519491231002X");
    // An X that is part of a word is not a check letter.
    unchanged("11010519491231002Xyz");
}

fn digits(s: &str) -> Vec<u8> {
    s.bytes().map(|b| b - b'0').collect()
}

#[test]
fn check_digit_matches_the_standard() {
    assert_eq!(id_check_digit(&digits("11010519491231002")), 10);
    assert!(id18(&digits("310115198808154563")));
    assert!(id18(&[
        5, 1, 0, 1, 0, 7, 1, 9, 7, 6, 0, 2, 2, 9, 0, 0, 1, 10
    ]));
    assert!(!id18(&[
        5, 1, 0, 1, 0, 7, 1, 9, 7, 7, 0, 2, 2, 9, 0, 0, 1, 10
    ]));
}

#[test]
fn bank_cards() {
    check("卡号6222021234567890128谢谢", "卡号[CARD]谢谢");
    check("卡号6222 0212 3456 7890 128", "卡号[CARD]");
    check(
        "card 4111 1111 1111 1111 exp 12/28",
        "card [CARD] exp 12/28",
    );
    check("card 4111-1111-1111-1111", "card [CARD]");
    check("amex 3782 822463 10005", "amex [CARD]");
    check("５５００００００００００００００４", "[CARD]");
    check("卡号六二二八四八零零一二三四五六七一", "卡号[CARD]");
    // Luhn fails: not a card.
    unchanged("card 4111 1111 1111 1112");
    unchanged("4111111111111112");
    // Luhn passes but written like no card, or a millisecond timestamp.
    unchanged("4111 11 111 11 1 1111");
    unchanged("ts 1767225600000");
}

#[test]
fn ordinary_numbers_stay() {
    for s in [
        "The price is $30,000 per year, or 3万 a month",
        "in 2026 we grew 15% to 1,234,567 users",
        "meeting at 10:30 on 2026-01-15, order 500 seats",
        "价格是13800元，优惠20%，共3000000000个",
        "order number 1234567890",
        "ISBN 978-3-16-148410-0",
        "version 1.2.3.4 build 20260115",
        "¥13800138000 is a big number",
        "13800138000元",
        "SKU13800138000 and AB4111111111111111",
        "3.14159265358979",
        "IP 192.168.100.200, uuid 550e8400-e29b-41d4-a716-446655440000",
        "quantity 1000 2000 3000 4000, 10 20 30 40 50 60, 1 2 3 4 5 6 7 8 9 10 11",
        "4155550132",
        "6222 0212 3456 7890 128%",
        "第一二三名，一二三四五六",
        "0",
        "",
    ] {
        unchanged(s);
    }
}

#[test]
fn many_kinds_in_one_string() {
    let input = "客户张三，手机13800138000，座机010-12345678，邮箱zs@qq.com，\
                 身份证11010519491231002X，卡号6228480012345671，备用+1 415-555-0132。";
    let want = "客户张三，手机[PHONE]，座机[PHONE]，邮箱[EMAIL]，\
                身份证[ID]，卡号[CARD]，备用[PHONE]。";
    check(input, want);
    let r = redact(input);
    assert_eq!(
        r.counts,
        Counts {
            email: 1,
            phone: 3,
            id_card: 1,
            bank_card: 1
        }
    );
    let mut s = input.to_string();
    assert_eq!(redact_in_place(&mut s).total(), 6);
    assert_eq!(s, want);
    let mut clean = String::from("nothing here");
    assert_eq!(redact_in_place(&mut clean).total(), 0);
}

#[test]
fn adjacent_numbers_split_correctly() {
    check("2026 13800138000", "2026 [PHONE]");
    check("13800138000 13900139000", "[PHONE] [PHONE]");
    check("13800138000. 2 more", "[PHONE]. 2 more");
    check("+86 138 0013 8000 2", "[PHONE] 2");
}

/// xorshift64*, so the random inputs are the same on every run.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

#[test]
fn random_input_never_panics_and_is_idempotent() {
    let alphabet: Vec<&str> = vec![
        "0",
        "1",
        "3",
        "8",
        "4",
        "6",
        "9",
        " ",
        "-",
        ".",
        "+",
        "(",
        ")",
        "X",
        "x",
        "@",
        "a",
        "t",
        " at ",
        " dot ",
        "qq",
        "com",
        "gmail",
        "艾特",
        "点",
        "中",
        "元",
        "%",
        "$",
        "０",
        "１",
        "＠",
        "一",
        "三",
        "八",
        "零",
        "😀",
        "\u{301}",
        "\u{200d}",
        "\u{3000}",
        "13800138000",
        "4111111111111111",
        "11010519491231002",
        "010",
        "+86",
        "[PHONE]",
        "\n",
    ];
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for _ in 0..3000 {
        let len = (rng.next() % 24) as usize;
        let s: String = (0..len)
            .map(|_| alphabet[(rng.next() % alphabet.len() as u64) as usize])
            .collect();
        let once = redact(&s);
        let twice = redact(&once.text);
        assert_eq!(twice.text, once.text, "not idempotent for {s:?}");
    }
}

#[test]
fn hostile_input_is_linear_and_safe() {
    let long = 200_000;
    let inputs = [
        String::new(),
        "1".repeat(long),
        "１".repeat(long),
        "一".repeat(long),
        "1 ".repeat(long / 2),
        "13800138000 ".repeat(long / 12),
        "@".repeat(long),
        "a@".repeat(long / 2),
        "a.".repeat(long / 2) + "@b.com",
        " at ".repeat(long / 4),
        "x at gmail dot ".repeat(long / 15),
        "dot a ".repeat(long / 6) + "at qq dot com",
        "(".repeat(long),
        "+1".repeat(long / 2),
        "😀\u{301}\u{200d}".repeat(long / 3),
        "e\u{301}\u{301}\u{301}1\u{301}".repeat(long / 5),
        "\u{FFFC}[PHONE]".repeat(long / 8),
    ];
    let t = std::time::Instant::now();
    for s in &inputs {
        let r = redact(s);
        assert_eq!(redact(&r.text).text, r.text);
    }
    // Tens of milliseconds when linear; a quadratic scan of these would take minutes.
    assert!(t.elapsed().as_secs() < 10, "took {:?}", t.elapsed());
    // Ten thousand digits are nothing in particular.
    unchanged(&"7".repeat(10_000));
    unchanged(&"9".repeat(10_000));
}
