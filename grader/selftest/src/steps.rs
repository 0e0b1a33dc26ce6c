//! What the self-check and the hostile steps share: step files made from
//! the solutions, graded in this process as the grade tests grade them,
//! and the processes they leave.

use grader::Outcome;
use grader::registry;
use grader::session::{Session, default_workers};
use grader::settings::Settings;
use grader::step::Check;
use grader::target::{Target, workspace_root};
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Grades `steps` (every step, without) of `target` in this process.
pub fn grade(target: Target, steps: Option<&[&str]>) -> Vec<(&'static Check, Outcome)> {
    let checks: Vec<&'static Check> = registry::all()
        .iter()
        .filter(|c| steps.is_none_or(|s| s.contains(&c.step.name)))
        .collect();
    Session::new(target, Settings::from_env()).run(&checks, default_workers(), &|_, _| {})
}

/// The outcomes that are not passes, for an assertion message.
pub fn not_passed(outcomes: &[(&'static Check, Outcome)]) -> String {
    outcomes
        .iter()
        .filter(|(_, o)| !o.passed())
        .map(|(c, o)| {
            let said = o
                .failure()
                .map(|f| f.message())
                .or_else(|| grader::report::reason(o))
                .unwrap_or_default();
            format!("{}: {}\n{said}\n", c.full_name(), o.words())
        })
        .collect()
}

/// The solution of a step.
pub fn solution(step: &str) -> String {
    fs::read_to_string(workspace_root().join(format!("solutions/src/bin/{step}.rs"))).unwrap()
}

/// `text` with `old` (found exactly once) replaced by `new`.
pub fn edit(text: &str, old: &str, new: &str) -> String {
    assert_eq!(
        text.matches(old).count(),
        1,
        "{old:?} is not in the step once"
    );
    text.replacen(old, new, 1)
}

/// A folder holding the given step files, as a student's would.
pub fn folder(name: &str, files: &[(&str, String)]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("grader-hostile-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(dir.join("src/bin")).unwrap();
    for (step, text) in files {
        fs::write(dir.join(format!("src/bin/{step}.rs")), text).unwrap();
    }
    dir
}

/// Grades one step of the step files in `dir`.
pub fn grade_step(dir: &Path, step: &str) -> Vec<(&'static Check, Outcome)> {
    grade(Target::files(dir, dir.display().to_string()), Some(&[step]))
}

/// The first check that failed.
pub fn first_failure(outcomes: &[(&'static Check, Outcome)]) -> Option<String> {
    outcomes
        .iter()
        .find(|(_, o)| o.failed())
        .map(|(c, _)| c.full_name())
}

/// The processes whose command line holds `token`, other than this one.
pub fn running_with(token: &str) -> Vec<String> {
    use grader::exec::procfs;
    procfs::pids()
        .into_iter()
        .filter(|pid| *pid != std::process::id() && !procfs::zombie(*pid))
        .filter_map(|pid| {
            let text = procfs::cmdline(pid)?;
            text.contains(token).then(|| format!("{pid}: {text}"))
        })
        .collect()
}

/// Waits, up to a deadline, until no process holds `token`: the killing is
/// done by the kernel and the watchdog, which the test cannot wait on.
pub fn none_left(token: &str) -> Vec<String> {
    let end = Instant::now() + Duration::from_secs(10);
    loop {
        let left = running_with(token);
        if left.is_empty() || Instant::now() >= end {
            return left;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}
