//! The grading report: one row per step with its status and points, the
//! first thing to fix, and the total; as text (`text`), as the grader's own
//! JSON (`json`), or as Gradescope's `results.json` (`gradescope`). It is
//! made from the checks' typed outcomes, the same that the grade tests show.

pub mod colour;
pub mod gradescope;
pub mod json;
pub(crate) mod libtest;
pub mod text;
pub(crate) mod trace;

use crate::catalogue::STEPS;
use crate::outcome::Outcome;
use crate::step::{Check, Step};

/// Why a check that did not fail did not pass either: why it was skipped,
/// or which check to fix first.
pub fn reason(outcome: &Outcome) -> Option<String> {
    match outcome {
        Outcome::Skipped(why) => Some(why.clone()),
        Outcome::NotRun(first) => Some(format!(
            "fix {} first",
            crate::registry::get(*first).full_name()
        )),
        _ => None,
    }
}

/// "1 check", "2 checks".
pub fn checks(n: usize) -> String {
    if n == 1 {
        "1 check".to_string()
    } else {
        format!("{n} checks")
    }
}

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
    pub(crate) fn is_good(self) -> bool {
        matches!(self, Status::Passed | Status::FlawShown | Status::NotRun)
    }
}

/// One check's outcome.
#[derive(Debug, Clone)]
pub struct CheckResult {
    pub check: &'static Check,
    pub outcome: Outcome,
}

impl CheckResult {
    pub fn name(&self) -> String {
        self.check.full_name()
    }

    /// The hint shown with its failure: the failure's own diagnosis, else
    /// the first level of the check's hint.
    pub fn hint(&self) -> &str {
        self.outcome
            .failure()
            .and_then(|f| f.diagnosis.as_deref())
            .unwrap_or(self.check.hints[0])
    }

    /// What it says: a failure's message and hint, a skip's or not-run's
    /// reason, a demo's account of its flaw.
    pub fn message(&self) -> Option<String> {
        match &self.outcome {
            Outcome::Shown(what) => Some(what.clone()),
            o => o
                .failure()
                .map(|f| f.with_hint(self.hint()))
                .or_else(|| reason(o)),
        }
    }
}

/// A step's checks and what they add up to.
#[derive(Debug, Clone)]
pub struct StepResult {
    pub step: &'static Step,
    pub status: Status,
    pub checks: Vec<CheckResult>,
    /// Points earned: all of a graded step's points when it passes.
    pub score: u32,
}

impl StepResult {
    fn new(step: &'static Step, checks: Vec<CheckResult>) -> StepResult {
        let status = status_of(step, &checks);
        let score = if status == Status::Passed {
            step.points()
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

    pub(crate) fn passed_checks(&self) -> usize {
        self.checks.iter().filter(|c| c.outcome.passed()).count()
    }

    pub fn count(&self, is: impl Fn(&Outcome) -> bool) -> usize {
        self.checks.iter().filter(|c| is(&c.outcome)).count()
    }

    /// The failure to show first: the first that failed, in the step's
    /// order, where the root of a mistake comes before what follows from it.
    pub fn first_failure(&self) -> Option<&CheckResult> {
        self.checks.iter().find(|c| c.outcome.failed())
    }

    pub fn skipped(&self) -> impl Iterator<Item = &CheckResult> {
        self.checks
            .iter()
            .filter(|c| matches!(c.outcome, Outcome::Skipped(_)))
    }
}

fn status_of(step: &Step, checks: &[CheckResult]) -> Status {
    if checks.is_empty() {
        return Status::NotRun;
    }
    let any = |is: fn(&Outcome) -> bool| checks.iter().any(|c| is(&c.outcome));
    if any(|o| matches!(o, Outcome::DoesNotCompile(_))) {
        Status::DoesNotCompile
    } else if !any(|o| o.failed() || matches!(o, Outcome::NotRun(_))) {
        if step.graded() {
            Status::Passed
        } else {
            Status::FlawShown
        }
    } else if !step.graded() {
        Status::FlawNotShown
    } else if any(|o| matches!(o, Outcome::NotStarted(_))) {
        Status::NotStarted
    } else if any(|o| matches!(o, Outcome::TimedOut(_))) {
        Status::TimedOut
    } else {
        Status::Failed
    }
}

/// The report of one grading.
#[derive(Debug, Clone)]
pub struct Report {
    /// What was graded: `exercises`, `solutions`, a path, a student.
    pub target: String,
    pub steps: Vec<StepResult>,
    /// Wall-clock seconds the grading took.
    pub seconds: f64,
}

impl Report {
    /// The report of these outcomes: every step of the catalogue, with the
    /// checks of it that ran.
    pub fn new(target: &str, outcomes: Vec<(&'static Check, Outcome)>, seconds: f64) -> Report {
        let mut steps: Vec<StepResult> = Vec::new();
        for step in STEPS {
            let mut checks: Vec<CheckResult> = outcomes
                .iter()
                .filter(|(c, _)| c.step == step)
                .map(|(check, outcome)| CheckResult {
                    check,
                    outcome: outcome.clone(),
                })
                .collect();
            checks.sort_by_key(|c| c.check.id);
            steps.push(StepResult::new(step, checks));
        }
        Report {
            target: target.to_string(),
            steps,
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
            .map(|s| s.step.points())
            .sum()
    }

    /// Whether every graded step that ran passed.
    pub fn graded_steps_pass(&self) -> bool {
        self.steps
            .iter()
            .filter(|s| s.step.graded())
            .all(|s| s.status.is_good())
    }

    /// The first step, in the tutorial's order, that is not as it should be.
    pub fn first_to_fix(&self) -> Option<&StepResult> {
        self.steps.iter().find(|s| !s.status.is_good())
    }

    pub fn step(&self, name: &str) -> Option<&StepResult> {
        self.steps.iter().find(|s| s.step.name == name)
    }

    pub fn checks(&self) -> usize {
        self.steps.iter().map(|s| s.checks.len()).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::failure::Failure;
    use crate::registry::find;

    fn report(outcomes: Vec<(&str, &str, Outcome)>) -> Report {
        Report::new(
            "t",
            outcomes
                .into_iter()
                .map(|(step, check, o)| (find(step, check).unwrap(), o))
                .collect(),
            1.0,
        )
    }

    fn status(report: &Report, step: &str) -> Status {
        report.step(step).unwrap().status
    }

    #[test]
    fn each_status_follows_from_the_outcomes() {
        let failed = |m: &str| Outcome::Failed(Failure::new(m));
        let r = report(vec![
            (
                "echo-thread",
                "one_line",
                Outcome::NotStarted(Failure::new("no echo")),
            ),
            (
                "echo-thread",
                "crlf_kept",
                Outcome::NotRun(
                    crate::registry::by_full_name("echo_thread::one_line")
                        .unwrap()
                        .id,
                ),
            ),
            ("echo-spawn", "one_line", Outcome::Passed),
            ("echo-spawn", "loopback_only", failed("listens on 0.0.0.0")),
            (
                "task2-struct-final",
                "makes_10_molecules_by_default",
                Outcome::TimedOut(Failure::new("stuck")),
            ),
            (
                "mutex-send",
                "compiles",
                Outcome::DoesNotCompile(Failure::new("mutex-send does not compile")),
            ),
            (
                "mutex-send",
                "counts_1000_tasks",
                Outcome::NotRun(
                    crate::registry::by_full_name("mutex_send::compiles")
                        .unwrap()
                        .id,
                ),
            ),
            (
                "task2-struct-1",
                "atoms_bond_without_waiting",
                Outcome::Shown("h2 h0 h5".into()),
            ),
            (
                "task2-struct-2",
                "permit_dropped_too_early",
                failed("made correct water"),
            ),
            ("add-to-inbox", "compiles", Outcome::Passed),
            (
                "mini-executor",
                "does_not_busy_poll",
                Outcome::Skipped("no CPU time here".into()),
            ),
            ("mini-executor", "compiles", Outcome::Passed),
        ]);
        assert_eq!(status(&r, "echo-thread"), Status::NotStarted);
        assert_eq!(status(&r, "echo-spawn"), Status::Failed);
        assert_eq!(status(&r, "task2-struct-final"), Status::TimedOut);
        assert_eq!(status(&r, "mutex-send"), Status::DoesNotCompile);
        assert_eq!(status(&r, "task2-struct-1"), Status::FlawShown);
        assert_eq!(status(&r, "task2-struct-2"), Status::FlawNotShown);
        assert_eq!(status(&r, "echo-async-naive"), Status::NotRun);
        // A skipped check is not a failure, and is not hidden either.
        let mini = r.step("mini-executor").unwrap();
        assert_eq!(mini.status, Status::Passed);
        assert_eq!(mini.skipped().count(), 1);
        assert_eq!(mini.passed_checks(), 1);
    }

    /// A check this machine cannot make is "skipped", with its reason, in
    /// every format: never shown as a pass, never as a failure.
    #[test]
    fn a_skipped_check_shows_as_skipped_in_every_format() {
        let why = "the threads cannot be counted here: no /proc";
        let r = report(vec![
            ("echo-spawn", "one_line", Outcome::Passed),
            (
                "echo-spawn",
                "few_threads_for_300_clients",
                Outcome::Skipped(why.into()),
            ),
        ]);
        let text = text::report(&r, false);
        assert!(text.contains("passed (1 skipped)"), "{text}");
        assert!(
            text.contains(&format!("echo_spawn::few_threads_for_300_clients: {why}")),
            "{text}"
        );

        let json = json::report(&r);
        let checks = json["steps"][2]["checks"].as_array().unwrap();
        let skipped = checks
            .iter()
            .find(|c| c["name"] == "echo_spawn::few_threads_for_300_clients")
            .unwrap();
        assert_eq!(skipped["status"], "skipped");
        assert_eq!(skipped["passed"], false);
        assert_eq!(skipped["message"], why);

        let gradescope = gradescope::report(&r, "visible");
        let output = gradescope["tests"][0]["output"].as_str().unwrap();
        assert!(
            output.contains(&format!(
                "skipped: echo_spawn::few_threads_for_300_clients: {why}"
            )),
            "{output}"
        );

        let row = crate::class::sheet::row("ada", &r);
        assert!(row.last().unwrap().contains(why), "{row:?}");
    }

    #[test]
    fn points_go_to_steps_whose_every_check_passes() {
        let r = report(vec![
            ("echo-thread", "one_line", Outcome::Passed),
            ("echo-thread", "crlf_kept", Outcome::Passed),
            ("echo-spawn", "one_line", Outcome::Passed),
            (
                "echo-spawn",
                "few_threads_for_300_clients",
                Outcome::Failed(Failure::new("301 threads")),
            ),
        ]);
        let points = |name| crate::catalogue::find(name).unwrap().points();
        assert_eq!(r.score(), points("echo-thread"));
        assert_eq!(r.max_score(), points("echo-thread") + points("echo-spawn"));
        assert!(!r.graded_steps_pass());
        assert_eq!(r.first_to_fix().unwrap().step.name, "echo-spawn");
    }

    #[test]
    fn the_first_failure_shown_is_the_first_in_the_step_s_order() {
        let r = report(vec![
            (
                "echo-thread",
                "bad_port_is_one_line_and_exit_2",
                Outcome::Failed(Failure::new("panicked")),
            ),
            (
                "echo-thread",
                "one_line",
                Outcome::Failed(Failure::new("no echo")),
            ),
            (
                "echo-thread",
                "crlf_kept",
                Outcome::NotRun(
                    crate::registry::by_full_name("echo_thread::one_line")
                        .unwrap()
                        .id,
                ),
            ),
        ]);
        let first = r.steps[0].first_failure().unwrap();
        assert_eq!(first.name(), "echo_thread::one_line");
    }
}
