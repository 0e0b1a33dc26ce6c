//! The checks, one module per family, and what they share: the context a
//! check runs in, and one way to run a step and explain how it failed.
//!
//! - `echo`: the echo servers, black box, over loopback;
//! - `h2o`: the H2O steps' bond lines, and the `WaterFactory` poll by poll;
//! - `add_to_inbox`, `mini_executor`: the "under the hood" steps, black box
//!   and through their harnesses;
//! - `mutex_send`: the count under tokio's Mutex;
//! - `command_line`: the rules every step's command line follows;
//! - `harness`: the harnesses compiled around a student's file, and their
//!   verdicts.
//!
//! Each family gives the catalogue the functions that add a step's checks
//! (`echo::thread`, `h2o::graded`, ...); the catalogue names them.

pub(crate) mod add_to_inbox;
pub(crate) mod command_line;
pub(crate) mod echo;
pub(crate) mod h2o;
pub(crate) mod harness;
pub(crate) mod mini_executor;
pub(crate) mod mutex_send;

use crate::exec::{self, Bound, Run};
use crate::failure::{Failure, show, tail};
use crate::outcome::{CheckId, Pass};
use crate::step::{Checks, Ctx};
use std::time::Duration;

/// The first check of every step: its file compiles.
pub(crate) fn compiles(checks: &mut Checks) -> CheckId {
    checks.add("compiles", &[], |ctx| ctx.exe().map(|_| Pass::Passed))
}

/// Runs the step to its end, as a check does.
pub(crate) trait Runs {
    /// Runs the step with `args` to its end, up to `limit`. A run that does
    /// not end in time is a failure that says what it printed so far.
    fn run(&self, args: &[&str], limit: Duration) -> Result<Ran, Failure>;
}

impl Runs for Ctx<'_> {
    fn run(&self, args: &[&str], limit: Duration) -> Result<Ran, Failure> {
        let exe = self.exe()?;
        let shown = std::iter::once(self.name())
            .chain(args.iter().copied())
            .collect::<Vec<_>>()
            .join(" ");
        let run = exec::run(&exe, args, self.user(), limit, Bound::OUTPUT)
            .map_err(|e| Failure::new(e.to_string()))?;
        let ran = Ran { shown, run };
        if ran.run.timed_out() {
            return Err(ran.explain(
                Failure::new(format!(
                    "`{}` did not finish within {} s",
                    ran.shown,
                    limit.as_secs_f64()
                ))
                .field("printed:", ran.printed())
                .timed_out(),
            ));
        }
        Ok(ran)
    }
}

/// A step run to its end.
pub(crate) struct Ran {
    /// Its command line, as a student would type it.
    pub shown: String,
    pub run: Run,
}

impl Ran {
    /// What it printed on stderr, as far as it was kept.
    pub(crate) fn stderr(&self) -> String {
        self.run.stderr.text()
    }

    /// Its stdout, whole; a step that printed more than the grader keeps
    /// fails, since what it printed cannot all be read.
    pub(crate) fn stdout(&self) -> Result<String, Failure> {
        match self.run.stdout.whole() {
            Some(bytes) => Ok(String::from_utf8_lossy(bytes).into_owned()),
            None => Err(Failure::new(format!(
                "`{}` printed {} bytes on stdout, far more than it should",
                self.shown,
                self.run.stdout.total()
            ))
            .block(
                "the start of it",
                &tail(
                    &String::from_utf8_lossy(
                        &self.run.stdout.head()[..4096.min(self.run.stdout.head().len())],
                    ),
                    10,
                ),
            )),
        }
    }

    /// A short account of its stdout, for a message.
    pub(crate) fn printed(&self) -> String {
        let lines = String::from_utf8_lossy(self.run.stdout.head())
            .lines()
            .count();
        format!(
            "{} ({} bytes, {lines}{} lines)",
            show(&self.run.stdout.head()[..self.run.stdout.head().len().min(60)]),
            self.run.stdout.total(),
            if self.run.stdout.cut() > 0 { "+" } else { "" }
        )
    }

    /// Fails unless it exited with code 0 and nothing in it panicked.
    pub(crate) fn succeeded(self) -> Result<Ran, Failure> {
        let end = self.run.end.expect("a run that ended");
        if !end.status.success() {
            return Err(self.explain(Failure::new(format!(
                "`{}` failed ({})",
                self.shown,
                exec::describe(&end.status)
            ))));
        }
        let stderr = self.stderr();
        if exec::panics(&stderr).is_some() {
            return Err(self.explain(Failure::new(format!("`{}`: a thread panicked", self.shown))));
        }
        Ok(self)
    }

    /// Adds what its stderr tells: a panic, or its last lines; and whether it
    /// still reaches a `todo!()`.
    pub(crate) fn explain(&self, failure: Failure) -> Failure {
        let stderr = self.stderr();
        let f = match exec::panics(&stderr) {
            Some(panic) => failure.block("it panicked", &panic),
            None if !stderr.trim().is_empty() => failure.block("its stderr", &tail(&stderr, 10)),
            None => failure,
        };
        f.noting_todo(&stderr)
    }
}
