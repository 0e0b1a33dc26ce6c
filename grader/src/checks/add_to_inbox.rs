//! add-to-inbox: the slide's async fn, desugared by hand into a state
//! machine. The harness polls the hand-written future by hand; the step's
//! own run prints both futures side by side.

use super::{Runs, compiles, harness};
use crate::failure::{Failure, tail};
use crate::outcome::{Pass, Verdict};
use crate::step::{Checks, Ctx};

/// The harness first: it polls the future by hand and says which poll went
/// wrong; the step's own run, side by side with the async fn, comes last.
pub(crate) fn checks(checks: &mut Checks) {
    let compiles = compiles(checks);
    let pending = harness::case(checks, "pending_until_the_database_answers", &[compiles]);
    let same = harness::case(checks, "same_results_as_the_async_fn", &[pending]);
    let wakes = harness::case(checks, "wakes_the_waker_of_the_latest_poll", &[same]);
    harness::case(checks, "panics_when_polled_after_completion", &[wakes]);
    checks.add(
        "prints_the_same_results_as_the_async_fn",
        &[same],
        same_columns,
    );
}

/// The scenarios of the step's `main`, by the names it prints.
const SCENARIOS: &[&str] = &[
    "success",
    "message missing",
    "no such user",
    "inbox full",
    "cached user",
];

/// The step's own demo: for every scenario, the async fn's column and the
/// hand-written future's column say the same. Lines that are not a
/// scenario's row (a student's debugging output) are let be.
fn same_columns(ctx: &Ctx) -> Verdict {
    let stdout = ctx.run(&[], ctx.deadline())?.succeeded()?.stdout()?;
    for name in SCENARIOS {
        // `{name:<16} {async fn:<32} {by hand}`
        let Some(row) = stdout
            .lines()
            .find(|l| l.len() > 17 && l[..17].trim_end() == *name)
        else {
            return Err(Failure::new(format!(
                "`{}` printed no row for the scenario `{name}`",
                ctx.name()
            ))
            .block("its output", &tail(&stdout, 12)));
        };
        let rest = &row[17..];
        let (by_compiler, by_hand) = rest.split_at(rest.len().min(33));
        if by_compiler.trim() != by_hand.trim() {
            return Err(
                Failure::new(format!("scenario `{name}`: the two futures disagree"))
                    .field("async fn:", by_compiler.trim())
                    .field("by hand:", by_hand.trim()),
            );
        }
    }
    if !stdout.lines().any(|l| l.starts_with("size_of")) {
        return Err(Failure::new(format!(
            "`{}` did not print the sizes of the two futures",
            ctx.name()
        ))
        .block("its output", &tail(&stdout, 12)));
    }
    Ok(Pass::Passed)
}
