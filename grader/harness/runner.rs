// Runs a harness's checks and reports them, as `protocol.rs` says: each
// check on a thread of its own with a deadline, one verdict per check,
// numbered, then the end. Shared by every harness; compiled inside it, after
// the student's code, so it names what it uses in full and invokes no macro
// by a bare name (a student's file could define one of that name), and what
// it keeps (the key, the verdicts file) no name of the student's code reaches.
// A check returns `Err` with a headline on its first line and `label: value`
// lines after it.

use super::protocol::{self, Line, Said};

// The events of a run: a traced scenario's, and a check's, whose last ones
// its failure shows.
#[path = "trace.rs"]
pub(super) mod trace;
use ::std::io::{Read as _, Write as _};
use ::std::time::Duration;

pub(super) type Outcome = Result<(), String>;
pub(super) type Check = (&'static str, fn() -> Outcome);

/// How long one awaited event may take: the grader's deadline, read once,
/// before any of the student's code runs. It only turns a hang into a failure.
pub(super) fn deadline() -> Duration {
    static DEADLINE: ::std::sync::OnceLock<Duration> = ::std::sync::OnceLock::new();
    *DEADLINE
        .get_or_init(|| protocol::deadline_of(::std::env::var(protocol::TIMEOUT).ok().as_deref()))
}

pub(super) use protocol::panic_text;

/// A waker that counts its wakes: the task it stands for, woken or not.
pub(super) struct Counter(std::sync::atomic::AtomicUsize);

impl std::task::Wake for Counter {
    fn wake(self: std::sync::Arc<Self>) {
        self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }
}

impl Counter {
    /// How many times it was woken so far.
    pub(super) fn wakes(&self) -> usize {
        self.0.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// A new counter, and a waker that wakes it.
pub(super) fn counted() -> (std::sync::Arc<Counter>, std::task::Waker) {
    let counter = std::sync::Arc::new(Counter(std::sync::atomic::AtomicUsize::new(0)));
    (counter.clone(), std::task::Waker::from(counter))
}

/// Makes this process's memory, environment and descriptors unreachable
/// through `/proc` by any process but root's, this one's own code included
/// (Linux): the key is read after this. The grader also runs harnesses from
/// a file that the steps' user cannot read, which makes them so from the start.
// A student's `#![deny(unsafe_code)]` (or `forbid`, read as `deny` in the
// harness's copy) holds their code, not this.
#[allow(unsafe_code)]
fn hide_this_process() {
    #[cfg(target_os = "linux")]
    {
        unsafe extern "C" {
            fn prctl(option: i32, arg2: u64, arg3: u64, arg4: u64, arg5: u64) -> i32;
        }
        const PR_SET_DUMPABLE: i32 = 4;
        // SAFETY: prctl with PR_SET_DUMPABLE only changes a flag of this process.
        unsafe {
            prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
        }
    }
}

/// What the check running now is doing, said if it never returns: a
/// headline's `while:`, then `label: value` lines.
static DOING: ::std::sync::Mutex<String> = ::std::sync::Mutex::new(String::new());

/// Says what the check is doing until the value is dropped.
pub(super) struct Doing;

impl Drop for Doing {
    fn drop(&mut self) {
        DOING.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }
}

/// The check is doing `what` (a first line, then `label: value` lines):
/// if it never comes back, the failure says so.
pub(super) fn doing(what: String) -> Doing {
    *DOING.lock().unwrap_or_else(|e| e.into_inner()) = what;
    Doing
}

/// Fails the harness as a whole: the grader reads no report.
fn give_up(why: &str) -> ! {
    let _ = ::std::writeln!(::std::io::stderr(), "the grader's harness: {why}");
    ::std::process::exit(3)
}

/// Runs the checks (the one named on the command line, or all) and exits.
/// A check that fails ends the run; one that hangs is reported at its
/// deadline, and the harness exits at once, without waiting for its thread.
/// Called once, by `main`, before any of the student's code runs; a second
/// call (from the student's code) aborts the process.
pub(super) fn run_checks(checks: &[Check]) -> ! {
    run(checks, None)
}

/// As [`run_checks`]; with `--trace` as its argument, runs `scenario`
/// instead, and reports its events.
pub(super) fn run_checks_or_trace(checks: &[Check], scenario: fn() -> Outcome) -> ! {
    run(checks, Some(scenario))
}

/// The first panic, since the check began, of a thread other than the
/// check's own: one of the program's (its reactor, its timer), whose work
/// ended with it.
static OTHER_PANIC: ::std::sync::Mutex<Option<::std::string::String>> =
    ::std::sync::Mutex::new(None);

::std::thread_local! {
    /// Whether this thread is the one a check runs on.
    static CHECK_THREAD: ::std::cell::Cell<bool> = const { ::std::cell::Cell::new(false) };
}

/// What a check that failed after another thread panicked says of it.
const OTHER_THREAD_PANICKED: &str = "a thread of the program panicked (its panic is above): what it was doing stopped there, and what it held is poisoned (a `Mutex` it had locked makes every later `lock().unwrap()` panic). A reactor or timer thread that panics wakes no task again. Its panic is the first thing to fix: the line it names, and what it took for granted there (an `unwrap` of something that may be missing).";

/// Records the first panic of a thread other than the check's, and lets
/// it be printed as it would have been.
fn watch_other_threads() {
    let print = ::std::panic::take_hook();
    ::std::panic::set_hook(::std::boxed::Box::new(move |info| {
        if !CHECK_THREAD.with(|c| c.get()) {
            let mut other = OTHER_PANIC.lock().unwrap_or_else(|e| e.into_inner());
            if other.is_none() {
                let at = info
                    .location()
                    .map(|l| ::std::format!(" at line {}", l.line()))
                    .unwrap_or_default();
                *other = Some(::std::format!(
                    "panicked{at}: {}",
                    info.payload_as_str().unwrap_or("(no message)")
                ));
            }
        }
        print(info);
    }));
}

/// How many of a failed check's last events its failure shows.
const LAST_EVENTS: usize = 12;

fn run(checks: &[Check], scenario: Option<fn() -> Outcome>) -> ! {
    static STARTED: ::std::sync::atomic::AtomicBool = ::std::sync::atomic::AtomicBool::new(false);
    if STARTED.swap(true, ::std::sync::atomic::Ordering::SeqCst) {
        ::std::process::abort();
    }
    hide_this_process();
    let deadline = deadline();
    let mut key = String::new();
    if ::std::io::stdin().read_to_string(&mut key).is_err() || key.trim().is_empty() {
        give_up("no key on stdin");
    }
    // Only the chain keeps the key: no line the harness writes holds it.
    let mut chain = protocol::Chain::new(key.trim());
    drop(key);
    let only = ::std::env::args().nth(1);
    let Some(path) = ::std::env::var_os(protocol::VERDICTS) else {
        give_up("GRADER_VERDICTS names no file");
    };
    let mut out = match ::std::fs::File::create(&path) {
        Ok(out) => out,
        Err(e) => give_up(&::std::format!("cannot write the verdicts: {e}")),
    };
    let traced = [("trace", scenario.unwrap_or(|| Ok(())))];
    let (checks, tracing) = match (only.as_deref(), scenario) {
        (Some("--trace"), Some(_)) => (&traced[..], true),
        (Some("--trace"), None) => give_up("this harness has no traced scenario"),
        _ => (checks, false),
    };
    watch_other_threads();
    let mut count = 0;
    for (name, check) in checks {
        if !tracing && only.as_deref().is_some_and(|o| o != *name) {
            continue;
        }
        let (tx, rx) = ::std::sync::mpsc::channel();
        let check = *check;
        trace::begin();
        OTHER_PANIC.lock().unwrap_or_else(|e| e.into_inner()).take();
        ::std::thread::spawn(move || {
            CHECK_THREAD.with(|c| c.set(true));
            let outcome = ::std::panic::catch_unwind(::std::panic::AssertUnwindSafe(check))
                .unwrap_or_else(|panic| Err(::std::format!("panicked: {}", panic_text(&*panic))));
            let _ = tx.send(outcome);
        });
        // Longer than the deadlines a check keeps itself, so that its own
        // account of a hang is the one reported.
        let said = match rx.recv_timeout(deadline * 3 / 2) {
            Ok(Ok(())) => Said::Passed,
            Ok(Err(detail)) => {
                let mut lines = detail.lines();
                let headline = lines.next().unwrap_or("").to_string();
                let details = lines
                    .map(|line| {
                        let (label, value) = line.split_once(": ").unwrap_or(("", line));
                        (label.to_string(), value.to_string())
                    })
                    .collect();
                Said::Failed { headline, details }
            }
            Err(_) => {
                let doing = DOING.lock().unwrap_or_else(|e| e.into_inner()).clone();
                let mut lines = doing.lines();
                match lines.next() {
                    None => Said::TimedOut {
                        headline: ::std::format!(
                            "no result within {deadline:?}: it waits for something that never happens"
                        ),
                        details: Vec::new(),
                    },
                    Some(what) => Said::TimedOut {
                        headline: ::std::format!("no result within {deadline:?}, while {what}"),
                        details: lines
                            .map(|line| {
                                let (label, value) = line.split_once(": ").unwrap_or(("", line));
                                (label.to_string(), value.to_string())
                            })
                            .collect(),
                    },
                }
            }
        };
        let failed = said != Said::Passed;
        let events = trace::events();
        // What led to a failure: the last events.
        let last = || {
            let from = events.len().saturating_sub(LAST_EVENTS);
            events[from..]
                .iter()
                .map(|e| ("event".to_string(), e.line()))
                .collect::<Vec<_>>()
        };
        let other = OTHER_PANIC.lock().unwrap_or_else(|e| e.into_inner()).take();
        // A thread of the program that panicked (its reactor, its timer):
        // what the check then saw follows from that.
        let with_panic = |details: &mut Vec<(::std::string::String, ::std::string::String)>| {
            let Some(panic) = &other else { return };
            details.push(("another thread".to_string(), panic.clone()));
            if !details.iter().any(|(label, _)| label == "likely") {
                details.push(("likely".to_string(), OTHER_THREAD_PANICKED.to_string()));
            }
        };
        let said = match said {
            Said::Failed {
                headline,
                mut details,
            } if !tracing => {
                with_panic(&mut details);
                details.extend(last());
                Said::Failed { headline, details }
            }
            Said::TimedOut {
                headline,
                mut details,
            } if !tracing => {
                with_panic(&mut details);
                details.extend(last());
                Said::TimedOut { headline, details }
            }
            said => said,
        };
        if tracing {
            for event in events {
                if ::std::writeln!(out, "{}", chain.sign(&Line::Event(event))).is_err() {
                    give_up("cannot write an event");
                }
            }
        }
        let line = Line::Verdict {
            seq: count,
            check: name.to_string(),
            said,
        };
        if ::std::writeln!(out, "{}", chain.sign(&line)).is_err() {
            give_up("cannot write a verdict");
        }
        count += 1;
        if failed {
            break;
        }
    }
    let end = chain.sign(&Line::End { count });
    if ::std::writeln!(out, "{end}").is_err() || out.flush().is_err() {
        give_up("cannot write the end of the verdicts");
    }
    ::std::process::exit(0)
}
