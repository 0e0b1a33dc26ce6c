//! The grader of the async-Rust tutorial's steps.
//!
//! Black-box first: a check builds one step's bin, runs it as a process, and
//! talks to it over loopback or reads what it prints. Where the inside
//! matters (a `WaterFactory`, a hand-written future, an executor), a harness
//! compiled around a copy of the student's file polls it step by step. The
//! tests in `tests/grade` call these checks, one test per check, named
//! `<step>::<check>`; the report (`src/main.rs`) runs those tests.

pub mod batch;
pub mod cli;
pub mod client;
pub mod compile;
pub mod count;
pub mod echo;
pub mod edits;
pub mod failure;
pub mod generated;
pub mod h2o;
pub mod harness;
pub mod machine;
pub mod process;
pub mod report;
pub mod runner;
pub mod steps;
pub mod target;
pub mod threads;
pub mod watch;

pub use failure::{Failure, Grade};
pub use target::Target;
