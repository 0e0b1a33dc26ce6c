//! Students who try to get points without doing the work, in every route a
//! tutor grades a class with: `--batch`, Gradescope's `run_autograder`, and
//! GitHub Classroom's workflow, each run as that route runs it. Each trick
//! is a starter plus one trick (`grader_selftest::tricks`), so each must
//! earn 0; a right step beside them earns its points; nothing handed back
//! holds a line of an answer; the grader's files are as they were.
//! They take a while: the maintainer's check runs them. Every route grades
//! in Linux's sandbox, so they run on Linux.
#![cfg(target_os = "linux")]

use grader::catalogue::STEPS;
use grader::target::{cargo_target_dir, grader_dir, workspace_root};
use grader_selftest::fixtures::{Sheet, batch};
use grader_selftest::tricks::{
    SECRET_VALUE, TUTOR_S_SECRET, Trick, assert_no_answer, passed_in, solution, starter,
    starter_passes, tricks,
};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

/// One heavy grading at a time: each builds and runs many steps.
static HEAVY: Mutex<()> = Mutex::new(());

fn heavy() -> std::sync::MutexGuard<'static, ()> {
    HEAVY.lock().unwrap_or_else(|e| e.into_inner())
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("grader-forgery-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

fn write(path: &Path, text: &str) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

fn trick(name: &str) -> Trick {
    tricks().into_iter().find(|t| t.name == name).unwrap()
}

/// A whole clone of the tutor's repository, as a student could hand it in:
/// the step files in `exercises/src/bin`, and beside them the repository's
/// own copies: the starters, and the solutions (which would score 100).
fn clone_with(dir: &Path, steps: &[(&str, String)]) {
    for step in STEPS {
        let text = steps
            .iter()
            .find(|(s, _)| *s == step.name)
            .map_or_else(|| starter(step.name), |(_, t)| t.clone());
        write(
            &dir.join(format!("exercises/src/bin/{}.rs", step.name)),
            &text,
        );
        write(
            &dir.join(format!("grader/starters/{}.rs", step.name)),
            &starter(step.name),
        );
        write(
            &dir.join(format!("solutions/src/bin/{}.rs", step.name)),
            &solution(step.name),
        );
    }
}

/// What the grader's own files are now: its executable, and the markers a
/// step would leave where it wrote.
fn grader_files() -> Vec<(PathBuf, Option<(u64, std::time::SystemTime)>)> {
    let debug = cargo_target_dir().join("debug");
    [
        grader_selftest::grader_exe(),
        debug.join("grader"),
        debug.join("FORGED-BY-A-STEP"),
    ]
    .into_iter()
    .map(|p| {
        let seen = fs::metadata(&p)
            .ok()
            .map(|m| (m.len(), m.modified().unwrap()));
        (p, seen)
    })
    .collect()
}

/// Every text file under `dir`, read.
fn texts(dir: &Path) -> String {
    let mut all = String::new();
    for entry in fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            all.push_str(&texts(&path));
        } else if let Ok(text) = fs::read_to_string(&path) {
            all.push_str(&text);
        }
    }
    all
}

/// A class where every student tries a trick, one beside a right answer in
/// a clone nested in a folder, and one hands in a link to another's folder.
#[test]
#[ignore = "slow: the maintainer's check"]
fn no_trick_earns_a_point_with_batch() {
    let _heavy = heavy();
    let class = scratch("class");
    let all = tricks();
    for t in &all {
        write(
            &class
                .join(format!("{}-{}", t.name, t.step))
                .join(format!("{}.rs", t.step)),
            &t.text,
        );
    }
    clone_with(
        &class.join("nested/my-work"),
        &[("echo-thread", solution("echo-thread"))],
    );
    std::os::unix::fs::symlink("nested", class.join("linker")).unwrap();
    let before = grader_files();
    let sheet = class.with_extension("csv");
    let feedback = class.with_extension("feedback");
    let out = batch(&class, &sheet, &feedback)
        .env("GRADER_TIMEOUT", "10")
        .env(TUTOR_S_SECRET, SECRET_VALUE)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "the class was not graded:\n{stderr}");
    let read = Sheet::read(&sheet);
    let text = &read.text;
    for t in &all {
        let who = format!("{}-{}", t.name, t.step);
        let told = fs::read_to_string(feedback.join(format!("{who}.txt"))).unwrap_or_default();
        assert_eq!(
            read.row(&who)[read.column("total")],
            "0",
            "the trick {} earned points:\n{text}\n{told}",
            t.name
        );
        // Not a check more than the starter passes.
        let line = told
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{} ", t.step)))
            .unwrap_or_default();
        assert!(
            passed_in(line).is_some_and(|n| n <= starter_passes()[t.step]),
            "the trick {} passed checks its starter does not:\n{told}",
            t.name
        );
    }
    let nested = read.row("nested");
    assert_eq!(nested[read.column("echo-thread")], "10", "{text}");
    assert_eq!(nested[read.column("total")], "10", "{text}");
    assert!(
        read.row("linker")[read.column("first to fix")].starts_with("not graded: a link"),
        "{text}"
    );
    assert_no_answer(text, "the sheet");
    assert_no_answer(&texts(&feedback), "the feedback files");
    assert!(
        !texts(&feedback).contains(SECRET_VALUE),
        "the tutor's environment reached a feedback file"
    );
    assert_eq!(grader_files(), before, "a step changed the grader's files");
    let _ = fs::remove_dir_all(&class);
    let _ = fs::remove_dir_all(&feedback);
    let _ = fs::remove_file(&sheet);
}

/// The tricks, one for each step, in one clone nested in the submission,
/// beside a solved mutex-send.
fn tricked_clone(dir: &Path, names: &[&str]) {
    let mut steps: Vec<(&str, String)> = names
        .iter()
        .map(|n| {
            let t = trick(n);
            (t.step, t.text)
        })
        .collect();
    steps.push(("mutex-send", solution("mutex-send")));
    clone_with(dir, &steps);
}

/// Gradescope's route: the autograder that `export-gradescope` writes, its
/// `run_autograder` run as Gradescope runs it (as root where this runs as
/// root), on a whole clone nested one folder down.
#[test]
#[ignore = "slow: the maintainer's check"]
fn no_trick_earns_a_point_in_gradescope() {
    let _heavy = heavy();
    let autograder = scratch("gradescope");
    let source = autograder.join("source");
    let exported = Command::new(grader_selftest::grader_exe())
        .arg("export-gradescope")
        .arg(&source)
        .output()
        .unwrap();
    assert!(
        exported.status.success(),
        "{}",
        String::from_utf8_lossy(&exported.stderr)
    );
    for script in ["setup.sh", "run_autograder"] {
        assert!(source.join(script).is_file(), "no {script} at the root");
    }
    assert!(!source.join("solutions").exists() && !source.join(".git").exists());
    tricked_clone(
        &autograder.join("submission/async-rust"),
        &[
            "before-main",
            "answer-reader",
            "verdict-writer",
            "binary-replacer",
            "spoofer",
            "assembly",
        ],
    );
    let before = grader_files();
    // A target directory of its own, kept from run to run: its grader is
    // another checkout's, whose builds must never mix with this one's.
    let ran = Command::new("bash")
        .arg(source.join("run_autograder"))
        .env("AUTOGRADER", &autograder)
        .env(
            "CARGO_TARGET_DIR",
            cargo_target_dir().join("selftest/gradescope"),
        )
        .env("GRADER_CLASS_BUILD_DIR", grader_dir().join("class-build"))
        .env("GRADER_TIMEOUT", "10")
        .env_remove("GRADE")
        .env_remove("CARGO_MANIFEST_DIR")
        .output()
        .unwrap();
    let results = fs::read_to_string(autograder.join("results/results.json"))
        .unwrap_or_else(|_| panic!("no results.json:\n{}", String::from_utf8_lossy(&ran.stderr)));
    let value: serde_json::Value = serde_json::from_str(&results).unwrap();
    assert_eq!(value["score"].as_u64(), Some(10), "{results}");
    for test in value["tests"].as_array().unwrap() {
        let name = test["name"].as_str().unwrap();
        let step = name.split(' ').next().unwrap();
        if step == "mutex-send" {
            continue;
        }
        let output = test["output"].as_str().unwrap();
        assert!(
            passed_in(output).is_some_and(|n| n <= starter_passes()[step]),
            "{step} passed checks its starter does not:\n{output}"
        );
    }
    assert_no_answer(&results, "results.json");
    assert_eq!(grader_files(), before, "a step changed the grader's files");
    let _ = fs::remove_dir_all(&autograder);
}

/// The commands of a step of the Classroom workflow: the `run:` of the
/// step named `name`, or the `command:` of the test of that name.
fn workflow_command(name: &str) -> String {
    let yml = fs::read_to_string(workspace_root().join(".github/workflows/classroom.yml")).unwrap();
    let mut in_step = false;
    for line in yml.lines() {
        let trimmed = line.trim();
        if let Some(step) = trimmed.strip_prefix("- name: ") {
            in_step = step == name;
            continue;
        }
        if !in_step {
            continue;
        }
        if let Some(run) = trimmed.strip_prefix("run: ") {
            return format!("cd grader && {run}");
        }
        if let Some(command) = trimmed.strip_prefix("command: ") {
            return command.trim_matches('"').to_string();
        }
    }
    panic!("the Classroom workflow has no step {name}")
}

/// GitHub Classroom's route: the workflow's commands, as it runs them, in
/// a checkout of the grader (this repository) beside the student's.
#[test]
#[ignore = "slow: the maintainer's check"]
fn no_trick_earns_a_point_in_classroom() {
    let _heavy = heavy();
    let runner = scratch("classroom");
    std::os::unix::fs::symlink(workspace_root(), runner.join("grader")).unwrap();
    tricked_clone(
        &runner.join("submission"),
        &[
            "key-scanner",
            "shadower",
            "verdict-writer",
            "binary-replacer",
            "spoofer",
            "assembly",
        ],
    );
    let before = grader_files();
    let bash = |command: &str| {
        Command::new("bash")
            .args(["-c", command])
            .current_dir(&runner)
            .env("PWD", &runner)
            .env("GRADER_TIMEOUT", "10")
            .env_remove("GRADE")
            .env_remove("CARGO_MANIFEST_DIR")
            .env_remove("CARGO_TARGET_DIR")
            .output()
            .unwrap()
    };
    let graded = bash(&workflow_command("Grade the submission, in the sandbox"));
    let report = fs::read_to_string(runner.join("grade.json")).unwrap_or_else(|_| {
        panic!(
            "no grade.json:\n{}",
            String::from_utf8_lossy(&graded.stderr)
        )
    });
    for step in STEPS.iter().filter(|s| s.graded()) {
        let said = bash(&workflow_command(step.name));
        let passed = said.status.success();
        let stdout = String::from_utf8_lossy(&said.stdout);
        assert_eq!(passed, step.name == "mutex-send", "{}: {stdout}", step.name);
        if !passed {
            assert!(
                passed_in(&stdout).is_some_and(|n| n <= starter_passes()[step.name]),
                "{} passed checks its starter does not:\n{stdout}",
                step.name
            );
        }
        assert_no_answer(&String::from_utf8_lossy(&said.stdout), step.name);
    }
    assert_no_answer(&report, "grade.json");
    assert_eq!(grader_files(), before, "a step changed the grader's files");
    let _ = fs::remove_dir_all(&runner);
}
