//! task2-struct-1 (demo): the slide's Step 4, with no `.await`.
//! Its test passes when the flaw shows: a molecule that is not H2O.

use grader::Grade;

#[test]
fn atoms_bond_without_waiting() -> Grade {
    let shown = grader::h2o::shows_wrong_molecules(crate::target()?, "task2-struct-1", 100, 10)?;
    println!(
        "{shown}\nWhy: acquire() and wait() build futures that are never awaited, so no atom waits."
    );
    Ok(())
}

#[test]
fn bad_n_is_one_line_and_exit_2() -> Grade {
    grader::cli::bad_argument(crate::target()?, "task2-struct-1", "N", &["abc", "-3"])
}
