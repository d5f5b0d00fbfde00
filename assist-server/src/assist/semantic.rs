//! Objections said in other words: every customer objection rule's phrases are embedded once
//! per tenant rule set, and a final customer utterance whose words matched no objection phrase
//! is compared with them by cosine similarity, and with a few neutral anchor utterances: it
//! counts as an objection only when it is clearly nearer the objection than any anchor. The
//! margin was chosen on the labelled set in `tests/data/semantic_objections.toml` so that
//! precision stays >= 0.95 (`tests/semantic_objections.rs` re-checks it with the real e5).

use callassist_knowledge::{RuleKind, Speaker};

use super::tenant::TenantRules;

/// How much closer (cosine of e5 query vectors) an utterance must be to an objection phrase
/// than to every neutral anchor before it counts as that objection.
pub const SEMANTIC_MARGIN: f32 = 0.05;

/// Ordinary things customers say that are not objections. Short utterances sit close to
/// everything in embedding space; comparing against these anchors keeps "好的，没问题" from
/// looking like "现在不急" (similarity alone scored it 0.90).
pub const NEUTRAL_ANCHORS: &[&str] = &[
    "okay",
    "sounds good",
    "yes, go ahead",
    "hello, how are you",
    "thanks, that helps",
    "how much does it cost?",
    "what discount can you offer?",
    "can you send me more information?",
    "let's schedule the next meeting",
    "tell me more about the product",
    "好的",
    "没问题",
    "你好，请说",
    "谢谢，明白了",
    "价格是多少？",
    "能打几折？",
    "请把资料发给我",
    "我们约一下下次会议",
    "介绍一下你们的产品",
    "今天想谈谈价格",
];

/// The embedded phrases of a rule set's objection rules, and the neutral anchors.
#[derive(Debug, Default)]
pub struct ObjectionVectors {
    /// (rule index, unit vector of one phrase).
    entries: Vec<(usize, Vec<f32>)>,
    anchors: Vec<Vec<f32>>,
}

/// `(rule index, phrase or example)` of every rule of `kind` that `speaker_ok` accepts.
fn rule_phrases(
    rules: &TenantRules,
    kind: RuleKind,
    speaker_ok: impl Fn(Speaker) -> bool,
) -> Vec<(usize, String)> {
    rules
        .of_kind(kind)
        .filter(|&i| speaker_ok(rules.rules[i].rule.speaker))
        .flat_map(|i| {
            rules.rules[i]
                .rule
                .phrases
                .iter()
                .chain(&rules.rules[i].rule.examples)
                .map(move |p| (i, p.clone()))
        })
        .collect()
}

/// The phrases to embed: `(rule index, phrase or example)` of every objection rule a
/// customer can say.
pub fn objection_phrases(rules: &TenantRules) -> Vec<(usize, String)> {
    rule_phrases(rules, RuleKind::Objection, |s| s != Speaker::Agent)
}

/// `(rule index, phrase or example)` of every forbidden rule, for the guard on generated text.
pub fn forbidden_phrases(rules: &TenantRules) -> Vec<(usize, String)> {
    rule_phrases(rules, RuleKind::Forbidden, |_| true)
}

fn unit(mut v: Vec<f32>) -> Vec<f32> {
    let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if n > 0.0 {
        v.iter_mut().for_each(|x| *x /= n);
    }
    v
}

impl ObjectionVectors {
    /// From `objection_phrases` and their vectors (same order), and the vectors of
    /// `NEUTRAL_ANCHORS`.
    pub fn new(
        phrases: &[(usize, String)],
        vectors: Vec<Vec<f32>>,
        anchors: Vec<Vec<f32>>,
    ) -> Self {
        Self {
            entries: phrases
                .iter()
                .zip(vectors)
                .map(|((i, _), v)| (*i, unit(v)))
                .collect(),
            anchors: anchors.into_iter().map(unit).collect(),
        }
    }

    /// The objection `v` expresses, if any: the nearest rule when it is at least
    /// `SEMANTIC_MARGIN` closer than every neutral anchor; with its similarity and margin.
    pub fn classify(&self, v: &[f32]) -> Option<(usize, f32, f32)> {
        let (rule, sim) = self.best(v)?;
        let margin = sim - self.nearest_anchor(v);
        (margin >= SEMANTIC_MARGIN).then_some((rule, sim, margin))
    }

    /// Similarity to the nearest neutral anchor (-1 when there are none).
    pub fn nearest_anchor(&self, v: &[f32]) -> f32 {
        let v = unit(v.to_vec());
        self.anchors
            .iter()
            .filter(|a| a.len() == v.len())
            .map(|a| a.iter().zip(&v).map(|(x, y)| x * y).sum::<f32>())
            .fold(-1.0, f32::max)
    }

    /// Whether there is nothing to compare with.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The most similar rule and its similarity.
    pub fn best(&self, v: &[f32]) -> Option<(usize, f32)> {
        let v = unit(v.to_vec());
        self.entries
            .iter()
            .filter(|(_, e)| e.len() == v.len())
            .map(|(i, e)| (*i, e.iter().zip(&v).map(|(a, b)| a * b).sum::<f32>()))
            .max_by(|a, b| a.1.total_cmp(&b.1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn best_is_the_nearest_rule() {
        let phrases = vec![(3, "a".to_string()), (5, "b".to_string())];
        let ov = ObjectionVectors::new(
            &phrases,
            vec![vec![1.0, 0.0, 0.0], vec![0.0, 2.0, 0.0]],
            vec![vec![0.0, 0.0, 1.0]],
        );
        let (rule, sim) = ov.best(&[0.1, 0.9, 0.0]).unwrap();
        assert_eq!(rule, 5);
        assert!(sim > 0.99 && sim <= 1.0);
        assert_eq!(ov.classify(&[0.1, 0.9, 0.0]).unwrap().0, 5);
        // Nearer a neutral anchor than any objection: not an objection.
        assert!(ov.classify(&[0.0, 0.5, 0.9]).is_none());
        assert!(ObjectionVectors::default().best(&[1.0]).is_none());
    }
}
