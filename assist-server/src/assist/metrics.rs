//! Process metrics of a call: talk ratio, interruptions, longest monologue, silence and agent
//! questions, from final utterances of the two roles.
//!
//! All time metrics come from one sweep over the utterances in start order. Each role's
//! utterances arrive in order, but the two roles may interleave slightly out of order (a long
//! utterance is final only when it ends), so new utterances wait in a small sorted buffer and
//! are folded into the running totals once no earlier one can still arrive: once both roles
//! have started later utterances, once they lag the newest start by more than two minutes,
//! or when the buffer is full. Memory is therefore bounded however long the call. A snapshot
//! folds the buffer into a copy of the totals.
//!
//! Definitions:
//! - talk: the union of a role's utterance intervals; `talk_ratio` = agent / (agent +
//!   customer), 0 when nobody spoke.
//! - interruption: an utterance that starts while the other role's is still going, with more
//!   than 300 ms of overlap.
//! - monologue: one role's consecutive utterances merged while the gap between them is under
//!   2 s and the other role does not speak in between; the longest such stretch.
//! - silence: time in `[0, now_ms]` where neither role speaks, counting only gaps over 1 s.
//! - agent question: an agent utterance with `?`/`？`, an English question opener (what, how,
//!   could you, ...) or a Chinese question word (吗, 呢, 什么, 怎么, ...).

use callassist_knowledge::normalize;
use callassist_proto::v1::{MetricsEvent, Role};

/// Overlap an utterance needs with the other role's running utterance to interrupt it.
const INTERRUPT_OVERLAP_MS: u64 = 300;
/// A role's utterances closer than this (and not separated by the other role) merge into one
/// monologue.
const MONOLOGUE_GAP_MS: u64 = 2_000;
/// Only gaps longer than this count as silence.
const SILENCE_MIN_MS: u64 = 1_000;
/// Utterances starting this long before the newest start are folded in regardless.
const MAX_SKEW_MS: u64 = 120_000;
/// Most utterances waiting in the buffer.
const MAX_PENDING: usize = 256;

/// English openers that make a clause a question (after leading fillers such as "so").
const OPENERS_EN: &[&str] = &[
    "what",
    "whats",
    "how",
    "hows",
    "why",
    "when",
    "where",
    "wheres",
    "which",
    "who",
    "whos",
    "could you",
    "can you",
    "would you",
    "will you",
    "do you",
    "did you",
    "does",
    "are you",
    "is there",
    "is it",
    "have you",
];
const LEADING_FILLERS_EN: &[&str] = &[
    "so", "and", "but", "okay", "ok", "um", "uh", "well", "also", "then", "now", "right",
];
/// Chinese question words and particles.
const QUESTION_ZH: &[&str] = &[
    "吗",
    "呢",
    "什么",
    "怎么",
    "哪",
    "多少",
    "几",
    "是否",
    "有没有",
    "是不是",
    "能不能",
    "可不可以",
    "要不要",
    "会不会",
    "对不对",
];
/// Chinese words that contain a question word without asking anything.
const NOT_QUESTION_ZH: &[&str] = &[
    "几乎",
    "好几",
    "几十",
    "几百",
    "几千",
    "几万",
    "没什么",
    "什么都",
    "不怎么",
    "哪怕",
    "哪里哪里",
];

/// One final utterance; `seq` keeps equal starts in arrival order.
#[derive(Debug, Clone, Copy)]
struct Utterance {
    role: usize,
    start: u64,
    end: u64,
    seq: u64,
}

impl Utterance {
    fn key(&self) -> (u64, usize, u64) {
        (self.start, self.role, self.seq)
    }
}

/// Running state of one role in the sweep.
#[derive(Debug, Clone, Copy, Default)]
struct Side {
    spoke: bool,
    talk_ms: u64,
    /// Latest end so far (talk is the union of intervals).
    talk_end: u64,
    latest_start: u64,
    /// Latest end among utterances starting before `group_start`, and among those starting
    /// at `group_start`: "is the other role still talking at t" needs starts strictly < t.
    prev_group_max_end: u64,
    group_start: u64,
    group_max_end: u64,
    /// The monologue being built.
    run_start: u64,
    run_end: u64,
    /// Start and end of the role's latest utterance.
    last_start: u64,
    last_end: u64,
}

impl Side {
    /// Latest end among this role's utterances that start strictly before `t`.
    fn max_end_before(&self, t: u64) -> u64 {
        if !self.spoke {
            0
        } else if self.group_start < t {
            self.prev_group_max_end.max(self.group_max_end)
        } else {
            self.prev_group_max_end
        }
    }

    fn run_ms(&self) -> u64 {
        if self.spoke {
            self.run_end.saturating_sub(self.run_start)
        } else {
            0
        }
    }
}

/// Totals of the utterances swept so far, in start order.
#[derive(Debug, Clone, Copy, Default)]
struct Sweep {
    sides: [Side; 2],
    /// Latest end of any utterance: the end of covered time.
    covered_end: u64,
    silence_ms: u64,
    interruptions: u32,
    /// Longest finished monologue (open ones are in `sides`).
    longest_ms: u64,
}

impl Sweep {
    /// Adds `u`; silence is only counted up to `horizon`.
    fn step(&mut self, u: Utterance, horizon: u64) {
        let (s, e) = (u.start, u.end);
        let other = self.sides[1 - u.role];
        if s > self.covered_end {
            let gap = s.min(horizon).saturating_sub(self.covered_end);
            if gap > SILENCE_MIN_MS {
                self.silence_ms = self.silence_ms.saturating_add(gap);
            }
        }
        self.covered_end = self.covered_end.max(e);

        if e.saturating_sub(s) > INTERRUPT_OVERLAP_MS
            && other.max_end_before(s) > s.saturating_add(INTERRUPT_OVERLAP_MS)
        {
            self.interruptions = self.interruptions.saturating_add(1);
        }

        let me = &mut self.sides[u.role];
        if me.spoke {
            let other_spoke_between = other.spoke
                && (other.latest_start >= me.last_start || other.talk_end > me.last_end);
            if other_spoke_between || s.saturating_sub(me.last_end) >= MONOLOGUE_GAP_MS {
                self.longest_ms = self.longest_ms.max(me.run_ms());
                (me.run_start, me.run_end) = (s, e);
            } else {
                me.run_end = me.run_end.max(e);
            }
        } else {
            (me.run_start, me.run_end) = (s, e);
        }

        me.talk_ms = me
            .talk_ms
            .saturating_add(e.saturating_sub(s.max(me.talk_end)));
        if !me.spoke || s > me.group_start {
            me.prev_group_max_end = me.prev_group_max_end.max(me.group_max_end);
            (me.group_start, me.group_max_end) = (s, e);
        } else if s == me.group_start {
            me.group_max_end = me.group_max_end.max(e);
        } else {
            me.prev_group_max_end = me.prev_group_max_end.max(e);
        }
        me.talk_end = me.talk_end.max(e);
        me.latest_start = me.latest_start.max(s);
        me.last_start = s;
        me.last_end = me.last_end.max(e);
        me.spoke = true;
    }
}

/// The process metrics of one call.
#[derive(Debug, Default)]
pub struct CallMetrics {
    settled: Sweep,
    /// Utterances not yet folded into `settled`, sorted by `Utterance::key`.
    pending: Vec<Utterance>,
    /// Latest start seen per role (agent, customer).
    latest_start: [Option<u64>; 2],
    max_start: u64,
    seq: u64,
    agent_questions: u32,
}

impl CallMetrics {
    pub fn new() -> Self {
        Self::default()
    }

    /// A final utterance of `role`, spanning `[start_ms, end_ms]` of call audio, with its text.
    /// `Role::Unspecified` is ignored; an end before the start is taken as the start.
    pub fn observe(&mut self, role: Role, start_ms: u64, end_ms: u64, text: &str) {
        let role = match role {
            Role::Agent => 0,
            Role::Customer => 1,
            Role::Unspecified => return,
        };
        if role == 0 && is_question(text) {
            self.agent_questions = self.agent_questions.saturating_add(1);
        }
        let u = Utterance {
            role,
            start: start_ms,
            end: end_ms.max(start_ms),
            seq: self.seq,
        };
        self.seq += 1;
        let at = self.pending.partition_point(|p| p.key() <= u.key());
        self.pending.insert(at, u);
        let latest = &mut self.latest_start[role];
        *latest = Some(latest.map_or(start_ms, |l| l.max(start_ms)));
        self.max_start = self.max_start.max(start_ms);
        self.settle();
    }

    /// Folds in the utterances no later arrival can precede.
    fn settle(&mut self) {
        let both = match self.latest_start {
            [Some(a), Some(c)] => a.min(c),
            _ => 0,
        };
        let frontier = both.max(self.max_start.saturating_sub(MAX_SKEW_MS));
        let mut n = self.pending.partition_point(|u| u.start < frontier);
        n = n.max(self.pending.len().saturating_sub(MAX_PENDING));
        for u in self.pending.drain(..n) {
            self.settled.step(u, u64::MAX);
        }
    }

    /// Snapshot at call position `now_ms`, with `coverage` (fraction of required rules
    /// satisfied, given by the caller). Silence is counted up to `now_ms`.
    pub fn snapshot(&self, now_ms: u64, coverage: f32) -> MetricsEvent {
        let mut sweep = self.settled;
        for u in &self.pending {
            sweep.step(*u, now_ms);
        }
        let trailing = now_ms.saturating_sub(sweep.covered_end);
        let silence_ms = if trailing > SILENCE_MIN_MS {
            sweep.silence_ms.saturating_add(trailing)
        } else {
            sweep.silence_ms
        };
        let [agent, customer] = sweep.sides;
        let total = agent.talk_ms as f64 + customer.talk_ms as f64;
        let talk_ratio = if total == 0.0 {
            0.0
        } else {
            (agent.talk_ms as f64 / total) as f32
        };
        MetricsEvent {
            talk_ratio,
            coverage: if coverage.is_finite() {
                coverage.clamp(0.0, 1.0)
            } else {
                0.0
            },
            interruptions: sweep.interruptions,
            longest_monologue_ms: sweep.longest_ms.max(agent.run_ms()).max(customer.run_ms()),
            silence_ms,
            agent_questions: self.agent_questions,
            agent_talk_ms: agent.talk_ms,
            customer_talk_ms: customer.talk_ms,
            ..Default::default()
        }
    }
}

/// Whether an utterance asks a question: `?`/`？`, an English opener at the start of a clause,
/// or a Chinese question word.
fn is_question(text: &str) -> bool {
    if text.contains(['?', '？']) {
        return true;
    }
    text.split(['.', ',', ';', '!', '\n', '。', '，', '；', '！', '…'])
        .map(normalize)
        .any(|clause| asks_en(&clause) || asks_zh(&clause))
}

fn asks_en(clause: &str) -> bool {
    let mut rest = clause;
    while let Some(r) = strip_word(rest, LEADING_FILLERS_EN) {
        rest = r;
    }
    strip_word(rest, OPENERS_EN).is_some()
}

/// `text` starts with one of `words` as whole words: the rest, trimmed.
fn strip_word<'a>(text: &'a str, words: &[&str]) -> Option<&'a str> {
    words.iter().find_map(|w| {
        let rest = text.strip_prefix(w)?;
        (!rest.starts_with(|c: char| c.is_ascii_alphanumeric())).then(|| rest.trim_start())
    })
}

fn asks_zh(clause: &str) -> bool {
    if !QUESTION_ZH.iter().any(|q| clause.contains(q)) {
        return false;
    }
    let mut text = clause.to_string();
    for not in NOT_QUESTION_ZH {
        if text.contains(not) {
            text = text.replace(not, " ");
        }
    }
    QUESTION_ZH.iter().any(|q| text.contains(q))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A two-speaker timeline, worked by hand:
    ///
    /// ```text
    /// A1 agent      0 ..  4000  "Hi, ... How is reporting going?"      question (?)
    /// A2 agent   5000 ..  9000  "We help teams automate their weekly reports."
    /// C1 cust    8500 .. 12000  interrupts A2: overlap 9000 - 8500 = 500 ms > 300
    /// A3 agent  11800 .. 12500  "I see." starts in C1, overlap 200 ms: no interruption
    ///           12500 .. 15000  silence 2500 ms
    /// C2 cust   15000 .. 18000  "多少钱？" (a customer question: not counted)
    /// A4 agent  18500 .. 21000  "您现在用什么系统"                        question (什么)
    /// A5 agent  21500 .. 23000  "Could you share the current report"   question (opener)
    ///           23000 .. 25000  trailing silence 2000 ms (now = 25000)
    /// ```
    /// Agent talk 4000+4000+700+2500+1500 = 12700, customer 3500+3000 = 6500.
    /// Monologues: A1+A2 merge (gap 1000 ms, nobody in between) = 9000; A4+A5 = 4500.
    /// Gaps of 1000 ms (A1-A2) and 500 ms (C2-A4) are not silence: 2500 + 2000 = 4500.
    const TIMELINE: &[(Role, u64, u64, &str)] = &[
        (
            Role::Agent,
            0,
            4000,
            "Hi, this is Anna from Stackforge. How is reporting going?",
        ),
        (
            Role::Agent,
            5000,
            9000,
            "We help teams automate their weekly reports.",
        ),
        (
            Role::Customer,
            8500,
            12000,
            "Honestly it's painful every month",
        ),
        (Role::Agent, 11800, 12500, "I see."),
        (Role::Customer, 15000, 18000, "多少钱？"),
        (Role::Agent, 18500, 21000, "您现在用什么系统"),
        (
            Role::Agent,
            21500,
            23000,
            "Could you share the current report",
        ),
    ];

    fn expected() -> MetricsEvent {
        MetricsEvent {
            talk_ratio: (12700.0f64 / 19200.0) as f32,
            coverage: 0.5,
            interruptions: 1,
            longest_monologue_ms: 9000,
            silence_ms: 4500,
            agent_questions: 3,
            agent_talk_ms: 12700,
            customer_talk_ms: 6500,
            ..Default::default()
        }
    }

    #[test]
    fn hand_computed_timeline() {
        let mut m = CallMetrics::new();
        for &(role, s, e, text) in TIMELINE {
            m.observe(role, s, e, text);
        }
        assert_eq!(m.snapshot(25_000, 0.5), expected());
        assert!((m.snapshot(25_000, 0.5).talk_ratio - 0.6615).abs() < 1e-3);
    }

    #[test]
    fn roles_may_arrive_out_of_order() {
        // Every agent utterance first, then the customer's: each role still in order.
        let mut m = CallMetrics::new();
        for &(role, s, e, text) in TIMELINE.iter().filter(|t| t.0 == Role::Agent) {
            m.observe(role, s, e, text);
        }
        for &(role, s, e, text) in TIMELINE.iter().filter(|t| t.0 == Role::Customer) {
            m.observe(role, s, e, text);
        }
        assert_eq!(m.snapshot(25_000, 0.5), expected());
        // And the other way round.
        let mut m = CallMetrics::new();
        for &(role, s, e, text) in TIMELINE.iter().filter(|t| t.0 == Role::Customer) {
            m.observe(role, s, e, text);
        }
        for &(role, s, e, text) in TIMELINE.iter().filter(|t| t.0 == Role::Agent) {
            m.observe(role, s, e, text);
        }
        assert_eq!(m.snapshot(25_000, 0.5), expected());
    }

    #[test]
    fn overlap_is_not_double_counted() {
        let mut m = CallMetrics::new();
        m.observe(Role::Agent, 2000, 6000, "so");
        m.observe(Role::Customer, 3000, 5000, "yes"); // inside the agent's utterance
        m.observe(Role::Customer, 5500, 9000, "and");
        let s = m.snapshot(12_000, 1.0);
        // Covered 2000..9000: silence is 0..2000 and 9000..12000.
        assert_eq!(s.silence_ms, 2000 + 3000);
        assert_eq!((s.agent_talk_ms, s.customer_talk_ms), (4000, 5500));
        // "yes" starts inside the agent's utterance (2000 ms overlap), "and" overlaps its last
        // 500 ms: both are interruptions.
        assert_eq!(s.interruptions, 2);
        // The customer's two utterances are 500 ms apart but the agent spoke in between
        // (the agent's utterance runs to 6000), so they do not merge.
        assert_eq!(s.longest_monologue_ms, 4000);
    }

    #[test]
    fn monologue_merges_short_gaps_only() {
        let mut m = CallMetrics::new();
        m.observe(Role::Agent, 0, 10_000, "");
        m.observe(Role::Agent, 11_900, 20_000, ""); // gap 1900: merged
        m.observe(Role::Agent, 22_000, 30_000, ""); // gap 2000: not merged
        assert_eq!(m.snapshot(30_000, 0.0).longest_monologue_ms, 20_000);
        // A backchannel inside the stretch splits it.
        let mut m = CallMetrics::new();
        m.observe(Role::Agent, 0, 10_000, "");
        m.observe(Role::Customer, 4000, 4500, "mm");
        m.observe(Role::Agent, 11_000, 20_000, "");
        assert_eq!(m.snapshot(20_000, 0.0).longest_monologue_ms, 10_000);
        // Starting while the other is finishing does not break one's own stretch.
        let mut m = CallMetrics::new();
        m.observe(Role::Customer, 0, 5000, "");
        m.observe(Role::Agent, 4000, 20_000, "");
        m.observe(Role::Agent, 21_000, 30_000, "");
        assert_eq!(m.snapshot(30_000, 0.0).longest_monologue_ms, 26_000);
    }

    #[test]
    fn empty_call_and_odd_input() {
        let m = CallMetrics::new();
        let s = m.snapshot(5000, f32::NAN);
        assert_eq!((s.talk_ratio, s.coverage, s.silence_ms), (0.0, 0.0, 5000));
        let mut m = CallMetrics::new();
        m.observe(Role::Unspecified, 0, 1000, "what?");
        m.observe(Role::Agent, 3000, 1000, "😀"); // end before start
        m.observe(
            Role::Customer,
            u64::MAX - 10,
            u64::MAX,
            &"吗".repeat(100_000),
        );
        let s = m.snapshot(u64::MAX, 7.0);
        assert_eq!(
            (s.agent_questions, s.coverage, s.agent_talk_ms),
            (0, 1.0, 0)
        );
        assert_eq!(s.customer_talk_ms, 10);
    }

    #[test]
    fn questions_in_both_languages() {
        for q in [
            "What's your budget",
            "so how many users do you have",
            "Could you send me the export",
            "Is there a deadline.",
            "ok. do you use SSO",
            "您看可以吗",
            "预算大概多少",
            "你们有没有试用过",
            "这个是不是太贵了",
            "right?",
            "对吧？",
        ] {
            assert!(is_question(q), "{q}");
        }
        for s in [
            "We help teams automate reports.",
            "Whatever works for you.",
            "Somehow it works.",
            "我们几乎都支持",
            "没什么，您继续",
            "好的，我下午发给您",
            "",
        ] {
            assert!(!is_question(s), "{s}");
        }
    }

    #[test]
    fn memory_stays_bounded_over_two_hours() {
        let mut m = CallMetrics::new();
        // Only the agent speaks for two hours: nothing from the customer bounds the buffer.
        for i in 0..7200u64 {
            m.observe(Role::Agent, i * 1000, i * 1000 + 900, "and then");
            assert!(m.pending.len() <= MAX_PENDING);
        }
        let s = m.snapshot(7_200_000, 0.0);
        assert_eq!(s.agent_talk_ms, 7200 * 900);
        assert_eq!(s.longest_monologue_ms, 7_200_000 - 100);
        // Both roles alternating: the buffer stays tiny.
        let mut m = CallMetrics::new();
        for i in 0..3600u64 {
            m.observe(Role::Agent, i * 2000, i * 2000 + 900, "ok");
            m.observe(Role::Customer, i * 2000 + 1000, i * 2000 + 1900, "ok");
            assert!(m.pending.len() <= 2);
        }
        let s = m.snapshot(7_200_000, 0.0);
        assert!((s.talk_ratio - 0.5).abs() < 1e-6);
        assert_eq!(s.silence_ms, 0);
    }
}
