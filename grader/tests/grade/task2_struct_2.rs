//! task2-struct-2 (demo): the slide's Step 5 with `let _ =`.
//! Its test passes when the flaw shows: a molecule that is not H2O.

use grader::Grade;

#[test]
fn permit_dropped_too_early() -> Grade {
    let shown = grader::h2o::shows_wrong_molecules(crate::target()?, "task2-struct-2", 100, 10)?;
    println!(
        "{shown}\nWhy: `let _ =` drops the permit on the spot, so the semaphores let every atom through."
    );
    Ok(())
}

#[test]
fn bad_n_is_one_line_and_exit_2() -> Grade {
    grader::cli::bad_argument(crate::target()?, "task2-struct-2", "N", &["abc", "-3"])
}
