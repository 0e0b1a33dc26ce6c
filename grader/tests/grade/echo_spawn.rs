//! echo-spawn: a line echo server, one tokio task per client.

crate::echo_protocol_tests!("echo-spawn");

/// What tells tasks from threads: 300 clients on a handful of OS threads.
#[test]
fn few_threads_for_300_clients() -> grader::Grade {
    grader::echo::few_threads_for_many_clients(crate::target()?, "echo-spawn")
}
