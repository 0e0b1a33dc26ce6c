//! Running the student's programs, and talking to them.
//!
//! - `process`: a child in a group of its own, killed whole however a check
//!   ends; its exit status and CPU time.
//! - `output`: what a child prints, drained as it comes, kept within a bound.
//! - `client`: a TCP client for the echo servers, as `nc` would be.
//! - `threads`: how many OS threads a process has.
//! - `watchdog`, `orphans`: what is left of a child if the grader dies, or
//!   if the child escapes its group.
//!
//! Every wait has a deadline ([`deadline`]); it only turns a hang into a
//! clear failure: no check measures speed.

pub mod client;
pub mod output;
pub mod process;
pub mod sandbox;
pub mod threads;

mod orphans;
#[cfg(unix)]
mod watchdog;

pub use output::{Bound, Capture, Captured, Lines};
pub use process::{End, Process, StartError, describe};

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

/// How long one awaited event (an echo, a log line, a short run) may take
/// before the check fails. A correct step needs a tiny fraction of it, even
/// on a loaded machine. `GRADER_TIMEOUT=<seconds>` changes it.
pub fn deadline() -> Duration {
    let secs = std::env::var("GRADER_TIMEOUT")
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s > 0.0)
        .unwrap_or(5.0);
    Duration::from_secs_f64(secs)
}

/// How long a whole long run (a thousand molecules, a thousand tasks) may take.
pub fn run_deadline() -> Duration {
    deadline() * 4
}

/// How long a stream may stay open once its process was killed: only a
/// process that escaped the grader could hold it open longer.
const DRAIN: Duration = Duration::from_secs(1);

/// A program run to its end, or stopped at its deadline.
#[derive(Debug)]
pub struct Run {
    /// How it ended; `None` if it was still running at the deadline and was killed.
    pub end: Option<End>,
    pub stdout: Captured,
    pub stderr: Captured,
}

impl Run {
    pub fn timed_out(&self) -> bool {
        self.end.is_none()
    }
}

/// Runs `exe args...` with no input, up to `limit`, keeping what it prints
/// within `bound` (each stream); kills it, and its group, if it hangs.
pub fn run(exe: &Path, args: &[&str], limit: Duration, bound: Bound) -> Result<Run, StartError> {
    let mut cmd = Command::new(exe);
    cmd.args(args);
    run_command(cmd, &name_of(exe), limit, bound)
}

/// As [`run`], for a command already set up (its environment, its directory).
pub fn run_command(
    mut cmd: Command,
    what: &str,
    limit: Duration,
    bound: Bound,
) -> Result<Run, StartError> {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env("RUST_BACKTRACE", "0");
    let mut process = Process::start(cmd, what)?;
    let stdout = Capture::follow(process.take_stdout().expect("stdout is piped"), bound);
    let stderr = Capture::follow(process.take_stderr().expect("stderr is piped"), bound);
    let end = process.wait(limit);
    // The group dies here, if it still runs, so that its pipes close.
    drop(process);
    Ok(Run {
        end,
        stdout: stdout.finish(DRAIN),
        stderr: stderr.finish(DRAIN),
    })
}

/// A program started in the background with its stderr followed line by
/// line (a server, say); killed with its group when dropped.
pub struct Background {
    pub process: Process,
    pub stderr: Arc<Lines>,
}

impl Background {
    /// Starts `exe args...` with no input and stdout discarded, counting the
    /// lines of its stderr that start with each of `watch`.
    pub fn start(
        exe: &Path,
        args: &[&str],
        watch: &[&'static str],
        on_line: Option<output::OnLine>,
    ) -> Result<Background, StartError> {
        let mut cmd = Command::new(exe);
        cmd.args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .env("RUST_BACKTRACE", "0");
        let mut process = Process::start(cmd, &name_of(exe))?;
        let stderr = Lines::follow(
            process.take_stderr().expect("stderr is piped"),
            watch,
            on_line,
        );
        Ok(Background { process, stderr })
    }
}

impl Background {
    /// All it printed on stderr, as far as it was kept: it is killed, with
    /// its group, and its stream read to the end, so that nothing it wrote
    /// before (a panic's message, say) is still on its way.
    pub fn last_words(&mut self) -> String {
        self.process.kill();
        let _ = self.stderr.wait_until(DRAIN, |s| s.closed.then_some(()));
        self.stderr.text()
    }
}

fn name_of(exe: &Path) -> String {
    exe.file_name()
        .unwrap_or(exe.as_os_str())
        .to_string_lossy()
        .into_owned()
}

/// The panic lines of a child's stderr, if it panicked, for a failure message.
pub fn panics(stderr: &str) -> Option<String> {
    let lines: Vec<&str> = stderr.lines().collect();
    let shown: Vec<&str> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.contains("panicked at"))
        .flat_map(|(i, _)| lines.iter().skip(i).take(2).copied())
        .collect();
    (!shown.is_empty()).then(|| crate::failure::tail(&shown.join("\n"), 6))
}
