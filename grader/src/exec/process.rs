//! A child process the grader stays in control of.
//!
//! A student's program is untrusted: it may start programs of its own, hang,
//! or print without end. So each child runs in a process group of its own (a
//! job object on Windows), and the whole group is killed the moment the
//! child is seen to end and again when its [`Process`] is dropped, however
//! the check ended. If the grader itself dies, the kernel kills the child
//! (Linux) and a watchdog kills its group (Unix). Like cargo-nextest, which
//! runs each test in a process group for the same reason.
//!
//! On Unix the group is std's own (`CommandExt::process_group`); on Windows
//! the job object is process-wrap's, from the watchexec project.

use crate::error::Error;
use std::io;
use std::process::{ChildStderr, ChildStdout, Command, ExitStatus};
use std::thread;
use std::time::{Duration, Instant};

#[cfg(unix)]
type Child = std::process::Child;
#[cfg(windows)]
type Child = Box<dyn process_wrap::std::ChildWrapper>;

/// How a child ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct End {
    pub status: ExitStatus,
    /// The CPU time (user and system) it used, where the platform tells.
    pub cpu: Option<Duration>,
}

/// A running child and its group. Dropping it kills the whole group.
#[derive(Debug)]
pub struct Process {
    child: Child,
    pid: u32,
    end: Option<End>,
    /// The rest of the group was killed once its leader ended. Never again:
    /// once the group is empty its id may be given to another.
    group_killed: bool,
}

impl Process {
    /// Starts `cmd` in a group of its own. `what` names it in errors.
    pub fn start(mut cmd: Command, what: &str) -> Result<Process, Error> {
        cmd.env(super::orphans::MARK, std::process::id().to_string());
        #[cfg(target_os = "linux")]
        die_with_parent(&mut cmd);
        let child =
            super::orphans::spawn(|| spawn_in_group(cmd)).map_err(|source| Error::Start {
                what: what.to_string(),
                source,
            })?;
        let pid = child.id();
        #[cfg(unix)]
        super::watchdog::guard(pid);
        Ok(Process {
            child,
            pid,
            end: None,
            group_killed: false,
        })
    }

    pub fn id(&self) -> u32 {
        self.pid
    }

    pub(crate) fn take_stdin(&mut self) -> Option<std::process::ChildStdin> {
        #[cfg(unix)]
        return self.child.stdin.take();
        #[cfg(windows)]
        return self.child.stdin().take();
    }

    pub fn take_stdout(&mut self) -> Option<ChildStdout> {
        #[cfg(unix)]
        return self.child.stdout.take();
        #[cfg(windows)]
        return self.child.stdout().take();
    }

    pub(crate) fn take_stderr(&mut self) -> Option<ChildStderr> {
        #[cfg(unix)]
        return self.child.stderr.take();
        #[cfg(windows)]
        return self.child.stderr().take();
    }

    /// The CPU time (user and system) it has used so far, while it runs,
    /// where the platform tells.
    pub(crate) fn cpu_so_far(&self) -> Option<Duration> {
        #[cfg(target_os = "linux")]
        {
            // Fields 14 and 15 of /proc/<pid>/stat (utime, stime), in clock
            // ticks, and 16 and 17 (the children it waited for): its own,
            // and those of the processes it started that still run.
            let ticks_of = |pid: u32, fields: &[usize]| -> Option<u64> {
                let rest = super::procfs::stat(pid)?;
                fields
                    .iter()
                    .map(|&i| rest.get(i)?.parse::<u64>().ok())
                    .sum()
            };
            let own = ticks_of(self.pid, &[11, 12, 13, 14])?;
            let others: u64 = super::procfs::family(self.pid)
                .into_iter()
                .skip(1)
                .filter_map(|pid| ticks_of(pid, &[11, 12]))
                .sum();
            let ticks = own + others;
            // SAFETY: sysconf reads a constant of the system.
            let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
            (per_second > 0).then(|| Duration::from_secs_f64(ticks as f64 / per_second as f64))
        }
        #[cfg(target_os = "macos")]
        {
            // `ps -o time=` prints `[[dd-]hh:]mm:ss.ss`.
            let out = Command::new("ps")
                .args(["-o", "time=", "-p", &self.pid.to_string()])
                .output()
                .ok()?;
            let text = String::from_utf8_lossy(&out.stdout);
            let mut seconds = 0.0;
            for part in text.trim().split(':') {
                seconds = seconds * 60.0 + part.parse::<f64>().ok()?;
            }
            Some(Duration::from_secs_f64(seconds))
        }
        #[cfg(windows)]
        {
            cpu_time(self.child.as_ref())
        }
        #[cfg(not(any(target_os = "linux", target_os = "macos", windows)))]
        {
            None
        }
    }

    /// How it ended, if it has; without waiting. Once the child is seen to
    /// have ended, whatever else of its group still runs is killed.
    pub fn poll(&mut self) -> Option<End> {
        if self.end.is_none()
            && let Some(end) = self.reap(false)
        {
            self.end = Some(end);
            self.kill_the_rest();
        }
        self.end
    }

    /// Waits up to `limit` for it to end.
    pub fn wait(&mut self, limit: Duration) -> Option<End> {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(end) = self.poll() {
                return Some(end);
            }
            if Instant::now() >= deadline {
                return None;
            }
            // Asks the OS again: nothing is timed by this pause.
            thread::sleep(Duration::from_millis(2));
        }
    }

    /// Kills it and its whole group now, and reaps it.
    pub fn kill(&mut self) {
        if self.end.is_none() {
            // The group first, while its leader still holds the group's id.
            #[cfg(unix)]
            unsafe {
                libc::killpg(self.pid as libc::pid_t, libc::SIGKILL)
            };
            #[cfg(windows)]
            let _ = self.child.start_kill();
            self.end = self.reap(true);
        }
        self.kill_the_rest();
    }

    /// Collects the child's end: `block` waits for it.
    #[cfg(unix)]
    fn reap(&mut self, block: bool) -> Option<End> {
        use std::os::unix::process::ExitStatusExt;
        let pid = self.pid as libc::pid_t;
        let flags = if block { 0 } else { libc::WNOHANG };
        loop {
            let mut status = 0;
            // SAFETY: rusage is plain data, filled by wait4 for this child only.
            let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
            match unsafe { libc::wait4(pid, &mut status, flags, &mut usage) } {
                n if n == pid => {
                    let time =
                        |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
                    return Some(End {
                        status: ExitStatus::from_raw(status),
                        cpu: Some(time(usage.ru_utime) + time(usage.ru_stime)),
                    });
                }
                -1 if io::Error::last_os_error().kind() == io::ErrorKind::Interrupted => continue,
                _ => return None,
            }
        }
    }

    #[cfg(windows)]
    fn reap(&mut self, block: bool) -> Option<End> {
        let status = if block {
            self.child.wait().ok()
        } else {
            self.child.try_wait().ok().flatten()
        }?;
        Some(End {
            status,
            cpu: cpu_time(self.child.as_ref()),
        })
    }

    /// Kills what is left of the group once its leader has ended: a child it
    /// started, or a copy of itself in the background.
    fn kill_the_rest(&mut self) {
        if std::mem::replace(&mut self.group_killed, true) {
            return;
        }
        #[cfg(unix)]
        {
            // The leader is reaped, but its group's id stays taken while any
            // member lives, so this reaches them and nothing else.
            unsafe { libc::killpg(self.pid as libc::pid_t, libc::SIGKILL) };
            super::watchdog::release(self.pid);
        }
        #[cfg(windows)]
        {
            let _ = self.child.start_kill();
        }
        super::orphans::forget(self.pid);
        super::orphans::hunt();
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Starts `cmd` as the leader of a group of its own (Unix).
#[cfg(unix)]
fn spawn_in_group(mut cmd: Command) -> io::Result<Child> {
    use std::os::unix::process::CommandExt;
    // A session, not only a group: a process may join any group of its own
    // session, and in the grader's it could join the grader's group and
    // pass for one of the grader's own children once orphaned. From a
    // session of its own, every way out (another group, another session)
    // leaves a mark `orphans::hunt` sees.
    // A step is in its session already (`seccomp`), and may no longer
    // call `setsid`: a process that leads its own session is where this
    // puts it.
    // SAFETY: setsid, getsid and getpid are async-signal-safe and touch no
    // memory of the parent.
    unsafe {
        cmd.pre_exec(|| {
            if libc::setsid() == -1 && libc::getsid(0) != libc::getpid() {
                return Err(io::Error::last_os_error());
            }
            Ok(())
        });
    }
    cmd.spawn()
}

/// Starts `cmd` in a job object of its own (Windows).
#[cfg(windows)]
fn spawn_in_group(cmd: Command) -> io::Result<Child> {
    let mut wrapped = process_wrap::std::CommandWrap::from(cmd);
    wrapped.wrap(process_wrap::std::JobObject);
    wrapped.spawn()
}

/// On Linux, the kernel kills the child if the grader itself is killed (by a
/// CI timeout, or Ctrl-C), so no server is ever left behind.
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

/// The CPU time a process used, from `GetProcessTimes`.
#[cfg(windows)]
fn cpu_time(child: &dyn process_wrap::std::ChildWrapper) -> Option<Duration> {
    use std::os::windows::io::AsRawHandle;
    use windows::Win32::Foundation::{FILETIME, HANDLE};
    use windows::Win32::System::Threading::GetProcessTimes;
    let handle = child.process_handle()?;
    let mut times = [FILETIME::default(); 4];
    let [created, exited, kernel, user] = &mut times;
    // SAFETY: the handle is the child's, open while `child` lives; the four
    // pointers are to FILETIMEs of ours.
    unsafe {
        GetProcessTimes(
            HANDLE(handle.as_raw_handle()),
            created,
            exited,
            kernel,
            user,
        )
    }
    .ok()?;
    // In units of 100 ns.
    let ticks = |t: &FILETIME| (u64::from(t.dwHighDateTime) << 32) | u64::from(t.dwLowDateTime);
    Some(Duration::from_nanos(
        (ticks(&times[2]) + ticks(&times[3])) * 100,
    ))
}

/// The exit status in words.
pub fn describe(status: &ExitStatus) -> String {
    match status.code() {
        Some(code) => format!("exit code {code}"),
        None => format!("{status}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(unix)]
    use std::process::Stdio;

    #[cfg(unix)]
    fn alive(pid: u32) -> bool {
        // Signal 0 checks for existence; a zombie is dead for our purpose.
        let exists = unsafe { libc::kill(pid as libc::pid_t, 0) } == 0;
        exists && !super::super::procfs::zombie(pid)
    }

    /// A child that starts a grandchild in the background and ends: the
    /// grandchild dies with it.
    #[cfg(target_os = "linux")]
    #[test]
    fn what_a_child_starts_dies_when_the_child_ends() {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "sleep 4242 & echo $!"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        let mut process = Process::start(cmd, "sh").unwrap();
        let stdout = process.take_stdout().unwrap();
        let end = process
            .wait(Duration::from_secs(10))
            .expect("sh ends at once");
        assert!(end.status.success());
        let mut text = String::new();
        io::Read::read_to_string(&mut { stdout }, &mut text).unwrap();
        let grandchild: u32 = text.trim().parse().unwrap();
        assert!(!alive(grandchild), "sleep {grandchild} outlived its group");
    }

    /// `sh -c script`, started, and the pid its script prints first.
    #[cfg(unix)]
    fn started_and_its_first_line(script: &str) -> (Process, u32) {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", script])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        let mut process = Process::start(cmd, "sh").unwrap();
        let mut stdout = io::BufReader::new(process.take_stdout().unwrap());
        let mut line = String::new();
        io::BufRead::read_line(&mut stdout, &mut line).unwrap();
        (process, line.trim().parse().unwrap())
    }

    /// A grandchild left behind by a child that ended has no parent that
    /// leads back to the step: it is the step's all the same (its session),
    /// and the grader's hunt for orphans kills it while the step still runs,
    /// not only when a process of the grader's ends.
    #[cfg(target_os = "linux")]
    #[test]
    fn an_orphan_counts_as_the_step_s_until_it_is_hunted() {
        let (process, orphan) =
            started_and_its_first_line("sh -c 'sleep 4244 & echo $!'; exec sleep 4245");
        let family = super::super::procfs::family(process.id());
        assert!(
            !alive(orphan) || family.contains(&orphan),
            "{orphan} is alive and not in {family:?}"
        );
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while alive(orphan) && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        assert!(!alive(orphan), "the orphan {orphan} was never hunted");
        assert!(alive(process.id()), "the step itself was killed");
    }

    #[cfg(unix)]
    #[test]
    fn dropping_a_process_kills_its_group() {
        let (process, grandchild) = started_and_its_first_line("sleep 4243 & echo $!; wait");
        let pid = process.id();
        assert!(alive(pid) && alive(grandchild));
        drop(process);
        assert!(!alive(pid) && !alive(grandchild));
    }

    #[cfg(unix)]
    #[test]
    fn the_cpu_time_of_a_child_is_measured() {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done"]);
        let mut process = Process::start(cmd, "sh").unwrap();
        let end = process.wait(Duration::from_secs(60)).unwrap();
        assert!(end.cpu.is_some_and(|cpu| cpu > Duration::ZERO), "{end:?}");
    }

    #[test]
    fn a_program_that_is_not_there_is_a_start_error() {
        let e = Process::start(Command::new("no-such-program-here"), "the step").unwrap_err();
        assert!(e.to_string().starts_with("cannot start the step: "), "{e}");
    }
}
