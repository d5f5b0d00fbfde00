//! End to end: `pull(ci)` fetches, verifies and converts the real CI assets, and the
//! converted tiny.en weights hold exactly what the CTranslate2 file held.

mod common;

use std::fs;

use callassist_models::{
    Asset, GenerationConfig, HfWhisperConfig, ModelSet, PullOptions, jfk_wav, librivox_clips, pull,
    whisper_files,
};
use safetensors::{Dtype, SafeTensors};

#[test]
fn pull_ci_then_everything_is_in_place() {
    let home = common::home();
    pull(&home, ModelSet::Ci, &PullOptions { progress: false }).unwrap();
    for asset in ModelSet::Ci.assets() {
        assert!(callassist_models::is_present(&home, *asset), "{asset}");
    }

    let jfk = jfk_wav(&home).unwrap();
    let wav = fs::read(&jfk).unwrap();
    assert_eq!(&wav[..4], b"RIFF");
    assert_eq!(wav.len(), 352_078);

    let clips = librivox_clips(&home).unwrap();
    assert_eq!(clips.len(), 5);
    for (path, text) in &clips {
        assert!(path.is_file(), "{}", path.display());
        assert!(!text.is_empty());
    }
    assert!(
        clips[0]
            .0
            .ends_with("sense_and_sensibility_01_austen_64kb-0870.wav")
    );
    assert_eq!(clips[1].1, "he was not an ill disposed young man");

    // A second pull finds everything complete and does nothing.
    let started = std::time::Instant::now();
    pull(&home, ModelSet::Ci, &PullOptions { progress: false }).unwrap();
    assert!(started.elapsed().as_secs() < 2);
}

#[test]
fn tiny_en_converts_faithfully() {
    let home = common::home();
    let files = whisper_files(&home, Asset::WhisperTinyEn).unwrap();
    for p in [
        &files.weights,
        &files.config,
        &files.tokenizer,
        &files.generation,
    ] {
        assert!(p.is_file(), "{}", p.display());
    }

    let cfg: HfWhisperConfig = serde_json::from_slice(&fs::read(&files.config).unwrap()).unwrap();
    assert_eq!(
        (cfg.num_mel_bins, cfg.d_model, cfg.vocab_size),
        (80, 384, 51864)
    );
    assert_eq!((cfg.encoder_layers, cfg.decoder_layers), (4, 4));
    assert_eq!(
        (cfg.encoder_attention_heads, cfg.decoder_attention_heads),
        (6, 6)
    );
    assert_eq!(
        (cfg.max_source_positions, cfg.max_target_positions),
        (1500, 448)
    );
    assert_eq!(cfg.suppress_tokens.len(), 90);
    assert_eq!(cfg.begin_suppress_tokens, vec![220, 50256]);

    let generation: GenerationConfig =
        serde_json::from_slice(&fs::read(&files.generation).unwrap()).unwrap();
    assert!(!generation.is_multilingual);
    assert_eq!(generation.alignment_heads.len(), 8);
    assert_eq!(generation.lang_ids.first(), Some(&50259));

    let bytes = fs::read(&files.weights).unwrap();
    let st = SafeTensors::deserialize(&bytes).unwrap();
    let expected_names = callassist_models::whisper_config::candle_tensor_names(&cfg);
    for name in &expected_names {
        assert!(st.tensor(name).is_ok(), "missing {name}");
    }
    assert_eq!(st.len(), expected_names.len() + 1); // + encoder embed_positions

    // (tensor, shape, index, value): values read straight from the CTranslate2 model.bin
    // (f16 values, written as the shortest f32 literal).
    let w = [384, 384];
    let checks: &[(&str, &[usize], &[usize], f32)] = &[
        // Fused self-attention q,k,v rows 0, 384 and 768 become row 0 of q, k and v.
        (
            "model.decoder.layers.0.self_attn.q_proj.weight",
            &w,
            &[0, 0],
            0.009_559_631,
        ),
        (
            "model.decoder.layers.0.self_attn.k_proj.weight",
            &w,
            &[0, 0],
            -0.030_670_166,
        ),
        (
            "model.decoder.layers.0.self_attn.v_proj.weight",
            &w,
            &[0, 0],
            -0.019_393_92,
        ),
        (
            "model.decoder.layers.0.self_attn.v_proj.weight",
            &w,
            &[383, 383],
            0.005_775_451_7,
        ),
        (
            "model.decoder.layers.0.self_attn.q_proj.bias",
            &[384],
            &[0],
            0.302_734_38,
        ),
        (
            "model.decoder.layers.0.self_attn.v_proj.bias",
            &[384],
            &[0],
            -0.018_737_793,
        ),
        // Fused cross-attention k,v rows 0 and 384.
        (
            "model.decoder.layers.1.encoder_attn.k_proj.weight",
            &w,
            &[0, 5],
            -0.004_840_851,
        ),
        (
            "model.decoder.layers.1.encoder_attn.v_proj.weight",
            &w,
            &[0, 5],
            0.006_359_100_3,
        ),
        (
            "model.encoder.conv1.weight",
            &[384, 80, 3],
            &[0, 0, 0],
            0.028_778_076,
        ),
        (
            "model.encoder.conv1.weight",
            &[384, 80, 3],
            &[383, 79, 2],
            0.013_717_651,
        ),
        (
            "model.decoder.embed_tokens.weight",
            &[51864, 384],
            &[50256, 0],
            0.038_269_043,
        ),
        (
            "model.encoder.layers.3.final_layer_norm.weight",
            &[384],
            &[7],
            4.632_812_5,
        ),
    ];
    for &(name, shape, index, value) in checks {
        let t = st.tensor(name).unwrap();
        assert_eq!(t.dtype(), Dtype::F32, "{name}");
        assert_eq!(t.shape(), shape, "{name}");
        let flat = index.iter().zip(shape).fold(0, |acc, (i, d)| acc * d + i);
        let b = &t.data()[flat * 4..flat * 4 + 4];
        let got = f32::from_le_bytes([b[0], b[1], b[2], b[3]]);
        assert_eq!(got, value, "{name}{index:?}");
    }
    assert!(
        st.tensor("model.decoder.layers.0.self_attn.k_proj.bias")
            .is_err()
    );
}
