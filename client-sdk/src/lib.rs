//! Typed async client for callassist, plus what the `callassist` command line is built from:
//! WAV reading ([`wav`]), streaming a call ([`call`]), following the event log ([`events`])
//! and JSON event output ([`json`]).

pub mod call;
mod error;
pub mod events;
pub mod json;
pub mod packs;
pub mod wav;

pub use callassist_proto::v1 as pb;
pub use error::ClientError;

use callassist_proto::v1::call_assist_client::CallAssistClient;
use tonic::transport::{Channel, Endpoint};

/// A connection to a callassist server.
#[derive(Clone, Debug)]
pub struct Client {
    channel: Channel,
}

impl Client {
    /// Connects to `url` (e.g. `http://127.0.0.1:50051`).
    pub async fn connect(url: &str) -> Result<Self, ClientError> {
        let endpoint = Endpoint::from_shared(url.to_string()).map_err(|e| ClientError::BadUrl {
            url: url.to_string(),
            detail: e.to_string(),
        })?;
        let channel = endpoint.connect().await.map_err(|e| ClientError::Connect {
            url: url.to_string(),
            detail: e.to_string(),
        })?;
        Ok(Self { channel })
    }

    /// The raw generated call client, for callers that build their own request streams.
    pub fn calls(&self) -> CallAssistClient<Channel> {
        CallAssistClient::new(self.channel.clone()).max_decoding_message_size(16 * 1024 * 1024)
    }

    /// The underlying channel (for the knowledge and events clients).
    pub fn channel(&self) -> Channel {
        self.channel.clone()
    }
}
