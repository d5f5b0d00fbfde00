//! Choosing the next token from logits: repetition penalty over a recent window, then greedy
//! (temperature 0) or temperature + top-k + top-p sampling from a seeded generator, so the
//! same request gives the same text.

use rand::{Rng, SeedableRng, rngs::StdRng};

/// Sampling settings of one generation.
#[derive(Clone, Debug, PartialEq)]
pub struct SamplingParams {
    /// 0 picks the most likely token every time.
    pub temperature: f32,
    /// Keep the smallest set of tokens whose probabilities add up to this.
    pub top_p: f32,
    /// Keep at most this many candidates before top-p (0 = no limit beyond 256).
    pub top_k: usize,
    /// >1 makes tokens seen in the last `repeat_last_n` less likely (1 = off).
    pub repetition_penalty: f32,
    pub repeat_last_n: usize,
    pub seed: u64,
}

impl Default for SamplingParams {
    fn default() -> Self {
        Self {
            temperature: 0.0,
            top_p: 0.9,
            top_k: 40,
            repetition_penalty: 1.1,
            repeat_last_n: 64,
            seed: 42,
        }
    }
}

/// A sampler with its random state.
#[derive(Debug)]
pub(crate) struct Sampler {
    params: SamplingParams,
    rng: StdRng,
}

impl Sampler {
    pub(crate) fn new(params: SamplingParams) -> Self {
        let rng = StdRng::seed_from_u64(params.seed);
        Self { params, rng }
    }

    /// The next token given `logits` and the tokens so far (`history`, prompt included).
    pub(crate) fn sample(&mut self, logits: &mut [f32], history: &[u32]) -> u32 {
        let p = &self.params;
        if p.repetition_penalty != 1.0 && p.repetition_penalty > 0.0 {
            let start = history.len().saturating_sub(p.repeat_last_n);
            let mut seen = history[start..].to_vec();
            seen.sort_unstable();
            seen.dedup();
            for t in seen {
                if let Some(l) = logits.get_mut(t as usize) {
                    *l = if *l > 0.0 {
                        *l / p.repetition_penalty
                    } else {
                        *l * p.repetition_penalty
                    };
                }
            }
        }
        if p.temperature <= 0.0 {
            return argmax(logits);
        }
        let k = match p.top_k {
            0 => 256,
            k => k,
        }
        .min(logits.len());
        let mut idx: Vec<u32> = (0..logits.len() as u32).collect();
        if k < idx.len() {
            idx.select_nth_unstable_by(k - 1, |a, b| {
                logits[*b as usize].total_cmp(&logits[*a as usize])
            });
            idx.truncate(k);
        }
        idx.sort_unstable_by(|a, b| logits[*b as usize].total_cmp(&logits[*a as usize]));
        let max = logits[idx[0] as usize];
        let mut probs: Vec<f32> = idx
            .iter()
            .map(|&i| ((logits[i as usize] - max) / p.temperature).exp())
            .collect();
        let sum: f32 = probs.iter().sum();
        let mut cum = 0.0;
        let mut keep = probs.len();
        for (n, pr) in probs.iter_mut().enumerate() {
            *pr /= sum;
            cum += *pr;
            if cum >= p.top_p {
                keep = n + 1;
                break;
            }
        }
        let total: f32 = probs[..keep].iter().sum();
        let mut r = self.rng.random::<f32>() * total;
        for (n, pr) in probs[..keep].iter().enumerate() {
            r -= pr;
            if r <= 0.0 {
                return idx[n];
            }
        }
        idx[keep - 1]
    }
}

pub(crate) fn argmax(logits: &[f32]) -> u32 {
    let mut best = 0;
    for (i, l) in logits.iter().enumerate() {
        if *l > logits[best] {
            best = i;
        }
    }
    best as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn greedy_takes_the_largest_and_penalty_can_change_it() {
        let mut s = Sampler::new(SamplingParams {
            repetition_penalty: 1.0,
            ..Default::default()
        });
        assert_eq!(s.sample(&mut [0.1, 2.0, 1.9], &[]), 1);
        let mut s = Sampler::new(SamplingParams {
            repetition_penalty: 1.5,
            ..Default::default()
        });
        assert_eq!(s.sample(&mut [0.1, 2.0, 1.9], &[1]), 2);
    }

    #[test]
    fn sampling_is_seeded_and_stays_in_top_p() {
        let params = SamplingParams {
            temperature: 1.0,
            top_p: 0.5,
            repetition_penalty: 1.0,
            ..Default::default()
        };
        let logits = [5.0, 4.9, -10.0, -10.0];
        let draw = |seed| {
            let mut s = Sampler::new(SamplingParams {
                seed,
                ..params.clone()
            });
            (0..50)
                .map(|_| s.sample(&mut logits.clone(), &[]))
                .collect::<Vec<_>>()
        };
        assert_eq!(draw(7), draw(7));
        assert!(draw(7).iter().all(|t| *t <= 1), "only the top tokens");
    }
}
