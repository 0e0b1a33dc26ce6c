//! How a check came out, typed: what the report, the test output, the batch
//! sheet and the self-check all read, and nothing of it is read back from text.

use crate::failure::{Failure, Kind};

/// What a check's code says: it passed (a demo's pass says what it showed),
/// it could not run here, or it failed.
pub type Verdict = Result<Pass, Failure>;

/// A check that did not fail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pass {
    Passed,
    /// A demo's check: the slide's flaw showed, as described.
    Shown(String),
    /// This machine cannot tell (no way to count threads, say): why.
    Skipped(String),
}

/// How a check came out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Passed,
    /// A demo's check passed, having shown the slide's flaw.
    Shown(String),
    Failed(Failure),
    TimedOut(Failure),
    NotStarted(Failure),
    DoesNotCompile(Failure),
    /// The check cannot run on this machine; why. Never a pass.
    Skipped(String),
    /// A check it needs did not pass: that check's full name.
    NotRun(String),
}

impl From<Verdict> for Outcome {
    fn from(verdict: Verdict) -> Outcome {
        match verdict {
            Ok(Pass::Passed) => Outcome::Passed,
            Ok(Pass::Shown(what)) => Outcome::Shown(what),
            Ok(Pass::Skipped(why)) => Outcome::Skipped(why),
            Err(f) => match f.kind {
                Kind::Wrong => Outcome::Failed(f),
                Kind::TimedOut => Outcome::TimedOut(f),
                Kind::NotStarted => Outcome::NotStarted(f),
                Kind::DoesNotCompile => Outcome::DoesNotCompile(f),
            },
        }
    }
}

impl Outcome {
    /// Whether it passed: a skipped or not-run check did not.
    pub fn passed(&self) -> bool {
        matches!(self, Outcome::Passed | Outcome::Shown(_))
    }

    /// Whether it failed: its failure is the student's to fix.
    pub fn failed(&self) -> bool {
        self.failure().is_some()
    }

    pub fn failure(&self) -> Option<&Failure> {
        match self {
            Outcome::Failed(f)
            | Outcome::TimedOut(f)
            | Outcome::NotStarted(f)
            | Outcome::DoesNotCompile(f) => Some(f),
            _ => None,
        }
    }

    /// The same outcome with its failure, if any, changed by `change`.
    pub fn map_failure(self, change: impl FnOnce(Failure) -> Failure) -> Outcome {
        match self {
            Outcome::Failed(f) => Outcome::Failed(change(f)),
            Outcome::TimedOut(f) => Outcome::TimedOut(change(f)),
            Outcome::NotStarted(f) => Outcome::NotStarted(change(f)),
            Outcome::DoesNotCompile(f) => Outcome::DoesNotCompile(change(f)),
            other => other,
        }
    }

    /// The name in the JSON formats.
    pub fn key(&self) -> &'static str {
        match self {
            Outcome::Passed | Outcome::Shown(_) => "passed",
            Outcome::Failed(_) => "failed",
            Outcome::TimedOut(_) => "timed_out",
            Outcome::NotStarted(_) => "not_started",
            Outcome::DoesNotCompile(_) => "does_not_compile",
            Outcome::Skipped(_) => "skipped",
            Outcome::NotRun(_) => "not_run",
        }
    }

    /// The name in the text report.
    pub fn words(&self) -> &'static str {
        match self {
            Outcome::Passed | Outcome::Shown(_) => "passed",
            Outcome::Failed(_) => "failed",
            Outcome::TimedOut(_) => "timed out",
            Outcome::NotStarted(_) => "not started",
            Outcome::DoesNotCompile(_) => "does not compile",
            Outcome::Skipped(_) => "skipped",
            Outcome::NotRun(_) => "not run",
        }
    }

    /// Why a check was skipped or not run, in a line.
    pub fn reason(&self) -> Option<String> {
        match self {
            Outcome::Skipped(why) => Some(why.clone()),
            Outcome::NotRun(first) => Some(format!("fix {first} first")),
            _ => None,
        }
    }
}
