//! echo-async-naive (demo): the slide's "What's wrong with this code?".
//! Its tests pass when the flaw shows: one client is served at a time.

use grader::Grade;

#[test]
fn echoes_a_line() -> Grade {
    grader::echo::one_line(crate::target()?, "echo-async-naive")
}

#[test]
fn serves_one_client_at_a_time() -> Grade {
    let shown = grader::echo::serves_one_client_at_a_time(crate::target()?, "echo-async-naive")?;
    println!(
        "{shown}\nWhy: main awaits handle_client before it accepts again; there is one task, busy with A."
    );
    Ok(())
}

#[test]
fn bad_port_is_one_line_and_exit_2() -> Grade {
    grader::cli::bad_argument(
        crate::target()?,
        "echo-async-naive",
        "PORT",
        &["abc", "70000"],
    )
}

#[test]
fn taken_port_is_one_line_and_exit_1() -> Grade {
    grader::cli::taken_port(crate::target()?, "echo-async-naive")
}
