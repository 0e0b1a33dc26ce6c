//! Black-box check of mutex-send: every task adds one under the lock.

use crate::compile::step_bin;
use crate::failure::{Failure, Grade, show, tail};
use crate::process::{describe, panics, run, run_deadline};
use crate::steps;
use crate::target::Target;

/// Runs the step with TASKS tasks: it must print `count = <TASKS>` and exit 0.
pub fn counts_every_task(target: &Target, step: &str, tasks: Option<usize>) -> Grade {
    let exe = step_bin(target, step)?;
    let hint = steps::find(step).map_or("", |s| s.hint);
    let arg = tasks.map(|t| t.to_string());
    let args: Vec<&str> = arg.iter().map(String::as_str).collect();
    let expected_count = tasks.unwrap_or(10);
    let shown_cmd = format!("{step} {}", args.join(" ")).trim_end().to_string();
    let limit = run_deadline();
    let finished = run(&exe, &args, limit)?.map_err(|_| {
        Failure::new(format!("`{shown_cmd}` did not finish within {} s", limit.as_secs()))
            .timed_out()
            .hint("a task that waits for a lock it already holds, or for a lock nobody releases, waits forever.")
    })?;
    let expected = format!("count = {expected_count}\n");
    if finished.status.success() && finished.stdout == expected.as_bytes() {
        return Ok(());
    }
    let mut f = Failure::new(format!("`{shown_cmd}` did not count every task"))
        .field("expected:", show(expected.as_bytes()))
        .field(
            "got:",
            format!(
                "{} and {}",
                show(&finished.stdout),
                describe(&finished.status)
            ),
        );
    f = f.noting_todo(&finished.stderr);
    if let Some(panic) = panics(&finished.stderr) {
        f = f.block("it panicked", &panic);
    } else if !finished.stderr.trim().is_empty() {
        f = f.block("its stderr", &tail(&finished.stderr, 10));
    }
    Err(f.hint(hint))
}
