//! The hints, as data (`grader/hints/<step>.toml`), as rustlings keeps its
//! own: a check's three levels. Level 1 is shown with a failure: what went
//! wrong, in the slide's words, and which idea to look at, with no line of
//! the answer. Level 2 names the API or the pattern. Level 3 comes close to
//! the answer and links the step's page in `docs/steps/`. The student asks
//! for levels 2 and 3 with `cargo run -p grader -- hint <step>`.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

type Levels = [&'static str; 3];

/// The levels of every check of a step's hint file, parsed once per step.
fn parsed(step: &'static str, text: &'static str) -> HashMap<String, Levels> {
    static PARSED: OnceLock<Mutex<HashMap<&'static str, HashMap<String, Levels>>>> =
        OnceLock::new();
    let mut all = PARSED
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    all.entry(step)
        .or_insert_with(|| {
            // A broken file is the maintainer's: a unit test names it.
            let Ok(table) = text.parse::<toml::Table>() else {
                return HashMap::new();
            };
            table
                .into_iter()
                .map(|(check, levels)| {
                    // Parsed once and kept for the grader's life: leaked.
                    let level = |n: &str| -> &'static str {
                        let text = levels.get(n).and_then(|l| l.as_str()).unwrap_or_default();
                        Box::leak(text.to_string().into_boxed_str())
                    };
                    (check, [level("1"), level("2"), level("3")])
                })
                .collect()
        })
        .clone()
}

/// The three levels of a check's hint, from its step's hint file.
pub(crate) fn of(step: &'static str, text: &'static str, check: &str) -> Levels {
    parsed(step, text)
        .get(check)
        .copied()
        .unwrap_or(["", "", ""])
}

/// The page of a step, which level 3 links.
#[cfg(test)]
pub(crate) fn page(step: &str) -> String {
    format!("docs/steps/{step}.md")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::STEPS;
    use crate::registry;
    use crate::target::workspace_root;

    #[test]
    fn every_step_has_a_hint_file_that_reads() {
        for step in STEPS {
            if let Err(e) = step.hints.parse::<toml::Table>() {
                panic!("grader/hints/{}.toml: {e}", step.name);
            }
        }
    }

    #[test]
    fn every_check_has_three_levels_and_no_check_is_missing() {
        for check in registry::all() {
            let levels = of(check.step.name, check.step.hints, check.name);
            for (i, level) in levels.iter().enumerate() {
                assert!(
                    !level.trim().is_empty() && *level != "TODO",
                    "grader/hints/{}.toml: [{}] has no level {}",
                    check.step.name,
                    check.name,
                    i + 1
                );
            }
            assert!(
                levels[2].contains(&page(check.step.name)),
                "grader/hints/{}.toml: [{}]'s level 3 should link {}",
                check.step.name,
                check.name,
                page(check.step.name)
            );
        }
        for step in STEPS {
            for check in parsed(step.name, step.hints).keys() {
                assert!(
                    registry::find(step.name, check).is_some(),
                    "grader/hints/{}.toml: [{check}] is not a check of {}",
                    step.name,
                    step.name
                );
            }
        }
    }

    /// Levels 1 and 2 teach; they never hand out a line of the answer: a
    /// line of the step's solution that its starter does not already have.
    /// Level 3 comes close, but holds no whole line that no starter has:
    /// the student edition must not hold the answers.
    #[test]
    fn no_level_holds_a_line_of_the_answer() {
        let root = workspace_root();
        let starters: String = STEPS
            .iter()
            .map(|s| {
                std::fs::read_to_string(root.join(format!("exercises/src/bin/{}.rs", s.name)))
                    .unwrap_or_default()
            })
            .collect();
        for step in STEPS {
            let read = |krate: &str| {
                std::fs::read_to_string(root.join(krate).join(format!("src/bin/{}.rs", step.name)))
                    .unwrap_or_default()
            };
            let (solution, starter) = (read("solutions"), read("exercises"));
            let answer: Vec<&str> = solution
                .lines()
                .map(str::trim)
                .filter(|l| l.len() >= 12 && !l.starts_with("//") && !starter.contains(*l))
                .collect();
            for check in registry::of_step(step.name) {
                for (i, level) in check.hints.iter().enumerate() {
                    for line in &answer {
                        if i == 2 && starters.contains(line) {
                            continue;
                        }
                        let bare = line.trim_end_matches([';', ',', '{']).trim();
                        assert!(
                            !level.contains(bare),
                            "grader/hints/{}.toml: [{}] level {} gives away a line of the answer: {line}",
                            step.name,
                            check.name,
                            i + 1
                        );
                    }
                }
            }
        }
    }
}
