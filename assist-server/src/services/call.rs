//! `CallAssist.StreamCall`: admits the call (or answers RESOURCE_EXHAUSTED / UNAVAILABLE),
//! spawns its session on a task and returns the bounded response stream.

use std::pin::Pin;

use callassist_proto::v1::call_assist_server::CallAssist;
use callassist_proto::v1::{StreamCallRequest, StreamCallResponse};
use futures::{Stream, StreamExt};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status, Streaming};

use crate::auth::{Principal, Role};
use crate::call::session;
use crate::metrics;
use crate::state::AppState;

/// Events buffered per call before the session waits for the client to read.
const RESPONSE_BUFFER: usize = 64;

/// The call service.
#[derive(Debug, Clone)]
pub struct CallService {
    state: AppState,
}

impl CallService {
    /// A service over `state`.
    pub fn new(state: AppState) -> Self {
        Self { state }
    }
}

type ResponseStream = Pin<Box<dyn Stream<Item = Result<StreamCallResponse, Status>> + Send>>;

#[tonic::async_trait]
impl CallAssist for CallService {
    type StreamCallStream = ResponseStream;

    async fn stream_call(
        &self,
        request: Request<Streaming<StreamCallRequest>>,
    ) -> Result<Response<Self::StreamCallStream>, Status> {
        let principal = Principal::of(&request);
        principal
            .require(&[Role::Agent], "stream calls")
            .inspect_err(|s| metrics::error(s.code()))?;
        let slot = self
            .state
            .admit_call()
            .map_err(Status::from)
            .inspect_err(|s| metrics::error(s.code()))?;
        let inbound = request.into_inner();
        let (tx, rx) = mpsc::channel(RESPONSE_BUFFER);
        tokio::spawn(session::run(
            self.state.clone(),
            slot,
            principal,
            inbound,
            tx,
        ));
        // Every status that ends a call (bad config, limits, failures) passes here.
        let stream = ReceiverStream::new(rx).inspect(|r| {
            if let Err(s) = r {
                metrics::error(s.code());
            }
        });
        Ok(Response::new(Box::pin(stream)))
    }
}
