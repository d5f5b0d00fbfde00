//! The zh/en emotion lexicon and the text scorer behind [`super::classify_text`].
//!
//! The raw text is cut into clauses at punctuation (negation never crosses a clause), each
//! clause is normalised with `callassist_knowledge::normalize`, and lexicon phrases are found
//! longest first, so "still not working" wins over "not working" and blockers such as 哪怕 or
//! 麻烦您 (weight 0) hide the shorter 怕 / 麻烦 inside them. Latin phrases match whole words
//! only. A phrase preceded by a negator (optionally through a few fillers: "not really
//! worried", "no need to worry", 不太担心, 没什么好担心) is dropped; an intensifier before it
//! (very, really, 非常, 太) strengthens it and a softener (a bit, 有点) weakens it. Evidence
//! per label is combined noisy-or style, so the score stays in 0..1; the best label wins,
//! ties going to the first of [`Emotion::ALL`]. Exclamation marks and repeated `!?` add a
//! small boost to a non-neutral result.

use std::sync::OnceLock;

use callassist_knowledge::normalize;

use super::Emotion;

/// Longest text classified, in characters; a live utterance is far shorter.
const MAX_CHARS: usize = 2_000;
/// Most cues reported for one utterance.
const MAX_CUES: usize = 6;

use Emotion::{
    Angry as A, Anxious as X, Confused as C, Frustrated as F, Neutral as N, Positive as P,
};

/// `(phrase, label, weight)`; phrases are already in `normalize` form. Neutral entries are
/// blockers: they only hide shorter phrases inside them.
#[rustfmt::skip]
const LEXICON: &[(&str, Emotion, f32)] = &[
    // angry
    ("ridiculous", A, 0.75), ("unacceptable", A, 0.8), ("this is a joke", A, 0.8),
    ("a joke", A, 0.5), ("outrageous", A, 0.8), ("furious", A, 0.85), ("angry", A, 0.7),
    ("pissed", A, 0.75), ("fed up", A, 0.7), ("sick and tired", A, 0.75),
    ("had enough", A, 0.7), ("enough is enough", A, 0.8), ("how dare", A, 0.8),
    ("scam", A, 0.75), ("rip off", A, 0.7), ("ripoff", A, 0.7), ("insulting", A, 0.75),
    ("disgraceful", A, 0.8), ("nonsense", A, 0.6), ("bullshit", A, 0.8),
    ("are you kidding me", A, 0.7), ("you must be kidding", A, 0.7), ("complaint", A, 0.45),
    ("file a complaint", A, 0.8), ("make a complaint", A, 0.8),
    ("speak to your manager", A, 0.65), ("talk to your manager", A, 0.65),
    ("受够了", A, 0.85), ("太离谱", A, 0.8), ("离谱", A, 0.6), ("投诉", A, 0.55),
    ("我要投诉", A, 0.85), ("投诉你们", A, 0.85), ("气死", A, 0.85), ("生气", A, 0.7),
    ("火大", A, 0.7), ("什么玩意", A, 0.75), ("开什么玩笑", A, 0.75), ("开玩笑", A, 0.4),
    ("骗子", A, 0.8), ("骗人", A, 0.75), ("坑人", A, 0.75), ("忽悠", A, 0.6),
    ("太过分", A, 0.8), ("过分", A, 0.6), ("荒唐", A, 0.7), ("岂有此理", A, 0.85),
    ("不像话", A, 0.7), ("欺负人", A, 0.75), ("忍无可忍", A, 0.85), ("混蛋", A, 0.85),
    ("找你们领导", A, 0.7), ("叫你们领导", A, 0.7), ("找你们经理", A, 0.7),
    ("退钱", A, 0.6), ("差劲", A, 0.6), ("垃圾", A, 0.6),
    // frustrated
    ("again", F, 0.35), ("still not working", F, 0.75), ("still doesnt work", F, 0.75),
    ("not working", F, 0.5), ("doesnt work", F, 0.5), ("never works", F, 0.65),
    ("still waiting", F, 0.6), ("waste of time", F, 0.75), ("wasting my time", F, 0.75),
    ("frustrated", F, 0.7), ("frustrating", F, 0.7), ("annoying", F, 0.55),
    ("annoyed", F, 0.6), ("useless", F, 0.6), ("terrible", F, 0.5), ("awful", F, 0.5),
    ("disappointed", F, 0.6), ("disappointing", F, 0.6), ("every single time", F, 0.6),
    ("how many times", F, 0.6), ("keeps crashing", F, 0.65), ("keeps breaking", F, 0.65),
    ("keeps happening", F, 0.6), ("not happy", F, 0.6), ("unhappy", F, 0.6),
    ("same problem", F, 0.5), ("same issue", F, 0.5), ("tired of", F, 0.55),
    ("painful", F, 0.45), ("nightmare", F, 0.6), ("headache", F, 0.45),
    ("又坏了", F, 0.75), ("又出问题", F, 0.7), ("又出故障", F, 0.7), ("又来了", F, 0.5),
    ("一直没解决", F, 0.8), ("还没解决", F, 0.6), ("没解决", F, 0.5), ("还是不行", F, 0.65),
    ("还是没用", F, 0.65), ("没用", F, 0.5), ("烦死了", F, 0.8), ("烦", F, 0.45),
    ("麻烦", F, 0.3), ("头疼", F, 0.5), ("头痛", F, 0.5), ("折腾", F, 0.5),
    ("浪费时间", F, 0.75), ("白费", F, 0.5), ("不满意", F, 0.6), ("不太满意", F, 0.55),
    ("失望", F, 0.6), ("无语", F, 0.6), ("受不了", F, 0.65), ("老是", F, 0.35),
    ("总是出问题", F, 0.6), ("等了半天", F, 0.55), ("好几次", F, 0.35),
    ("不靠谱", F, 0.55), ("不喜欢", F, 0.45), ("不太好", F, 0.4), ("郁闷", F, 0.55),
    ("心累", F, 0.6), ("太慢", F, 0.45),
    // anxious
    ("worried", X, 0.6), ("worry", X, 0.5), ("worries", X, 0.5), ("worrying", X, 0.55),
    ("concerned", X, 0.5), ("concern", X, 0.4), ("concerns", X, 0.4), ("nervous", X, 0.6),
    ("anxious", X, 0.7), ("scared", X, 0.65), ("afraid", X, 0.45), ("im afraid", X, 0.25),
    ("what if", X, 0.45),
    ("what happens if", X, 0.5), ("risk", X, 0.35), ("risks", X, 0.35), ("risky", X, 0.5),
    ("uneasy", X, 0.55), ("hesitant", X, 0.4), ("not comfortable", X, 0.5),
    ("uncertain", X, 0.4),
    ("担心", X, 0.6), ("担忧", X, 0.6), ("忧虑", X, 0.6), ("顾虑", X, 0.45),
    ("万一", X, 0.45), ("怕", X, 0.35), ("害怕", X, 0.6), ("恐怕", X, 0.2),
    ("可怕", X, 0.45), ("焦虑", X, 0.7), ("紧张", X, 0.45), ("不放心", X, 0.6),
    ("没底", X, 0.55), ("心里没底", X, 0.65), ("风险", X, 0.35), ("出问题怎么办", X, 0.6),
    ("怎么办", X, 0.35), ("不安", X, 0.55), ("着急", X, 0.45), ("靠得住吗", X, 0.45),
    // confused
    ("i dont understand", C, 0.7), ("dont understand", C, 0.65),
    ("didnt understand", C, 0.6), ("cant understand", C, 0.6), ("dont get it", C, 0.6),
    ("dont follow", C, 0.6), ("not following", C, 0.55), ("what do you mean", C, 0.65),
    ("what does that mean", C, 0.6), ("confusing", C, 0.6), ("confused", C, 0.6),
    ("im lost", C, 0.6), ("lost me", C, 0.6), ("not sure what", C, 0.45),
    ("not clear", C, 0.5), ("unclear", C, 0.5), ("doesnt make sense", C, 0.55),
    ("makes no sense", C, 0.55), ("say that again", C, 0.5), ("explain that again", C, 0.55),
    ("come again", C, 0.45), ("huh", C, 0.35), ("sorry what", C, 0.4),
    ("没听懂", C, 0.7), ("听不懂", C, 0.7), ("没看懂", C, 0.6), ("看不懂", C, 0.6),
    ("不明白", C, 0.6), ("不太明白", C, 0.6), ("没明白", C, 0.6), ("不懂", C, 0.55),
    ("不太懂", C, 0.55), ("搞不懂", C, 0.65), ("搞不清楚", C, 0.65), ("搞不清", C, 0.6),
    ("弄不清", C, 0.6), ("不清楚", C, 0.4), ("什么意思", C, 0.6), ("啥意思", C, 0.6),
    ("什么叫", C, 0.45), ("糊涂", C, 0.6), ("再说一遍", C, 0.5), ("再解释一下", C, 0.45),
    ("不理解", C, 0.55), ("绕晕", C, 0.65), ("一头雾水", C, 0.75), ("云里雾里", C, 0.7),
    ("怎么理解", C, 0.4),
    // positive
    ("great", P, 0.5), ("sounds good", P, 0.6), ("sounds great", P, 0.65),
    ("perfect", P, 0.6), ("excellent", P, 0.6), ("awesome", P, 0.6), ("fantastic", P, 0.65),
    ("wonderful", P, 0.6), ("impressive", P, 0.55), ("love it", P, 0.65),
    ("love that", P, 0.6), ("happy", P, 0.45), ("glad", P, 0.45), ("helpful", P, 0.45),
    ("makes sense", P, 0.35), ("good", P, 0.3), ("thank you", P, 0.25), ("thanks", P, 0.25),
    ("no problem", P, 0.3),
    ("太好了", P, 0.7), ("不错", P, 0.5), ("挺好", P, 0.5), ("很好", P, 0.5),
    ("非常好", P, 0.65), ("满意", P, 0.5), ("没问题", P, 0.35), ("谢谢", P, 0.25),
    ("感谢", P, 0.3), ("好主意", P, 0.55), ("可以的", P, 0.3), ("喜欢", P, 0.45),
    ("靠谱", P, 0.5), ("放心了", P, 0.5), ("棒", P, 0.55), ("完美", P, 0.6),
    ("清楚了", P, 0.35), ("明白了", P, 0.3), ("正是我们需要的", P, 0.6),
    // blockers
    ("against", N, 0.0), ("thanks again", N, 0.0), ("good morning", N, 0.0),
    ("good afternoon", N, 0.0), ("good evening", N, 0.0), ("哪怕", N, 0.0),
    ("麻烦你", N, 0.0), ("麻烦您", N, 0.0), ("不好意思", N, 0.0), ("不安装", N, 0.0),
    ("垃圾邮件", N, 0.0), ("垃圾短信", N, 0.0), ("垃圾分类", N, 0.0), ("没用过", N, 0.0),
    ("没用上", N, 0.0),
];

/// Single words that negate what follows (normalised: apostrophes dropped).
const NEGATORS_EN: &[&str] = &[
    "not", "no", "never", "dont", "doesnt", "didnt", "isnt", "arent", "wasnt", "werent", "wont",
    "wouldnt", "shouldnt", "cant", "cannot", "nothing", "without", "hardly", "barely", "neither",
    "nor", "nobody", "none",
];
/// Chinese negators, matched as a suffix of the text before the phrase.
const NEGATORS_ZH: &[&str] = &[
    "没什么好",
    "没什么可",
    "没啥好",
    "没啥可",
    "没必要",
    "无需",
    "无须",
    "不用",
    "不必",
    "何必",
    "没有",
    "不",
    "没",
    "别",
    "无",
    "未",
    "甭",
];
/// Words that may stand between a negator and the phrase ("not really worried").
const FILLERS_EN: &[&str] = &[
    "really",
    "very",
    "too",
    "so",
    "that",
    "overly",
    "particularly",
    "all",
    "at",
    "even",
    "be",
    "been",
    "feel",
    "feeling",
    "get",
    "getting",
    "much",
    "super",
    "terribly",
    "remotely",
    "to",
    "need",
    "any",
    "anything",
    "something",
];
/// Chinese fillers between a negator and the phrase (不太担心, 不是很明白), longest first.
const FILLERS_ZH: &[&str] = &[
    "需要", "那么", "这么", "怎么", "是很", "太过", "过于", "特别", "非常", "太", "很", "是", "用",
    "必", "会", "再", "要", "大",
];
const INTENSIFIERS_EN: &[&str] = &[
    "very",
    "really",
    "so",
    "extremely",
    "totally",
    "absolutely",
    "completely",
    "too",
    "super",
    "incredibly",
    "truly",
    "seriously",
    "utterly",
];
const INTENSIFIERS_ZH: &[&str] = &[
    "非常", "特别", "十分", "极其", "实在", "简直", "真的", "超级", "相当", "太", "很", "真", "超",
    "好", "巨",
];
const SOFTENERS_EN: &[&str] = &["bit", "little", "slightly", "somewhat", "kinda", "sorta"];
const SOFTENERS_ZH: &[&str] = &["有点儿", "有点", "有些", "稍微", "一点", "略"];

/// The text's emotion with the phrases that decided it.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Analysis {
    pub label: Emotion,
    pub score: f32,
    /// Human-readable evidence for the winning label ("\"受够了\"", "emphatic punctuation").
    pub cues: Vec<String>,
}

/// Scores `text`; see the module doc.
pub(super) fn analyze(text: &str) -> Analysis {
    let text = truncate(text, MAX_CHARS);
    // Per label (index into Emotion::ALL): the product of (1 - weight) over its hits.
    let mut miss = [1.0f32; 6];
    let mut hits: Vec<(Emotion, &'static str)> = Vec::new();
    for clause in text.split(is_clause_break) {
        let norm = normalize(clause);
        if !norm.is_empty() {
            scan(&norm, &mut miss, &mut hits);
        }
    }
    let mut best = (Emotion::Neutral, 0.0f32);
    for (i, e) in Emotion::ALL.into_iter().enumerate() {
        let score = 1.0 - miss[i];
        if e != Emotion::Neutral && score > best.1 {
            best = (e, score);
        }
    }
    let (label, mut score) = best;
    if label == Emotion::Neutral {
        return Analysis {
            label,
            score: 0.0,
            cues: Vec::new(),
        };
    }
    let mut cues: Vec<String> = hits
        .into_iter()
        .filter(|(e, _)| *e == label)
        .map(|(_, p)| format!("\"{p}\""))
        .take(MAX_CUES)
        .collect();
    let boost = emphasis(text);
    if boost > 0.0 {
        score += boost;
        cues.push("emphatic punctuation".to_string());
    }
    Analysis {
        label,
        score: score.clamp(0.0, 1.0),
        cues,
    }
}

/// Lexicon indices, longest phrase first, then table order (deterministic).
fn order() -> &'static [usize] {
    static ORDER: OnceLock<Vec<usize>> = OnceLock::new();
    ORDER.get_or_init(|| {
        let mut idx: Vec<usize> = (0..LEXICON.len()).collect();
        idx.sort_by_key(|&i| (std::cmp::Reverse(LEXICON[i].0.chars().count()), i));
        idx
    })
}

/// Finds the lexicon phrases in one normalised clause.
fn scan(norm: &str, miss: &mut [f32; 6], hits: &mut Vec<(Emotion, &'static str)>) {
    let mut taken: Vec<(usize, usize)> = Vec::new();
    for &i in order() {
        let (phrase, label, weight) = LEXICON[i];
        for (start, _) in norm.match_indices(phrase) {
            let end = start + phrase.len();
            if !whole_word(norm, start, end) || taken.iter().any(|&(s, e)| start < e && s < end) {
                continue;
            }
            taken.push((start, end));
            let before = norm[..start].trim_end();
            if label == Emotion::Neutral || negated(before) {
                continue;
            }
            let w = match modifier(before) {
                Modifier::Intensifier => weight + 0.3 * (1.0 - weight),
                Modifier::Softener => weight * 0.7,
                Modifier::None => weight,
            };
            let slot = Emotion::ALL.iter().position(|e| *e == label).unwrap_or(0);
            miss[slot] *= 1.0 - w.clamp(0.0, 0.99);
            hits.push((label, phrase));
        }
    }
}

/// Latin phrase ends must not touch other Latin letters or digits ("again" not in "against").
fn whole_word(norm: &str, start: usize, end: usize) -> bool {
    let word = |c: char| c.is_ascii_alphanumeric();
    let phrase = &norm[start..end];
    let open = !phrase.starts_with(word) || !norm[..start].ends_with(word);
    let close = !phrase.ends_with(word) || !norm[end..].starts_with(word);
    open && close
}

/// The text before a phrase ends with a negator, possibly through a few fillers.
fn negated(before: &str) -> bool {
    let mut rest = before;
    for _ in 0..4 {
        if ends_with_word(rest, NEGATORS_EN).is_some() || ends_with_zh(rest, NEGATORS_ZH).is_some()
        {
            return true;
        }
        match ends_with_word(rest, FILLERS_EN).or_else(|| ends_with_zh(rest, FILLERS_ZH)) {
            Some(shorter) => rest = shorter.trim_end(),
            None => return false,
        }
    }
    false
}

enum Modifier {
    None,
    Intensifier,
    Softener,
}

fn modifier(before: &str) -> Modifier {
    if ends_with_word(before, INTENSIFIERS_EN).is_some()
        || ends_with_zh(before, INTENSIFIERS_ZH).is_some()
    {
        Modifier::Intensifier
    } else if ends_with_word(before, SOFTENERS_EN).is_some()
        || ends_with_zh(before, SOFTENERS_ZH).is_some()
    {
        Modifier::Softener
    } else {
        Modifier::None
    }
}

/// `text` ends with one of `words` as a whole word: the text before that word.
fn ends_with_word<'a>(text: &'a str, words: &[&str]) -> Option<&'a str> {
    words.iter().find_map(|w| {
        let rest = text.strip_suffix(w)?;
        (!rest.ends_with(|c: char| c.is_ascii_alphanumeric())).then_some(rest)
    })
}

/// `text` ends with one of the Chinese `suffixes`: the text before it.
fn ends_with_zh<'a>(text: &'a str, suffixes: &[&str]) -> Option<&'a str> {
    suffixes.iter().find_map(|s| text.strip_suffix(s))
}

/// Punctuation that ends a clause (negation and phrases never cross it).
fn is_clause_break(c: char) -> bool {
    matches!(
        c,
        ',' | '.'
            | ';'
            | ':'
            | '!'
            | '?'
            | '\n'
            | '\r'
            | '，'
            | '。'
            | '；'
            | '：'
            | '！'
            | '？'
            | '、'
            | '…'
            | '—'
    )
}

/// Small boost for exclamation marks and repeated `!`/`?` on the raw text, at most 0.15.
fn emphasis(text: &str) -> f32 {
    let bang = |c: char| matches!(c, '!' | '！');
    let mark = |c: char| matches!(c, '!' | '！' | '?' | '？');
    let bangs = text.chars().filter(|&c| bang(c)).take(3).count();
    let mut repeated = false;
    let mut prev_mark = false;
    for c in text.chars() {
        let m = mark(c);
        if m && prev_mark {
            repeated = true;
            break;
        }
        prev_mark = m;
    }
    (0.04 * bangs as f32 + if repeated { 0.04 } else { 0.0 }).min(0.15)
}

/// At most `max` characters of `text`.
fn truncate(text: &str, max: usize) -> &str {
    match text.char_indices().nth(max) {
        Some((at, _)) => &text[..at],
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lexicon_phrases_are_normalised_and_unique() {
        let mut seen = std::collections::HashSet::new();
        for &(phrase, label, weight) in LEXICON {
            assert_eq!(normalize(phrase), phrase, "{phrase}");
            assert!(seen.insert(phrase), "duplicate {phrase}");
            assert!((0.0..1.0).contains(&weight), "{phrase}");
            assert_eq!(label == Emotion::Neutral, weight == 0.0, "{phrase}");
        }
        for list in [NEGATORS_EN, FILLERS_EN, INTENSIFIERS_EN, SOFTENERS_EN] {
            for w in list {
                assert_eq!(normalize(w), *w);
            }
        }
    }

    #[test]
    fn cues_name_the_phrases() {
        let a = analyze("This is unacceptable!");
        assert_eq!(a.label, Emotion::Angry);
        assert_eq!(a.cues, vec!["\"unacceptable\"", "emphatic punctuation"]);
        // The longest phrase wins; the shorter one inside it is not counted twice.
        let a = analyze("it is still not working");
        assert_eq!(a.cues, vec!["\"still not working\""]);
    }

    #[test]
    fn negation_scope() {
        assert!(negated("im not"));
        assert!(negated("im not really"));
        assert!(negated("no need to"));
        assert!(negated("我不太"));
        assert!(negated("没什么好"));
        assert!(!negated("不过我"));
        assert!(!negated("knot")); // whole words only
        assert!(!negated(""));
    }

    #[test]
    fn emphasis_is_small() {
        assert_eq!(emphasis("fine."), 0.0);
        assert!(emphasis("no!") > 0.0);
        assert!(emphasis("？？") > 0.0);
        assert!(emphasis(&"!".repeat(10_000)) <= 0.15);
    }
}
