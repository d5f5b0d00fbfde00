//! gRPC service implementations: calls, knowledge (admin) and the event stream (CRM).

pub mod call;
pub mod events;
pub mod knowledge;
