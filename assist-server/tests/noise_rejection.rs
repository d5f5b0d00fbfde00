//! Silence and noise give no text: 60 s of silence and then 60 s of white noise, streamed as an
//! 8 kHz mu-law stereo call (both channels) through the real Whisper tiny.en, must produce no
//! transcript text at all (Whisper's classic "Thank you" / "you" hallucinations on non-speech).

mod common;

use callassist_client::call::{CallOptions, audio_requests};
use callassist_client::wav::WavAudio;
use callassist_proto::v1::stream_call_response::Event;
use common::TestServer;

/// A small deterministic generator (xorshift) for uniform noise in [-1, 1).
fn noise(state: &mut u64) -> f32 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    (*state >> 40) as f32 / (1u64 << 23) as f32 - 1.0
}

fn call(noise_amplitude: f32) -> WavAudio {
    let rate = 8_000;
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let (mut agent, mut customer) = (Vec::new(), Vec::new());
    for i in 0..rate * 120 {
        for channel in [&mut agent, &mut customer] {
            let x = if i < rate * 60 {
                0.0
            } else {
                noise(&mut state) * noise_amplitude
            };
            channel.push(x);
        }
    }
    common::telephony_call(&agent, &customer)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silence_then_white_noise_gives_no_text() {
    let server = TestServer::start(common::tiny_state()).await;
    let client = server.client().await;
    // A loud hiss (about -15 dBFS RMS) and a faint one (about -35 dBFS).
    for amplitude in [0.3f32, 0.03] {
        let reqs = audio_requests(&call(amplitude), &CallOptions::default());
        let events = common::run_requests(&client, reqs).await.unwrap();
        let texts: Vec<String> = events
            .iter()
            .filter_map(|e| match &e.event {
                Some(Event::Transcript(t)) if !t.text.trim().is_empty() => Some(format!(
                    "{}{}: {}",
                    t.utterance_id,
                    if t.is_final { "" } else { "~" },
                    t.text
                )),
                _ => None,
            })
            .collect();
        assert!(
            texts.is_empty(),
            "amplitude {amplitude}: text on noise: {texts:?}"
        );
        assert!(matches!(events.last().unwrap().event, Some(Event::End(_))));
    }
    server.stop().await.unwrap();
}
