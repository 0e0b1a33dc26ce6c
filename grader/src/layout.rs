//! The codebase's own rules, kept by tests: no file over 500 lines; no
//! import circles between the modules of a folder (each layer uses the ones
//! below it, never the ones above); and no step named outside the catalogue
//! (everything particular to a step is in its entry).

use crate::target::workspace_root;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The Rust files under `dir`, `target` folders aside.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return found;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() && entry.file_name() != "target" {
            found.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
    found.sort();
    found
}

/// The grader's code, and its tests' and the bench's: the step files are
/// the tutorial's, one file per slide, whatever their length.
fn code() -> Vec<PathBuf> {
    let root = workspace_root();
    [
        "grader/src",
        "grader/harness",
        "grader/selftest",
        "grader/tests",
        "bench/src",
    ]
    .iter()
    .flat_map(|dir| rust_files(&root.join(dir)))
    .collect()
}

/// What of a file is not its unit tests.
fn without_tests(text: &str) -> &str {
    text.find("#[cfg(test)]\nmod tests")
        .map_or(text, |at| &text[..at])
}

#[test]
fn no_file_is_over_500_lines() {
    let long: Vec<String> = code()
        .into_iter()
        .filter_map(|path| {
            let lines = std::fs::read_to_string(&path).ok()?.lines().count();
            (lines > 500).then(|| format!("{} ({lines} lines)", path.display()))
        })
        .collect();
    assert!(long.is_empty(), "split along its seams: {long:?}");
}

/// The grader's modules by path (`["checks", "echo"]`), each with its text.
fn modules() -> BTreeMap<Vec<String>, String> {
    let src = workspace_root().join("grader/src");
    rust_files(&src)
        .into_iter()
        .filter_map(|path| {
            let relative = path.strip_prefix(&src).ok()?.with_extension("");
            let mut parts: Vec<String> = relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            if parts.last().is_some_and(|p| p == "mod") {
                parts.pop();
            }
            if parts == ["lib"] || parts == ["main"] {
                return None;
            }
            Some((parts, std::fs::read_to_string(&path).ok()?))
        })
        .collect()
}

/// The modules `text` (the module `at`) names: `crate::a::b`, `super::c`,
/// each as the longest module path it starts with.
fn uses(at: &[String], text: &str, known: &BTreeSet<Vec<String>>) -> BTreeSet<Vec<String>> {
    let mut used = BTreeSet::new();
    let mut resolve = |base: Vec<String>, path: &str| {
        let parts: Vec<String> = path.split("::").map(str::to_string).collect();
        for n in (0..=parts.len()).rev() {
            let mut candidate = base.clone();
            candidate.extend(parts[..n].iter().cloned());
            if !candidate.is_empty() && known.contains(&candidate) {
                used.insert(candidate);
                return;
            }
        }
    };
    let text = without_tests(text);
    for (prefix, base) in [
        ("crate::", Vec::new()),
        ("super::", at[..at.len().saturating_sub(1)].to_vec()),
    ] {
        for (i, _) in text.match_indices(prefix) {
            let rest = &text[i + prefix.len()..];
            if let Some(group) = rest.strip_prefix('{') {
                let group = &group[..group.find('}').unwrap_or(0)];
                for item in group.split(',') {
                    resolve(base.clone(), item.trim());
                }
            } else {
                let path: String = rest
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                    .collect();
                resolve(base.clone(), path.trim_end_matches(':'));
            }
        }
    }
    used
}

/// Within each folder, its modules (and what lies under each) use one
/// another without a circle: a layer below never uses one above.
#[test]
fn no_import_circles() {
    let modules = modules();
    let known: BTreeSet<Vec<String>> = modules.keys().cloned().collect();
    let edges: Vec<(Vec<String>, Vec<String>)> = modules
        .iter()
        .flat_map(|(at, text)| {
            uses(at, text, &known)
                .into_iter()
                .map(move |to| (at.clone(), to))
        })
        .collect();
    let mut folders: BTreeSet<Vec<String>> = BTreeSet::from([Vec::new()]);
    for module in &known {
        for n in 1..module.len() {
            folders.insert(module[..n].to_vec());
        }
    }
    for folder in folders {
        let n = folder.len();
        let inside = |m: &Vec<String>| m.len() > n && m[..n] == folder[..];
        // The folder's children, and which use which.
        let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (from, to) in &edges {
            if inside(from) && inside(to) && from[n] != to[n] {
                graph
                    .entry(from[n].clone())
                    .or_default()
                    .insert(to[n].clone());
            }
        }
        // A child that reaches itself is in a circle.
        for start in graph.keys() {
            let mut seen = BTreeSet::new();
            let mut stack: Vec<&String> = graph[start].iter().collect();
            while let Some(next) = stack.pop() {
                assert!(
                    next != start,
                    "an import circle in grader/src/{}: {start} uses {:?}, which lead back to it",
                    folder.join("/"),
                    graph[start]
                );
                if seen.insert(next) {
                    stack.extend(graph.get(next).into_iter().flatten());
                }
            }
        }
    }
}

/// A step is named in its catalogue entry, and in tests; nowhere else does
/// the grader compare a step's name (its entry says what the grader needs
/// to know of it).
#[test]
fn no_step_is_named_outside_the_catalogue() {
    let src = workspace_root().join("grader/src");
    for path in rust_files(&src) {
        if path.ends_with("catalogue.rs") || path.ends_with("layout.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        for step in crate::catalogue::STEPS {
            for quoted in [
                format!("\"{}\"", step.name),
                format!("\"{}\"", step.test_prefix()),
            ] {
                assert!(
                    !without_tests(&text).contains(&quoted),
                    "{} names the step {quoted}: put what it needs in the step's catalogue entry",
                    path.display()
                );
            }
        }
    }
}
