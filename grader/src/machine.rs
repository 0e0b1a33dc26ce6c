//! Black-box checks of the "under the hood" steps: the hand-written state
//! machine (`add-to-inbox`) and the mini executor (`mini-executor`). Their
//! insides are checked by the harnesses (`harness.rs`); these run the bins.

use crate::compile::step_bin;
use crate::failure::{Failure, Grade, show, tail};
use crate::process::{Measured, describe, panics, run, run_deadline, run_with_cpu};
use crate::steps;
use crate::target::Target;

/// Runs `step` with `args` to the end: it must exit 0 in time. Returns stdout.
fn run_ok(target: &Target, step: &str, args: &[&str], hint: &str) -> Result<String, Failure> {
    let exe = step_bin(target, step)?;
    let shown = format!("{step} {}", args.join(" ")).trim_end().to_string();
    let limit = run_deadline();
    let finished = run(&exe, args, limit)?.map_err(|t| {
        Failure::new(format!(
            "`{shown}` did not finish within {} s",
            limit.as_secs()
        ))
        .timed_out()
        .noting_todo(&t.stderr)
        .field("printed:", show(&t.stdout))
        .hint(hint)
    })?;
    if !finished.status.success() {
        let mut f = Failure::new(format!("`{shown}` failed ({})", describe(&finished.status)))
            .noting_todo(&finished.stderr);
        f = match panics(&finished.stderr) {
            Some(panic) => f.block("it panicked", &panic),
            None => f.block("its stderr", &tail(&finished.stderr, 10)),
        };
        return Err(f.hint(hint));
    }
    Ok(String::from_utf8_lossy(&finished.stdout).into_owned())
}

/// add-to-inbox's own demo: for every scenario, the async fn's column and
/// the hand-written future's column say the same.
pub fn same_columns(target: &Target, step: &str) -> Grade {
    let hint = steps::find(step).map_or("", |s| s.hint);
    let stdout = run_ok(target, step, &[], hint)?;
    let rows: Vec<&str> = stdout
        .lines()
        .skip(1)
        .take_while(|l| !l.starts_with("size_of"))
        .collect();
    if rows.len() < 5 || !stdout.contains("size_of") {
        return Err(
            Failure::new(format!("`{step}` did not print its scenarios and sizes"))
                .block("its output", &tail(&stdout, 12))
                .hint(hint),
        );
    }
    for row in rows {
        // `{name:<16} {async fn:<32} {by hand}`
        let (name, rest) = row.split_at(row.len().min(17));
        let (by_compiler, by_hand) = rest.split_at(rest.len().min(33));
        if by_compiler.trim() != by_hand.trim() {
            return Err(Failure::new(format!(
                "scenario `{}`: the two futures disagree",
                name.trim()
            ))
            .field("async fn:", by_compiler.trim())
            .field("by hand:", by_hand.trim())
            .hint(hint));
        }
    }
    Ok(())
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
pub fn runs_sleeping_tasks(target: &Target, step: &str) -> Grade {
    let hint = steps::find(step).map_or("", |s| s.hint);
    let stdout = run_ok(
        target,
        step,
        &[&TASKS.to_string(), &SLEEP_MS.to_string()],
        &format!("{LOST_WAKE} {hint}"),
    )?;
    if !stdout.lines().any(|l| l == expected_line()) {
        return Err(Failure::new(format!(
            "`{step} {TASKS} {SLEEP_MS}` printed the wrong result"
        ))
        .field("expected:", expected_line())
        .block("its output", &tail(&stdout, 6))
        .hint(hint));
    }
    Ok(())
}

/// Busy polling shows as CPU time: a thread that spins while every task
/// sleeps uses a whole core. The ratio of CPU time (getrusage) to wall time
/// must stay small; an executor that parks uses almost none.
pub fn does_not_busy_poll(target: &Target, step: &str) -> Grade {
    let exe = step_bin(target, step)?;
    let hint = "the run loop must wait with `recv()`, which parks the thread until a task is woken, never poll in a loop (`try_recv`, or polling everything every turn).";
    let args = [TASKS.to_string(), SLEEP_MS.to_string()];
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let started = std::time::Instant::now();
    let (finished, cpu) = match run_with_cpu(&exe, &args, run_deadline())? {
        Measured::Finished(finished, cpu) => (finished, cpu),
        Measured::TimedOut(t) => {
            return Err(Failure::new(format!(
                "`{step} {}` did not finish in time",
                args.join(" ")
            ))
            .timed_out()
            .noting_todo(&t.stderr)
            .hint(LOST_WAKE));
        }
        Measured::Unmeasurable(why) => {
            eprintln!("note: {step}: busy polling not checked: {why}");
            return Ok(());
        }
    };
    let wall = started.elapsed();
    if !finished.status.success() {
        return Err(Failure::new(format!(
            "`{step} {}` failed ({})",
            args.join(" "),
            describe(&finished.status)
        ))
        .noting_todo(&finished.stderr)
        .hint(hint));
    }
    let ratio = cpu.as_secs_f64() / wall.as_secs_f64().max(f64::EPSILON);
    if ratio > MAX_CPU_RATIO {
        return Err(Failure::new(format!(
            "the process was busy {:.0}% of the time while its tasks slept",
            ratio * 100.0
        ))
        .field(
            "cpu:",
            format!(
                "{:.2} s of CPU time in {:.2} s",
                cpu.as_secs_f64(),
                wall.as_secs_f64()
            ),
        )
        .field(
            "expected:",
            format!(
                "at most {:.0}%: a parked thread uses none",
                MAX_CPU_RATIO * 100.0
            ),
        )
        .hint(hint));
    }
    Ok(())
}

/// A parking executor's ratio is a few percent at most (starting the process
/// and 1,000 tasks); a spinning one is near 100% of a core.
const MAX_CPU_RATIO: f64 = 0.3;
