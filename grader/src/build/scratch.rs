//! Small crates the grader writes itself: a copy of a student's step files,
//! the harness around a step, a mutant. Each has a name of its own (cargo
//! would take two path crates of one name for one) and depends on what the
//! steps depend on, as the workspace's manifest says, with its lock file, so
//! that the dependencies' builds are shared with the workspace's.

use crate::error::Error;
use crate::target::workspace_root;
use std::fs;
use std::path::{Path, PathBuf};

/// The `[dependencies]` a crate of this workspace (`exercises`, `solutions`)
/// gives its steps, written out in full: a `workspace = true` entry becomes
/// the workspace's own spec, with the crate's extra features if any. None
/// if the manifests cannot be read: a crate without its dependencies would
/// fail every step that uses tokio, for no fault of the student's.
/// The workspace's `[profile]` tables, as TOML, for a scratch crate: built
/// with the same settings, it shares the dependencies already built for the
/// workspace instead of building its own.
pub(crate) fn workspace_profiles() -> String {
    let profile = fs::read_to_string(workspace_root().join("Cargo.toml"))
        .ok()
        .and_then(|text| text.parse::<toml::Table>().ok())
        .and_then(|mut manifest| manifest.remove("profile"));
    match profile {
        Some(profile) => {
            let mut table = toml::Table::new();
            table.insert("profile".into(), profile);
            toml::to_string(&table).unwrap_or_default()
        }
        None => String::new(),
    }
}

pub(crate) fn dependencies_of(package: &str) -> Option<String> {
    let read = |path: PathBuf| -> Option<toml::Table> {
        fs::read_to_string(&path)
            .ok()
            .and_then(|text| text.parse().ok())
    };
    let root = workspace_root();
    let workspace = read(root.join("Cargo.toml"))?;
    let member = read(root.join(package).join("Cargo.toml"))?;
    let shared = workspace
        .get("workspace")
        .and_then(|w| w.get("dependencies"))
        .and_then(|d| d.as_table());
    let mut deps = String::new();
    for (name, spec) in member
        .get("dependencies")
        .and_then(|d| d.as_table())
        .into_iter()
        .flatten()
    {
        let inherited = spec.get("workspace").and_then(|w| w.as_bool()) == Some(true);
        let full = match (inherited, shared.and_then(|s| s.get(name))) {
            (true, Some(base)) => merge(base, spec),
            _ => spec.clone(),
        };
        // A value displays as inline TOML: `{ version = "1", ... }`.
        deps.push_str(&format!("{name} = {full}\n"));
    }
    (!deps.is_empty()).then_some(deps)
}

/// A workspace dependency's spec with a member's `features` added.
fn merge(base: &toml::Value, member: &toml::Value) -> toml::Value {
    let mut table = match base {
        toml::Value::String(version) => {
            let mut t = toml::Table::new();
            t.insert("version".into(), toml::Value::String(version.clone()));
            t
        }
        toml::Value::Table(t) => t.clone(),
        other => return other.clone(),
    };
    if let Some(extra) = member.get("features").and_then(|f| f.as_array()) {
        let features = table
            .entry("features")
            .or_insert_with(|| toml::Value::Array(Vec::new()));
        if let Some(list) = features.as_array_mut() {
            for f in extra {
                if !list.contains(f) {
                    list.push(f.clone());
                }
            }
        }
    }
    toml::Value::Table(table)
}

/// The workspace's lock file, so that a scratch crate resolves the same
/// versions and shares their builds.
pub(crate) fn copy_lock(dir: &Path) -> Result<(), Error> {
    let lock = workspace_root().join("Cargo.lock");
    match fs::read_to_string(&lock) {
        Ok(text) => write_if_changed(&dir.join("Cargo.lock"), &text),
        Err(_) => Ok(()),
    }
}

pub fn write_if_changed(path: &Path, text: &str) -> Result<(), Error> {
    if fs::read_to_string(path).is_ok_and(|old| old == text) {
        return Ok(());
    }
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).map_err(Error::io("make", parent))?;
    }
    fs::write(path, text).map_err(Error::io("write", path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dependencies_are_the_ones_the_exercises_use() {
        let deps: toml::Table = dependencies_of("exercises").unwrap().parse().unwrap();
        let mut names: Vec<&String> = deps.keys().collect();
        names.sort();
        assert_eq!(names, ["futures", "polling", "tokio"]);
        let features = deps["tokio"]["features"].as_array().unwrap();
        assert!(
            features
                .iter()
                .any(|f| f.as_str() == Some("rt-multi-thread"))
        );
    }
}
