//! The grading report: one row per step with its status and points, the
//! first thing to fix, and the total; as text, as the grader's own JSON, or
//! as Gradescope's `results.json`. It is built from a run of the grade tests,
//! so it says exactly what `cargo test -p grader` says.

use crate::failure::{NOT_STARTED, TIMED_OUT, statuses};
use crate::runner::{Outcome, TestRun};
use crate::steps::{STEPS, Step};
use serde_json::{Value, json};

/// How a step came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Passed,
    Failed,
    TimedOut,
    DoesNotCompile,
    NotStarted,
    /// A demo whose flaw showed, as it should.
    FlawShown,
    /// A demo whose flaw did not show: the demo itself is broken.
    FlawNotShown,
    /// No check of the step ran (a run of other steps only).
    NotRun,
}

impl Status {
    /// The name in the JSON formats.
    pub fn key(self) -> &'static str {
        match self {
            Status::Passed => "passed",
            Status::Failed => "failed",
            Status::TimedOut => "timed_out",
            Status::DoesNotCompile => "does_not_compile",
            Status::NotStarted => "not_started",
            Status::FlawShown => "flaw_shown",
            Status::FlawNotShown => "flaw_not_shown",
            Status::NotRun => "not_run",
        }
    }

    /// The name in the text report.
    pub fn words(self) -> &'static str {
        match self {
            Status::Passed => "passed",
            Status::Failed => "failed",
            Status::TimedOut => "timed out",
            Status::DoesNotCompile => "does not compile",
            Status::NotStarted => "not started",
            Status::FlawShown => "flaw shown (demo)",
            Status::FlawNotShown => "flaw not shown (demo)",
            Status::NotRun => "not run",
        }
    }

    /// Whether the step is as it should be.
    pub fn is_good(self) -> bool {
        matches!(self, Status::Passed | Status::FlawShown | Status::NotRun)
    }
}

/// One check (one grade test) of a step.
#[derive(Debug, Clone)]
pub struct Check {
    pub name: String,
    pub passed: bool,
    /// The failure message, for a failed check.
    pub message: Option<String>,
}

/// A step's checks and what they add up to.
#[derive(Debug, Clone)]
pub struct StepResult {
    pub step: &'static Step,
    pub status: Status,
    pub checks: Vec<Check>,
    /// Points earned: all of a graded step's points when every check passes.
    pub score: u32,
}

impl StepResult {
    fn new(step: &'static Step, run: &TestRun) -> StepResult {
        let prefix = format!("{}::", step.test_prefix());
        let mut checks: Vec<Check> = run
            .tests
            .iter()
            .filter(|(name, _)| name.starts_with(&prefix))
            .filter_map(|(name, outcome)| match outcome {
                Outcome::Passed => Some(Check {
                    name: name.clone(),
                    passed: true,
                    message: None,
                }),
                Outcome::Failed(message) => Some(Check {
                    name: name.clone(),
                    passed: false,
                    message: Some(message.clone()),
                }),
                Outcome::Ignored => None,
            })
            .collect();
        checks.sort_by(|a, b| a.name.cmp(&b.name));
        let status = status_of(step, &checks);
        let score = if status == Status::Passed {
            step.points
        } else {
            0
        };
        StepResult {
            step,
            status,
            checks,
            score,
        }
    }

    pub fn passed_checks(&self) -> usize {
        self.checks.iter().filter(|c| c.passed).count()
    }

    /// The failure to show first: the most basic check that failed.
    pub fn first_failure(&self) -> Option<&Check> {
        self.checks
            .iter()
            .filter(|c| !c.passed)
            .min_by_key(|c| (basics_first(&c.name), c.name.clone()))
    }
}

/// The echo of one line before the finer points; the command-line rules last.
fn basics_first(test: &str) -> u8 {
    let check = test.rsplit("::").next().unwrap_or(test);
    if ["compiles", "one_line", "echoes_a_line"].contains(&check) {
        0
    } else if check.starts_with("bad_") || check.starts_with("taken_port") {
        2
    } else {
        1
    }
}

fn status_of(step: &Step, checks: &[Check]) -> Status {
    if checks.is_empty() {
        return Status::NotRun;
    }
    let messages: Vec<&str> = checks.iter().filter_map(|c| c.message.as_deref()).collect();
    let has_status = |wanted: &str| messages.iter().any(|m| statuses(m).contains(&wanted));
    if messages.is_empty() {
        if step.graded {
            Status::Passed
        } else {
            Status::FlawShown
        }
    } else if messages
        .iter()
        .any(|m| m.starts_with(&format!("{} does not compile", step.name)))
    {
        Status::DoesNotCompile
    } else if !step.graded {
        Status::FlawNotShown
    } else if has_status(NOT_STARTED) {
        Status::NotStarted
    } else if has_status(TIMED_OUT) {
        Status::TimedOut
    } else {
        Status::Failed
    }
}

/// The report of one grading run.
#[derive(Debug, Clone)]
pub struct Report {
    /// What was graded: `exercises`, `solutions` or a path.
    pub target: String,
    pub steps: Vec<StepResult>,
    /// Wall-clock seconds the run took.
    pub seconds: f64,
}

impl Report {
    pub fn from_run(target: &str, run: &TestRun, seconds: f64) -> Report {
        Report {
            target: target.to_string(),
            steps: STEPS.iter().map(|s| StepResult::new(s, run)).collect(),
            seconds,
        }
    }

    pub fn score(&self) -> u32 {
        self.steps.iter().map(|s| s.score).sum()
    }

    /// The points of the graded steps that were run.
    pub fn max_score(&self) -> u32 {
        self.steps
            .iter()
            .filter(|s| s.status != Status::NotRun)
            .map(|s| s.step.points)
            .sum()
    }

    /// Whether every graded step that ran passed.
    pub fn graded_steps_pass(&self) -> bool {
        self.steps
            .iter()
            .filter(|s| s.step.graded)
            .all(|s| s.status.is_good())
    }

    /// The first step, in the tutorial's order, that is not as it should be.
    pub fn first_to_fix(&self) -> Option<&StepResult> {
        self.steps.iter().find(|s| !s.status.is_good())
    }

    /// The report for a person, coloured with ANSI codes when `color`.
    pub fn text(&self, color: bool) -> String {
        let paint = |text: String, status: Status| -> String {
            if !color {
                return text;
            }
            let code = match status {
                Status::Passed | Status::FlawShown => "32",
                Status::NotStarted | Status::NotRun => "33",
                _ => "31",
            };
            format!("\x1b[{code}m{text}\x1b[0m")
        };
        let bold = |text: String| {
            if color {
                format!("\x1b[1m{text}\x1b[0m")
            } else {
                text
            }
        };
        let checks: usize = self.steps.iter().map(|s| s.checks.len()).sum();
        let mut out = format!(
            "Grading {}: {checks} checks in {:.1} s\n\n",
            self.target, self.seconds
        );
        out.push_str(&format!(
            "  {:<20} {:<22} {:>7}  {:>7}\n",
            "step", "result", "checks", "points"
        ));
        for s in &self.steps {
            let result = format!("{:<22}", s.status.words());
            let points = if s.step.graded {
                format!("{}/{}", s.score, s.step.points)
            } else {
                "-".to_string()
            };
            out.push_str(&format!(
                "  {:<20} {} {:>7}  {:>7}\n",
                s.step.name,
                paint(result, s.status),
                format!("{}/{}", s.passed_checks(), s.checks.len()),
                points
            ));
        }
        out.push_str(&bold(format!(
            "\n  total: {}/{} points\n",
            self.score(),
            self.max_score()
        )));
        if let Some(s) = self.first_to_fix() {
            out.push_str(&format!(
                "\nFirst to fix: {} ({})\n",
                s.step.name,
                s.status.words()
            ));
            if let Some(check) = s.first_failure() {
                out.push_str(&format!("  {}\n", check.name));
                for line in check.message.as_deref().unwrap_or("").lines() {
                    out.push_str(&format!("  {line}\n"));
                }
            }
            out.push_str(&format!(
                "\nGrade this step alone: cargo test -p grader {}\n",
                s.step.test_prefix()
            ));
        }
        out
    }

    /// One step's result, its first failure and its hint: what watch mode
    /// shows after a save.
    pub fn step_text(&self, step: &str, color: bool) -> String {
        let Some(s) = self.steps.iter().find(|s| s.step.name == step) else {
            return format!("{step}: not a step of this tutorial\n");
        };
        let status = s.status.words();
        let status = if color {
            let code = if s.status.is_good() { "32" } else { "31" };
            format!("\x1b[{code}m{status}\x1b[0m")
        } else {
            status.to_string()
        };
        let mut out = format!(
            "{}: {status}, {} of {} checks passed",
            s.step.name,
            s.passed_checks(),
            s.checks.len()
        );
        if s.step.graded {
            out.push_str(&format!(", {}/{} points", s.score, s.step.points));
        }
        out.push('\n');
        if let Some(check) = s.first_failure() {
            out.push_str(&format!("\n  {}\n", check.name));
            for line in check.message.as_deref().unwrap_or("").lines() {
                out.push_str(&format!("  {line}\n"));
            }
        }
        out
    }

    /// The grader's own JSON (schema: `grader/schemas/report.schema.json`).
    pub fn json(&self) -> Value {
        json!({
            "schema": "async-rust-grader-report/1",
            "target": self.target,
            "score": self.score(),
            "max_score": self.max_score(),
            "passed": self.graded_steps_pass(),
            "execution_time": self.seconds,
            "steps": self.steps.iter().map(|s| json!({
                "step": s.step.name,
                "slide": s.step.slide,
                "graded": s.step.graded,
                "status": s.status.key(),
                "score": s.score,
                "max_score": s.step.points,
                "hint": s.step.hint,
                "checks": s.checks.iter().map(|c| json!({
                    "name": c.name,
                    "passed": c.passed,
                    "message": c.message,
                })).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
        })
    }

    /// Gradescope's `results.json`: one test per step, demos worth nothing.
    pub fn gradescope(&self) -> Value {
        let tests: Vec<Value> = self
            .steps
            .iter()
            .enumerate()
            .filter(|(_, s)| s.status != Status::NotRun)
            .map(|(i, s)| {
                let mut output = format!(
                    "{}: {} of {} checks passed.\n",
                    s.status.words(),
                    s.passed_checks(),
                    s.checks.len()
                );
                if let Some(check) = s.first_failure() {
                    output.push_str(&format!(
                        "\n{}\n{}\n",
                        check.name,
                        check.message.as_deref().unwrap_or("")
                    ));
                }
                json!({
                    "name": format!("{} ({})", s.step.name, s.step.slide),
                    "number": (i + 1).to_string(),
                    "score": s.score,
                    "max_score": s.step.points,
                    "status": if s.status.is_good() { "passed" } else { "failed" },
                    "output": output,
                    "output_format": "text",
                    "tags": [if s.step.graded { "graded" } else { "demo" }],
                    "visibility": "visible",
                })
            })
            .collect();
        json!({
            "score": self.score(),
            "execution_time": self.seconds.ceil() as u64,
            "output": self.text(false),
            "output_format": "text",
            "visibility": "visible",
            "stdout_visibility": "hidden",
            "tests": tests,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::failure::Failure;

    fn run(tests: &[(&str, Option<String>)]) -> TestRun {
        TestRun {
            tests: tests
                .iter()
                .map(|(n, m)| {
                    let outcome = match m {
                        None => Outcome::Passed,
                        Some(m) => Outcome::Failed(m.clone()),
                    };
                    (n.to_string(), outcome)
                })
                .collect(),
            success: false,
            output: String::new(),
        }
    }

    fn status(report: &Report, step: &str) -> Status {
        report
            .steps
            .iter()
            .find(|s| s.step.name == step)
            .unwrap()
            .status
    }

    #[test]
    fn each_status_is_read_from_the_failures() {
        let todo = Failure::new("no echo")
            .noting_todo("not yet implemented")
            .message()
            .to_string();
        let hang = Failure::new("stuck").timed_out().message().to_string();
        let r = Report::from_run(
            "t",
            &run(&[
                ("echo_thread::one_line", Some(todo)),
                ("echo_spawn::one_line", None),
                (
                    "echo_spawn::loopback_only",
                    Some("listens on 0.0.0.0".into()),
                ),
                (
                    "task2_struct_final::makes_1000_molecules_of_water",
                    Some(hang),
                ),
                (
                    "mutex_send::compiles",
                    Some("mutex-send does not compile (in t)".into()),
                ),
                ("task2_struct_1::atoms_bond_without_waiting", None),
                (
                    "task2_struct_2::permit_dropped_too_early",
                    Some("made correct water".into()),
                ),
            ]),
            1.0,
        );
        assert_eq!(status(&r, "echo-thread"), Status::NotStarted);
        assert_eq!(status(&r, "echo-spawn"), Status::Failed);
        assert_eq!(status(&r, "task2-struct-final"), Status::TimedOut);
        assert_eq!(status(&r, "mutex-send"), Status::DoesNotCompile);
        assert_eq!(status(&r, "task2-struct-1"), Status::FlawShown);
        assert_eq!(status(&r, "task2-struct-2"), Status::FlawNotShown);
        assert_eq!(status(&r, "echo-async-naive"), Status::NotRun);
    }

    #[test]
    fn points_go_to_steps_whose_every_check_passes() {
        let r = Report::from_run(
            "t",
            &run(&[
                ("echo_thread::one_line", None),
                ("echo_thread::crlf_kept", None),
                ("echo_spawn::one_line", None),
                (
                    "echo_spawn::few_threads_for_300_clients",
                    Some("301 threads".into()),
                ),
            ]),
            1.0,
        );
        let points = |name| crate::steps::find(name).unwrap().points;
        assert_eq!(r.score(), points("echo-thread"));
        assert_eq!(r.max_score(), points("echo-thread") + points("echo-spawn"));
        assert!(!r.graded_steps_pass());
        assert_eq!(r.first_to_fix().unwrap().step.name, "echo-spawn");
    }

    #[test]
    fn the_first_failure_shown_is_the_most_basic() {
        let r = Report::from_run(
            "t",
            &run(&[
                (
                    "echo_thread::bad_port_is_one_line_and_exit_2",
                    Some("panicked".into()),
                ),
                ("echo_thread::crlf_kept", Some("no echo".into())),
                ("echo_thread::one_line", Some("no echo".into())),
            ]),
            1.0,
        );
        let first = r.steps[0].first_failure().unwrap();
        assert_eq!(first.name, "echo_thread::one_line");
    }

    #[test]
    fn plain_text_has_no_colour_codes_and_names_the_next_step() {
        let r = Report::from_run(
            "t",
            &run(&[("echo_thread::one_line", Some("no echo".into()))]),
            1.0,
        );
        let plain = r.text(false);
        assert!(!plain.contains('\x1b'));
        assert!(plain.contains("Grade this step alone: cargo test -p grader echo_thread"));
        assert!(r.text(true).contains("\x1b[31m"));
    }
}
