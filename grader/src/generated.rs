//! Small crates the grader writes itself: the harness around a student's
//! file, and the mutants of its self-check. They depend on what the steps
//! depend on, with the same features and the graded workspace's lock file,
//! so that the grader's target directory reuses the dependencies' builds.

use crate::target::workspace_root;
use std::fs;
use std::path::{Path, PathBuf};

/// The steps' dependencies, as in the workspace's `Cargo.toml`.
pub const DEPENDENCIES: &str = r#"tokio = { version = "1.54", features = ["rt-multi-thread", "macros", "net", "io-util", "sync"] }
futures = { version = "0.3.31", default-features = false, features = ["alloc"] }
"#;

/// Writes a crate at `dir` named `package` (unique per use: cargo tells path
/// crates apart by name) holding `files` (path inside the crate, text); its
/// bins are its `src/bin/*.rs`, as in any crate. Files already right are left
/// untouched so that cargo does not rebuild. Returns the manifest's path.
pub fn write_crate(
    dir: &Path,
    package: &str,
    files: &[(&str, &str)],
    lock_near: &Path,
) -> Result<PathBuf, String> {
    let manifest = format!(
        "[package]\nname = \"{package}\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n[dependencies]\n{DEPENDENCIES}\n# Not part of any workspace around it.\n[workspace]\n"
    );
    write_if_changed(&dir.join("Cargo.toml"), &manifest)?;
    for (path, text) in files {
        write_if_changed(&dir.join(path), text)?;
    }
    if let Some(lock) = lock_file(lock_near) {
        let text = fs::read_to_string(&lock)
            .map_err(|e| format!("cannot read {}: {e}", lock.display()))?;
        write_if_changed(&dir.join("Cargo.lock"), &text)?;
    }
    Ok(dir.join("Cargo.toml"))
}

fn write_if_changed(path: &Path, text: &str) -> Result<(), String> {
    if fs::read_to_string(path).is_ok_and(|old| old == text) {
        return Ok(());
    }
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent)
            .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    }
    fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// The `Cargo.lock` of the workspace around `dir`, or this repository's.
fn lock_file(dir: &Path) -> Option<PathBuf> {
    dir.ancestors()
        .map(|d| d.join("Cargo.lock"))
        .find(|p| p.is_file())
        .or_else(|| Some(workspace_root().join("Cargo.lock")).filter(|p| p.is_file()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dependencies_are_the_workspace_ones() {
        let root = fs::read_to_string(workspace_root().join("Cargo.toml")).unwrap();
        for line in DEPENDENCIES.lines() {
            assert!(
                root.contains(line),
                "Cargo.toml lacks `{line}`: keep generated crates in step"
            );
        }
    }
}
