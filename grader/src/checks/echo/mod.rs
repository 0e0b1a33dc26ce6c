//! Black-box checks of the echo steps: each starts the step's server on a
//! free port and talks to it over loopback, as `nc` would.
//!
//! Concurrency is checked by events, never by timing: "B's echo arrives while
//! A is still connected", not "B is answered within 50 ms".
//!
//! - `server`: the step's server as the checks meet it, and its clients;
//! - `lines`: what it echoes, and what it must not;
//! - `clients`: clients side by side, many of them, and the demo that serves
//!   one at a time.

mod clients;
mod lines;
mod server;

use server::Server;

use super::{command_line, compiles, harness};
use crate::outcome::Pass;
use crate::step::Checks;

const LISTENING: &str = "Listening on ";
const ACCEPTED: &str = "Accepted connection";
const ENDED: &str = "Connection ended";

/// What serves the clients of a graded echo step.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Runtime {
    /// A thread per client (echo-thread).
    Threads,
    /// tokio, a task per client (echo-spawn).
    Tokio,
    /// An executor and a reactor of the student's own (echo-own-runtime),
    /// with a harness that drives the reactor by hand.
    Own,
}

/// The checks of echo-thread.
pub(crate) fn thread(checks: &mut Checks) {
    graded(checks, Runtime::Threads);
}

/// The checks of echo-spawn.
pub(crate) fn spawn(checks: &mut Checks) {
    graded(checks, Runtime::Tokio);
}

/// The checks of echo-own-runtime.
pub(crate) fn own_runtime(checks: &mut Checks) {
    graded(checks, Runtime::Own);
}

/// The checks of a graded echo step.
fn graded(checks: &mut Checks, runtime: Runtime) {
    let own = runtime == Runtime::Own;
    let compiles = compiles(checks);
    let starts = checks.add("starts", &[compiles], |ctx| {
        Server::start(ctx).map(|_| Pass::Passed)
    });
    // The step's own reactor, driven by hand, before it serves anyone: it
    // says which poll went wrong where a client would only see no echo.
    let mut first = starts;
    if own {
        for name in [
            "a_ready_socket_wakes_only_its_task",
            "wakes_the_waker_of_the_latest_poll",
            "sockets_ready_together_wake_every_task",
            "keeps_waking_after_thousands_of_events",
            "a_socket_ready_as_it_is_armed_wakes_its_task",
        ] {
            first = harness::case(checks, name, &[first]);
        }
    }
    let one_line = checks.add("one_line", &[first], lines::one_line);
    // A write future driven by hand says which poll went wrong, where a
    // client would only see a long echo come back wrong.
    let long_line_needs = if own {
        harness::case(
            checks,
            "a_write_waits_again_after_a_partial_write",
            &[one_line],
        )
    } else {
        one_line
    };
    checks.add(
        "several_lines_in_one_write",
        &[one_line],
        lines::several_lines_in_one_write,
    );
    checks.add(
        "line_split_over_writes",
        &[one_line],
        lines::line_split_over_writes,
    );
    checks.add("empty_line", &[one_line], lines::empty_line);
    checks.add("crlf_kept", &[one_line], lines::crlf_kept);
    checks.add(
        "every_byte_value_but_newline",
        &[one_line],
        lines::every_byte_value,
    );
    checks.add("one_mib_line", &[long_line_needs], lines::one_mib_line);
    checks.add(
        "unterminated_fragment_not_echoed",
        &[one_line],
        lines::fragment_not_echoed,
    );
    checks.add("loopback_only", &[starts], clients::loopback_only);
    let concurrently = checks.add(
        "serves_clients_concurrently",
        &[one_line],
        clients::serves_clients_concurrently,
    );
    let logs = checks.add(
        "logs_each_connection",
        &[concurrently],
        clients::logs_connections,
    );
    // It knows what the server did of a reset client from its log.
    checks.add(
        "survives_a_client_reset",
        &[logs],
        clients::survives_a_reset,
    );
    let many = checks.add(
        "serves_300_clients_at_once",
        &[concurrently],
        clients::serves_many_clients_at_once,
    );
    checks.add(
        "serves_1000_clients_one_after_another",
        &[one_line],
        clients::serves_clients_one_after_another,
    );
    if runtime != Runtime::Threads {
        checks.add(
            "few_threads_for_300_clients",
            &[many],
            clients::few_threads_for_many_clients,
        );
    }
    if own {
        checks.add(
            "quiet_clients_cost_no_cpu",
            &[many],
            clients::quiet_clients_cost_no_cpu,
        );
        harness::case(checks, "a_dropped_socket_leaves_the_reactor", &[one_line]);
    }
    command_line::bad_argument(
        checks,
        "bad_port_is_one_line_and_exit_2",
        &["abc", "70000", "65536", "-1"],
        compiles,
    );
    command_line::taken_port(checks, compiles);
}

/// The demo of one client at a time (echo-async-naive).
pub(crate) fn naive(checks: &mut Checks) {
    let compiles = compiles(checks);
    let starts = checks.add("starts", &[compiles], |ctx| {
        Server::start(ctx).map(|_| Pass::Passed)
    });
    let echoes = checks.add("echoes_a_line", &[starts], lines::one_line);
    checks.add(
        "serves_one_client_at_a_time",
        &[echoes],
        clients::serves_one_client_at_a_time,
    );
    command_line::bad_argument(
        checks,
        "bad_port_is_one_line_and_exit_2",
        &["abc", "70000"],
        compiles,
    );
    command_line::taken_port(checks, compiles);
}
