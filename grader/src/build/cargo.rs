//! Running cargo: many bins of one crate built at once, on every core, each
//! bin's result read from cargo's JSON messages (its executable, or its own
//! diagnostics), never from cargo's prose.
//!
//! The messages are read with `serde_json` as documented in the Cargo Book
//! ("JSON Messages"); the `cargo_metadata` crate would type them, but its
//! derives put a proc-macro build on the path of every student's first run.

use super::dep_info;
use crate::error::Error;
use crate::exec::sandbox::Role;
use crate::exec::{Bound, Capture, Process};
use crate::settings::Builds;
use crate::target::cargo_target_dir;
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

/// What to build and where.
#[derive(Debug, Clone)]
pub struct Spec {
    pub manifest: PathBuf,
    /// `-p <package>`, for a crate of a workspace.
    pub package: Option<String>,
    /// Cargo's `--target-dir`: where the finished executables go, apart from
    /// every other crate's. What they are built from is shared (see `build`).
    pub out_dir: PathBuf,
    /// A student's builds, or a class's.
    pub builds: Builds,
}

/// One bin's build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Bin {
    /// Its executable, the warnings the compiler gave (rendered), and, for
    /// a step's bin, the files the compiler read for it besides the step's
    /// own (rustc's dep-info): its modules, what `include!` and the like
    /// took in, by whatever route, macros included.
    Built {
        exe: PathBuf,
        warnings: Vec<String>,
        read: Vec<PathBuf>,
    },
    /// The compiler's errors, rendered and cut to a readable length, and
    /// each as the compiler gave it.
    DoesNotCompile {
        rendered: String,
        errors: Vec<Diagnostic>,
    },
}

/// One diagnostic of the compiler, as its JSON message gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// `error`, `warning`, ...
    pub level: String,
    /// `E0133`, or a lint's name (`unsafe_code`), if it has one.
    pub code: Option<String>,
    pub message: String,
    /// The line of its primary span, if it has one.
    pub line: Option<usize>,
    /// As the compiler prints it.
    pub rendered: String,
}

/// Where cargo builds what the finished executables are made from (cargo's
/// `build-dir`): the workspace's target directory, whose dependencies are
/// built once for every crate the grader builds. A class's builds have one
/// of their own, which holds nothing of this workspace's (the solutions'
/// builds, say), for a step file to take in at compile time.
pub(crate) fn build_dir(builds: &Builds) -> PathBuf {
    builds.class_dir.clone().unwrap_or_else(cargo_target_dir)
}

/// Removes what cargo built for `package` of the crate at `manifest`, in
/// the shared build directory and in `out_dir`.
pub fn clean(manifest: &Path, package: &str, out_dir: &Path, builds: &Builds) -> Result<(), Error> {
    let mut cmd = cargo();
    cmd.arg("clean")
        .arg("--manifest-path")
        .arg(manifest)
        .args(["--package", package, "--quiet"])
        .arg("--target-dir")
        .arg(out_dir)
        .env("CARGO_BUILD_BUILD_DIR", build_dir(builds))
        .stdin(Stdio::null());
    let run = crate::exec::run_command(cmd, "cargo clean", BUILD_LIMIT, crate::exec::Bound::LOG)?;
    match run.end {
        Some(end) if end.status.success() => Ok(()),
        _ => Err(Error::said(format!(
            "cargo clean -p {package} failed: {}",
            run.stderr.text().trim()
        ))),
    }
}

/// Whether a class's build keeps the tutor's variable `name`: where the
/// programs and the toolchain are, and nothing else (no token, no setting
/// of the tutor's own, no `RUSTFLAGS` that would make a student's warning
/// an error).
fn a_build_needs(name: &str) -> bool {
    matches!(
        name,
        "PATH"
            | "HOME"
            | "TMPDIR"
            | "LANG"
            | "LC_ALL"
            | "LD_LIBRARY_PATH"
            | "CARGO"
            | "CARGO_HOME"
            | "RUSTC"
            | "RUSTDOC"
    ) || name.starts_with("RUSTUP_")
}

/// A cold build of tokio on a slow laptop takes a minute or two; a build
/// that takes this long is stuck.
const BUILD_LIMIT: Duration = Duration::from_secs(15 * 60);

/// The cargo that runs the grader, so that the pinned toolchain builds the
/// steps too.
pub fn cargo() -> Command {
    let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    // The grader chooses where builds go.
    cmd.env_remove("CARGO_TARGET_DIR")
        .env_remove("CARGO_BUILD_TARGET_DIR");
    cmd
}

/// Builds `bins` of the crate in one run of cargo (`--keep-going`: a bin
/// that does not compile stops none of the others). The intermediate builds
/// go to the workspace's own target directory (cargo's `build-dir`), where
/// the dependencies are compiled once for every crate the grader builds.
pub fn build(spec: &Spec, bins: &[&str]) -> Result<BTreeMap<String, Bin>, Error> {
    let mut built = build_once(spec, bins)?;
    // A compiler that crashed says nothing of the file: a bug of rustc's,
    // or a codegen thread that panicked on a loaded machine. Once more.
    let crashed: Vec<&str> = bins
        .iter()
        .copied()
        .filter(|bin| built.get(*bin).is_some_and(Bin::crashed))
        .collect();
    if !crashed.is_empty() {
        built.extend(build_once(spec, &crashed)?);
    }
    Ok(built)
}

/// Whether what the compiler or cargo said is a compiler that crashed
/// (rustc's own words for it), or was killed, rather than an error in the
/// file.
pub(crate) fn compiler_crashed(said: &str) -> bool {
    said.contains("error: internal compiler error")
        || said.contains("the compiler unexpectedly panicked")
        || (said.contains("process didn't exit successfully") && said.contains("(signal: "))
}

impl Bin {
    fn crashed(&self) -> bool {
        matches!(self, Bin::DoesNotCompile { rendered, .. } if compiler_crashed(rendered))
    }
}

fn build_once(spec: &Spec, bins: &[&str]) -> Result<BTreeMap<String, Bin>, Error> {
    let mut cmd = cargo();
    cmd.arg("build").arg("--manifest-path").arg(&spec.manifest);
    if let Some(package) = &spec.package {
        cmd.args(["--package", package]);
    }
    for bin in bins {
        cmd.args(["--bin", bin]);
    }
    let build_dir = build_dir(&spec.builds);
    cmd.args(["--keep-going", "--message-format=json", "--color", "never"])
        .arg("--target-dir")
        .arg(&spec.out_dir)
        .env("CARGO_BUILD_BUILD_DIR", &build_dir);
    // A class's crate is built once and forgotten: incremental state is
    // for a crate built again (a student's, in watch mode). And its step
    // files are a class's, not the tutor's: what the compiler runs with is
    // theirs to read (`env!`, `include_bytes!("/proc/self/environ")`), so
    // it runs with what a build needs of the tutor's environment, no more.
    if spec.builds.for_a_class() {
        let kept: Vec<_> = std::env::vars_os()
            .filter(|(name, _)| name.to_str().is_some_and(a_build_needs))
            .collect();
        cmd.env_clear().envs(kept);
        cmd.env("CARGO_INCREMENTAL", "0")
            .env("CARGO_BUILD_BUILD_DIR", &build_dir);
    }
    if let Some(sandbox) = &spec.builds.sandbox {
        // The crate's own folder and bins, and its step files, wherever they are.
        let crate_dir = spec.manifest.parent().unwrap_or(&spec.out_dir);
        let sources = bin_folders(&spec.manifest);
        let readable: Vec<&Path> = sources.iter().map(PathBuf::as_path).collect();
        cmd = sandbox.wrap(
            cmd,
            Role::Build,
            &[&spec.out_dir, crate_dir, &build_dir],
            &readable,
        );
    }
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut process = Process::start(cmd, "cargo build")?;
    let stderr = Capture::follow(process.take_stderr().expect("stderr is piped"), Bound::LOG);
    let stdout = process.take_stdout().expect("stdout is piped");

    // Read on a thread of its own, so that a cargo that hangs is stopped at
    // its deadline; its messages end when it does.
    let reader = std::thread::spawn(move || read_messages(stdout));
    if process.wait(BUILD_LIMIT).is_none() {
        return Err(Error::TimedOut {
            what: "cargo build".to_string(),
            limit: BUILD_LIMIT,
        });
    }
    let Messages {
        mut exes,
        mut sources,
        mut errors,
        mut warnings,
    } = reader.join().unwrap_or_default();
    let cargo_said = stderr.finish(Duration::from_secs(1)).text();
    let deps = build_dir.join("debug").join("deps");
    let root = canonical(spec.manifest.parent().unwrap_or(&spec.out_dir));
    bins.iter()
        .map(|bin| {
            let result = match (exes.remove(*bin), errors.remove(*bin)) {
                (Some(exe), None) => {
                    // A step's file, outside the crate (a harness's is the
                    // grader's own): what else the compiler read for it.
                    let read = match sources.remove(*bin) {
                        Some(source) if !canonical(&source).starts_with(&root) => {
                            dep_info::files_read(bin, &source, &deps)
                                .and_then(|read| {
                                    read.ok_or_else(|| std::io::ErrorKind::NotFound.into())
                                })
                                .map_err(Error::io("find what the compiler read for", &exe))?
                        }
                        _ => Vec::new(),
                    };
                    Bin::Built {
                        exe,
                        warnings: warnings.remove(*bin).unwrap_or_default(),
                        read,
                    }
                }
                (_, Some(errors)) => Bin::DoesNotCompile {
                    rendered: readable(
                        &errors
                            .iter()
                            .take(MAX_DIAGNOSTICS)
                            .map(|d| d.rendered.as_str())
                            .collect::<Vec<_>>()
                            .join("\n"),
                    ),
                    errors,
                },
                // Not the compiler: cargo itself (a manifest it cannot read,
                // a bin it does not know) said why, on stderr.
                (None, None) => Bin::DoesNotCompile {
                    rendered: readable(&errors_of_cargo(&cargo_said)),
                    errors: Vec::new(),
                },
            };
            Ok((bin.to_string(), result))
        })
        .collect()
}

fn canonical(path: &Path) -> PathBuf {
    path.canonicalize().unwrap_or_else(|_| path.to_path_buf())
}

/// What cargo's messages said of each bin, by its name.
#[derive(Debug, Default)]
pub struct Messages {
    /// Its executable.
    pub exes: BTreeMap<String, PathBuf>,
    /// Its source file: the bin's own, the root of its modules.
    pub sources: BTreeMap<String, PathBuf>,
    /// The compiler's errors, the first of them.
    pub errors: BTreeMap<String, Vec<Diagnostic>>,
    /// The compiler's warnings, rendered, the first of them.
    pub warnings: BTreeMap<String, Vec<String>>,
}

/// Reads cargo's JSON messages (`--message-format=json`, one per line) as
/// the Cargo Book documents them: the one place they are read, for the
/// grader's builds, the bench's and the self-tests'.
pub fn read_messages(stdout: impl std::io::Read) -> Messages {
    let mut read = Messages::default();
    for line in BufReader::new(stdout).lines() {
        let Ok(line) = line else { break };
        let Ok(message) = serde_json::from_str::<Value>(&line) else {
            continue;
        };
        let target = &message["target"];
        let is_bin = target["kind"]
            .as_array()
            .is_some_and(|kinds| kinds.iter().any(|k| k == "bin"));
        let Some(name) = target["name"].as_str().filter(|_| is_bin) else {
            continue;
        };
        match message["reason"].as_str() {
            Some("compiler-artifact") => {
                if let Some(exe) = message["executable"].as_str() {
                    read.exes.insert(name.to_string(), PathBuf::from(exe));
                }
                if let Some(source) = target["src_path"].as_str() {
                    read.sources.insert(name.to_string(), PathBuf::from(source));
                }
            }
            Some("compiler-message") => {
                let diagnostic = &message["message"];
                let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
                let rendered = diagnostic["rendered"]
                    .as_str()
                    .or(diagnostic["message"].as_str())
                    .unwrap_or_default()
                    .to_string();
                match diagnostic["level"].as_str() {
                    Some("error" | "error: internal compiler error") => {
                        let line = diagnostic["spans"]
                            .as_array()
                            .into_iter()
                            .flatten()
                            .find(|span| span["is_primary"] == true)
                            .and_then(|span| span["line_start"].as_u64())
                            .map(|n| n as usize);
                        let kept = read.errors.entry(name.to_string()).or_default();
                        if kept.len() >= MAX_ERRORS {
                            continue;
                        }
                        kept.push(Diagnostic {
                            level: "error".to_string(),
                            code: diagnostic["code"]["code"].as_str().map(str::to_string),
                            message: text(&diagnostic["message"]),
                            line,
                            rendered,
                        });
                    }
                    Some("warning") => {
                        let kept = read.warnings.entry(name.to_string()).or_default();
                        if kept.len() < MAX_DIAGNOSTICS {
                            kept.push(rendered);
                        }
                    }
                    _ => {}
                }
            }
            _ => {}
        }
    }
    read
}

/// How many errors of one bin are kept, to judge them (see `safety`).
const MAX_ERRORS: usize = 500;
/// How many diagnostics of one bin are kept to be shown.
const MAX_DIAGNOSTICS: usize = 20;
/// How many lines of them a failure shows.
const MAX_DIAGNOSTIC_LINES: usize = 60;

/// Cargo's own error lines, without its progress and warnings.
fn errors_of_cargo(stderr: &str) -> String {
    let mut kept = Vec::new();
    let mut keeping = false;
    for line in stderr.lines() {
        if line.starts_with("error") {
            keeping = true;
        } else if line.starts_with("warning") || line.trim_start().starts_with("Compiling") {
            keeping = false;
        }
        if keeping {
            kept.push(line);
        }
    }
    if kept.is_empty() {
        stderr.trim_end().to_string()
    } else {
        kept.join("\n")
    }
}

/// Diagnostics cut to a readable length, saying how to see them all.
fn readable(text: &str) -> String {
    let lines: Vec<&str> = text.trim_end().lines().collect();
    if lines.len() > MAX_DIAGNOSTIC_LINES {
        format!(
            "{}\n[{} more lines: run `cargo build --bin <step>` to see them all]",
            lines[..MAX_DIAGNOSTIC_LINES].join("\n"),
            lines.len() - MAX_DIAGNOSTIC_LINES
        )
    } else {
        lines.join("\n")
    }
}

/// The folders of the bins a manifest names (`[[bin]] path`), as absolute paths.
fn bin_folders(manifest: &Path) -> Vec<PathBuf> {
    let dir = manifest.parent().unwrap_or(Path::new("."));
    let table: toml::Table = std::fs::read_to_string(manifest)
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or_default();
    let mut folders: Vec<PathBuf> = table
        .get("bin")
        .and_then(|b| b.as_array())
        .into_iter()
        .flatten()
        .filter_map(|bin| bin.get("path")?.as_str())
        .filter_map(|path| Some(dir.join(path).parent()?.to_path_buf()))
        .collect();
    folders.sort();
    folders.dedup();
    folders
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A crash is told by the compiler's own words for it, or by cargo's
    /// for a compiler killed by a signal; an error in the file is not one.
    #[test]
    fn a_compiler_that_crashed_is_told_from_an_error_in_the_file() {
        assert!(compiler_crashed(
            "error: internal compiler error: compiler/rustc_codegen_llvm/src/back/write.rs:1: panic during codegen/LLVM phase\n\nnote: the compiler unexpectedly panicked. this is a bug."
        ));
        assert!(compiler_crashed(
            "error: could not compile `exercises` (bin \"echo-spawn\")\n\nCaused by:\n  process didn't exit successfully: `rustc --crate-name echo_spawn` (signal: 9, SIGKILL: kill)"
        ));
        assert!(!compiler_crashed(
            "error[E0308]: mismatched types\n --> src/bin/echo-spawn.rs:3:5"
        ));
        assert!(!compiler_crashed(
            "error: could not compile `exercises` (bin \"echo-spawn\") due to 1 previous error"
        ));
    }

    #[test]
    fn each_bin_gets_its_executable_or_its_own_errors() {
        let messages = r#"{"reason":"compiler-artifact","target":{"kind":["lib"],"name":"tokio"},"executable":null}
{"reason":"compiler-message","target":{"kind":["bin"],"name":"b"},"message":{"level":"warning","message":"unused","rendered":"warning: unused"}}
{"reason":"compiler-message","target":{"kind":["bin"],"name":"b"},"message":{"level":"error","message":"E0308","rendered":"error[E0308]: mismatched types"}}
{"reason":"compiler-artifact","target":{"kind":["bin"],"name":"a"},"executable":"/t/debug/a"}
not json
{"reason":"build-finished","success":false}
"#;
        let read = read_messages(messages.as_bytes());
        assert_eq!(read.exes.len(), 1);
        assert_eq!(read.exes["a"], PathBuf::from("/t/debug/a"));
        let errors = &read.errors["b"];
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].rendered, "error[E0308]: mismatched types");
        assert_eq!(errors[0].message, "E0308");
        assert_eq!(read.warnings["b"], ["warning: unused"]);
    }

    #[test]
    fn cargo_errors_drop_warnings_and_progress() {
        let stderr = "warning: unused manifest key\n   Compiling x v0.1.0\nerror: no bin target named `y`\n  help: available: z\n";
        assert_eq!(
            errors_of_cargo(stderr),
            "error: no bin target named `y`\n  help: available: z"
        );
    }

    #[test]
    fn long_diagnostics_say_how_to_see_them_all() {
        let text: String = (0..100).map(|i| format!("line {i}\n")).collect();
        let shown = readable(&text);
        assert_eq!(shown.lines().count(), MAX_DIAGNOSTIC_LINES + 1);
        assert!(shown.ends_with("[40 more lines: run `cargo build --bin <step>` to see them all]"));
    }
}
