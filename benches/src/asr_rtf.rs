//! Real-time factor and accuracy of the Whisper recognizers on real speech: jfk.wav and the
//! five LibriVox clips, for tiny.en and base, on each backend (candle, whisper.cpp) in one run
//! over the same clips. RTF = decode time / audio duration (lower is faster; 0.1 means ten
//! times faster than real time). Each clip is decoded `--runs` times after one warm-up, the
//! backends taking turns run by run, and the median is reported.
//!
//! Usage: `cargo run --release -p callassist-benches --bin asr-rtf -- [--models tiny.en,base]
//! [--backend candle,whispercpp] [--runs 3] [--window full|fit:PAD_MS] [--threads N]
//! [--telephony] [--show]` (`--telephony` first turns each clip into what a phone call
//! delivers: 8 kHz mu-law, back to 16 kHz with the server's resampler; `--show` prints each
//! transcript on stderr).
//! Threads: set RAYON_NUM_THREADS (candle's float matmul pool) and CANDLE_NUM_THREADS to pin
//! candle's core count; `--threads` (default 1) is whisper.cpp's.

mod flags;

use std::time::Instant;

use anyhow::{Context, bail};
use callassist_client::pb::AudioEncoding;
use callassist_client::wav::WavAudio;
use callassist_inference::asr::whisper::{EncoderWindow, WhisperRecognizer};
use callassist_inference::asr::whispercpp::{WhisperCppOptions, WhisperCppRecognizer};
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

/// Loads `asset` on `backend`.
fn load(
    home: &ModelHome,
    asset: Asset,
    backend: &str,
    window: EncoderWindow,
    threads: usize,
) -> anyhow::Result<Box<dyn Recognizer>> {
    Ok(match backend {
        "candle" => {
            let files = callassist_models::whisper_files(home, asset)?;
            Box::new(
                WhisperRecognizer::load(&files)
                    .context("loading model")?
                    .with_window(window),
            )
        }
        // `whispercpp-noalign`: without the DTW word alignment pass.
        "whispercpp" | "whispercpp-noalign" => {
            let path = callassist_models::whisper_ggml_file(home, asset)?;
            let opts = WhisperCppOptions {
                threads,
                window,
                align_words: backend == "whispercpp",
                ..Default::default()
            };
            Box::new(WhisperCppRecognizer::load(&path, opts).context("loading model")?)
        }
        other => bail!("unknown backend {other}: use candle, whispercpp or whispercpp-noalign"),
    })
}

fn main() -> anyhow::Result<()> {
    let arg = flags::flag;
    let models = arg("--models").unwrap_or_else(|| "tiny.en,base".into());
    let backends = arg("--backend").unwrap_or_else(|| "candle,whispercpp".into());
    let runs: usize = arg("--runs").map(|r| r.parse()).transpose()?.unwrap_or(3);
    let threads: usize = arg("--threads")
        .map(|r| r.parse())
        .transpose()?
        .unwrap_or(1);
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
    let phone = std::env::args().any(|a| a == "--telephony");
    if phone {
        for clip in &mut clips {
            clip.samples = callassist_inference::audio::phone_line(&clip.samples)?;
        }
    }
    let env = |k: &str| std::env::var(k).unwrap_or_else(|_| "unset".into());
    println!(
        "threads: candle RAYON_NUM_THREADS={} CANDLE_NUM_THREADS={}; whisper.cpp --threads {threads}",
        env("RAYON_NUM_THREADS"),
        env("CANDLE_NUM_THREADS")
    );
    println!("encoder window: {window:?}");
    if phone {
        println!("audio: 8 kHz mu-law, resampled to 16 kHz");
    }
    println!("| model | backend | clip | audio s | decode s (median of {runs}) | RTF | WER |");
    println!("|---|---|---|---|---|---|---|");
    let mut summary = Vec::new();
    for model in models.split(',') {
        let asset = match model {
            "tiny.en" => Asset::WhisperTinyEn,
            "base" => Asset::WhisperBase,
            other => bail!("unknown model {other}: use tiny.en or base"),
        };
        let mut recs = Vec::new();
        for backend in backends.split(',') {
            recs.push(Backend {
                name: backend.to_string(),
                rec: load(&home, asset, backend, window, threads)?,
                totals: Totals::default(),
            });
        }
        run_clips(&mut recs, &clips, runs, model)?;
        for b in &recs {
            summary.push(b.totals.row(model, &b.name, false));
        }
    }
    println!();
    println!("| model | backend | audio s | decode s | RTF | WER |");
    println!("|---|---|---|---|---|---|");
    for row in summary {
        println!("{row}");
    }
    Ok(())
}

/// One backend of one model under test.
struct Backend {
    name: String,
    rec: Box<dyn Recognizer>,
    totals: Totals,
}

/// Sums over the clips.
#[derive(Default)]
struct Totals {
    audio_s: f64,
    decode_s: f64,
    errors: f64,
    words: f64,
}

impl Totals {
    fn row(&self, model: &str, backend: &str, bold: bool) -> String {
        let rtf = self.decode_s / self.audio_s;
        let wer = self.errors / self.words * 100.0;
        let (clip, b) = if bold { ("**all** | ", "**") } else { ("", "") };
        format!(
            "| {model} | {backend} | {clip}{:.1} | {:.3} | {b}{rtf:.3}{b} | {b}{wer:.1}%{b} |",
            self.audio_s, self.decode_s
        )
    }
}

/// Decodes every clip on every backend, alternating backends run by run (so that a change in
/// the machine's load hits them alike), prints a row per clip and backend, then the totals.
fn run_clips(
    backends: &mut [Backend],
    clips: &[Clip],
    runs: usize,
    model: &str,
) -> anyhow::Result<()> {
    let show = std::env::args().any(|a| a == "--show");
    for clip in clips {
        let req = AsrRequest {
            samples: clip.samples.clone(),
            language: Some("en".into()),
            ..Default::default()
        };
        // Warm-up, and the transcript scored.
        let mut outs = Vec::new();
        for b in backends.iter_mut() {
            outs.push(b.rec.transcribe(&req)?);
        }
        let mut times = vec![Vec::new(); backends.len()];
        for _ in 0..runs {
            for (b, t) in backends.iter_mut().zip(&mut times) {
                let started = Instant::now();
                b.rec.transcribe(&req)?;
                t.push(started.elapsed().as_secs_f64());
            }
        }
        let audio_s = clip.samples.len() as f64 / 16_000.0;
        let words = clip.reference.split_whitespace().count() as f64;
        for ((b, mut t), out) in backends.iter_mut().zip(times).zip(outs) {
            t.sort_by(f64::total_cmp);
            let median = t[t.len() / 2];
            let wer = word_error_rate(&clip.reference, &out.text) as f64;
            b.totals.audio_s += audio_s;
            b.totals.decode_s += median;
            b.totals.errors += wer * words;
            b.totals.words += words;
            if show {
                eprintln!("{model}/{}/{}: {:?}", b.name, clip.name, out.text);
            }
            println!(
                "| {model} | {} | {} | {audio_s:.1} | {median:.3} | {:.3} | {:.1}% |",
                b.name,
                clip.name,
                median / audio_s,
                wer * 100.0
            );
        }
    }
    for b in backends.iter() {
        println!("{}", b.totals.row(model, &b.name, true));
    }
    Ok(())
}
