//! Running the student's programs, and talking to them.
//!
//! - `process`: a child in a group of its own, killed whole however a check
//!   ends; its exit status and CPU time.
//! - `output`: what a child prints, drained as it comes, kept within a bound.
//! - `client`: a TCP client for the echo servers, as `nc` would be.
//! - `procfs`: what the kernel says of a process (its threads, its switches,
//!   its memory).
//! - `seccomp`: a step and all it starts kept in the step's session.
//! - `watchdog`, `orphans`: what is left of a child if the grader dies, or
//!   if the child escapes its group.
//! - `sandbox`, `handback`: a class's submission, confined, and its
//!   outcomes handed back where its steps cannot reach them.
//!
//! Every wait has a deadline (the grading's settings say how long); it only
//! turns a hang into a clear failure: no check measures speed.

pub(crate) mod client;
#[cfg(unix)]
pub(crate) mod handback;
pub mod output;
pub mod process;
pub mod procfs;
pub mod sandbox;

mod orphans;
mod seccomp;
#[cfg(unix)]
mod watchdog;

pub use output::{Bound, Capture, Captured, Lines};
pub use process::{End, Process, describe};

use crate::error::Error;

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

/// A key no one can guess, for one run of a program the grader trusts
/// beside code it does not: 128 bits, in hex.
pub(crate) fn secret() -> String {
    use std::hash::{BuildHasher, Hasher};
    use std::io::Read;
    let mut bytes = [0u8; 16];
    let from_os = std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut bytes));
    if from_os.is_err() {
        // Each RandomState is seeded by the OS's own randomness.
        for half in bytes.chunks_mut(8) {
            let mut h = std::collections::hash_map::RandomState::new().build_hasher();
            h.write_u128(
                std::time::UNIX_EPOCH
                    .elapsed()
                    .unwrap_or_default()
                    .as_nanos(),
            );
            half.copy_from_slice(&h.finish().to_le_bytes());
        }
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Prepares `cmd`, a step or a harness around one, to run as the user the
/// steps run as, with nothing of the grader's environment but `PATH`: no
/// token or setting of the machine's reaches a step. Call it before giving
/// `cmd` an environment of its own.
pub(crate) fn as_step(cmd: &mut Command, user: Option<u32>) {
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        let path = std::env::var_os("PATH");
        cmd.env_clear();
        if let Some(path) = path {
            cmd.env("PATH", path);
        }
        if let Some(user) = user {
            // std drops root's other groups too.
            cmd.uid(user).gid(user);
        }
    }
    seccomp::stay_in_session(cmd);
    #[cfg(not(unix))]
    let _ = (cmd, user);
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
pub fn run(
    exe: &Path,
    args: &[&str],
    user: Option<u32>,
    limit: Duration,
    bound: Bound,
) -> Result<Run, Error> {
    let mut cmd = Command::new(exe);
    as_step(&mut cmd, user);
    cmd.args(args);
    run_command(cmd, &name_of(exe), limit, bound)
}

/// As [`run`], for a command already set up (its environment, its directory).
pub(crate) fn run_command(
    cmd: Command,
    what: &str,
    limit: Duration,
    bound: Bound,
) -> Result<Run, Error> {
    run_fed(cmd, what, None, limit, bound)
}

/// As [`run_command`], with `input` on its stdin, which then closes.
pub(crate) fn run_command_with_input(
    cmd: Command,
    what: &str,
    input: String,
    limit: Duration,
    bound: Bound,
) -> Result<Run, Error> {
    run_fed(cmd, what, Some(input), limit, bound)
}

fn run_fed(
    mut cmd: Command,
    what: &str,
    input: Option<String>,
    limit: Duration,
    bound: Bound,
) -> Result<Run, Error> {
    cmd.stdin(if input.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .env("RUST_BACKTRACE", "0");
    let mut process = Process::start(cmd, what)?;
    if let (Some(input), Some(mut stdin)) = (input, process.take_stdin()) {
        // On a thread: a child that never reads must not hold the grader.
        std::thread::spawn(move || {
            use std::io::Write;
            let _ = stdin.write_all(input.as_bytes());
        });
    }
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
        user: Option<u32>,
        watch: &[&'static str],
        on_line: Option<output::OnLine>,
    ) -> Result<Background, Error> {
        Ok(Background::start_following(exe, args, user, watch, on_line, None)?.0)
    }

    /// As [`Background::start`], its stdout followed too, counting the lines
    /// of stderr that start with each of `watch`, and of stdout with each
    /// of `watch_stdout`.
    pub(crate) fn start_both(
        exe: &Path,
        args: &[&str],
        user: Option<u32>,
        watch: &[&'static str],
        watch_stdout: &[&'static str],
    ) -> Result<(Background, Arc<Lines>), Error> {
        let (bg, stdout) =
            Background::start_following(exe, args, user, watch, None, Some(watch_stdout))?;
        Ok((bg, stdout.expect("stdout is followed")))
    }

    fn start_following(
        exe: &Path,
        args: &[&str],
        user: Option<u32>,
        watch: &[&'static str],
        on_line: Option<output::OnLine>,
        watch_stdout: Option<&[&'static str]>,
    ) -> Result<(Background, Option<Arc<Lines>>), Error> {
        let mut cmd = Command::new(exe);
        as_step(&mut cmd, user);
        cmd.args(args)
            .stdin(Stdio::null())
            .stdout(if watch_stdout.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stderr(Stdio::piped())
            .env("RUST_BACKTRACE", "0");
        let mut process = Process::start(cmd, &name_of(exe))?;
        let stderr = Lines::follow(
            process.take_stderr().expect("stderr is piped"),
            watch,
            on_line,
        );
        let stdout = watch_stdout.map(|watch| {
            Lines::follow(process.take_stdout().expect("stdout is piped"), watch, None)
        });
        Ok((Background { process, stderr }, stdout))
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
