//! Memory use of a small task: how much the resident memory of a process
//! grows for each idle thread, and for each idle task.
//!
//! Method: in a fresh process, read `VmRSS` from `/proc/self/status`, start N
//! threads (or tasks) that each wait on one shared gate, wait until every one
//! of them is waiting, and read `VmRSS` again: (after - before) / N. A
//! thread's 2 MiB stack is only reserved; what counts is the pages it has
//! touched, and the allocations that come with it. Each thread also has a
//! kernel stack, outside the process's resident memory: the growth of
//! `KernelStack` in `/proc/meminfo`, divided by N, estimates it (that line is
//! machine-wide, so other processes make it noisy).
//!
//! Why a fresh process per measurement: memory freed by an earlier run stays
//! in the allocator, resident, and a later run reuses it without growing, so
//! later runs would look cheaper. The bench runs itself as
//! `bench probe-memory KIND N`, which prints the two growths in bytes.

use crate::runtime::Flavor;
use grader::exec::procfs;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use tokio::sync::Notify;

/// What is measured: idle OS threads, or idle tasks on a runtime.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Threads,
    Tasks(Flavor),
}

impl Kind {
    pub const ALL: [Kind; 3] = [
        Kind::Threads,
        Kind::Tasks(Flavor::MultiThread),
        Kind::Tasks(Flavor::CurrentThread),
    ];

    pub fn key(self) -> &'static str {
        match self {
            Kind::Threads => "threads",
            Kind::Tasks(Flavor::MultiThread) => "tasks",
            Kind::Tasks(Flavor::CurrentThread) => "tasks-current-thread",
        }
    }

    pub fn parse(key: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.key() == key)
    }
}

/// The growth that `n` idle threads or tasks caused, in bytes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Growth {
    pub resident: f64,
    pub kernel_stacks: f64,
}

/// Measures `n` of `kind` in a fresh process (this program, run again).
pub fn measure(kind: Kind, n: usize) -> Result<Growth, String> {
    if !cfg!(target_os = "linux") {
        return Err("resident memory is read from /proc, on Linux only".to_string());
    }
    let exe = std::env::current_exe().map_err(|e| format!("cannot find the bench itself: {e}"))?;
    let output = Command::new(exe)
        .args(["probe-memory", kind.key(), &n.to_string()])
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot start the memory probe: {e}"))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let numbers: Vec<f64> = stdout
        .split_whitespace()
        .filter_map(|w| w.parse().ok())
        .collect();
    match (output.status.success(), numbers.as_slice()) {
        (true, &[resident, kernel_stacks]) => Ok(Growth {
            resident,
            kernel_stacks,
        }),
        _ => Err(format!(
            "the memory probe for {n} {} failed: {}",
            kind.key(),
            String::from_utf8_lossy(&output.stderr).trim()
        )),
    }
}

/// `bench probe-memory KIND N`: the measurement itself, in this process.
pub fn probe(kind: Kind, n: usize) -> Result<Growth, String> {
    match kind {
        Kind::Threads => probe_threads(n),
        Kind::Tasks(flavor) => probe_tasks(flavor, n),
    }
}

/// Where the idle threads wait. One mutex for both conditions: a thread
/// counts itself and starts waiting without letting go of it, so when the
/// count is complete every thread is already asleep in `wait`.
struct Gate {
    state: Mutex<(usize, bool)>,
    all_waiting: Condvar,
    released: Condvar,
}

fn probe_threads(n: usize) -> Result<Growth, String> {
    let gate = Arc::new(Gate {
        state: Mutex::new((0, false)),
        all_waiting: Condvar::new(),
        released: Condvar::new(),
    });
    let idle = |gate: Arc<Gate>, n: usize| {
        move || {
            let mut state = gate.state.lock().unwrap_or_else(|e| e.into_inner());
            state.0 += 1;
            if state.0 == n {
                gate.all_waiting.notify_one();
            }
            while !state.1 {
                state = gate.released.wait(state).unwrap_or_else(|e| e.into_inner());
            }
        }
    };
    // One thread first, not counted: the allocator's and the thread
    // library's first use of their own memory is not a cost per thread.
    let warm = Arc::new(Gate {
        state: Mutex::new((0, true)),
        all_waiting: Condvar::new(),
        released: Condvar::new(),
    });
    thread::spawn(idle(warm, 1))
        .join()
        .map_err(|_| "the warm-up thread panicked")?;
    let mut handles = Vec::with_capacity(n);
    let before = readings()?;
    for i in 0..n {
        match thread::Builder::new().spawn(idle(gate.clone(), n)) {
            Ok(handle) => handles.push(handle),
            Err(e) => {
                release(&gate);
                return Err(format!("thread {} of {n} did not start: {e}", i + 1));
            }
        }
    }
    {
        let mut state = gate.state.lock().unwrap_or_else(|e| e.into_inner());
        while state.0 < n {
            state = gate
                .all_waiting
                .wait(state)
                .unwrap_or_else(|e| e.into_inner());
        }
    }
    let after = readings()?;
    release(&gate);
    for handle in handles {
        handle.join().map_err(|_| "an idle thread panicked")?;
    }
    Ok(growth(before, after))
}

fn release(gate: &Gate) {
    gate.state.lock().unwrap_or_else(|e| e.into_inner()).1 = true;
    gate.released.notify_all();
}

fn probe_tasks(flavor: Flavor, n: usize) -> Result<Growth, String> {
    let runtime = flavor.build()?;
    runtime.block_on(async {
        // A first round of one task, not counted: it wakes the workers, whose
        // own stacks and queues are the runtime's cost, not a task's.
        idle_tasks(1).await?;
        idle_tasks(n).await
    })
}

/// Spawns `n` idle tasks; the growth once all of them wait.
async fn idle_tasks(n: usize) -> Result<Growth, String> {
    let waiting = Arc::new(AtomicUsize::new(0));
    let all_waiting = Arc::new(Notify::new());
    let released = Arc::new(Notify::new());
    let mut handles = Vec::with_capacity(n);
    let before = readings()?;
    for _ in 0..n {
        let (waiting, all_waiting, released) =
            (waiting.clone(), all_waiting.clone(), released.clone());
        handles.push(tokio::spawn(async move {
            let release = released.notified();
            let mut release = std::pin::pin!(release);
            // Registered before it counts itself, so the release cannot pass
            // it by.
            release.as_mut().enable();
            if waiting.fetch_add(1, Ordering::AcqRel) + 1 == n {
                all_waiting.notify_one();
            }
            release.await;
        }));
    }
    all_waiting.notified().await;
    let after = readings()?;
    released.notify_waiters();
    for handle in handles {
        handle
            .await
            .map_err(|e| format!("an idle task failed: {e}"))?;
    }
    Ok(growth(before, after))
}

#[derive(Clone, Copy)]
struct Readings {
    resident: u64,
    kernel_stacks: u64,
}

fn readings() -> Result<Readings, String> {
    Ok(Readings {
        resident: procfs::status(None).map_err(|e| e.to_string())?.rss,
        kernel_stacks: procfs::kernel_stacks().map_err(|e| e.to_string())?,
    })
}

fn growth(before: Readings, after: Readings) -> Growth {
    let diff = |a: u64, b: u64| a as f64 - b as f64;
    Growth {
        resident: diff(after.resident, before.resident),
        kernel_stacks: diff(after.kernel_stacks, before.kernel_stacks),
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn idle_threads_and_tasks_are_counted_and_released() {
        for kind in Kind::ALL {
            probe(kind, 50).unwrap();
        }
    }

    #[test]
    fn kinds_round_trip_through_their_keys() {
        for kind in Kind::ALL {
            assert_eq!(Kind::parse(kind.key()), Some(kind));
        }
        assert_eq!(Kind::parse("fibers"), None);
    }
}
