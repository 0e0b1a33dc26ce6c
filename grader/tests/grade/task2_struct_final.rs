//! task2-struct-final: the slide's correct WaterFactory.

use grader::Grade;

const STEP: &str = "task2-struct-final";

/// A thousand molecules, several times: a flawed factory shows sooner or later.
#[test]
fn makes_1000_molecules_of_water() -> Grade {
    grader::h2o::makes_water(crate::target()?, STEP, 1000, 5)
}

#[test]
fn makes_10_molecules_by_default() -> Grade {
    grader::h2o::default_is_ten(crate::target()?, STEP)
}

#[test]
fn bad_n_is_one_line_and_exit_2() -> Grade {
    grader::cli::bad_argument(crate::target()?, STEP, "N", &["abc", "-3", "1.5"])
}

/// Polls the factory's futures by hand in chosen orders: catches, on every
/// run, what a run of threads catches only when they interleave badly.
#[test]
fn factory_polled_step_by_step() -> Grade {
    grader::harness::check(crate::target()?, STEP, None)
}
