//! What the grader's tests of its command line share: the grader as a
//! command, the repository's files, and crates of step files as a
//! student's would be.

use grader::target::workspace_root;
use std::fs;
use std::path::{Path, PathBuf};

/// The grader, as `cargo run -p grader` runs it.
pub fn grader() -> assert_cmd::Command {
    assert_cmd::Command::new(super::grader_exe())
}

/// A file of the repository.
pub fn read(path: &str) -> String {
    fs::read_to_string(workspace_root().join(path)).unwrap()
}

/// A mutant's source, made from its step's solution.
pub fn mutant(file: &str) -> String {
    grader::edits::load(file).unwrap().1
}

/// A crate outside the target directory, as a student's would be, with the
/// given files under `src/bin/`.
pub fn fixture(name: &str, bins: &[(&str, String)]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("grader-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    write_files(&dir, bins);
    dir
}

/// Writes a crate's manifest and its `src/bin/<step>.rs` files.
pub fn write_files(dir: &Path, bins: &[(&str, String)]) {
    fs::create_dir_all(dir.join("src/bin")).unwrap();
    fs::write(
        dir.join("Cargo.toml"),
        "[package]\nname = \"exercises\"\nversion = \"0.1.0\"\nedition = \"2024\"\n",
    )
    .unwrap();
    for (step, text) in bins {
        fs::write(dir.join(format!("src/bin/{step}.rs")), text).unwrap();
    }
}

/// A class's sheet as `--batch` wrote it: a row per submission.
pub struct Sheet {
    /// As written, for assertion messages.
    pub text: String,
    rows: Vec<Vec<String>>,
    header: Vec<String>,
}

impl Sheet {
    pub fn read(path: &Path) -> Sheet {
        let text = fs::read_to_string(path).unwrap();
        let rows = csv::Reader::from_reader(text.as_bytes())
            .records()
            .map(|r| r.unwrap().iter().map(str::to_string).collect())
            .collect();
        Sheet {
            text,
            rows,
            header: grader::class::sheet::header(),
        }
    }

    /// The row of the submission `who`.
    pub fn row(&self, who: &str) -> &[String] {
        let text = &self.text;
        self.rows
            .iter()
            .find(|r| r[0] == who)
            .unwrap_or_else(|| panic!("no row for {who}:\n{text}"))
    }

    /// The place of the column whose header starts with `name`.
    pub fn column(&self, name: &str) -> usize {
        self.header
            .iter()
            .position(|h| h.starts_with(name))
            .unwrap_or_else(|| panic!("no column {name}"))
    }

    /// The cell of `who`'s row in the column `name`.
    pub fn cell(&self, who: &str, name: &str) -> &str {
        &self.row(who)[self.column(name)]
    }
}

/// The grader grading the class in `class` two submissions at once, as a
/// tutor runs it: its sheet to `sheet`, each report into `feedback`.
pub fn batch(class: &Path, sheet: &Path, feedback: &Path) -> std::process::Command {
    let mut cmd = std::process::Command::new(super::grader_exe());
    cmd.arg("--batch")
        .arg(class)
        .args(["--jobs", "2", "--output"])
        .arg(sheet)
        .arg("--feedback")
        .arg(feedback);
    cmd
}
