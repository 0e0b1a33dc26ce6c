//! What the last gradings of a student's step found first, so that a
//! failure that moves from check to check while the file stays the same
//! says what that likely is: a race, which shows only when threads meet it,
//! and meets another check each run. Kept beside the hints' levels, under
//! the grader's build folder; only a convenience: a grading that cannot
//! remember still grades.

use crate::outcome::Outcome;
use crate::step::Check;
use crate::target::{Target, grader_dir};
use serde_json::{Map, Value, json};
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::path::PathBuf;

fn file() -> PathBuf {
    grader_dir().join("first-failures.json")
}

/// A fingerprint of the step's file as it is now, and of the grader: a
/// grader built anew may fail the same file first elsewhere, and that is
/// no race.
fn fingerprint(target: &Target, step: &str) -> Option<String> {
    let text = std::fs::read(target.source(step)).ok()?;
    let mut hasher = DefaultHasher::new();
    text.hash(&mut hasher);
    let grader = std::env::current_exe().and_then(std::fs::metadata).ok();
    grader
        .map(|m| (m.len(), m.modified().ok()))
        .hash(&mut hasher);
    Some(format!("{:016x}", hasher.finish()))
}

/// Notes, on each step's first failure, that the last grading of the same
/// file failed first at another check; then remembers this grading's.
pub(crate) fn note_moving_failures(target: &Target, outcomes: &mut [(&'static Check, Outcome)]) {
    let mut seen: Map<String, Value> = std::fs::read_to_string(file())
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or_default();
    let before = seen.clone();
    let mut steps: Vec<&'static str> = outcomes.iter().map(|(c, _)| c.step.name).collect();
    steps.dedup();
    for step in steps {
        let key = format!("{}/{step}", target.key());
        let Some(print) = fingerprint(target, step) else {
            continue;
        };
        let first = outcomes
            .iter_mut()
            .find(|(c, o)| c.step.name == step && o.failed());
        let Some((check, outcome)) = first else {
            seen.remove(&key);
            continue;
        };
        let name = check.full_name();
        let last = seen.get(&key).filter(|l| l["file"] == print.as_str());
        // A build that fails (or is refused) is no race: the same file
        // fails it every time, unless the grader itself changed.
        let built = |check: &str| !check.ends_with("::compiles");
        if let Some(other) = last
            .and_then(|l| l["first"].as_str())
            .filter(|other| *other != name && built(other) && built(&name))
        {
            let note = format!(
                "with this same file, the grading before failed first at {other}: a failure that moves from check to check, run after run, is likely a race (threads that meet in another order each time)"
            );
            *outcome = outcome.clone().map_failure(|f| f.field("note:", note));
        }
        seen.insert(key, json!({"file": print, "first": name}));
    }
    if seen != before {
        let _ = std::fs::create_dir_all(grader_dir());
        let _ = super::write_atomically(&file(), &Value::Object(seen).to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry;

    #[test]
    fn a_first_failure_that_moves_with_the_same_file_is_noted() {
        let dir = std::env::temp_dir().join(format!("grader-history-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("src/bin")).unwrap();
        std::fs::write(dir.join("src/bin/echo-thread.rs"), "// the same file").unwrap();
        let target = Target::files(&dir, "history");
        let checks: Vec<&'static Check> = registry::of_step("echo-thread").collect();
        let failing_at = |i: usize| -> Vec<(&'static Check, Outcome)> {
            checks
                .iter()
                .enumerate()
                .map(|(k, c)| {
                    let outcome = if k == i {
                        Outcome::Failed(crate::Failure::new("no echo"))
                    } else {
                        Outcome::Passed
                    };
                    (*c, outcome)
                })
                .collect()
        };
        let said = |outcomes: &[(&'static Check, Outcome)]| {
            outcomes
                .iter()
                .find_map(|(_, o)| o.failure().map(|f| f.message()))
                .unwrap()
        };
        let mut first = failing_at(3);
        note_moving_failures(&target, &mut first);
        assert!(!said(&first).contains("likely a race"));
        let mut again = failing_at(3);
        note_moving_failures(&target, &mut again);
        assert!(!said(&again).contains("likely a race"));
        let mut moved = failing_at(5);
        note_moving_failures(&target, &mut moved);
        assert!(said(&moved).contains("likely a race"), "{}", said(&moved));
        // Another file: nothing to compare with.
        std::fs::write(dir.join("src/bin/echo-thread.rs"), "// changed").unwrap();
        let mut changed = failing_at(3);
        note_moving_failures(&target, &mut changed);
        assert!(!said(&changed).contains("likely a race"));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
