//! `cargo run -p grader -- hint <step>`: the next level of the hint for the
//! step's first failing check, as rustlings' `hint` gives it. A failure
//! already shows level 1; each `hint` goes one level further, up to the
//! third. The level reached is kept under the grader's build folder, and
//! forgotten once the step passes.

use crate::report::Report;
use crate::step::Step;
use crate::target::{Target, grader_dir};
use serde_json::{Map, Value};
use std::path::PathBuf;

fn file() -> PathBuf {
    grader_dir().join("hints-seen.json")
}

fn read() -> Map<String, Value> {
    std::fs::read_to_string(file())
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or_default()
}

fn write(seen: &Map<String, Value>) {
    // Only a convenience: a hint that cannot be remembered is still shown.
    let _ = std::fs::create_dir_all(grader_dir());
    let _ = std::fs::write(file(), Value::Object(seen.clone()).to_string());
}

fn key(target: &Target, step: &str) -> String {
    format!("{}/{step}", target.key())
}

/// Forgets the hints of the steps that passed in `report`.
pub(crate) fn forget_passed(target: &Target, report: &Report) {
    let mut seen = read();
    let before = seen.len();
    for s in &report.steps {
        if s.status == crate::report::Status::Passed {
            seen.remove(&key(target, s.step.name));
        }
    }
    if seen.len() != before {
        write(&seen);
    }
}

/// What `hint` prints for `step`, given its grading.
pub fn next(target: &Target, step: &'static Step, report: &Report) -> String {
    let Some(result) = report.step(step.name) else {
        return format!("{}: not graded\n", step.name);
    };
    let mut seen = read();
    let key = key(target, step.name);
    let Some(first) = result.first_failure() else {
        seen.remove(&key);
        write(&seen);
        return format!(
            "{} passes every check: no hint needed. On to the next step!\n",
            step.name
        );
    };
    let name = first.name();
    let shown = seen
        .get(&key)
        .filter(|s| s["check"] == name.as_str())
        .and_then(|s| s["level"].as_u64())
        .unwrap_or(1) as usize;
    // An edition for graded work may stop its hints early.
    let levels = first
        .check
        .hints
        .iter()
        .take_while(|h| !h.trim().is_empty())
        .count()
        .max(1);
    let level = (shown + 1).min(levels);
    seen.insert(key, serde_json::json!({"check": name, "level": level}));
    write(&seen);
    let mut out = format!(
        "{}: the first check to fix is {name}\n\n  {}\n\nhint {level} of {levels}: {}\n",
        step.name,
        first
            .outcome
            .failure()
            .map_or_else(String::new, |f| f.headline.clone()),
        first.check.hints[level - 1]
    );
    if level < levels {
        out.push_str(&format!(
            "\n(more: cargo run -p grader -- hint {})\n",
            step.name
        ));
    } else if levels < 3 {
        out.push_str(&format!(
            "\n(this edition's hints stop at level {levels}: ask your tutor for more)\n"
        ));
    }
    out
}
