//! Building what the checks run: the steps' bins of a target, and the
//! harnesses the grader compiles around a student's file.
//!
//! - `cargo`: one run of cargo builds many bins at once, read from its JSON
//!   messages;
//! - `scratch`: the small crates the grader writes itself.
//!
//! Each bin is built once per grading session: the first check that needs a
//! step builds it, and every later check gets the same result.

pub mod cargo;
pub mod scratch;

use crate::target::{Kind, Target, grader_dir};
use cargo::{Bin, Spec};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

/// A built executable, or why there is none.
pub type Built = Result<Exe, NotBuilt>;

/// An executable, with the warnings its compiler gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exe {
    pub path: PathBuf,
    pub warnings: Vec<String>,
}

/// Why a bin was not built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotBuilt {
    /// The compiler's errors, for the student to fix.
    DoesNotCompile(String),
    /// The step's file is missing.
    NoFile(PathBuf),
    /// The grader could not build at all (cargo missing, a disk full): why.
    Grader(String),
}

impl std::fmt::Display for NotBuilt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NotBuilt::DoesNotCompile(errors) => write!(f, "{errors}"),
            NotBuilt::NoFile(path) => write!(f, "there is no file {}", path.display()),
            NotBuilt::Grader(why) => write!(f, "{why}"),
        }
    }
}

type Cell = Arc<OnceLock<Built>>;

/// The bins of one crate, built on demand, once each.
pub struct Bins {
    spec: Spec,
    cells: Mutex<HashMap<String, Cell>>,
}

impl Bins {
    pub fn new(spec: Spec) -> Bins {
        Bins {
            spec,
            cells: Mutex::default(),
        }
    }

    fn cell(&self, bin: &str) -> Cell {
        let mut cells = self.cells.lock().unwrap_or_else(|e| e.into_inner());
        cells.entry(bin.to_string()).or_default().clone()
    }

    /// Builds every one of `bins` not built yet, in one run of cargo.
    pub fn build_all(&self, bins: &[&str], prepare: impl FnOnce() -> Result<(), String>) {
        let wanted: Vec<(&str, Cell)> = bins
            .iter()
            .map(|b| (*b, self.cell(b)))
            .filter(|(_, cell)| cell.get().is_none())
            .collect();
        if wanted.is_empty() {
            return;
        }
        let names: Vec<&str> = wanted.iter().map(|(b, _)| *b).collect();
        let mut results = run_cargo(&self.spec, &names, prepare);
        for (bin, cell) in wanted {
            let result = results
                .remove(bin)
                .unwrap_or_else(|| Err(NotBuilt::Grader(format!("cargo said nothing of {bin}"))));
            // Another check may have built it alone meanwhile: either is right.
            let _ = cell.set(result);
        }
    }

    /// The bin, built the first time it is asked for.
    pub fn get(&self, bin: &str, prepare: impl FnOnce() -> Result<(), String>) -> Built {
        self.cell(bin)
            .get_or_init(|| {
                run_cargo(&self.spec, &[bin], prepare)
                    .remove(bin)
                    .unwrap_or_else(|| {
                        Err(NotBuilt::Grader(format!("cargo said nothing of {bin}")))
                    })
            })
            .clone()
    }
}

fn run_cargo(
    spec: &Spec,
    bins: &[&str],
    prepare: impl FnOnce() -> Result<(), String>,
) -> HashMap<String, Built> {
    let all_fail = |why: String| {
        bins.iter()
            .map(|b| (b.to_string(), Err(NotBuilt::Grader(why.clone()))))
            .collect()
    };
    if let Err(why) = prepare() {
        return all_fail(why);
    }
    match cargo::build(spec, bins) {
        Ok(built) => built
            .into_iter()
            .map(|(bin, result)| {
                let result = match result {
                    Bin::Built { exe, warnings } => Ok(Exe {
                        path: exe,
                        warnings,
                    }),
                    Bin::DoesNotCompile(errors) => Err(NotBuilt::DoesNotCompile(errors)),
                };
                (bin, result)
            })
            .collect(),
        Err(e) => all_fail(e.to_string()),
    }
}

/// Where the grader keeps the scratch crate and the finished executables of
/// a target's steps.
pub fn step_bins(target: &Target) -> Bins {
    let key = target.key();
    let out_dir = grader_dir().join("out").join(&key);
    let spec = match &target.kind {
        Kind::Member { package } => Spec {
            manifest: crate::target::workspace_root().join("Cargo.toml"),
            package: Some(package.clone()),
            out_dir,
        },
        Kind::Files => Spec {
            manifest: copy_dir(target).join("Cargo.toml"),
            package: None,
            out_dir,
        },
    };
    Bins::new(spec)
}

/// The scratch crate that holds a copy of a target's step files.
fn copy_dir(target: &Target) -> PathBuf {
    grader_dir().join("crates").join(target.key())
}

/// Brings the copy of a `Files` target's step files up to date: only the
/// step files of the catalogue are taken, never a manifest or build script.
pub fn sync_copy(target: &Target) -> Result<(), String> {
    if target.kind != Kind::Files {
        return Ok(());
    }
    let dir = copy_dir(target);
    let mut files = Vec::new();
    for step in crate::catalogue::STEPS {
        let path = format!("src/bin/{}.rs", step.name);
        match std::fs::read_to_string(target.source(step.name)) {
            Ok(text) => files.push((path, text)),
            Err(_) => scratch::remove_if_there(&dir.join(&path)).map_err(|e| e.to_string())?,
        }
    }
    let files: Vec<(&str, &str)> = files
        .iter()
        .map(|(p, t)| (p.as_str(), t.as_str()))
        .collect();
    let package = format!("step-files-{}", target.key());
    scratch::write_crate(&dir, &package, &files).map_err(|e| e.to_string())?;
    Ok(())
}
