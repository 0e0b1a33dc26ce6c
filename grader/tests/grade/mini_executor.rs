//! mini-executor: an executor, a waker and a timer reactor on std alone.

use grader::Grade;

const STEP: &str = "mini-executor";

#[test]
fn runs_1000_sleeping_tasks() -> Grade {
    grader::machine::runs_sleeping_tasks(crate::target()?, STEP)
}

/// While every task sleeps, the process must sleep too.
#[test]
fn does_not_busy_poll() -> Grade {
    grader::machine::does_not_busy_poll(crate::target()?, STEP)
}

#[test]
fn runs_a_ready_future() -> Grade {
    grader::harness::check(crate::target()?, STEP, Some("runs_a_ready_future"))
}

#[test]
fn wakes_from_another_thread() -> Grade {
    grader::harness::check(crate::target()?, STEP, Some("wakes_from_another_thread"))
}

#[test]
fn joins_spawned_tasks() -> Grade {
    grader::harness::check(crate::target()?, STEP, Some("joins_spawned_tasks"))
}

#[test]
fn spawns_from_inside_a_task() -> Grade {
    grader::harness::check(crate::target()?, STEP, Some("spawns_from_inside_a_task"))
}

#[test]
fn bad_arguments_are_one_line_and_exit_2() -> Grade {
    grader::cli::bad_argument(crate::target()?, STEP, "TASKS", &["abc", "-1"])
}
