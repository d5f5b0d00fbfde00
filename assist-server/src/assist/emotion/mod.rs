//! Customer emotion per utterance, from text (Chinese and English) and audio.
//!
//! [`classify_text`] scores one utterance against a hand-written zh/en lexicon
//! (`lexicon.rs`: weighted phrases, negation, intensifiers, emphatic punctuation).
//! [`EmotionTracker`] (`tracker.rs`, one per caller per call) combines that with audio arousal,
//! loudness and speech rate against the caller's own baseline, and flags a *swing*: the moment
//! the customer turns negative or clearly more so, which is when the agent gets a coping
//! strategy. Everything here is pure and synchronous, and never panics on any input.

mod lexicon;
mod tracker;

pub use tracker::{EmotionReading, EmotionTracker, UtteranceAudio};

/// The emotion labels; the negative four match the `emotion = "..."` labels of pack rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Emotion {
    Neutral,
    Positive,
    Angry,
    Frustrated,
    Anxious,
    Confused,
}

impl Emotion {
    /// Every label, in tie-break order for classification (negative before positive).
    pub const ALL: [Emotion; 6] = [
        Emotion::Angry,
        Emotion::Frustrated,
        Emotion::Anxious,
        Emotion::Confused,
        Emotion::Positive,
        Emotion::Neutral,
    ];

    /// The wire label: "neutral", "positive", "angry", "frustrated", "anxious", "confused".
    pub fn label(self) -> &'static str {
        match self {
            Emotion::Neutral => "neutral",
            Emotion::Positive => "positive",
            Emotion::Angry => "angry",
            Emotion::Frustrated => "frustrated",
            Emotion::Anxious => "anxious",
            Emotion::Confused => "confused",
        }
    }

    /// The emotion for a wire label (exact, lower-case), e.g. a pack rule's `emotion`.
    pub fn from_label(label: &str) -> Option<Emotion> {
        Emotion::ALL.into_iter().find(|e| e.label() == label)
    }

    /// Angry, frustrated, anxious or confused: the labels an agent needs help with.
    pub fn is_negative(self) -> bool {
        matches!(
            self,
            Emotion::Angry | Emotion::Frustrated | Emotion::Anxious | Emotion::Confused
        )
    }
}

/// The emotion of one utterance's text.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TextEmotion {
    pub label: Emotion,
    /// Strength of the evidence, 0..=1 (0 for neutral text).
    pub score: f32,
}

/// Classifies one utterance's text (Chinese, English or mixed); deterministic.
pub fn classify_text(text: &str) -> TextEmotion {
    let a = lexicon::analyze(text);
    TextEmotion {
        label: a.label,
        score: a.score,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn label(text: &str) -> Emotion {
        classify_text(text).label
    }

    #[test]
    fn labels_round_trip() {
        for e in Emotion::ALL {
            assert_eq!(Emotion::from_label(e.label()), Some(e));
        }
        assert_eq!(Emotion::from_label("Angry"), None);
        assert!(Emotion::Confused.is_negative());
        assert!(!Emotion::Positive.is_negative() && !Emotion::Neutral.is_negative());
    }

    #[test]
    fn classifies_english() {
        assert_eq!(
            label("This is ridiculous, totally unacceptable!"),
            Emotion::Angry
        );
        assert_eq!(label("Honestly, this is a joke."), Emotion::Angry);
        assert_eq!(
            label("It's still not working, what a waste of time"),
            Emotion::Frustrated
        );
        assert_eq!(
            label("I'm worried about the migration risk"),
            Emotion::Anxious
        );
        assert_eq!(label("What if the import fails halfway?"), Emotion::Anxious);
        assert_eq!(
            label("Sorry, I don't understand. What do you mean?"),
            Emotion::Confused
        );
        assert_eq!(label("This pricing is confusing"), Emotion::Confused);
        assert_eq!(label("That sounds good, perfect."), Emotion::Positive);
        let neutral = classify_text("Let's schedule the demo for Tuesday at ten");
        assert_eq!(
            neutral,
            TextEmotion {
                label: Emotion::Neutral,
                score: 0.0
            }
        );
        assert!(classify_text("This is unacceptable").score >= 0.6);
    }

    #[test]
    fn classifies_chinese() {
        assert_eq!(label("我真的受够了，太离谱了，我要投诉！"), Emotion::Angry);
        assert_eq!(label("系统又坏了，一直没解决，烦死了"), Emotion::Frustrated);
        assert_eq!(label("我担心万一上线的时候出问题"), Emotion::Anxious);
        assert_eq!(label("没听懂，你这是什么意思"), Emotion::Confused);
        assert_eq!(label("我有点搞不清楚这两个版本"), Emotion::Confused);
        assert_eq!(label("太好了，这个方案挺好的"), Emotion::Positive);
        assert_eq!(label("不错"), Emotion::Positive);
        assert_eq!(label("我们下周二再约时间"), Emotion::Neutral);
    }

    #[test]
    fn negations_do_not_count() {
        for text in [
            "I'm not worried about that",
            "No worries, take your time",
            "There's no need to worry",
            "Nothing to be concerned about",
            "I'm not at all worried",
            "不担心",
            "我一点都不担心",
            "这个不用担心",
            "没什么好担心的",
            "别担心",
        ] {
            assert_eq!(label(text), Emotion::Neutral, "{text}");
        }
        for text in ["这个没问题", "没问题，就这么定", "No problem at all"] {
            assert!(!label(text).is_negative(), "{text}");
        }
        // Negation is local: a later clause or an unrelated 不 does not negate.
        assert_eq!(
            label("Not sure about the date, but I'm worried about cost"),
            Emotion::Anxious
        );
        assert_eq!(label("不过我担心预算"), Emotion::Anxious);
        assert_eq!(label("No, I'm worried"), Emotion::Anxious);
        // A negated positive is not positive.
        assert_eq!(label("That's not great"), Emotion::Neutral);
        assert_eq!(label("不太满意"), Emotion::Frustrated);
    }

    #[test]
    fn blockers_and_word_boundaries() {
        assert_eq!(label("We are against that plan"), Emotion::Neutral); // not "again"
        assert_eq!(label("Could you say that again"), Emotion::Confused);
        assert_eq!(label("哪怕贵一点也可以"), Emotion::Neutral); // not 怕
        assert_eq!(label("麻烦您发一下报价"), Emotion::Neutral); // "please", not 麻烦
        assert_eq!(label("不好意思，我刚才在开会"), Emotion::Neutral);
        assert_eq!(label("我们没用过这种系统"), Emotion::Neutral); // "never used", not 没用
        assert!(classify_text("I'm afraid Friday is booked").score < 0.3); // polite hedge
    }

    #[test]
    fn intensifiers_and_punctuation_raise_the_score() {
        let plain = classify_text("I'm worried").score;
        assert!(classify_text("I'm really worried").score > plain);
        assert!(classify_text("I'm a bit worried").score < plain);
        assert!(classify_text("我非常担心").score > classify_text("我担心").score);
        assert!(classify_text("我有点担心").score < classify_text("我担心").score);
        let calm = classify_text("This is unacceptable").score;
        let loud = classify_text("This is unacceptable!!!").score;
        assert!(loud > calm && loud <= calm + 0.15 + 1e-6);
        assert_eq!(classify_text("OK!!!").label, Emotion::Neutral);
    }

    #[test]
    fn deterministic_and_panic_free() {
        let text = "Great demo, but honestly the export is still not working and I'm worried";
        let first = classify_text(text);
        for _ in 0..10 {
            assert_eq!(classify_text(text), first);
        }
        let huge = "受够了 ridiculous 😡!! ".repeat(200_000);
        for text in [
            "",
            " ",
            "!!!???",
            "😡😡😡",
            "？？？！！！",
            "\u{0301}\u{200d}",
            &huge,
        ] {
            let r = classify_text(text);
            assert!((0.0..=1.0).contains(&r.score), "{r:?}");
        }
        assert_eq!(classify_text(&huge).label, Emotion::Angry);
    }
}
