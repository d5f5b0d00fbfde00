//! The durable event log: every call event, per tenant, with a cursor that only grows, for
//! CRM plugins that subscribe and resume (`Events.Subscribe`).
//!
//! - `log`: the [`EventLog`] handle (append, flush, subscribe).
//! - `writer`: the one thread that writes SQLite, in batched transactions, and publishes
//!   committed events to a broadcast.
//! - `store`: schema, batch insert and paged reads.
//! - `subscribe`: backlog-then-live delivery, exactly once and in order, even when lagging.
//! - `filter`: event type names and the subscription filter.

mod error;
mod filter;
mod log;
mod store;
mod subscribe;
mod writer;

#[cfg(test)]
mod tests;

pub use error::EventLogError;
pub use filter::{EVENT_TYPES, EventFilter, MAX_FILTER_CALL_IDS, event_type_name};
pub use log::{EventLog, EventLogOptions};
