//! Tenant knowledge: pack parsing and validation, chunking, rule compilation, the store and
//! search. Takes `&[f32]` vectors and never depends on the inference crate.
//!
//! Not implemented yet: the knowledge-pack issue fills this crate. Until then the server's
//! `Knowledge` RPCs answer UNIMPLEMENTED rather than made-up data.

/// Document kinds a pack may declare (`../shared/spec/knowledge-pack.md`).
pub const DOCUMENT_KINDS: &[&str] = &["product", "case", "legal", "faq", "competitor", "script"];
