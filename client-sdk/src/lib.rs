//! Typed async client for callassist, plus what the `callassist` command line is built from:
//! WAV reading ([`wav`]), streaming a call ([`call`]), following the event log ([`events`])
//! and JSON event output ([`json`]).

pub mod call;
mod error;
pub mod events;
pub mod follow;
pub mod json;
pub mod packs;
mod tls;
pub mod wav;

pub use callassist_proto::v1 as pb;
pub use error::ClientError;
pub use tls::TlsOptions;

use callassist_proto::v1::call_assist_client::CallAssistClient;
use tonic::metadata::{Ascii, MetadataValue};
use tonic::service::Interceptor;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::{Channel, Endpoint};

/// Adds the API key (`authorization: Bearer KEY`) to every request, when there is one.
#[derive(Clone, Debug, Default)]
pub struct ApiKey(Option<MetadataValue<Ascii>>);

impl Interceptor for ApiKey {
    fn call(&mut self, mut req: tonic::Request<()>) -> Result<tonic::Request<()>, tonic::Status> {
        if let Some(v) = &self.0 {
            req.metadata_mut().insert("authorization", v.clone());
        }
        Ok(req)
    }
}

/// The connection with the API key attached, for any generated client.
pub type AuthChannel = InterceptedService<Channel, ApiKey>;

/// A connection to a callassist server.
#[derive(Clone, Debug)]
pub struct Client {
    channel: Channel,
    key: ApiKey,
}

impl Client {
    /// Connects to `url` (e.g. `http://127.0.0.1:50051`).
    pub async fn connect(url: &str) -> Result<Self, ClientError> {
        Self::connect_with_key(url, None).await
    }

    /// Connects to `url`, sending `api_key` with every request.
    pub async fn connect_with_key(url: &str, api_key: Option<&str>) -> Result<Self, ClientError> {
        Self::connect_with_tls(url, api_key, &TlsOptions::default()).await
    }

    /// Connects to `url` (`https://` for TLS, checked as `tls` says), sending `api_key` with
    /// every request.
    pub async fn connect_with_tls(
        url: &str,
        api_key: Option<&str>,
        tls: &TlsOptions,
    ) -> Result<Self, ClientError> {
        let key = match api_key {
            None => ApiKey::default(),
            Some(k) => ApiKey(Some(format!("Bearer {k}").parse().map_err(|_| {
                ClientError::BadUrl {
                    url: url.to_string(),
                    detail: "the API key has characters that cannot go in a header".into(),
                }
            })?)),
        };
        let endpoint = Endpoint::from_shared(url.to_string()).map_err(|e| ClientError::BadUrl {
            url: url.to_string(),
            detail: e.to_string(),
        })?;
        let endpoint = tls::configure(endpoint, url, tls)?;
        let channel = endpoint
            .connect()
            .await
            .map_err(|e| tls::connect_error(url, &e, tls))?;
        Ok(Self { channel, key })
    }

    /// The raw generated call client, for callers that build their own request streams.
    pub fn calls(&self) -> CallAssistClient<AuthChannel> {
        CallAssistClient::new(self.channel()).max_decoding_message_size(16 * 1024 * 1024)
    }

    /// The connection with the API key attached (for the knowledge and events clients).
    pub fn channel(&self) -> AuthChannel {
        InterceptedService::new(self.channel.clone(), self.key.clone())
    }
}
