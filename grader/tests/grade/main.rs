//! Grades the steps of one crate: `exercises` by default, or the crate named
//! by `GRADE` (`solutions`, or a path). One module per step; every test is
//! named `<step>::<check>`, so `cargo test -p grader echo_spawn` grades one
//! step. Each step's bin is built once per run, on its own: a step that does
//! not compile fails only its own tests.

mod add_to_inbox;
mod echo_async_naive;
mod echo_spawn;
mod echo_thread;
mod mini_executor;
mod mutex_send;
mod task2_struct_1;
mod task2_struct_2;
mod task2_struct_final;

use grader::{Failure, Target};

/// The crate being graded.
fn target() -> Result<&'static Target, Failure> {
    grader::target::from_env()
}

/// The protocol checks every graded echo step must pass.
macro_rules! echo_protocol_tests {
    ($step:literal) => {
        #[test]
        fn one_line() -> grader::Grade {
            grader::echo::one_line(crate::target()?, $step)
        }
        #[test]
        fn several_lines_in_one_write() -> grader::Grade {
            grader::echo::several_lines_in_one_write(crate::target()?, $step)
        }
        #[test]
        fn line_split_over_writes() -> grader::Grade {
            grader::echo::line_split_over_writes(crate::target()?, $step)
        }
        #[test]
        fn empty_line() -> grader::Grade {
            grader::echo::empty_line(crate::target()?, $step)
        }
        #[test]
        fn crlf_kept() -> grader::Grade {
            grader::echo::crlf_kept(crate::target()?, $step)
        }
        #[test]
        fn every_byte_value_but_newline() -> grader::Grade {
            grader::echo::every_byte_value(crate::target()?, $step)
        }
        #[test]
        fn one_mib_line() -> grader::Grade {
            grader::echo::one_mib_line(crate::target()?, $step)
        }
        #[test]
        fn unterminated_fragment_not_echoed() -> grader::Grade {
            grader::echo::fragment_not_echoed(crate::target()?, $step)
        }
        #[test]
        fn survives_a_client_reset() -> grader::Grade {
            grader::echo::survives_a_reset(crate::target()?, $step)
        }
        #[test]
        fn loopback_only() -> grader::Grade {
            grader::echo::loopback_only(crate::target()?, $step)
        }
        #[test]
        fn logs_each_connection() -> grader::Grade {
            grader::echo::logs_connections(crate::target()?, $step)
        }
        #[test]
        fn serves_clients_concurrently() -> grader::Grade {
            grader::echo::serves_clients_concurrently(crate::target()?, $step)
        }
        #[test]
        fn serves_300_clients_at_once() -> grader::Grade {
            grader::echo::many_clients_at_once(crate::target()?, $step)
        }
        #[test]
        fn bad_port_is_one_line_and_exit_2() -> grader::Grade {
            grader::cli::bad_argument(crate::target()?, $step, "PORT", &["abc", "70000", "-1"])
        }
        #[test]
        fn taken_port_is_one_line_and_exit_1() -> grader::Grade {
            grader::cli::taken_port(crate::target()?, $step)
        }
    };
}
use echo_protocol_tests;
