//! add-to-inbox: the slide's async fn, desugared by hand into a state machine.

use grader::Grade;

const STEP: &str = "add-to-inbox";

/// The step's own demo: both columns agree in every scenario.
#[test]
fn prints_the_same_results_as_the_async_fn() -> Grade {
    grader::machine::same_columns(crate::target()?, STEP)
}

#[test]
fn same_results_as_the_async_fn() -> Grade {
    grader::harness::check(crate::target()?, STEP, Some("same_results_as_the_async_fn"))
}

#[test]
fn pending_until_the_database_answers() -> Grade {
    grader::harness::check(
        crate::target()?,
        STEP,
        Some("pending_until_the_database_answers"),
    )
}

#[test]
fn panics_when_polled_after_completion() -> Grade {
    grader::harness::check(
        crate::target()?,
        STEP,
        Some("panics_when_polled_after_completion"),
    )
}
