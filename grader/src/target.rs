//! Which step files are graded (`GRADE`), and where the grader keeps its builds.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The step files being graded, `src/bin/<step>.rs` under `dir`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The directory whose `src/bin` holds the step files.
    pub dir: PathBuf,
    /// How messages name it: `exercises`, `solutions`, a path, a student.
    pub label: String,
    /// How it is built.
    pub kind: Origin,
}

/// How a target is built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A crate of this workspace (`exercises`, `solutions`), built in place
    /// with its own manifest, as `cargo run --bin <step>` builds it.
    Member { package: String },
    /// Step files from elsewhere (a student's clone, an upload, a mutant):
    /// copied into a crate of the grader's own, so that only the step files
    /// count, never another manifest, build script or cargo configuration.
    Files,
}

impl Target {
    /// A crate of this workspace.
    pub fn member(package: &str) -> Self {
        Target {
            dir: workspace_root().join(package),
            label: package.to_string(),
            kind: Origin::Member {
                package: package.to_string(),
            },
        }
    }

    /// The step files in `dir/src/bin`, named `label` in messages.
    pub fn files(dir: impl Into<PathBuf>, label: impl Into<String>) -> Self {
        let dir = dir.into();
        let canonical = dir.canonicalize().unwrap_or_else(|_| dir.clone());
        for package in ["exercises", "solutions"] {
            let member = workspace_root().join(package);
            if member.canonicalize().is_ok_and(|m| m == canonical) {
                return Target {
                    label: label.into(),
                    ..Target::member(package)
                };
            }
        }
        Target {
            dir,
            label: label.into(),
            kind: Origin::Files,
        }
    }

    /// The step's source file.
    pub fn source(&self, step: &str) -> PathBuf {
        self.dir.join("src").join("bin").join(format!("{step}.rs"))
    }

    /// A short, stable name for this target's own folders under the
    /// grader's build directory.
    pub fn key(&self) -> String {
        key_of(&self.dir)
    }
}

/// A short, readable, stable name for a directory: its last part and a hash
/// of its full path.
pub(crate) fn key_of(dir: &Path) -> String {
    use std::hash::{DefaultHasher, Hash, Hasher};
    let canonical = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    let mut hasher = DefaultHasher::new();
    canonical.hash(&mut hasher);
    let name = canonical
        .file_name()
        .map(|n| safe_name(&n.to_string_lossy()))
        .unwrap_or_default();
    format!("{name}-{:016x}", hasher.finish()).to_lowercase()
}

/// `name` with every character but ASCII letters, digits and `-` made `_`:
/// a name that cargo and every file system accept.
pub(crate) fn safe_name(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
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
            .filter(|dir| dir.join("src/catalogue.rs").is_file())
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
        grader
            .parent()
            .expect("the grader crate sits inside the workspace")
            .to_path_buf()
    })
}

/// A path given on the command line, as the shell meant it: a relative path
/// is taken from the shell's own directory (`PWD`), which may be reached
/// through a link (`cd grader`, where `grader` is a link, then
/// `../grade.json`), when it is this process's directory.
pub(crate) fn from_shell(path: &Path, shell: Option<&Path>) -> PathBuf {
    match shell {
        Some(shell)
            if path.is_relative()
                && shell.is_absolute()
                && shell.canonicalize().ok()
                    == std::env::current_dir()
                        .ok()
                        .and_then(|d| d.canonicalize().ok()) =>
        {
            // `..` as the shell reads it: the folder the path names, not the
            // one a link leads to.
            let mut logical = PathBuf::new();
            for part in shell.join(path).components() {
                match part {
                    std::path::Component::ParentDir => {
                        logical.pop();
                    }
                    std::path::Component::CurDir => {}
                    other => logical.push(other),
                }
            }
            logical
        }
        _ => path.to_path_buf(),
    }
}

/// Whether the checkout this grader was built from is still there: a
/// binary built from another checkout (one that shared a build directory
/// with this one, say) would grade against that checkout's steps.
pub fn built_here() -> bool {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("src/catalogue.rs")
        .is_file()
}

/// Reads a `GRADE` value: empty means `exercises`; `exercises` and
/// `solutions` are this workspace's crates; anything else is the path of a
/// folder with the steps in `src/bin`, taken relative to `cwd` (the shell's
/// directory, since cargo runs tests from the package's own directory) or
/// else to the workspace root.
pub(crate) fn resolve(grade: &str, cwd: Option<&Path>) -> Result<Target, crate::error::Error> {
    let root = workspace_root();
    match grade {
        "" | "exercises" => return Ok(Target::member("exercises")),
        "solutions" => return Ok(Target::member("solutions")),
        _ => {}
    }
    let path = Path::new(grade);
    let dir = if path.is_absolute() {
        path.to_path_buf()
    } else {
        cwd.filter(|c| c.is_absolute()).unwrap_or(root).join(path)
    };
    if !dir.join("src/bin").is_dir() {
        return Err(crate::error::Error::usage(format!(
            "GRADE={grade}: no src/bin folder in {} (GRADE takes exercises, solutions, or the path of a crate with the steps in src/bin)",
            dir.display()
        )));
    }
    Ok(Target::files(dir, grade))
}

/// The grader's own build directory, `<cargo target dir>/grader`.
pub fn grader_dir() -> PathBuf {
    cargo_target_dir().join("grader")
}

/// The cargo target directory this program was built in: `CARGO_TARGET_DIR`,
/// or the nearest ancestor of the running executable that cargo marked with
/// `CACHEDIR.TAG`. The grader's builds share its compiled dependencies.
pub fn cargo_target_dir() -> PathBuf {
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
        assert_eq!(
            t.kind,
            Origin::Member {
                package: "exercises".into()
            }
        );
    }

    #[test]
    fn a_path_to_a_workspace_crate_is_that_crate() {
        let t = resolve("solutions/", Some(workspace_root())).unwrap();
        assert_eq!(t.label, "solutions/");
        assert_eq!(
            t.kind,
            Origin::Member {
                package: "solutions".into()
            }
        );
    }

    #[test]
    fn a_path_elsewhere_is_graded_as_step_files() {
        let dir = std::env::temp_dir().join(format!("grader-target-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("src/bin")).unwrap();
        let t = resolve(dir.to_str().unwrap(), None).unwrap();
        assert_eq!(t.kind, Origin::Files);
        assert_eq!(t.source("echo-thread"), dir.join("src/bin/echo-thread.rs"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_path_without_steps_is_one_clear_line() {
        let e = resolve("no/such/dir", Some(workspace_root()))
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("GRADE=no/such/dir: no src/bin folder in "),
            "{e}"
        );
        assert!(!e.contains('\n'));
    }

    #[test]
    fn different_folders_get_different_keys() {
        let a = key_of(Path::new("/a/exercises"));
        let b = key_of(Path::new("/b/exercises"));
        assert_ne!(a, b);
        assert!(a.starts_with("exercises-"));
    }
}
