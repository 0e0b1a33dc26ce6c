//! mini-executor: an executor, a waker and a timer reactor on std alone.
//! The harness drives `block_on` and `spawn` on threads with deadlines; the
//! bin's own run sleeps a thousand tasks, and its CPU time shows whether the
//! executor parks or spins while they sleep.

use super::{Ctx, command_line, compiles, harness};
use crate::exec::deadline;
use crate::failure::{Failure, tail};
use crate::outcome::{Pass, Verdict};
use crate::registry::{Check, check};

pub fn checks(step: &'static str) -> Vec<Check> {
    let harnessed = |name, needs| harness::case(step, name, needs);
    vec![
        compiles(step),
        harnessed("runs_a_ready_future", &["compiles"]),
        harnessed(
            "polls_again_a_task_that_wakes_itself",
            &["runs_a_ready_future"],
        ),
        harnessed(
            "wakes_from_another_thread",
            &["polls_again_a_task_that_wakes_itself"],
        ),
        harnessed("joins_spawned_tasks", &["runs_a_ready_future"]),
        harnessed("spawns_from_inside_a_task", &["joins_spawned_tasks"]),
        harnessed("never_polls_a_finished_task", &["joins_spawned_tasks"]),
        harnessed("polls_only_when_woken", &["wakes_from_another_thread"]),
        harnessed(
            "sleeps_end_in_deadline_order",
            &["spawns_from_inside_a_task"],
        ),
        harnessed(
            "a_late_wake_after_block_on_is_harmless",
            &["spawns_from_inside_a_task"],
        ),
        check(
            step,
            "runs_1000_sleeping_tasks",
            &[
                "wakes_from_another_thread",
                "spawns_from_inside_a_task",
                "never_polls_a_finished_task",
            ],
            runs_sleeping_tasks,
        ),
        check(
            step,
            "does_not_busy_poll",
            &["runs_1000_sleeping_tasks"],
            does_not_busy_poll,
        ),
        command_line::bad_argument(
            step,
            "bad_arguments_are_one_line_and_exit_2",
            "TASKS",
            &["abc", "-1"],
        ),
    ]
}

/// How many tasks, and how long they sleep (ms), in the executor's runs.
const TASKS: usize = 1000;
const SLEEP_MS: u64 = 400;

fn expected_line() -> String {
    format!(
        "joined {TASKS} tasks; the sum of their numbers is {}",
        TASKS * (TASKS - 1) / 2
    )
}

const LOST_WAKE: &str = "a task that is never polled again lost its wake: `wake` must put the task back on the run queue, and the run loop must poll what it receives.";

/// The executor runs a thousand sleeping tasks to the end, with the right sum.
fn runs_sleeping_tasks(ctx: &Ctx) -> Verdict {
    let args = [TASKS.to_string(), SLEEP_MS.to_string()];
    let ran = ctx
        .run(&[&args[0], &args[1]], deadline())
        .map_err(|f| f.diagnose(LOST_WAKE))?
        .succeeded()?;
    let stdout = ran.stdout()?;
    if !stdout.lines().any(|l| l == expected_line()) {
        return Err(
            Failure::new(format!("`{}` printed the wrong result", ran.shown))
                .field("expected:", expected_line())
                .block("its output", &tail(&stdout, 6)),
        );
    }
    Ok(Pass::Passed)
}

/// Busy polling shows as CPU time: a thread that spins while every task
/// sleeps uses a whole core. The ratio of CPU time to wall time must stay
/// small; an executor that parks uses almost none.
fn does_not_busy_poll(ctx: &Ctx) -> Verdict {
    let args = [TASKS.to_string(), SLEEP_MS.to_string()];
    let started = std::time::Instant::now();
    let ran = ctx
        .run(&[&args[0], &args[1]], deadline())
        .map_err(|f| f.diagnose(LOST_WAKE))?;
    let wall = started.elapsed();
    let end = ran.run.end.expect("a run that ended");
    let ran = ran.succeeded()?;
    let Some(cpu) = end.cpu else {
        return Ok(Pass::Skipped(
            "this platform does not tell a child's CPU time".to_string(),
        ));
    };
    let ratio = cpu.as_secs_f64() / wall.as_secs_f64().max(f64::EPSILON);
    if ratio > MAX_CPU_RATIO {
        return Err(Failure::new(format!(
            "`{}`: the process was busy {:.0}% of the time while its tasks slept",
            ran.shown,
            ratio * 100.0
        ))
        .cpu_field(cpu, wall)
        .field(
            "expected:",
            format!(
                "at most {:.0}%: a parked thread uses none",
                MAX_CPU_RATIO * 100.0
            ),
        ));
    }
    Ok(Pass::Passed)
}

/// A parking executor's ratio is a few percent at most (starting the process
/// and 1,000 tasks); a spinning one is near 100% of a core.
const MAX_CPU_RATIO: f64 = 0.3;
