//! `--name value` flags for the bench binaries (shared by `asr-rtf` and `knowledge-bench`).

/// The value after `--name` on the command line, if given.
pub fn flag(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}
