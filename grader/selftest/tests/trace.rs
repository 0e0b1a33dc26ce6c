//! `trace <step>`: each traced step's picture of the solution is a whole
//! SVG holding the events of its run (lanes, polls, wakes, results); a
//! known lost wake's timeline ends in a `Pending` that no wake follows, and
//! its picture marks it.

use grader_selftest::fixtures::grader;
use std::fs;
use std::path::{Path, PathBuf};

/// The steps `trace` draws.
const TRACED: &[&str] = &["add-to-inbox", "mini-executor", "echo-own-runtime"];

/// One trace at a time: each draws its step's picture at the same path.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Runs `trace step` on the steps of `grade`; its stdout and its picture.
fn trace(grade: &str, step: &str) -> (String, String) {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let out = grader()
        .env("GRADE", grade)
        .args(["trace", step])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "trace {step} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let picture = stdout
        .lines()
        .find_map(|l| l.strip_prefix("picture: "))
        .map(PathBuf::from)
        .unwrap_or_else(|| panic!("trace {step} named no picture:\n{stdout}"));
    (stdout, fs::read_to_string(picture).unwrap())
}

/// The elements of class `class` in the picture.
fn count(svg: &roxmltree::Document, class: &str) -> usize {
    svg.descendants()
        .filter(|n| n.attribute("class") == Some(class))
        .count()
}

#[test]
#[ignore = "slow: the maintainer's check"]
fn each_solution_s_trace_is_a_whole_picture_of_its_run() {
    for step in TRACED {
        let (stdout, picture) = trace("solutions", step);
        let svg = roxmltree::Document::parse(&picture)
            .unwrap_or_else(|e| panic!("{step}'s picture is not well-formed SVG: {e}"));
        assert_eq!(svg.root_element().tag_name().name(), "svg");
        let polls: Vec<_> = svg
            .descendants()
            .filter(|n| n.attribute("class") == Some("poll"))
            .collect();
        // As many polls and wakes as the timeline says, each on its lane.
        let lines = |word: &str| stdout.lines().filter(|l| l.contains(word)).count();
        assert_eq!(polls.len(), lines(" -> "), "{step}:\n{stdout}");
        assert_eq!(
            count(&svg, "wake"),
            lines(" woken by "),
            "{step}:\n{stdout}"
        );
        assert!(count(&svg, "lane") >= 2, "{step}: its lanes");
        assert!(
            polls
                .iter()
                .any(|p| p.attribute("data-result") == Some("Pending"))
        );
        assert!(
            polls
                .iter()
                .any(|p| p.attribute("data-result") == Some("Ready"))
        );
        // A right answer shows nothing wrong.
        assert_eq!(count(&svg, "wrong"), 0, "{step}:\n{stdout}");
        assert!(!stdout.contains("<-"), "{step}:\n{stdout}");
        assert!(stdout.contains("the scenario ran to its end"), "{stdout}");
    }
}

/// A folder with `mutant`'s step file in it, as a student's would be.
fn with_mutant(mutant: &str) -> PathBuf {
    let (edit, source) = grader::edits::load(mutant).unwrap();
    let dir = std::env::temp_dir().join(format!(
        "grader-trace-{}-{}",
        Path::new(mutant).file_stem().unwrap().to_string_lossy(),
        std::process::id()
    ));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(dir.join("src/bin")).unwrap();
    fs::write(dir.join(format!("src/bin/{}.rs", edit.step)), source).unwrap();
    dir
}

/// A wake that is lost: the task's last poll is `Pending`, no wake of it
/// comes after, and the timeline and the picture say so.
#[test]
#[ignore = "slow: the maintainer's check"]
fn a_lost_wake_ends_in_a_pending_that_no_wake_follows() {
    for (mutant, lane) in [
        ("add-to-inbox/waker-not-passed-on.mutant", "AddToInbox"),
        ("mini-executor/wake-does-nothing.mutant", "main"),
    ] {
        let dir = with_mutant(mutant);
        let step = mutant.split('/').next().unwrap();
        let (stdout, picture) = trace(dir.to_str().unwrap(), step);
        let events: Vec<&str> = stdout
            .lines()
            .filter(|l| l.contains(" ms  ") && l.contains(&format!(" {lane} ")))
            .collect();
        let last_poll = events
            .iter()
            .rposition(|l| l.contains(" -> "))
            .unwrap_or_else(|| panic!("{mutant}: no poll of {lane}:\n{stdout}"));
        assert!(
            events[last_poll].contains("-> Pending"),
            "{mutant}: {lane}'s last poll:\n{stdout}"
        );
        assert!(
            !events[last_poll..].iter().any(|l| l.contains("woken by")),
            "{mutant}: a wake came after:\n{stdout}"
        );
        assert!(events[last_poll].contains("never woken again"), "{stdout}");
        let svg = roxmltree::Document::parse(&picture).unwrap();
        assert!(
            svg.descendants()
                .any(|n| n.attribute("class") == Some("wrong")
                    && n.text().is_some_and(|t| t.contains("never woken again"))),
            "{mutant}: the picture does not mark the lost wake"
        );
        grader_selftest::remove_graded(&dir);
    }
}

/// A step that `trace` does not draw is one line and exit 2.
#[test]
fn a_step_without_a_trace_is_one_line_and_exit_2() {
    let out = grader().args(["trace", "echo-thread"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("echo-thread has no traced run") && stderr.lines().count() == 1,
        "{stderr}"
    );
}
