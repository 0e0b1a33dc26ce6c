//! Small crates the grader writes itself: a copy of a student's step files,
//! the harness around a step, a mutant. Each has a name of its own (cargo
//! would take two path crates of one name for one) and depends on what the
//! steps depend on, as the workspace's manifest says, with its lock file, so
//! that the dependencies' builds are shared with the workspace's.

use crate::target::workspace_root;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// A scratch crate that could not be written.
#[derive(Debug)]
pub struct WriteError {
    pub path: PathBuf,
    pub source: io::Error,
}

impl std::fmt::Display for WriteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "cannot write {}: {}", self.path.display(), self.source)
    }
}

impl std::error::Error for WriteError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

/// The `[dependencies]` of a scratch crate: the steps' dependencies as the
/// workspace's `[workspace.dependencies]` has them (what `exercises` uses).
pub fn dependencies() -> &'static str {
    static DEPENDENCIES: OnceLock<String> = OnceLock::new();
    DEPENDENCIES.get_or_init(|| {
        let read = |path: PathBuf| -> toml::Table {
            fs::read_to_string(&path)
                .ok()
                .and_then(|text| text.parse().ok())
                .unwrap_or_default()
        };
        let root = workspace_root();
        let workspace = read(root.join("Cargo.toml"));
        let exercises = read(root.join("exercises/Cargo.toml"));
        let shared = workspace
            .get("workspace")
            .and_then(|w| w.get("dependencies"))
            .and_then(|d| d.as_table());
        let mut deps = String::new();
        if let Some(used) = exercises.get("dependencies").and_then(|d| d.as_table()) {
            for name in used.keys() {
                if let Some(spec) = shared.and_then(|s| s.get(name)) {
                    // A value displays as inline TOML: `{ version = "1", ... }`.
                    deps.push_str(&format!("{name} = {spec}\n"));
                }
            }
        }
        deps
    })
}

/// Writes a crate at `dir` named `package` holding `files` (path inside the
/// crate, text); its bins are its `src/bin/*.rs`, as in any crate. Files
/// already right are left untouched, so that cargo does not rebuild them.
/// Returns the manifest's path.
pub fn write_crate(
    dir: &Path,
    package: &str,
    files: &[(&str, &str)],
) -> Result<PathBuf, WriteError> {
    let manifest = format!(
        "# Written by the grader.\n[package]\nname = \"{package}\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n[dependencies]\n{}\n# Not part of any workspace around it.\n[workspace]\n",
        dependencies()
    );
    write_if_changed(&dir.join("Cargo.toml"), &manifest)?;
    for (path, text) in files {
        write_if_changed(&dir.join(path), text)?;
    }
    let lock = workspace_root().join("Cargo.lock");
    if let Ok(text) = fs::read_to_string(&lock) {
        write_if_changed(&dir.join("Cargo.lock"), &text)?;
    }
    Ok(dir.join("Cargo.toml"))
}

pub fn write_if_changed(path: &Path, text: &str) -> Result<(), WriteError> {
    if fs::read_to_string(path).is_ok_and(|old| old == text) {
        return Ok(());
    }
    let error = |source| WriteError {
        path: path.to_path_buf(),
        source,
    };
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).map_err(error)?;
    }
    fs::write(path, text).map_err(error)
}

/// Removes `path` if it is there: a step file the student deleted.
pub fn remove_if_there(path: &Path) -> Result<(), WriteError> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(WriteError {
            path: path.to_path_buf(),
            source: e,
        }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dependencies_are_the_ones_the_exercises_use() {
        let deps: toml::Table = dependencies().parse().unwrap();
        let mut names: Vec<&String> = deps.keys().collect();
        names.sort();
        assert_eq!(names, ["futures", "tokio"]);
        let features = deps["tokio"]["features"].as_array().unwrap();
        assert!(
            features
                .iter()
                .any(|f| f.as_str() == Some("rt-multi-thread"))
        );
    }
}
