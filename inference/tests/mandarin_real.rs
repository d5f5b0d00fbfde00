//! Real-model Mandarin tests: Whisper base (candle and whisper.cpp) on F5-TTS's Mandarin example sentence (24 kHz,
//! resampled to 16 kHz as the server does), with the language detected and with a hint, and
//! an English sentence with a phrase-hint prompt. Output must be Simplified Chinese with a
//! character error rate of at most 15%.

mod common;

use callassist_inference::asr::whispercpp::WhisperCppOptions;
use callassist_inference::asr::{AsrPool, AsrRequest, Recognizer};
use callassist_inference::text_metrics::{char_error_rate, word_error_rate};
use callassist_models::Asset;

/// A 24 kHz PCM16 clip (F5-TTS's examples), resampled to 16 kHz as the server does.
fn read_24k_as_16k(path: &std::path::Path) -> Vec<f32> {
    common::to_16k(&common::read_pcm16_wav(path), 24_000)
}

fn base_pool() -> AsrPool {
    let rec: Box<dyn Recognizer> = Box::new(common::candle(Asset::WhisperBase));
    AsrPool::new(vec![rec], 4)
}

/// Base on whisper.cpp (the same weights converted to ggml).
fn base_cpp_pool() -> AsrPool {
    let rec = common::whispercpp(Asset::WhisperBase, WhisperCppOptions::default());
    AsrPool::new(vec![Box::new(rec) as Box<dyn Recognizer>], 4)
}

/// No character of `text` is a Traditional form that differs from its Simplified one.
fn assert_simplified(text: &str) {
    let simplified = callassist_inference::asr::chinese::to_simplified(text);
    assert_eq!(simplified, text, "Traditional characters in {text:?}");
}

#[tokio::test]
async fn base_transcribes_mandarin_in_simplified_characters() {
    let samples = read_24k_as_16k(&callassist_models::mandarin_clip(&common::home()).unwrap());
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
    let samples = read_24k_as_16k(&callassist_models::english_f5_clip(&common::home()).unwrap());
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
