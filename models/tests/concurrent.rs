//! Many threads ensuring the same asset in a fresh cache: one downloads, the rest wait on
//! the lock and then see the finished asset; a stale staging directory is cleaned up.

use std::fs;
use std::thread;

use callassist_models::{Asset, ModelHome, ensure, is_present, jfk_wav};

#[test]
fn concurrent_ensure_builds_once() {
    let dir = tempfile::tempdir().unwrap();
    let home = ModelHome::new(dir.path());
    // Leftovers of a crashed pull: a staging dir and an unmarked asset dir.
    fs::create_dir_all(dir.path().join(".tmp-audio-jfk-1-0/out")).unwrap();
    fs::create_dir_all(dir.path().join("audio-jfk")).unwrap();
    fs::write(dir.path().join("audio-jfk/jfk.wav"), b"partial").unwrap();
    assert!(!is_present(&home, Asset::JfkWav));

    let paths: Vec<_> = thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|_| s.spawn(|| ensure(&home, Asset::JfkWav).unwrap()))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(paths.iter().all(|p| *p == paths[0]));
    assert!(is_present(&home, Asset::JfkWav));
    let wav = jfk_wav(&home).unwrap();
    assert_eq!(fs::metadata(&wav).unwrap().len(), 352_078);

    let leftovers: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".tmp-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}
