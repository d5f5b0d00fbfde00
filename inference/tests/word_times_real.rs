//! Real-model tests of word times: tiny.en on jfk.wav through both backends (whisper.cpp
//! aligned by dynamic time warping, candle spread over its segments), checked for order,
//! range, agreement with the text, the audio's energy (no word inside a long silence), and
//! against each other; Mandarin words (one per character) on base, in Simplified characters.

mod common;

use callassist_inference::asr::whispercpp::WhisperCppOptions;
use callassist_inference::asr::{AsrOutput, AsrPool, AsrRequest, Recognizer};
use callassist_models::Asset;
use common::{candle, home, jfk, read_pcm16_wav, to_16k, whispercpp};

fn cpp(asset: Asset, align_words: bool) -> impl Recognizer {
    whispercpp(
        asset,
        WhisperCppOptions {
            align_words,
            ..Default::default()
        },
    )
}

fn transcribe(rec: &mut dyn Recognizer, samples: Vec<f32>) -> AsrOutput {
    rec.transcribe(&AsrRequest {
        samples,
        ..Default::default()
    })
    .unwrap()
}

/// Lower-case letters and digits only: "modulo spacing and punctuation".
fn letters(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Words non-empty, in order, inside the audio, and together the text.
fn assert_consistent(out: &AsrOutput, audio_ms: u64) {
    assert!(!out.words.is_empty(), "{out:?}");
    for w in &out.words {
        assert!(!w.text.trim().is_empty(), "{w:?}");
        assert!(w.start_ms <= w.end_ms && w.end_ms <= audio_ms, "{w:?}");
        assert!((0.0..=1.0).contains(&w.probability), "{w:?}");
    }
    assert!(
        out.words.windows(2).all(|p| p[0].start_ms <= p[1].start_ms),
        "{:?}",
        out.words
    );
    let joined: Vec<&str> = out.words.iter().map(|w| w.text.as_str()).collect();
    assert_eq!(letters(&joined.concat()), letters(&out.text));
}

/// RMS level (dBFS) of each 20 ms frame.
fn frame_levels(samples: &[f32]) -> Vec<f32> {
    samples
        .chunks(320)
        .map(|c| {
            let e = c.iter().map(|s| s * s).sum::<f32>() / c.len() as f32;
            10.0 * (e + 1e-12).log10()
        })
        .collect()
}

/// Share of the word's span (ms) spent in frames quieter than `floor_db`.
fn silent_share(levels: &[f32], start_ms: u64, end_ms: u64, floor_db: f32) -> f32 {
    let (a, b) = (
        start_ms as usize / 20,
        (end_ms as usize / 20).max(start_ms as usize / 20 + 1),
    );
    let span = &levels[a.min(levels.len())..b.min(levels.len())];
    span.iter().filter(|&&l| l < floor_db).count() as f32 / span.len().max(1) as f32
}

fn print_words(label: &str, out: &AsrOutput, levels: &[f32], floor_db: f32) {
    println!("{label}: {}", out.text);
    for w in &out.words {
        println!(
            "  {:>6} {:>6}  p {:.2}  silent {:.2}  {}",
            w.start_ms,
            w.end_ms,
            w.probability,
            silent_share(levels, w.start_ms, w.end_ms, floor_db),
            w.text
        );
    }
}

fn start_of(out: &AsrOutput, word: &str) -> u64 {
    out.words
        .iter()
        .find(|w| letters(&w.text) == word)
        .unwrap_or_else(|| panic!("no {word:?} in {:?}", out.words))
        .start_ms
}

#[test]
fn jfk_word_times_on_both_backends() {
    let samples = jfk();
    let audio_ms = samples.len() as u64 * 1000 / 16_000;
    let levels = frame_levels(&samples);
    // 30 dB under the loudest frame counts as silence.
    let floor = levels.iter().copied().fold(f32::MIN, f32::max) - 30.0;
    let cpp = transcribe(&mut cpp(Asset::WhisperTinyEn, true), samples.clone());
    let heuristic = transcribe(&mut self::cpp(Asset::WhisperTinyEn, false), samples.clone());
    let candle = transcribe(&mut candle(Asset::WhisperTinyEn), samples);
    print_words("whisper.cpp (dtw)", &cpp, &levels, floor);
    print_words("whisper.cpp (heuristic)", &heuristic, &levels, floor);
    print_words("candle", &candle, &levels, floor);
    for out in [&cpp, &heuristic, &candle] {
        assert_consistent(out, audio_ms);
    }
    // Aligned times: "Americans" early (measured 1.76 s), the final "country" late (10.24 s).
    let americans = start_of(&cpp, "americans");
    let country = cpp.words.last().unwrap();
    println!("americans {americans} ms, last word {country:?}");
    assert_eq!(letters(&country.text), "country");
    assert!(americans < 4_000, "{americans}");
    assert!(country.start_ms > 8_000, "{country:?}");

    // No aligned word sits mostly in silence.
    for w in &cpp.words {
        let share = silent_share(&levels, w.start_ms, w.end_ms, floor);
        assert!(share < 0.5, "{w:?} is {share:.2} silent");
    }
    // The backends agree on the words; candle's starts are approximate.
    let pairs: Vec<(u64, u64)> = cpp
        .words
        .iter()
        .zip(&candle.words)
        .map(|(a, b)| {
            assert_eq!(letters(&a.text), letters(&b.text));
            (a.start_ms, b.start_ms)
        })
        .collect();
    assert_eq!(cpp.words.len(), candle.words.len());
    let mad = pairs.iter().map(|(a, b)| a.abs_diff(*b)).sum::<u64>() as f64 / pairs.len() as f64;
    let mad_h = cpp
        .words
        .iter()
        .zip(&heuristic.words)
        .map(|(a, b)| a.start_ms.abs_diff(b.start_ms))
        .sum::<u64>() as f64
        / cpp.words.len() as f64;
    println!("mean |start(dtw) - start(candle)| = {mad:.0} ms");
    println!("mean |start(dtw) - start(whisper.cpp heuristic)| = {mad_h:.0} ms");
    // Measured 226 ms (tiny.en, candle spread over voiced frames).
    assert!(mad < 400.0, "{mad}");
}

#[tokio::test]
async fn mandarin_words_are_simplified_characters_in_step_with_the_text() {
    let pcm = read_pcm16_wav(&callassist_models::mandarin_clip(&home()).unwrap());
    let samples = to_16k(&pcm, 24_000);
    let audio_ms = samples.len() as u64 * 1000 / 16_000;
    let recs: Vec<Box<dyn Recognizer>> = vec![
        Box::new(candle(Asset::WhisperBase)),
        Box::new(cpp(Asset::WhisperBase, true)),
    ];
    for rec in recs {
        let pool = AsrPool::new(vec![rec], 2);
        let out = pool
            .transcribe(AsrRequest {
                samples: samples.clone(),
                language: Some("zh".into()),
                ..Default::default()
            })
            .await
            .unwrap();
        println!("{}: {}", pool.name(), out.text);
        println!("{:?}", out.words);
        assert_consistent(&out, audio_ms);
        let joined: String = out.words.iter().map(|w| w.text.as_str()).collect();
        assert_eq!(joined, out.text.replace(' ', ""));
        // One word per character (punctuation attached).
        for w in &out.words {
            let han = w
                .text
                .chars()
                .filter(|c| ('\u{4e00}'..='\u{9fff}').contains(c))
                .count();
            assert!(han <= 1, "{w:?}");
        }
    }
}
