//! The command-line rules every step follows: a bad number is one line and
//! exit 2; a taken port is one line naming the address and exit 1.

use super::Runs;
use crate::exec;
use crate::failure::{Failure, show, tail};
use crate::outcome::{CheckId, Pass};
use crate::step::{Checks, Ctx};
use std::net::TcpListener;

/// Runs the step with each bad value of its argument (`PORT`, `N`): every
/// run must exit 2 at once, with one line on stderr that names the value,
/// and no panic.
pub(crate) fn bad_argument(
    checks: &mut Checks,
    name: &'static str,
    bad_values: &'static [&'static str],
    compiles: CheckId,
) -> CheckId {
    checks.add(name, &[compiles], move |ctx| {
        for bad in bad_values {
            one_bad_value(ctx, bad)?;
        }
        Ok(Pass::Passed)
    })
}

fn one_bad_value(ctx: &Ctx, bad: &str) -> Result<(), Failure> {
    let ran = ctx
        .run(&[bad], ctx.deadline())
        .map_err(|f| f.field("expected:", "exit code 2 at once"))?;
    let end = ran.run.end.expect("a run that ended");
    let stderr = ran.stderr();
    let stderr = stderr.trim_end();
    let problem = one_line_exit(&end.status, stderr, 2, bad, "the bad value");
    if let Some(problem) = problem {
        return Err(Failure::new(format!("`{}`: {problem}", ran.shown))
            .field(
                "expected:",
                format!("exit code 2 and one line on stderr naming {bad:?}"),
            )
            .field("got:", exec::describe(&end.status))
            .block("its stderr", &tail(stderr, 10))
            .noting_todo_before_main_s_work(stderr));
    }
    if ran.run.stdout.total() > 0 {
        return Err(Failure::new(format!("`{}` printed on stdout", ran.shown))
            .field("stdout:", show(ran.run.stdout.head()))
            .diagnose("a bad argument stops the step before it starts: nothing on stdout."));
    }
    Ok(())
}

/// Runs the step on a port that is already taken: it must exit 1 with one
/// line that names the address.
pub(crate) fn taken_port(checks: &mut Checks, compiles: CheckId) -> CheckId {
    checks.add("taken_port_is_one_line_and_exit_1", &[compiles], |ctx| {
        let holder = TcpListener::bind(("127.0.0.1", 0))
            .map_err(|e| Failure::new(format!("cannot take a port for this check: {e}")))?;
        let addr = holder
            .local_addr()
            .map_err(|e| Failure::new(format!("cannot read the taken port: {e}")))?;
        let port = addr.port().to_string();
        let expected = format!("exit code 1 and one line naming {addr}");
        let ran = ctx
            .run(&[&port], ctx.deadline())
            .map_err(|f| f.field("expected:", &expected))?;
        drop(holder);
        let end = ran.run.end.expect("a run that ended");
        let stderr = ran.stderr();
        let stderr = stderr.trim_end();
        let addr = addr.to_string();
        let problem = one_line_exit(&end.status, stderr, 1, &addr, &addr);
        if let Some(problem) = problem {
            return Err(
                Failure::new(format!("`{}` on a taken port: {problem}", ran.shown))
                    .field("expected:", expected)
                    .block("its stderr", &tail(stderr, 10))
                    .noting_todo_before_main_s_work(stderr),
            );
        }
        Ok(Pass::Passed)
    })
}

/// What is wrong with a run that should have ended with `code` and one line
/// on stderr holding `named` (called `what` in the message), if anything.
fn one_line_exit(
    status: &std::process::ExitStatus,
    stderr: &str,
    code: i32,
    named: &str,
    what: &str,
) -> Option<String> {
    if status.code() != Some(code) {
        Some(format!("it ended with {}", exec::describe(status)))
    } else if stderr.contains("panicked") {
        Some("it panicked".to_string())
    } else if stderr.lines().count() != 1 {
        Some(format!(
            "it printed {} lines on stderr",
            stderr.lines().count()
        ))
    } else if !stderr.contains(named) {
        Some(format!("its message does not name {what}"))
    } else {
        None
    }
}
