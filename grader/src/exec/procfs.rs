//! What the kernel says of a process, from Linux's `/proc`: its threads
//! (what tells tokio tasks from threads), how often they were switched out
//! (a thread that waits, or one on a clock), its memory mappings and its
//! resident memory, its children; and the memory of every kernel stack.
//! The grader's checks and the bench read it here. A thread count has other
//! means on macOS and Windows; where none works, the check is skipped with
//! its reason, never failed.

use super::{Bound, run_command};
use crate::error::Error;
use std::process::Command;

/// `/proc/...`, read: Linux only.
fn read(path: &str) -> Result<String, Error> {
    if !cfg!(target_os = "linux") {
        return Err(Error::said(format!("{path} is read on Linux only")));
    }
    std::fs::read_to_string(path).map_err(Error::io("read", path))
}

/// The number after `name` in a file of `/proc` (`VmRSS:   1024 kB`).
/// Memory fields are in "kB", which the kernel means as kibibytes.
fn field(text: &str, name: &str, path: &str) -> Result<u64, Error> {
    text.lines()
        .find_map(|line| line.strip_prefix(name))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| Error::format(path, format!("no {name} line")))
}

/// One reading of a process's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Status {
    /// Resident set size (`VmRSS`), in bytes: the pages actually touched,
    /// not the address space reserved.
    pub rss: u64,
    /// Peak resident set size since the process started (`VmHWM`), in bytes.
    pub peak_rss: u64,
    /// OS threads (`Threads`), in the same read as the memory.
    pub threads: u64,
}

/// The status of process `pid`, or of this process for `None`.
pub fn status(pid: Option<u32>) -> Result<Status, Error> {
    let path = match pid {
        Some(pid) => format!("/proc/{pid}/status"),
        None => "/proc/self/status".to_string(),
    };
    let text = read(&path)?;
    Ok(Status {
        rss: field(&text, "VmRSS:", &path)? * 1024,
        peak_rss: field(&text, "VmHWM:", &path)? * 1024,
        threads: field(&text, "Threads:", &path)?,
    })
}

/// The memory of every kernel stack on the machine (`KernelStack` in
/// `/proc/meminfo`), in bytes. Each thread has one, outside its process's
/// resident set; the figure is machine-wide, so other processes add noise.
pub fn kernel_stacks() -> Result<u64, Error> {
    let path = "/proc/meminfo";
    Ok(field(&read(path)?, "KernelStack:", path)? * 1024)
}

/// The kernel's release (`6.1.0-18-amd64`), on Linux.
pub fn kernel_release() -> Option<String> {
    Some(read("/proc/sys/kernel/osrelease").ok()?.trim().to_string())
}

/// The CPU's model name, on Linux.
pub fn cpu_model() -> Option<String> {
    let info = read("/proc/cpuinfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("model name"))?;
    Some(line.split_once(':')?.1.trim().to_string())
}

/// Process `pid`'s environment, as the kernel keeps it: `NAME=value`
/// entries, each ended by a NUL.
pub fn environ(pid: u32) -> Option<Vec<u8>> {
    std::fs::read(format!("/proc/{pid}/environ")).ok()
}

/// Process `pid`'s command line, its words joined by spaces.
pub fn cmdline(pid: u32) -> Option<String> {
    let words = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
    Some(String::from_utf8_lossy(&words).replace('\0', " "))
}

/// Whether process `pid` is a zombie: dead, only its parent's wait missing.
pub fn zombie(pid: u32) -> bool {
    stat(pid).is_some_and(|fields| fields.first().is_some_and(|s| s == "Z"))
}

/// The memory process `pid` has of its own, in pages: resident, but for
/// the pages of files it shares, such as its libraries (a thousand
/// processes share one libc).
pub fn own_pages(pid: u32) -> Option<u64> {
    let statm = std::fs::read_to_string(format!("/proc/{pid}/statm")).ok()?;
    let mut fields = statm.split(' ').skip(1);
    let resident = fields.next()?.parse::<u64>().ok()?;
    let shared = fields.next()?.parse::<u64>().ok()?;
    Some(resident.saturating_sub(shared))
}

/// The context switches (voluntary and not) a thread's `status` counts.
fn switches_in(status: &str) -> u64 {
    status
        .lines()
        .filter(|l| l.contains("ctxt_switches:"))
        .filter_map(|l| l.split(':').nth(1)?.trim().parse::<u64>().ok())
        .sum()
}

/// The fields of `/proc/<pid>/stat` after the command's name (which may
/// hold spaces and parentheses): the state first, then the parent's pid, ...
pub fn stat(pid: u32) -> Option<Vec<String>> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    Some(
        stat.rsplit_once(") ")?
            .1
            .split(' ')
            .map(str::to_string)
            .collect(),
    )
}

/// Every process this one can see in `/proc` (Linux).
pub fn pids() -> Vec<u32> {
    std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse().ok())
        .collect()
}

/// Process `pid` and the live processes it started, and those they
/// started, and so on (Linux): a server run in a child of the step is the
/// step's, for its threads and its CPU time. With them, every process of
/// the session `pid` leads (a step leads one of its own): one whose parent
/// has gone, so that no chain of parents leads back to the step, is still
/// the step's until the grader's hunt for orphans kills it.
pub(crate) fn family(pid: u32) -> Vec<u32> {
    // From the kernel's lists of each process's children where it keeps
    // them: reading every process of the machine instead costs as much as
    // the machine has processes (thousands, some days), at every count.
    match descendants(pid) {
        Some(mut family) => {
            // An orphan comes back to the grader, the subreaper of all it
            // starts: those of `pid`'s session are the step's.
            let orphans: Vec<u32> = children(std::process::id())
                .unwrap_or_default()
                .into_iter()
                .filter(|p| !family.contains(p))
                .filter(|p| stat(*p).and_then(|f| f.get(3)?.parse::<u32>().ok()) == Some(pid))
                .collect();
            for orphan in orphans {
                if let Some(theirs) = descendants(orphan) {
                    family.extend(
                        theirs
                            .into_iter()
                            .filter(|p| !family.contains(p))
                            .collect::<Vec<_>>(),
                    );
                }
            }
            family
        }
        None => family_by_scan(pid),
    }
}

/// `pid` and its descendants, from each thread's list of children; `None`
/// where the kernel keeps no such list.
fn descendants(pid: u32) -> Option<Vec<u32>> {
    let mut family = vec![pid];
    let mut i = 0;
    while i < family.len() {
        // A process that ended meanwhile has no children to list.
        for child in children(family[i]).unwrap_or_default() {
            if !family.contains(&child) {
                family.push(child);
            }
        }
        i += 1;
    }
    // The list exists for a live process where the kernel keeps them.
    std::fs::metadata(format!("/proc/{pid}/task/{pid}/children")).ok()?;
    Some(family)
}

/// The children of every thread of `pid` (`None` if it cannot be read).
fn children(pid: u32) -> Option<Vec<u32>> {
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).ok()?;
    let mut all = Vec::new();
    for task in tasks.flatten() {
        let Ok(text) = std::fs::read_to_string(task.path().join("children")) else {
            continue;
        };
        all.extend(
            text.split_whitespace()
                .filter_map(|c| c.parse::<u32>().ok()),
        );
    }
    Some(all)
}

/// As [`family`], by reading every process of the machine.
fn family_by_scan(pid: u32) -> Vec<u32> {
    let mut family = vec![pid];
    let parents: Vec<(u32, u32)> = pids()
        .into_iter()
        .filter_map(|p| {
            let fields = stat(p)?;
            let session: u32 = fields.get(3)?.parse().ok()?;
            if session == pid && p != pid {
                family.push(p);
            }
            Some((p, fields.get(1)?.parse().ok()?))
        })
        .collect();
    let mut i = 0;
    while i < family.len() {
        let parent = family[i];
        family.extend(
            parents
                .iter()
                .filter(|(p, pp)| *pp == parent && !family.contains(p))
                .map(|(p, _)| *p)
                .collect::<Vec<_>>(),
        );
        i += 1;
    }
    family
}

/// The number of OS threads of process `pid` (with those of the processes it
/// started, on Linux), or why it cannot be counted.
pub fn count(pid: u32) -> Result<usize, Error> {
    if cfg!(target_os = "linux") {
        // One directory per thread.
        let own = std::fs::read_dir(format!("/proc/{pid}/task"))
            .map(|dir| dir.count())
            .map_err(Error::io("read", format!("/proc/{pid}/task")))?;
        let others: usize = family(pid)
            .into_iter()
            .skip(1)
            .filter_map(|p| Some(std::fs::read_dir(format!("/proc/{p}/task")).ok()?.count()))
            .sum();
        Ok(own + others)
    } else if cfg!(target_os = "macos") {
        // `ps -M` prints a header, then one line per thread.
        let mut ps = Command::new("ps");
        ps.args(["-M", "-p", &pid.to_string()]);
        let lines = output(ps)?;
        Ok(lines
            .lines()
            .skip(1)
            .filter(|l| !l.trim().is_empty())
            .count())
    } else if cfg!(windows) {
        let script = format!("(Get-Process -Id {pid}).Threads.Count");
        let mut powershell = Command::new("powershell");
        powershell.args(["-NoProfile", "-Command", &script]);
        let text = output(powershell)?;
        text.trim().parse().map_err(|_| {
            Error::format(
                "powershell's answer",
                format!("{:?} is not a thread count", text.trim()),
            )
        })
    } else {
        Err(Error::said("no way to count threads on this platform"))
    }
}

/// How many times the threads of process `pid` have been switched out so
/// far, voluntarily (to wait) or not: a process that sleeps while nothing
/// happens adds none. Linux only.
pub fn switches(pid: u32) -> Result<u64, Error> {
    if !cfg!(target_os = "linux") {
        return Err(Error::said("context switches are counted on Linux only"));
    }
    // Its own threads first: a process that cannot be read is an error.
    let own = std::fs::read_dir(format!("/proc/{pid}/task"))
        .map_err(Error::io("read", format!("/proc/{pid}/task")))?;
    let others = family(pid)
        .into_iter()
        .skip(1)
        .filter_map(|p| std::fs::read_dir(format!("/proc/{p}/task")).ok());
    let mut total = 0;
    for task in own.chain(others.flatten()).flatten() {
        // A thread that ended meanwhile has nothing more to add.
        let Ok(status) = std::fs::read_to_string(task.path().join("status")) else {
            continue;
        };
        total += switches_in(&status);
    }
    Ok(total)
}

/// How many times the first thread of process `pid` (its `main`, where a
/// `block_on` runs) has been switched out so far. Linux only.
/// The CPU time process `pid`'s main thread has used (Linux): fields 14 and
/// 15 of its task's stat (utime, stime), in clock ticks. No other process
/// is read: it is cheap to read often, whatever runs on the machine.
pub(crate) fn main_thread_cpu(pid: u32) -> Option<std::time::Duration> {
    #[cfg(target_os = "linux")]
    {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/stat")).ok()?;
        let fields: Vec<&str> = stat.rsplit_once(") ")?.1.split(' ').collect();
        let ticks: u64 = [11, 12]
            .iter()
            .map(|&i| fields.get(i)?.parse::<u64>().ok())
            .sum::<Option<u64>>()?;
        // SAFETY: sysconf reads a constant of the system.
        let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
        (per_second > 0)
            .then(|| std::time::Duration::from_secs_f64(ticks as f64 / per_second as f64))
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = pid;
        None
    }
}

pub(crate) fn main_thread_switches(pid: u32) -> Result<u64, Error> {
    Ok(switches_in(&read(&format!(
        "/proc/{pid}/task/{pid}/status"
    ))?))
}

/// How many memory mappings process `pid` has (its stacks, heaps, files):
/// a server that keeps a mapping per client that left (a thread's stack,
/// never joined) grows by thousands. Linux only.
pub(crate) fn mappings(pid: u32) -> Result<usize, Error> {
    Ok(read(&format!("/proc/{pid}/maps"))?.lines().count())
}

/// Whether this machine can count a process's threads: tried once, on the
/// grader's own process.
pub(crate) fn can_count() -> Result<(), Error> {
    static PROBE: std::sync::OnceLock<Result<(), String>> = std::sync::OnceLock::new();
    PROBE
        .get_or_init(|| {
            count(std::process::id())
                .map(drop)
                .map_err(|e| e.to_string())
        })
        .clone()
        .map_err(Error::Said)
}

/// What `cmd` prints, or why it could not tell.
fn output(cmd: Command) -> Result<String, Error> {
    let shown = format!("{cmd:?}");
    // A probe of the system, not a step: far longer than it ever takes.
    let limit = std::time::Duration::from_secs(30);
    let run = run_command(cmd, &shown, limit, Bound::LOG)?;
    match run.end {
        Some(end) if end.status.success() => {
            Ok(String::from_utf8_lossy(run.stdout.head()).into_owned())
        }
        Some(_) => Err(Error::said(format!(
            "{shown} failed: {}",
            run.stderr.text().trim()
        ))),
        None => Err(Error::TimedOut { what: shown, limit }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_status() {
        let text = "Name:\tx\nVmHWM:\t  2048 kB\nVmRSS:\t  1024 kB\nThreads:\t3\n";
        assert_eq!(field(text, "VmRSS:", "p").ok(), Some(1024));
        assert_eq!(field(text, "Threads:", "p").ok(), Some(3));
        assert!(field(text, "VmSwap:", "p").is_err());
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn this_process_has_memory_and_threads() {
        let s = status(None).unwrap();
        assert!(s.rss > 0 && s.peak_rss >= s.rss && s.threads >= 1);
        assert!(kernel_stacks().unwrap() > 0);
    }

    /// A process that has waited (two sleeps) has been switched out: its
    /// count, read while it waits again, is above zero. Another process,
    /// so that the other tests' threads, ending meanwhile, count for nothing.
    #[cfg(target_os = "linux")]
    #[test]
    fn a_process_that_waits_has_switches() {
        let mut child = Command::new("sh")
            .args(["-c", "sleep 0.01; sleep 0.01; exec sleep 60"])
            .spawn()
            .unwrap();
        let pid = child.id();
        // Its last command replaces the shell once the two sleeps are over.
        let end = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while std::fs::read_to_string(format!("/proc/{pid}/cmdline"))
            .is_ok_and(|c| !c.starts_with("sleep"))
            && std::time::Instant::now() < end
        {
            std::thread::yield_now();
        }
        let switched = switches(pid);
        let _ = child.kill();
        let _ = child.wait();
        assert!(switched.unwrap() > 0);
    }

    #[test]
    fn sees_the_threads_this_test_parks() {
        const PARKED: usize = 20;
        let (stop_tx, stop_rx) = std::sync::mpsc::channel::<()>();
        let stop_rx = std::sync::Arc::new(std::sync::Mutex::new(stop_rx));
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let threads: Vec<_> = (0..PARKED)
            .map(|_| {
                let (stop_rx, ready_tx) = (stop_rx.clone(), ready_tx.clone());
                std::thread::spawn(move || {
                    ready_tx.send(()).unwrap();
                    // Every parked thread returns once the sender is dropped.
                    let _ = stop_rx.lock().map(|rx| rx.recv());
                })
            })
            .collect();
        for _ in 0..PARKED {
            ready_rx.recv().unwrap();
        }
        let counted = count(std::process::id());
        drop(stop_tx);
        for t in threads {
            t.join().unwrap();
        }
        match counted {
            // The parked threads and this one, at least.
            Ok(n) => assert!(n > PARKED, "counted {n} threads with {PARKED} parked"),
            Err(why) => eprintln!("note: skipped: {why}"),
        }
    }
}
