//! Whisper decoding of one 30 s window, greedy or sampled at a temperature (for fallback):
//! timestamp rules (pairs, monotonic, initial limit, timestamp-vs-text probability), suppressed
//! tokens, a token cap, a no-speech probability, and a repetition guard that cuts loops.

use candle_core::{D, IndexOp, Tensor};
use candle_nn::ops::{log_softmax, softmax_last_dim};
use candle_transformers::models::whisper::model::Whisper;

use super::tokens::SpecialTokens;
use crate::InferenceError;
use crate::asr::guards::repetition_cut;

/// Per-window decoding limits.
#[derive(Clone, Debug)]
pub struct DecodeOptions {
    /// Most tokens sampled in this window.
    pub max_tokens: usize,
    /// Audio length in the window (timestamps beyond it are suppressed).
    pub audio_ms: u64,
    /// Latest first timestamp, in seconds.
    pub max_initial_timestamp_s: f32,
    /// 0 = greedy; above, tokens are sampled from softmax(logits / temperature).
    pub temperature: f32,
    /// Seed of the sampler (same seed, same audio: same text).
    pub seed: u64,
}

/// Raw result of one window.
#[derive(Clone, Debug, Default)]
pub struct Decoded {
    /// Sampled tokens after the prompt (text and timestamps, without EOT).
    pub tokens: Vec<u32>,
    /// Log-probability of each of `tokens`.
    pub logprobs: Vec<f32>,
    pub sum_logprob: f32,
    pub no_speech_prob: f32,
    /// The guard cut a repetition loop.
    pub looped: bool,
}

/// Decodes one window. `prompt` is the previous-text prompt (if any) followed by the SOT
/// sequence; `suppress` holds token ids never sampled.
pub fn decode(
    model: &mut Whisper,
    features: &Tensor,
    prompt: &[u32],
    sp: &SpecialTokens,
    suppress: &[u32],
    suppress_begin: &[u32],
    opts: &DecodeOptions,
) -> Result<Decoded, InferenceError> {
    let device = features.device().clone();
    let mut tokens = prompt.to_vec();
    let mut out = Decoded::default();
    let vocab = model.config.vocab_size;
    let ts_begin = sp.timestamp_begin as usize;
    let max_ts = ts_begin + (opts.audio_ms / 20) as usize;
    let max_initial = ts_begin + (opts.max_initial_timestamp_s * 50.0) as usize;
    // The no-speech probability is read at the start-of-transcript position.
    let sot_at = prompt.iter().position(|&t| t == sp.sot).unwrap_or(0);
    let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(opts.seed);

    for step in 0..opts.max_tokens {
        let input = Tensor::new(tokens.as_slice(), &device)?.unsqueeze(0)?;
        let ys = model.decoder.forward(&input, features, step == 0)?;
        if let (0, Some(ns)) = (step, sp.no_speech) {
            let first = model
                .decoder
                .final_linear(&ys.i((..1, sot_at..sot_at + 1))?)?
                .i(0)?
                .i(0)?;
            out.no_speech_prob = softmax_last_dim(&first)?
                .i(ns as usize)?
                .to_scalar::<f32>()?;
        }
        let seq = ys.dim(1)?;
        let logits = model
            .decoder
            .final_linear(&ys.i((..1, seq - 1..))?)?
            .i(0)?
            .i(0)?;
        let mut l: Vec<f32> = logits.to_vec1()?;
        l.truncate(vocab);

        for &s in suppress {
            if let Some(v) = l.get_mut(s as usize) {
                *v = f32::NEG_INFINITY;
            }
        }
        // Every control token except EOT and timestamps.
        l[sp.eot as usize + 1..ts_begin]
            .iter_mut()
            .for_each(|v| *v = f32::NEG_INFINITY);
        let sampled = &tokens[prompt.len()..];
        apply_timestamp_rules(
            &mut l,
            sampled,
            sp,
            ts_begin,
            max_ts,
            max_initial,
            suppress_begin,
        );

        let logp =
            log_softmax(&Tensor::new(l.as_slice(), &device)?, D::Minus1)?.to_vec1::<f32>()?;
        let next = if opts.temperature > 0.0 {
            sample(&l, opts.temperature, &mut rng)
        } else {
            argmax(&l)
        };
        if std::env::var_os("WHISPER_DEBUG").is_some() {
            eprintln!(
                "step {step} sampled {:?} next {next} logit {}",
                &tokens[prompt.len()..],
                l[next]
            );
        }
        if next == sp.eot as usize {
            break;
        }
        out.sum_logprob += logp[next];
        out.logprobs.push(logp[next]);
        tokens.push(next as u32);
        if let Some(cut) = repetition_cut(&tokens[prompt.len()..], ts_begin as u32) {
            tokens.truncate(prompt.len() + cut);
            out.logprobs.truncate(cut);
            out.looped = true;
            break;
        }
    }
    out.tokens = tokens[prompt.len()..].to_vec();
    Ok(out)
}

/// Draws a token from softmax(l / temperature).
fn sample(l: &[f32], temperature: f32, rng: &mut impl rand::Rng) -> usize {
    let max = l.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    if !max.is_finite() {
        return argmax(l);
    }
    let weights: Vec<f32> = l.iter().map(|v| ((v - max) / temperature).exp()).collect();
    let total: f32 = weights.iter().sum();
    let mut x = rng.random::<f32>() * total;
    for (i, w) in weights.iter().enumerate() {
        if x < *w {
            return i;
        }
        x -= w;
    }
    argmax(l)
}

fn argmax(l: &[f32]) -> usize {
    let mut best = 0;
    for (i, v) in l.iter().enumerate() {
        if *v > l[best] {
            best = i;
        }
    }
    best
}

fn apply_timestamp_rules(
    l: &mut [f32],
    sampled: &[u32],
    sp: &SpecialTokens,
    ts_begin: usize,
    max_ts: usize,
    max_initial: usize,
    suppress_begin: &[u32],
) {
    let is_ts = |t: u32| t as usize >= ts_begin;
    let neg = f32::NEG_INFINITY;
    if sampled.is_empty() {
        // The first sampled token is a timestamp no later than the initial limit.
        for &s in suppress_begin {
            if let Some(v) = l.get_mut(s as usize) {
                *v = neg;
            }
        }
        l[..ts_begin].iter_mut().for_each(|v| *v = neg);
        l.iter_mut().skip(max_initial + 1).for_each(|v| *v = neg);
        return;
    }
    let last_ts = sampled.last().is_some_and(|&t| is_ts(t));
    let penult_ts = sampled.len() < 2 || is_ts(sampled[sampled.len() - 2]);
    if last_ts {
        if penult_ts {
            l[ts_begin..].iter_mut().for_each(|v| *v = neg);
        } else {
            l[..sp.eot as usize].iter_mut().for_each(|v| *v = neg);
        }
    }
    // Timestamps never go backwards (and a closing one is later than its opening one).
    if let Some(&prev) = sampled.iter().rev().find(|&&t| is_ts(t)) {
        let floor = if last_ts && !penult_ts {
            prev as usize
        } else {
            prev as usize + 1
        };
        let end = floor.min(l.len());
        l[ts_begin..end].iter_mut().for_each(|v| *v = neg);
    }
    // Nothing after the end of the audio.
    if max_ts + 1 < l.len() {
        l[max_ts + 1..].iter_mut().for_each(|v| *v = neg);
    }
    // If a timestamp is likelier than any single text token, force one.
    let max = l.iter().copied().fold(neg, f32::max);
    if max.is_finite() {
        let sum_exp = |s: &[f32]| s.iter().map(|v| (v - max).exp()).sum::<f32>();
        let ts_mass = sum_exp(&l[ts_begin..]);
        let text_max = l[..ts_begin].iter().copied().fold(neg, f32::max);
        if ts_mass > 0.0 && ts_mass.ln() + max > text_max {
            l[..ts_begin].iter_mut().for_each(|v| *v = neg);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{argmax, repetition_cut, sample};

    #[test]
    fn sampling_follows_the_distribution_and_never_picks_suppressed_tokens() {
        let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(7);
        let l = [2.0f32, 1.0, f32::NEG_INFINITY, 0.0];
        let mut counts = [0usize; 4];
        for _ in 0..4000 {
            counts[sample(&l, 1.0, &mut rng)] += 1;
        }
        assert_eq!(counts[2], 0);
        assert!(counts[0] > counts[1] && counts[1] > counts[3], "{counts:?}");
        // A very low temperature is (almost) greedy.
        assert_eq!(sample(&l, 1e-4, &mut rng), argmax(&l));
    }

    #[test]
    fn cuts_loops_and_keeps_normal_text() {
        assert_eq!(repetition_cut(&[1, 2, 3, 4, 5], 100), None);
        assert_eq!(repetition_cut(&[9, 1, 2, 1, 2, 1, 2], 100), Some(3));
        assert_eq!(repetition_cut(&[7, 7, 7, 7, 7, 7], 100), Some(1));
        // Timestamps between repeats do not hide the loop.
        assert_eq!(repetition_cut(&[1, 2, 150, 1, 2, 151, 1, 2], 100), Some(3));
    }
}
