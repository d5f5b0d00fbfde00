//! Compiles `callassist/v1/*.proto` with protox (pure Rust, no `protoc` needed) and writes the
//! file-descriptor set next to the generated code for gRPC reflection.

use std::path::PathBuf;

const PROTOS: &[&str] = &[
    "callassist/v1/common.proto",
    "callassist/v1/call.proto",
    "callassist/v1/knowledge.proto",
    "callassist/v1/events.proto",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    for p in PROTOS {
        println!("cargo:rerun-if-changed={p}");
    }
    let out = PathBuf::from(std::env::var("OUT_DIR")?);
    let fds = protox::compile(PROTOS, ["."])?;
    std::fs::write(
        out.join("callassist_descriptor.bin"),
        prost::Message::encode_to_vec(&fds),
    )?;
    tonic_prost_build::configure()
        .build_server(std::env::var_os("CARGO_FEATURE_SERVER").is_some())
        .build_client(std::env::var_os("CARGO_FEATURE_CLIENT").is_some())
        .compile_fds(fds)?;
    Ok(())
}
