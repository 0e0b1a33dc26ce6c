//! echo-thread: a line echo server, one OS thread per client.

crate::echo_protocol_tests!("echo-thread");
