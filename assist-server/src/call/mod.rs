//! One live call: validation of its config ([`spec`]), the ordered event stream back to the
//! client ([`sink`]), per-channel audio pipelines ([`channel`]), per-call limits
//! ([`limits`]) and the session loop ([`session`]) that ties them together.

mod agreement;
pub mod channel;
pub mod limits;
pub mod session;
pub mod sink;
pub mod spec;
