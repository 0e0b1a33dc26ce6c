//! The student edition (`cargo run -p grader -- export-student DIR`): it
//! holds no line of an answer, and a clean copy of it builds, grades its
//! starters, and passes its own CI. It builds from scratch: slow, so the
//! maintainer's check runs it.

use grader::catalogue::STEPS;
use grader::target::workspace_root;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

fn files(dir: &Path, into: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            if path
                .file_name()
                .is_some_and(|n| n != "target" && n != ".git")
            {
                files(&path, into);
            }
        } else {
            into.push(path);
        }
    }
}

#[test]
#[ignore = "slow: the maintainer's check"]
fn the_student_edition_holds_no_answer_and_grades_its_starters() {
    let base = std::env::temp_dir().join(format!("grader-edition-{}", std::process::id()));
    let _ = fs::remove_dir_all(&base);
    let edition = base.join("edition");
    let out = Command::new(grader_selftest::grader_exe())
        .arg("export-student")
        .arg(&edition)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let root = workspace_root();
    assert!(!edition.join("solutions").exists());
    assert!(!edition.join("grader/mutants").exists());
    assert!(!edition.join("grader/variants").exists());
    // No line of a solution that no starter already has: the starters are
    // handed out (echo-spawn's is the thread server, the demos are whole).
    let starters: String = STEPS
        .iter()
        .map(|s| fs::read_to_string(root.join(format!("exercises/src/bin/{}.rs", s.name))).unwrap())
        .collect();
    let mut all = Vec::new();
    files(&edition, &mut all);
    // The grader's own code is not an answer, though some of its lines are
    // the same as some of a solution's (`return Poll::Pending;`).
    let code = ["grader/src", "grader/harness", "grader/tests"].map(|d| edition.join(d));
    let texts: Vec<(PathBuf, String)> = all
        .iter()
        .filter(|p| !code.iter().any(|c| p.starts_with(c)))
        .filter_map(|p| Some((p.clone(), fs::read_to_string(p).ok()?)))
        .collect();
    let mut found = Vec::new();
    for step in STEPS {
        let read = |krate: &str| {
            fs::read_to_string(root.join(krate).join(format!("src/bin/{}.rs", step.name))).unwrap()
        };
        let solution = read("solutions");
        for line in solution.lines().map(str::trim) {
            if line.len() < 12 || line.starts_with("//") || starters.contains(line) {
                continue;
            }
            for (path, text) in &texts {
                if text.contains(line) {
                    found.push(format!(
                        "{}: {line}",
                        path.strip_prefix(&edition).unwrap().display()
                    ));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "the student edition holds lines of the answers:\n{}",
        found.join("\n")
    );

    // Every page speaks of what the edition holds: its links lead somewhere,
    // and no command needs the solutions or the bench.
    let mut dead = Vec::new();
    for (path, text) in texts
        .iter()
        .filter(|(p, _)| p.extension().is_some_and(|e| e == "md"))
    {
        let shown = path.strip_prefix(&edition).unwrap().display().to_string();
        for needs in ["-p bench", "-p solutions", "`solutions`", "bench/"] {
            if text.contains(needs) {
                dead.push(format!("{shown}: mentions {needs}"));
            }
        }
        for link in text
            .split("](")
            .skip(1)
            .filter_map(|rest| rest.split(')').next())
        {
            let file = link.split('#').next().unwrap_or_default();
            if file.is_empty() || file.contains("://") {
                continue;
            }
            if !path.parent().unwrap().join(file).exists() {
                dead.push(format!(
                    "{shown}: a link to {link}, which the edition does not hold"
                ));
            }
        }
    }
    assert!(dead.is_empty(), "{}", dead.join("\n"));

    // A clean copy, as a student gets it: it builds, grades, and its CI passes.
    let copy = base.join("clone");
    let cloned = Command::new("cp")
        .arg("-r")
        .arg(&edition)
        .arg(&copy)
        .status()
        .unwrap();
    assert!(cloned.success());
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let graded = Command::new(&cargo)
        .args(["test", "--locked", "-p", "grader"])
        .current_dir(&copy)
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("GRADE")
        .env_remove("CARGO_MANIFEST_DIR")
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&graded.stdout);
    assert_eq!(
        graded.status.code(),
        Some(101),
        "the starters should fail:\n{said}"
    );
    assert!(said.contains("graded exercises:"), "{said}");
    assert!(said.contains("test echo_thread::compiles ... ok"), "{said}");
    let ci = Command::new(copy.join(".ci/run"))
        .current_dir(&copy)
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("CARGO_MANIFEST_DIR")
        .output()
        .unwrap();
    assert!(
        ci.status.success(),
        "its CI failed:\n{}",
        String::from_utf8_lossy(&ci.stderr)
    );
    let _ = fs::remove_dir_all(&base);
}
