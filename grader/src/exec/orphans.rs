//! Processes that escaped their group (Linux).
//!
//! A program that starts a child in a session of its own (`setsid`, a
//! daemon's double fork) takes it out of the group that the grader kills. A
//! step cannot (`seccomp`); this is what holds where that filter cannot be
//! set (a kernel without seccomp). The grader makes itself the "subreaper"
//! of what it starts, so such a process, once its parent dies, becomes the
//! grader's child instead of init's; [`hunt`] finds the grader's children
//! that it did not start itself and that escaped (in a session or group
//! other than the grader's, or carrying its mark in their environment),
//! kills them and reaps them. A child the grader's own code started
//! directly stays in its group.

/// The environment variable that marks the processes a grader started, with
/// its own pid: what [`hunt`] looks for in a process that escaped its group.
pub(super) const MARK: &str = "GRADER_STARTED_BY";

#[cfg(target_os = "linux")]
mod imp {
    use std::collections::HashSet;
    use std::sync::{Mutex, Once};

    /// How often the grader looks for orphans while it runs.
    const HUNT_EVERY: std::time::Duration = std::time::Duration::from_millis(100);

    /// The children the grader started itself, while they live.
    static STARTED: Mutex<Vec<u32>> = Mutex::new(Vec::new());

    fn started() -> std::sync::MutexGuard<'static, Vec<u32>> {
        STARTED.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Starts a child and records it, under the same lock that `hunt` takes,
    /// so that a hunt never mistakes a child being started for an orphan.
    pub(crate) fn spawn<T>(start: impl FnOnce() -> std::io::Result<T>) -> std::io::Result<T>
    where
        T: HasPid,
    {
        static SUBREAPER: Once = Once::new();
        SUBREAPER.call_once(|| {
            // SAFETY: a flag on this process; no memory is touched.
            unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1) };
            // Not only when a process of the grader's ends: an orphan left
            // to run until then could serve a check in its step's place,
            // uncounted (a thread per client in a process of its own).
            let _ = std::thread::Builder::new()
                .name("orphan hunter".to_string())
                .spawn(|| {
                    loop {
                        std::thread::sleep(HUNT_EVERY);
                        hunt();
                    }
                });
        });
        let mut started = started();
        let child = start()?;
        started.push(child.pid());
        Ok(child)
    }

    pub(crate) fn forget(pid: u32) {
        started().retain(|p| *p != pid);
    }

    pub(crate) fn hunt() {
        let me = std::process::id();
        let mark = format!("{}={me}", super::MARK);
        // SAFETY: both read this process's own ids.
        let (my_group, my_session) = unsafe { (libc::getpgrp() as u32, libc::getsid(0) as u32) };
        let started = started();
        let mut seen = HashSet::new();
        // Each round kills the orphans found; their own children become
        // orphans as they die, and the next round finds those. Rounds go on
        // while there are any, for a while: a chain of processes that each
        // start the next and end is chased to its last.
        let until = std::time::Instant::now() + CHASE_FOR;
        loop {
            let found: Vec<u32> = children_of(me)
                .into_iter()
                .filter(|child| !started.contains(&child.pid))
                .filter(|child| {
                    child.session != my_session
                        || child.group != my_group
                        || carries(child.pid, &mark)
                })
                .map(|child| child.pid)
                .filter(|pid| seen.insert(*pid))
                .collect();
            if found.is_empty() {
                return;
            }
            for pid in found {
                // SAFETY: signals and waits on a child of this process.
                unsafe {
                    libc::kill(pid as libc::pid_t, libc::SIGKILL);
                    libc::waitpid(pid as libc::pid_t, std::ptr::null_mut(), 0);
                }
            }
            if std::time::Instant::now() > until {
                return;
            }
        }
    }

    /// How long one hunt may chase orphans that keep coming.
    const CHASE_FOR: std::time::Duration = std::time::Duration::from_secs(2);

    struct Child {
        pid: u32,
        group: u32,
        session: u32,
    }

    /// The live processes whose parent is `parent`, as far as the hunt
    /// needs: the orphans it adopted, which the kernel gives to its first
    /// live thread, its main one (`find_alive_thread`), and lists there, in
    /// a read quick enough to chase a chain of processes that each start the
    /// next and end; else every process whose parent it is.
    fn children_of(parent: u32) -> Vec<Child> {
        let listed: Option<Vec<u32>> =
            std::fs::read_to_string(format!("/proc/{parent}/task/{parent}/children"))
                .ok()
                .map(|text| {
                    text.split_whitespace()
                        .filter_map(|p| p.parse().ok())
                        .collect()
                });
        listed
            .unwrap_or_else(crate::exec::procfs::pids)
            .into_iter()
            .filter_map(|pid| {
                let stat = crate::exec::procfs::stat(pid)?;
                let [state, ppid, group, session] = stat.get(..4)? else {
                    return None;
                };
                (state != "Z" && ppid.parse() == Ok(parent)).then(|| Child {
                    pid,
                    group: group.parse().unwrap_or(0),
                    session: session.parse().unwrap_or(0),
                })
            })
            .collect()
    }

    /// Whether the process's environment holds `mark`.
    fn carries(pid: u32, mark: &str) -> bool {
        crate::exec::procfs::environ(pid)
            .is_some_and(|env| env.split(|b| *b == 0).any(|v| v == mark.as_bytes()))
    }

    pub(crate) trait HasPid {
        fn pid(&self) -> u32;
    }

    impl HasPid for std::process::Child {
        fn pid(&self) -> u32 {
            self.id()
        }
    }
}

#[cfg(not(target_os = "linux"))]
mod imp {
    pub fn spawn<T>(start: impl FnOnce() -> std::io::Result<T>) -> std::io::Result<T> {
        start()
    }
    pub fn forget(_pid: u32) {}
    pub(crate) fn hunt() {}
}

pub(super) use imp::{forget, hunt, spawn};
