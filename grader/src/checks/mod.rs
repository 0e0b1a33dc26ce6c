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

pub mod add_to_inbox;
pub mod command_line;
pub mod echo;
pub mod h2o;
pub mod harness;
pub mod mini_executor;
pub mod mutex_send;

use crate::build::NotBuilt;
use crate::exec::{self, Bound, Run};
use crate::failure::{Failure, show, tail};
use crate::outcome::Pass;
use crate::registry::{Check, check};
use crate::session::Session;
use crate::target::Target;
use std::path::PathBuf;
use std::time::Duration;

/// The checks of a step, in order.
pub fn of_step(step: &'static str) -> Vec<Check> {
    match step {
        "echo-thread" | "echo-spawn" | "echo-own-runtime" => echo::graded(step),
        "echo-async-naive" => echo::demo(step),
        "task2-struct-1" | "task2-struct-2" => h2o::demo(step),
        "task2-struct-final" => h2o::graded(step),
        "add-to-inbox" => add_to_inbox::checks(step),
        "mini-executor" => mini_executor::checks(step),
        "mutex-send" => mutex_send::checks(step),
        other => panic!("the catalogue's step {other} has no checks"),
    }
}

/// The first check of every step: its file compiles.
pub fn compiles(step: &'static str) -> Check {
    check(step, "compiles", &[], |ctx| ctx.exe().map(|_| Pass::Passed))
}

/// Why a step with unsafe code is refused, and what to write instead.
const REFUSED: &str = "a step file is safe Rust, beyond the `unsafe` its starter gives (echo-own-runtime's `Poller::add`): code in `unsafe` (a raw pointer, `transmute`, an `unsafe impl` or `unsafe fn`, `#[unsafe(no_mangle)]`, assembly) could run before `main` or reach into the grader's harness, so the grader does not run it. The lesson needs none of it: std's `Wake` trait makes a waker from an `Arc`, tokio's locks have guards that are `Send`, and `self.get_mut()` reaches the fields of an `Unpin` future.";

/// What a check runs with: its session (the target and its builds) and
/// the check itself.
pub struct Ctx<'s> {
    pub session: &'s Session,
    pub check: &'static Check,
}

impl Ctx<'_> {
    pub fn step(&self) -> &'static str {
        self.check.step.name
    }

    pub fn target(&self) -> &Target {
        &self.session.target
    }

    /// The step's executable, or why there is none, as a failure.
    pub fn exe(&self) -> Result<PathBuf, Failure> {
        self.session
            .step_exe(self.step())
            .map(|exe| exe.path)
            .map_err(|why| self.not_built(why))
    }

    fn not_built(&self, why: NotBuilt) -> Failure {
        let step = self.step();
        match why {
            NotBuilt::DoesNotCompile(errors) => {
                Failure::new(format!("{step} does not compile (in {})", self.target().label))
                    .block("compiler", &errors)
                    .does_not_compile()
            }
            NotBuilt::NoFile(path) => Failure::new(format!("there is no {}", path.display()))
                .diagnose(format!(
                    "each step is one file: put {step}.rs back (`git checkout -- exercises/src/bin/{step}.rs` restores the starter)."
                ))
                .does_not_compile(),
            NotBuilt::Grader(why) => {
                Failure::new(format!("the grader could not build {step}: {why}"))
            }
            NotBuilt::Refused(why) => Failure::new(format!(
                "{step} holds code the grader does not run: {why}"
            ))
            .diagnose(REFUSED),
        }
    }

    /// Runs the step with `args` to its end, up to `limit`. A run that does
    /// not end in time is a failure that says what it printed so far.
    pub fn run(&self, args: &[&str], limit: Duration) -> Result<Ran, Failure> {
        let exe = self.exe()?;
        let shown = std::iter::once(self.step())
            .chain(args.iter().copied())
            .collect::<Vec<_>>()
            .join(" ");
        let run =
            exec::run(&exe, args, limit, Bound::OUTPUT).map_err(|e| Failure::new(e.to_string()))?;
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
pub struct Ran {
    /// Its command line, as a student would type it.
    pub shown: String,
    pub run: Run,
}

impl Ran {
    /// What it printed on stderr, as far as it was kept.
    pub fn stderr(&self) -> String {
        self.run.stderr.text()
    }

    /// Its stdout, whole; a step that printed more than the grader keeps
    /// fails, since what it printed cannot all be read.
    pub fn stdout(&self) -> Result<String, Failure> {
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
    pub fn printed(&self) -> String {
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
    pub fn succeeded(self) -> Result<Ran, Failure> {
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
    pub fn explain(&self, failure: Failure) -> Failure {
        let stderr = self.stderr();
        let f = match exec::panics(&stderr) {
            Some(panic) => failure.block("it panicked", &panic),
            None if !stderr.trim().is_empty() => failure.block("its stderr", &tail(&stderr, 10)),
            None => failure,
        };
        f.noting_todo(&stderr)
    }
}
