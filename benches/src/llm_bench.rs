//! The local LLM against llama.cpp on the same GGUF, same prompt tokens, same thread count,
//! in one run: prompt-processing and generation tokens/s and their ratios; generation speed
//! alone and with Whisper decoding on another thread; and the time from a suggestion trigger
//! to the first token with the system prompt and tenant context already cached.
//!
//! Usage: `cargo run --release -p callassist-benches --bin llm-bench -- [--models
//! smollm2,qwen] [--prompt-tokens 256] [--gen-tokens 64] [--reps 3] [--triggers 20]
//! [--llama-python PATH] [--prompt-weights f32|f16|quantized]`. llama.cpp runs through `llama-cpp-python` with the interpreter given
//! by `--llama-python` (skipped, and said so, when it cannot be imported). Threads: our engine
//! uses CANDLE_NUM_THREADS / RAYON_NUM_THREADS (default: the machine's cores); llama.cpp gets
//! `--threads` (default 2).

mod flags;

use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Context;
use callassist_inference::asr::whisper::WhisperRecognizer;
use callassist_inference::asr::{AsrRequest, Recognizer};
use callassist_inference::llm::{
    ChatMessage, GenRequest, LlmEngine, LlmOptions, PromptWeights, SamplingParams,
};
use callassist_models::{Asset, ModelHome};

const TEXT: &str = "Customer: We looked at your platform last quarter, but honestly the price \
is above what we budgeted, and our current vendor already covers reporting and dashboards. \
Agent: I understand. Many teams in logistics told us the same before the pilot; after eight \
weeks they cut manual reconciliation by a third. Customer: That sounds good, but I need to \
check with our finance director before we commit to anything, and the security review alone \
takes a month. Agent: Of course. We can share the SOC 2 report today and propose a pilot \
scoped to one warehouse, so the decision is small and reversible. ";

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn percentile(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    let i = ((v.len() as f64 - 1.0) * p).round() as usize;
    v[i.min(v.len() - 1)]
}

struct Ours {
    pp: f64,
    tg: f64,
}

fn measure(e: &mut LlmEngine, tokens: &[u32], n_gen: usize, reps: usize) -> anyhow::Result<Ours> {
    let mut pp = Vec::new();
    let mut tg = Vec::new();
    for round in 0..=reps {
        let pp_ms = e.process_prompt_uncached(tokens)?;
        let tg_ms = e.generate_tokens(tokens[tokens.len() - 1], n_gen)?;
        if round > 0 {
            pp.push(tokens.len() as f64 / (pp_ms / 1000.0));
            tg.push(n_gen as f64 / (tg_ms / 1000.0));
        }
    }
    Ok(Ours {
        pp: median(&mut pp),
        tg: median(&mut tg),
    })
}

fn llama_cpp(
    python: &str,
    model: &std::path::Path,
    tokens: &[u32],
    n_gen: usize,
    threads: usize,
    reps: usize,
) -> anyhow::Result<Option<(f64, f64, String)>> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/llm/llama_cpp_bench.py");
    let tokens_file = std::env::temp_dir().join(format!("llm-bench-{}.json", std::process::id()));
    std::fs::write(&tokens_file, format!("{tokens:?}"))?;
    let out = Command::new(python)
        .arg(script)
        .arg(model)
        .arg(&tokens_file)
        .args([n_gen.to_string(), threads.to_string(), reps.to_string()])
        .output();
    let _ = std::fs::remove_file(&tokens_file);
    let out = match out {
        Ok(o) if o.status.success() => o,
        Ok(o) => {
            eprintln!(
                "llama.cpp run skipped: {}",
                String::from_utf8_lossy(&o.stderr)
                    .lines()
                    .last()
                    .unwrap_or("")
            );
            return Ok(None);
        }
        Err(e) => {
            eprintln!("llama.cpp run skipped: {python}: {e}");
            return Ok(None);
        }
    };
    let line = String::from_utf8_lossy(&out.stdout);
    let v: serde_json::Value = serde_json::from_str(line.trim()).context("llama.cpp output")?;
    Ok(Some((
        v["pp_tok_s"].as_f64().unwrap_or(0.0),
        v["tg_tok_s"].as_f64().unwrap_or(0.0),
        v["version"].as_str().unwrap_or("?").to_string(),
    )))
}

/// Generation tokens/s while another thread decodes jfk.wav with Whisper tiny.en in a loop.
fn tg_with_asr(e: &mut LlmEngine, tokens: &[u32], n_gen: usize) -> anyhow::Result<(f64, usize)> {
    let home = ModelHome::from_env();
    let files = callassist_models::whisper_files(&home, Asset::WhisperTinyEn)?;
    let wav = callassist_models::jfk_wav(&home)?;
    let bytes = std::fs::read(&wav)?;
    let samples: Vec<f32> = bytes[44..]
        .chunks_exact(2)
        .map(|b| i16::from_le_bytes([b[0], b[1]]) as f32 / 32768.0)
        .collect();
    let stop = Arc::new(AtomicBool::new(false));
    let started = Arc::new(AtomicBool::new(false));
    let asr = {
        let (stop, started) = (stop.clone(), started.clone());
        std::thread::spawn(move || -> anyhow::Result<usize> {
            let mut rec = WhisperRecognizer::load(&files)?;
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                started.store(true, Ordering::Relaxed);
                rec.transcribe(&AsrRequest {
                    samples: samples.clone(),
                    language: Some("en".into()),
                    partial: false,
                    ..Default::default()
                })?;
                n += 1;
            }
            Ok(n)
        })
    };
    while !started.load(Ordering::Relaxed) {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    e.process_prompt_uncached(tokens)?;
    let ms = e.generate_tokens(tokens[tokens.len() - 1], n_gen)?;
    stop.store(true, Ordering::Relaxed);
    let decodes = asr
        .join()
        .map_err(|_| anyhow::anyhow!("asr thread panicked"))??;
    Ok((n_gen as f64 / (ms / 1000.0), decodes))
}

/// Trigger -> first token, with the system prompt and tenant context cached: each request
/// differs in the customer's words and the retrieved passages.
fn first_token(e: &mut LlmEngine, triggers: usize) -> anyhow::Result<(f64, f64, f64)> {
    let system = "You help a sales agent during a live call. Answer with one or two sentences \
the agent can say next, grounded only in the passages given, citing them as [1], [2].";
    let context = "Tenant: Acme Cloud. Products: Acme Analytics (dashboards, reconciliation), \
Acme Pilot (8-week scoped pilot). Never promise guaranteed results or discounts above 10%.";
    let objections = [
        "Honestly this is way over our budget for this year.",
        "We already use another vendor for reporting.",
        "I need to talk to our finance director first.",
        "The security review will take forever.",
        "Can you guarantee we will save money?",
    ];
    let prefix = e.chat_prompt(
        &[ChatMessage::system(format!("{system}\n{context}"))],
        false,
    )?;
    let mut firsts = Vec::new();
    let mut new_tokens = Vec::new();
    for i in 0..=triggers {
        let user = format!(
            "Customer said: \"{}\"\nPassages:\n[1] Pilot customers in logistics cut manual \
reconciliation by a third in eight weeks (case {i}).\n[2] The pilot is scoped to one site and \
can be stopped at any time.\nSuggest what the agent says next.",
            objections[i % objections.len()]
        );
        let full = e.chat_prompt(
            &[
                ChatMessage::system(format!("{system}\n{context}")),
                ChatMessage::user(user),
            ],
            true,
        )?;
        let req = GenRequest {
            prompt: full[prefix.len()..].to_string(),
            prefix: prefix.clone(),
            max_tokens: 1,
            sampling: SamplingParams::default(),
            ..Default::default()
        };
        let g = e.generate(&req, &mut |_| true)?;
        if i > 0 {
            firsts.push(g.first_token_ms);
            new_tokens.push((g.prompt_tokens - g.reused_tokens) as f64);
        }
    }
    let p50 = percentile(&mut firsts.clone(), 0.5);
    let p95 = percentile(&mut firsts, 0.95);
    Ok((p50, p95, median(&mut new_tokens)))
}

fn main() -> anyhow::Result<()> {
    let arg = flags::flag;
    let models = arg("--models").unwrap_or_else(|| "smollm2,qwen".into());
    let n_prompt: usize = arg("--prompt-tokens").map_or(Ok(256), |s| s.parse())?;
    let n_gen: usize = arg("--gen-tokens").map_or(Ok(64), |s| s.parse())?;
    let reps: usize = arg("--reps").map_or(Ok(3), |s| s.parse())?;
    let triggers: usize = arg("--triggers").map_or(Ok(20), |s| s.parse())?;
    let threads: usize = arg("--threads").map_or(Ok(2), |s| s.parse())?;
    let python = arg("--llama-python").unwrap_or_else(|| "python3".into());
    let home = ModelHome::from_env();
    println!(
        "| model | prompt tok | ours pp tok/s | llama.cpp pp tok/s | pp ratio | ours tg tok/s | llama.cpp tg tok/s | tg ratio | ours tg with ASR | first token p50 / p95 ms (new tokens) |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for m in models.split(',') {
        let asset = match m.trim() {
            "smollm2" => Asset::LlmSmolLm2,
            "qwen" => Asset::LlmQwen05,
            other => anyhow::bail!("unknown model {other} (smollm2, qwen)"),
        };
        let path = callassist_models::llm_file(&home, asset)?;
        let opts = LlmOptions {
            prompt_weights: match arg("--prompt-weights").as_deref() {
                Some("quantized") => PromptWeights::Quantized,
                Some("f16") => PromptWeights::F16,
                _ => PromptWeights::F32,
            },
            ..Default::default()
        };
        let mut e = LlmEngine::load(&path, &opts)?;
        let mut tokens = Vec::new();
        while tokens.len() < n_prompt {
            tokens.extend(e.tokenizer().encode(TEXT)?);
        }
        tokens.truncate(n_prompt);
        let ours = measure(&mut e, &tokens, n_gen, reps)?;
        let (tg_asr, decodes) = tg_with_asr(&mut e, &tokens, n_gen)?;
        let (p50, p95, new) = first_token(&mut e, triggers)?;
        drop(e);
        let reference = llama_cpp(&python, &path, &tokens, n_gen, threads, reps)?;
        let (lpp, ltg, version) = match &reference {
            Some((pp, tg, v)) => (format!("{pp:.1}"), format!("{tg:.1}"), v.clone()),
            None => ("-".into(), "-".into(), "not run".into()),
        };
        let ratio = |a: f64, b: Option<f64>| b.map_or("-".into(), |b| format!("{:.2}x", a / b));
        println!(
            "| {} | {} | {:.1} | {lpp} | {} | {:.1} | {ltg} | {} | {:.1} ({} whisper decodes alongside) | {:.0} / {:.0} ({:.0}) |",
            asset.name(),
            tokens.len(),
            ours.pp,
            ratio(ours.pp, reference.as_ref().map(|r| r.0)),
            ours.tg,
            ratio(ours.tg, reference.as_ref().map(|r| r.1)),
            tg_asr,
            decodes,
            p50,
            p95,
            new,
        );
        eprintln!("llama-cpp-python {version}");
    }
    Ok(())
}
