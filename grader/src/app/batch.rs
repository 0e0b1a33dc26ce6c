//! Grading a class: every submission in a folder, one spreadsheet row each
//! (`cargo run -p grader -- --batch DIR`).
//!
//! A submission is a folder named for its student: a clone of this
//! repository (graded in its `exercises/`), the exercises crate itself, or
//! the step files alone (`echo-thread.rs`, ...), as an upload holds them;
//! those are graded in a copy of the starters, as Gradescope's autograder
//! does. A folder that holds none of these still gets its row, saying so,
//! so that no student goes missing from the sheet.

use crate::build::scratch::write_if_changed;
use crate::catalogue::STEPS;
use crate::report::Report;
use crate::target::{Target, grader_dir, safe_name, workspace_root};
use std::path::{Path, PathBuf};

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
        .find(|dir| dir.join("Cargo.toml").is_file() && dir.join("src/bin").is_dir())
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
        if path.is_dir() && !skipped {
            find_files(&path, into);
        } else if path.extension().is_some_and(|e| e == "rs") {
            into.push(path);
        }
    }
}

/// A folder of this repository's starters with the submission's step files
/// in their place, in the grader's build folder: graded as a clone would be.
pub fn assemble(name: &str, files: &[(&'static str, PathBuf)]) -> Result<Target, String> {
    let dir = grader_dir().join("uploads").join(safe_name(name));
    for step in STEPS {
        let source = files
            .iter()
            .find(|(s, _)| *s == step.name)
            .map(|(_, f)| f.clone())
            .unwrap_or_else(|| {
                workspace_root()
                    .join("exercises/src/bin")
                    .join(format!("{}.rs", step.name))
            });
        let text = std::fs::read_to_string(&source)
            .map_err(|e| format!("cannot read {}: {e}", source.display()))?;
        write_if_changed(&dir.join(format!("src/bin/{}.rs", step.name)), &text)
            .map_err(|e| e.to_string())?;
    }
    Ok(Target::files(dir, name))
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
        let target = assemble(
            "erin o'neil",
            &[("echo-thread", dir.join("echo-thread.rs"))],
        )
        .unwrap();
        assert_eq!(target.label, "erin o'neil");
        assert!(
            target.dir.ends_with("uploads/erin_o_neil"),
            "{}",
            target.dir.display()
        );
        let read = |step: &str| fs::read_to_string(target.source(step)).unwrap();
        assert_eq!(read("echo-thread"), "// Erin's echo-thread");
        let starter = workspace_root().join("exercises/src/bin/echo-spawn.rs");
        assert_eq!(read("echo-spawn"), fs::read_to_string(starter).unwrap());
        let _ = fs::remove_dir_all(&dir);
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
