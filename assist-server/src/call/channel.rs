//! One audio channel of a call (one party): resample to 16 kHz, endpoint with VAD, and hand
//! utterances to a per-channel recognition task that emits partial and final transcripts in
//! order, prompting the recognizer with the tenant's phrase hints and the channel's last
//! words. A short pause inside an utterance settles what was said before it: that audio is
//! decoded as a final at once, while the speaker may go on, so the final of a turn is not
//! late by the endpointer's silence plus a whole-turn decode. The job queue is bounded:
//! finals wait for room (back-pressure on the client's stream), partials and pause pieces
//! are dropped when the channel is behind (the utterance's final covers them).

use std::collections::HashSet;
use std::sync::Arc;

use callassist_inference::InferenceError;
use callassist_inference::asr::{AsrOutput, AsrPool, AsrRequest};
use callassist_inference::audio::StreamResampler;
use callassist_inference::vad::{Endpointer, VadConfig, VadEvent};
use callassist_proto::v1::{self as pb, Role, stream_call_response::Event};
use tokio::sync::mpsc;

use super::agreement::Agreement;
use super::sink::{ClientGone, EventSink};
use super::spec::role_name;
use crate::assist::emotion::UtteranceAudio;
use crate::error::CallError;
use crate::metrics::{self, Stage};

/// Recognition jobs waiting per channel.
const JOB_QUEUE: usize = 8;
/// Partials start once an utterance has this much audio.
const MIN_PARTIAL_MS: u64 = 1_000;
/// No partial while the speaker has been silent this long (a pause piece or the final is
/// about to be decoded; a partial in its way would only delay it).
const PARTIAL_QUIET_MS: u64 = 100;

/// A recognition job; `samples` is always the utterance's audio from its start.
#[derive(Debug)]
enum Job {
    Partial {
        utt: Utt,
        samples: Vec<f32>,
    },
    /// Audio up to a pause inside the utterance, decoded as a final piece.
    Piece {
        utt: Utt,
        samples: Vec<f32>,
    },
    /// The utterance's audio; past `voiced_end_ms` only sound far below the speaker's level.
    Final {
        utt: Utt,
        samples: Vec<f32>,
        voiced_end_ms: u64,
    },
}

/// A pause piece is sent as a final at once when it has this much new audio (Whisper decodes
/// a phrase of 5 s as well as the whole utterance; a 1-2 s one it can garble without the
/// words around it). A shorter piece waits: it is the utterance's final if the utterance
/// ends at that pause.
const COMMIT_PIECE_MS: u64 = 5_000;

/// A pause piece decoded but not sent.
#[derive(Debug)]
struct Pending {
    id: String,
    /// Committed audio of the utterance when it was decoded (ms).
    offset_ms: u64,
    /// Its end, call time (ms).
    end_ms: u64,
    out: AsrOutput,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    Partial,
    Piece,
    Final,
}

#[derive(Clone, Debug)]
struct Utt {
    id: String,
    start_ms: u64,
    end_ms: u64,
}

/// Settings a channel needs from the call and the server.
#[derive(Clone, Debug)]
pub struct ChannelSettings {
    pub index: u32,
    pub role: Role,
    pub sample_rate: u32,
    pub language: Option<String>,
    pub interim_results: bool,
    pub partial_interval_ms: u64,
    pub vad: VadConfig,
    /// Names from the tenant's packs for the recognizer's prompt (spelling of products and
    /// competitors).
    pub phrase_hints: Option<String>,
    /// Whether the recognizer gets the phrase hints and the channel's last words as a prompt
    /// (`--asr-prompts`).
    pub prompts: bool,
}

/// The input side of a channel, driven by the session loop.
#[derive(Debug)]
pub struct ChannelInput {
    s: ChannelSettings,
    resampler: StreamResampler,
    endpointer: Endpointer,
    jobs: mpsc::Sender<Job>,
    scratch: Vec<f32>,
    next_utt: u32,
    current: Option<(String, u64)>,
    last_partial_len_ms: u64,
    /// Utterances finalised on this channel.
    pub utterances: u32,
}

/// Starts a channel: returns its input half and the recognition task to spawn.
pub fn start(
    s: ChannelSettings,
    asr: AsrPool,
    sink: Arc<EventSink>,
) -> Result<(ChannelInput, impl Future<Output = Result<(), CallError>>), CallError> {
    let resampler = StreamResampler::new(s.sample_rate)?;
    let (tx, rx) = mpsc::channel(JOB_QUEUE);
    let worker = recognize_loop(rx, asr, sink, s.clone());
    Ok((
        ChannelInput {
            endpointer: Endpointer::new(s.vad.clone()),
            s,
            resampler,
            jobs: tx,
            scratch: Vec::new(),
            next_utt: 0,
            current: None,
            last_partial_len_ms: 0,
            utterances: 0,
        },
        worker,
    ))
}

impl ChannelInput {
    /// Position of this channel's audio, in ms.
    pub fn position_ms(&self) -> u64 {
        self.endpointer.position_ms()
    }

    /// Feeds decoded native-rate samples.
    pub async fn push(&mut self, samples: &[f32], sink: &EventSink) -> Result<(), ClientGone> {
        let mut resampled = std::mem::take(&mut self.scratch);
        resampled.clear();
        self.resampler.push(samples, &mut resampled);
        let r = self.feed(&resampled, sink).await;
        self.scratch = resampled;
        r
    }

    /// End of audio: flushes the resampler and closes any open utterance. Returns the
    /// utterances finalised and the channel's audio length (ms).
    pub async fn finish(mut self, sink: &EventSink) -> Result<(u32, u64), ClientGone> {
        let mut tail = Vec::new();
        self.resampler.flush(&mut tail);
        self.feed(&tail, sink).await?;
        let mut events = Vec::new();
        let vad = std::time::Instant::now();
        self.endpointer.flush(&mut events);
        metrics::since(Stage::Vad, vad);
        self.handle(events, sink).await?;
        Ok((self.utterances, self.position_ms()))
    }

    async fn feed(&mut self, samples: &[f32], sink: &EventSink) -> Result<(), ClientGone> {
        let mut events = Vec::new();
        let vad = std::time::Instant::now();
        self.endpointer.push(samples, &mut events);
        metrics::since(Stage::Vad, vad);
        self.handle(events, sink).await?;
        self.maybe_partial();
        Ok(())
    }

    async fn handle(&mut self, events: Vec<VadEvent>, sink: &EventSink) -> Result<(), ClientGone> {
        for ev in events {
            match ev {
                VadEvent::SpeechStart { start_ms } => {
                    self.next_utt += 1;
                    let id = format!("{}-{}", role_name(self.s.role), self.next_utt);
                    self.current = Some((id, start_ms));
                    self.last_partial_len_ms = 0;
                    self.speech_event(sink, start_ms, pb::SpeechEventType::SpeechBegin)
                        .await?;
                }
                VadEvent::SpeechEnd {
                    start_ms,
                    end_ms,
                    voiced_end_ms,
                    samples,
                } => {
                    let id = match self.current.take() {
                        Some((id, _)) => id,
                        None => format!("{}-{}", role_name(self.s.role), self.next_utt),
                    };
                    self.speech_event(sink, end_ms, pb::SpeechEventType::SpeechEnd)
                        .await?;
                    self.utterances += 1;
                    let utt = Utt {
                        id,
                        start_ms,
                        end_ms,
                    };
                    // Waits for room: a channel that is behind slows the client down.
                    let job = Job::Final {
                        utt,
                        samples,
                        voiced_end_ms,
                    };
                    if self.jobs.send(job).await.is_err() {
                        return Err(ClientGone);
                    }
                }
                VadEvent::Pause {
                    start_ms,
                    end_ms,
                    samples,
                } => {
                    if let Some((id, _)) = &self.current {
                        let utt = Utt {
                            id: id.clone(),
                            start_ms,
                            end_ms,
                        };
                        // Behind already: the utterance's final will cover this audio.
                        let _ = self.jobs.try_send(Job::Piece { utt, samples });
                    }
                }
                VadEvent::EndOfTurn { at_ms } => {
                    self.speech_event(sink, at_ms, pb::SpeechEventType::EndOfTurn)
                        .await?;
                }
            }
        }
        Ok(())
    }

    fn maybe_partial(&mut self) {
        if !self.s.interim_results {
            return;
        }
        let (Some((id, _)), Some((start_ms, audio))) = (&self.current, self.endpointer.current())
        else {
            return;
        };
        let len_ms = audio.len() as u64 * 1000 / callassist_inference::SAMPLE_RATE as u64;
        if len_ms < MIN_PARTIAL_MS
            || len_ms < self.last_partial_len_ms + self.s.partial_interval_ms
            || self.endpointer.trailing_silence_ms() >= PARTIAL_QUIET_MS
        {
            return;
        }
        self.last_partial_len_ms = len_ms;
        let job = Job::Partial {
            utt: Utt {
                id: id.clone(),
                start_ms,
                end_ms: start_ms + len_ms,
            },
            samples: audio.to_vec(),
        };
        // Behind already: skip this partial, the final will come.
        let _ = self.jobs.try_send(job);
    }

    async fn speech_event(
        &self,
        sink: &EventSink,
        at_ms: u64,
        kind: pb::SpeechEventType,
    ) -> Result<(), ClientGone> {
        sink.emit(
            at_ms,
            Event::Speech(pb::SpeechEvent {
                role: self.s.role as i32,
                channel: self.s.index,
                r#type: kind as i32,
            }),
        )
        .await
    }
}

/// Runs the channel's recognition jobs in order and emits their transcripts. Partials go
/// through local agreement ([`Agreement`]): what two partials agree on, clear of the audio's
/// edge, is sent as a final at once and later decodes start after it. A pause piece is sent
/// as a final too, and later decodes start after it the same way.
async fn recognize_loop(
    mut rx: mpsc::Receiver<Job>,
    asr: AsrPool,
    sink: Arc<EventSink>,
    s: ChannelSettings,
) -> Result<(), CallError> {
    let mut partial_shown: HashSet<String> = HashSet::new();
    // The channel's last trusted final, the decoder's context for the next utterance.
    let mut context = String::new();
    let mut agree = Agreement::default();
    let mut pending: Option<Pending> = None;
    while let Some(job) = rx.recv().await {
        let (utt, samples, kind, voiced_end_ms) = match job {
            // A stale partial: something newer is already waiting.
            Job::Partial { .. } if !rx.is_empty() => continue,
            Job::Partial { utt, samples } => (utt, samples, Kind::Partial, None),
            Job::Piece { utt, samples } => (utt, samples, Kind::Piece, None),
            Job::Final {
                utt,
                samples,
                voiced_end_ms,
            } => (utt, samples, Kind::Final, Some(voiced_end_ms)),
        };
        let is_final = kind != Kind::Partial;
        agree.follow(&utt.id);
        // Decode only what is not committed yet.
        let offset = agree.offset_ms();
        let skip = (offset as usize * callassist_inference::SAMPLE_RATE as usize / 1000)
            .min(samples.len());
        let samples = samples[skip..].to_vec();
        let part = Utt {
            id: agree.part_id(),
            start_ms: utt.start_ms + offset,
            end_ms: utt.end_ms,
        };
        let audio_ms = samples.len() as u64 * 1000 / callassist_inference::SAMPLE_RATE as u64;
        let audio = utterance_audio(&samples);
        // The final of an utterance that ended at a pause already decoded: no second decode.
        let ready = pending.take_if(|p| {
            voiced_end_ms == Some(p.end_ms) && p.id == utt.id && p.offset_ms == offset
        });
        if kind == Kind::Final {
            // Spoken on after the pause: that decode is stale.
            pending = None;
        }
        let out = if let Some(p) = ready {
            Ok(p.out)
        } else if samples.len() < callassist_inference::SAMPLE_RATE as usize / 5 {
            // Under 0.2 s left after the committed part: nothing more was said.
            Ok(AsrOutput::default())
        } else {
            let req = AsrRequest {
                samples,
                language: s.language.clone(),
                partial: !is_final,
                prompt: if s.prompts {
                    prompt(s.phrase_hints.as_deref(), &context)
                } else {
                    None
                },
            };
            let asr_start = std::time::Instant::now();
            let out = asr.transcribe(req).await;
            metrics::since(Stage::Asr, asr_start);
            out
        };
        let out = match out {
            Ok(out) => out,
            Err(InferenceError::Overloaded(_)) if !is_final => continue,
            Err(e) => return Err(e.into()),
        };
        if !is_final {
            let (stability, committed) = agree.on_partial(&out.segments, audio_ms);
            if let Some(c) = committed {
                // The committed segments' words (those starting before the last one ends).
                let until = c.segments.last().map_or(0, |x| x.end_ms);
                let piece = AsrOutput {
                    text: c.text,
                    words: out
                        .words
                        .iter()
                        .filter(|w| w.start_ms < until)
                        .cloned()
                        .collect(),
                    segments: c.segments,
                    ..out.clone()
                };
                partial_shown.remove(&c.id);
                context = trusted_context(&piece);
                let end = piece.segments.last().map_or(audio_ms, |x| x.end_ms);
                let utt = Utt {
                    id: c.id,
                    start_ms: part.start_ms,
                    end_ms: part.start_ms + end,
                };
                let event = transcript(&s, &utt, &piece, true, 1.0);
                if sink
                    .transcript(utt.end_ms, event, Some(audio))
                    .await
                    .is_err()
                {
                    return Ok(());
                }
                continue;
            }
            if out.text.is_empty() {
                continue;
            }
            partial_shown.insert(part.id.clone());
            let event = transcript(&s, &part, &out, false, stability);
            if sink
                .transcript(part.end_ms, event, Some(audio))
                .await
                .is_err()
            {
                return Ok(());
            }
            continue;
        }
        if kind == Kind::Piece && audio_ms < COMMIT_PIECE_MS {
            pending = Some(Pending {
                id: utt.id.clone(),
                offset_ms: offset,
                end_ms: utt.end_ms,
                out,
            });
            continue;
        }
        let shown_before = partial_shown.remove(&part.id);
        let emit = !out.text.is_empty() || shown_before;
        if kind == Kind::Piece {
            agree.settle(offset + audio_ms, emit);
        }
        if !emit {
            continue;
        }
        context = trusted_context(&out);
        let event = transcript(&s, &part, &out, true, 1.0);
        if sink
            .transcript(part.end_ms, event, Some(audio))
            .await
            .is_err()
        {
            return Ok(());
        }
    }
    Ok(())
}

/// A final's last words as context for the next decode; none after a high-temperature
/// decode (a hallucination would otherwise carry over).
fn trusted_context(out: &AsrOutput) -> String {
    if out.temperature < CONTEXT_MAX_TEMPERATURE {
        tail_chars(&out.text, CONTEXT_CHARS)
    } else {
        String::new()
    }
}

/// Characters of the previous final kept as context.
const CONTEXT_CHARS: usize = 160;
/// Finals decoded at this temperature or above are not used as context.
const CONTEXT_MAX_TEMPERATURE: f32 = 0.5;

/// The recognizer's prompt: the tenant's phrase hints, then the channel's last words.
fn prompt(hints: Option<&str>, context: &str) -> Option<String> {
    let p = match (hints, context.is_empty()) {
        (Some(h), false) => format!("{h}. {context}"),
        (Some(h), true) => h.to_string(),
        (None, false) => context.to_string(),
        (None, true) => return None,
    };
    Some(p)
}

/// The last `n` characters of `text`.
fn tail_chars(text: &str, n: usize) -> String {
    let count = text.chars().count();
    text.chars().skip(count.saturating_sub(n)).collect()
}

/// Loudness and length of an utterance's 16 kHz audio, for emotion.
fn utterance_audio(samples: &[f32]) -> UtteranceAudio {
    let energy = samples.iter().map(|x| x * x).sum::<f32>() / samples.len().max(1) as f32;
    UtteranceAudio {
        rms_dbfs: 10.0 * energy.max(1e-10).log10(),
        duration_ms: samples.len() as u64 / 16,
    }
}

fn transcript(
    s: &ChannelSettings,
    utt: &Utt,
    out: &AsrOutput,
    is_final: bool,
    stability: f32,
) -> pb::TranscriptEvent {
    let (start_ms, end_ms) = match (out.segments.first(), out.segments.last()) {
        (Some(a), Some(b)) => (
            (utt.start_ms + a.start_ms).min(utt.end_ms),
            (utt.start_ms + b.end_ms).clamp(utt.start_ms, utt.end_ms),
        ),
        _ => (utt.start_ms, utt.end_ms),
    };
    pb::TranscriptEvent {
        role: s.role as i32,
        channel: s.index,
        utterance_id: utt.id.clone(),
        text: out.text.clone(),
        is_final,
        stability,
        start_ms,
        end_ms,
        words: out
            .words
            .iter()
            .map(|w| pb::WordInfo {
                word: w.text.clone(),
                start_ms: (utt.start_ms + w.start_ms).min(utt.end_ms),
                end_ms: (utt.start_ms + w.end_ms).min(utt.end_ms),
                confidence: w.probability,
            })
            .collect(),
        language_code: out.language.clone(),
        confidence: out.avg_logprob.exp(),
    }
}

#[cfg(test)]
mod tests {
    use super::{prompt, tail_chars};

    #[test]
    fn prompt_joins_hints_and_context() {
        assert_eq!(prompt(None, ""), None);
        assert_eq!(prompt(Some("Acme"), "").as_deref(), Some("Acme"));
        assert_eq!(prompt(None, "we met").as_deref(), Some("we met"));
        assert_eq!(
            prompt(Some("Acme, Globex"), "we met").as_deref(),
            Some("Acme, Globex. we met")
        );
        assert_eq!(tail_chars("预算不够用", 3), "不够用");
        assert_eq!(tail_chars("ab", 5), "ab");
    }
}
