//! `cargo run -p grader -- result FILE STEP`: what a report the grader wrote
//! (`--format json --output FILE`) says of one step, and whether it passed.
//! GitHub Classroom's workflow grades the submission once, in the sandbox,
//! then asks this of each step: a test per step, worth its points, and no
//! code of the student's runs between them.

use crate::error::Error;
use crate::step::Step;
use serde_json::Value;
use std::path::Path;

/// The schema the grader's JSON report declares.
const SCHEMA: &str = "async-rust-grader-report/1";

/// The step's row and first failure, as text, and whether it passed.
pub fn of_step(report: &Path, step: &Step) -> Result<(String, bool), Error> {
    let text = std::fs::read_to_string(report).map_err(Error::io("read", report))?;
    let value: Value = serde_json::from_str(&text)
        .map_err(|e| Error::format(report.display(), format!("not JSON: {e}")))?;
    if value["schema"] != SCHEMA {
        return Err(Error::said(format!(
            "{} is not a report of the grader's (--format json)",
            report.display()
        )));
    }
    let row = value["steps"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|s| s["step"] == step.name)
        .ok_or_else(|| {
            Error::format(report.display(), format!("it holds no step {}", step.name))
        })?;
    let status = row["status"].as_str().unwrap_or("not_run");
    let checks = row["checks"].as_array().map_or(&[][..], Vec::as_slice);
    let passed_checks = checks.iter().filter(|c| c["passed"] == true).count();
    let mut said = format!(
        "{}: {}, {passed_checks} of {} checks passed, {}/{} points\n",
        step.name,
        status.replace('_', " "),
        checks.len(),
        row["score"].as_u64().unwrap_or(0),
        row["max_score"].as_u64().unwrap_or(0),
    );
    if let Some(first) = checks
        .iter()
        .find(|c| c["passed"] != true && c["message"].is_string())
    {
        said.push_str(&format!(
            "\n  {}\n",
            first["name"].as_str().unwrap_or_default()
        ));
        for line in first["message"].as_str().unwrap_or_default().lines() {
            said.push_str(&format!("  {line}\n"));
        }
    }
    Ok((said, status == "passed"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::Outcome;
    use crate::registry;
    use crate::report::{Report, json};

    #[test]
    fn a_step_of_a_report_passes_or_fails_as_the_report_says() {
        let outcomes: Vec<_> = registry::all()
            .iter()
            .map(|c| {
                let outcome = if c.step.name == "echo-spawn" && c.name == "one_line" {
                    Outcome::Failed(crate::Failure::new("no echo came back"))
                } else {
                    Outcome::Passed
                };
                (c, outcome)
            })
            .collect();
        let report = Report::new("ada", outcomes, 1.0);
        let file = std::env::temp_dir().join(format!("grader-result-{}.json", std::process::id()));
        std::fs::write(&file, json::report(&report).to_string()).unwrap();
        let find = |name| crate::catalogue::find(name).unwrap();
        let (said, passed) = of_step(&file, find("echo-thread")).unwrap();
        assert!(passed, "{said}");
        assert!(said.starts_with("echo-thread: passed"), "{said}");
        let (said, passed) = of_step(&file, find("echo-spawn")).unwrap();
        assert!(!passed);
        assert!(said.contains("echo_spawn::one_line"), "{said}");
        assert!(said.contains("no echo came back"), "{said}");
        std::fs::write(&file, "{\"score\": 100}").unwrap();
        assert!(of_step(&file, find("echo-thread")).is_err());
        let _ = std::fs::remove_file(&file);
    }
}
