//! Prometheus text exposition format (version 0.0.4), written by hand.

use std::fmt::Write;
use std::sync::atomic::Ordering;

use super::histogram::{BUCKETS, Snapshot};
use super::registry::{CODE_NAMES, Registry, Stage};

/// The `Content-Type` of [`render`]'s output.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Values read from the server state at scrape time.
#[derive(Clone, Copy, Debug, Default)]
pub struct Gauges {
    pub calls_active: u64,
    pub calls_total: u64,
}

/// Renders every metric of `r` and `g`.
pub fn render(r: &Registry, g: Gauges) -> String {
    let mut out = String::with_capacity(8 * 1024);
    header(
        &mut out,
        "callassist_stage_seconds",
        "histogram",
        "Latency of each call-path stage, in seconds.",
    );
    for stage in Stage::ALL {
        histogram(
            &mut out,
            "callassist_stage_seconds",
            &format!("stage=\"{}\"", stage.label()),
            &r.stage(stage).snapshot(),
        );
    }
    single(
        &mut out,
        "callassist_calls_active",
        "gauge",
        "Calls in progress.",
        g.calls_active,
    );
    single(
        &mut out,
        "callassist_calls_total",
        "counter",
        "Calls admitted since the server started.",
        g.calls_total,
    );
    single(
        &mut out,
        "callassist_frames_total",
        "counter",
        "Audio frames accepted.",
        r.frames.load(Ordering::Relaxed),
    );
    single(
        &mut out,
        "callassist_frames_dropped_total",
        "counter",
        "Audio frames dropped (out of order or repeated sequence number).",
        r.frames_dropped.load(Ordering::Relaxed),
    );
    header(
        &mut out,
        "callassist_errors_total",
        "counter",
        "Errors sent to call clients (statuses and error events), by gRPC code.",
    );
    for (i, name) in CODE_NAMES.iter().enumerate().skip(1) {
        let v = r.errors[i].load(Ordering::Relaxed);
        let _ = writeln!(out, "callassist_errors_total{{code=\"{name}\"}} {v}");
    }
    single(
        &mut out,
        "callassist_suggestions_blocked_total",
        "counter",
        "Generated suggestions withheld by the compliance guard.",
        r.suggestions_blocked.load(Ordering::Relaxed),
    );
    out
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

fn single(out: &mut String, name: &str, kind: &str, help: &str, v: u64) {
    header(out, name, kind, help);
    let _ = writeln!(out, "{name} {v}");
}

fn histogram(out: &mut String, name: &str, labels: &str, s: &Snapshot) {
    for (le, n) in BUCKETS.iter().zip(&s.cumulative) {
        let _ = writeln!(out, "{name}_bucket{{{labels},le=\"{le}\"}} {n}");
    }
    let _ = writeln!(out, "{name}_bucket{{{labels},le=\"+Inf\"}} {}", s.count);
    let _ = writeln!(out, "{name}_sum{{{labels}}} {}", s.sum_secs);
    let _ = writeln!(out, "{name}_count{{{labels}}} {}", s.count);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn exposition_is_well_formed() {
        let r = Registry::new();
        r.stage(Stage::Rules).observe(Duration::from_micros(300));
        r.stage(Stage::Rules).observe(Duration::from_millis(30));
        r.stage(Stage::LlmFirstToken).observe_secs(20.0);
        r.errors[tonic::Code::InvalidArgument as usize].store(2, Ordering::Relaxed);
        let text = render(
            &r,
            Gauges {
                calls_active: 1,
                calls_total: 3,
            },
        );
        for line in text.lines() {
            if line.starts_with('#') {
                assert!(
                    line.starts_with("# HELP callassist_")
                        || line.starts_with("# TYPE callassist_"),
                    "{line}"
                );
                continue;
            }
            let (series, value) = line.rsplit_once(' ').expect(line);
            assert!(value.parse::<f64>().is_ok(), "{line}");
            assert!(series.starts_with("callassist_"), "{line}");
            assert_eq!(
                series.matches('{').count(),
                series.matches('}').count(),
                "{line}"
            );
        }
        assert!(text.contains("# TYPE callassist_stage_seconds histogram\n"));
        assert!(text.contains("callassist_stage_seconds_bucket{stage=\"rules\",le=\"0.001\"} 1\n"));
        assert!(text.contains("callassist_stage_seconds_bucket{stage=\"rules\",le=\"0.025\"} 1\n"));
        assert!(text.contains("callassist_stage_seconds_bucket{stage=\"rules\",le=\"0.05\"} 2\n"));
        assert!(text.contains("callassist_stage_seconds_bucket{stage=\"rules\",le=\"+Inf\"} 2\n"));
        assert!(text.contains("callassist_stage_seconds_count{stage=\"rules\"} 2\n"));
        assert!(
            text.contains(
                "callassist_stage_seconds_bucket{stage=\"llm_first_token\",le=\"10\"} 0\n"
            )
        );
        assert!(text.contains(
            "callassist_stage_seconds_bucket{stage=\"llm_first_token\",le=\"+Inf\"} 1\n"
        ));
        assert!(text.contains("callassist_stage_seconds_count{stage=\"decode\"} 0\n"));
        assert!(text.contains("callassist_calls_active 1\n"));
        assert!(text.contains("callassist_calls_total 3\n"));
        assert!(text.contains("callassist_errors_total{code=\"INVALID_ARGUMENT\"} 2\n"));
        assert!(!text.contains("code=\"OK\""));
        // One TYPE line per metric family.
        assert_eq!(text.matches("# TYPE ").count(), 7);
    }
}
