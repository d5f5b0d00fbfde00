//! The per-call assist engine: fed every transcript (partials for speed, finals for truth),
//! it answers with the events the agent sees. Phrase rules fire on the first hypothesis that
//! contains them and never again for the same utterance; stage, coverage, emotion and metrics
//! move on finals only. Everything here is synchronous and allocation-light: the caller holds
//! the engine behind a lock and puts the returned events on the wire at once; work that needs
//! a model (retrieval for suggestions) comes back as a job to run elsewhere.

use std::collections::{HashSet, VecDeque};
use std::sync::Arc;

use callassist_knowledge::rules::{PhraseHit, Target};
use callassist_knowledge::{RuleKind, Severity, Speaker};
use callassist_proto::v1::{self as pb, Role, stream_call_response::Event};

use super::emotion::{EmotionTracker, UtteranceAudio};
use super::metrics::CallMetrics;
use super::required::RequiredTracker;
use super::stage::StageMachine;
use super::strategy::default_strategy;
use super::suggest::{FeedbackError, FeedbackRecord, SuggestionBook};
use super::tenant::TenantRules;

/// Metrics are sent every this much call time (and at the end).
const METRICS_EVERY_MS: u64 = 30_000;
/// Utterances remembered for partial/final de-duplication.
const FIRED_MEMORY: usize = 256;

/// One transcript hypothesis as the engine sees it.
#[derive(Debug, Clone)]
pub struct Heard<'a> {
    pub role: Role,
    pub utterance_id: &'a str,
    pub text: &'a str,
    pub is_final: bool,
    pub start_ms: u64,
    pub end_ms: u64,
    pub audio: Option<UtteranceAudio>,
}

/// Retrieval + options for a suggestion the engine has decided to make.
#[derive(Debug, Clone)]
pub struct SuggestJob {
    pub suggestion_id: String,
    /// The rule id that triggered it.
    pub trigger: String,
    pub pack_id: String,
    /// What to retrieve for (the customer's words).
    pub query: String,
    /// Document kinds to retrieve from.
    pub kinds: Vec<String>,
    /// The rule's own options, same language as the utterance first.
    pub rule_options: Vec<String>,
    pub min_choices: u32,
    pub audio_ms: u64,
}

/// What the engine wants done.
#[derive(Debug)]
pub enum Output {
    /// Send this event now.
    Event { audio_ms: u64, event: Event },
    /// Retrieve passages, then send the suggestion (`CallEngine::suggestion_event`).
    Suggest(SuggestJob),
    /// Embed this final customer utterance and compare it with the objection phrases
    /// (`CallEngine::semantic_hit` when one is close enough).
    Semantic(SemanticJob),
}

/// A final customer utterance that matched no objection phrase.
#[derive(Debug, Clone)]
pub struct SemanticJob {
    pub utterance_id: String,
    pub text: String,
    pub audio_ms: u64,
}

/// The assist state of one call.
#[derive(Debug)]
pub struct CallEngine {
    rules: Arc<TenantRules>,
    stage: StageMachine,
    required: RequiredTracker,
    emotion: EmotionTracker,
    metrics: CallMetrics,
    suggestions: SuggestionBook,
    /// Generated suggestions the compliance guard dropped.
    blocked: u64,
    /// (utterance id, rule index) already fired, bounded.
    fired: HashSet<(String, usize)>,
    fired_order: VecDeque<(String, usize)>,
    next_metrics_ms: u64,
    now_ms: u64,
    risks: u64,
}

fn speaker_matches(speaker: Speaker, role: Role) -> bool {
    match speaker {
        Speaker::Any => true,
        Speaker::Agent => role == Role::Agent,
        Speaker::Customer => role == Role::Customer,
    }
}

fn severity(s: Severity) -> pb::Severity {
    match s {
        Severity::Low => pb::Severity::Low,
        Severity::Medium => pb::Severity::Medium,
        Severity::High => pb::Severity::High,
    }
}

/// Whether `text` is mostly Chinese (decides which language's options come first).
pub fn is_chinese(text: &str) -> bool {
    let han = text
        .chars()
        .filter(|c| ('\u{4E00}'..='\u{9FFF}').contains(c))
        .count();
    let latin = text.chars().filter(|c| c.is_ascii_alphabetic()).count();
    han * 2 >= latin && han > 0
}

impl CallEngine {
    /// A fresh engine for a call under `rules`.
    pub fn new(rules: Arc<TenantRules>) -> Self {
        Self {
            required: RequiredTracker::new(&rules),
            rules,
            stage: StageMachine::default(),
            emotion: EmotionTracker::new(),
            metrics: CallMetrics::new(),
            suggestions: SuggestionBook::default(),
            blocked: 0,
            fired: HashSet::new(),
            fired_order: VecDeque::new(),
            next_metrics_ms: METRICS_EVERY_MS,
            now_ms: 0,
            risks: 0,
        }
    }

    /// The rules this call runs under.
    pub fn rules(&self) -> &Arc<TenantRules> {
        &self.rules
    }

    /// One transcript hypothesis; appends what to do to `out`.
    pub fn hear(&mut self, h: &Heard<'_>, out: &mut Vec<Output>) {
        let at = h.end_ms;
        let rules = self.rules.clone();
        let hits = rules.matcher.find(h.text);
        let mut stage_signals = Vec::new();
        for hit in &hits {
            match hit.target {
                Target::Rule(i) => self.rule_hit(i, hit, h, out),
                Target::Stage(i) if h.is_final => {
                    let s = &rules.stages[i];
                    stage_signals.push((i, s.pack_id.as_str(), s.order, 1usize));
                }
                Target::Stage(_) => {}
            }
        }
        if !h.is_final {
            return;
        }
        if let Some(change) = self.stage.observe(&stage_signals) {
            let st = &self.rules.stages[change.stage];
            let matched = hits
                .iter()
                .find(|x| x.target == Target::Stage(change.stage))
                .map(|x| x.matched.clone())
                .unwrap_or_default();
            out.push(Output::Event {
                audio_ms: at,
                event: Event::Stage(pb::StageEvent {
                    stage_id: st.stage.id.clone(),
                    previous: change
                        .previous
                        .map(|p| self.rules.stages[p].stage.id.clone())
                        .unwrap_or_default(),
                    evidence_utterance_id: h.utterance_id.to_string(),
                    confidence: change.confidence,
                    evidence: matched,
                }),
            });
            let (pack, order) = (st.pack_id.clone(), st.order);
            for rule in self.required.stage_reached(&pack, order) {
                self.missing(rule, h.utterance_id, at, out);
            }
        }
        if h.role == Role::Customer {
            self.feel(h, out);
            let objection_fired = hits.iter().any(|x| {
                matches!(x.target, Target::Rule(i) if self.rules.rules[i].rule.kind == RuleKind::Objection)
            });
            let has_objections = self.rules.of_kind(RuleKind::Objection).next().is_some();
            if has_objections && !objection_fired && h.text.chars().count() >= 6 {
                out.push(Output::Semantic(SemanticJob {
                    utterance_id: h.utterance_id.to_string(),
                    text: h.text.to_string(),
                    audio_ms: at,
                }));
            }
        }
        self.metrics.observe(h.role, h.start_ms, h.end_ms, h.text);
        self.advance(at, out);
    }

    fn rule_hit(&mut self, i: usize, hit: &PhraseHit, h: &Heard<'_>, out: &mut Vec<Output>) {
        let rules = self.rules.clone();
        let r = &rules.rules[i];
        if !speaker_matches(r.rule.speaker, h.role) {
            return;
        }
        let kind = match r.rule.kind {
            RuleKind::Required => {
                self.required.cover(i);
                return;
            }
            RuleKind::Emotion => return,
            RuleKind::Forbidden => pb::RiskKind::Forbidden,
            RuleKind::Objection => pb::RiskKind::Objection,
            RuleKind::Competitor => pb::RiskKind::Competitor,
        };
        let key = (h.utterance_id.to_string(), i);
        if self.fired.contains(&key) {
            return;
        }
        // Several packs may share a rule id: one event per id and utterance.
        if self.fired.iter().any(|(u, j)| {
            u == h.utterance_id && *j != i && self.rules.rules[*j].rule.id == r.rule.id
        }) {
            return;
        }
        self.remember(key);
        self.risks += 1;
        let at = h.end_ms;
        out.push(Output::Event {
            audio_ms: at,
            event: Event::Risk(pb::RiskEvent {
                rule_id: r.rule.id.clone(),
                kind: kind as i32,
                role: h.role as i32,
                utterance_id: h.utterance_id.to_string(),
                matched: hit.matched.clone(),
                severity: severity(r.rule.severity) as i32,
                message: r.rule.message.clone(),
                pack_id: r.pack_id.clone(),
                semantic: false,
                confidence: 1.0,
            }),
        });
        if matches!(kind, pb::RiskKind::Objection | pb::RiskKind::Competitor) {
            let job = self.suggest_job(i, h.text, at);
            out.push(Output::Suggest(job));
        }
    }

    /// A semantic match of `job`'s utterance with objection rule `rule` at `similarity`.
    pub fn semantic_hit(
        &mut self,
        rule: usize,
        job: &SemanticJob,
        similarity: f32,
        out: &mut Vec<Output>,
    ) {
        let key = (job.utterance_id.clone(), rule);
        if self.fired.contains(&key) {
            return;
        }
        self.remember(key);
        self.risks += 1;
        let r = &self.rules.rules[rule];
        out.push(Output::Event {
            audio_ms: job.audio_ms,
            event: Event::Risk(pb::RiskEvent {
                rule_id: r.rule.id.clone(),
                kind: pb::RiskKind::Objection as i32,
                role: Role::Customer as i32,
                utterance_id: job.utterance_id.clone(),
                matched: job.text.clone(),
                severity: severity(r.rule.severity) as i32,
                message: r.rule.message.clone(),
                pack_id: r.pack_id.clone(),
                semantic: true,
                confidence: similarity,
            }),
        });
        let s = self.suggest_job(rule, &job.text, job.audio_ms);
        out.push(Output::Suggest(s));
    }

    fn remember(&mut self, key: (String, usize)) {
        if self.fired_order.len() >= FIRED_MEMORY
            && let Some(old) = self.fired_order.pop_front()
        {
            self.fired.remove(&old);
        }
        self.fired.insert(key.clone());
        self.fired_order.push_back(key);
    }

    /// Registers a suggestion for rule `i` and describes the retrieval to run for it.
    pub fn suggest_job(&mut self, i: usize, query: &str, at: u64) -> SuggestJob {
        let r = &self.rules.rules[i];
        let zh = is_chinese(query);
        let mut opts = r.rule.suggest.clone();
        opts.sort_by_key(|o| is_chinese(o) != zh);
        let ids = (1..=opts.len()).map(|n| format!("o{n}")).collect();
        let min_choices = r.rule.min_choices.unwrap_or(0);
        let id = self.suggestions.issue(ids, min_choices);
        let kinds = match r.rule.kind {
            RuleKind::Competitor => vec!["competitor".into(), "case".into()],
            _ => vec![
                "case".into(),
                "product".into(),
                "faq".into(),
                "script".into(),
            ],
        };
        SuggestJob {
            suggestion_id: id,
            trigger: r.rule.id.clone(),
            pack_id: r.pack_id.clone(),
            query: query.to_string(),
            kinds,
            rule_options: opts,
            min_choices,
            audio_ms: at,
        }
    }

    /// The suggestion event for `job`, with retrieved `passages` as extra cited options.
    pub fn suggestion_event(
        &mut self,
        job: &SuggestJob,
        passages: &[callassist_knowledge::SearchHit],
    ) -> Event {
        let mut options: Vec<pb::SuggestionOption> = job
            .rule_options
            .iter()
            .enumerate()
            .map(|(n, text)| pb::SuggestionOption {
                option_id: format!("o{}", n + 1),
                text: text.clone(),
                citations: Vec::new(),
            })
            .collect();
        let citations: Vec<pb::Citation> = passages
            .iter()
            .map(|p| pb::Citation {
                chunk_id: p.chunk_id.clone(),
                pack_id: p.pack_id.clone(),
                doc_path: p.doc_path.clone(),
            })
            .collect();
        for (p, c) in passages.iter().zip(&citations) {
            options.push(pb::SuggestionOption {
                option_id: format!("o{}", options.len() + 1),
                text: snippet(&p.text, 240),
                citations: vec![c.clone()],
            });
        }
        self.suggestions.set_options(
            &job.suggestion_id,
            options.iter().map(|o| o.option_id.clone()).collect(),
        );
        let text = options.first().map(|o| o.text.clone()).unwrap_or_default();
        Event::Suggestion(pb::SuggestionEvent {
            suggestion_id: job.suggestion_id.clone(),
            text,
            citations,
            trigger: job.trigger.clone(),
            options,
            supersedes: None,
            is_final: true,
            min_choices: job.min_choices,
            withdrawn: false,
        })
    }

    /// The agent's feedback on a suggestion; invalid feedback changes nothing.
    pub fn feedback(
        &mut self,
        fb: &pb::SuggestionFeedback,
    ) -> Result<FeedbackRecord, FeedbackError> {
        self.suggestions.feedback(fb)
    }

    fn feel(&mut self, h: &Heard<'_>, out: &mut Vec<Output>) {
        let reading = self.emotion.observe(h.text, h.audio);
        if !reading.swing {
            return;
        }
        let label = reading.label.label();
        let strategy = match self.rules.emotion_rule(label, self.stage.pack()) {
            Some(r) => {
                let zh = is_chinese(h.text);
                let tip = r.rule.suggest.iter().find(|s| is_chinese(s) == zh);
                match tip {
                    Some(t) => format!("{} {}", r.rule.message, t),
                    None => r.rule.message.clone(),
                }
            }
            None => default_strategy(label, is_chinese(h.text)).to_string(),
        };
        out.push(Output::Event {
            audio_ms: h.end_ms,
            event: Event::Emotion(pb::EmotionEvent {
                role: h.role as i32,
                label: label.to_string(),
                score: reading.score,
                strategy,
                utterance_id: h.utterance_id.to_string(),
            }),
        });
    }

    fn missing(&mut self, rule: usize, utterance_id: &str, at: u64, out: &mut Vec<Output>) {
        let r = &self.rules.rules[rule];
        self.risks += 1;
        out.push(Output::Event {
            audio_ms: at,
            event: Event::Risk(pb::RiskEvent {
                rule_id: r.rule.id.clone(),
                kind: pb::RiskKind::Required as i32,
                role: match r.rule.speaker {
                    Speaker::Customer => Role::Customer,
                    _ => Role::Agent,
                } as i32,
                utterance_id: utterance_id.to_string(),
                matched: String::new(),
                severity: severity(r.rule.severity) as i32,
                message: r.rule.message.clone(),
                pack_id: r.pack_id.clone(),
                semantic: false,
                confidence: 1.0,
            }),
        });
    }

    /// Call time has reached `now_ms`: missed `within_s` deadlines and periodic metrics.
    pub fn advance(&mut self, now_ms: u64, out: &mut Vec<Output>) {
        self.now_ms = self.now_ms.max(now_ms);
        if self
            .required
            .next_deadline()
            .is_some_and(|d| self.now_ms > d)
        {
            for rule in self.required.due(self.now_ms) {
                self.missing(rule, "", self.now_ms, out);
            }
        }
        if self.now_ms >= self.next_metrics_ms {
            self.next_metrics_ms = (self.now_ms / METRICS_EVERY_MS + 1) * METRICS_EVERY_MS;
            out.push(self.metrics_event());
        }
    }

    /// The call has ended at `now_ms`: missing disclosures and the final metrics.
    pub fn finish(&mut self, now_ms: u64, out: &mut Vec<Output>) {
        self.now_ms = self.now_ms.max(now_ms);
        for rule in self.required.at_end() {
            self.missing(rule, "", self.now_ms, out);
        }
        out.push(self.metrics_event());
    }

    fn metrics_event(&self) -> Output {
        let mut m = self.metrics.snapshot(self.now_ms, self.required.coverage());
        m.suggestions = self.suggestions.issued_count as u32;
        m.suggestions_accepted = self.suggestions.accepted_count as u32;
        m.adoption = adoption(&self.suggestions);
        m.suggestions_blocked = self.blocked as u32;
        Output::Event {
            audio_ms: self.now_ms,
            event: Event::Metrics(m),
        }
    }

    /// The current stage id, if any.
    pub fn stage_id(&self) -> Option<&str> {
        self.stage
            .current()
            .map(|i| self.rules.stages[i].stage.id.as_str())
    }

    /// Registers a generated suggestion (one option, `o1`: its text) and returns its id.
    pub fn issue_generated(&mut self) -> String {
        self.suggestions.issue(vec!["o1".into()], 0)
    }

    /// A generated suggestion was dropped by the compliance guard.
    pub fn count_blocked(&mut self) {
        self.blocked += 1;
    }

    /// Suggestions issued so far.
    pub fn suggestions_issued(&self) -> u64 {
        self.suggestions.issued_count
    }

    /// Risk events raised so far.
    pub fn risks(&self) -> u64 {
        self.risks
    }
}

/// Accepted / shown suggestions (0 when none was shown).
fn adoption(b: &SuggestionBook) -> f32 {
    if b.shown_count == 0 {
        0.0
    } else {
        b.accepted_count as f32 / b.shown_count as f32
    }
}

/// The first `max` characters of `text`, cut at a sentence end when one is near.
fn snippet(text: &str, max: usize) -> String {
    let mut out: String = text.chars().take(max).collect();
    if out.len() < text.len()
        && let Some(end) = out.rfind(['.', '。', '！', '？', '!', '?', ';', '；'])
        && end > out.len() / 2
    {
        let len = out[end..].chars().next().map_or(1, char::len_utf8);
        out.truncate(end + len);
    }
    out.trim().to_string()
}
