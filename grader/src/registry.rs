//! The registry of checks: every check of every step, as data (its step,
//! its name, the checks it needs first, its hint) with the code that runs
//! it. The grade tests list it, the report and the self-check run it.
//!
//! A step's checks are listed in the order a student meets their mistakes:
//! it builds, it starts, it does the one basic thing, then the finer points,
//! then concurrency and scale. A check runs only once the checks it needs
//! have passed; otherwise it is "not run", so that one mistake is reported
//! once, by the check that speaks of it.

use crate::catalogue::{STEPS, Step};
use crate::checks::Ctx;
use crate::outcome::Verdict;
use std::sync::OnceLock;

/// The code of a check.
pub type Run = Box<dyn Fn(&Ctx) -> Verdict + Send + Sync>;

/// One check of one step.
pub struct Check {
    pub step: &'static Step,
    /// Its name within the step: `one_line`.
    pub name: &'static str,
    /// The checks of the same step that must pass before this one runs.
    pub needs: &'static [&'static str],
    /// What to look at when it fails, in three levels (see `hints`).
    pub hints: [&'static str; 3],
    pub run: Run,
}

impl Check {
    /// The name tests are known by: `echo_thread::one_line`.
    pub fn full_name(&self) -> String {
        format!("{}::{}", self.step.test_prefix(), self.name)
    }

    /// The checks it needs, found in the registry.
    pub fn needed(&self) -> impl Iterator<Item = &'static Check> + '_ {
        self.needs.iter().map(|name| {
            find(self.step.name, name).unwrap_or_else(|| {
                panic!(
                    "{} needs {name}, which is not a check of its step",
                    self.full_name()
                )
            })
        })
    }
}

impl std::fmt::Debug for Check {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.full_name())
    }
}

/// A check under construction; see the families in `checks/`.
pub fn check(
    step: &'static str,
    name: &'static str,
    needs: &'static [&'static str],
    run: impl Fn(&Ctx) -> Verdict + Send + Sync + 'static,
) -> Check {
    Check {
        step: crate::catalogue::find(step).unwrap_or_else(|| panic!("no step {step}")),
        name,
        needs,
        hints: crate::hints::of(step, name),
        run: Box::new(run),
    }
}

/// Every check, step by step in the tutorial's order, each step's in its own.
pub fn all() -> &'static [Check] {
    static ALL: OnceLock<Vec<Check>> = OnceLock::new();
    ALL.get_or_init(|| {
        STEPS
            .iter()
            .flat_map(|step| crate::checks::of_step(step.name))
            .collect()
    })
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

/// Its place in the registry: the order of the report and of the tests.
pub fn position(check: &Check) -> usize {
    all()
        .iter()
        .position(|c| std::ptr::eq(c, check))
        .expect("a check of the registry")
}

/// The markers around a step page's table of checks.
pub const TABLE_START: &str =
    "<!-- checks: the grader's registry, kept equal by a test (cargo test -p grader --lib) -->";
pub const TABLE_END: &str = "<!-- /checks -->";

/// A step's checks as its page shows them: in order, each with the checks
/// it needs first.
pub fn needs_table(step: &str) -> String {
    let mut out = format!("{TABLE_START}\n| check | runs once these have passed |\n|---|---|\n");
    for check in of_step(step) {
        let needs: Vec<String> = check.needs.iter().map(|n| format!("`{n}`")).collect();
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
    fn names_are_unique_and_needs_come_earlier_in_the_same_step() {
        let mut seen = std::collections::HashSet::new();
        for (i, check) in all().iter().enumerate() {
            assert!(seen.insert(check.full_name()), "{check:?} twice");
            for needed in check.needed() {
                assert!(
                    position(needed) < i,
                    "{check:?} needs {needed:?}, which comes after it"
                );
            }
        }
    }
}
