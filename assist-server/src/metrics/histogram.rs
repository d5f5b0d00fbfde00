//! A lock-free latency histogram with fixed buckets in seconds.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds (seconds) of the latency buckets; `+Inf` comes after.
pub const BUCKETS: [f64; 13] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Observation counts per bucket (not cumulative; the last slot is over 10 s) and the sum.
#[derive(Debug)]
pub struct Histogram {
    slots: [AtomicU64; BUCKETS.len() + 1],
    sum_ns: AtomicU64,
}

/// A consistent-enough copy of a histogram for one scrape.
#[derive(Clone, Debug, PartialEq)]
pub struct Snapshot {
    /// Cumulative counts, one per bucket of [`BUCKETS`], then `+Inf` (= `count`).
    pub cumulative: Vec<u64>,
    pub count: u64,
    pub sum_secs: f64,
}

impl Histogram {
    pub const fn new() -> Self {
        Self {
            slots: [const { AtomicU64::new(0) }; BUCKETS.len() + 1],
            sum_ns: AtomicU64::new(0),
        }
    }

    pub fn observe(&self, d: Duration) {
        self.observe_secs(d.as_secs_f64());
    }

    /// Records `secs`; negative or NaN values count as 0.
    pub fn observe_secs(&self, secs: f64) {
        let secs = if secs.is_finite() && secs > 0.0 {
            secs
        } else {
            0.0
        };
        let slot = BUCKETS
            .iter()
            .position(|&le| secs <= le)
            .unwrap_or(BUCKETS.len());
        self.slots[slot].fetch_add(1, Ordering::Relaxed);
        // Saturating cast: an hour-long observation is still fine in u64 ns.
        self.sum_ns
            .fetch_add((secs * 1e9) as u64, Ordering::Relaxed);
    }

    /// `+Inf` and `_count` come from the same loads, so they always agree.
    pub fn snapshot(&self) -> Snapshot {
        let mut cumulative = Vec::with_capacity(self.slots.len());
        let mut total = 0u64;
        for s in &self.slots {
            total += s.load(Ordering::Relaxed);
            cumulative.push(total);
        }
        Snapshot {
            cumulative,
            count: total,
            sum_secs: self.sum_ns.load(Ordering::Relaxed) as f64 / 1e9,
        }
    }
}

impl Default for Histogram {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_cumulative_and_inf_is_count() {
        let h = Histogram::new();
        h.observe_secs(0.0005);
        h.observe_secs(0.001);
        h.observe_secs(0.3);
        h.observe_secs(42.0);
        h.observe_secs(f64::NAN);
        let s = h.snapshot();
        assert_eq!(s.count, 5);
        assert_eq!(s.cumulative[0], 3, "0.0005, 0.001 and NaN->0 are <= 1 ms");
        assert_eq!(s.cumulative[7], 3, "0.3 is over 0.25");
        assert_eq!(s.cumulative[8], 4);
        assert_eq!(s.cumulative[12], 4, "42 s is over 10 s");
        assert_eq!(*s.cumulative.last().unwrap(), 5);
        assert!((s.sum_secs - 42.3015).abs() < 1e-6, "{}", s.sum_secs);
    }
}
