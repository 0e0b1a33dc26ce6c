//! mutex-send: every task adds one under the lock, and the count says so.

use super::{Runs, command_line, harness};
use crate::failure::{Failure, show};
use crate::outcome::{Pass, Verdict};
use crate::step::{Checks, Ctx};
use std::time::Duration;

pub(crate) fn checks(checks: &mut Checks) {
    let compiles = checks.add("compiles", &[], compiles);
    let holds = harness::case(checks, "holds_the_lock_across_the_await", &[compiles]);
    harness::case(checks, "waits_for_the_lock_without_spinning", &[holds]);
    let counts = checks.add("counts_10_tasks_by_default", &[holds], |ctx| {
        counts_every_task(ctx, None, ctx.deadline())
    });
    checks.add("counts_1000_tasks", &[counts], |ctx| {
        counts_every_task(ctx, Some(1000), ctx.run_deadline())
    });
    command_line::bad_argument(
        checks,
        "bad_tasks_is_one_line_and_exit_2",
        &["abc", "-1"],
        compiles,
    );
}

/// The slide's compile error, the lesson of this step.
const SEND_ERROR: &str = "cannot be sent between threads safely";

/// The starter's error is the slide's; its hint explains it. Any other
/// error is the student's own, and that hint would mislead.
fn compiles(ctx: &Ctx) -> Verdict {
    ctx.exe().map(|_| Pass::Passed).map_err(|f| {
        let lesson = f.message().contains(SEND_ERROR);
        if f.kind != crate::failure::Kind::DoesNotCompile || lesson {
            return f;
        }
        f.diagnose("this is not the slide's error (\"future cannot be sent between threads safely\"), but one of your own: fix the first error the compiler shows. The features the workspace gives tokio and futures are in Cargo.toml.")
    })
}

/// Runs the step with TASKS tasks: it must print `count = <TASKS>` and exit 0.
fn counts_every_task(ctx: &Ctx, tasks: Option<usize>, limit: Duration) -> Verdict {
    let arg = tasks.map(|t| t.to_string());
    let args: Vec<&str> = arg.iter().map(String::as_str).collect();
    let ran = ctx.run(&args, limit).map_err(|f| {
        f.diagnose("a task that waits for a lock it already holds, or for a lock nobody releases, waits forever.")
    })?;
    let expected = format!("count = {}\n", tasks.unwrap_or(10));
    let end = ran.run.end.expect("a run that ended");
    if end.status.success() && ran.run.stdout.whole() == Some(expected.as_bytes()) {
        return Ok(Pass::Passed);
    }
    let mut failure = Failure::new(format!("`{}` did not count every task", ran.shown))
        .field("expected:", show(expected.as_bytes()))
        .field(
            "got:",
            format!(
                "{} and {}",
                show(ran.run.stdout.head()),
                crate::exec::describe(&end.status)
            ),
        );
    // The harness saw `foo` hold the lock across its await: a count that
    // is off is main's doing, or `bar`'s.
    let printed = String::from_utf8_lossy(ran.run.stdout.head())
        .lines()
        .find_map(|l| l.strip_prefix("count = ")?.trim().parse::<usize>().ok());
    let tasks = tasks.unwrap_or(10);
    match printed {
        Some(n) if n < tasks => {
            failure = failure.diagnose(format!(
                "{n} of {tasks} updates were counted: main printed the count before every task had run (the tasks were never joined: the slide awaits every handle, with `join_all`, before it prints), or the tasks did not share one state (each was given a new `Arc` of its own, not a clone of the one main prints), or a `foo` did not add one."
            ));
        }
        Some(n) if n > tasks => {
            failure = failure.diagnose(format!(
                "{n} updates for {tasks} tasks: each `foo` adds exactly one (the slide's `bar`), and main spawns exactly TASKS tasks."
            ));
        }
        _ => {}
    }
    Err(ran.explain(failure))
}
