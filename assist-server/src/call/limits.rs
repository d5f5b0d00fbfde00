//! Per-call limits enforced by the session loop: the audio frame rate (a sliding 1 s window,
//! `--max-frames-per-sec`) and the idle timeout (`--idle-timeout-secs`). A call over either
//! ends: RESOURCE_EXHAUSTED for the rate, DEADLINE_EXCEEDED for idleness; each message says
//! what was measured and which flag sets the limit.

use std::collections::VecDeque;
use std::time::Duration;

use tokio::time::Instant;
use tonic::{Code, Status};

use crate::config::ServerConfig;
use crate::error::CallError;

const WINDOW: Duration = Duration::from_secs(1);

/// Counts a call's audio frames over the last second.
#[derive(Debug)]
pub struct FrameRate {
    /// Frames allowed in any 1 s window (0: unlimited).
    max: u32,
    /// Arrival times of the frames in the current window, oldest first (at most `max`).
    times: VecDeque<Instant>,
}

impl FrameRate {
    /// A limiter allowing `max` frames per second (0: no limit).
    pub fn new(max: u32) -> Self {
        Self {
            max,
            times: VecDeque::with_capacity(max.min(1024) as usize),
        }
    }

    /// Records a frame arriving at `now`; refuses it when it would be the `max + 1`th frame
    /// within one second.
    pub fn admit(&mut self, now: Instant) -> Result<(), CallError> {
        if self.max == 0 {
            return Ok(());
        }
        while self
            .times
            .front()
            .is_some_and(|t| now.saturating_duration_since(*t) >= WINDOW)
        {
            self.times.pop_front();
        }
        if self.times.len() >= self.max as usize {
            let first = self.times.front().copied().unwrap_or(now);
            let span = now
                .saturating_duration_since(first)
                .as_secs_f64()
                .max(0.001);
            let rate = (self.times.len() + 1) as f64 / span;
            let max = self.max;
            return Err(CallError::Exhausted(format!(
                "audio frames arrive at {rate:.0} per second, over the limit of {max} per \
                 second (--max-frames-per-sec): send frames in real time (20-100 ms of audio \
                 each)"
            )));
        }
        self.times.push_back(now);
        Ok(())
    }
}

/// The status a call gets after `idle` without any request.
pub fn idle_status(idle: Duration) -> Status {
    Status::deadline_exceeded(format!(
        "the call was idle for {} s with no request, the limit (--idle-timeout-secs); \
         keep streaming audio (silence included) or send `finalize` to end a call",
        idle.as_secs()
    ))
}

/// Room a StreamCall message has beyond `--max-frame-bytes` (field tags, the config, text).
pub const MESSAGE_HEADROOM: usize = 64 * 1024;

/// Largest StreamCall message the transport decodes; larger ones fail with OUT_OF_RANGE.
pub fn max_call_message(cfg: &ServerConfig) -> usize {
    cfg.max_frame_bytes
        .max(cfg.max_text_bytes)
        .saturating_add(MESSAGE_HEADROOM)
}

/// When reading the client's stream failed because the transport refused a message, the status
/// to send back: over [`max_call_message`], naming the limit; bytes that do not decode as a
/// `StreamCallRequest` (or a stream cut inside a message), INVALID_ARGUMENT saying so. `None`
/// for any other failure (the client left).
pub fn transport_refusal(status: &Status, cfg: &ServerConfig) -> Option<Status> {
    // tonic's codec reports undecodable bytes as INTERNAL with no source error; an HTTP/2 or
    // connection failure (the client went away) also maps to INTERNAL, but carries its cause.
    let undecodable =
        status.code() == Code::Internal && std::error::Error::source(status).is_none();
    if undecodable {
        return Some(Status::invalid_argument(format!(
            "{}: a StreamCall message is not a valid StreamCallRequest; send messages encoded \
             from callassist/v1/call.proto, each complete",
            status.message()
        )));
    }
    match status.code() {
        Code::OutOfRange | Code::ResourceExhausted => Some(Status::new(
            status.code(),
            format!(
                "{}: a StreamCall message may have at most {} bytes (the larger of \
                 --max-frame-bytes {} and --max-text-bytes {}, plus {} KiB); send 20-100 ms of \
                 audio per frame",
                status.message(),
                max_call_message(cfg),
                cfg.max_frame_bytes,
                cfg.max_text_bytes,
                MESSAGE_HEADROOM / 1024
            ),
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_steady_rate_passes_and_a_burst_over_it_is_refused() {
        let t0 = Instant::now();
        let mut r = FrameRate::new(10);
        // 10 frames/s for 3 s: fine.
        for i in 0..30 {
            r.admit(t0 + Duration::from_millis(100 * i)).unwrap();
        }
        // 10 more at once is the 11th within a second.
        let now = t0 + Duration::from_millis(3000);
        let mut err = None;
        for _ in 0..10 {
            if let Err(e) = r.admit(now) {
                err = Some(e);
                break;
            }
        }
        let msg = err.expect("burst refused").to_string();
        assert!(msg.contains("limit of 10 per second"), "{msg}");
        assert!(FrameRate::new(0).admit(now).is_ok());
    }

    #[test]
    fn an_undecodable_message_is_invalid_argument_and_a_lost_client_is_not() {
        // Found by the `stream_call` fuzz target: a message that failed to decode ended the
        // call as if the client had left, with OK and without `end`.
        let cfg = ServerConfig::default();
        let decode = Status::internal("failed to decode Protobuf message: invalid wire type");
        let answer = transport_refusal(&decode, &cfg).expect("answered");
        assert_eq!(answer.code(), Code::InvalidArgument);
        assert!(
            answer.message().contains("not a valid StreamCallRequest"),
            "{answer:?}"
        );
        let mut gone = Status::internal("h2 protocol error: connection reset");
        gone.set_source(std::sync::Arc::new(std::io::Error::other("reset")));
        assert!(transport_refusal(&gone, &cfg).is_none());
        assert!(transport_refusal(&Status::cancelled("client cancelled"), &cfg).is_none());
    }
}
