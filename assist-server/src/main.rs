//! `callassist-server`: serve the gRPC API, or pull models. All logic lives in the library.

fn main() -> std::process::ExitCode {
    callassist_server::cli::main()
}
