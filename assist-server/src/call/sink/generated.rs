//! The LLM's part of a call: a grounded suggestion after an objection or competitor rule, a
//! customer question or an agent's "let me check", streamed as suggestion updates (a newer
//! one cancels and supersedes one still streaming), each piece checked by the compliance
//! guard before it is sent (a failing one is withdrawn and counted); and the post-call
//! summary with action items and the final stage, in the call's language (only for a
//! conversation: both parties heard).

use std::collections::VecDeque;
use std::sync::Arc;

use callassist_inference::InferenceError;
use callassist_knowledge::SearchHit;
use callassist_proto::v1::{self as pb, Role, stream_call_response::Event};
use tokio::sync::mpsc;

use super::{ClientGone, EventSink, PASSAGES, lock};
use crate::assist::compose::{
    Trigger, is_knowledge_gap, is_question, parse_summary, tidy_suggestion,
};
use crate::assist::engine::is_chinese;
use crate::assist::guard;
use crate::metrics::{self, Stage};

/// Utterances remembered for prompts and the summary.
const HISTORY: usize = 400;
/// Send a streaming update when the text grew by this many bytes (or at a sentence end).
const UPDATE_BYTES: usize = 24;

/// A call's final utterances, oldest first, bounded.
#[derive(Debug, Default)]
pub struct History {
    lines: VecDeque<(Role, String)>,
}

impl History {
    fn push(&mut self, role: Role, text: String) {
        if self.lines.len() >= HISTORY {
            self.lines.pop_front();
        }
        self.lines.push_back((role, text));
    }

    fn last_customer(&self) -> Option<&str> {
        self.lines
            .iter()
            .rev()
            .find(|(r, _)| *r == Role::Customer)
            .map(|(_, t)| t.as_str())
    }
}

fn speaker(role: Role, zh: bool) -> &'static str {
    match (role, zh) {
        (Role::Agent, false) => "Agent",
        (Role::Customer, false) => "Customer",
        (Role::Agent, true) => "坐席",
        (Role::Customer, true) => "客户",
        (_, false) => "Speaker",
        (_, true) => "说话人",
    }
}

fn citations(hits: &[SearchHit]) -> Vec<pb::Citation> {
    hits.iter()
        .map(|p| pb::Citation {
            chunk_id: p.chunk_id.clone(),
            pack_id: p.pack_id.clone(),
            doc_path: p.doc_path.clone(),
        })
        .collect()
}

impl EventSink {
    /// A final utterance was sent: remember it, and start a generated suggestion for a
    /// customer question (unless a rule already suggested) or an agent's knowledge gap.
    pub(super) fn heard_final(self: &Arc<Self>, role: i32, text: String, suggested: bool, at: u64) {
        let role = Role::try_from(role).unwrap_or(Role::Unspecified);
        let gap_query = {
            let mut h = self
                .history
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let gap = (role == Role::Agent && is_knowledge_gap(&text))
                .then(|| h.last_customer().map(str::to_string))
                .flatten();
            h.push(role, text.clone());
            gap
        };
        if self.composer.is_none() || self.knowledge.is_none() {
            return;
        }
        let job = match (role, gap_query) {
            (Role::Customer, _) if !suggested && is_question(&text) => {
                Some((text, Trigger::Question, "question"))
            }
            (Role::Agent, Some(q)) => Some((q, Trigger::KnowledgeGap, "knowledge-gap")),
            _ => None,
        };
        if let Some((query, trigger, id)) = job {
            let me = self.clone();
            self.spawn(async move {
                let hits = me
                    .retrieve(&query, &["faq", "product", "case", "script"])
                    .await;
                if !hits.is_empty() {
                    let _ = me.compose(query, trigger, id.into(), hits, at).await;
                }
            });
        }
    }

    /// Passages of the call's packs for `query`.
    async fn retrieve(&self, query: &str, kinds: &[&str]) -> Vec<SearchHit> {
        let Some(k) = &self.knowledge else {
            return Vec::new();
        };
        let kinds: Vec<String> = kinds.iter().map(|k| k.to_string()).collect();
        let start = std::time::Instant::now();
        let found = k.search(&self.tenant, query, PASSAGES * 4, &kinds).await;
        metrics::since(Stage::Retrieval, start);
        match found {
            Ok(found) => found
                .into_iter()
                .filter(|h| self.packs.is_empty() || self.packs.contains(&h.pack_id))
                .take(PASSAGES)
                .collect(),
            Err(e) => {
                tracing::warn!("retrieval for a generated suggestion failed: {e}");
                Vec::new()
            }
        }
    }

    /// Generates a suggestion answering `said` from `hits`, streaming it.
    pub(super) async fn compose(
        self: &Arc<Self>,
        said: String,
        trigger: Trigger,
        trigger_id: String,
        hits: Vec<SearchHit>,
        at: u64,
    ) -> Result<(), ClientGone> {
        let (Some(composer), Some(engine)) = (&self.composer, &self.engine) else {
            return Ok(());
        };
        let rules = lock(engine).rules().clone();
        let zh = is_chinese(&said);
        let req = match composer.suggestion(&rules, &said, trigger, &hits, zh) {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!("building a suggestion prompt failed: {e}");
                return Ok(());
            }
        };
        let cancel = req.cancel.clone();
        let id = lock(engine).issue_generated();
        let supersedes = {
            let mut active = self
                .active
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            active
                .replace((id.clone(), cancel.clone()))
                .map(|(old, flag)| {
                    flag.cancel();
                    old
                })
        };
        let cites = citations(&hits);
        let event = |text: String, is_final: bool, withdrawn: bool, first: bool| {
            Event::Suggestion(pb::SuggestionEvent {
                suggestion_id: id.clone(),
                text: text.clone(),
                citations: cites.clone(),
                trigger: trigger_id.clone(),
                options: if is_final && !withdrawn {
                    vec![pb::SuggestionOption {
                        option_id: "o1".into(),
                        text,
                        citations: cites.clone(),
                    }]
                } else {
                    Vec::new()
                },
                supersedes: if first { supersedes.clone() } else { None },
                is_final,
                min_choices: 0,
                withdrawn,
            })
        };

        let (tx, mut rx) = mpsc::channel::<String>(32);
        let pool = composer.pool.clone();
        // Waits for queue room: older suggestions this one superseded leave the queue at once.
        let generation = tokio::spawn(async move { pool.generate(req, Some(tx)).await });
        let mut text = String::new();
        let mut sent = 0usize;
        let mut blocked: Option<String> = None;
        while let Some(piece) = rx.recv().await {
            text.push_str(&piece);
            if let Some(rule) = guard::forbidden_phrase(&rules, &text) {
                blocked = Some(rule);
                cancel.cancel();
                break;
            }
            let sentence_end = piece
                .trim_end()
                .ends_with(['.', '!', '?', '。', '！', '？']);
            if text.len() >= sent + UPDATE_BYTES || sentence_end {
                let shown = tidy_suggestion(&text);
                if !shown.is_empty() {
                    self.emit(at, event(shown, false, false, sent == 0)).await?;
                    sent = text.len();
                }
            }
        }
        drop(rx);
        let result = generation.await;
        let done = |me: &Self| {
            let mut active = me
                .active
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if active.as_ref().is_some_and(|(a, _)| *a == id) {
                *active = None;
            }
        };
        done(self);
        let generated = match result {
            Ok(Ok(g)) => g,
            Ok(Err(InferenceError::Overloaded(n))) => {
                tracing::info!(queued = n, "LLM busy: generated suggestion skipped");
                return Ok(());
            }
            Ok(Err(e)) => {
                tracing::warn!("generating a suggestion failed: {e}");
                return Ok(());
            }
            Err(e) => {
                tracing::warn!("suggestion task failed: {e}");
                return Ok(());
            }
        };
        if generated.first_token_ms > 0.0 {
            metrics::observe_secs(Stage::LlmFirstToken, generated.first_token_ms / 1000.0);
        }
        if blocked.is_none() && cancel.is_cancelled() {
            // Superseded by a newer suggestion, which says so itself.
            return Ok(());
        }
        let final_text = tidy_suggestion(&generated.text);
        if blocked.is_none() {
            blocked = guard::forbidden_phrase(&rules, &final_text);
        }
        if blocked.is_none() {
            blocked = self.forbidden_by_meaning(&rules, &final_text).await;
        }
        if let Some(rule) = blocked {
            lock(engine).count_blocked();
            metrics::suggestion_blocked();
            tracing::info!(rule = %rule, "generated suggestion failed the compliance guard");
            if sent > 0 {
                self.emit(at, event(String::new(), true, true, false))
                    .await?;
            }
            return Ok(());
        }
        if final_text.is_empty() {
            return Ok(());
        }
        tracing::debug!(
            prompt_tokens = generated.prompt_tokens,
            reused = generated.reused_tokens,
            first_token_ms = generated.first_token_ms,
            "generated suggestion"
        );
        self.emit(at, event(final_text, true, false, sent == 0))
            .await
    }

    /// The forbidden rule `text` expresses by meaning, if any (e5 similarity with the
    /// tenant's forbidden phrases against neutral anchors).
    async fn forbidden_by_meaning(
        &self,
        rules: &crate::assist::tenant::TenantRules,
        text: &str,
    ) -> Option<String> {
        let k = self.knowledge.as_ref()?;
        let vectors = match k.forbidden_vectors(rules).await {
            Ok(v) if !v.is_empty() => v,
            Ok(_) => return None,
            Err(e) => {
                tracing::warn!("semantic compliance check unavailable: {e}");
                return None;
            }
        };
        let v = k.embed_queries(vec![text.to_string()]).await.ok()?;
        let (rule, _, _) = v.first().and_then(|v| vectors.classify(v))?;
        rules.rules.get(rule).map(|r| r.rule.id.clone())
    }

    fn history_has(&self, role: Role) -> bool {
        self.history
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .lines
            .iter()
            .any(|(r, _)| *r == role)
    }

    /// Sends the post-call summary (with a local LLM and something said).
    pub(super) async fn summarize(self: &Arc<Self>, now_ms: u64) -> Result<(), ClientGone> {
        let (Some(composer), Some(engine)) = (&self.composer, &self.engine) else {
            return Ok(());
        };
        let (lines, zh) = {
            let h = self
                .history
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let chinese = h.lines.iter().filter(|(_, t)| is_chinese(t)).count();
            let zh = chinese * 2 > h.lines.len();
            let lines: Vec<(String, String)> = h
                .lines
                .iter()
                .map(|(r, t)| (speaker(*r, zh).to_string(), t.clone()))
                .collect();
            (lines, zh)
        };
        // A summary needs a conversation: both parties heard.
        let has = |role| self.history_has(role);
        if lines.is_empty() || !has(Role::Agent) || !has(Role::Customer) {
            return Ok(());
        }
        let stage = lock(engine).stage_id().unwrap_or_default().to_string();
        let generated = match composer.summary(&lines, &stage, zh) {
            Ok(req) => composer.pool.generate(req, None).await,
            Err(e) => Err(e),
        };
        let g = match generated {
            Ok(g) => g,
            Err(e) => {
                tracing::warn!("post-call summary failed: {e}");
                return Ok(());
            }
        };
        let (text, action_items) = parse_summary(&g.text);
        self.emit(
            now_ms,
            Event::Summary(pb::SummaryEvent {
                text,
                action_items,
                final_stage: stage,
                language_code: if zh { "zh" } else { "en" }.into(),
            }),
        )
        .await
    }
}
