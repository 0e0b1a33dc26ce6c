//! Confining a class's submissions when a tutor grades them (Linux).
//!
//! Each submission's build, and then the grading of its steps, runs under
//! bubblewrap (`bwrap`), in namespaces of its own: no network but its own
//! loopback, its own process tree (all of it dies with it), the file system
//! read-only but for the submission's own scratch folder, a private `/tmp`,
//! the tutor's home hidden, and limits on processes, memory, open files and
//! CPU time. The grader of a submission (this very executable, trusted) runs
//! inside with the steps it grades: they share the sandbox's loopback, and
//! `/proc` there shows the steps' threads and times as the checks expect.
//!
//! A grader running as root drops to an unprivileged user of the
//! submission's own (a number with no name) for the steps' sandbox: limits
//! on processes do not hold for root, and the steps have no business with
//! root's files nor with another submission's.

use crate::error::Error;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Limits on what a submission's steps may take, each per process (the
/// number of processes: for the sandbox as a whole).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Limits {
    /// Processes and threads together: a thread-per-client server with 300
    /// clients, twice at once, and the grader's own threads fit.
    pub processes: u64,
    /// Address space, bytes: tokio reserves far more than it uses.
    pub memory: u64,
    pub open_files: u64,
    /// CPU seconds; each check's own deadlines end a run long before.
    pub cpu_seconds: u64,
}

pub(crate) const LIMITS: Limits = Limits {
    processes: 1024,
    memory: 4 << 30,
    open_files: 4096,
    cpu_seconds: 300,
};

/// The most one file a step writes may weigh, bytes: its scratch is on the
/// tutor's disk, its `/tmp` in memory.
#[cfg(target_os = "linux")]
const FILE_SIZE: u64 = 64 << 20;

/// Limits on each process of a submission's build (cargo, rustc): a step
/// file can keep the compiler busy (a constant that takes forever to
/// evaluate) or make it take the machine's memory (a huge constant array).
/// Far above what the steps' build and their dependencies' take.
#[cfg(target_os = "linux")]
const BUILD_LIMITS: (u64, u64) = (6 << 30, 300);

/// bubblewrap, found and tried.
#[derive(Debug, Clone)]
pub struct Sandbox {
    bwrap: PathBuf,
}

/// What a sandboxed command may write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// cargo building a submission's steps, with the toolchain and the
    /// downloaded crates.
    Build,
    /// The grading of a submission, within the limits, by this grader run
    /// again; when the grader is root, the steps run as the user given: one
    /// of the submission's own, so that its processes count against its own
    /// limit, never against another submission graded at the same time,
    /// and so that no step can signal its grader or look into it.
    Grade(u32),
}

/// A user of its own for each submission graded, when the grader is root:
/// ids no account uses, far above those of people and services (and below
/// 2^31, which some tools read as signed).
pub(crate) fn grading_user() -> u32 {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    1_500_000_000 + NEXT.fetch_add(1, Ordering::Relaxed) % 1_000_000
}

impl Sandbox {
    /// bubblewrap, if it is installed and this system lets it make its
    /// namespaces; else why not, in a line.
    pub fn find() -> Result<Sandbox, Error> {
        if !cfg!(target_os = "linux") {
            return Err(Error::said(
                "class grading's sandbox needs Linux namespaces (bubblewrap)",
            ));
        }
        let bwrap = std::env::var_os("PATH")
            .into_iter()
            .flat_map(|path| std::env::split_paths(&path).collect::<Vec<_>>())
            .map(|dir| dir.join("bwrap"))
            .find(|p| p.is_file())
            .ok_or_else(|| {
                Error::said(
                    "bubblewrap (bwrap) is not installed (Debian and Ubuntu: apt install bubblewrap)",
                )
            })?;
        let sandbox = Sandbox { bwrap };
        let tried = sandbox
            .wrap(Command::new("true"), Role::Grade(NOBODY), &[], &[])
            .output()
            .map_err(|source| Error::Start {
                what: "bubblewrap".to_string(),
                source,
            })?;
        if !tried.status.success() {
            return Err(Error::said(format!(
                "bubblewrap cannot make its namespaces here: {}",
                String::from_utf8_lossy(&tried.stderr).trim()
            )));
        }
        Ok(sandbox)
    }

    /// `cmd`, to be run in the sandbox. Of the file system it sees only the
    /// system's own folders (`/usr`, `/etc`, ...), read-only, a private
    /// `/tmp`, and what it is given: `writable`, `readable`, and for a build
    /// the toolchain and the downloaded crates, for a grading the grader
    /// itself. Nothing else of the machine is there: not this repository
    /// (its solutions, its history), not the grader's other builds, not
    /// another submission, wherever they are.
    ///
    /// Run by root, bubblewrap makes its namespaces as root and reaches
    /// every path it binds, however private the folders around it; the
    /// grading inside then runs the steps as the submission's own user
    /// (see [`Role::Grade`]). Run by anyone else, it needs a user
    /// namespace, and the steps run as that user.
    pub(crate) fn wrap(
        &self,
        cmd: Command,
        role: Role,
        writable: &[&Path],
        readable: &[&Path],
    ) -> Command {
        let mut args: Vec<OsString> = [
            "--die-with-parent",
            "--new-session",
            "--unshare-pid",
            "--unshare-net",
            "--unshare-ipc",
            "--unshare-uts",
            "--unshare-cgroup-try",
        ]
        .iter()
        .map(OsString::from)
        .collect();
        if !is_root() {
            args.push("--unshare-user".into());
        }
        let push = |args: &mut Vec<OsString>, flag: &str, paths: &[&Path]| {
            args.push(flag.into());
            args.extend(paths.iter().map(|p| p.as_os_str().to_owned()));
        };
        for dir in SYSTEM.iter().map(Path::new) {
            match std::fs::symlink_metadata(dir) {
                Ok(meta) if meta.file_type().is_symlink() => {
                    if let Ok(to) = std::fs::read_link(dir) {
                        push(&mut args, "--symlink", &[&to, dir]);
                    }
                }
                Ok(meta) if meta.is_dir() => push(&mut args, "--ro-bind", &[dir, dir]),
                _ => {}
            }
        }
        push(&mut args, "--proc", &[Path::new("/proc")]);
        push(&mut args, "--dev", &[Path::new("/dev")]);
        args.extend(["--perms".into(), "1777".into()]);
        push(&mut args, "--tmpfs", &[Path::new("/tmp")]);
        let mut mounts: Vec<(&str, PathBuf)> = Vec::new();
        match role {
            Role::Build => {
                for dir in toolchain() {
                    mounts.push(("--ro-bind", dir));
                }
            }
            Role::Grade(_) => {
                if let Ok(grader) = std::env::current_exe() {
                    mounts.push(("--ro-bind", grader));
                }
            }
        }
        for path in readable {
            if path.exists() {
                mounts.push(("--ro-bind", path.to_path_buf()));
            }
        }
        for dir in writable {
            // A build's output folder may not be there yet; bwrap binds
            // only what is.
            let _ = std::fs::create_dir_all(dir);
            mounts.push(("--bind", dir.to_path_buf()));
        }
        let mounts: Vec<(&str, PathBuf)> = mounts
            .into_iter()
            .map(|(flag, path)| (flag, std::path::absolute(&path).unwrap_or(path)))
            .collect();
        // The folders around what is bound, made open to all: bubblewrap
        // would copy their modes, and a private folder (root's home, a
        // `mktemp -d` folder) would keep the steps' user from what is
        // bound inside it. Nothing else of them is there.
        let mut around: Vec<&Path> = mounts
            .iter()
            .flat_map(|(_, path)| path.ancestors().skip(1))
            .filter(|dir| {
                dir.parent().is_some()
                    && !SYSTEM.iter().any(|s| dir.starts_with(s))
                    && !["/tmp", "/proc", "/dev"]
                        .iter()
                        .any(|s| *dir == Path::new(s))
            })
            .collect();
        around.sort_by_key(|dir| (dir.components().count(), dir.to_path_buf()));
        around.dedup();
        for dir in around {
            args.extend(["--perms".into(), "0755".into()]);
            push(&mut args, "--dir", &[dir]);
        }
        for (flag, path) in &mounts {
            push(&mut args, flag, &[path, path]);
        }
        if let Some(first) = writable.first() {
            args.extend(["--chdir".into(), first.as_os_str().to_owned()]);
        }
        args.push("--".into());
        args.push(cmd.get_program().to_owned());
        args.extend(cmd.get_args().map(|a| a.to_owned()));

        let mut wrapped = Command::new(&self.bwrap);
        wrapped.args(args);
        // bubblewrap hands its own environment on: a build's is what the
        // grader set on it (see `build::cargo::build`), and nothing more.
        if matches!(role, Role::Build) {
            wrapped.env_clear();
        }
        for (key, value) in cmd.get_envs() {
            match value {
                Some(value) => wrapped.env(key, value),
                None => wrapped.env_remove(key),
            };
        }
        if let Some(dir) = cmd.get_current_dir() {
            wrapped.current_dir(dir);
        }
        match role {
            Role::Build => {
                // Everything the build needs is downloaded already.
                wrapped.env("CARGO_NET_OFFLINE", "true");
                limit_build(&mut wrapped);
            }
            Role::Grade(user) => {
                wrapped.env(SANDBOXED, "1");
                if is_root() {
                    wrapped.env(STEPS_USER, user.to_string());
                }
                confine(&mut wrapped);
            }
        }
        wrapped
    }
}

/// The system's own folders, read-only in the sandbox: programs, libraries
/// and settings, nothing of a person's.
const SYSTEM: &[&str] = &[
    "/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc",
];

/// What a build needs of the toolchain: rustup's toolchains, and of cargo's
/// home its programs and the downloaded crates (not its credentials).
fn toolchain() -> Vec<PathBuf> {
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/nonexistent"));
    let cargo_home = toolchain_home(&home, "CARGO_HOME", ".cargo");
    let mut dirs = vec![toolchain_home(&home, "RUSTUP_HOME", ".rustup")];
    for part in ["bin", "registry", "git", "config.toml", "config"] {
        dirs.push(cargo_home.join(part));
    }
    // Where cargo itself is, if it is elsewhere (a system's cargo).
    if let Some(cargo) = std::env::var_os("CARGO")
        .map(PathBuf::from)
        .and_then(|c| Some(c.parent()?.parent()?.to_path_buf()))
    {
        dirs.push(cargo);
    }
    dirs.into_iter().filter(|d| d.exists()).collect()
}

/// Tells a grader run as root in the sandbox which user its steps run as.
pub(crate) const STEPS_USER: &str = "GRADER_STEPS_USER";

pub(crate) fn is_root() -> bool {
    #[cfg(unix)]
    // SAFETY: geteuid reads this process's user.
    return unsafe { libc::geteuid() } == 0;
    #[cfg(not(unix))]
    return false;
}

/// `$NAME`, or `home/default`.
fn toolchain_home(home: &Path, name: &str, default: &str) -> PathBuf {
    std::env::var_os(name)
        .map(PathBuf::from)
        .unwrap_or_else(|| home.join(default))
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
type Resource = libc::__rlimit_resource_t;
#[cfg(all(target_os = "linux", not(target_env = "gnu")))]
type Resource = libc::c_int;

/// Sets a limit, soft and hard, in a child about to start.
#[cfg(target_os = "linux")]
fn set_limit(resource: Resource, value: u64) -> std::io::Result<()> {
    let limit = libc::rlimit {
        rlim_cur: value as libc::rlim_t,
        rlim_max: value as libc::rlim_t,
    };
    // SAFETY: setrlimit is async-signal-safe and reads only `limit`.
    if unsafe { libc::setrlimit(resource, &limit) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

/// The build sandbox's limits, set in the child before bubblewrap starts.
#[cfg(target_os = "linux")]
fn limit_build(cmd: &mut Command) {
    use std::os::unix::process::CommandExt;
    let (memory, cpu_seconds) = BUILD_LIMITS;
    // SAFETY: set_limit is async-signal-safe and touches no memory of the
    // parent.
    unsafe {
        cmd.pre_exec(move || {
            set_limit(libc::RLIMIT_AS, memory)?;
            set_limit(libc::RLIMIT_CPU, cpu_seconds)
        });
    }
}

#[cfg(not(target_os = "linux"))]
fn limit_build(_cmd: &mut Command) {}

/// The grading sandbox's limits, set in the child before bubblewrap starts:
/// the steps inherit them (as root, the grading itself is not held to the
/// number of processes, its steps are: they run as a user of their own).
#[cfg(target_os = "linux")]
fn confine(cmd: &mut Command) {
    use std::os::unix::process::CommandExt;
    let limits = LIMITS;
    // SAFETY: setrlimit is async-signal-safe and touches no memory of the
    // parent.
    unsafe {
        cmd.pre_exec(move || {
            let set = set_limit;
            set(libc::RLIMIT_NPROC, limits.processes)?;
            set(libc::RLIMIT_AS, limits.memory)?;
            set(libc::RLIMIT_NOFILE, limits.open_files)?;
            set(libc::RLIMIT_CPU, limits.cpu_seconds)?;
            set(libc::RLIMIT_FSIZE, FILE_SIZE)
        });
    }
}

#[cfg(not(target_os = "linux"))]
fn confine(_cmd: &mut Command) {}

/// Tells a grader that it runs in the grading sandbox, in a process tree
/// of its own.
pub(crate) const SANDBOXED: &str = "GRADER_SANDBOXED";

/// In the grading sandbox: a thread that keeps the memory of all the
/// submission's processes together, and of its `/tmp`, within `budget`
/// bytes (the limit one process has, [`LIMITS`], unless the tutor chose
/// another): many processes, each within its own limit, could otherwise
/// take the machine's. Over it, every process but this grader is killed,
/// and the checks that ran them fail.
pub(crate) fn guard_memory(budget: u64) {
    #[cfg(target_os = "linux")]
    {
        std::thread::spawn(move || {
            let me = std::process::id();
            // SAFETY: sysconf reads a constant of the system.
            let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) }.max(1) as u64;
            loop {
                let pids: Vec<u32> = super::procfs::pids()
                    .into_iter()
                    .filter(|pid| *pid != me && *pid != 1)
                    .collect();
                // Each one's own memory (resident, but for the pages of files
                // it shares, such as its libraries: a thousand processes share
                // one libc); files in /tmp are counted below.
                let resident: u64 = pids
                    .iter()
                    .filter_map(|pid| super::procfs::own_pages(*pid))
                    .sum::<u64>()
                    * page;
                if resident + tmp_used() > budget {
                    eprintln!(
                        "the submission's processes took more than {} MiB together: killed",
                        budget >> 20
                    );
                    for pid in pids {
                        // SAFETY: a signal to a process of this sandbox.
                        unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
                    }
                }
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
        });
    }
    #[cfg(not(target_os = "linux"))]
    let _ = budget;
}

/// What the sandbox's private `/tmp` (in memory) holds, bytes.
#[cfg(target_os = "linux")]
fn tmp_used() -> u64 {
    // SAFETY: statvfs fills the struct given, for a path of ours.
    unsafe {
        let mut stat: libc::statvfs = std::mem::zeroed();
        if libc::statvfs(c"/tmp".as_ptr(), &mut stat) != 0 {
            return 0;
        }
        (stat.f_blocks - stat.f_bfree) as u64 * stat.f_frsize as u64
    }
}

/// The unprivileged user a grader run as root runs the steps as.
pub(crate) const NOBODY: u32 = 65534;

/// Makes `dir` writable by `user`, who runs the steps (when the grader is root).
pub(crate) fn hand_over(dir: &Path, user: u32) -> std::io::Result<()> {
    #[cfg(target_os = "linux")]
    if is_root() {
        use std::os::unix::ffi::OsStrExt;
        let path = std::ffi::CString::new(dir.as_os_str().as_bytes())
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
        // SAFETY: chown of a path of ours.
        if unsafe { libc::chown(path.as_ptr(), user, user) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
    }
    let _ = (dir, user);
    Ok(())
}
