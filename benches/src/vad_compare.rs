//! VAD engines compared through the same endpointer (start hangover, pre-roll, 600 ms end
//! silence, post-roll): our energy + spectral-flatness engine, the earshot crate's neural
//! detector, WebRTC's GMM VAD (libfvad via `webrtc-vad`, modes 0 and 3), and a hybrid
//! `earshot+flat` (earshot's speech AND spectral flatness under 0.45, as the energy engine
//! requires), the last three fed through `Endpointer::push_decided`.
//!
//! The labelled signal: jfk.wav, the five LibriVox clips and the Mandarin F5 clip, separated by
//! seeded gaps of 1.5-3 s. Conditions: gaps of digital silence, low hiss, loud white noise,
//! 50 Hz hum with harmonics, pink and brown noise (speech clean), and continuous white noise
//! under everything at 20/10/5 dB SNR; each also through an 8 kHz mu-law phone line. A clip's
//! span is its speech: from its first to its last 20 ms frame within 35 dB of its loudest.
//!
//! Per engine and condition: false starts (SpeechStart outside every clip span, 200 ms slack
//! before a clip), missed clips (no utterance overlaps the clip), splits (clips overlapped by
//! more than one utterance), median start latency (first SpeechStart's speech start minus the
//! clip start, and when the event fired), median end latency (when the SpeechEnd of the clip's
//! last utterance fired, minus the clip end), frame accuracy of utterance spans against clip
//! spans, and CPU time (this thread's, from /proc/thread-self/schedstat) per second of audio.
//!
//! Usage: `cargo run --release -p callassist-benches --bin vad-compare [-- --seed 7] [--show]`
//! (`--show` prints where each false start fell on stderr).

mod flags;

use anyhow::{Context, bail};
use callassist_client::pb::AudioEncoding;
use callassist_client::wav::WavAudio;
use callassist_inference::audio::StreamResampler;
use callassist_inference::vad::{Endpointer, VadConfig, VadEngine, VadEvent};
use callassist_models::ModelHome;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const SR: usize = 16_000;
const FRAME: usize = 320;

/// A 16 kHz mono clip (samples in -1..1).
fn load_wav(path: &std::path::Path) -> anyhow::Result<Vec<f32>> {
    let wav = WavAudio::read(path).with_context(|| path.display().to_string())?;
    if wav.encoding != AudioEncoding::Linear16 || wav.channels != 1 {
        bail!("{}: expected mono PCM16", path.display());
    }
    let x: Vec<f32> = wav
        .data
        .chunks_exact(2)
        .map(|b| i16::from_le_bytes([b[0], b[1]]) as f32 / 32768.0)
        .collect();
    if wav.sample_rate == SR as u32 {
        return Ok(x);
    }
    let mut r = StreamResampler::new(wav.sample_rate)?;
    let mut out = Vec::new();
    r.push(&x, &mut out);
    r.flush(&mut out);
    Ok(out)
}

fn frame_db(f: &[f32]) -> f32 {
    10.0 * (f.iter().map(|s| s * s).sum::<f32>() / f.len() as f32 + 1e-12).log10()
}

/// Sample range of the speech inside `clip`: first to last frame within 35 dB of the loudest.
fn speech_span(clip: &[f32]) -> (usize, usize) {
    let dbs: Vec<f32> = clip.chunks(FRAME).map(frame_db).collect();
    let peak = dbs.iter().copied().fold(f32::MIN, f32::max);
    let first = dbs.iter().position(|d| *d > peak - 35.0).unwrap_or(0);
    let last = dbs.iter().rposition(|d| *d > peak - 35.0).unwrap_or(0);
    (first * FRAME, ((last + 1) * FRAME).min(clip.len()))
}

/// What fills the gaps (and, for `Snr`, lies under everything).
#[derive(Clone, Copy)]
enum Background {
    Silence,
    Hiss,
    LoudWhite,
    Hum,
    Pink,
    Brown,
    Snr(f32),
}

impl Background {
    fn name(self) -> String {
        match self {
            Self::Silence => "silence".into(),
            Self::Hiss => "hiss -60dB".into(),
            Self::LoudWhite => "white -15dB".into(),
            Self::Hum => "hum 50Hz -25dB".into(),
            Self::Pink => "pink -30dB".into(),
            Self::Brown => "brown -30dB".into(),
            Self::Snr(db) => format!("white SNR {db}dB"),
        }
    }
}

fn scale_to(x: &mut [f32], rms_db: f32) {
    let now = frame_db(x);
    let g = 10f32.powf((rms_db - now) / 20.0);
    x.iter_mut().for_each(|s| *s *= g);
}

fn white(rng: &mut ChaCha8Rng, n: usize) -> Vec<f32> {
    (0..n).map(|_| rng.random_range(-1.0f32..1.0)).collect()
}

/// `n` samples of `kind` noise at `rms_db` dBFS.
fn noise(kind: Background, rng: &mut ChaCha8Rng, n: usize, rms_db: f32) -> Vec<f32> {
    let mut x = match kind {
        Background::Silence => return vec![0.0; n],
        Background::Pink => {
            // Paul Kellet's economy pink filter.
            let (mut b0, mut b1, mut b2) = (0.0f32, 0.0f32, 0.0f32);
            white(rng, n)
                .into_iter()
                .map(|w| {
                    b0 = 0.99765 * b0 + w * 0.0990460;
                    b1 = 0.96300 * b1 + w * 0.2965164;
                    b2 = 0.57000 * b2 + w * 1.0526913;
                    b0 + b1 + b2 + w * 0.1848
                })
                .collect()
        }
        Background::Brown => {
            let mut acc = 0.0f32;
            white(rng, n)
                .into_iter()
                .map(|w| {
                    acc = 0.998 * acc + 0.05 * w;
                    acc
                })
                .collect()
        }
        Background::Hum => (0..n)
            .map(|i| {
                let t = i as f32 / SR as f32;
                (1..=6)
                    .map(|h| (2.0 * std::f32::consts::PI * 50.0 * h as f32 * t).sin() / h as f32)
                    .sum()
            })
            .collect(),
        _ => white(rng, n),
    };
    scale_to(&mut x, rms_db);
    x
}

/// The labelled signal: audio and clip spans (sample ranges of speech).
fn build(clips: &[Vec<f32>], bg: Background, seed: u64) -> (Vec<f32>, Vec<(usize, usize)>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let gap_db = match bg {
        Background::Hiss => -60.0,
        Background::LoudWhite => -15.0,
        Background::Hum => -25.0,
        _ => -30.0,
    };
    let mut out = Vec::new();
    let mut spans = Vec::new();
    let gap = |out: &mut Vec<f32>, rng: &mut ChaCha8Rng| {
        let n = rng.random_range(SR * 3 / 2..=SR * 3) / FRAME * FRAME;
        let fill = match bg {
            Background::Snr(_) => vec![0.0; n],
            kind => noise(kind, rng, n, gap_db),
        };
        out.extend(fill);
    };
    gap(&mut out, &mut rng);
    for clip in clips {
        let (a, b) = speech_span(clip);
        spans.push((out.len() + a, out.len() + b));
        out.extend_from_slice(clip);
        gap(&mut out, &mut rng);
    }
    out.truncate(out.len() / FRAME * FRAME);
    if let Background::Snr(snr) = bg {
        let speech: Vec<f32> = spans
            .iter()
            .flat_map(|&(a, b)| out[a..b].to_vec())
            .collect();
        let level = frame_db(&speech) - snr;
        let n = noise(Background::LoudWhite, &mut rng, out.len(), level);
        out.iter_mut().zip(n).for_each(|(s, w)| *s += w);
    }
    (out, spans)
}

#[derive(Clone, Copy)]
enum Engine {
    Energy,
    Earshot,
    WebRtc(u8),
    EarshotFlat,
}

impl Engine {
    fn name(self) -> String {
        match self {
            Self::Energy => "energy".into(),
            Self::Earshot => "earshot".into(),
            Self::WebRtc(m) => format!("webrtc-{m}"),
            Self::EarshotFlat => "earshot+flat".into(),
        }
    }
}

/// CPU time of this thread so far, in seconds.
fn thread_cpu_s() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(0.0, |ns| ns / 1e9)
}

/// One utterance: speech start, span (with rolls), and when its events fired (sample index).
struct Utt {
    speech_start: usize,
    start_fired: usize,
    span: (usize, usize),
    end_fired: usize,
}

/// Runs `engine` over `x`; returns the utterances and the CPU seconds spent.
fn run(engine: Engine, x: &[f32]) -> anyhow::Result<(Vec<Utt>, f64)> {
    let cfg = VadConfig {
        engine: match engine {
            Engine::Earshot => VadEngine::Earshot,
            Engine::EarshotFlat => VadEngine::EarshotFlat,
            _ => VadEngine::Energy,
        },
        ..VadConfig::default()
    };
    let mut ep = Endpointer::new(cfg);
    let mut webrtc = match engine {
        Engine::WebRtc(m) => Some(webrtc_vad::Vad::new_with_rate_and_mode(
            webrtc_vad::SampleRate::Rate16kHz,
            match m {
                0 => webrtc_vad::VadMode::Quality,
                1 => webrtc_vad::VadMode::LowBitrate,
                2 => webrtc_vad::VadMode::Aggressive,
                _ => webrtc_vad::VadMode::VeryAggressive,
            },
        )),
        _ => None,
    };
    let mut events = Vec::new();
    let mut timed = Vec::new();
    let mut pcm = [0i16; FRAME];
    let t0 = thread_cpu_s();
    for (i, frame) in x.chunks_exact(FRAME).enumerate() {
        if webrtc.is_some() {
            for (d, s) in pcm.iter_mut().zip(frame) {
                *d = (s.clamp(-1.0, 1.0) * 32767.0) as i16;
            }
        }
        match webrtc.as_mut() {
            Some(v) => {
                let speech = v
                    .is_voice_segment(&pcm)
                    .map_err(|()| anyhow::anyhow!("webrtc-vad refused a frame"))?;
                ep.push_decided(frame, speech, &mut events)?;
            }
            None => ep.push(frame, &mut events),
        }
        timed.extend(events.drain(..).map(|e| ((i + 1) * FRAME, e)));
    }
    ep.flush(&mut events);
    let cpu = thread_cpu_s() - t0;
    timed.extend(events.drain(..).map(|e| (x.len(), e)));
    let ms = |v: u64| v as usize * SR / 1000;
    let mut utts = Vec::new();
    let mut open: Option<(usize, usize)> = None;
    for (at, e) in timed {
        match e {
            VadEvent::SpeechStart { start_ms } => open = Some((ms(start_ms), at)),
            VadEvent::SpeechEnd {
                start_ms, end_ms, ..
            } => {
                let (speech_start, start_fired) = open.take().unwrap_or((ms(start_ms), at));
                utts.push(Utt {
                    speech_start,
                    start_fired,
                    span: (ms(start_ms), ms(end_ms)),
                    end_fired: at,
                });
            }
            // Pauses and turn ends do not change the utterances compared here.
            VadEvent::Pause { .. } | VadEvent::EndOfTurn { .. } => {}
        }
    }
    Ok((utts, cpu))
}

#[derive(Default)]
struct Score {
    false_starts: usize,
    missed: usize,
    splits: usize,
    start_lat: Vec<f64>,
    start_fire: Vec<f64>,
    end_lat: Vec<f64>,
    correct_frames: usize,
    frames: usize,
}

fn score(utts: &[Utt], spans: &[(usize, usize)], len: usize, s: &mut Score) -> Vec<f64> {
    let slack = SR / 5;
    let ms = |n: usize| n as f64 * 1000.0 / SR as f64;
    let false_at: Vec<f64> = utts
        .iter()
        .filter(|u| {
            !spans
                .iter()
                .any(|&(a, b)| u.speech_start + slack >= a && u.speech_start < b)
        })
        .map(|u| ms(u.speech_start) / 1000.0)
        .collect();
    s.false_starts += false_at.len();
    for &(a, b) in spans {
        let over: Vec<&Utt> = utts
            .iter()
            .filter(|u| u.span.0 < b && u.span.1 > a)
            .collect();
        match over.len() {
            0 => s.missed += 1,
            n => s.splits += usize::from(n > 1),
        }
        if let Some(u) = utts
            .iter()
            .find(|u| u.speech_start + slack >= a && u.speech_start < b)
        {
            s.start_lat.push(ms(u.speech_start) - ms(a));
            s.start_fire.push(ms(u.start_fired) - ms(a));
        }
        if let Some(u) = over.last() {
            s.end_lat.push(ms(u.end_fired) - ms(b));
        }
    }
    for f in 0..len / FRAME {
        let c = f * FRAME + FRAME / 2;
        let truth = spans.iter().any(|&(a, b)| c >= a && c < b);
        let said = utts.iter().any(|u| c >= u.span.0 && c < u.span.1);
        s.frames += 1;
        s.correct_frames += usize::from(truth == said);
    }
    false_at
}

fn median(v: &mut [f64]) -> String {
    if v.is_empty() {
        return "-".into();
    }
    v.sort_by(f64::total_cmp);
    format!("{:.0}", v[v.len() / 2])
}

fn main() -> anyhow::Result<()> {
    let seed: u64 = flags::flag("--seed").map_or(Ok(7), |s| s.parse())?;
    let home = ModelHome::from_env();
    let mut clips = vec![load_wav(&callassist_models::jfk_wav(&home)?)?];
    for (path, _) in callassist_models::librivox_clips(&home)? {
        clips.push(load_wav(&path)?);
    }
    match callassist_models::mandarin_clip(&home) {
        Ok(p) => clips.push(load_wav(&p)?),
        Err(e) => eprintln!("no Mandarin clip ({e}); English clips only"),
    }
    let backgrounds = [
        Background::Silence,
        Background::Hiss,
        Background::LoudWhite,
        Background::Hum,
        Background::Pink,
        Background::Brown,
        Background::Snr(20.0),
        Background::Snr(10.0),
        Background::Snr(5.0),
    ];
    let engines = [
        Engine::Energy,
        Engine::Earshot,
        Engine::WebRtc(0),
        Engine::WebRtc(3),
        Engine::EarshotFlat,
    ];
    let show = std::env::args().any(|a| a == "--show");
    println!(
        "{} clips per condition, seed {seed}; latencies are medians in ms (start: detected \
         speech start / SpeechStart fired, after the clip's first speech frame; end: SpeechEnd \
         fired after its last)",
        clips.len()
    );
    println!(
        "| condition | line | engine | false starts | missed | split | start ms | start fired ms | end fired ms | frame acc % |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    let mut totals: Vec<(Score, f64, f64)> = engines
        .iter()
        .map(|_| (Score::default(), 0.0, 0.0))
        .collect();
    for bg in backgrounds {
        let (wide, spans) = build(&clips, bg, seed);
        for line in ["16k", "phone"] {
            let x = if line == "16k" {
                wide.clone()
            } else {
                callassist_inference::audio::phone_line(&wide)?
            };
            let x = &x[..x.len() / FRAME * FRAME];
            for (k, engine) in engines.iter().enumerate() {
                let (utts, cpu) = run(*engine, x)?;
                let mut s = Score::default();
                let false_at = score(&utts, &spans, x.len(), &mut s);
                if show && !false_at.is_empty() {
                    eprintln!(
                        "{} {line} {}: false starts at {false_at:.2?} s; clips at {:.2?} s",
                        bg.name(),
                        engine.name(),
                        spans
                            .iter()
                            .map(|&(a, b)| (a as f64 / SR as f64, b as f64 / SR as f64))
                            .collect::<Vec<_>>()
                    );
                }
                println!(
                    "| {} | {line} | {} | {} | {}/{} | {} | {} | {} | {} | {:.1} |",
                    bg.name(),
                    engine.name(),
                    s.false_starts,
                    s.missed,
                    spans.len(),
                    s.splits,
                    median(&mut s.start_lat),
                    median(&mut s.start_fire),
                    median(&mut s.end_lat),
                    100.0 * s.correct_frames as f64 / s.frames as f64,
                );
                let t = &mut totals[k];
                t.0.false_starts += s.false_starts;
                t.0.missed += s.missed;
                t.0.splits += s.splits;
                t.0.start_lat.extend(s.start_lat);
                t.0.start_fire.extend(s.start_fire);
                t.0.end_lat.extend(s.end_lat);
                t.0.correct_frames += s.correct_frames;
                t.0.frames += s.frames;
                t.1 += cpu;
                t.2 += x.len() as f64 / SR as f64;
            }
        }
    }
    println!();
    println!(
        "| engine (all conditions) | false starts | missed | split | start ms | start fired ms | end fired ms | frame acc % | CPU ms per s of audio |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    for (engine, (s, cpu, audio)) in engines.iter().zip(totals.iter_mut()) {
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {:.1} | {:.3} |",
            engine.name(),
            s.false_starts,
            s.missed,
            s.splits,
            median(&mut s.start_lat),
            median(&mut s.start_fire),
            median(&mut s.end_lat),
            100.0 * s.correct_frames as f64 / s.frames as f64,
            1000.0 * *cpu / *audio,
        );
    }
    Ok(())
}
