//! The registry of checks: every check of every step, built once from the
//! catalogue, step after step in the tutorial's order, each step's checks
//! in its own. The grade tests list it, the report and the self-check run
//! it. A check is known by its place here (`CheckId`); what it needs, by
//! theirs.
//!
//! A step's checks are listed in the order a student meets their mistakes:
//! it builds, it starts, it does the one basic thing, then the finer points,
//! then concurrency and scale. A check runs only once the checks it needs
//! have passed; otherwise it is "not run", so that one mistake is reported
//! once, by the check that speaks of it.

use crate::catalogue::STEPS;
use crate::outcome::CheckId;
use crate::step::{Check, Checks};
use std::sync::OnceLock;

/// Every check, step by step in the tutorial's order, each step's in its own.
pub fn all() -> &'static [Check] {
    static ALL: OnceLock<Vec<Check>> = OnceLock::new();
    ALL.get_or_init(|| {
        let mut all = Vec::new();
        for step in STEPS {
            (step.checks)(&mut Checks::new(step, &mut all));
        }
        all
    })
}

/// The check of this handle.
pub fn get(id: CheckId) -> &'static Check {
    &all()[id.0]
}

/// The checks `check` needs first.
pub(crate) fn needed(check: &Check) -> impl Iterator<Item = &'static Check> + '_ {
    check.needs.iter().map(|id| get(*id))
}

/// The checks of one step, in order.
pub fn of_step(step: &str) -> impl Iterator<Item = &'static Check> + '_ {
    all().iter().filter(move |c| c.step.name == step)
}

pub fn find(step: &str, name: &str) -> Option<&'static Check> {
    all().iter().find(|c| c.step.name == step && c.name == name)
}

/// The check with this full name (`echo_thread::one_line`).
pub fn by_full_name(full: &str) -> Option<&'static Check> {
    all().iter().find(|c| c.full_name() == full)
}

/// The markers around a step page's table of checks.
#[cfg(test)]
const TABLE_START: &str =
    "<!-- checks: the grader's registry, kept equal by a test (cargo test -p grader --lib) -->";
#[cfg(test)]
const TABLE_END: &str = "<!-- /checks -->";

/// A step's checks as its page shows them: in order, each with the checks
/// it needs first.
#[cfg(test)]
fn needs_table(step: &str) -> String {
    let mut out = format!("{TABLE_START}\n| check | runs once these have passed |\n|---|---|\n");
    for check in of_step(step) {
        let needs: Vec<String> = needed(check).map(|n| format!("`{}`", n.name)).collect();
        out.push_str(&format!(
            "| [`{0}`](#{0}) | {1} |\n",
            check.name,
            needs.join(", ")
        ));
    }
    out.push_str(TABLE_END);
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each step's page lists its checks as the registry has them, and
    /// has a section for each; it speaks of no check the step does not have.
    #[test]
    fn every_step_page_tells_the_checks_as_they_are() {
        for step in STEPS {
            let path = crate::target::workspace_root().join(crate::hints::page(step.name));
            let page = std::fs::read_to_string(&path).unwrap();
            let table = needs_table(step.name);
            assert!(
                page.contains(&table),
                "{}: its table of checks differs from the registry; it should read:\n\n{table}",
                path.display()
            );
            for check in of_step(step.name) {
                assert!(
                    page.contains(&format!("\n### {}\n", check.name)),
                    "{}: no section `### {}`",
                    path.display(),
                    check.name
                );
            }
            for heading in page.lines().filter_map(|l| l.strip_prefix("### ")) {
                let looks_like_a_check = heading
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
                assert!(
                    !looks_like_a_check || find(step.name, heading).is_some(),
                    "{}: `### {heading}` is not a check of {}",
                    path.display(),
                    step.name
                );
            }
        }
    }

    #[test]
    fn every_step_has_checks_and_its_first_check_is_compiles() {
        for step in STEPS {
            let first = of_step(step.name).next();
            assert_eq!(first.map(|c| c.name), Some("compiles"), "{}", step.name);
        }
    }

    #[test]
    fn names_are_unique_ids_are_places_and_needs_come_earlier_in_the_same_step() {
        let mut seen = std::collections::HashSet::new();
        for (i, check) in all().iter().enumerate() {
            assert_eq!(check.id, CheckId(i));
            assert!(seen.insert(check.full_name()), "{check:?} twice");
            for needed in needed(check) {
                assert!(
                    needed.id.0 < i && needed.step == check.step,
                    "{check:?} needs {needed:?}, which comes after it or is another step's"
                );
            }
        }
    }
}
