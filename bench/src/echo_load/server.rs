//! The echo step under test, as a child process: built with cargo, started on
//! any free port, its stderr read all the time (10,000 `Accepted connection`
//! lines would otherwise fill the pipe and stop the server), its threads and
//! memory sampled, and always killed when the run ends, however it ends.

use crate::procfs;
use grader::process::Guard;
use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Condvar, Mutex, mpsc};
use std::thread;
use std::time::{Duration, Instant};

/// How long a server may take to print its `Listening on` line.
const START_LIMIT: Duration = Duration::from_secs(10);

/// Builds the steps from `solutions` with cargo (the one running this bench,
/// if any) and returns each one's executable.
pub fn build(steps: &[&str], profile: &str) -> Result<HashMap<String, PathBuf>, String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("../Cargo.toml");
    let mut cmd = Command::new(cargo);
    cmd.args(["build", "--profile", profile, "-p", "solutions"])
        // One JSON line per artifact on stdout, with the executable's path
        // wherever the target directory is; the compiler's own messages
        // still go to stderr, as text.
        .arg("--message-format=json-render-diagnostics")
        .arg("--manifest-path")
        .arg(&manifest)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    for step in steps {
        cmd.args(["--bin", step]);
    }
    let output = cmd
        .output()
        .map_err(|e| format!("cannot run cargo to build the steps: {e}"))?;
    if !output.status.success() {
        return Err(format!("cargo could not build {}", steps.join(", ")));
    }
    let mut exes = HashMap::new();
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let Ok(message) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        if let (Some(name), Some(exe)) = (
            message["target"]["name"].as_str(),
            message["executable"].as_str(),
        ) && steps.contains(&name)
        {
            exes.insert(name.to_string(), PathBuf::from(exe));
        }
    }
    match steps.iter().find(|s| !exes.contains_key(**s)) {
        Some(missing) => Err(format!("cargo built no executable for {missing}")),
        None => Ok(exes),
    }
}

/// A running step. Dropping it kills the process and reaps it (the grader's
/// `Guard`, which on Linux also has the kernel kill it if the bench dies).
pub struct Server {
    child: Guard,
    log: Arc<Log>,
    pub addr: SocketAddr,
}

/// What the server has said on stderr so far.
struct Log {
    state: Mutex<LogState>,
    changed: Condvar,
}

#[derive(Default)]
struct LogState {
    listening: Option<SocketAddr>,
    accepted: usize,
    /// The last few lines that are not the per-client log: a panic, say.
    other: VecDeque<String>,
    closed: bool,
}

impl Server {
    /// Starts `exe 0` (any free port) and waits for its `Listening on` line;
    /// `on_accept` runs for each `Accepted connection` line.
    pub fn start(exe: &Path, on_accept: impl Fn() + Send + 'static) -> Result<Server, String> {
        let mut cmd = Command::new(exe);
        cmd.arg("0")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .env("RUST_BACKTRACE", "0");
        let mut child = Guard::spawn(cmd, &exe.display().to_string()).map_err(|e| e.to_string())?;
        let stderr = child.take_stderr().expect("stderr is piped");
        let log = Arc::new(Log {
            state: Mutex::new(LogState::default()),
            changed: Condvar::new(),
        });
        let writer = log.clone();
        thread::spawn(move || follow(stderr, &writer, on_accept));
        let mut server = Server {
            child,
            log,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
        };
        let listening = server
            .log
            .wait(START_LIMIT, |s| s.listening.is_some())
            .listening;
        match listening {
            Some(addr) => {
                server.addr = addr;
                Ok(server)
            }
            None => Err(format!(
                "the server printed no `Listening on` line within {} s{}",
                START_LIMIT.as_secs(),
                server
                    .last_words()
                    .map_or_else(String::new, |w| format!(": {w}"))
            )),
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// How many `Accepted connection` lines it has printed.
    pub fn accepted(&self) -> usize {
        self.log.lock().accepted
    }

    /// Waits until the server has printed `Accepted connection` `count`
    /// times, or has printed none for `quiet`; returns how many it has.
    pub fn wait_accepted(&self, count: usize, quiet: Duration) -> usize {
        let mut seen = self.accepted();
        loop {
            let now = self
                .log
                .wait(quiet, |s| s.accepted >= count || s.accepted > seen)
                .accepted;
            if now >= count || now == seen {
                return now;
            }
            seen = now;
        }
    }

    /// Its exit status, in words, if it has ended.
    pub fn exited(&mut self) -> Option<String> {
        self.child
            .exited()
            .map(|status| grader::process::describe(&status))
    }

    /// Its last lines on stderr other than the per-client log, if any.
    pub fn last_words(&self) -> Option<String> {
        let state = self.log.lock();
        (!state.other.is_empty()).then(|| {
            state
                .other
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>()
                .join(" / ")
        })
    }
}

impl Log {
    fn lock(&self) -> std::sync::MutexGuard<'_, LogState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits until `done` holds, the stream ends, or `limit` passes.
    fn wait(
        &self,
        limit: Duration,
        done: impl Fn(&LogState) -> bool,
    ) -> std::sync::MutexGuard<'_, LogState> {
        let end = Instant::now() + limit;
        let mut state = self.lock();
        while !done(&state) && !state.closed {
            let now = Instant::now();
            if now >= end {
                break;
            }
            state = self
                .changed
                .wait_timeout(state, end - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        state
    }
}

/// Reads the server's stderr to its end, line by line.
fn follow(stream: impl std::io::Read, log: &Log, on_accept: impl Fn()) {
    grader::process::for_each_line(stream, |text| {
        let mut state = log.lock();
        if text == "Accepted connection" {
            state.accepted += 1;
            on_accept();
        } else if text == "Connection ended" {
            return;
        } else if let Some(addr) = text.strip_prefix("Listening on ") {
            state.listening = addr.parse().ok();
        } else {
            if state.other.len() == 4 {
                state.other.pop_front();
            }
            state.other.push_back(text.to_string());
        }
        // Every `Accepted connection` wakes a waiter: 10,000 wake-ups in a
        // run, against a waiter that only ever waits for a few seconds.
        log.changed.notify_all();
    });
    log.lock().closed = true;
    log.changed.notify_all();
}

/// The most threads, and the peak resident memory, seen while sampling a
/// server in the background.
#[derive(Debug, Clone, Default)]
pub struct Peak {
    pub threads: u64,
    pub rss: u64,
    /// Why the server could not be sampled, if it never could.
    pub error: Option<String>,
}

impl Peak {
    pub fn add(&mut self, reading: Result<procfs::Status, String>) {
        match reading {
            Ok(s) => {
                self.threads = self.threads.max(s.threads);
                self.rss = self.rss.max(s.peak_rss);
                self.error = None;
            }
            Err(e) if self.threads == 0 => self.error = Some(e),
            Err(_) => {}
        }
    }
}

/// Samples a process every 50 ms until stopped. Threads come and go with the
/// clients, so their count is sampled; the memory peak (`VmHWM`) the kernel
/// keeps itself.
pub struct Sampler {
    stop: mpsc::Sender<()>,
    handle: thread::JoinHandle<Peak>,
}

impl Sampler {
    pub fn start(pid: u32) -> Sampler {
        let (stop, stopped) = mpsc::channel::<()>();
        let handle = thread::spawn(move || {
            let mut peak = Peak::default();
            loop {
                peak.add(procfs::status(Some(pid)));
                match stopped.recv_timeout(Duration::from_millis(50)) {
                    Err(mpsc::RecvTimeoutError::Timeout) => continue,
                    _ => break,
                }
            }
            peak.add(procfs::status(Some(pid)));
            peak
        });
        Sampler { stop, handle }
    }

    /// Takes a last sample (the process must still run) and stops.
    pub fn finish(self) -> Peak {
        drop(self.stop);
        self.handle.join().unwrap_or_default()
    }
}
