//! The real tiny.en converted to whisper.cpp's ggml file: header and hparams match the model
//! config, the vocabulary holds the ordinary tokens as bytes, and every tensor whisper.cpp
//! loads is there with its shape and type.

mod common;

use std::fs;

use callassist_models::whisper_ggml::{GgmlHparams, GgmlType, ggml_matches, read_ggml};
use callassist_models::{Asset, HfWhisperConfig, whisper_files, whisper_ggml_file};

#[test]
fn tiny_en_ggml_matches_its_config() {
    let home = common::home();
    let path = whisper_ggml_file(&home, Asset::WhisperTinyEn).unwrap();
    let files = whisper_files(&home, Asset::WhisperTinyEn).unwrap();
    assert_eq!(path.parent(), Some(files.dir.as_path()));
    let cfg: HfWhisperConfig = serde_json::from_slice(&fs::read(&files.config).unwrap()).unwrap();

    let s = read_ggml(&path).unwrap();
    assert_eq!(s.hparams, GgmlHparams::from_config(&cfg));
    assert_eq!(
        s.hparams,
        GgmlHparams {
            n_vocab: 51864,
            n_audio_ctx: 1500,
            n_audio_state: 384,
            n_audio_head: 6,
            n_audio_layer: 4,
            n_text_ctx: 448,
            n_text_state: 384,
            n_text_head: 6,
            n_text_layer: 4,
            n_mels: 80,
            ftype: 1,
        }
    );
    assert!(ggml_matches(&s, &cfg));
    assert_eq!(s.mel_shape, (80, 201));
    // The ordinary tokens only (whisper.cpp names <|endoftext|> = 50256 and the rest itself).
    assert_eq!(s.vocab.len(), 50256);
    assert_eq!(s.vocab[50255], b" gazed");
    assert_eq!(s.vocab[0], b"!");
    // conv 4 + positions 2 + tokens 1 + 4 x 15 + 4 x 24 + final norms 4
    assert_eq!(s.tensors.len(), 4 + 2 + 1 + 60 + 96 + 4);
    let find = |n: &str| s.tensors.iter().find(|t| t.name == n).unwrap();
    let t = find("decoder.token_embedding.weight");
    assert_eq!(
        (t.shape.clone(), t.dtype),
        (vec![51864, 384], GgmlType::F16)
    );
    let t = find("encoder.conv1.weight");
    assert_eq!(
        (t.shape.clone(), t.dtype),
        (vec![384, 80, 3], GgmlType::F16)
    );
    let t = find("encoder.positional_embedding");
    assert_eq!((t.shape.clone(), t.dtype), (vec![1500, 384], GgmlType::F32));
    // About 75 MB: f16 matrices.
    let len = fs::metadata(&path).unwrap().len();
    assert!((70_000_000..80_000_000).contains(&len), "{len}");

    // Asking again keeps the valid file.
    let modified = fs::metadata(&path).unwrap().modified().unwrap();
    whisper_ggml_file(&home, Asset::WhisperTinyEn).unwrap();
    assert_eq!(fs::metadata(&path).unwrap().modified().unwrap(), modified);
}
