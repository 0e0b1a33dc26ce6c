//! mini-executor: an executor, a waker and a timer reactor on std alone.
//! The harness drives `block_on` and `spawn` on threads with deadlines; the
//! bin's own run sleeps a thousand tasks, and its CPU time shows whether the
//! executor parks or spins while they sleep.

use super::{Runs, command_line, compiles, harness};
use crate::exec::{Background, procfs};
use crate::failure::{Failure, tail};
use crate::outcome::{Pass, Verdict};
use crate::step::{Checks, Ctx};

pub(crate) fn checks(checks: &mut Checks) {
    let compiles = compiles(checks);
    let ready = harness::case(checks, "runs_a_ready_future", &[compiles]);
    let again = harness::case(checks, "polls_again_a_task_that_wakes_itself", &[ready]);
    let wakes = harness::case(checks, "wakes_from_another_thread", &[again]);
    let joins = harness::case(checks, "joins_spawned_tasks", &[ready]);
    let spawns = harness::case(checks, "spawns_from_inside_a_task", &[joins]);
    let finished = harness::case(checks, "never_polls_a_finished_task", &[joins]);
    harness::case(checks, "polls_only_when_woken", &[wakes]);
    harness::case(checks, "sleeps_end_in_deadline_order", &[spawns]);
    harness::case(checks, "a_late_wake_after_block_on_is_harmless", &[spawns]);
    let runs = checks.add(
        "runs_1000_sleeping_tasks",
        &[wakes, spawns, finished],
        runs_sleeping_tasks,
    );
    let busy = checks.add("does_not_busy_poll", &[runs], does_not_busy_poll);
    checks.add(
        "sleeps_while_every_task_sleeps",
        &[busy],
        sleeps_while_every_task_sleeps,
    );
    command_line::bad_argument(
        checks,
        "bad_arguments_are_one_line_and_exit_2",
        &["abc", "-1"],
        compiles,
    );
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
        .run(&[&args[0], &args[1]], ctx.deadline())
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
        .run(&[&args[0], &args[1]], ctx.deadline())
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

/// A parking executor's ratio is a few percent at most (1% here: starting
/// the process and 1,000 tasks); a spinning one is near 100% of a core, and
/// still a quarter of one on a machine loaded four times over.
const MAX_CPU_RATIO: f64 = 0.12;

/// How many tasks sleep, and how long (ms), while the executor's thread is
/// watched: long enough that the spans watched lie inside it.
const IDLE_TASKS: usize = 200;
const IDLE_SLEEP_MS: u64 = 4000;

/// A span over which the executor's thread is watched, and how many spans
/// there are at most: together well inside the tasks' sleep.
const QUIET: std::time::Duration = std::time::Duration::from_millis(600);
const SPANS: usize = 4;

/// How many times the executor's thread may wake in a span: a run loop on a
/// 1 ms clock wakes hundreds of times; on a 100 ms clock, six; one that
/// waits, never in the quietest span.
const MAX_IDLE_WAKEUPS: u64 = 3;

/// While every task sleeps, nothing is woken: an executor that waits in
/// `recv` sleeps too, and its thread is not switched in at all. One that
/// waits with a timeout, or tries the queue and sleeps a little, wakes on a
/// clock: little CPU time, which `does_not_busy_poll` does not see, but a
/// thread that never rests. The thread is watched span after span, from
/// the moment the tasks are spawned: the first polls of the tasks (each
/// registers its sleep) may fall in the first span or two, on a busy
/// machine; a thread that waits is quiet in a span after them, one on a
/// clock in none. The spans are what is measured, not a wait for something
/// to happen.
fn sleeps_while_every_task_sleeps(ctx: &Ctx) -> Verdict {
    if let Err(why) = procfs::main_thread_switches(std::process::id()) {
        return Ok(Pass::Skipped(format!(
            "a thread's wake-ups cannot be counted here: {why}"
        )));
    }
    let exe = ctx.exe()?;
    let args = [IDLE_TASKS.to_string(), IDLE_SLEEP_MS.to_string()];
    let shown = format!("{} {} {}", ctx.name(), args[0], args[1]);
    let (mut bg, stdout) =
        Background::start_both(&exe, &[&args[0], &args[1]], ctx.user(), &[], &["spawned"])
            .map_err(|e| Failure::new(e.to_string()))?;
    if stdout
        .wait_until(ctx.deadline(), |s| s.first("spawned").map(drop))
        .is_err()
    {
        let stderr = bg.last_words();
        return Err(Failure::new(format!(
            "`{shown}` did not print its `spawned {IDLE_TASKS} tasks` line"
        ))
        .block("its stderr", &tail(&stderr, 10))
        .noting_todo(&stderr));
    }
    let pid = bg.process.id();
    let mut before = procfs::main_thread_switches(pid).map_err(|why| {
        Failure::new(format!("the executor's thread could not be watched: {why}"))
    })?;
    // The fewest wake-ups in a span, how long that span was, and the CPU
    // time the executor's thread took in it.
    let mut quietest: Option<(u64, std::time::Duration, std::time::Duration)> = None;
    for _ in 0..SPANS {
        let started = std::time::Instant::now();
        let cpu_before = procfs::main_thread_cpu(pid);
        std::thread::sleep(QUIET);
        let Ok(after) = procfs::main_thread_switches(pid) else {
            // It ended: its run says why below.
            break;
        };
        let cpu = procfs::main_thread_cpu(pid)
            .zip(cpu_before)
            .map_or(std::time::Duration::ZERO, |(a, b)| a.saturating_sub(b));
        let span = (after.saturating_sub(before), started.elapsed(), cpu);
        before = after;
        if quietest.is_none_or(|(fewest, ..)| span.0 < fewest) {
            quietest = Some(span);
        }
        if span.0 <= MAX_IDLE_WAKEUPS {
            break;
        }
    }
    // Every task ends, and so does the run: a right executor's sum.
    let ended = bg.process.wait(ctx.run_deadline());
    let stderr = bg.last_words();
    if let Some((woke, wall, cpu)) = quietest.filter(|(woke, ..)| *woke > MAX_IDLE_WAKEUPS) {
        let failure = Failure::new(format!(
            "`{shown}`: while every task slept, the executor's thread woke {woke} times in {:.2} s, and no less in any span watched",
            wall.as_secs_f64()
        ))
        .cpu_field(cpu, wall)
        .field(
            "expected:",
            "almost never: nothing was woken, so there was nothing to poll",
        );
        // Busy in the span: it never waited at all, only lost the CPU now and then.
        return Err(if cpu.as_secs_f64() > MAX_CPU_RATIO * wall.as_secs_f64() {
            failure.diagnose("the run loop never waits: it is busy going round and round while every task sleeps (`try_recv` in a loop, or a task put back in the queue after each poll), and only loses the CPU now and then. `recv` parks the thread until a waker sends something (slide \"Lifecycle of a Task\").")
        } else {
            failure.diagnose("the run loop wakes on a clock, not on wakes: a `recv_timeout` that loops on its timeout, or `try_recv` with a sleep. `recv` parks the thread until a waker sends something (slide \"Lifecycle of a Task\").")
        });
    }
    if ended.is_none() {
        return Err(Failure::new(format!(
            "`{shown}` did not end within {} s",
            ctx.run_deadline().as_secs()
        ))
        .block("its stderr", &tail(&stderr, 10))
        .timed_out()
        .diagnose(LOST_WAKE));
    }
    Ok(Pass::Passed)
}
