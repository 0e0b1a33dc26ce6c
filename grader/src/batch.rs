//! Grading a class: every submission in a folder, one spreadsheet row each
//! (`cargo run -p grader -- --batch DIR`).
//!
//! A submission is a folder named for its student: a clone of this
//! repository (graded in its `exercises/`) or the exercises crate itself, as
//! GitHub Classroom's and Gradescope's downloads hold them. One that holds
//! neither still gets its row, saying so, so that no student goes missing
//! from the sheet.

use crate::report::Report;
use crate::steps::STEPS;
use crate::target::Target;
use std::path::Path;

/// One folder of the class, and the crate found in it.
#[derive(Debug, PartialEq, Eq)]
pub struct Submission {
    pub name: String,
    pub crate_found: Result<Target, String>,
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
        let crate_found = [path.join("exercises"), path.clone()]
            .into_iter()
            .find(|dir| dir.join("Cargo.toml").is_file() && dir.join("src/bin").is_dir())
            .map(|dir| Target::at(dir, name.clone()))
            .ok_or_else(|| {
                "no exercises crate (neither exercises/src/bin nor src/bin)".to_string()
            });
        found.push(Submission { name, crate_found });
    }
    found.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(found)
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
    row
}

/// A graded submission's row.
pub fn row(name: &str, report: &Report) -> Vec<String> {
    let mut row = vec![name.to_string()];
    for step in STEPS.iter().filter(|s| s.graded) {
        let score = report
            .steps
            .iter()
            .find(|r| r.step.name == step.name)
            .map_or(0, |r| r.score);
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
                check.name
            ),
            None => format!("{} ({})", step.step.name, step.status.words()),
        },
    });
    row
}

/// The row of a submission that could not be graded: no points, and why.
pub fn row_not_graded(name: &str, why: &str) -> Vec<String> {
    let mut row = vec![name.to_string()];
    row.extend(STEPS.iter().filter(|s| s.graded).map(|_| String::new()));
    row.push(String::new());
    row.push(format!("not graded: {why}"));
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
    fn a_clone_a_crate_and_an_empty_folder_are_each_a_submission() {
        let dir = std::env::temp_dir().join(format!("grader-batch-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        for crate_dir in ["carol/exercises", "alice"] {
            fs::create_dir_all(dir.join(crate_dir).join("src/bin")).unwrap();
            fs::write(dir.join(crate_dir).join("Cargo.toml"), "").unwrap();
        }
        fs::create_dir_all(dir.join("bob/notes")).unwrap();
        fs::create_dir_all(dir.join(".git")).unwrap();
        fs::write(dir.join("roster.txt"), "alice bob carol").unwrap();

        let found = submissions(&dir).unwrap();
        let names: Vec<&str> = found.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["alice", "bob", "carol"]);
        assert_eq!(
            found[0].crate_found.as_ref().unwrap().dir,
            dir.join("alice")
        );
        assert!(found[1].crate_found.is_err());
        assert_eq!(
            found[2].crate_found.as_ref().unwrap().dir,
            dir.join("carol/exercises")
        );
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
        assert_eq!(width, STEPS.iter().filter(|s| s.graded).count() + 3);
        let not_graded = row_not_graded("o'brien, pat", "no exercises crate");
        assert_eq!(not_graded.len(), width);
        let text = csv(&[header(), not_graded]);
        let second = text.lines().nth(1).unwrap();
        assert!(second.starts_with("\"o'brien, pat\","), "{second}");
        assert!(
            second.ends_with(",not graded: no exercises crate"),
            "{second}"
        );
    }
}
