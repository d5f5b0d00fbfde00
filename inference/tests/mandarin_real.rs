//! Real-model Mandarin tests: Whisper base (candle and whisper.cpp) on F5-TTS's Mandarin example sentence (24 kHz,
//! resampled to 16 kHz as the server does), with the language detected and with a hint, and
//! an English sentence with a phrase-hint prompt. Output must be Simplified Chinese with a
//! character error rate of at most 15%.

use callassist_inference::asr::whisper::WhisperRecognizer;
use callassist_inference::asr::whispercpp::{WhisperCppOptions, WhisperCppRecognizer};
use callassist_inference::asr::{AsrPool, AsrRequest, Recognizer};
use callassist_inference::audio::StreamResampler;
use callassist_inference::text_metrics::{char_error_rate, word_error_rate};
use callassist_models::{Asset, ModelHome};

fn read_24k_as_16k(path: &std::path::Path) -> Vec<f32> {
    let bytes = std::fs::read(path).unwrap();
    let pos = bytes.windows(4).position(|w| w == b"data").unwrap();
    let pcm: Vec<f32> = bytes[pos + 8..]
        .chunks_exact(2)
        .map(|b| i16::from_le_bytes([b[0], b[1]]) as f32 / 32768.0)
        .collect();
    let mut rs = StreamResampler::new(24_000).unwrap();
    let mut out = Vec::new();
    rs.push(&pcm, &mut out);
    rs.flush(&mut out);
    out
}

fn base_pool() -> AsrPool {
    let home = ModelHome::from_env();
    let files = callassist_models::whisper_files(&home, Asset::WhisperBase).unwrap();
    let rec: Box<dyn Recognizer> = Box::new(WhisperRecognizer::load(&files).unwrap());
    AsrPool::new(vec![rec], 4)
}

/// Base on whisper.cpp (the same weights converted to ggml).
fn base_cpp_pool() -> AsrPool {
    let home = ModelHome::from_env();
    let path = callassist_models::whisper_ggml_file(&home, Asset::WhisperBase).unwrap();
    let rec = WhisperCppRecognizer::load(&path, WhisperCppOptions::default()).unwrap();
    AsrPool::new(vec![Box::new(rec) as Box<dyn Recognizer>], 4)
}

/// No character of `text` is a Traditional form that differs from its Simplified one.
fn assert_simplified(text: &str) {
    let simplified = callassist_inference::asr::chinese::to_simplified(text);
    assert_eq!(simplified, text, "Traditional characters in {text:?}");
}

#[tokio::test]
async fn base_transcribes_mandarin_in_simplified_characters() {
    let home = ModelHome::from_env();
    let samples = read_24k_as_16k(&callassist_models::mandarin_clip(&home).unwrap());
    let reference = callassist_models::MANDARIN_TRANSCRIPT;
    for (pool, language) in [
        (base_pool(), None),
        (base_pool(), Some("zh".to_string())),
        (base_cpp_pool(), None),
        (base_cpp_pool(), Some("zh".to_string())),
    ] {
        let out = pool
            .transcribe(AsrRequest {
                samples: samples.clone(),
                language: language.clone(),
                ..Default::default()
            })
            .await
            .unwrap();
        let cer = char_error_rate(reference, &out.text);
        println!(
            "{} language {language:?}: {:?} CER {cer:.3}",
            pool.name(),
            out.text
        );
        assert_eq!(out.language, "zh");
        assert!(cer <= 0.15, "CER {cer} for {:?}", out.text);
        assert_simplified(&out.text);
        // Punctuation comes through (the reference has three marks).
        assert!(
            out.text.chars().any(|c| "，。！？、".contains(c)),
            "no punctuation in {:?}",
            out.text
        );
    }
}

#[tokio::test]
async fn a_phrase_hint_prompt_keeps_english_accurate() {
    let home = ModelHome::from_env();
    let samples = read_24k_as_16k(&callassist_models::english_f5_clip(&home).unwrap());
    let pool = base_pool();
    let reference = callassist_models::ENGLISH_F5_TRANSCRIPT;
    for prompt in [
        None,
        Some("Nimbus CRM, Brightlane, QuickStart.".to_string()),
    ] {
        let out = pool
            .transcribe(AsrRequest {
                samples: samples.clone(),
                language: Some("en".into()),
                prompt: prompt.clone(),
                ..Default::default()
            })
            .await
            .unwrap();
        let wer = word_error_rate(reference, &out.text);
        println!("prompt {prompt:?}: {:?} WER {wer:.3}", out.text);
        assert!(wer <= 0.1, "WER {wer} for {:?}", out.text);
    }
}
