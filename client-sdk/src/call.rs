//! Streaming a call: builds the `CallConfig` for a WAV file or a text script, sends frames
//! (paced at wall-clock speed with `realtime`, otherwise as fast as the server accepts), then
//! `finalize`, and returns the server's event stream.

use std::time::Duration;

use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::Streaming;

use crate::pb::{self, Role, StreamCallRequest, StreamCallResponse, stream_call_request::Request};
use crate::wav::WavAudio;
use crate::{Client, ClientError};

/// How to run a call.
#[derive(Clone, Debug)]
pub struct CallOptions {
    pub tenant: String,
    /// Empty: the server assigns one.
    pub call_id: String,
    pub agent_id: String,
    pub language_codes: Vec<String>,
    pub interim_results: bool,
    /// Pace frames at wall-clock speed like a softphone.
    pub realtime: bool,
    /// Audio per frame.
    pub frame_ms: u32,
    /// In stereo, which channel is the agent (the other is the customer).
    pub agent_channel: usize,
    /// In mono, who is speaking.
    pub mono_role: Role,
}

impl Default for CallOptions {
    fn default() -> Self {
        Self {
            tenant: "default".into(),
            call_id: String::new(),
            agent_id: String::new(),
            language_codes: Vec::new(),
            interim_results: true,
            realtime: false,
            frame_ms: 20,
            agent_channel: 0,
            mono_role: Role::Customer,
        }
    }
}

/// The config message for streaming `audio`.
pub fn audio_config(audio: &WavAudio, opts: &CallOptions) -> pb::CallConfig {
    let roles = if audio.channels == 1 {
        vec![opts.mono_role as i32]
    } else if opts.agent_channel == 0 {
        vec![Role::Agent as i32, Role::Customer as i32]
    } else {
        vec![Role::Customer as i32, Role::Agent as i32]
    };
    pb::CallConfig {
        call_id: opts.call_id.clone(),
        tenant_id: opts.tenant.clone(),
        agent_id: opts.agent_id.clone(),
        language_codes: opts.language_codes.clone(),
        encoding: audio.encoding as i32,
        sample_rate_hertz: audio.sample_rate,
        audio_channel_count: audio.channels as u32,
        channel_roles: roles,
        interim_results: opts.interim_results,
        labels: Default::default(),
        pack_ids: Vec::new(),
    }
}

/// The server's events for one call. Dropping it stops sending the call's remaining input.
#[derive(Debug)]
pub struct CallEvents {
    inner: Streaming<StreamCallResponse>,
    sender: tokio::task::JoinHandle<()>,
}

impl CallEvents {
    /// The next event; `Ok(None)` when the server closed the stream.
    pub async fn message(&mut self) -> Result<Option<StreamCallResponse>, tonic::Status> {
        self.inner.message().await
    }
}

impl Drop for CallEvents {
    fn drop(&mut self) {
        self.sender.abort();
    }
}

/// Starts a call from an explicit list of requests (sent in order, then the stream closes).
pub async fn stream_requests(
    client: &Client,
    requests: Vec<StreamCallRequest>,
    pace: Option<Duration>,
) -> Result<CallEvents, ClientError> {
    let (tx, rx) = mpsc::channel(16);
    let sender = tokio::spawn(async move {
        let mut tick = pace.map(|p| {
            let mut i = tokio::time::interval(p);
            i.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
            i
        });
        for req in requests {
            let is_audio = matches!(req.request, Some(Request::Audio(_)));
            if let (true, Some(t)) = (is_audio, tick.as_mut()) {
                t.tick().await;
            }
            if tx.send(req).await.is_err() {
                return;
            }
        }
    });
    let resp = client.calls().stream_call(ReceiverStream::new(rx)).await?;
    Ok(CallEvents {
        inner: resp.into_inner(),
        sender,
    })
}

/// Every request of an audio call: config, frames of `frame_ms`, finalize.
pub fn audio_requests(audio: &WavAudio, opts: &CallOptions) -> Vec<StreamCallRequest> {
    let frame_samples = (audio.sample_rate as usize * opts.frame_ms as usize / 1000).max(1);
    let chunk = frame_samples * audio.frame_bytes();
    let mut reqs = vec![StreamCallRequest {
        request: Some(Request::Config(audio_config(audio, opts))),
    }];
    for (i, data) in audio.data.chunks(chunk).enumerate() {
        reqs.push(StreamCallRequest {
            request: Some(Request::Audio(pb::AudioFrame {
                data: data.to_vec(),
                sequence: i as u64 + 1,
            })),
        });
    }
    reqs.push(StreamCallRequest {
        request: Some(Request::Finalize(pb::Finalize {})),
    });
    reqs
}

/// Streams a WAV recording as a call.
pub async fn stream_wav(
    client: &Client,
    audio: &WavAudio,
    opts: &CallOptions,
) -> Result<CallEvents, ClientError> {
    let pace = opts
        .realtime
        .then(|| Duration::from_millis(opts.frame_ms as u64));
    stream_requests(client, audio_requests(audio, opts), pace).await
}

/// Parses a text script: one utterance per line, `AGENT: ...` / `CUSTOMER: ...` (also
/// `坐席:` / `客户:`, either colon); blank lines and `#` comments are skipped.
pub fn parse_script(text: &str) -> Result<Vec<(Role, String)>, String> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((who, said)) = line.split_once([':', '：']) else {
            return Err(format!(
                "line {}: expected `AGENT: ...` or `CUSTOMER: ...`",
                n + 1
            ));
        };
        let role = match who.trim().to_ascii_uppercase().as_str() {
            "AGENT" | "坐席" => Role::Agent,
            "CUSTOMER" | "客户" => Role::Customer,
            other => {
                return Err(format!(
                    "line {}: speaker {other:?} is not AGENT, CUSTOMER, 坐席 or 客户",
                    n + 1
                ));
            }
        };
        let said = said.trim();
        if said.is_empty() {
            return Err(format!("line {}: nothing said after the speaker", n + 1));
        }
        out.push((role, said.to_string()));
    }
    if out.is_empty() {
        return Err("the script has no utterances".into());
    }
    Ok(out)
}

/// Every request of a text call: config (text-only), utterances, finalize.
pub fn text_requests(lines: &[(Role, String)], opts: &CallOptions) -> Vec<StreamCallRequest> {
    let mut reqs = vec![StreamCallRequest {
        request: Some(Request::Config(pb::CallConfig {
            call_id: opts.call_id.clone(),
            tenant_id: opts.tenant.clone(),
            agent_id: opts.agent_id.clone(),
            language_codes: opts.language_codes.clone(),
            ..Default::default()
        })),
    }];
    for (role, text) in lines {
        reqs.push(StreamCallRequest {
            request: Some(Request::Text(pb::TextUtterance {
                role: *role as i32,
                text: text.clone(),
            })),
        });
    }
    reqs.push(StreamCallRequest {
        request: Some(Request::Finalize(pb::Finalize {})),
    });
    reqs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_english_and_chinese_speakers() {
        let s = parse_script("AGENT: Hello\n\n客户：预算不足\n# note\ncustomer: ok").unwrap();
        assert_eq!(s.len(), 3);
        assert_eq!(s[1], (Role::Customer, "预算不足".to_string()));
        assert!(parse_script("BOSS: hi").unwrap_err().contains("line 1"));
    }

    #[test]
    fn frames_cover_all_audio() {
        let audio = WavAudio {
            encoding: pb::AudioEncoding::Mulaw,
            sample_rate: 8000,
            channels: 2,
            data: vec![0xFF; 8000 * 2],
        };
        let reqs = audio_requests(&audio, &CallOptions::default());
        assert_eq!(reqs.len(), 1 + 50 + 1);
    }
}
