//! Which crate is graded (`GRADE`) and where the grader keeps its builds.

use crate::failure::Failure;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The crate whose `src/bin/<step>.rs` files are graded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The directory holding the crate's `Cargo.toml`.
    pub dir: PathBuf,
    /// How messages name it: `exercises`, `solutions`, or the path given.
    pub label: String,
}

impl Target {
    /// A crate at `dir`, named `label` in messages.
    pub fn at(dir: impl Into<PathBuf>, label: impl Into<String>) -> Self {
        Target {
            dir: dir.into(),
            label: label.into(),
        }
    }

    /// The step's source file in this crate.
    pub fn source(&self, step: &str) -> PathBuf {
        self.dir.join("src").join("bin").join(format!("{step}.rs"))
    }
}

/// The root of this repository's workspace.
///
/// Cargo tells the running tests (and `cargo run`) where the grader crate is;
/// that is preferred to the place it was compiled in, because two clones that
/// share one target directory (a global `CARGO_TARGET_DIR`) share one build
/// of the grader too.
pub fn workspace_root() -> &'static Path {
    static ROOT: OnceLock<PathBuf> = OnceLock::new();
    ROOT.get_or_init(|| {
        let grader = std::env::var_os("CARGO_MANIFEST_DIR")
            .map(PathBuf::from)
            .filter(|dir| dir.join("src/steps.rs").is_file())
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
        grader
            .parent()
            .expect("the grader crate sits inside the workspace")
            .to_path_buf()
    })
}

/// The target chosen by the `GRADE` environment variable, read once.
pub fn from_env() -> Result<&'static Target, Failure> {
    static CHOSEN: OnceLock<Result<Target, String>> = OnceLock::new();
    CHOSEN
        .get_or_init(|| {
            let grade = std::env::var("GRADE").unwrap_or_default();
            let cwd = std::env::var_os("PWD").map(PathBuf::from);
            resolve(&grade, cwd.as_deref())
        })
        .as_ref()
        .map_err(|e| Failure::new(e.clone()))
}

/// Reads a `GRADE` value: empty means `exercises`; `exercises` and
/// `solutions` are this workspace's crates; anything else is a path to a
/// crate, taken relative to `cwd` (the shell's directory, since cargo runs
/// tests from the package's own directory) or else to the workspace root.
pub fn resolve(grade: &str, cwd: Option<&Path>) -> Result<Target, String> {
    let root = workspace_root();
    let target = match grade {
        "" | "exercises" => Target::at(root.join("exercises"), "exercises"),
        "solutions" => Target::at(root.join("solutions"), "solutions"),
        path => {
            let path = Path::new(path);
            let dir = if path.is_absolute() {
                path.to_path_buf()
            } else {
                cwd.filter(|c| c.is_absolute()).unwrap_or(root).join(path)
            };
            Target::at(dir, grade)
        }
    };
    if !target.dir.join("Cargo.toml").is_file() {
        return Err(format!(
            "GRADE={grade}: no Cargo.toml in {} (GRADE takes exercises, solutions, or the path of a crate with the steps in src/bin)",
            target.dir.display()
        ));
    }
    Ok(target)
}

/// The grader's own build directory, `<cargo target dir>/grader`. It is kept
/// apart from the workspace's builds and shared by every graded crate, so
/// tokio is compiled once for all of them.
pub fn grader_dir() -> PathBuf {
    cargo_target_dir().join("grader")
}

/// The cargo target directory this program was built in: the nearest
/// ancestor of the running executable that cargo marked with `CACHEDIR.TAG`.
fn cargo_target_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        let dir = PathBuf::from(dir);
        return if dir.is_absolute() {
            dir
        } else {
            workspace_root().join(dir)
        };
    }
    std::env::current_exe()
        .ok()
        .and_then(|exe| {
            exe.ancestors()
                .find(|dir| dir.join("CACHEDIR.TAG").is_file())
                .map(Path::to_path_buf)
        })
        .unwrap_or_else(|| workspace_root().join("target"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_grade_means_the_exercises() {
        let t = resolve("", None).unwrap();
        assert_eq!(t.label, "exercises");
        assert_eq!(t.dir, workspace_root().join("exercises"));
    }

    #[test]
    fn solutions_is_the_workspace_crate() {
        assert_eq!(
            resolve("solutions", None).unwrap().dir,
            workspace_root().join("solutions")
        );
    }

    #[test]
    fn a_relative_path_is_taken_from_the_shell_directory() {
        let t = resolve("solutions/", Some(workspace_root())).unwrap();
        assert_eq!(t.dir, workspace_root().join("solutions/"));
        assert_eq!(t.label, "solutions/");
    }

    #[test]
    fn a_path_without_a_crate_is_one_clear_line() {
        let e = resolve("no/such/dir", Some(workspace_root())).unwrap_err();
        assert!(e.starts_with("GRADE=no/such/dir: no Cargo.toml in "), "{e}");
        assert!(!e.contains('\n'));
    }
}
