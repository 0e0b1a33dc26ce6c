//! mutex-send: the slide's "Extra: sending data in tokio", made to compile.

use grader::Grade;

const STEP: &str = "mutex-send";

/// The starter does not compile; this test shows the compiler's error and a hint.
#[test]
fn compiles() -> Grade {
    grader::compile::step_bin(crate::target()?, STEP).map(drop)
}

#[test]
fn counts_1000_tasks() -> Grade {
    grader::count::counts_every_task(crate::target()?, STEP, Some(1000))
}

#[test]
fn counts_10_tasks_by_default() -> Grade {
    grader::count::counts_every_task(crate::target()?, STEP, None)
}

#[test]
fn bad_tasks_is_one_line_and_exit_2() -> Grade {
    grader::cli::bad_argument(crate::target()?, STEP, "TASKS", &["abc", "-1"])
}
