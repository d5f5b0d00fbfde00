//! The `callassist` binary rejects bad input before connecting, with a message that says what
//! is wrong (no server is needed for these).

use std::process::Command;

fn callassist(args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_callassist"))
        .args(args)
        // Nothing listens here: a command that got as far as connecting would say so.
        .args(["--server", "http://127.0.0.1:9"])
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_non_wav_file_is_refused_with_its_name() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.wav");
    std::fs::write(&path, "this is a text file, not audio").unwrap();
    let (ok, err) = callassist(&["call", path.to_str().unwrap()]);
    assert!(!ok);
    assert!(
        err.contains("notes.wav") && err.contains("not a WAV file"),
        "{err}"
    );
}

#[test]
fn a_missing_file_and_a_bad_script_are_refused() {
    let (ok, err) = callassist(&["call", "/nonexistent/call.wav"]);
    assert!(!ok);
    assert!(err.contains("/nonexistent/call.wav"), "{err}");

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("script.txt");
    std::fs::write(&path, "AGENT: hello\nMANAGER: hi\n").unwrap();
    let (ok, err) = callassist(&["call", "--text", path.to_str().unwrap()]);
    assert!(!ok);
    assert!(err.contains("line 2"), "{err}");

    let (ok, err) = callassist(&["call"]);
    assert!(!ok);
    assert!(err.contains("WAV file or --text"), "{err}");
}

#[test]
fn an_unreachable_server_is_reported_as_such() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("script.txt");
    std::fs::write(&path, "AGENT: hello\n").unwrap();
    let (ok, err) = callassist(&["call", "--text", path.to_str().unwrap()]);
    assert!(!ok);
    assert!(err.contains("cannot connect"), "{err}");
}

#[test]
fn subscribe_checks_its_flags_before_connecting() {
    let (ok, err) = callassist(&["subscribe", "--tenant", "acme", "--type", "riks"]);
    assert!(!ok);
    assert!(err.contains("riks") && err.contains("transcript"), "{err}");

    let (ok, err) = callassist(&["subscribe", "--type", "risk"]);
    assert!(!ok);
    assert!(err.contains("--tenant"), "{err}");

    let (ok, err) = callassist(&["subscribe", "--tenant", "acme", "--from", "12"]);
    assert!(!ok);
    assert!(err.contains("cannot connect"), "{err}");
}
