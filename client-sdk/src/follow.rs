//! A subscription that survives server restarts: [`Client::follow`] re-subscribes after the
//! cursor of the last envelope it delivered whenever the connection drops, so a CRM plugin
//! sees every logged event exactly once, in cursor order, across a crash or redeploy.

use std::time::Duration;

use futures::{Stream, StreamExt};
use tonic::Code;

use crate::events::EventStream;
use crate::{Client, ClientError, pb};

/// How [`Client::follow`] waits between reconnection attempts (doubling from `initial` up to
/// `max`, back to `initial` once an attempt succeeds).
#[derive(Clone, Copy, Debug)]
pub struct Backoff {
    pub initial: Duration,
    pub max: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            initial: Duration::from_millis(200),
            max: Duration::from_secs(5),
        }
    }
}

/// What a followed subscription yields.
#[derive(Debug)]
pub enum Followed {
    /// The next logged event (boxed: it is far larger than the other variants).
    Event(Box<pb::EventEnvelope>),
    /// The connection dropped (`reason`); the next attempt starts after `retry_in`.
    Disconnected { reason: String, retry_in: Duration },
    /// Subscribed again, after `from_cursor` (None: from the beginning of the log).
    Resumed { from_cursor: Option<String> },
}

/// Whether an error means "try again later" rather than "this request is wrong".
fn retryable(e: &ClientError) -> bool {
    match e {
        ClientError::Status { code, .. } => matches!(
            code,
            Code::Unavailable
                | Code::Unknown
                | Code::Internal
                | Code::Aborted
                | Code::Cancelled
                | Code::DeadlineExceeded
                | Code::ResourceExhausted
        ),
        ClientError::Connect { .. } => true,
        _ => false,
    }
}

struct State {
    client: Client,
    request: pb::SubscribeRequest,
    backoff: Backoff,
    delay: Duration,
    stream: Option<EventStream>,
    connected_once: bool,
    /// Wait before the next attempt (set when a disconnection was yielded).
    pause: Option<Duration>,
}

impl State {
    fn cursor(&self) -> Option<String> {
        let c = &self.request.from_cursor;
        (!c.is_empty()).then(|| c.clone())
    }

    fn disconnected(&mut self, reason: String) -> Followed {
        self.stream = None;
        let retry_in = self.delay;
        self.delay = (self.delay * 2).min(self.backoff.max);
        self.pause = Some(retry_in);
        Followed::Disconnected { reason, retry_in }
    }

    /// One step: the next item to yield, or a terminal error.
    async fn step(&mut self) -> Result<Followed, ClientError> {
        if let Some(pause) = self.pause.take() {
            tokio::time::sleep(pause).await;
        }
        loop {
            let Some(stream) = self.stream.as_mut() else {
                match self.client.subscribe_with(self.request.clone()).await {
                    Ok(s) => {
                        self.stream = Some(s);
                        self.delay = self.backoff.initial;
                        if std::mem::replace(&mut self.connected_once, true) {
                            return Ok(Followed::Resumed {
                                from_cursor: self.cursor(),
                            });
                        }
                        continue;
                    }
                    Err(e) if retryable(&e) => return Ok(self.disconnected(e.to_string())),
                    Err(e) => return Err(e),
                }
            };
            return match stream.next().await {
                Some(Ok(env)) => {
                    self.request.from_cursor = env.cursor.clone();
                    Ok(Followed::Event(Box::new(env)))
                }
                Some(Err(e)) if retryable(&e) => Ok(self.disconnected(e.to_string())),
                Some(Err(e)) => Err(e),
                None => Ok(self.disconnected("the server ended the subscription".into())),
            };
        }
    }
}

impl Client {
    /// Follows `request`'s events like [`Client::subscribe_with`], reconnecting after
    /// transient failures (server restart, network loss, overload) from the cursor of the last
    /// envelope yielded, waiting per `backoff` between attempts. Ends only with an error the
    /// server gives for the request itself (bad cursor, wrong tenant, bad key), after which
    /// nothing more is yielded. Every logged event after the starting cursor is yielded once.
    pub fn follow(
        &self,
        request: pb::SubscribeRequest,
        backoff: Backoff,
    ) -> impl Stream<Item = Result<Followed, ClientError>> + Send + 'static {
        let state = State {
            client: self.clone(),
            request,
            backoff,
            delay: backoff.initial,
            stream: None,
            connected_once: false,
            pause: None,
        };
        futures::stream::unfold(Some(state), |state| async move {
            let mut state = state?;
            match state.step().await {
                Ok(item) => Some((Ok(item), Some(state))),
                Err(e) => Some((Err(e), None)),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transient_errors_are_retried_and_request_errors_are_not() {
        let st = |code| ClientError::Status {
            code,
            message: "x".into(),
        };
        assert!(retryable(&st(Code::Unavailable)));
        assert!(retryable(&st(Code::Unknown)));
        assert!(!retryable(&st(Code::InvalidArgument)));
        assert!(!retryable(&st(Code::PermissionDenied)));
        assert!(!retryable(&st(Code::Unauthenticated)));
    }
}
