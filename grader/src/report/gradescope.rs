//! Gradescope's `results.json`: one test per step, demos worth nothing.

use super::{Report, text};
use serde_json::{Value, json};

/// Gradescope's visibilities: when a student sees a test's feedback.
pub(crate) const VISIBILITIES: &[&str] =
    &["visible", "hidden", "after_due_date", "after_published"];

/// The results, every test's feedback shown to the student as `visibility`
/// says (`visible`, or `after_due_date` to keep it until the due date).
pub fn report(r: &Report, visibility: &str) -> Value {
    let tests: Vec<Value> = r
        .steps
        .iter()
        .enumerate()
        .filter(|(_, s)| s.status != super::Status::NotRun)
        .map(|(i, s)| {
            let mut output = format!(
                "{}: {} of {} checks passed.\n",
                s.status.words(),
                s.passed_checks(),
                s.checks.len()
            );
            for c in s.skipped() {
                output.push_str(&format!(
                    "skipped: {}: {}\n",
                    c.name(),
                    super::reason(&c.outcome).unwrap_or_default()
                ));
            }
            if let Some(check) = s.first_failure() {
                output.push_str(&format!(
                    "\n{}\n{}\n",
                    check.name(),
                    check.message().unwrap_or_default()
                ));
            }
            json!({
                "name": format!("{} ({})", s.step.name, s.step.slide),
                "number": (i + 1).to_string(),
                "score": s.score,
                "max_score": s.step.points(),
                "status": if s.status.is_good() { "passed" } else { "failed" },
                "output": output,
                "output_format": "text",
                "tags": [if s.step.graded() { "graded" } else { "demo" }],
                "visibility": visibility,
            })
        })
        .collect();
    json!({
        "score": r.score(),
        "execution_time": r.seconds.ceil() as u64,
        "output": text::report(r, false),
        "output_format": "text",
        "visibility": visibility,
        "stdout_visibility": "hidden",
        "tests": tests,
    })
}
