//! Grading a class (`--batch`, `--submission`, Gradescope's autograder) as
//! a tutor does, from the command line. The runs on a class take a while:
//! they are ignored by default and run in the maintainer's check.

use grader_selftest::fixtures::{grader, mutant, read, write_files};
use predicates::prelude::*;
use std::fs;
use std::path::{Path, PathBuf};

#[test]
fn batch_on_a_folder_that_is_not_there_is_one_line_and_exit_2() {
    grader()
        .args(["--batch", "no/such/class"])
        .assert()
        .code(2)
        .stdout("")
        .stderr(
            predicate::str::starts_with("error: cannot read no/such/class")
                .and(predicate::function(|s: &str| s.lines().count() == 1)),
        );
}

/// Without the sandbox, a grader that is root runs a class's steps as a
/// user of their own, never as root (as root, a step could read the run's
/// key out of the grader's memory). Where that user cannot reach the builds
/// (a folder on the way lets no other user through), it refuses in one
/// line, before it builds anything, and Gradescope's results say why. A
/// grader that is not root runs them as itself, and goes on.
#[cfg(target_os = "linux")]
#[test]
fn without_the_sandbox_a_class_s_steps_never_run_as_root() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let closed = std::env::temp_dir().join(format!("grader-closed-{}", std::process::id()));
    let _ = fs::remove_dir_all(&closed);
    fs::create_dir_all(closed.join("submission")).unwrap();
    fs::set_permissions(&closed, fs::Permissions::from_mode(0o700)).unwrap();
    let results = closed.join("results.json");
    let run = grader()
        .arg("--submission")
        .arg(closed.join("submission"))
        .args(["--no-sandbox", "--format", "gradescope", "--output"])
        .arg(&results)
        .env("CARGO_TARGET_DIR", closed.join("target"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr).to_string();
    let refused = "error: without the sandbox, the steps run as a user of their own";
    // /proc/self belongs to whoever this process runs as.
    if fs::metadata("/proc/self").unwrap().uid() == 0 {
        assert_eq!(run.status.code(), Some(2), "{stderr}");
        assert!(stderr.starts_with(refused), "{stderr}");
        assert!(stderr.contains(&closed.display().to_string()), "{stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        let said: serde_json::Value =
            serde_json::from_str(&fs::read_to_string(&results).unwrap()).unwrap();
        assert_eq!(said["score"], 0);
        assert!(
            said["output"]
                .as_str()
                .unwrap()
                .starts_with("not graded: without the sandbox")
        );
    } else {
        // An empty submission: it goes on, and finds nothing to grade.
        assert!(!stderr.contains(refused), "{stderr}");
        assert!(stderr.contains("not graded"), "{stderr}");
    }
    let _ = fs::remove_dir_all(&closed);
}

/// A class of four: a clone with its exercises crate, a crate on its own,
/// an upload of one step file, and a folder with none of these. Every one gets its row; the points are the
/// steps' own.
#[test]
#[ignore = "slow: the maintainer's check"]
fn batch_grades_every_submission_into_one_row_each() {
    let class = std::env::temp_dir().join(format!("grader-class-{}", std::process::id()));
    let _ = fs::remove_dir_all(&class);
    let solved = |step: &str| {
        (
            format!("src/bin/{step}.rs"),
            read(&format!("solutions/src/bin/{step}.rs")),
        )
    };
    let write = |dir: &Path, _package: &str, bins: &[(String, String)]| {
        let bins: Vec<(&str, String)> = bins
            .iter()
            .map(|(p, t)| {
                let step = p.trim_start_matches("src/bin/").trim_end_matches(".rs");
                (step, t.clone())
            })
            .collect();
        write_files(dir, &bins);
    };
    // Ada solved echo-thread and mutex-send, in a clone's exercises/.
    write(
        &class.join("ada/exercises"),
        "exercises",
        &[solved("echo-thread"), solved("mutex-send")],
    );
    let markers = tamper_with(&class.join("ada/exercises"));
    // Grace, as a bare crate, solved echo-spawn and got echo-thread wrong.
    write(
        &class.join("grace"),
        "exercises",
        &[
            solved("echo-spawn"),
            (
                "src/bin/echo-thread.rs".to_string(),
                mutant("echo-thread/newline-dropped.mutant"),
            ),
        ],
    );
    // Hopper uploaded one file: a solved echo-spawn.
    fs::create_dir_all(class.join("hopper")).unwrap();
    fs::write(
        class.join("hopper/echo-spawn.rs"),
        read("solutions/src/bin/echo-spawn.rs"),
    )
    .unwrap();
    fs::create_dir_all(class.join("linus/notes")).unwrap();
    let sheet = class.join("grades.csv");
    let feedback = class.with_extension("feedback");
    let _ = fs::remove_dir_all(&feedback);

    let assert = grader()
        .arg("--batch")
        .arg(&class)
        .arg("--output")
        .arg(&sheet)
        .arg("--feedback")
        .arg(&feedback)
        .arg("--summary")
        .arg(class.join("summary.html"))
        .env("GRADER_TIMEOUT", "4")
        .assert()
        .success();
    let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    assert!(stderr.contains("] linus: not graded"), "{stderr}");
    // The class's picture counts what the sheet says: three graded, one not.
    let summary = fs::read_to_string(class.join("summary.html")).unwrap();
    for (step, passed) in [("echo-thread", 1), ("echo-spawn", 2), ("mutex-send", 1)] {
        let counted = format!("data-step=\"{step}\" data-passed=\"{passed}\" data-graded=\"3\"");
        assert!(summary.contains(&counted), "{counted}:\n{summary}");
    }
    let first_failures: usize = summary
        .match_indices("data-check=\"echo_thread::")
        .map(|(at, _)| {
            let count = &summary[at..].split("data-count=\"").nth(1).unwrap();
            count[..count.find('"').unwrap()].parse::<usize>().unwrap()
        })
        .sum();
    assert_eq!(
        first_failures, 2,
        "grace's and hopper's echo-thread:\n{summary}"
    );
    assert!(
        summary.contains("<tr class=\"not-graded\"><td>linus</td>"),
        "{summary}"
    );

    let text = fs::read_to_string(&sheet).unwrap();
    let rows: Vec<Vec<String>> = csv::Reader::from_reader(text.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect();
    let points = |step: &str| grader::catalogue::find(step).unwrap().points().to_string();
    let column = |name: &str| {
        grader::class::sheet::header()
            .iter()
            .position(|h| h.starts_with(&format!("{name} (")) || h == name)
            .unwrap()
    };
    let cell = |row: usize, name: &str| rows[row][column(name)].clone();
    // Shown only when an assertion fails: what each student was told.
    for name in ["ada", "grace", "hopper"] {
        let told = fs::read_to_string(feedback.join(format!("{name}.txt")));
        println!("--- {name}.txt\n{}", told.unwrap_or_default());
    }
    let names: Vec<&str> = rows.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(names, ["ada", "grace", "hopper", "linus"], "{text}");
    assert_eq!(cell(0, "echo-thread"), points("echo-thread"), "{text}");
    assert_eq!(cell(0, "mutex-send"), points("mutex-send"), "{text}");
    assert_eq!(cell(0, "echo-spawn"), "0", "{text}");
    let ada_points = grader::catalogue::find("echo-thread").unwrap().points()
        + grader::catalogue::find("mutex-send").unwrap().points();
    assert_eq!(cell(0, "total"), ada_points.to_string(), "{text}");
    assert_eq!(cell(1, "echo-spawn"), points("echo-spawn"), "{text}");
    assert_eq!(cell(1, "echo-thread"), "0", "{text}");
    assert!(
        cell(1, "first to fix").starts_with("echo-thread (failed): echo_thread::"),
        "{text}"
    );
    // Hopper's one file, graded among the starters.
    assert_eq!(cell(2, "echo-spawn"), points("echo-spawn"), "{text}");
    assert_eq!(cell(2, "total"), points("echo-spawn"), "{text}");
    assert_eq!(cell(3, "total"), "", "{text}");
    assert!(
        cell(3, "first to fix").starts_with("not graded: no step file"),
        "{text}"
    );
    // Each student's own report, to hand back.
    let ada = fs::read_to_string(feedback.join("ada.txt")).unwrap();
    assert!(ada.contains("Grading ada"), "{ada}");
    assert!(
        ada.contains(&format!("total: {ada_points}/100 points")),
        "{ada}"
    );
    assert!(ada.contains("First to fix: "), "{ada}");
    for marker in markers {
        assert!(
            !marker.exists(),
            "{} was made: the submission ran code",
            marker.display()
        );
    }
    let linus = fs::read_to_string(feedback.join("linus.txt")).unwrap();
    assert!(
        linus.starts_with("linus: not graded: no step file"),
        "{linus}"
    );
    let _ = fs::remove_dir_all(&class);
    let _ = fs::remove_dir_all(&feedback);
}

/// Gradescope's autograder, as `export-gradescope` writes it: a shell
/// script, run where Gradescope runs it (Linux).
#[cfg(unix)]
mod gradescope {
    use super::*;
    use grader::target::{grader_dir, workspace_root};
    use serde_json::Value;

    /// Gradescope's run: a submission of bare step files, graded by the
    /// autograder that `export-gradescope` writes, every step of the catalogue
    /// taken from the submission.
    #[test]
    #[ignore = "slow: the maintainer's check"]
    fn the_gradescope_autograder_takes_every_step_from_the_submission() {
        let root = workspace_root();
        let autograder =
            std::env::temp_dir().join(format!("grader-autograder-{}", std::process::id()));
        let _ = fs::remove_dir_all(&autograder);
        let source = autograder.join("source");
        let exported = grader()
            .arg("export-gradescope")
            .arg(&source)
            .output()
            .unwrap();
        assert!(exported.status.success(), "{exported:?}");
        // The graded steps the student solved, as Gradescope stores an upload.
        let solved = ["echo-thread", "add-to-inbox", "mini-executor", "mutex-send"];
        let submission = autograder.join("submission");
        fs::create_dir_all(&submission).unwrap();
        for step in solved {
            fs::write(
                submission.join(format!("{step}.rs")),
                read(&format!("solutions/src/bin/{step}.rs")),
            )
            .unwrap();
        }
        // What else a submission may hold is not taken: a deeper copy of a step,
        // a link, a build script, cargo's configuration, a toolchain of its own.
        let markers = tamper_with(&submission);
        fs::create_dir_all(submission.join("old")).unwrap();
        fs::write(submission.join("old/echo-thread.rs"), "does not compile").unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(
            root.join("solutions/src/bin/echo-spawn.rs"),
            submission.join("echo-spawn.rs"),
        )
        .unwrap();
        // A step that writes its own results and kills the grader forges
        // nothing: Gradescope runs this as root, where the steps run in the
        // sandbox, or as nobody.
        let results = autograder.join("results/results.json");
        fs::write(
        submission.join("task2-struct-final.rs"),
        format!(
            "fn main() {{\n    let _ = std::fs::write({results:?}, r#\"{{\"score\": 100, \"tests\": []}}\"#);\n    let parent = std::os::unix::process::parent_id().to_string();\n    let _ = std::process::Command::new(\"kill\").args([\"-9\", &parent]).status();\n}}\n"
        ),
    )
    .unwrap();

        // A target directory of its own, kept from run to run: its grader is
        // another checkout's, whose builds must never mix with this one's.
        std::process::Command::new("bash")
            .arg(source.join("run_autograder"))
            .env("AUTOGRADER", &autograder)
            .env(
                "CARGO_TARGET_DIR",
                grader::target::cargo_target_dir().join("selftest/gradescope"),
            )
            .env("GRADER_CLASS_BUILD_DIR", grader_dir().join("class-build"))
            .env("GRADER_TIMEOUT", "4")
            .env_remove("GRADE")
            .env_remove("CARGO_MANIFEST_DIR")
            .status()
            .unwrap();
        let results: Value = serde_json::from_str(&fs::read_to_string(&results).unwrap()).unwrap();
        let tests = results["tests"].as_array().unwrap();
        let score_of = |step: &str| {
            tests
                .iter()
                .find(|t| t["name"].as_str().unwrap().starts_with(&format!("{step} ")))
                .and_then(|t| t["score"].as_u64())
        };
        let points = |step: &str| grader::catalogue::find(step).unwrap().points() as u64;
        for step in solved {
            assert_eq!(score_of(step), Some(points(step)), "{step}: {results}");
        }
        assert_eq!(score_of("echo-spawn"), Some(0), "{results}");
        assert_eq!(score_of("task2-struct-final"), Some(0), "{results}");
        let total: u64 = solved.iter().map(|s| points(s)).sum();
        assert_eq!(results["score"].as_u64(), Some(total), "{results}");
        for marker in markers {
            assert!(
                !marker.exists(),
                "{} was made: the submission ran code",
                marker.display()
            );
        }
        let _ = fs::remove_dir_all(&autograder);
    }
}

/// An hour of grading is not lost to a sheet that cannot be written.
#[test]
fn batch_prints_the_sheet_when_its_file_cannot_be_written() {
    let class = std::env::temp_dir().join(format!("grader-class-nowrite-{}", std::process::id()));
    let _ = fs::remove_dir_all(&class);
    fs::create_dir_all(class.join("nobody/notes")).unwrap();
    grader()
        .arg("--batch")
        .arg(&class)
        .arg("--output")
        .arg(class.join("no/such/folder/grades.csv"))
        .assert()
        .code(2)
        .stdout(predicate::str::contains("\nnobody,").and(predicate::str::contains("not graded")))
        .stderr(predicate::str::contains("the sheet follows on stdout"));
    let _ = fs::remove_dir_all(&class);
}

/// Puts in `dir` what a student could add to have code of theirs run on
/// the grading machine: a build script, cargo's `rustc-wrapper`, a
/// toolchain file. Returns the files they would make if they ran.
fn tamper_with(dir: &Path) -> Vec<PathBuf> {
    let build_marker = dir.join("MARKER-build-script-ran");
    let wrapper_marker = dir.join("MARKER-rustc-wrapper-ran");
    fs::write(
        dir.join("build.rs"),
        format!("fn main() {{ std::fs::write({build_marker:?}, \"ran\").unwrap(); }}\n"),
    )
    .unwrap();
    fs::write(
    dir.join("Cargo.toml"),
    "[package]\nname = \"exercises\"\nversion = \"0.1.0\"\nedition = \"2024\"\nbuild = \"build.rs\"\n",
)
.unwrap();
    let wrapper = dir.join("wrapper.sh");
    fs::write(
        &wrapper,
        format!("#!/bin/sh\ntouch {wrapper_marker:?}\nexec \"$@\"\n"),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&wrapper, fs::Permissions::from_mode(0o755)).unwrap();
    }
    fs::create_dir_all(dir.join(".cargo")).unwrap();
    fs::write(
        dir.join(".cargo/config.toml"),
        format!("[build]\nrustc-wrapper = {wrapper:?}\n"),
    )
    .unwrap();
    fs::write(
        dir.join("rust-toolchain.toml"),
        "[toolchain]\nchannel = \"no-such-toolchain\"\n",
    )
    .unwrap();
    vec![build_marker, wrapper_marker]
}

/// Results are reused by a step file's text, so a step is its one file: a
/// file that takes in a sibling (`include!("echo-thread.rs")`) is refused,
/// for the student whose sibling works and for the one who copied that
/// line beside a starter, and neither earns the step's points.
#[test]
#[ignore = "slow: the maintainer's check"]
fn a_step_that_takes_in_another_file_earns_nothing() {
    let class = std::env::temp_dir().join(format!("grader-includers-{}", std::process::id()));
    let _ = fs::remove_dir_all(&class);
    let includer = "include!(\"echo-thread.rs\");\n".to_string();
    // Uploads of step files: the other steps are graded as their starters.
    for (who, sibling) in [
        ("alice", read("solutions/src/bin/echo-spawn.rs")),
        ("bob", read("exercises/src/bin/echo-thread.rs")),
    ] {
        fs::create_dir_all(class.join(who)).unwrap();
        fs::write(class.join(who).join("echo-spawn.rs"), &includer).unwrap();
        fs::write(class.join(who).join("echo-thread.rs"), sibling).unwrap();
    }
    let sheet = class.with_extension("csv");
    let feedback = class.with_extension("feedback");
    let out = grader_selftest::fixtures::batch(&class, &sheet, &feedback)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let read_sheet = grader_selftest::fixtures::Sheet::read(&sheet);
    for who in ["alice", "bob"] {
        assert_eq!(
            read_sheet.cell(who, "echo-spawn (15)"),
            "0",
            "{who} earned echo-spawn's points:\n{}",
            read_sheet.text
        );
    }
    let told = fs::read_to_string(feedback.join("alice.txt")).unwrap();
    assert!(told.contains("takes in another file"), "{told}");
    let _ = fs::remove_dir_all(&class);
    let _ = fs::remove_file(&sheet);
    let _ = fs::remove_dir_all(&feedback);
}
