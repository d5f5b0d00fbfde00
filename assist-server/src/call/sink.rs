//! The ordered event stream of one call: numbers events (`seq` from 1), stamps the call id and
//! audio position, and notices when the client has gone.

use callassist_proto::v1::{StreamCallResponse, stream_call_response::Event};
use tokio::sync::{Mutex, mpsc};
use tonic::Status;

/// Sender half of a call's response stream.
pub type ResponseTx = mpsc::Sender<Result<StreamCallResponse, Status>>;

/// The client is no longer reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientGone;

/// Serialises events onto the response stream with increasing `seq`.
#[derive(Debug)]
pub struct EventSink {
    call_id: String,
    tx: ResponseTx,
    seq: Mutex<u64>,
}

impl EventSink {
    /// A sink for `call_id` writing to `tx`.
    pub fn new(call_id: String, tx: ResponseTx) -> Self {
        Self {
            call_id,
            tx,
            seq: Mutex::new(0),
        }
    }

    /// The call's id.
    pub fn call_id(&self) -> &str {
        &self.call_id
    }

    /// Sends one event; waits while the client is slow (back-pressure).
    pub async fn emit(&self, audio_ms: u64, event: Event) -> Result<(), ClientGone> {
        let mut seq = self.seq.lock().await;
        *seq += 1;
        let msg = StreamCallResponse {
            call_id: self.call_id.clone(),
            seq: *seq,
            audio_ms,
            event: Some(event),
        };
        self.tx.send(Ok(msg)).await.map_err(|_| ClientGone)
    }

    /// Events sent so far.
    pub async fn count(&self) -> u64 {
        *self.seq.lock().await
    }

    /// Ends the stream with an error status.
    pub async fn fail(&self, status: Status) {
        let _guard = self.seq.lock().await;
        let _ = self.tx.send(Err(status)).await;
    }

    /// Resolves when the client stops reading.
    pub async fn closed(&self) {
        self.tx.closed().await
    }
}
