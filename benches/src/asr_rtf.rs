//! Real-time factor and accuracy of the candle Whisper recognizer on real speech: jfk.wav and
//! the five LibriVox clips, for tiny.en and base. RTF = decode time / audio duration (lower is
//! faster; 0.1 means ten times faster than real time). Each clip is decoded `--runs` times
//! after one warm-up and the median is reported.
//!
//! Usage: `cargo run --release -p callassist-benches --bin asr-rtf -- [--models tiny.en,base]
//! [--runs 3] [--window full|fit:PAD_MS]`
//! Threads: set RAYON_NUM_THREADS (candle's float matmul pool) to pin the core count.

mod flags;

use std::time::Instant;

use anyhow::{Context, bail};
use callassist_client::pb::AudioEncoding;
use callassist_client::wav::WavAudio;
use callassist_inference::asr::whisper::{EncoderWindow, WhisperRecognizer};
use callassist_inference::asr::{AsrRequest, Recognizer};
use callassist_inference::text_metrics::word_error_rate;
use callassist_models::{Asset, ModelHome};

struct Clip {
    name: String,
    samples: Vec<f32>,
    reference: String,
}

fn load_clip(path: &std::path::Path, reference: &str) -> anyhow::Result<Clip> {
    let wav = WavAudio::read(path)?;
    if wav.encoding != AudioEncoding::Linear16 || wav.sample_rate != 16_000 || wav.channels != 1 {
        bail!("{}: expected 16 kHz mono PCM16", path.display());
    }
    let samples = wav
        .data
        .chunks_exact(2)
        .map(|b| i16::from_le_bytes([b[0], b[1]]) as f32 / 32768.0)
        .collect();
    Ok(Clip {
        name: path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("clip")
            .to_string(),
        samples,
        reference: reference.to_string(),
    })
}

fn main() -> anyhow::Result<()> {
    let arg = flags::flag;
    let models = arg("--models").unwrap_or_else(|| "tiny.en,base".into());
    let runs: usize = arg("--runs").map(|r| r.parse()).transpose()?.unwrap_or(3);
    // `full` (30 s encoder window) or `fit:PAD_MS` (audio + padding only).
    let window = match arg("--window").as_deref().unwrap_or("fit:1000") {
        "full" => EncoderWindow::Full,
        w => EncoderWindow::Fit {
            pad_ms: w
                .strip_prefix("fit:")
                .context("--window is full or fit:PAD_MS")?
                .parse()?,
        },
    };

    let home = ModelHome::from_env();
    let mut clips = vec![load_clip(
        &callassist_models::jfk_wav(&home)?,
        callassist_models::JFK_TRANSCRIPT,
    )?];
    for (path, reference) in callassist_models::librivox_clips(&home)? {
        clips.push(load_clip(&path, &reference)?);
    }
    println!(
        "threads: RAYON_NUM_THREADS={}",
        std::env::var("RAYON_NUM_THREADS").unwrap_or_else(|_| "unset (all cores)".into())
    );
    println!("encoder window: {window:?}");
    println!("| model | clip | audio s | decode s (median of {runs}) | RTF | WER |");
    println!("|---|---|---|---|---|---|");
    for model in models.split(',') {
        let asset = match model {
            "tiny.en" => Asset::WhisperTinyEn,
            "base" => Asset::WhisperBase,
            other => bail!("unknown model {other}: use tiny.en or base"),
        };
        let files = callassist_models::whisper_files(&home, asset)?;
        let mut rec = WhisperRecognizer::load(&files)
            .context("loading model")?
            .with_window(window);
        let (mut total_audio, mut total_decode, mut total_err, mut total_words) =
            (0.0, 0.0, 0.0, 0.0);
        for clip in &clips {
            let req = AsrRequest {
                samples: clip.samples.clone(),
                language: Some("en".into()),
                partial: false,
                ..Default::default()
            };
            let out = rec.transcribe(&req)?; // warm-up
            let mut times = Vec::new();
            for _ in 0..runs {
                let t = Instant::now();
                rec.transcribe(&req)?;
                times.push(t.elapsed().as_secs_f64());
            }
            times.sort_by(f64::total_cmp);
            let median = times[times.len() / 2];
            let audio_s = clip.samples.len() as f64 / 16_000.0;
            let wer = word_error_rate(&clip.reference, &out.text) as f64;
            let words = clip.reference.split_whitespace().count() as f64;
            total_audio += audio_s;
            total_decode += median;
            total_err += wer * words;
            total_words += words;
            println!(
                "| {model} | {} | {audio_s:.1} | {median:.3} | {:.3} | {:.1}% |",
                clip.name,
                median / audio_s,
                wer * 100.0
            );
        }
        println!(
            "| {model} | **all** | {total_audio:.1} | {total_decode:.3} | **{:.3}** | **{:.1}%** |",
            total_decode / total_audio,
            total_err / total_words * 100.0
        );
    }
    Ok(())
}
