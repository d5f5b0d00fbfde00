//! Following a tenant's call events from the server's durable event log (`Events.Subscribe`):
//! the backlog after a cursor, then live events, each with the cursor to resume from.

use std::pin::Pin;

use crate::AuthChannel;
use callassist_proto::v1::events_client::EventsClient;
use futures::{Stream, StreamExt};

use crate::{Client, ClientError, pb};

/// Envelopes in cursor order; it ends only when the server ends the subscription (an error
/// item says why: e.g. UNAVAILABLE when the server shuts down).
pub type EventStream = Pin<Box<dyn Stream<Item = Result<pb::EventEnvelope, ClientError>> + Send>>;

impl Client {
    fn events(&self) -> EventsClient<AuthChannel> {
        EventsClient::new(self.channel()).max_decoding_message_size(16 * 1024 * 1024)
    }

    /// Follows `tenant`'s events after `from_cursor` (the `cursor` of the last envelope
    /// processed; None: from the beginning), only of `types` (empty: all).
    pub async fn subscribe(
        &self,
        tenant: &str,
        from_cursor: Option<&str>,
        types: Vec<String>,
    ) -> Result<EventStream, ClientError> {
        self.subscribe_with(pb::SubscribeRequest {
            tenant_id: tenant.to_string(),
            from_cursor: from_cursor.unwrap_or_default().to_string(),
            types,
            call_ids: Vec::new(),
        })
        .await
    }

    /// [`Client::subscribe`] with a full request (to filter by call id as well).
    pub async fn subscribe_with(
        &self,
        request: pb::SubscribeRequest,
    ) -> Result<EventStream, ClientError> {
        let stream = self.events().subscribe(request).await?.into_inner();
        Ok(Box::pin(stream.map(|item| item.map_err(ClientError::from))))
    }
}
