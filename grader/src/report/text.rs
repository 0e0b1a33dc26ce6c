//! The report for people: a row per step, the first thing to fix with its
//! hint, and the total.

use super::{Report, Status, StepResult};
use crate::outcome::Outcome;

/// ANSI colours, on a terminal only.
struct Paint(bool);

impl Paint {
    fn status(&self, text: String, status: Status) -> String {
        let code = match status {
            Status::Passed | Status::FlawShown => "32",
            Status::NotStarted | Status::NotRun => "33",
            _ => "31",
        };
        self.code(code, text)
    }

    fn bold(&self, text: String) -> String {
        self.code("1", text)
    }

    fn code(&self, code: &str, text: String) -> String {
        super::colour::paint(self.0, code, &text)
    }
}

/// The step's result words, with its skipped checks if any.
fn result_words(s: &StepResult) -> String {
    let skipped = s.skipped().count();
    if skipped > 0 && s.status == Status::Passed {
        format!("{} ({skipped} skipped)", s.status.words())
    } else {
        s.status.words().to_string()
    }
}

/// The whole report, coloured when `color`.
pub fn report(r: &Report, color: bool) -> String {
    let paint = Paint(color);
    let mut out = format!(
        "Grading {}: {} in {:.1} s\n\n",
        r.target,
        super::checks(r.checks()),
        r.seconds
    );
    out.push_str(&format!(
        "  {:<20} {:<22} {:>7}  {:>7}\n",
        "step", "result", "checks", "points"
    ));
    for s in &r.steps {
        let result = format!("{:<22}", result_words(s));
        let points = if s.step.graded() {
            format!("{}/{}", s.score, s.step.points())
        } else {
            "-".to_string()
        };
        out.push_str(&format!(
            "  {:<20} {} {:>7}  {:>7}\n",
            s.step.name,
            paint.status(result, s.status),
            format!("{}/{}", s.passed_checks(), s.checks.len()),
            points
        ));
    }
    out.push_str(&paint.bold(format!(
        "\n  total: {}/{} points\n",
        r.score(),
        r.max_score()
    )));
    let skipped: Vec<String> = r
        .steps
        .iter()
        .flat_map(|s| s.skipped())
        .map(|c| {
            format!(
                "  {}: {}",
                c.name(),
                super::reason(&c.outcome).unwrap_or_default()
            )
        })
        .collect();
    if !skipped.is_empty() {
        out.push_str("\nSkipped on this machine (not checked here, so not counted either way):\n");
        out.push_str(&skipped.join("\n"));
        out.push('\n');
    }
    if let Some(s) = r.first_to_fix() {
        out.push_str(&format!(
            "\nFirst to fix: {} ({})\n",
            s.step.name,
            s.status.words()
        ));
        out.push_str(&first_failure(s));
        out.push_str(&format!(
            "\nGrade this step alone: cargo test -p grader {}\n",
            s.step.test_prefix()
        ));
    }
    out
}

/// The step's first failure, indented, with its hint, and how many checks
/// wait for it to be fixed.
fn first_failure(s: &StepResult) -> String {
    let mut out = String::new();
    if let Some(check) = s.first_failure() {
        out.push_str(&format!("  {}\n", check.name()));
        for line in check.message().unwrap_or_default().lines() {
            out.push_str(&format!("  {line}\n"));
        }
        let waiting = s.count(|o| matches!(o, Outcome::NotRun(_)));
        if waiting > 0 {
            out.push_str(&format!(
                "  ({waiting} more {} of {} run once this one passes)\n",
                if waiting == 1 { "check" } else { "checks" },
                s.step.name
            ));
        }
    }
    out
}

/// One step's result, its first failure and its hint: what watch mode
/// shows after a save.
pub fn step(r: &Report, step: &str, color: bool) -> String {
    let Some(s) = r.step(step) else {
        return format!("{step}: not a step of this tutorial\n");
    };
    let paint = Paint(color);
    let mut out = format!(
        "{}: {}, {} of {} checks passed",
        s.step.name,
        paint.status(result_words(s), s.status),
        s.passed_checks(),
        s.checks.len()
    );
    if s.step.graded() {
        out.push_str(&format!(", {}/{} points", s.score, s.step.points()));
    }
    out.push('\n');
    if s.first_failure().is_some() {
        out.push('\n');
        out.push_str(&first_failure(s));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::failure::Failure;
    use crate::registry::find;

    #[test]
    fn plain_text_has_no_colour_codes_and_names_the_next_step() {
        let r = Report::new(
            "t",
            vec![
                (
                    find("echo-thread", "one_line").unwrap(),
                    Outcome::Failed(Failure::new("no echo")),
                ),
                (
                    find("echo-thread", "crlf_kept").unwrap(),
                    Outcome::NotRun(
                        crate::registry::by_full_name("echo_thread::one_line")
                            .unwrap()
                            .id,
                    ),
                ),
                (
                    find("echo-spawn", "few_threads_for_300_clients").unwrap(),
                    Outcome::Skipped("cannot count".into()),
                ),
            ],
            1.0,
        );
        let plain = report(&r, false);
        assert!(!plain.contains('\x1b'));
        assert!(plain.contains("Grade this step alone: cargo test -p grader echo_thread"));
        assert!(
            plain.contains("(1 more check of echo-thread run once this one passes)"),
            "{plain}"
        );
        assert!(
            plain.contains("echo_spawn::few_threads_for_300_clients: cannot count"),
            "{plain}"
        );
        assert!(report(&r, true).contains("\x1b[31m"));
    }
}
