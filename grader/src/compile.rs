//! Building one step's binary, once per test run, apart from every other step.
//!
//! Each step is built on its own (`cargo build --bin <step>`), so a step that
//! does not compile fails only its own tests. All builds share the grader's
//! target directory, so the dependencies are compiled once.

use crate::failure::{Failure, tail};
use crate::steps;
use crate::target::{Target, grader_dir};
use std::fs::{self, File};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};

/// A built executable, or the compiler's errors.
pub type Built = Result<PathBuf, String>;

/// The step's executable in `target`, building it the first time it is asked
/// for in this process. When the build fails, every later call gets the same
/// failure (the compiler's diagnostic and the step's hint) without building again.
pub fn step_bin(target: &Target, step: &str) -> Result<PathBuf, Failure> {
    let manifest = target.dir.join("Cargo.toml");
    once(&manifest, step, || build(&manifest, step)).map_err(|diagnostic| {
        Failure::new(format!("{step} does not compile (in {})", target.label))
            .block("compiler", &diagnostic)
            .hint(steps::find(step).map_or(FIX_FIRST, |s| s.compile_hint))
    })
}

const FIX_FIRST: &str = "fix the first error first: the others often follow from it.";

/// Runs `build` for (`manifest`, `bin`) the first time only; later calls, from
/// any thread of this process, get the first call's result.
pub fn once(manifest: &Path, bin: &str, build: impl FnOnce() -> Built) -> Built {
    type Cell = Arc<OnceLock<Built>>;
    static BUILDS: Mutex<Vec<(PathBuf, String, Cell)>> = Mutex::new(Vec::new());
    let cell = {
        let mut builds = BUILDS.lock().unwrap_or_else(|e| e.into_inner());
        match builds.iter().find(|(m, b, _)| m == manifest && b == bin) {
            Some((_, _, cell)) => cell.clone(),
            None => {
                let cell = Cell::default();
                builds.push((manifest.to_path_buf(), bin.to_string(), cell.clone()));
                cell
            }
        }
    };
    // Other threads asking for the same bin wait here while the first builds.
    cell.get_or_init(build).clone()
}

/// Runs cargo for one bin of the crate at
/// `manifest`, then links the result to a path of its own for that crate, so
/// that building a bin of the same name for another crate (the solutions, a
/// mutant) into the shared directory cannot swap it underneath.
pub fn build(manifest: &Path, bin: &str) -> Built {
    let dir = grader_dir();
    fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    // Held from the build to the link: another grader process building a step
    // of the same name for another crate would otherwise overwrite the output.
    let lock = File::create(dir.join(".build-lock"))
        .map_err(|e| format!("cannot create the build lock in {}: {e}", dir.display()))?;
    lock.lock()
        .map_err(|e| format!("cannot lock {}: {e}", dir.display()))?;
    claim(&dir, manifest, bin)?;

    let output = cargo()
        .arg("build")
        .arg("--manifest-path")
        .arg(manifest)
        .args(["--bin", bin, "--color", "never", "--quiet", "--target-dir"])
        .arg(&dir)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !output.status.success() {
        return Err(errors_only(&String::from_utf8_lossy(&output.stderr)));
    }

    let built = dir
        .join("debug")
        .join(format!("{bin}{}", std::env::consts::EXE_SUFFIX));
    let own = dir
        .join("bins")
        .join(target_key(manifest.parent().unwrap_or(manifest)));
    fs::create_dir_all(&own).map_err(|e| format!("cannot create {}: {e}", own.display()))?;
    let exe = own.join(built.file_name().expect("a file name"));
    link_or_copy(&built, &exe)?;
    Ok(exe)
}

/// Makes sure cargo rebuilds `bin` when it was last built for another crate.
///
/// Cargo tells a path crate's builds apart by its name and its path *inside
/// its workspace*, so a student's copy of `exercises` and this repository's
/// `exercises` share one build in a shared target directory: cargo would take
/// one's binary as up to date for the other. Touching the source does not
/// always help: cargo checks the files its last build read, which may be the
/// other crate's (always, when that one lies inside the target directory). So
/// the grader records which crate built each (package, bin) last, and on a
/// change of crate removes the package's build (`cargo clean -p`, which
/// leaves the dependencies alone) so that cargo compiles it again. The crates
/// the grader writes itself get names of their own and never share a build.
fn claim(dir: &Path, manifest: &Path, bin: &str) -> Result<(), String> {
    let Some(package) = package_name(manifest) else {
        return Ok(());
    };
    let record = dir.join("owners").join(format!("{package}--{bin}"));
    let me = manifest
        .canonicalize()
        .unwrap_or_else(|_| manifest.to_path_buf())
        .to_string_lossy()
        .into_owned();
    if fs::read_to_string(&record).is_ok_and(|last| last == me) {
        return Ok(());
    }
    let cleaned = cargo()
        .args(["clean", "--quiet", "--package", &package, "--manifest-path"])
        .arg(manifest)
        .arg("--target-dir")
        .arg(dir)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !cleaned.status.success() {
        // The build that follows reports what is wrong with the crate.
        return Ok(());
    }
    fs::create_dir_all(record.parent().expect("a parent"))
        .and_then(|()| fs::write(&record, &me))
        .map_err(|e| format!("cannot write {}: {e}", record.display()))
}

/// The `name` of a manifest's `[package]`.
fn package_name(manifest: &Path) -> Option<String> {
    let text = fs::read_to_string(manifest).ok()?;
    let mut in_package = false;
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            in_package = line == "[package]";
        } else if in_package && let Some(value) = line.strip_prefix("name") {
            let value = value.trim_start().strip_prefix('=')?.trim();
            return Some(value.trim_matches('"').to_string());
        }
    }
    None
}

/// The cargo that runs these tests, so the pinned toolchain builds the steps.
pub fn cargo() -> Command {
    let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    // The grader picks the target directory itself.
    cmd.env_remove("CARGO_TARGET_DIR");
    cmd
}

/// A short, readable, stable name for a graded crate's directory.
pub fn target_key(dir: &Path) -> String {
    let canonical = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    let mut hasher = DefaultHasher::new();
    canonical.hash(&mut hasher);
    let name = canonical
        .file_name()
        .map(|n| safe_name(&n.to_string_lossy()))
        .unwrap_or_default();
    format!("{name}-{:016x}", hasher.finish())
}

/// `name` with every character but ASCII letters, digits and `-` made `_`:
/// a name that cargo and every file system accept.
pub fn safe_name(name: &str) -> String {
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

/// A hard link costs no space and keeps pointing at this build even when
/// cargo later replaces its own output; a copy is the fallback.
fn link_or_copy(from: &Path, to: &Path) -> Result<(), String> {
    let _ = fs::remove_file(to);
    if fs::hard_link(from, to).is_ok() {
        return Ok(());
    }
    fs::copy(from, to)
        .map(drop)
        .map_err(|e| format!("cannot copy {} to {}: {e}", from.display(), to.display()))
}

/// The error diagnostics of a failed build, without the warnings around them,
/// cut to a readable length.
pub fn errors_only(stderr: &str) -> String {
    let mut kept = Vec::new();
    let mut keeping = false;
    for line in stderr.lines() {
        // A diagnostic starts at `error` or `warning`; its `note:` and
        // `help:` lines that follow belong to it.
        if line.starts_with("error") {
            keeping = true;
        } else if line.starts_with("warning") {
            keeping = false;
        }
        if keeping {
            kept.push(line);
        }
    }
    let text = if kept.is_empty() {
        stderr.trim_end().to_string()
    } else {
        kept.join("\n").trim_end().to_string()
    };
    let lines: Vec<&str> = text.lines().collect();
    if lines.len() > MAX_DIAGNOSTIC_LINES {
        format!(
            "{}\n[{} more lines: run `cargo build --bin <step>` to see them all]",
            lines[..MAX_DIAGNOSTIC_LINES].join("\n"),
            lines.len() - MAX_DIAGNOSTIC_LINES
        )
    } else {
        tail(&text, MAX_DIAGNOSTIC_LINES)
    }
}

const MAX_DIAGNOSTIC_LINES: usize = 60;

#[cfg(test)]
mod tests {
    use super::*;

    /// Three crates of one name, as a class's submissions are: one inside
    /// the grader's target directory (as `--batch` once wrote them) and two
    /// outside. Each build must run that crate's own code, whatever was
    /// built before it.
    #[test]
    fn crates_of_one_name_each_get_their_own_build() {
        let package = format!("same-name-{}", std::process::id());
        let outside = std::env::temp_dir().join(&package);
        let inside = grader_dir().join("tests").join(&package);
        let crates = [outside.join("a"), inside.join("b"), outside.join("c")];
        for dir in &crates {
            let said = dir.file_name().unwrap().to_string_lossy();
            fs::create_dir_all(dir.join("src/bin")).unwrap();
            fs::write(
                dir.join("Cargo.toml"),
                format!("[package]\nname = \"{package}\"\nversion = \"0.0.0\"\nedition = \"2024\"\n[workspace]\n"),
            )
            .unwrap();
            fs::write(
                dir.join("src/bin/say.rs"),
                format!("fn main() {{ print!(\"{said}\"); }}\n"),
            )
            .unwrap();
        }
        for i in [0, 1, 2, 0, 1, 2] {
            let exe = build(&crates[i].join("Cargo.toml"), "say").unwrap();
            let out = Command::new(&exe).output().unwrap();
            let said = crates[i]
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned();
            assert_eq!(String::from_utf8_lossy(&out.stdout), said, "build {i}");
        }
        let _ = fs::remove_dir_all(&outside);
        let _ = fs::remove_dir_all(&inside);
    }

    #[test]
    fn errors_only_drops_warnings_and_keeps_each_error_whole() {
        let stderr = "warning: unused import\n --> a.rs:1:1\n  |\n\nerror: future cannot be sent\n  --> b.rs:2:2\n   |\nnote: more\nerror: could not compile `x`\n";
        assert_eq!(
            errors_only(stderr),
            "error: future cannot be sent\n  --> b.rs:2:2\n   |\nnote: more\nerror: could not compile `x`"
        );
    }

    #[test]
    fn errors_only_keeps_cargo_errors_that_are_not_diagnostics() {
        assert_eq!(
            errors_only("error: no bin target named `x`\n"),
            "error: no bin target named `x`"
        );
    }

    #[test]
    fn package_name_is_read_from_the_package_table() {
        let dir = std::env::temp_dir().join(format!("grader-pkg-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let manifest = dir.join("Cargo.toml");
        fs::write(
            &manifest,
            "[workspace]\nname = \"no\"\n[package]\nversion = \"1.0.0\"\nname = \"yes\"\n",
        )
        .unwrap();
        assert_eq!(package_name(&manifest).as_deref(), Some("yes"));
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn different_crates_get_different_keys() {
        let a = target_key(Path::new("/a/exercises"));
        let b = target_key(Path::new("/b/exercises"));
        assert_ne!(a, b);
        assert!(a.starts_with("exercises-"));
    }
}
