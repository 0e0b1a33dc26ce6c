//! How a check came out, typed: what the report, the test output, the batch
//! sheet and the self-check all read, and nothing of it is read back from text.

use crate::failure::{Detail, Failure, Kind};
use serde_json::{Value, json};

/// A check's place in the registry, the order of the report and of the
/// tests: how a check names another (what it needs, what to fix first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CheckId(pub usize);

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
    /// A check it needs did not pass: that check.
    NotRun(CheckId),
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
    pub(crate) fn map_failure(self, change: impl FnOnce(Failure) -> Failure) -> Outcome {
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
}

/// Outcomes as JSON, to cross from a sandboxed grading to the grader that
/// reports it: every field of a failure, nothing read back from text.
impl Outcome {
    pub(crate) fn to_json(&self) -> Value {
        let failure = |f: &Failure| {
            json!({
                "kind": match f.kind {
                    Kind::Wrong => "wrong",
                    Kind::TimedOut => "timed_out",
                    Kind::NotStarted => "not_started",
                    Kind::DoesNotCompile => "does_not_compile",
                },
                "headline": f.headline,
                "details": f.details.iter().map(|d| match d {
                    Detail::Field { label, value } => json!({"field": [label, value]}),
                    Detail::Block { title, text } => json!({"block": [title, text]}),
                }).collect::<Vec<_>>(),
                "diagnosis": f.diagnosis,
            })
        };
        match self {
            Outcome::Passed => json!({"passed": null}),
            Outcome::Shown(what) => json!({"shown": what}),
            Outcome::Skipped(why) => json!({"skipped": why}),
            Outcome::NotRun(first) => json!({"not_run": first.0}),
            o => json!({"failed": failure(o.failure().expect("a failure"))}),
        }
    }

    pub(crate) fn from_json(value: &Value) -> Option<Outcome> {
        let text = |v: &Value| v.as_str().map(str::to_string);
        if value.get("passed").is_some() {
            return Some(Outcome::Passed);
        }
        if let Some(what) = value.get("shown") {
            return text(what).map(Outcome::Shown);
        }
        if let Some(why) = value.get("skipped") {
            return text(why).map(Outcome::Skipped);
        }
        if let Some(first) = value.get("not_run") {
            return first
                .as_u64()
                .map(|id| Outcome::NotRun(CheckId(id as usize)));
        }
        let f = value.get("failed")?;
        let mut failure = Failure::new(text(&f["headline"])?);
        for detail in f["details"].as_array()? {
            let pair = |key: &str| -> Option<(String, String)> {
                let p = detail.get(key)?.as_array()?;
                Some((text(p.first()?)?, text(p.get(1)?)?))
            };
            if let Some((label, value)) = pair("field") {
                failure = failure.field(&label, value);
            } else if let Some((title, body)) = pair("block") {
                failure = failure.block(&title, &body);
            }
        }
        failure.diagnosis = text(&f["diagnosis"]);
        failure.kind = match f["kind"].as_str()? {
            "timed_out" => Kind::TimedOut,
            "not_started" => Kind::NotStarted,
            "does_not_compile" => Kind::DoesNotCompile,
            _ => Kind::Wrong,
        };
        Some(Outcome::from(Err(failure)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_outcome_crosses_as_json_unchanged() {
        let failure = Failure::new("no echo")
            .field("sent:", "\"hi\\n\"")
            .block("its stderr", "line 1\nline 2")
            .diagnose("a precise word")
            .timed_out();
        for outcome in [
            Outcome::Passed,
            Outcome::Shown("h0 h1 h2".into()),
            Outcome::Skipped("no /proc".into()),
            Outcome::NotRun(CheckId(2)),
            Outcome::Failed(Failure::new("x")),
            Outcome::TimedOut(failure),
            Outcome::NotStarted(Failure::new("y").noting_todo("not yet implemented")),
            Outcome::DoesNotCompile(Failure::new("z").does_not_compile()),
        ] {
            let back = Outcome::from_json(&outcome.to_json());
            assert_eq!(back.as_ref(), Some(&outcome));
        }
    }
}
