//! The ordered event stream of one call: numbers events (`seq` from 1), stamps the call id and
//! audio position, runs every transcript through the call's assist engine so its risk, stage
//! and emotion events follow the transcript at once, starts suggestion retrieval off the hot
//! path, appends every event to the durable event log, and notices when the client has gone.
//! With a local LLM, generated suggestions and the summary come from [`generated`].

use std::sync::{Arc, Mutex as SyncMutex};

use callassist_proto::v1::{self as pb, StreamCallResponse, stream_call_response::Event};
use tokio::sync::{Mutex, mpsc};
use tokio::task::JoinSet;
use tonic::Status;

use crate::assist::compose::Trigger;
use crate::assist::emotion::UtteranceAudio;
use crate::assist::engine::{CallEngine, Heard, Output, SemanticJob, SuggestJob};
use crate::assist::suggest::{FeedbackError, FeedbackRecord};
use crate::eventlog::EventLog;
use crate::knowledge::Knowledge;
use crate::metrics::{self, Stage};

mod generated;

/// Sender half of a call's response stream.
pub type ResponseTx = mpsc::Sender<Result<StreamCallResponse, Status>>;

/// Passages retrieved per suggestion.
const PASSAGES: usize = 2;

/// The client is no longer reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientGone;

/// What the sink needs besides the response stream (all optional: tests run without).
#[derive(Debug, Default)]
pub struct SinkParts {
    pub tenant: String,
    pub engine: Option<CallEngine>,
    pub knowledge: Option<Knowledge>,
    pub log: Option<EventLog>,
    /// Packs the call is restricted to (empty = all).
    pub packs: Vec<String>,
    /// The local LLM, for generated suggestions and the summary.
    pub composer: Option<crate::assist::compose::Composer>,
    /// Mask phone, ID-card and bank-card numbers and e-mail addresses in every transcript
    /// before anything sees it (the engine, events, the event log, prompts).
    pub redact_pii: bool,
}

/// Serialises events onto the response stream with increasing `seq`.
#[derive(Debug)]
pub struct EventSink {
    call_id: String,
    tenant: String,
    tx: ResponseTx,
    seq: Mutex<u64>,
    engine: Option<SyncMutex<CallEngine>>,
    knowledge: Option<Knowledge>,
    log: Option<EventLog>,
    packs: Vec<String>,
    pending: SyncMutex<JoinSet<()>>,
    composer: Option<crate::assist::compose::Composer>,
    redact_pii: bool,
    /// Final utterances so far (speaker, text), bounded; for prompts and the summary.
    history: SyncMutex<generated::History>,
    /// The generated suggestion still streaming, and how to stop it.
    active: SyncMutex<Option<(String, callassist_inference::llm::CancelFlag)>>,
}

impl EventSink {
    /// A plain sink for `call_id` writing to `tx` (no engine, no log).
    pub fn new(call_id: String, tx: ResponseTx) -> Self {
        Self::with_parts(call_id, tx, SinkParts::default())
    }

    /// A sink with an assist engine, knowledge for suggestions and an event log.
    pub fn with_parts(call_id: String, tx: ResponseTx, parts: SinkParts) -> Self {
        Self {
            call_id,
            tenant: parts.tenant,
            tx,
            seq: Mutex::new(0),
            engine: parts.engine.map(SyncMutex::new),
            knowledge: parts.knowledge,
            log: parts.log,
            packs: parts.packs,
            pending: SyncMutex::new(JoinSet::new()),
            composer: parts.composer,
            redact_pii: parts.redact_pii,
            history: SyncMutex::new(generated::History::default()),
            active: SyncMutex::new(None),
        }
    }

    /// The call's id.
    pub fn call_id(&self) -> &str {
        &self.call_id
    }

    /// Sends one event; waits while the client is slow (back-pressure).
    pub async fn emit(&self, audio_ms: u64, event: Event) -> Result<(), ClientGone> {
        let mut seq = self.seq.lock().await;
        self.send_locked(&mut seq, audio_ms, event).await
    }

    async fn send_locked(
        &self,
        seq: &mut u64,
        audio_ms: u64,
        event: Event,
    ) -> Result<(), ClientGone> {
        *seq += 1;
        if let Event::Error(e) = &event {
            metrics::error_named(&e.code);
        }
        let msg = StreamCallResponse {
            call_id: self.call_id.clone(),
            seq: *seq,
            audio_ms,
            event: Some(event),
        };
        let logged = self.log.as_ref().map(|_| msg.clone());
        self.tx.send(Ok(msg)).await.map_err(|_| ClientGone)?;
        if let (Some(log), Some(msg)) = (&self.log, logged)
            && let Err(e) = log.append_nowait(&self.tenant, msg).await
        {
            tracing::error!("event log append failed: {e}");
        }
        Ok(())
    }

    /// Sends a transcript, then the assist events it causes, in one uninterrupted run.
    pub async fn transcript(
        self: &Arc<Self>,
        audio_ms: u64,
        mut t: pb::TranscriptEvent,
        audio: Option<UtteranceAudio>,
    ) -> Result<(), ClientGone> {
        if self.redact_pii && crate::redact::redact_in_place(&mut t.text).total() > 0 {
            // Word timings would still carry the digits (a number spans several words).
            t.words.clear();
        }
        let mut seq = self.seq.lock().await;
        let out = self.engine.as_ref().map(|engine| {
            let role = pb::Role::try_from(t.role).unwrap_or(pb::Role::Unspecified);
            let heard = Heard {
                role,
                utterance_id: &t.utterance_id,
                text: &t.text,
                is_final: t.is_final,
                start_ms: t.start_ms,
                end_ms: t.end_ms,
                audio,
            };
            let mut out = Vec::new();
            let rules = std::time::Instant::now();
            lock(engine).hear(&heard, &mut out);
            metrics::since(Stage::Rules, rules);
            out
        });
        let final_text = t.is_final.then(|| (t.role, t.text.clone()));
        self.send_locked(&mut seq, audio_ms, Event::Transcript(t))
            .await?;
        let out = out.unwrap_or_default();
        let suggested = out.iter().any(|o| matches!(o, Output::Suggest(_)));
        for o in out {
            self.output(&mut seq, o).await?;
        }
        if let Some((role, text)) = final_text {
            self.heard_final(role, text, suggested, audio_ms);
        }
        Ok(())
    }

    /// Call time has reached `now_ms` (deadlines, periodic metrics).
    pub async fn advance(self: &Arc<Self>, now_ms: u64) -> Result<(), ClientGone> {
        let Some(engine) = &self.engine else {
            return Ok(());
        };
        let mut out = Vec::new();
        lock(engine).advance(now_ms, &mut out);
        if out.is_empty() {
            return Ok(());
        }
        let mut seq = self.seq.lock().await;
        for o in out {
            self.output(&mut seq, o).await?;
        }
        Ok(())
    }

    /// The call is over: waits for pending suggestions, then sends the closing assist events.
    pub async fn finish(self: &Arc<Self>, now_ms: u64) -> Result<(), ClientGone> {
        // Pending work may start more (a semantic match starts its suggestion): until none.
        loop {
            let mut pending = std::mem::take(
                &mut *self
                    .pending
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner),
            );
            if pending.is_empty() {
                break;
            }
            while pending.join_next().await.is_some() {}
        }
        let Some(engine) = &self.engine else {
            return Ok(());
        };
        let mut out = Vec::new();
        lock(engine).finish(now_ms, &mut out);
        {
            let mut seq = self.seq.lock().await;
            for o in out {
                self.output(&mut seq, o).await?;
            }
        }
        self.summarize(now_ms).await
    }

    /// Validates and records the agent's feedback on a suggestion.
    pub fn feedback(&self, fb: &pb::SuggestionFeedback) -> Result<FeedbackRecord, FeedbackError> {
        match &self.engine {
            Some(engine) => lock(engine).feedback(fb),
            None => Err(FeedbackError::UnknownSuggestion(fb.suggestion_id.clone())),
        }
    }

    /// Suggestions the engine has issued on this call.
    pub fn suggestions_issued(&self) -> u64 {
        self.engine
            .as_ref()
            .map_or(0, |e| lock(e).suggestions_issued())
    }

    async fn output(self: &Arc<Self>, seq: &mut u64, o: Output) -> Result<(), ClientGone> {
        match o {
            Output::Event { audio_ms, event } => self.send_locked(seq, audio_ms, event).await,
            Output::Suggest(job) => {
                let me = self.clone();
                self.spawn(async move {
                    let _ = me.suggest(job).await;
                });
                Ok(())
            }
            Output::Semantic(job) => {
                if self.knowledge.is_some() {
                    let me = self.clone();
                    self.spawn(async move {
                        let _ = me.semantic(job).await;
                    });
                }
                Ok(())
            }
        }
    }

    fn spawn(&self, task: impl Future<Output = ()> + Send + 'static) {
        self.pending
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .spawn(task);
    }

    /// Compares a customer utterance with the objection phrases by meaning.
    async fn semantic(self: &Arc<Self>, job: SemanticJob) -> Result<(), ClientGone> {
        let (Some(k), Some(engine)) = (&self.knowledge, &self.engine) else {
            return Ok(());
        };
        let rules = lock(engine).rules().clone();
        let found = async {
            let vectors = k.objection_vectors(&rules).await?;
            if vectors.is_empty() {
                return Ok(None);
            }
            let v = k.embed_queries(vec![job.text.clone()]).await?;
            Ok::<_, crate::knowledge::KnowledgeError>(v.first().and_then(|v| vectors.classify(v)))
        }
        .await;
        let (rule, similarity) = match found {
            Ok(Some((rule, similarity, _margin))) => (rule, similarity),
            Ok(None) => return Ok(()),
            Err(e) => {
                tracing::warn!("semantic objection check failed: {e}");
                return Ok(());
            }
        };
        let mut out = Vec::new();
        lock(engine).semantic_hit(rule, &job, similarity, &mut out);
        let mut seq = self.seq.lock().await;
        // Not `self.output`: that can start `semantic`, and an async fn that spawns itself
        // has no provable `Send` future. A semantic hit yields only events and a suggestion.
        for o in out {
            match o {
                Output::Event { audio_ms, event } => {
                    self.send_locked(&mut seq, audio_ms, event).await?
                }
                Output::Suggest(s) => {
                    let me = self.clone();
                    self.spawn(async move {
                        let _ = me.suggest(s).await;
                    });
                }
                Output::Semantic(_) => {}
            }
        }
        Ok(())
    }

    /// Retrieves passages for a suggestion and sends it.
    async fn suggest(self: &Arc<Self>, job: SuggestJob) -> Result<(), ClientGone> {
        let mut hits = Vec::new();
        if let Some(k) = &self.knowledge {
            let start = std::time::Instant::now();
            let found = k
                .search(&self.tenant, &job.query, PASSAGES * 4, &job.kinds)
                .await;
            metrics::since(Stage::Retrieval, start);
            match found {
                Ok(found) => {
                    hits = found
                        .into_iter()
                        .filter(|h| self.packs.is_empty() || self.packs.contains(&h.pack_id))
                        .take(PASSAGES)
                        .collect()
                }
                Err(e) => tracing::warn!("retrieval for suggestion failed: {e}"),
            }
        }
        let Some(engine) = &self.engine else {
            return Ok(());
        };
        let event = lock(engine).suggestion_event(&job, &hits);
        self.emit(job.audio_ms, event).await?;
        if self.composer.is_some() && !hits.is_empty() {
            let me = self.clone();
            self.spawn(async move {
                let _ = me
                    .compose(job.query, Trigger::Rule, job.trigger, hits, job.audio_ms)
                    .await;
            });
        }
        Ok(())
    }

    /// Events sent so far.
    pub async fn count(&self) -> u64 {
        *self.seq.lock().await
    }

    /// Ends the stream with an error status.
    pub async fn fail(&self, status: Status) {
        let _guard = self.seq.lock().await;
        let _ = self.tx.send(Err(status)).await;
    }

    /// Resolves when the client stops reading.
    pub async fn closed(&self) {
        self.tx.closed().await
    }
}

fn lock(engine: &SyncMutex<CallEngine>) -> std::sync::MutexGuard<'_, CallEngine> {
    // The engine holds no invariant a panic could break halfway; keep serving the call.
    engine
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
