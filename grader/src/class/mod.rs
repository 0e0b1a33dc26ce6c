//! Grading a class as a tutor does: every submission in a folder, one
//! spreadsheet row each (`--batch DIR`), or one submission alone
//! (`--submission DIR`, as Gradescope and GitHub Classroom grade one).
//!
//! - `find`: what a submission folder holds, and where its step files are;
//! - `take`: the step files, taken into a folder of the grader's;
//! - `reuse`: each step file of the class graded once, by its text;
//! - `sandboxed`: a submission's steps built and graded in the sandboxes;
//! - `sheet`: the class's grades as CSV; `progress`: how far it is.
//!
//! Only a submission's step files are taken (never its manifest, build
//! script or cargo configuration). Its steps are built in the build
//! sandbox, then graded by this grader run again in the grading sandbox
//! (`exec::sandbox`), several submissions at once (`--jobs`). A folder that
//! holds nothing to grade still gets its row, saying so, so that no student
//! goes missing from the sheet.

mod find;
mod progress;
mod reuse;
mod sandboxed;
pub mod sheet;
pub(crate) mod summary;
mod take;

pub(crate) use find::{Holds, holds, submissions};
pub use sandboxed::grade_prebuilt;

use crate::error::Error;
use crate::outcome::Outcome;
use crate::report::Report;
use crate::settings::Settings;
use crate::step::{Check, Step};
use progress::Progress;
use reuse::Graded;
use std::path::Path;
use std::time::Instant;

/// How a class is graded.
pub struct Class<'a> {
    pub dir: &'a Path,
    pub output: Option<&'a Path>,
    pub feedback: Option<&'a Path>,
    /// The class's picture, an HTML page.
    pub summary: Option<&'a Path>,
    /// How many submissions are graded at once.
    pub jobs: usize,
    /// The grading's settings, a class's (`Settings::for_a_class`): in the
    /// sandbox, unless the tutor chose to grade unconfined.
    pub settings: Settings,
    /// Whether each submission's builds stay on disk once it is graded.
    pub keep_builds: bool,
}

/// `--submission DIR`: grades the one submission in `dir` (a clone, a
/// crate, step files), as a class's is graded; its report.
pub fn grade_one(dir: &Path, settings: &Settings, keep_builds: bool) -> Result<Report, Error> {
    if !dir.is_dir() {
        return Err(Error::usage(format!("{} is not a folder", dir.display())));
    }
    let name = dir
        .canonicalize()
        .ok()
        .and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "the submission".to_string());
    let holds = holds(dir, &name);
    grade_submission(&name, &holds, settings, keep_builds, &Graded::default())
}

/// Grades one submission: the steps whose files were not graded yet in this
/// class are built and graded (see `sandboxed`), the others' outcomes
/// reused; its report.
fn grade_submission(
    name: &str,
    holds: &Holds,
    settings: &Settings,
    keep_builds: bool,
    graded: &Graded,
) -> Result<Report, Error> {
    let started = Instant::now();
    let files = take::read(holds)?;
    let mut outcomes: Vec<(&'static Check, Outcome)> = Vec::new();
    let mut left = files.clone();
    // Each round grades what no other grading has claimed, then waits for
    // the rest; what another gave up is claimed in the next round.
    while !left.is_empty() {
        let claimed = graded.claim(&left);
        outcomes.extend(claimed.known);
        if !claimed.mine.is_empty() {
            let mine: Vec<_> = left
                .iter()
                .filter(|(s, _)| claimed.mine.contains(s))
                .cloned()
                .collect();
            match grade_files(&mine, settings, keep_builds) {
                Ok(new) => {
                    graded.done(&mine, &new);
                    outcomes.extend(new);
                }
                Err(why) => {
                    graded.give_up(&mine);
                    return Err(why);
                }
            }
        }
        left = Vec::new();
        for key in claimed.waiting {
            match graded.wait(&key) {
                Some(known) => outcomes.extend(known),
                None => left.push(key),
            }
        }
    }
    // In the registry's order, as every report is.
    outcomes.sort_by_key(|(c, _)| c.id);
    Ok(Report::new(name, outcomes, started.elapsed().as_secs_f64()))
}

/// Builds and grades these step files, in a folder of the grader's that is
/// removed afterwards (unless the builds are kept).
fn grade_files(
    files: &take::Files,
    settings: &Settings,
    keep_builds: bool,
) -> Result<Vec<(&'static Check, Outcome)>, Error> {
    let folder = take::folder();
    let target = take::write(&folder, files)?;
    let steps: Vec<&'static Step> = files.iter().map(|(s, _)| *s).collect();
    let graded = sandboxed::grade(&target, &steps, settings, &folder.join("run"));
    if !keep_builds {
        // Its copy of the step files, and what its steps wrote: no one
        // graded later may find them, and the disk keeps its space.
        let removed = crate::build::forget(&target, &settings.builds)
            .and_then(|()| std::fs::remove_dir_all(&folder).map_err(Error::io("remove", &folder)));
        if let Err(e) = removed {
            // The grade stands; only disk space is lost.
            eprintln!("warning: {e}");
        }
    }
    graded
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
    let graded_files = Graded::default();
    let progress = Progress::new(submissions.len());
    let next = std::sync::atomic::AtomicUsize::new(0);
    let unwritten = std::sync::atomic::AtomicUsize::new(0);
    let graded: Vec<std::sync::Mutex<Option<Result<Report, Error>>>> = submissions
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
                        &class.settings,
                        class.keep_builds,
                        &graded_files,
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
                        if let Err(e) = crate::app::write_atomically(&path, text.trim_end()) {
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
    let mut unwritten = unwritten.into_inner();
    let results: Vec<Result<Report, Error>> = graded
        .into_iter()
        .map(|g| {
            g.into_inner()
                .unwrap_or_else(|e| e.into_inner())
                .unwrap_or_else(|| Err(Error::said("not graded")))
        })
        .collect();
    let mut rows = vec![sheet::header()];
    for (submission, graded) in submissions.iter().zip(&results) {
        let name = &submission.name;
        rows.push(match graded {
            Ok(report) => sheet::row(name, report),
            Err(why) => sheet::row_not_graded(name, &why.to_string()),
        });
    }
    let sheet = sheet::csv(&rows);
    if let Some(path) = class.summary {
        let graded: Vec<(&str, Result<&Report, String>)> = submissions
            .iter()
            .zip(&results)
            .map(|(s, r)| (s.name.as_str(), r.as_ref().map_err(|e| e.to_string())))
            .collect();
        let page = summary::html(&summary::summarise(&graded));
        if let Err(e) = crate::app::write_atomically(path, page.trim_end()) {
            eprintln!("error: cannot write {}: {e}", path.display());
            unwritten += 1;
        } else {
            eprintln!("wrote the class's summary to {}", path.display());
        }
    }
    match class.output {
        None => print!("{sheet}"),
        Some(path) => {
            if let Err(e) = crate::app::write_atomically(path, sheet.trim_end()) {
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
