//! Running a step as a child process: every wait has a deadline, and the
//! child is killed when its handle is dropped, however the test ends.

use crate::failure::{Failure, tail};
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Condvar, Mutex, mpsc};
use std::thread;
use std::time::{Duration, Instant};

/// How long one awaited event (an echo, a log line) may take before the
/// check fails. It only turns a hang into a clear failure: a correct step
/// needs a tiny fraction of it, even on a loaded machine.
/// `GRADER_TIMEOUT=<seconds>` changes it.
pub fn deadline() -> Duration {
    let secs = std::env::var("GRADER_TIMEOUT")
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s > 0.0)
        .unwrap_or(5.0);
    Duration::from_secs_f64(secs)
}

/// How long a whole run (a thousand molecules, a thousand tasks) may take.
pub fn run_deadline() -> Duration {
    deadline() * 4
}

/// A child process that is killed and reaped when dropped.
pub struct Guard {
    child: Child,
    /// Reaped by `wait_with_cpu`: its pid may already belong to another
    /// process, which must not be killed.
    reaped: bool,
}

impl Guard {
    pub fn spawn(mut cmd: Command, what: &str) -> Result<Guard, Failure> {
        die_with_parent(&mut cmd);
        cmd.spawn()
            .map(|child| Guard {
                child,
                reaped: false,
            })
            .map_err(|e| Failure::new(format!("cannot start {what}: {e}")))
    }

    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// The exit status, if the child has ended.
    pub fn exited(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// Waits for the child to end, up to `limit`, and returns its exit status
    /// and the CPU time (user and system) it used, as `getrusage` counts it.
    #[cfg(unix)]
    pub fn wait_with_cpu(&mut self, limit: Duration) -> Option<(ExitStatus, Duration)> {
        use std::os::unix::process::ExitStatusExt;
        let end = Instant::now() + limit;
        let pid = self.child.id() as libc::pid_t;
        loop {
            let mut status = 0;
            // SAFETY: rusage is plain data; wait4 fills it for this child only.
            let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
            let reaped = unsafe { libc::wait4(pid, &mut status, libc::WNOHANG, &mut usage) };
            if reaped == pid {
                self.reaped = true;
                let time =
                    |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
                return Some((
                    ExitStatus::from_raw(status),
                    time(usage.ru_utime) + time(usage.ru_stime),
                ));
            }
            if Instant::now() >= end {
                return None;
            }
            thread::sleep(Duration::from_millis(5));
        }
    }

    /// Waits for the child to end, up to `limit`; `None` if it is still running.
    pub fn wait_for_exit(&mut self, limit: Duration) -> Option<ExitStatus> {
        let end = Instant::now() + limit;
        loop {
            if let Some(status) = self.exited() {
                return Some(status);
            }
            if Instant::now() >= end {
                return None;
            }
            // Polling the OS for the exit; no event is timed by this pause.
            thread::sleep(Duration::from_millis(5));
        }
    }

    pub fn take_stdout(&mut self) -> Option<std::process::ChildStdout> {
        self.child.stdout.take()
    }

    pub fn take_stderr(&mut self) -> Option<std::process::ChildStderr> {
        self.child.stderr.take()
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        if !self.reaped {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// On Linux, also ask the kernel to kill the child if the grader itself is
/// killed (by a CI timeout, say), so no server is ever left behind.
#[cfg(target_os = "linux")]
fn die_with_parent(cmd: &mut Command) {
    use std::os::unix::process::CommandExt;
    // SAFETY: prctl is async-signal-safe and touches no memory of the parent.
    unsafe {
        cmd.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            Ok(())
        });
    }
}

#[cfg(not(target_os = "linux"))]
fn die_with_parent(_cmd: &mut Command) {}

/// A child's stderr, line by line, as it arrives.
pub struct Log {
    state: Mutex<LogState>,
    changed: Condvar,
}

#[derive(Default)]
struct LogState {
    lines: Vec<String>,
    closed: bool,
}

impl Log {
    fn follow(stream: impl Read + Send + 'static) -> Arc<Log> {
        let log = Arc::new(Log {
            state: Mutex::new(LogState::default()),
            changed: Condvar::new(),
        });
        let writer = log.clone();
        thread::spawn(move || {
            for_each_line(stream, |line| {
                let mut state = writer.state.lock().unwrap_or_else(|e| e.into_inner());
                state.lines.push(line.to_string());
                writer.changed.notify_all();
            });
            writer
                .state
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .closed = true;
            writer.changed.notify_all();
        });
        log
    }

    /// Waits until `found` holds for the lines so far, up to the deadline.
    /// `Err(closed)` tells whether the stream ended (the process exited).
    pub fn wait_until<T>(&self, mut found: impl FnMut(&[String]) -> Option<T>) -> Result<T, bool> {
        let end = Instant::now() + deadline();
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if let Some(t) = found(&state.lines) {
                return Ok(t);
            }
            let now = Instant::now();
            if state.closed || now >= end {
                return Err(state.closed);
            }
            state = self
                .changed
                .wait_timeout(state, end - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    /// How many lines so far start with `prefix`.
    pub fn count_starting_with(&self, prefix: &str) -> usize {
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.lines.iter().filter(|l| l.starts_with(prefix)).count()
    }

    pub fn text(&self) -> String {
        self.state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .lines
            .join("\n")
    }
}

/// Reads `stream` to its end, handing each line to `each` without its line
/// end, with bytes that are not UTF-8 replaced.
pub fn for_each_line(stream: impl Read, mut each: impl FnMut(&str)) {
    let mut reader = BufReader::new(stream);
    let mut line = Vec::new();
    loop {
        line.clear();
        match reader.read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) => each(String::from_utf8_lossy(&line).trim_end_matches(['\n', '\r'])),
        }
    }
}

/// A step started in the background, with its stderr followed.
pub struct Background {
    pub child: Guard,
    pub log: Arc<Log>,
}

impl Background {
    /// Starts `exe args...` with stdin and stdout closed and stderr followed.
    pub fn start(exe: &Path, args: &[&str], what: &str) -> Result<Background, Failure> {
        let mut cmd = Command::new(exe);
        cmd.args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .env("RUST_BACKTRACE", "0");
        let mut child = Guard::spawn(cmd, what)?;
        let log = Log::follow(child.take_stderr().expect("stderr is piped"));
        Ok(Background { child, log })
    }
}

/// What a finished run printed, and how it ended.
pub struct Finished {
    pub status: ExitStatus,
    pub stdout: Vec<u8>,
    pub stderr: String,
}

/// A run that did not end in time: what it had printed by then.
pub struct TimedOut {
    pub stdout: Vec<u8>,
    pub stderr: String,
}

/// Runs `exe args...` to the end, up to `limit`; kills it if it hangs.
pub fn run(
    exe: &Path,
    args: &[&str],
    limit: Duration,
) -> Result<Result<Finished, TimedOut>, Failure> {
    let mut running = Piped::start(exe, args)?;
    let status = running.child.wait_for_exit(limit);
    Ok(running.finish(status))
}

/// How a run measured with `run_with_cpu` went.
pub enum Measured {
    /// It ended; the CPU time (user and system) it used.
    Finished(Finished, Duration),
    TimedOut(TimedOut),
    /// This platform cannot tell a child's CPU time; why.
    Unmeasurable(String),
}

/// As `run`, and also the CPU time the run used, as `getrusage` counts it
/// (on Unix; elsewhere the run is not made and `Unmeasurable` says why).
pub fn run_with_cpu(exe: &Path, args: &[&str], limit: Duration) -> Result<Measured, Failure> {
    #[cfg(unix)]
    {
        let mut running = Piped::start(exe, args)?;
        let ended = running.child.wait_with_cpu(limit);
        Ok(
            match (running.finish(ended.map(|(status, _)| status)), ended) {
                (Ok(finished), Some((_, cpu))) => Measured::Finished(finished, cpu),
                (Err(timed_out), _) => Measured::TimedOut(timed_out),
                (Ok(_), None) => unreachable!("finish reports an end only with a status"),
            },
        )
    }
    #[cfg(not(unix))]
    {
        let _ = (exe, args, limit);
        Ok(Measured::Unmeasurable(
            "a child's CPU time is read with getrusage, which this platform lacks".to_string(),
        ))
    }
}

/// A child with its stdout and stderr being collected.
struct Piped {
    child: Guard,
    stdout: Collected,
    stderr: Collected,
}

impl Piped {
    fn start(exe: &Path, args: &[&str]) -> Result<Piped, Failure> {
        let mut cmd = Command::new(exe);
        cmd.args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .env("RUST_BACKTRACE", "0");
        let what = exe
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let mut child = Guard::spawn(cmd, &what)?;
        let stdout = collect(child.take_stdout().expect("stdout is piped"));
        let stderr = collect(child.take_stderr().expect("stderr is piped"));
        Ok(Piped {
            child,
            stdout,
            stderr,
        })
    }

    /// What the child printed; `status` is `None` if it did not end in time.
    fn finish(self, status: Option<ExitStatus>) -> Result<Finished, TimedOut> {
        let Piped {
            child,
            stdout,
            stderr,
        } = self;
        // Killed now, if still running, so that its pipes close.
        drop(child);
        let stdout = stdout.finish();
        let stderr = String::from_utf8_lossy(&stderr.finish()).into_owned();
        match status {
            Some(status) => Ok(Finished {
                status,
                stdout,
                stderr,
            }),
            None => Err(TimedOut { stdout, stderr }),
        }
    }
}

/// A pipe read to its end on a thread of its own.
struct Collected(mpsc::Receiver<Vec<u8>>);

fn collect(mut stream: impl Read + Send + 'static) -> Collected {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = stream.read_to_end(&mut buf);
        let _ = tx.send(buf);
    });
    Collected(rx)
}

impl Collected {
    /// Everything the pipe carried. A process that handed its pipe to a
    /// child of its own could keep it open: wait a bounded time only.
    fn finish(self) -> Vec<u8> {
        self.0.recv_timeout(deadline()).unwrap_or_default()
    }
}

/// The exit status in words.
pub fn describe(status: &ExitStatus) -> String {
    match status.code() {
        Some(code) => format!("exit code {code}"),
        None => format!("{status}"),
    }
}

/// The panic lines of a child's stderr, if it panicked, for a failure message.
pub fn panics(stderr: &str) -> Option<String> {
    let lines: Vec<&str> = stderr
        .lines()
        .enumerate()
        .filter(|(_, l)| l.contains("panicked at"))
        .flat_map(|(i, _)| stderr.lines().skip(i).take(2))
        .collect();
    (!lines.is_empty()).then(|| tail(&lines.join("\n"), 6))
}
