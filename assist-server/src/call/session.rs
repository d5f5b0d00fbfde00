//! The session loop of one `StreamCall`: reads the config, then frames, text and control
//! messages; feeds the channels; answers bad input with INVALID_ARGUMENT; enforces the
//! per-tenant call limit, the frame rate and the idle timeout ([`super::limits`]); and on
//! finalize or half-close drains every channel and sends `end`. When the client disappears,
//! everything the call started is cancelled and its slots released.

use std::sync::Arc;

use callassist_inference::audio::Deinterleaver;
use callassist_inference::vad::{VadConfig, VadEngine};
use callassist_proto::v1::{self as pb, stream_call_request::Request, stream_call_response::Event};
use tokio::task::JoinSet;
use tonic::{Status, Streaming};
use tracing::Instrument;

use super::channel::{self, ChannelInput, ChannelSettings};
use super::limits::{self, FrameRate};
use super::sink::{ClientGone, EventSink, ResponseTx, SinkParts};
use super::spec::{self, CallSpec};
use crate::assist::engine::CallEngine;
use crate::assist::tenant::TenantRules;
use crate::auth::Principal;
use crate::config::VadArg;
use crate::error::CallError;
use crate::state::{AppState, CallSlot};

/// How long a new call may take to send its config before its slot is reclaimed.
const CONFIG_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// How a session ended.
enum Outcome {
    Finished,
    Failed(Status),
    ClientGone,
}

impl From<ClientGone> for Outcome {
    fn from(_: ClientGone) -> Self {
        Outcome::ClientGone
    }
}

impl From<CallError> for Outcome {
    fn from(e: CallError) -> Self {
        Outcome::Failed(e.into())
    }
}

struct Session {
    state: AppState,
    spec: CallSpec,
    sink: Arc<EventSink>,
    decoder: Option<Deinterleaver>,
    channels: Vec<ChannelInput>,
    workers: JoinSet<Result<(), CallError>>,
    decoded: Vec<Vec<f32>>,
    frames: u64,
    frames_out_of_order: u64,
    last_seq: Option<u64>,
    texts: u32,
    /// Samples per channel received so far (the call's audio clock).
    samples_in: u64,
    /// Audio frames over the last second, against `--max-frames-per-sec`.
    rate: FrameRate,
    /// `--idle-timeout-secs` (None: no limit) and when the call turns idle.
    idle: Option<std::time::Duration>,
    idle_at: tokio::time::Instant,
}

/// Runs one call to its end. `slot` is released when this returns.
pub async fn run(
    state: AppState,
    slot: CallSlot,
    principal: Principal,
    mut inbound: Streaming<pb::StreamCallRequest>,
    tx: ResponseTx,
) {
    let _slot = slot;
    let first = match tokio::time::timeout(CONFIG_TIMEOUT, inbound.message()).await {
        Err(_) => {
            let _ = tx
                .send(Err(Status::deadline_exceeded(format!(
                    "no `config` within {} s of opening the call: send the CallConfig first",
                    CONFIG_TIMEOUT.as_secs()
                ))))
                .await;
            return;
        }
        Ok(first) => first,
    };
    let first = match first {
        Ok(Some(pb::StreamCallRequest {
            request: Some(Request::Config(c)),
        })) => c,
        Ok(Some(other)) => {
            let got = other
                .request
                .as_ref()
                .map_or("an empty message", request_name);
            let _ = tx
                .send(Err(Status::invalid_argument(format!(
                    "the first StreamCallRequest must carry `config`, got {got}: send the CallConfig first"
                ))))
                .await;
            return;
        }
        Ok(None) => {
            // The client closed its side without a single message: say what was missing
            // rather than end with OK and no `end`.
            let _ = tx
                .send(Err(Status::invalid_argument(
                    "the request stream ended before any message: send the CallConfig first",
                )))
                .await;
            return;
        }
        Err(status) => {
            if let Some(status) = limits::transport_refusal(&status, &state.cfg) {
                let _ = tx.send(Err(status)).await;
            }
            return;
        }
    };
    let mut spec = match spec::validate(&first) {
        Ok(s) => s,
        Err(e) => {
            let _ = tx.send(Err(e.into())).await;
            return;
        }
    };
    // The tenant comes from the key, never from the request body.
    if principal != Principal::Open {
        match principal.tenant_for(&first.tenant_id) {
            Ok(t) => spec.tenant_id = t,
            Err(status) => {
                let _ = tx.send(Err(status)).await;
                return;
            }
        }
    }
    if spec.audio.is_some()
        && let Err(e) = admit_for_load(&state)
    {
        tracing::info!(tenant = %spec.tenant_id, "call refused: {e}");
        let _ = tx.send(Err(e.into())).await;
        return;
    }
    let _tenant_slot = match state.admit_tenant_call(&spec.tenant_id) {
        Ok(s) => s,
        Err(e) => {
            tracing::info!(tenant = %spec.tenant_id, "call refused: {e}");
            let _ = tx.send(Err(e.into())).await;
            return;
        }
    };
    let span = tracing::info_span!("call", call_id = %spec.call_id, tenant = %spec.tenant_id);
    run_valid(state, spec, inbound, tx).instrument(span).await;
}

async fn run_valid(
    state: AppState,
    spec: CallSpec,
    mut inbound: Streaming<pb::StreamCallRequest>,
    tx: ResponseTx,
) {
    tracing::info!(audio = spec.audio.is_some(), "call started");
    let (rules, rules_error) = match &state.knowledge {
        None => (Arc::new(TenantRules::empty()), None),
        Some(k) => match k.tenant_rules(&spec.tenant_id, &spec.packs).await {
            Ok(r) => (r, None),
            Err(e) => {
                tracing::error!("loading the tenant's rules failed: {e}");
                (Arc::new(TenantRules::empty()), Some(e.to_string()))
            }
        },
    };
    let hints = rules.phrase_hints(PHRASE_HINT_CHARS);
    let parts = SinkParts {
        tenant: spec.tenant_id.clone(),
        engine: Some(CallEngine::new(rules)),
        knowledge: state.knowledge.clone(),
        log: state.event_log.clone(),
        packs: spec.packs.clone(),
        composer: state.composer.clone(),
        redact_pii: state.tenants.redact_pii(&spec.tenant_id),
    };
    let sink = Arc::new(EventSink::with_parts(spec.call_id.clone(), tx, parts));
    if let Some(msg) = rules_error {
        let event = Event::Error(pb::ErrorEvent {
            code: "UNAVAILABLE".into(),
            message: format!(
                "the tenant's rules could not be loaded, so no risk prompts on this call: {msg}"
            ),
        });
        if sink.emit(0, event).await.is_err() {
            return;
        }
    }
    let mut session = match Session::new(state, spec, sink.clone(), hints) {
        Ok(s) => s,
        Err(e) => {
            sink.fail(e.into()).await;
            return;
        }
    };
    let outcome = session.drive(&mut inbound).await;
    match outcome {
        Outcome::Finished => tracing::info!("call finished"),
        Outcome::ClientGone => tracing::info!("client left; call cancelled"),
        Outcome::Failed(status) => {
            tracing::info!(code = ?status.code(), "call rejected: {}", status.message());
            sink.fail(status).await;
        }
    }
    // Dropping the session aborts channel tasks; queued recognition jobs are skipped.
}

/// Refuses a new audio call while the recognizers are saturated (`--max-asr-wait-ms`).
fn admit_for_load(state: &AppState) -> Result<(), CallError> {
    let max = state.cfg.max_asr_wait_ms;
    let wait = state.asr.queue_wait().as_millis() as u64;
    if max > 0 && wait > max {
        return Err(CallError::Exhausted(format!(
            "speech recognition is saturated: requests wait {wait} ms for a worker (limit \
             {max} ms, --max-asr-wait-ms); retry later, or add capacity (--asr-workers, or \
             another replica behind the load balancer)"
        )));
    }
    Ok(())
}

/// Longest phrase-hint text given to the recognizer (about 60-100 tokens).
const PHRASE_HINT_CHARS: usize = 200;

fn request_name(r: &Request) -> &'static str {
    match r {
        Request::Config(_) => "`config`",
        Request::Audio(_) => "`audio`",
        Request::Text(_) => "`text`",
        Request::Feedback(_) => "`feedback`",
        Request::Finalize(_) => "`finalize`",
    }
}

impl Session {
    fn new(
        state: AppState,
        spec: CallSpec,
        sink: Arc<EventSink>,
        phrase_hints: Option<String>,
    ) -> Result<Self, CallError> {
        let mut workers = JoinSet::new();
        let mut channels = Vec::new();
        let mut decoder = None;
        if let Some(audio) = &spec.audio {
            decoder = Some(Deinterleaver::new(audio.encoding, audio.roles.len())?);
            for (i, role) in audio.roles.iter().enumerate() {
                let settings = ChannelSettings {
                    index: i as u32,
                    role: *role,
                    sample_rate: audio.sample_rate,
                    language: spec.language.clone(),
                    interim_results: spec.interim_results,
                    partial_interval_ms: state.cfg.partial_interval_ms,
                    vad: VadConfig {
                        end_silence_ms: state.cfg.end_silence_ms,
                        pause_ms: state.cfg.pause_ms,
                        end_of_turn_ms: state.cfg.end_of_turn_ms,
                        engine: match state.cfg.vad {
                            VadArg::Energy => VadEngine::Energy,
                            VadArg::Earshot => VadEngine::Earshot,
                            VadArg::EarshotFlat => VadEngine::EarshotFlat,
                        },
                        ..VadConfig::default()
                    },
                    phrase_hints: phrase_hints.clone(),
                    prompts: state.cfg.asr_prompts,
                };
                let (input, worker) = channel::start(settings, state.asr.clone(), sink.clone())?;
                channels.push(input);
                workers.spawn(worker);
            }
        }
        let n = channels.len();
        let idle = match state.cfg.idle_timeout_secs {
            0 => None,
            secs => Some(std::time::Duration::from_secs(secs)),
        };
        let rate = FrameRate::new(state.cfg.max_frames_per_sec);
        Ok(Self {
            state,
            spec,
            sink,
            decoder,
            channels,
            workers,
            decoded: vec![Vec::new(); n],
            frames: 0,
            frames_out_of_order: 0,
            last_seq: None,
            texts: 0,
            samples_in: 0,
            rate,
            idle,
            idle_at: tokio::time::Instant::now() + idle.unwrap_or_default(),
        })
    }

    async fn drive(&mut self, inbound: &mut Streaming<pb::StreamCallRequest>) -> Outcome {
        loop {
            let msg = tokio::select! {
                m = inbound.message() => m,
                _ = self.sink.closed() => return Outcome::ClientGone,
                _ = tokio::time::sleep_until(self.idle_at), if self.idle.is_some() => {
                    return Outcome::Failed(limits::idle_status(self.idle.unwrap_or_default()));
                }
                Some(done) = self.workers.join_next(), if !self.workers.is_empty() => {
                    if let Ok(Err(e)) = done {
                        return e.into();
                    }
                    continue;
                }
            };
            let req = match msg {
                Ok(Some(req)) => req,
                Ok(None) => return self.finish().await,
                Err(status) => {
                    return match limits::transport_refusal(&status, &self.state.cfg) {
                        Some(status) => Outcome::Failed(status),
                        None => Outcome::ClientGone,
                    };
                }
            };

            let step = match req.request {
                Some(Request::Finalize(_)) => return self.finish().await,
                Some(r) => self.handle(r).await,
                None => Err(CallError::Invalid(
                    "empty StreamCallRequest: set one of audio, text, feedback or finalize".into(),
                )
                .into()),
            };
            if let Err(outcome) = step {
                return outcome;
            }
            // Idle time counts from when the server is ready for the next request.
            if let Some(idle) = self.idle {
                self.idle_at = tokio::time::Instant::now() + idle;
            }
        }
    }

    async fn handle(&mut self, req: Request) -> Result<(), Outcome> {
        match req {
            Request::Config(_) => Err(CallError::Invalid(
                "a second `config` arrived: send the config once, as the first message".into(),
            )
            .into()),
            Request::Audio(frame) => self.audio(frame).await,
            Request::Text(t) => self.text(t).await,
            Request::Feedback(f) => self.feedback(f).await,
            Request::Finalize(_) => Ok(()),
        }
    }

    async fn audio(&mut self, frame: pb::AudioFrame) -> Result<(), Outcome> {
        let Some(decoder) = &self.decoder else {
            return Err(CallError::Invalid(
                "audio sent on a text-only call: set encoding, sample_rate_hertz and \
                 audio_channel_count in the config to stream audio"
                    .into(),
            )
            .into());
        };
        self.rate
            .admit(tokio::time::Instant::now())
            .map_err(Outcome::from)?;
        let max = self.state.cfg.max_frame_bytes;
        if frame.data.len() > max {
            return Err(CallError::Invalid(format!(
                "audio frame {} has {} bytes, over the limit of {max}: send 20-100 ms per frame",
                frame.sequence,
                frame.data.len()
            ))
            .into());
        }
        if self.last_seq.is_some_and(|last| frame.sequence <= last) {
            self.frames_out_of_order += 1;
            crate::metrics::frame_dropped();
            return Ok(());
        }
        self.last_seq = Some(frame.sequence);
        self.frames += 1;
        crate::metrics::frame();
        for d in &mut self.decoded {
            d.clear();
        }
        let decode = std::time::Instant::now();
        decoder
            .decode_into(&frame.data, &mut self.decoded)
            .map_err(|e| Outcome::from(CallError::from(e)))?;
        crate::metrics::since(crate::metrics::Stage::Decode, decode);
        for (ch, samples) in self.channels.iter_mut().zip(&self.decoded) {
            ch.push(samples, &self.sink).await?;
        }
        self.samples_in += self.decoded.first().map_or(0, Vec::len) as u64;
        let rate = self.spec.audio.as_ref().map_or(16_000, |a| a.sample_rate) as u64;
        self.sink.advance(self.samples_in * 1000 / rate).await?;
        Ok(())
    }

    /// Feedback on a suggestion: recorded when valid; otherwise the client gets an error
    /// event saying what to fix and the call goes on (a bad click must not end a live call).
    async fn feedback(&mut self, f: pb::SuggestionFeedback) -> Result<(), Outcome> {
        match self.sink.feedback(&f) {
            Ok(record) => {
                if let Some(adoption) = &self.state.adoption {
                    adoption
                        .record(&self.spec.tenant_id, &self.spec.agent_id, &record)
                        .await;
                }
                Ok(())
            }
            Err(e) => {
                let event = Event::Error(pb::ErrorEvent {
                    code: "INVALID_ARGUMENT".into(),
                    message: format!("feedback ignored: {e}"),
                });
                Ok(self.sink.emit(0, event).await?)
            }
        }
    }

    async fn text(&mut self, t: pb::TextUtterance) -> Result<(), Outcome> {
        let role = match pb::Role::try_from(t.role) {
            Ok(r @ (pb::Role::Agent | pb::Role::Customer)) => r,
            _ => {
                return Err(CallError::Invalid(format!(
                    "text.role {} is not AGENT (1) or CUSTOMER (2)",
                    t.role
                ))
                .into());
            }
        };
        let text = t.text.trim();
        if text.is_empty() {
            return Err(CallError::Invalid(
                "text.text is empty: send the words the speaker said".into(),
            )
            .into());
        }
        if text.len() > self.state.cfg.max_text_bytes {
            return Err(CallError::Invalid(format!(
                "text.text has {} bytes, over the limit of {}: split long messages",
                text.len(),
                self.state.cfg.max_text_bytes
            ))
            .into());
        }
        self.texts += 1;
        let at = self.texts as u64 * 1000;
        let event = pb::TranscriptEvent {
            role: role as i32,
            channel: 0,
            utterance_id: format!("{}-t{}", spec::role_name(role), self.texts),
            text: text.to_string(),
            is_final: true,
            stability: 1.0,
            start_ms: at,
            end_ms: at,
            words: Vec::new(),
            language_code: self.spec.language.clone().unwrap_or_default(),
            confidence: 1.0,
        };
        // The engine advances its clock on every final utterance it hears.
        self.sink.transcript(at, event, None).await?;
        Ok(())
    }

    /// Flushes every channel, waits for their transcripts, then sends `end`.
    async fn finish(&mut self) -> Outcome {
        let mut utterances = self.texts;
        let mut audio_ms = 0;
        for ch in std::mem::take(&mut self.channels) {
            match ch.finish(&self.sink).await {
                Ok((n, ms)) => {
                    utterances += n;
                    audio_ms = audio_ms.max(ms);
                }
                Err(gone) => return gone.into(),
            }
        }
        while let Some(done) = self.workers.join_next().await {
            if let Ok(Err(e)) = done {
                return e.into();
            }
        }
        if self.spec.audio.is_none() {
            audio_ms = self.texts as u64 * 1000;
        }
        if let Err(gone) = self.sink.finish(audio_ms).await {
            return gone.into();
        }
        if let Some(adoption) = &self.state.adoption {
            let issued = self.sink.suggestions_issued();
            adoption
                .issued(&self.spec.tenant_id, &self.spec.agent_id, issued)
                .await;
        }
        let end = pb::CallEnd {
            audio_ms,
            utterances,
            events: self.sink.count().await + 1,
            frames: self.frames,
            frames_out_of_order: self.frames_out_of_order,
        };
        match self.sink.emit(audio_ms, Event::End(end)).await {
            Ok(()) => Outcome::Finished,
            Err(gone) => gone.into(),
        }
    }
}
