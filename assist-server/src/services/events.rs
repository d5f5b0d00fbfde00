//! `Events.Subscribe`: declared in the v1 API; the durable event log and resumable CRM stream
//! are built by the assist-engine work. Until then it answers UNIMPLEMENTED.

use std::pin::Pin;

use callassist_proto::v1::events_server::Events;
use callassist_proto::v1::{EventEnvelope, SubscribeRequest};
use futures::Stream;
use tonic::{Request, Response, Status};

/// The event-log service (not implemented yet).
#[derive(Debug, Clone, Default)]
pub struct EventsService;

type EnvelopeStream = Pin<Box<dyn Stream<Item = Result<EventEnvelope, Status>> + Send>>;

#[tonic::async_trait]
impl Events for EventsService {
    type SubscribeStream = EnvelopeStream;

    async fn subscribe(
        &self,
        _request: Request<SubscribeRequest>,
    ) -> Result<Response<Self::SubscribeStream>, Status> {
        Err(Status::unimplemented(
            "Events.Subscribe is not available in this build yet: the event log is not implemented",
        ))
    }
}
