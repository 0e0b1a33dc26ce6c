//! Grading a class: every submission in a folder, one spreadsheet row each
//! (`cargo run -p grader -- --batch DIR`).
//!
//! A submission is a folder named for its student: a clone of this
//! repository (graded in its `exercises/`), the exercises crate itself, or
//! the step files alone (`echo-thread.rs`, ...), as an upload holds them;
//! those are graded among the starters, as Gradescope's autograder does. A
//! folder that holds none of these still gets its row, saying so, so that
//! no student goes missing from the sheet.
//!
//! Only a submission's step files are taken, copied into a folder of the
//! grader's (never its manifest, build script or cargo configuration). Its
//! steps are built in the build sandbox, then graded by this grader run
//! again in the grading sandbox (`exec::sandbox`), several submissions at
//! once (`--jobs`).

use crate::build::scratch::write_if_changed;
use crate::build::{Built, built_from_json, built_to_json};
use crate::catalogue::STEPS;
use crate::exec::sandbox::{Role, Sandbox};
use crate::exec::{self, Bound};
use crate::outcome::Outcome;
use crate::registry::{self, Check};
use crate::report::Report;
use crate::session::{Session, default_workers};
use crate::target::{Target, grader_dir, safe_name, workspace_root};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// What a submission folder holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Holds {
    /// A crate with the steps in `src/bin`.
    Crate(Target),
    /// Step files alone: (step, file), in the catalogue's order.
    StepFiles(Vec<(&'static str, PathBuf)>),
    /// Nothing to grade, and why.
    Nothing(String),
}

/// One folder of the class.
#[derive(Debug, PartialEq, Eq)]
pub struct Submission {
    pub name: String,
    pub holds: Holds,
}

/// The submissions in `dir`, in name order; files beside them are ignored.
pub fn submissions(dir: &Path) -> Result<Vec<Submission>, String> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    let mut found = Vec::new();
    for entry in entries {
        let path = entry
            .map_err(|e| format!("cannot read {}: {e}", dir.display()))?
            .path();
        if !path.is_dir() {
            continue;
        }
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if name.starts_with('.') {
            continue;
        }
        let holds = holds(&path, &name);
        found.push(Submission { name, holds });
    }
    found.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(found)
}

fn holds(folder: &Path, name: &str) -> Holds {
    if let Some(dir) = [folder.join("exercises"), folder.to_path_buf()]
        .into_iter()
        .find(|dir| {
            dir.join("Cargo.toml").is_file()
                && [dir.clone(), dir.join("src"), dir.join("src/bin")]
                    .iter()
                    .all(|d| real_dir(d))
        })
    {
        return Holds::Crate(Target::files(dir, name));
    }
    let mut files = Vec::new();
    find_files(folder, &mut files);
    // The shallowest first, so that a stray copy deep inside loses.
    files.sort_by_key(|f| (f.components().count(), f.clone()));
    let steps: Vec<(&'static str, PathBuf)> = STEPS
        .iter()
        .filter_map(|step| {
            let wanted = format!("{}.rs", step.name);
            files
                .iter()
                .find(|f| f.file_name().is_some_and(|n| n == wanted.as_str()))
                .map(|f| (step.name, f.clone()))
        })
        .collect();
    if steps.is_empty() {
        Holds::Nothing(
            "no exercises crate (neither exercises/src/bin nor src/bin) and no step file"
                .to_string(),
        )
    } else {
        Holds::StepFiles(steps)
    }
}

/// Every `.rs` file under `dir`, but for the reference solutions and builds.
fn find_files(dir: &Path, into: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for path in entries.flatten().map(|e| e.path()) {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        let skipped = matches!(name.as_deref(), Some("solutions" | "target" | ".git"));
        if real_dir(&path) && !skipped {
            find_files(&path, into);
        } else if path.extension().is_some_and(|e| e == "rs") {
            into.push(path);
        }
    }
}

/// The grader's folder for a submission: one of its own, whatever the
/// folder's name (`amy x` and `amy_x` are two students).
fn class_folder(name: &str) -> PathBuf {
    let safe = safe_name(name);
    let unique = if safe == name {
        safe
    } else {
        use std::hash::{DefaultHasher, Hash, Hasher};
        let mut hasher = DefaultHasher::new();
        name.hash(&mut hasher);
        format!("{safe}-{:016x}", hasher.finish())
    };
    grader_dir().join("class").join(unique)
}

/// Whether `path` is a folder, and not a link to one: a submission's
/// links lead nowhere (to another's folder, or round in a loop).
fn real_dir(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.is_dir())
}

/// The most a step file may weigh: a step is a page or two of code.
const MAX_STEP_FILE: u64 = 1 << 20;

/// A copy of the submission's step files in a folder of the grader's, for
/// the steps it has; the starters for the others when it is an upload of
/// bare files (graded as Gradescope's autograder grades them). Only regular
/// files are read, each under a name of the grader's choosing: a link, or a
/// name such as `../../x`, reaches nothing outside.
pub fn take_steps(name: &str, holds: &Holds) -> Result<Target, String> {
    let dir = class_folder(name).join("steps");
    let _ = std::fs::remove_dir_all(&dir);
    for step in STEPS {
        let source = match holds {
            Holds::Crate(target) => Some(target.source(step.name)),
            Holds::StepFiles(files) => Some(
                files
                    .iter()
                    .find(|(s, _)| *s == step.name)
                    .map(|(_, f)| f.clone())
                    .unwrap_or_else(|| {
                        workspace_root()
                            .join("exercises/src/bin")
                            .join(format!("{}.rs", step.name))
                    }),
            ),
            Holds::Nothing(why) => return Err(why.clone()),
        };
        let Some(source) = source else { continue };
        let Ok(meta) = std::fs::symlink_metadata(&source) else {
            continue;
        };
        if !meta.is_file() || meta.len() > MAX_STEP_FILE {
            continue;
        }
        let text =
            std::fs::read(&source).map_err(|e| format!("cannot read {}: {e}", source.display()))?;
        write_if_changed(
            &dir.join(format!("src/bin/{}.rs", step.name)),
            &String::from_utf8_lossy(&text),
        )
        .map_err(|e| e.to_string())?;
    }
    std::fs::create_dir_all(dir.join("src/bin")).map_err(|e| e.to_string())?;
    Ok(Target::files(dir, name))
}

/// How long the grading of one submission may take, all its checks
/// together, once it is built: far more than a right one needs (seconds),
/// or one whose every step hangs (under a minute).
const SUBMISSION_LIMIT: Duration = Duration::from_secs(5 * 60);

/// Grades one submission: its steps built here (in the build sandbox, if
/// `sandbox`), then checked by this grader run again (in the grading
/// sandbox), which writes the outcomes.
pub fn grade_submission(
    name: &str,
    holds: &Holds,
    sandbox: Option<&Sandbox>,
    keep_builds: bool,
) -> Result<Report, String> {
    let target = take_steps(name, holds)?;
    let graded = grade_taken(name, &target, sandbox);
    if !keep_builds {
        // Its copy of the step files, and what its steps wrote: no one
        // graded later may find them, and the disk keeps its space.
        let removed = crate::build::forget(&target).and_then(|()| {
            std::fs::remove_dir_all(class_folder(name))
                .map_err(|e| format!("cannot remove {}: {e}", class_folder(name).display()))
        });
        if let Err(e) = removed {
            // The grade stands; only disk space is lost.
            eprintln!("warning: {name}: {e}");
        }
    }
    graded
}

/// Builds the steps taken from a submission, then grades them in a grader
/// of their own (in the sandbox, if there is one).
fn grade_taken(name: &str, target: &Target, sandbox: Option<&Sandbox>) -> Result<Report, String> {
    let started = Instant::now();
    let session = Session::new(target.clone());
    let steps: Vec<&str> = STEPS.iter().map(|s| s.name).collect();
    session.build_steps(&steps);
    let scratch = class_folder(name).join("run");
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&scratch)
        .map_err(|e| format!("cannot create {}: {e}", scratch.display()))?;
    let bins: serde_json::Map<String, Value> = session
        .builds()
        .iter()
        .map(|(bin, built)| (bin.clone(), built_to_json(built)))
        .collect();
    let plan = scratch.join("plan.json");
    let plan_text = json!({"label": name, "dir": target.dir, "bins": bins}).to_string();
    std::fs::write(&plan, plan_text)
        .map_err(|e| format!("cannot write {}: {e}", plan.display()))?;
    // What the grading in the sandbox may read of the grader's folders: the
    // submission's own step files and bins.
    let exes: Vec<PathBuf> = session
        .builds()
        .values()
        .filter_map(|built| Some(built.as_ref().ok()?.path.clone()))
        .chain([target.dir.clone()])
        .collect();
    let readable: Vec<&Path> = exes.iter().map(PathBuf::as_path).collect();
    let user = exec::sandbox::grading_user();
    exec::sandbox::hand_over(&scratch, user)
        .map_err(|e| format!("cannot hand {} to the sandbox: {e}", scratch.display()))?;

    let exe = std::env::current_exe().map_err(|e| format!("cannot find the grader: {e}"))?;
    let mut cmd = Command::new(exe);
    cmd.arg("--grade-prebuilt")
        .arg(&plan)
        .env("GRADER_SCRATCH", &scratch);
    if let Some(sandbox) = sandbox {
        cmd = sandbox.wrap(cmd, Role::Grade(user), &[&scratch], &readable);
    }
    // Never a file the steps could write: see `exec::handback`.
    #[cfg(unix)]
    let incoming = exec::handback::attach(&mut cmd)
        .map_err(|e| format!("cannot make a pipe for the grading of {name}: {e}"))?;
    let run = exec::run_command(
        cmd,
        &format!("the grading of {name}"),
        SUBMISSION_LIMIT,
        Bound::LOG,
    )
    .map_err(|e| e.to_string())?;
    #[cfg(unix)]
    let sent = incoming.received(Duration::from_secs(5));
    #[cfg(not(unix))]
    let sent = std::fs::read(scratch.join("outcomes.json")).unwrap_or_default();
    let outcomes = serde_json::from_slice::<Value>(&sent)
        .ok()
        .and_then(|v| outcomes_from_json(&v));
    match outcomes {
        Some(outcomes) => Ok(Report::new(name, outcomes, started.elapsed().as_secs_f64())),
        None => {
            let why = if run.timed_out() {
                format!(
                    "its grading did not end within {} minutes",
                    SUBMISSION_LIMIT.as_secs() / 60
                )
            } else {
                // Killed or stopped by what it graded, most likely.
                let how = run
                    .end
                    .map(|e| exec::describe(&e.status))
                    .unwrap_or_default();
                format!("its grading ended ({how}) without its outcomes")
            };
            let stderr = run.stderr.text();
            Err(match stderr.lines().rev().find(|l| !l.trim().is_empty()) {
                Some(last) => format!("{why}: {last}"),
                None => why,
            })
        }
    }
}

fn outcomes_from_json(value: &Value) -> Option<Vec<(&'static Check, Outcome)>> {
    value
        .as_array()?
        .iter()
        .map(|row| {
            let check = registry::by_full_name(row["check"].as_str()?)?;
            Some((check, Outcome::from_json(&row["outcome"])?))
        })
        .collect()
}

/// `--grade-prebuilt PLAN`: the grading of one submission, in its sandbox:
/// every check, on the bins the plan names, the outcomes written beside it.
pub fn grade_prebuilt(plan: &Path) -> Result<(), String> {
    let text = std::fs::read_to_string(plan)
        .map_err(|e| format!("cannot read {}: {e}", plan.display()))?;
    let plan: Value =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", plan.display()))?;
    let dir = plan["dir"].as_str().ok_or("the plan names no folder")?;
    let label = plan["label"].as_str().unwrap_or(dir);
    let bins: HashMap<String, Built> = plan["bins"]
        .as_object()
        .into_iter()
        .flatten()
        .filter_map(|(bin, built)| Some((bin.clone(), built_from_json(built)?)))
        .collect();
    #[cfg(unix)]
    let channel = exec::handback::take().ok_or("no channel to hand the outcomes back on")?;
    exec::sandbox::guard_memory();
    let session = Session::prebuilt(Target::files(dir, label), bins);
    let checks: Vec<&'static Check> = registry::all().iter().collect();
    let outcomes = session.run(&checks, default_workers(), &|_, _| {});
    let rows: Vec<Value> = outcomes
        .iter()
        .map(|(c, o)| json!({"check": c.full_name(), "outcome": o.to_json()}))
        .collect();
    let sent = Value::Array(rows).to_string();
    #[cfg(unix)]
    {
        use std::io::Write;
        let mut channel = channel;
        channel
            .write_all(sent.as_bytes())
            .map_err(|e| format!("cannot hand the outcomes back: {e}"))
    }
    #[cfg(not(unix))]
    {
        let out = std::env::var_os("GRADER_SCRATCH")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("."))
            .join("outcomes.json");
        std::fs::write(&out, sent).map_err(|e| format!("cannot write {}: {e}", out.display()))
    }
}

/// How a class is graded.
pub struct Class<'a> {
    pub dir: &'a Path,
    pub output: Option<&'a Path>,
    pub feedback: Option<&'a Path>,
    /// How many submissions are graded at once.
    pub jobs: usize,
    /// The sandbox, unless the tutor chose to grade unconfined.
    pub sandbox: Option<Sandbox>,
    /// Whether each submission's builds stay on disk once it is graded.
    pub keep_builds: bool,
}

/// `--batch`: grades each submission in the folder, several at once, and
/// writes the class's sheet, and each one's report into the feedback folder.
/// A submission that cannot be graded gets a row that says why; only a
/// folder that cannot be read, or a sheet that cannot be written, stops it.
/// Returns the exit code.
pub fn grade_class(class: &Class) -> u8 {
    let submissions = match submissions(class.dir) {
        Ok(s) if s.is_empty() => {
            eprintln!(
                "error: {} holds no submission folders (see --help)",
                class.dir.display()
            );
            return 2;
        }
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e} (see --help)");
            return 2;
        }
    };
    // Found out now, not after an hour of grading.
    if let Some(folder) = class.feedback
        && let Err(e) = std::fs::create_dir_all(folder)
    {
        eprintln!("error: cannot create {}: {e}", folder.display());
        return 2;
    }
    if let Some(sandbox) = &class.sandbox {
        crate::build::cargo::confine_builds(sandbox.clone());
    }
    crate::build::cargo::build_each_once();
    let progress = Progress::new(submissions.len());
    let next = std::sync::atomic::AtomicUsize::new(0);
    let unwritten = std::sync::atomic::AtomicUsize::new(0);
    let graded: Vec<std::sync::Mutex<Option<Result<Report, String>>>> = submissions
        .iter()
        .map(|_| std::sync::Mutex::new(None))
        .collect();
    std::thread::scope(|scope| {
        for _ in 0..class.jobs.max(1) {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    let Some(submission) = submissions.get(i) else {
                        return;
                    };
                    let started = Instant::now();
                    let result = grade_submission(
                        &submission.name,
                        &submission.holds,
                        class.sandbox.as_ref(),
                        class.keep_builds,
                    );
                    let said = match &result {
                        Ok(report) => format!("{}/{}", report.score(), report.max_score()),
                        Err(why) => format!("not graded: {why}"),
                    };
                    progress.done(&format!(
                        "{}: {said} ({:.1} s)",
                        submission.name,
                        started.elapsed().as_secs_f64()
                    ));
                    // Written now, not at the end: a grading stopped halfway
                    // keeps what it did.
                    if let Some(folder) = class.feedback {
                        let name = &submission.name;
                        let text = match &result {
                            Ok(report) => crate::report::text::report(report, false),
                            Err(why) => format!("{name}: not graded: {why}\n"),
                        };
                        let path = folder.join(format!("{name}.txt"));
                        if let Err(e) = super::write_atomically(&path, text.trim_end()) {
                            eprintln!("error: cannot write {}: {e}", path.display());
                            unwritten.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        }
                    }
                    *graded[i].lock().unwrap_or_else(|e| e.into_inner()) = Some(result);
                }
            });
        }
    });
    progress.finish();
    let unwritten = unwritten.into_inner();
    let mut rows = vec![header()];
    for (submission, graded) in submissions.iter().zip(graded) {
        let graded = graded
            .into_inner()
            .unwrap_or_else(|e| e.into_inner())
            .unwrap_or_else(|| Err("not graded".to_string()));
        let name = &submission.name;
        rows.push(match &graded {
            Ok(report) => row(name, report),
            Err(why) => row_not_graded(name, why),
        });
    }
    let sheet = csv(&rows);
    match class.output {
        None => print!("{sheet}"),
        Some(path) => {
            if let Err(e) = super::write_atomically(path, sheet.trim_end()) {
                // The grading took long: the sheet is not lost with the file.
                eprintln!(
                    "error: cannot write {}: {e}; the sheet follows on stdout",
                    path.display()
                );
                print!("{sheet}");
                return 2;
            }
            eprintln!("wrote {} rows to {}", rows.len() - 1, path.display());
        }
    }
    if unwritten > 0 {
        eprintln!("error: {unwritten} feedback files could not be written");
        return 2;
    }
    0
}

/// A bar on a terminal; a line per submission otherwise.
struct Progress {
    bar: Option<indicatif::ProgressBar>,
    total: usize,
    done: std::sync::atomic::AtomicUsize,
}

impl Progress {
    fn new(total: usize) -> Progress {
        use std::io::IsTerminal;
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = indicatif::ProgressBar::new(total as u64);
            if let Ok(style) =
                indicatif::ProgressStyle::with_template("grading {bar:30} {pos}/{len} {msg}")
            {
                bar.set_style(style);
            }
            bar
        });
        Progress {
            bar,
            total,
            done: std::sync::atomic::AtomicUsize::new(0),
        }
    }

    fn done(&self, line: &str) {
        let n = self.done.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
        match &self.bar {
            Some(bar) => {
                bar.println(line);
                bar.inc(1);
            }
            None => eprintln!("[{n}/{}] {line}", self.total),
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// The sheet's first row: the submission, a column per graded step (its
/// points), the total, and what to fix first.
pub fn header() -> Vec<String> {
    let mut row = vec!["submission".to_string()];
    for step in STEPS.iter().filter(|s| s.graded) {
        row.push(format!("{} ({})", step.name, step.points));
    }
    let max: u32 = STEPS.iter().map(|s| s.points).sum();
    row.push(format!("total ({max})"));
    row.push("first to fix".to_string());
    row.push("skipped".to_string());
    row
}

/// A graded submission's row.
pub fn row(name: &str, report: &Report) -> Vec<String> {
    let mut row = vec![name.to_string()];
    for step in STEPS.iter().filter(|s| s.graded) {
        let score = report.step(step.name).map_or(0, |r| r.score);
        row.push(score.to_string());
    }
    row.push(report.score().to_string());
    row.push(match report.first_to_fix() {
        None => String::new(),
        Some(step) => match step.first_failure() {
            Some(check) => format!(
                "{} ({}): {}",
                step.step.name,
                step.status.words(),
                check.name()
            ),
            None => format!("{} ({})", step.step.name, step.status.words()),
        },
    });
    // Checks this machine could not make: never a pass, never hidden.
    let skipped: Vec<String> = report
        .steps
        .iter()
        .flat_map(|s| s.skipped())
        .map(|c| format!("{} ({})", c.name(), c.outcome.reason().unwrap_or_default()))
        .collect();
    row.push(skipped.join("; "));
    row
}

/// The row of a submission that could not be graded: no points, and why.
pub fn row_not_graded(name: &str, why: &str) -> Vec<String> {
    let mut row = vec![name.to_string()];
    row.extend(STEPS.iter().filter(|s| s.graded).map(|_| String::new()));
    row.push(String::new());
    row.push(format!("not graded: {why}"));
    row.push(String::new());
    row
}

/// The rows as CSV, quoted where a field needs it.
pub fn csv(rows: &[Vec<String>]) -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    for row in rows {
        writer.write_record(row).expect("writing to memory");
    }
    String::from_utf8(writer.into_inner().expect("writing to memory")).expect("the fields are text")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn a_clone_a_crate_step_files_and_an_empty_folder_are_each_a_submission() {
        let dir = std::env::temp_dir().join(format!("grader-batch-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        for crate_dir in ["carol/exercises", "alice"] {
            fs::create_dir_all(dir.join(crate_dir).join("src/bin")).unwrap();
            fs::write(dir.join(crate_dir).join("Cargo.toml"), "").unwrap();
        }
        fs::create_dir_all(dir.join("bob/notes")).unwrap();
        // Dan uploaded two steps; a copy of a solution is not his work.
        fs::create_dir_all(dir.join("dan/upload/old")).unwrap();
        fs::create_dir_all(dir.join("dan/solutions")).unwrap();
        fs::write(dir.join("dan/upload/mutex-send.rs"), "").unwrap();
        fs::write(dir.join("dan/upload/old/mutex-send.rs"), "").unwrap();
        fs::write(dir.join("dan/echo-thread.rs"), "").unwrap();
        fs::write(dir.join("dan/solutions/echo-spawn.rs"), "").unwrap();
        fs::create_dir_all(dir.join(".git")).unwrap();
        fs::write(dir.join("roster.txt"), "alice bob carol dan").unwrap();

        let found = submissions(&dir).unwrap();
        let names: Vec<&str> = found.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["alice", "bob", "carol", "dan"]);
        assert_eq!(
            found[0].holds,
            Holds::Crate(Target::files(dir.join("alice"), "alice"))
        );
        assert!(matches!(found[1].holds, Holds::Nothing(_)));
        assert_eq!(
            found[2].holds,
            Holds::Crate(Target::files(dir.join("carol/exercises"), "carol"))
        );
        assert_eq!(
            found[3].holds,
            Holds::StepFiles(vec![
                ("echo-thread", dir.join("dan/echo-thread.rs")),
                ("mutex-send", dir.join("dan/upload/mutex-send.rs")),
            ])
        );
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn step_files_are_graded_among_the_starters() {
        let dir = std::env::temp_dir().join(format!("grader-batch-files-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join("echo-thread.rs"), "// Erin's echo-thread").unwrap();
        let target = take_steps(
            "erin o'neil",
            &Holds::StepFiles(vec![("echo-thread", dir.join("echo-thread.rs"))]),
        )
        .unwrap();
        assert_eq!(target.label, "erin o'neil");
        assert!(
            target.dir.starts_with(grader_dir().join("class"))
                && target.dir.ends_with("steps")
                && target.dir.to_string_lossy().contains("erin_o_neil-"),
            "{}",
            target.dir.display()
        );
        let read = |step: &str| fs::read_to_string(target.source(step)).unwrap();
        assert_eq!(read("echo-thread"), "// Erin's echo-thread");
        let starter = workspace_root().join("exercises/src/bin/echo-spawn.rs");
        assert_eq!(read("echo-spawn"), fs::read_to_string(starter).unwrap());
        let _ = fs::remove_dir_all(&dir);
    }

    /// A clone's step file that is a link, and one too big to be a step,
    /// are not taken: nothing outside the submission is read through it.
    #[cfg(unix)]
    #[test]
    fn only_regular_step_files_are_taken() {
        let dir = std::env::temp_dir().join(format!("grader-batch-links-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(dir.join("src/bin")).unwrap();
        std::os::unix::fs::symlink("/etc/passwd", dir.join("src/bin/echo-thread.rs")).unwrap();
        fs::write(dir.join("src/bin/echo-spawn.rs"), "x".repeat(2 << 20)).unwrap();
        fs::write(dir.join("src/bin/mutex-send.rs"), "// mine").unwrap();
        let target = take_steps("linker", &Holds::Crate(Target::files(&dir, "linker"))).unwrap();
        assert!(!target.source("echo-thread").exists());
        assert!(!target.source("echo-spawn").exists());
        assert_eq!(
            fs::read_to_string(target.source("mutex-send")).unwrap(),
            "// mine"
        );
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn linked_folders_lead_nowhere() {
        let class =
            std::env::temp_dir().join(format!("grader-batch-dirlinks-{}", std::process::id()));
        let _ = fs::remove_dir_all(&class);
        fs::create_dir_all(class.join("alice")).unwrap();
        fs::write(class.join("alice/echo-thread.rs"), "// alice's").unwrap();
        // Another's work, through a link to a folder; a crate through one;
        // and links that go round in a loop.
        fs::create_dir_all(class.join("mallory")).unwrap();
        std::os::unix::fs::symlink("../alice", class.join("mallory/steal")).unwrap();
        fs::create_dir_all(class.join("oscar/exercises")).unwrap();
        fs::write(class.join("oscar/exercises/Cargo.toml"), "").unwrap();
        std::os::unix::fs::symlink("../../alice", class.join("oscar/exercises/src")).unwrap();
        fs::create_dir_all(class.join("loopy")).unwrap();
        std::os::unix::fs::symlink(".", class.join("loopy/a")).unwrap();
        std::os::unix::fs::symlink(".", class.join("loopy/b")).unwrap();
        let found = submissions(&class).unwrap();
        let holds = |who: &str| &found.iter().find(|s| s.name == who).unwrap().holds;
        assert!(matches!(holds("alice"), Holds::StepFiles(_)));
        for who in ["mallory", "oscar", "loopy"] {
            assert!(
                matches!(holds(who), Holds::Nothing(_)),
                "{who}: {:?}",
                holds(who)
            );
        }
        let _ = fs::remove_dir_all(&class);
    }

    #[test]
    fn two_names_that_look_alike_are_two_folders() {
        assert_ne!(class_folder("amy x"), class_folder("amy_x"));
        assert_ne!(class_folder("zoë"), class_folder("zoé"));
        assert_eq!(class_folder("amy_x"), class_folder("amy_x"));
    }

    #[test]
    fn a_missing_folder_is_one_line() {
        let e = submissions(Path::new("no/such/class")).unwrap_err();
        assert!(e.starts_with("cannot read no/such/class"), "{e}");
        assert!(!e.contains('\n'));
    }

    #[test]
    fn every_row_has_the_header_s_width_and_fields_are_quoted() {
        let width = header().len();
        assert_eq!(width, STEPS.iter().filter(|s| s.graded).count() + 4);
        let not_graded = row_not_graded("o'brien, pat", "no exercises crate");
        assert_eq!(not_graded.len(), width);
        let text = csv(&[header(), not_graded]);
        let second = text.lines().nth(1).unwrap();
        assert!(second.starts_with("\"o'brien, pat\","), "{second}");
        assert!(
            second.ends_with(",not graded: no exercises crate,"),
            "{second}"
        );
    }
}
