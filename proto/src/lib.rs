//! The callassist v1 gRPC API: message types, service stubs (`server`/`client` features) and the
//! encoded file-descriptor set for server reflection. Generated from `callassist/v1/*.proto`.

/// Generated code for package `callassist.v1`.
pub mod v1 {
    #![allow(clippy::all, clippy::pedantic, missing_docs)]
    tonic::include_proto!("callassist.v1");
}

/// Encoded `FileDescriptorSet` of every callassist proto, for `tonic-reflection`.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/callassist_descriptor.bin"));

/// The name of every `StreamCallResponse.event` type, in the order of the oneof: what `--json`
/// output calls `type` and what `Events.Subscribe` filters accept.
pub const EVENT_TYPES: [&str; 10] = [
    "transcript",
    "speech",
    "risk",
    "suggestion",
    "emotion",
    "stage",
    "metrics",
    "summary",
    "end",
    "error",
];
