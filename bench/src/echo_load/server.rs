//! The echo step under test, as a child process: built with cargo, started on
//! any free port, its stderr read all the time (10,000 `Accepted connection`
//! lines would otherwise fill the pipe and stop the server), its threads and
//! memory sampled, and always killed when the run ends, however it ends.

use grader::exec::procfs;
use grader::exec::{Background, describe};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

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
    let exes: HashMap<String, PathBuf> = grader::build::cargo::read_messages(&output.stdout[..])
        .exes
        .into_iter()
        .filter(|(name, _)| steps.contains(&name.as_str()))
        .collect();
    match steps.iter().find(|s| !exes.contains_key(**s)) {
        Some(missing) => Err(format!("cargo built no executable for {missing}")),
        None => Ok(exes),
    }
}

/// A running step, its stderr followed by the grader's `exec` layer.
/// Dropping it kills the process and whatever it started (its process
/// group; on Linux the kernel also kills it if the bench dies).
pub struct Server {
    bg: Background,
    pub addr: SocketAddr,
}

const LISTENING: &str = "Listening on ";
const ACCEPTED: &str = "Accepted connection";
const ENDED: &str = "Connection ended";

impl Server {
    /// Starts `exe 0` (any free port) and waits for its `Listening on` line;
    /// `on_accept` runs for each `Accepted connection` line.
    pub fn start(exe: &Path, on_accept: impl Fn() + Send + 'static) -> Result<Server, String> {
        let on_line = Box::new(move |line: &str| {
            if line.starts_with(ACCEPTED) {
                on_accept();
            }
        });
        let bg = Background::start(
            exe,
            &["0"],
            None,
            &[LISTENING, ACCEPTED, ENDED],
            Some(on_line),
        )
        .map_err(|e| e.to_string())?;
        let listening = bg.stderr.wait_until(START_LIMIT, |s| {
            s.first(LISTENING).and_then(|a| a.trim().parse().ok())
        });
        let server = Server {
            bg,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
        };
        match listening {
            Ok(addr) => Ok(Server { addr, ..server }),
            Err(_) => Err(format!(
                "the server printed no `Listening on` line within {} s{}",
                START_LIMIT.as_secs(),
                server
                    .last_words()
                    .map_or_else(String::new, |w| format!(": {w}"))
            )),
        }
    }

    pub fn pid(&self) -> u32 {
        self.bg.process.id()
    }

    /// How many `Accepted connection` lines it has printed.
    pub fn accepted(&self) -> usize {
        self.bg.stderr.lock().count(ACCEPTED)
    }

    /// Waits until the server has printed `Accepted connection` `count`
    /// times, or has printed none for `quiet`; returns how many it has.
    pub fn wait_accepted(&self, count: usize, quiet: Duration) -> usize {
        let mut seen = self.accepted();
        loop {
            let now = self
                .bg
                .stderr
                .wait_until(quiet, |s| {
                    let n = s.count(ACCEPTED);
                    (n >= count || n > seen).then_some(n)
                })
                .unwrap_or_else(|_| self.accepted());
            if now >= count || now == seen {
                return now;
            }
            seen = now;
        }
    }

    /// Its exit status, in words, if it has ended.
    pub fn exited(&mut self) -> Option<String> {
        self.bg.process.poll().map(|end| describe(&end.status))
    }

    /// Its last lines on stderr other than the per-client log, if any.
    pub fn last_words(&self) -> Option<String> {
        let state = self.bg.stderr.lock();
        let words: Vec<&str> = state
            .kept()
            .filter(|l| !l.starts_with(ACCEPTED) && !l.starts_with(ENDED))
            .collect();
        let last = &words[words.len().saturating_sub(4)..];
        (!last.is_empty()).then(|| last.join(" / "))
    }
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
    pub fn add(&mut self, reading: Result<procfs::Status, grader::error::Error>) {
        match reading {
            Ok(s) => {
                self.threads = self.threads.max(s.threads);
                self.rss = self.rss.max(s.peak_rss);
                self.error = None;
            }
            Err(e) if self.threads == 0 => self.error = Some(e.to_string()),
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
