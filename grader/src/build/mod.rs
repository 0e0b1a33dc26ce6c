//! Building what the checks run: the steps' bins of a target, and the
//! harnesses the grader compiles around a student's file.
//!
//! - `cargo`: one run of cargo builds many bins at once, read from its JSON
//!   messages, and `dep_info`, the files the compiler read for each;
//! - `scratch`: the small crates the grader writes itself;
//! - `safety`, `holds`: what a step file may hold (safe Rust; its one file,
//!   a runtime and a state machine of its own), refused before it runs.
//!
//! A target's steps and the harnesses around them are the bins of one
//! scratch crate, built in one run of cargo.
//!
//! Each bin is built once per grading session: the first check that needs a
//! step builds it, and every later check gets the same result.

pub mod cargo;
mod dep_info;
pub(crate) mod harness;
pub(crate) mod holds;
pub(crate) mod lexer;
pub(crate) mod safety;
pub mod scratch;

use crate::error::Error;
use crate::settings::Builds;
use crate::target::{Origin, Target, grader_dir};
use cargo::{Bin, Spec};
use harness::HarnessCode;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

/// A built executable, or why there is none.
pub(crate) type Built = Result<Exe, NotBuilt>;

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
    /// The step holds code the grader does not run (see `safety`): where
    /// and what.
    Refused(String),
}

impl std::fmt::Display for NotBuilt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NotBuilt::DoesNotCompile(errors) => write!(f, "{errors}"),
            NotBuilt::NoFile(path) => write!(f, "there is no file {}", path.display()),
            NotBuilt::Grader(why) => write!(f, "{why}"),
            NotBuilt::Refused(why) => write!(f, "{why}"),
        }
    }
}

/// A build as JSON, to cross into a class's sandbox with the grading.
pub(crate) fn built_to_json(built: &Built) -> serde_json::Value {
    use serde_json::json;
    match built {
        Ok(exe) => json!({"exe": exe.path, "warnings": exe.warnings}),
        Err(NotBuilt::DoesNotCompile(errors)) => json!({"does_not_compile": errors}),
        Err(NotBuilt::NoFile(path)) => json!({"no_file": path}),
        Err(NotBuilt::Grader(why)) => json!({"grader": why}),
        Err(NotBuilt::Refused(why)) => json!({"refused": why}),
    }
}

pub(crate) fn built_from_json(value: &serde_json::Value) -> Option<Built> {
    let text = |key: &str| value.get(key).and_then(|v| v.as_str()).map(str::to_string);
    if let Some(path) = text("exe") {
        let warnings = value["warnings"]
            .as_array()
            .map(|w| {
                w.iter()
                    .filter_map(|w| w.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        return Some(Ok(Exe {
            path: path.into(),
            warnings,
        }));
    }
    Some(Err(if let Some(errors) = text("does_not_compile") {
        NotBuilt::DoesNotCompile(errors)
    } else if let Some(path) = text("no_file") {
        NotBuilt::NoFile(path.into())
    } else if let Some(why) = text("refused") {
        NotBuilt::Refused(why)
    } else {
        NotBuilt::Grader(text("grader")?)
    }))
}

type Cell = Arc<OnceLock<Built>>;

/// The bins of one crate, built on demand, once each.
pub(crate) struct Bins {
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
    pub(crate) fn build_all(&self, bins: &[&str], prepare: impl FnOnce() -> Result<(), Error>) {
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

    /// Takes `built` as the bin's build, made elsewhere (a class's grader
    /// builds outside the sandbox that grades).
    pub(crate) fn preset(&self, bin: &str, built: Built) {
        let _ = self.cell(bin).set(built);
    }

    /// The bin's build, if it was made.
    pub fn made(&self, bin: &str) -> Option<Built> {
        self.cell(bin).get().cloned()
    }

    /// The bin, built the first time it is asked for.
    pub fn get(&self, bin: &str, prepare: impl FnOnce() -> Result<(), Error>) -> Built {
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
    prepare: impl FnOnce() -> Result<(), Error>,
) -> HashMap<String, Built> {
    let all_fail = |why: String| {
        bins.iter()
            .map(|b| (b.to_string(), Err(NotBuilt::Grader(why.clone()))))
            .collect()
    };
    if let Err(why) = prepare() {
        return all_fail(why.to_string());
    }
    let building = hold_builds(&spec.builds, false);
    let built = cargo::build(spec, bins);
    drop(building);
    match built {
        Ok(built) => built
            .into_iter()
            .map(|(bin, result)| {
                let result = if bin.starts_with(SAFETY) {
                    judged(result)
                } else if let Some(refusal) = another_file(&result) {
                    Err(NotBuilt::Refused(refusal))
                } else {
                    match result {
                        Bin::Built { exe, warnings, .. } if bin.starts_with(harness::PREFIX) => {
                            exec_only(&exe)
                                .map(|path| Exe { path, warnings })
                                .map_err(|e| {
                                    NotBuilt::Grader(format!(
                                        "cannot make {} run-only: {e}",
                                        exe.display()
                                    ))
                                })
                        }
                        Bin::Built { exe, warnings, .. } => Ok(Exe {
                            path: exe,
                            warnings,
                        }),
                        Bin::DoesNotCompile { rendered, .. } => {
                            Err(NotBuilt::DoesNotCompile(rendered))
                        }
                    }
                };
                (bin, result)
            })
            .collect(),
        Err(e) => all_fail(e.to_string()),
    }
}

/// Why a step's bin that was built is refused, if the compiler read a file
/// for it besides the step's own: a step is its one file. What `holds`
/// refuses from the text, with its line, this finds whatever wrote it: a
/// macro that writes `#[path]`, or `mod name;`, from pieces. (A harness
/// compiles the same text: its step's refusal is its own.)
fn another_file(built: &Bin) -> Option<String> {
    let Bin::Built { read, .. } = built else {
        return None;
    };
    let foreign = read.first()?;
    let name = foreign.file_name().map_or_else(
        || foreign.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    Some(format!(
        "the file {} when it is compiled: `{name}`",
        holds::ANOTHER_FILE
    ))
}

/// The prefix of the bins that check a step's unsafe code (see `safety`).
const SAFETY: &str = "safety-";

/// The bin that checks the unsafe code of `step`'s file.
pub(crate) fn safety_bin(step: &str) -> String {
    format!("{SAFETY}{step}")
}

/// What the check of a step's unsafe code found: `Ok` (no executable is
/// made: the `Exe` has no path) or why the step is refused.
fn judged(built: Bin) -> Built {
    match built {
        Bin::DoesNotCompile { errors, .. } => match safety::judge(&errors) {
            Ok(()) => Ok(Exe {
                path: PathBuf::new(),
                warnings: Vec::new(),
            }),
            Err(refusal) => Err(NotBuilt::Refused(refusal.to_string())),
        },
        Bin::Built { .. } => Err(NotBuilt::Grader(
            "the check of unsafe code built an executable, which it never should".to_string(),
        )),
    }
}

/// A copy of a harness's executable that only runs, and cannot be read, by
/// anyone but root (Linux): Linux starts it as a process that no other
/// process of the same user can look into (its memory, environment and
/// descriptors, through `/proc` or a debugger), and its key stays its own.
/// Elsewhere the executable itself.
fn exec_only(exe: &std::path::Path) -> std::io::Result<PathBuf> {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::fs::PermissionsExt;
        let (Some(dir), Some(name)) = (exe.parent(), exe.file_name()) else {
            return Ok(exe.to_path_buf());
        };
        let dir = dir.join("run-only");
        std::fs::create_dir_all(&dir)?;
        let copy = dir.join(name);
        // Made aside and renamed: another grading may run the last copy.
        let partial = dir.join(format!(
            "{}.{}.partial",
            name.to_string_lossy(),
            std::process::id()
        ));
        std::fs::copy(exe, &partial)?;
        std::fs::set_permissions(&partial, std::fs::Permissions::from_mode(0o111))?;
        std::fs::rename(&partial, &copy)?;
        Ok(copy)
    }
    #[cfg(not(target_os = "linux"))]
    Ok(exe.to_path_buf())
}

/// The bins of a target's steps. Whatever the target, they are built from a
/// scratch crate of the grader's own, named for the target's folder, whose
/// bins are the step files where they are: so two folders' steps of one name
/// (two students' `echo-thread`, say) never share a build, and the
/// compiler's messages and a panic's location name the student's own file.
pub(crate) fn step_bins(target: &Target, builds: &Builds) -> Bins {
    let key = target.key();
    Bins::new(Spec {
        manifest: steps_crate(target).join("Cargo.toml"),
        package: None,
        out_dir: grader_dir().join("out").join(&key),
        builds: builds.clone(),
    })
}

/// A class's crates share a build directory, where `cargo clean -p` removes
/// a bin's outputs by the bin's name, whichever crate made them (rustc's
/// dep-info among them, read right after a build): a crate is forgotten
/// only while no other is being built, by this grader or another (a lock
/// on a file of the build directory: shared to build, `alone` to forget).
/// Held until the file is dropped; none if the file cannot be made.
fn hold_builds(builds: &Builds, alone: bool) -> Option<std::fs::File> {
    let dir = cargo::build_dir(builds);
    std::fs::create_dir_all(&dir).ok()?;
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.join("grader-builds.lock"))
        .ok()?;
    let held = if alone {
        file.lock()
    } else {
        file.lock_shared()
    };
    held.ok().map(|()| file)
}

/// Removes everything built for a target's steps: its scratch crate, its
/// bins, and their share of the build directory. A class's submissions,
/// graded once, would otherwise fill the disk.
pub fn forget(target: &Target, builds: &Builds) -> Result<(), Error> {
    let _cleaning = hold_builds(builds, true);
    let dir = steps_crate(target);
    let out_dir = grader_dir().join("out").join(target.key());
    if dir.join("Cargo.toml").exists() {
        cargo::clean(
            &dir.join("Cargo.toml"),
            &package_name(target, builds),
            &out_dir,
            builds,
        )?;
    }
    for gone in [&out_dir, &dir] {
        match std::fs::remove_dir_all(gone) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(Error::io("remove", gone)(e));
            }
            _ => {}
        }
    }
    Ok(())
}

fn steps_crate(target: &Target) -> PathBuf {
    grader_dir().join("crates").join(target.key())
}

/// The name of the scratch crate of a target's steps. A class's crates
/// share a build directory: each has a name no one can guess (kept in its
/// folder), so that no step file can name another's build at compile time
/// (`include_bytes!` of a classmate's executable).
fn package_name(target: &Target, builds: &Builds) -> String {
    let base = format!("steps-{}", target.key());
    if !builds.for_a_class() {
        return base;
    }
    let kept = steps_crate(target).join("package-name");
    if let Ok(name) = std::fs::read_to_string(&kept)
        && name.starts_with(&base)
    {
        return name;
    }
    let name = format!("{base}-{}", crate::exec::secret());
    let _ = scratch::write_if_changed(&kept, &name);
    name
}

/// Writes (or brings up to date) the scratch crate of a target's steps: a
/// bin for each step file there is. Only the step files are taken from the
/// target, never its manifest, build script or cargo configuration; a crate
/// of this workspace keeps the dependencies its own manifest gives.
/// A step as its crate is written: its bin's name, and its harness's code if
/// it has one.
#[derive(Debug, Clone, Copy)]
pub struct StepSource {
    pub name: &'static str,
    pub harness: Option<HarnessCode>,
}

pub(crate) fn write_steps_crate(
    target: &Target,
    builds: &Builds,
    steps: &[StepSource],
) -> Result<(), Error> {
    let dir = steps_crate(target);
    let mut bins = String::new();
    let mut bin = |name: &str, path: &str| {
        bins.push_str(&format!(
            "\n[[bin]]\nname = \"{name}\"\npath = {}\n",
            toml::Value::String(path.to_string())
        ));
    };
    for step in steps {
        let source = target.source(step.name);
        let Ok(text) = std::fs::read_to_string(&source) else {
            continue;
        };
        let path = source.canonicalize().unwrap_or(source);
        bin(step.name, &path.to_string_lossy());
        // What of it is unsafe, checked by the compiler in the same run.
        if safety::needs_check(&text) {
            let file = format!("src/safety/{}.rs", step.name);
            scratch::write_if_changed(&dir.join(&file), &safety::checked_copy(&text))?;
            bin(&safety_bin(step.name), &file);
        }
        // The harness around it, built with it, in the same run of cargo.
        if let Some(code) = &step.harness {
            for (file, text) in harness::files(step.name, code, &text) {
                scratch::write_if_changed(&dir.join(file), &text)?;
            }
            bin(&harness::bin(step.name), &harness::root(step.name));
        }
    }
    let package = match &target.kind {
        Origin::Member { package } => package.as_str(),
        Origin::Files => "exercises",
    };
    let dependencies = scratch::dependencies_of(package).ok_or_else(|| {
        Error::format(
            crate::target::workspace_root()
                .join(package)
                .join("Cargo.toml")
                .display(),
            "the steps' dependencies cannot be read from it",
        )
    })?;
    let manifest = format!(
        "# Written by the grader: the step files of {}.\n[package]\nname = \"{}\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\nautobins = false\nautoexamples = false\nautotests = false\nautobenches = false\n\n[dependencies]\n{dependencies}{bins}\n# Not part of any workspace around it.\n[workspace]\n\n{}",
        target.label.replace('\n', " "),
        package_name(target, builds),
        scratch::workspace_profiles()
    );
    scratch::write_if_changed(&dir.join("Cargo.toml"), &manifest)?;
    scratch::copy_lock(&dir)?;
    // Cargo wants a target in the package's folder too; the bins are elsewhere.
    scratch::write_if_changed(&dir.join("src/lib.rs"), "")
}
