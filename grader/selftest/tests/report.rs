//! The report (`cargo run -p grader`) itself. The runs on a fixture crate take
//! a while, so they are ignored by default and run in the maintainer's check;
//! they leave their JSON in `target/grader/report-check/`, where `./check`
//! validates it against the schemas in `grader/schemas/`.

use assert_cmd::Command;
use grader::target::{grader_dir, workspace_root};
use predicates::prelude::*;
use serde_json::Value;
use std::fs;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

fn grader() -> Command {
    Command::new(grader_selftest::grader_exe())
}

#[test]
fn a_bad_option_is_one_line_and_exit_2() {
    grader()
        .args(["--format", "xml"])
        .assert()
        .code(2)
        .stdout("")
        .stderr(
            predicate::str::starts_with("error: --format takes text, json or gradescope")
                .and(predicate::function(|s: &str| s.lines().count() == 1)),
        );
}

#[test]
fn a_grade_without_a_crate_is_one_line_and_exit_2() {
    grader()
        .env("GRADE", "no/such/crate")
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("GRADE=no/such/crate: no src/bin folder in")
                .and(predicate::function(|s: &str| s.lines().count() == 1)),
        );
}

#[test]
fn help_names_every_format() {
    grader().arg("--help").assert().success().stdout(
        predicate::str::contains("--format text|json|gradescope")
            .and(predicate::str::contains("--watch"))
            .and(predicate::str::contains("--batch DIR")),
    );
}

fn read(path: &str) -> String {
    fs::read_to_string(workspace_root().join(path)).unwrap()
}

/// A mutant's source, made from its step's solution.
fn mutant(file: &str) -> String {
    grader::edits::load(file).unwrap().1
}

/// A crate outside the target directory, as a student's would be, with the
/// given files under `src/bin/`.
fn fixture(name: &str, bins: &[(&str, String)]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("grader-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    write_files(&dir, bins);
    dir
}

/// Writes a crate's manifest and its `src/bin/<step>.rs` files.
fn write_files(dir: &Path, bins: &[(&str, String)]) {
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

/// The JSON the grader wrote for a run of the fixture.
fn run_json(fixture: &Path, format: &str, file: &str) -> (Value, String) {
    let out_dir = grader_dir().join("report-check");
    fs::create_dir_all(&out_dir).unwrap();
    let out = out_dir.join(file);
    let assert = grader()
        .env("GRADE", fixture)
        // Short deadlines: the hanging step costs seconds, not minutes.
        .env("GRADER_TIMEOUT", "4")
        .args(["--format", format, "--output"])
        .arg(&out)
        .assert()
        .code(1);
    let stdout = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
    (
        serde_json::from_str(&fs::read_to_string(&out).unwrap()).unwrap(),
        stdout,
    )
}

#[test]
#[ignore = "slow: the maintainer's check"]
fn a_failing_a_hanging_and_a_non_compiling_step_get_those_statuses() {
    let crate_dir = fixture(
        "report",
        &[
            ("echo-thread", mutant("echo-thread/newline-dropped.mutant")),
            ("echo-spawn", read("solutions/src/bin/echo-spawn.rs")),
            (
                "echo-async-naive",
                read("solutions/src/bin/echo-async-naive.rs"),
            ),
            (
                "task2-struct-1",
                read("solutions/src/bin/task2-struct-1.rs"),
            ),
            (
                "task2-struct-2",
                read("solutions/src/bin/task2-struct-2.rs"),
            ),
            // A factory that never finishes being made: it hangs.
            (
                "task2-struct-final",
                read("solutions/src/bin/task2-struct-final.rs").replace(
                    "    fn new() -> Self {\n",
                    "    fn new() -> Self {\n        loop {\n            std::thread::park();\n        }\n        #[allow(unreachable_code)]\n",
                ),
            ),
            ("mutex-send", read("exercises/src/bin/mutex-send.rs")),
            ("add-to-inbox", read("solutions/src/bin/add-to-inbox.rs")),
            ("mini-executor", read("solutions/src/bin/mini-executor.rs")),
        ],
    );

    let (report, text) = run_json(&crate_dir, "json", "report.json");
    let status = |step: &str| {
        report["steps"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["step"] == step)
            .map(|s| s["status"].as_str().unwrap().to_string())
            .unwrap()
    };
    assert_eq!(status("echo-thread"), "failed");
    assert_eq!(status("echo-spawn"), "passed");
    assert_eq!(status("task2-struct-final"), "timed_out");
    assert_eq!(status("mutex-send"), "does_not_compile");
    assert_eq!(status("task2-struct-1"), "flaw_shown");
    let points = |step: &str| grader::catalogue::find(step).unwrap().points() as u64;
    let earned = points("echo-spawn") + points("add-to-inbox") + points("mini-executor");
    assert_eq!(
        (report["score"].as_u64(), report["max_score"].as_u64()),
        (Some(earned), Some(100))
    );
    assert_eq!(report["passed"], false);
    // Not a terminal: plain text, the first step to fix, and its hint.
    assert!(!text.contains('\x1b'), "{text}");
    assert!(
        text.contains("First to fix: echo-thread (failed)"),
        "{text}"
    );
    assert!(text.contains("hint: "), "{text}");

    let (results, _) = run_json(&crate_dir, "gradescope", "results.json");
    assert_eq!(results["score"].as_u64(), Some(earned));
    let tests = results["tests"].as_array().unwrap();
    assert_eq!(tests.len(), grader::catalogue::STEPS.len());
    let by_name = |step: &str| {
        tests
            .iter()
            .find(|t| t["name"].as_str().unwrap().starts_with(&format!("{step} ")))
            .unwrap()
    };
    assert_eq!(by_name("echo-spawn")["status"], "passed");
    assert_eq!(
        by_name("echo-spawn")["score"].as_u64(),
        Some(points("echo-spawn"))
    );
    assert_eq!(by_name("mutex-send")["status"], "failed");
    assert!(
        by_name("mutex-send")["output"]
            .as_str()
            .unwrap()
            .contains("does not compile")
    );
    assert_eq!(by_name("task2-struct-1")["max_score"].as_u64(), Some(0));
    grader_selftest::remove_graded(&crate_dir);
}

#[test]
#[ignore = "slow: the maintainer's check"]
fn watch_grades_a_step_again_when_its_file_is_saved() {
    let crate_dir = fixture(
        "watch",
        &[("echo-thread", read("exercises/src/bin/echo-thread.rs"))],
    );
    let mut cmd = std::process::Command::new(grader_selftest::grader_exe());
    cmd.arg("--watch")
        .env("GRADE", &crate_dir)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null());
    // Killed with all it started when dropped, even if an assertion fails.
    let mut child = grader::exec::Process::start(cmd, "grader --watch").unwrap();
    let (tx, rx) = mpsc::channel();
    let stdout = child.take_stdout().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    // Only turns a hang into a failure: grading all steps takes seconds.
    let wait_for = |wanted: &dyn Fn(&str) -> bool, what: &str| -> String {
        loop {
            match rx.recv_timeout(Duration::from_secs(180)) {
                Ok(line) if wanted(&line) => return line,
                Ok(_) => {}
                Err(_) => panic!("watch mode never printed {what}"),
            }
        }
    };
    wait_for(&|l| l.starts_with("Watching "), "that it is watching");
    fs::write(
        crate_dir.join("src/bin/echo-thread.rs"),
        read("solutions/src/bin/echo-thread.rs"),
    )
    .unwrap();
    let line = wait_for(
        &|l| l.starts_with("echo-thread: "),
        "echo-thread's new result",
    );
    drop(child);
    assert!(line.starts_with("echo-thread: passed"), "{line}");
    grader_selftest::remove_graded(&crate_dir);
}

/// `hint` goes a level further each time it is asked, stays at the third,
/// forgets the levels once the step passes, and starts again at the second.
#[test]
#[ignore = "slow: the maintainer's check"]
fn hint_walks_the_levels_and_forgets_them_when_the_step_passes() {
    let crate_dir = fixture(
        "hint",
        &[("echo-thread", read("exercises/src/bin/echo-thread.rs"))],
    );
    let hint = || {
        let out = grader()
            .env("GRADE", &crate_dir)
            .args(["hint", "echo-thread"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    let first = hint();
    assert!(
        first.contains("the first check to fix is echo_thread::"),
        "{first}"
    );
    assert!(first.contains("hint 2 of 3"), "{first}");
    assert!(
        first.contains("(more: cargo run -p grader -- hint echo-thread)"),
        "{first}"
    );
    let second = hint();
    assert!(second.contains("hint 3 of 3"), "{second}");
    assert!(second.contains("docs/steps/echo-thread.md"), "{second}");
    assert!(!second.contains("(more:"), "{second}");
    assert!(
        hint().contains("hint 3 of 3"),
        "the third level is the last"
    );

    let file = crate_dir.join("src/bin/echo-thread.rs");
    fs::write(&file, read("solutions/src/bin/echo-thread.rs")).unwrap();
    let passed = hint();
    assert!(passed.contains("passes every check"), "{passed}");
    fs::write(&file, read("exercises/src/bin/echo-thread.rs")).unwrap();
    let again = hint();
    assert!(
        again.contains("hint 2 of 3"),
        "forgotten once passed: {again}"
    );
    grader_selftest::remove_graded(&crate_dir);
}

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
        .env("GRADER_TIMEOUT", "4")
        .assert()
        .success();
    let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    assert!(stderr.contains("] linus: not graded"), "{stderr}");

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

/// Gradescope's run: a submission of bare step files, graded by the
/// autograder that `export-gradescope` writes, every step of the catalogue
/// taken from the submission.
#[cfg(unix)]
#[test]
#[ignore = "slow: the maintainer's check"]
fn the_gradescope_autograder_takes_every_step_from_the_submission() {
    let root = workspace_root();
    let autograder = std::env::temp_dir().join(format!("grader-autograder-{}", std::process::id()));
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
