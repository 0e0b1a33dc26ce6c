//! `cargo run -p grader -- export-student DIR`: the repository to hand out
//! to a class. It holds the exercises, the grader (without the mutants and
//! variants its self-check makes from the solutions), the students' README
//! and pages, and the GitHub Classroom workflow; never the solutions, nor
//! the bench that is built from them, nor any history. Its grader grades its
//! exercises as this one does. `--hint-levels N` keeps the hints up to level
//! N, for a tutor who grades with it (level 3 comes close to the answer).
//!
//! `export-gradescope DIR`: the folder to zip as Gradescope's autograder:
//! the student edition, its hints to level 1 (all a failure shows), with
//! `setup.sh` and `run_autograder` at its root, as Gradescope asks. The
//! steps it grades can read what the autograder holds: no answer is there.

use crate::build::cargo::cargo;
use crate::error::Error;
use crate::target::workspace_root;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Stdio;

/// What is taken, from this repository's root: files, and folders whole.
const TAKEN: &[&str] = &[
    "rust-toolchain.toml",
    ".gitignore",
    "exercises",
    "grader",
    "docs/students.md",
    "docs/steps",
    ".github/workflows/classroom.yml",
];

/// Left out of the folders taken: what is made from the solutions, and
/// the grader's own tests, which need them.
const LEFT_OUT: &[&str] = &["grader/mutants", "grader/variants", "grader/selftest"];

/// The student edition's CI: its grader builds, and lists its checks.
const CI: &str = "#!/usr/bin/env bash
# CI of the student edition: the grader builds and knows its checks. (The
# exercises are graded by the Classroom workflow, or by `cargo test -p grader`.)
set -euo pipefail
cd \"$(dirname \"$0\")/..\"
cargo build --locked -p grader --all-targets
cargo test --locked -p grader --test grade -- --list
cargo run --locked -q -p grader -- --help > /dev/null
echo 'the grader is ready'
";

/// Writes the student edition into `dir`, which must be empty or new, its
/// hints up to `hint_levels`. Returns what it wrote, in a line.
pub fn export_student(dir: &Path, hint_levels: usize) -> Result<String, Error> {
    let files = write_edition(dir, hint_levels)?;
    let hints = match hint_levels {
        3 => String::new(),
        n => format!(", hints to level {n}"),
    };
    Ok(format!(
        "wrote the student edition to {} ({files} files): the exercises, the grader, the students' pages and the Classroom workflow; no solutions{hints}",
        dir.display()
    ))
}

/// What Gradescope's autograder runs, at the root of the folder to zip.
const GRADESCOPE: &[&str] = &["setup.sh", "run_autograder"];

/// Writes Gradescope's autograder into `dir`: the student edition, its
/// hints to level 1, and Gradescope's scripts at its root.
pub fn export_gradescope(dir: &Path) -> Result<String, Error> {
    let files = write_edition(dir, 1)?;
    let root = workspace_root();
    for script in GRADESCOPE {
        let to = dir.join(script);
        fs::copy(root.join("gradescope").join(script), &to)
            .map_err(Error::io("copy", root.join("gradescope").join(script)))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = fs::set_permissions(&to, fs::Permissions::from_mode(0o755));
        }
    }
    Ok(format!(
        "wrote Gradescope's autograder to {} ({} files): zip what it holds (not the folder itself) and upload it; the student edition with its hints to level 1, setup.sh and run_autograder; no solutions",
        dir.display(),
        files + GRADESCOPE.len()
    ))
}

/// Writes the student edition into `dir`; how many files.
fn write_edition(dir: &Path, hint_levels: usize) -> Result<usize, Error> {
    if dir.exists()
        && fs::read_dir(dir)
            .map_err(Error::io("read", dir))?
            .next()
            .is_some()
    {
        return Err(Error::said(format!("{} is not empty", dir.display())));
    }
    let root = workspace_root();
    let mut files = 0;
    for taken in TAKEN {
        files += copy(&root.join(taken), &dir.join(taken), root)?;
    }
    if hint_levels < 3 {
        cut_hints(&dir.join("grader/hints"), hint_levels)?;
    }
    write(
        &dir.join("README.md"),
        &for_students(&read(&root.join("README.md"))?),
    )?;
    write(
        &dir.join("Cargo.toml"),
        &student_manifest(&read(&root.join("Cargo.toml"))?)?,
    )?;
    fs::copy(root.join("Cargo.lock"), dir.join("Cargo.lock"))
        .map_err(Error::io("copy", root.join("Cargo.lock")))?;
    write(&dir.join(".ci/run"), CI)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = fs::set_permissions(dir.join(".ci/run"), fs::Permissions::from_mode(0o755));
    }
    // The lock file, without the packages of the left-out crates: cargo
    // trims it as it resolves the edition's workspace for this machine,
    // with the crates already downloaded.
    let trimmed = cargo()
        .args(["tree", "--offline", "--quiet", "--manifest-path"])
        .arg(dir.join("Cargo.toml"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .output()
        .map_err(|source| Error::Start {
            what: "cargo".to_string(),
            source,
        })?;
    if !trimmed.status.success() {
        return Err(Error::said(format!(
            "cargo cannot resolve the student edition: {}",
            String::from_utf8_lossy(&trimmed.stderr).trim()
        )));
    }
    Ok(files + 4)
}

/// Each hint file of `dir` without its levels above `levels`.
fn cut_hints(dir: &Path, levels: usize) -> Result<(), Error> {
    let entries = fs::read_dir(dir).map_err(Error::io("read", dir))?;
    for path in entries.flatten().map(|e| e.path()) {
        if path.extension().is_none_or(|e| e != "toml") {
            continue;
        }
        let mut table: toml::Table = read(&path)?
            .parse()
            .map_err(|e| Error::format(path.display(), e))?;
        for (_, check) in table.iter_mut() {
            if let Some(check) = check.as_table_mut() {
                check.retain(|level, _| level.parse::<usize>().is_ok_and(|n| n <= levels));
            }
        }
        let text = toml::to_string(&table).map_err(|e| Error::format(path.display(), e))?;
        write(
            &path,
            &format!("# The hints of this edition stop at level {levels}.\n{text}"),
        )?;
    }
    Ok(())
}

fn read(path: &Path) -> Result<String, Error> {
    fs::read_to_string(path).map_err(Error::io("read", path))
}

fn write(path: &Path, text: &str) -> Result<(), Error> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).map_err(Error::io("make", parent))?;
    }
    fs::write(path, text).map_err(Error::io("write", path))
}

/// Copies a file, or a folder but for what is left out; returns how many
/// files.
fn copy(from: &Path, to: &Path, root: &Path) -> Result<usize, Error> {
    let relative = from.strip_prefix(root).unwrap_or(from);
    if LEFT_OUT.iter().any(|l| relative == Path::new(l)) {
        return Ok(0);
    }
    if from.is_dir() {
        let mut n = 0;
        let entries = fs::read_dir(from).map_err(Error::io("read", from))?;
        let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
        paths.sort();
        for path in paths {
            if path.file_name().is_some_and(|n| n == "target") {
                continue;
            }
            n += copy(&path, &to.join(path.file_name().expect("a name")), root)?;
        }
        Ok(n)
    } else {
        if let Some(parent) = to.parent() {
            fs::create_dir_all(parent).map_err(Error::io("make", parent))?;
        }
        if from.extension().is_some_and(|e| e == "md") {
            write(to, &for_students(&read(from)?))?;
        } else {
            fs::copy(from, to).map_err(Error::io("copy", from))?;
        }
        Ok(1)
    }
}

/// A page without its parts for tutors and maintainers (between
/// `<!-- tutors -->` and `<!-- /tutors -->`): what needs the solutions or
/// the bench, which the edition does not hold.
fn for_students(readme: &str) -> String {
    let mut out = String::new();
    let mut skipping = false;
    for line in readme.lines() {
        match line.trim() {
            "<!-- tutors -->" => skipping = true,
            "<!-- /tutors -->" => skipping = false,
            _ if !skipping => {
                out.push_str(line);
                out.push('\n');
            }
            _ => {}
        }
    }
    out
}

/// The workspace's manifest with the edition's members only.
fn student_manifest(manifest: &str) -> Result<String, Error> {
    let mut table: toml::Table = manifest
        .parse()
        .map_err(|e| Error::format("Cargo.toml", e))?;
    let workspace = table
        .get_mut("workspace")
        .and_then(|w| w.as_table_mut())
        .ok_or_else(|| Error::format("Cargo.toml", "it has no [workspace]"))?;
    workspace.insert(
        "members".into(),
        toml::Value::Array(vec!["exercises".into(), "grader".into()]),
    );
    Ok(format!(
        "# The student edition of the async-Rust tutorial: the exercises and their grader.\n{}",
        toml::to_string(&table).map_err(|e| Error::format("Cargo.toml", e))?
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_students_page_leaves_out_the_tutors_part() {
        let readme =
            "# Title\nfor all\n<!-- tutors -->\n## Tutors\nsolutions here\n<!-- /tutors -->\nend\n";
        assert_eq!(for_students(readme), "# Title\nfor all\nend\n");
    }

    #[test]
    fn the_student_manifest_has_the_exercises_and_the_grader_only() {
        let manifest = read(&workspace_root().join("Cargo.toml")).unwrap();
        let edition: toml::Table = student_manifest(&manifest).unwrap().parse().unwrap();
        let members = edition["workspace"]["members"].as_array().unwrap();
        assert_eq!(
            members,
            &vec![toml::Value::from("exercises"), toml::Value::from("grader")]
        );
        assert!(edition["workspace"]["dependencies"].get("tokio").is_some());
    }
}
