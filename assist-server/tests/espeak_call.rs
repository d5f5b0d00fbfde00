//! An English sales call synthesised with espeak-ng (agent and customer voices), mixed into a
//! stereo 8 kHz mu-law WAV with one party per channel, streamed through the real
//! `callassist call --json` CLI to a server running Whisper tiny.en and the built-in B2B SaaS
//! pack (real e5 knowledge base): the expected risk and stage events must come out.
//!
//! Needs `espeak-ng` (installed by `scripts/test.sh`) and the `callassist` binary that
//! `cargo test --workspace` builds beside the test binaries.

mod common;

use std::process::Command;

use callassist_client::wav::WavAudio;
use callassist_proto::v1::AudioEncoding;
use common::TestServer;

/// (agent?, words): short, plain sentences that carry the rule phrases and stage signals.
const SCRIPT: [(bool, &str); 6] = [
    (
        true,
        "Thanks for making time today. This call is being recorded.",
    ),
    (
        true,
        "How many people sell on your team? And what are you using today?",
    ),
    (false, "Honestly, your product is too expensive for us."),
    (true, "I understand. We guarantee a good result."),
    (false, "Okay. Can we start with a free trial?"),
    (true, "Yes, let me share my screen."),
];

fn speak(text: &str, voice: &str, dir: &std::path::Path, n: usize) -> Vec<f32> {
    let path = dir.join(format!("line{n}.wav"));
    let status = Command::new("espeak-ng")
        .args(["-v", voice, "-s", "130", "-w"])
        .arg(&path)
        .arg(text)
        .status()
        .expect("espeak-ng is installed (scripts/test.sh installs it)");
    assert!(status.success(), "espeak-ng failed on {text:?}");
    let wav = WavAudio::read(&path).unwrap();
    assert_eq!((wav.channels, wav.encoding), (1, AudioEncoding::Linear16));
    common::resample(
        &common::pcm16_samples(&wav),
        wav.sample_rate as usize,
        8_000,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn synthesised_stereo_call_yields_risk_and_stage_events() {
    let dir = tempfile::tempdir().unwrap();
    // The two channels: each line on its speaker's channel, silence on the other.
    let (mut agent, mut customer) = (Vec::new(), Vec::new());
    for (n, (is_agent, text)) in SCRIPT.iter().enumerate() {
        let voice = if *is_agent { "en-us" } else { "en-us+f3" };
        let speech = speak(text, voice, dir.path(), n);
        let pause = vec![0.0f32; 8_000 * 9 / 10];
        let (talk, quiet) = if *is_agent {
            (&mut agent, &mut customer)
        } else {
            (&mut customer, &mut agent)
        };
        quiet.extend(std::iter::repeat_n(0.0, speech.len()));
        talk.extend(speech);
        talk.extend_from_slice(&pause);
        quiet.extend_from_slice(&pause);
    }
    let wav = common::telephony_call(&agent, &customer);
    let wav_path = dir.path().join("call.wav");
    std::fs::write(&wav_path, wav.to_wav_bytes()).unwrap();

    let kb = common::e5_knowledge(&dir.path().join("kb"));
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../knowledge/packs");
    let pack = callassist_client::packs::archive_bytes(&root.join("b2b-saas"))
        .unwrap()
        .0;
    kb.upload("acme", pack).await.unwrap();
    let server = TestServer::start(common::tiny_state().with_knowledge(kb)).await;

    // The CLI built by `cargo test --workspace`, beside this test's `deps/` directory.
    let exe = std::env::current_exe().unwrap();
    let cli = exe.parent().unwrap().parent().unwrap().join("callassist");
    assert!(
        cli.exists(),
        "{} is missing: run the tests with `cargo test --release --workspace`",
        cli.display()
    );
    let url = server.url.clone();
    let out = tokio::task::spawn_blocking(move || {
        Command::new(cli)
            .args(["--server", &url, "call"])
            .arg(&wav_path)
            .args(["--tenant", "acme", "--json"])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "callassist call failed: {}\n{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    let events: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let of =
        |t: &str| -> Vec<&serde_json::Value> { events.iter().filter(|e| e["type"] == t).collect() };
    for t in of("transcript") {
        println!("{} {} {}", t["role"], t["is_final"], t["text"]);
    }
    let risks: Vec<(String, String)> = of("risk")
        .iter()
        .map(|r| {
            (
                r["rule_id"].as_str().unwrap().to_string(),
                r["role"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let stages: Vec<&str> = of("stage")
        .iter()
        .map(|s| s["stage_id"].as_str().unwrap())
        .collect();
    println!("risks {risks:?}\nstages {stages:?}");
    for want in [
        ("objection-budget", "customer"),
        ("no-results-guarantee", "agent"),
        ("data-processing-disclosure", "agent"),
    ] {
        assert!(
            risks.contains(&(want.0.to_string(), want.1.to_string())),
            "no {want:?} in {risks:?}"
        );
    }
    // Forward through the pipeline only; one remark never moves the stage back. The file is
    // streamed faster than real time, so the agent's discovery line may be recognised after the
    // customer's pilot line (finals of the two channels race for the recognizer); then the
    // stage skips discovery, which is right for that order of evidence.
    assert_eq!(stages.first(), Some(&"opening"), "{stages:?}");
    assert_eq!(stages.last(), Some(&"pilot"), "{stages:?}");
    assert!(
        stages == ["opening", "discovery", "pilot"] || stages == ["opening", "pilot"],
        "{stages:?}"
    );
    assert_eq!(events.last().unwrap()["type"], "end");
    server.stop().await.unwrap();
}
