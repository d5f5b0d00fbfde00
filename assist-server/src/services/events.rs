//! `Events.Subscribe`: the CRM stream. Validates the request, then forwards the event log's
//! backlog-then-live stream for one tenant through a bounded channel; the work stops when the
//! client leaves, and the stream ends with UNAVAILABLE when the server shuts down (the client
//! resumes from its last cursor). Without an event log it answers UNIMPLEMENTED.
//! `Events.GetAdoption`: the AI adoption index per agent of a tenant.

use std::pin::Pin;

use callassist_proto::v1::events_server::Events;
use callassist_proto::v1::{EventEnvelope, SubscribeRequest};
use futures::{Stream, StreamExt};
use tokio::sync::{mpsc, watch};
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status};

use crate::adoption::{AdoptionStore, AgentAdoption};
use crate::auth::{Principal, Role};
use crate::eventlog::{EventFilter, EventLog, EventLogError};
use callassist_proto::v1 as pb;

/// Envelopes buffered per subscriber ahead of the client.
const CLIENT_BUFFER: usize = 64;

/// The event-log service.
#[derive(Debug, Clone, Default)]
pub struct EventsService {
    log: Option<EventLog>,
    shutdown: Option<watch::Receiver<bool>>,
    adoption: Option<AdoptionStore>,
}

impl EventsService {
    /// A service over `log` (None: no event log; Subscribe answers UNIMPLEMENTED).
    pub fn new(log: Option<EventLog>) -> Self {
        Self {
            log,
            shutdown: None,
            adoption: None,
        }
    }

    /// Serves `GetAdoption` from `store`.
    pub fn with_adoption(mut self, store: Option<AdoptionStore>) -> Self {
        self.adoption = store;
        self
    }

    /// Ends live subscriptions (UNAVAILABLE) once `shutdown` becomes true.
    pub fn with_shutdown(mut self, shutdown: watch::Receiver<bool>) -> Self {
        self.shutdown = Some(shutdown);
        self
    }
}

impl From<EventLogError> for Status {
    fn from(e: EventLogError) -> Self {
        match &e {
            EventLogError::UnknownType { .. }
            | EventLogError::InvalidFilter(_)
            | EventLogError::EmptyEvent { .. } => Status::invalid_argument(e.to_string()),
            EventLogError::Closed => Status::unavailable(e.to_string()),
            _ => Status::internal(e.to_string()),
        }
    }
}

fn adoption_pb(a: &AgentAdoption) -> pb::AgentAdoption {
    pb::AgentAdoption {
        agent_id: a.agent.clone(),
        issued: a.issued,
        shown: a.shown,
        accepted: a.accepted,
        dismissed: a.dismissed,
        adoption_index: a.index(),
    }
}

fn tenant(t: &str) -> Result<&str, Status> {
    if t.is_empty() {
        return Err(Status::invalid_argument(
            "tenant_id is required: the tenant whose call events to stream",
        ));
    }
    super::knowledge::tenant(t)
}

/// `""` is "from the beginning"; anything else must be a cursor this server sent.
fn from_cursor(c: &str) -> Result<Option<u64>, Status> {
    if c.is_empty() {
        return Ok(None);
    }
    let parsed = c
        .bytes()
        .all(|b| b.is_ascii_digit())
        .then(|| c.parse::<u64>().ok())
        .flatten();
    parsed.map(Some).ok_or_else(|| {
        Status::invalid_argument(format!(
            "from_cursor {c:?} is not a cursor: send the `cursor` (a non-negative decimal \
             integer) of the last EventEnvelope you received, or leave it empty to start from \
             the beginning"
        ))
    })
}

/// Resolves once shutdown begins; never without a shutdown signal.
async fn until_shutdown(shutdown: Option<watch::Receiver<bool>>) {
    if let Some(mut rx) = shutdown
        && rx.wait_for(|down| *down).await.is_ok()
    {
        return;
    }
    std::future::pending::<()>().await
}

type EnvelopeStream = Pin<Box<dyn Stream<Item = Result<EventEnvelope, Status>> + Send>>;

#[tonic::async_trait]
impl Events for EventsService {
    type SubscribeStream = EnvelopeStream;

    async fn get_adoption(
        &self,
        request: Request<pb::AdoptionRequest>,
    ) -> Result<Response<pb::AdoptionReport>, Status> {
        let who = Principal::of(&request);
        who.require(&[Role::Admin, Role::Crm], "read adoption figures")?;
        let req = request.into_inner();
        let tenant = tenant(&who.tenant_for(&req.tenant_id)?)?.to_string();
        let Some(store) = &self.adoption else {
            return Err(Status::unimplemented(
                "this server keeps no adoption data (started without a data directory)",
            ));
        };
        let agents = store
            .report(&tenant, &req.agent_id)
            .await
            .map_err(|e| Status::internal(e.to_string()))?;
        let mut total = AgentAdoption {
            agent: "*".into(),
            ..Default::default()
        };
        for a in &agents {
            total.issued += a.issued;
            total.shown += a.shown;
            total.accepted += a.accepted;
            total.dismissed += a.dismissed;
        }
        Ok(Response::new(pb::AdoptionReport {
            tenant_id: tenant,
            agents: agents.iter().map(adoption_pb).collect(),
            total: Some(adoption_pb(&total)),
        }))
    }

    async fn subscribe(
        &self,
        request: Request<SubscribeRequest>,
    ) -> Result<Response<Self::SubscribeStream>, Status> {
        let log = self.log.as_ref().ok_or_else(|| {
            Status::unimplemented(
                "the event log is not enabled on this server, so there are no events to stream",
            )
        })?;
        let who = Principal::of(&request);
        who.require(&[Role::Crm, Role::Admin], "subscribe to call events")?;
        let req = request.into_inner();
        let tenant = tenant(&who.tenant_for(&req.tenant_id)?)?.to_string();
        let from = from_cursor(&req.from_cursor)?;
        let filter = EventFilter {
            types: req.types,
            call_ids: req.call_ids,
        };
        filter.validate()?;

        tracing::info!(%tenant, ?from, types = ?filter.types, calls = filter.call_ids.len(), "event subscriber joined");
        let mut events = Box::pin(log.subscribe(&tenant, from, filter));
        let (tx, rx) = mpsc::channel(CLIENT_BUFFER);
        let shutdown = until_shutdown(self.shutdown.clone());
        tokio::spawn(async move {
            tokio::pin!(shutdown);
            loop {
                let item = tokio::select! {
                    item = events.next() => item,
                    () = tx.closed() => break,
                    () = &mut shutdown => {
                        let _ = tx.send(Err(Status::unavailable(
                            "the server is shutting down: resubscribe with from_cursor set to the last cursor you received",
                        ))).await;
                        break;
                    }
                };
                let sent = match item {
                    None => break,
                    Some(Ok(env)) => tx.send(Ok(env)).await,
                    Some(Err(e)) => {
                        tracing::warn!(error = %e, "event subscription failed");
                        let _ = tx.send(Err(e.into())).await;
                        break;
                    }
                };
                if sent.is_err() {
                    break;
                }
            }
            tracing::info!(%tenant, "event subscriber left");
        });
        Ok(Response::new(Box::pin(ReceiverStream::new(rx))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_and_tenants_are_checked() {
        assert_eq!(from_cursor("").unwrap(), None);
        assert_eq!(from_cursor("42").unwrap(), Some(42));
        for bad in ["-1", "+1", "abc", " 1", "1.5", "99999999999999999999999"] {
            let e = from_cursor(bad).unwrap_err();
            assert_eq!(e.code(), tonic::Code::InvalidArgument);
            assert!(e.message().contains(bad), "{}", e.message());
        }
        assert!(tenant("").is_err());
        assert!(tenant("a b").is_err());
        assert_eq!(tenant("acme").unwrap(), "acme");
    }
}
