//! The local chat model with the real SmolLM2 weights: the GGUF-built tokenizer (round trips
//! on mixed Chinese/English, chat special tokens as single ids), the chat template,
//! deterministic greedy generation, prefix caching that changes nothing but the work done,
//! stop strings and cancellation.

use std::sync::Mutex;
use std::sync::OnceLock;

use callassist_inference::llm::{
    CancelFlag, ChatMessage, GenRequest, LlmEngine, LlmOptions, SamplingParams, StopReason,
};
use callassist_models::{Asset, ModelHome};

fn engine() -> &'static Mutex<LlmEngine> {
    static E: OnceLock<Mutex<LlmEngine>> = OnceLock::new();
    E.get_or_init(|| {
        let path = callassist_models::llm_file(&ModelHome::from_env(), Asset::LlmSmolLm2).unwrap();
        Mutex::new(LlmEngine::load(&path, &LlmOptions::default()).unwrap())
    })
}

fn request(system: &str, user: &str, e: &LlmEngine) -> GenRequest {
    let prefix = e
        .chat_prompt(&[ChatMessage::system(system)], false)
        .unwrap();
    let full = e
        .chat_prompt(
            &[ChatMessage::system(system), ChatMessage::user(user)],
            true,
        )
        .unwrap();
    assert!(full.starts_with(&prefix), "{full:?} vs {prefix:?}");
    GenRequest {
        prompt: full[prefix.len()..].to_string(),
        prefix,
        max_tokens: 24,
        sampling: SamplingParams::default(),
        ..Default::default()
    }
}

#[test]
fn tokenizer_round_trips_mixed_text_and_keeps_specials_whole() {
    let e = engine().lock().unwrap_or_else(|p| p.into_inner());
    let tok = e.tokenizer();
    for text in [
        "Hello, world! The price is $30,000 per year.",
        "我们的预算只有三万元，太贵了。Can you do 15% off?",
        "  leading spaces\nand\ttabs\r\n2026-12-05 12:30",
        "emoji 🙂 and ünïcödé",
    ] {
        let ids = tok.encode(text).unwrap();
        assert!(!ids.is_empty());
        assert_eq!(tok.decode(&ids, false).unwrap(), text);
    }
    // The ids llama.cpp gives for the same strings with the same GGUF.
    assert_eq!(
        tok.encode("Hello, world! The price is $30,000 per year.")
            .unwrap(),
        [
            19556, 28, 905, 17, 378, 4319, 314, 1885, 35, 32, 28, 32, 32, 32, 567, 713, 30
        ]
    );
    assert_eq!(
        tok.encode("我们的预算只有三万元，太贵了。Can you do 15% off?")
            .unwrap(),
        [
            19805, 235, 15076, 122, 11567, 39084, 222, 40236, 241, 12034, 120, 30746, 7906, 227,
            7906, 225, 17086, 221, 12831, 18614, 120, 42816, 130, 46025, 19076, 7306, 346, 536,
            216, 33, 37, 21, 767, 47
        ]
    );
    let start = tok.token_id("<|im_start|>").unwrap();
    let end = tok.token_id("<|im_end|>").unwrap();
    let ids = tok.encode("<|im_start|>user\nhi<|im_end|>").unwrap();
    assert_eq!(ids.first(), Some(&start));
    assert_eq!(ids.last(), Some(&end));
    assert_eq!(ids.iter().filter(|i| **i == start).count(), 1);
    // SmolLM's pre-tokenizer puts every digit on its own.
    let digits = tok.encode("12345").unwrap();
    assert_eq!(digits.len(), 5);
    assert!(tok.stop_ids().contains(&end));
}

#[test]
fn chat_template_renders_chatml() {
    let e = engine().lock().unwrap_or_else(|p| p.into_inner());
    let p = e
        .chat_prompt(&[ChatMessage::system("S"), ChatMessage::user("U")], true)
        .unwrap();
    assert_eq!(
        p,
        "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nU<|im_end|>\n<|im_start|>assistant\n"
    );
}

#[test]
fn greedy_generation_is_deterministic_and_prefix_cache_changes_nothing_but_work() {
    let mut e = engine().lock().unwrap_or_else(|p| p.into_inner());
    let req = request(
        "You are a concise assistant.",
        "What is the capital of France?",
        &e,
    );
    e.clear_cache();
    let cold = e.generate(&req, &mut |_| true).unwrap();
    assert!(cold.generated_tokens > 0);
    assert!(cold.text.contains("Paris"), "{:?}", cold.text);
    assert_eq!(cold.reused_tokens, 0);

    // Same request again: the prefix comes from the cache, the rest is computed the same way.
    let again = e.generate(&req, &mut |_| true).unwrap();
    assert_eq!(again.text, cold.text);
    let prefix_len = e.tokenizer().encode(&req.prefix).unwrap().len();
    assert_eq!(again.reused_tokens, prefix_len);

    // Another question after the same system prompt reuses the prefix ...
    let other = request(
        "You are a concise assistant.",
        "What is the capital of Italy?",
        &e,
    );
    let warm = e.generate(&other, &mut |_| true).unwrap();
    assert_eq!(warm.reused_tokens, prefix_len, "{warm:?}");
    // ... and gives exactly what a cold cache gives.
    e.clear_cache();
    let cold_other = e.generate(&other, &mut |_| true).unwrap();
    assert_eq!(warm.text, cold_other.text);

    // A different prefix in between, then back: the saved prefix KV is restored.
    let third = request("You answer in one word.", "Name a colour.", &e);
    e.generate(&third, &mut |_| true).unwrap();
    let back = e.generate(&other, &mut |_| true).unwrap();
    assert_eq!(back.reused_tokens, prefix_len, "{back:?}");
    assert_eq!(back.text, cold_other.text);
}

#[test]
fn streaming_stop_strings_and_cancellation() {
    let mut e = engine().lock().unwrap_or_else(|p| p.into_inner());
    let mut req = request(
        "You are a helpful assistant.",
        "Count from one to ten in words, separated by commas.",
        &e,
    );
    req.max_tokens = 40;
    let mut streamed = String::new();
    let full = e
        .generate(&req, &mut |p| {
            streamed.push_str(p);
            true
        })
        .unwrap();
    assert_eq!(streamed, full.text);

    // A stop string taken from the middle of the unconstrained reply.
    let mut k = full.text.len() / 2;
    while !full.text.is_char_boundary(k) {
        k += 1;
    }
    let stop: String = full.text[k..].chars().take(3).collect();
    assert_eq!(stop.chars().count(), 3, "{:?}", full.text);
    let expected = &full.text[..full.text.find(&stop).unwrap()];
    req.stop = vec![stop.clone()];
    let mut streamed = String::new();
    let stopped = e
        .generate(&req, &mut |p| {
            streamed.push_str(p);
            true
        })
        .unwrap();
    assert_eq!(stopped.stop, StopReason::StopString);
    assert_eq!(stopped.text, expected);
    assert_eq!(streamed, stopped.text);

    // The callback saying no, and the flag, both stop at once.
    req.stop.clear();
    let mut calls = 0;
    let cancelled = e
        .generate(&req, &mut |_| {
            calls += 1;
            false
        })
        .unwrap();
    assert_eq!(cancelled.stop, StopReason::Cancelled);
    assert_eq!(calls, 1);
    let flag = CancelFlag::default();
    flag.cancel();
    req.cancel = flag;
    let flagged = e.generate(&req, &mut |_| true).unwrap();
    assert_eq!(flagged.stop, StopReason::Cancelled);
    assert_eq!(flagged.generated_tokens, 0);
}

#[test]
fn sampled_generation_is_reproducible_with_a_seed() {
    let mut e = engine().lock().unwrap_or_else(|p| p.into_inner());
    let mut req = request("You are creative.", "Write a short slogan for a CRM.", &e);
    req.sampling = SamplingParams {
        temperature: 0.8,
        seed: 11,
        ..Default::default()
    };
    let a = e.generate(&req, &mut |_| true).unwrap();
    let b = e.generate(&req, &mut |_| true).unwrap();
    assert_eq!(a.text, b.text);
}
