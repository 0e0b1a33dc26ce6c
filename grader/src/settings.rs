//! What the environment says of a grading, read once, at the start, into a
//! value that goes with the grading wherever it needs it (as trybuild reads
//! its own). Nothing deeper in the grader reads the environment.
//!
//! - `GRADE`: which step files are graded (`exercises`, `solutions`, a path);
//! - `GRADER_TIMEOUT`: how long one awaited event may take, in seconds;
//! - `GRADER_SCRATCH`: in a class's sandbox, the one folder its grading may
//!   write to;
//! - `GRADER_SANDBOX_MEMORY_MIB`: the memory all of a submission's processes
//!   may take together;
//! - `GRADER_STEPS_AS_NOBODY=1` (root, no sandbox: Gradescope's way; with
//!   `GRADER_STEPS_USER`, a class graded without its sandbox: that user
//!   rather than nobody), or `GRADER_STEPS_USER` alone (given by the grader
//!   to itself in a sandbox): the user the steps run as;
//! - `GRADER_CLASS_BUILD_DIR`: where a class's builds go.

use crate::exec::sandbox::{self, Sandbox};
use crate::protocol;
use crate::target::Target;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Settings {
    /// `GRADE`, as given (empty: the exercises).
    pub grade: String,
    /// The shell's folder (`PWD`), where a relative `GRADE` is taken from
    /// (cargo runs the tests from the package's own folder).
    pub shell_dir: Option<PathBuf>,
    /// How long one awaited event may take; a whole long run (a thousand
    /// molecules or tasks) four times that.
    pub deadline: Duration,
    /// The one folder a class's grading may write to, in its sandbox.
    pub scratch: Option<PathBuf>,
    /// The memory all of a submission's processes and its `/tmp` may take
    /// together, bytes.
    pub sandbox_memory: u64,
    /// The user the steps run as, when it is not the grader's own.
    pub steps_user: Option<u32>,
    /// Whether this grading runs in a class's sandbox.
    pub sandboxed: bool,
    /// How the steps are built.
    pub builds: Builds,
}

/// How the steps are built: as a student's (kept, built again as they
/// change), or as a class's (once each, in the build sandbox, apart).
#[derive(Debug, Clone, Default)]
pub struct Builds {
    /// The build sandbox, when a class is graded in it.
    pub sandbox: Option<Sandbox>,
    /// Where a class's builds go, when this is a class's grading.
    pub class_dir: Option<PathBuf>,
}

impl Builds {
    /// Whether the builds are a class's: each crate built once, apart.
    pub fn for_a_class(&self) -> bool {
        self.class_dir.is_some()
    }
}

impl Settings {
    /// The settings of this process's environment.
    pub fn from_env() -> Settings {
        let var = |name: &str| std::env::var(name).ok();
        let sandboxed = var(sandbox::SANDBOXED).is_some();
        Settings {
            grade: var("GRADE").unwrap_or_default(),
            shell_dir: std::env::var_os("PWD").map(PathBuf::from),
            deadline: protocol::deadline_of(var(protocol::TIMEOUT).as_deref()),
            scratch: std::env::var_os("GRADER_SCRATCH").map(PathBuf::from),
            sandbox_memory: var("GRADER_SANDBOX_MEMORY_MIB")
                .and_then(|m| m.parse::<u64>().ok())
                .map_or(sandbox::LIMITS.memory, |mib| mib << 20),
            steps_user: steps_user(
                var(sandbox::STEPS_USER).and_then(|u| u.parse().ok()),
                var("GRADER_STEPS_AS_NOBODY").as_deref() == Some("1"),
            ),
            sandboxed,
            builds: Builds::default(),
        }
    }

    /// These settings, for a class's grading: builds once each, in
    /// `sandbox` if there is one, into the class's own build folder.
    pub fn for_a_class(mut self, sandbox: Option<Sandbox>) -> Settings {
        let class_dir = std::env::var_os("GRADER_CLASS_BUILD_DIR")
            .map(PathBuf::from)
            .filter(|d| d.is_absolute())
            .unwrap_or_else(|| crate::target::grader_dir().join("class-build"));
        self.builds = Builds {
            sandbox,
            class_dir: Some(class_dir),
        };
        self
    }

    /// The target they choose: `GRADE`, a relative path taken from the
    /// shell's folder.
    pub fn target(&self) -> Result<Target, crate::error::Error> {
        let cwd = self
            .shell_dir
            .clone()
            .or_else(|| std::env::current_dir().ok());
        crate::target::resolve(&self.grade, cwd.as_deref())
    }

    /// How long a whole long run (a thousand molecules, a thousand tasks)
    /// may take.
    pub(crate) fn run_deadline(&self) -> Duration {
        self.deadline * 4
    }
}

/// The user the steps run as: the one a class's sandbox gives a submission
/// (the grader there runs as root); or, when asked for and the grader is
/// root, nobody or the user given. Then a step can neither write the
/// grader's files nor signal it, nor look into it. Never root, once asked
/// for: where that user cannot reach the builds, the steps cannot start,
/// and the grader refuses such a grading before it starts
/// ([`unreachable_builds`]).
fn steps_user(given: Option<u32>, as_nobody: bool) -> Option<u32> {
    if !cfg!(unix) || !sandbox::is_root() {
        return None;
    }
    if !as_nobody {
        return given;
    }
    // A user of the submission's own, when the grader gives one (a class
    // graded without its sandbox): its steps then cannot touch another's
    // files or processes, nor count against another's limits.
    Some(given.unwrap_or(sandbox::NOBODY))
}

/// Where the grader runs as root (the only way a class's steps run as a
/// user of their own without the sandbox), the first folder on the way to
/// its builds that lets no other user through (no `x` for others), if
/// there is one: the steps could not start.
pub fn unreachable_builds() -> Option<PathBuf> {
    #[cfg(unix)]
    {
        if !sandbox::is_root() {
            return None;
        }
        use std::os::unix::fs::PermissionsExt;
        let builds = crate::target::grader_dir();
        let mut on_the_way: Vec<PathBuf> = builds.ancestors().map(PathBuf::from).collect();
        on_the_way.reverse();
        on_the_way
            .into_iter()
            .find(|dir| std::fs::metadata(dir).is_ok_and(|m| m.permissions().mode() & 0o001 == 0))
    }
    #[cfg(not(unix))]
    None
}
