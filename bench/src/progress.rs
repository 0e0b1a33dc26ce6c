//! Progress bars on stderr, and only when stderr is a terminal: the table and
//! the JSON go to stdout, and a pipe or a log gets nothing but them.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::time::Duration;

pub struct Progress(ProgressBar);

impl Progress {
    /// A bar of `len` steps; hidden when stderr is not a terminal.
    pub fn new(len: u64) -> Progress {
        if !std::io::stderr().is_terminal() {
            return Progress(ProgressBar::hidden());
        }
        let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
        let style = ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} {wide_msg}",
        )
        .expect("the template is valid")
        .progress_chars("=> ");
        bar.set_style(style);
        // The spinner moves while one long step (a run of 10,000 threads) has
        // nothing new to count.
        bar.enable_steady_tick(Duration::from_millis(120));
        Progress(bar)
    }

    pub fn say(&self, message: impl Into<String>) {
        self.0.set_message(message.into());
    }

    pub fn step(&self) {
        self.0.inc(1);
    }

    /// Starts over with a new length, for the next phase of a run.
    pub fn restart(&self, len: u64) {
        self.0.set_length(len);
        self.0.set_position(0);
    }

    /// A counter on the same bar, for the echo clients' tasks.
    pub fn counter(&self) -> Counter {
        Counter(self.0.clone())
    }
}

impl Drop for Progress {
    /// Takes the bar off the screen, so that what follows on stdout does not
    /// share a line with it.
    fn drop(&mut self) {
        self.0.finish_and_clear();
    }
}

/// Counts steps on a bar that a `Progress` owns.
#[derive(Clone)]
pub struct Counter(ProgressBar);

impl Counter {
    pub fn step(&self) {
        self.0.inc(1);
    }
}
