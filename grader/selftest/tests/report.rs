//! The report (`cargo run -p grader`) itself. The runs on a fixture crate take
//! a while, so they are ignored by default and run in the maintainer's check;
//! they leave their JSON in `target/grader/report-check/`, where `./check`
//! validates it against the schemas in `grader/schemas/`.

use grader::target::grader_dir;
use grader_selftest::fixtures::{fixture, grader, mutant, read};
use predicates::prelude::*;
use serde_json::Value;
use std::fs;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

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
