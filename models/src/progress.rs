//! Progress bars for `pull` (indicatif on stderr), or hidden bars when progress is off.

use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

/// Makes the bars for one pull; every bar is hidden when progress is disabled.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Progress {
    enabled: bool,
}

impl Progress {
    pub(crate) fn new(enabled: bool) -> Self {
        Self { enabled }
    }

    /// A spinner for a step whose size is unknown (a download run by pip or apt).
    pub(crate) fn spinner(&self, msg: String) -> ProgressBar {
        if !self.enabled {
            return ProgressBar::hidden();
        }
        let pb = ProgressBar::new_spinner();
        pb.set_style(
            ProgressStyle::with_template("{spinner} {msg} [{elapsed}]").expect("valid template"),
        );
        pb.set_message(msg);
        pb.enable_steady_tick(Duration::from_millis(120));
        pb
    }

    /// A bar counting bytes (hashing, unpacking).
    pub(crate) fn bytes(&self, msg: String, total: u64) -> ProgressBar {
        self.bar(
            msg,
            total,
            "{msg:40} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec}",
        )
    }

    /// A bar counting items (tensors converted).
    pub(crate) fn items(&self, msg: String, total: u64) -> ProgressBar {
        self.bar(msg, total, "{msg:40} [{bar:30}] {pos}/{len}")
    }

    fn bar(&self, msg: String, total: u64, template: &str) -> ProgressBar {
        if !self.enabled {
            return ProgressBar::hidden();
        }
        let pb = ProgressBar::new(total);
        pb.set_style(
            ProgressStyle::with_template(template)
                .expect("valid template")
                .progress_chars("=> "),
        );
        pb.set_message(msg);
        pb
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disabled_bars_are_hidden() {
        let p = Progress::new(false);
        assert!(p.spinner("x".into()).is_hidden());
        assert!(p.bytes("x".into(), 10).is_hidden());
        assert!(p.items("x".into(), 10).is_hidden());
    }
}
