//! The per-call assist engine: phrase rules, objections and suggestions, emotion, deal stage
//! and process metrics, fed by final and partial transcripts.

pub mod compose;
pub mod emotion;
pub mod engine;
pub mod guard;
pub mod metrics;
pub mod required;
pub mod semantic;
pub mod stage;
pub mod strategy;
pub mod suggest;
pub mod tenant;
