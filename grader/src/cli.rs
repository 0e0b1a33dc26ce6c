//! The command-line rules every step follows: a bad number is one line and
//! exit 2; a taken port is one line naming the address and exit 1.

use crate::compile::step_bin;
use crate::failure::{Failure, Grade, show, tail};
use crate::process::{deadline, describe, run};
use crate::target::Target;
use std::net::TcpListener;

/// Runs the step with each bad argument: every run must exit 2 with one
/// line on stderr that names the value, and no panic.
pub fn bad_argument(target: &Target, step: &str, name: &str, bad_values: &[&str]) -> Grade {
    let exe = step_bin(target, step)?;
    let hint = format!(
        "parse {name} without `unwrap()`: on a bad value print one line naming it and the expected form, then `std::process::exit(2)`."
    );
    for bad in bad_values {
        let finished = run(&exe, &[bad], deadline())?.map_err(|_| {
            Failure::new(format!("`{step} {bad}` did not end in time"))
                .timed_out()
                .field("expected:", "exit code 2 at once")
                .hint(&hint)
        })?;
        let stderr = finished.stderr.trim_end();
        let problem = if finished.status.code() != Some(2) {
            Some(format!("it ended with {}", describe(&finished.status)))
        } else if stderr.contains("panicked") {
            Some("it panicked".to_string())
        } else if stderr.lines().count() != 1 {
            Some(format!(
                "it printed {} lines on stderr",
                stderr.lines().count()
            ))
        } else if !stderr.contains(bad) {
            Some("its message does not name the bad value".to_string())
        } else {
            None
        };
        if let Some(problem) = problem {
            return Err(Failure::new(format!("`{step} {bad}`: {problem}"))
                .field(
                    "expected:",
                    format!("exit code 2 and one line on stderr naming {bad:?}"),
                )
                .field("got:", describe(&finished.status))
                .block("its stderr", &tail(stderr, 10))
                .hint(&hint));
        }
        if !finished.stdout.is_empty() {
            return Err(Failure::new(format!("`{step} {bad}` printed on stdout"))
                .field("stdout:", show(&finished.stdout))
                .hint("a bad argument stops the step before it starts: nothing on stdout."));
        }
    }
    Ok(())
}

/// Runs the step on a port that is already taken: it must exit 1 with one
/// line that names the address.
pub fn taken_port(target: &Target, step: &str) -> Grade {
    let exe = step_bin(target, step)?;
    let holder = TcpListener::bind(("127.0.0.1", 0))
        .map_err(|e| Failure::new(format!("cannot take a port for this check: {e}")))?;
    let addr = holder
        .local_addr()
        .map_err(|e| Failure::new(format!("cannot read the taken port: {e}")))?;
    let port = addr.port().to_string();
    let hint = "when `bind` fails, print one line naming the address (`cannot listen on 127.0.0.1:<port>: ...`) and `std::process::exit(1)`.";
    let finished = run(&exe, &[&port], deadline())?.map_err(|_| {
        Failure::new(format!(
            "`{step} {port}` on a taken port did not end in time"
        ))
        .timed_out()
        .field(
            "expected:",
            format!("exit code 1 and one line naming {addr}"),
        )
        .hint(hint)
    })?;
    drop(holder);
    let stderr = finished.stderr.trim_end();
    if finished.status.code() != Some(1)
        || stderr.lines().count() != 1
        || !stderr.contains(&addr.to_string())
    {
        return Err(Failure::new(format!("`{step} {port}` on a taken port"))
            .field(
                "expected:",
                format!("exit code 1 and one line naming {addr}"),
            )
            .field("got:", describe(&finished.status))
            .block("its stderr", &tail(stderr, 10))
            .hint(hint));
    }
    Ok(())
}
