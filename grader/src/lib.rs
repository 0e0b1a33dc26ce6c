//! The grader of the async-Rust tutorial's steps.
//!
//! Black box first: a check builds a step's bin, runs it as a process, and
//! talks to it over loopback or reads what it prints. Where the inside
//! matters (a `WaterFactory`, a hand-written future, an executor), a harness
//! compiled around a copy of the student's file polls it step by step.
//!
//! The layers, from the bottom up; each uses the ones below it, never one
//! above (a test keeps it so):
//! - the vocabulary: `error` (the grader's one error type), `failure` and
//!   `outcome` (what a check says, typed), `target` (what is graded),
//!   `settings` (what the environment says, read once), `protocol` (what a
//!   harness says to the grader);
//! - `exec/`: the student's programs as processes the grader controls;
//!   `build/`: cargo, and the small crates the grader writes itself;
//! - `step`: what a step and a check are, and what a check runs with;
//! - `checks/`: the checks' code, one module per family;
//! - `catalogue`: the tutorial's steps, one entry each, all that is
//!   particular to a step; `registry`: every check, from the catalogue, in
//!   each step's order; `hints`: each check's three levels;
//! - `session`: one grading of one target, its builds and its outcomes,
//!   the checks run side by side, each once what it needs has passed;
//! - `report/`: the outcomes as text, JSON, Gradescope's and libtest's;
//! - `app/`: `cargo run -p grader`'s options, the grade tests' runner,
//!   watch mode, hints, editions; `class/`: grading a class, or one
//!   submission, in the sandboxes; `edits`: the self-check's mutants and
//!   variants.
//!
//! The grade tests (`tests/grade`) list the registry as tests named
//! `<step>::<check>`; the report runs the same registry in its own process.

pub mod app;
pub mod build;
pub mod catalogue;
pub(crate) mod checks;
pub mod class;
pub mod edits;
pub mod error;
pub mod exec;
pub mod failure;
pub(crate) mod hints;
#[cfg(test)]
mod layout;
pub mod outcome;
/// What a harness and the grader say to each other, compiled into both (the
/// grader writes no verdicts but in its tests).
#[path = "../harness/protocol.rs"]
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) mod protocol;
pub mod registry;
pub mod report;
pub mod session;
pub mod settings;
pub mod step;
pub mod target;

pub use failure::Failure;
pub use outcome::{Outcome, Pass, Verdict};
pub use target::Target;
