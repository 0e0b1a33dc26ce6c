//! add-to-inbox: the slide's async fn, desugared by hand into a state
//! machine. The harness polls the hand-written future by hand; the step's
//! own run prints both futures side by side.

use super::{Ctx, compiles, harness};
use crate::exec::deadline;
use crate::failure::{Failure, tail};
use crate::outcome::{Pass, Verdict};
use crate::registry::{Check, check};

/// The harness first: it polls the future by hand and says which poll went
/// wrong; the step's own run, side by side with the async fn, comes last.
pub fn checks(step: &'static str) -> Vec<Check> {
    let harnessed = |name: &'static str, needs: &'static [&'static str]| {
        check(step, name, needs, "", move |ctx| {
            harness::check(ctx, Some(name))
        })
    };
    vec![
        compiles(step),
        harnessed("pending_until_the_database_answers", &["compiles"]),
        harnessed(
            "same_results_as_the_async_fn",
            &["pending_until_the_database_answers"],
        ),
        harnessed(
            "panics_when_polled_after_completion",
            &["same_results_as_the_async_fn"],
        ),
        check(
            step,
            "prints_the_same_results_as_the_async_fn",
            &["same_results_as_the_async_fn"],
            "",
            same_columns,
        ),
    ]
}

/// The step's own demo: for every scenario, the async fn's column and the
/// hand-written future's column say the same.
fn same_columns(ctx: &Ctx) -> Verdict {
    let stdout = ctx.run(&[], deadline())?.succeeded()?.stdout()?;
    let rows: Vec<&str> = stdout
        .lines()
        .skip(1)
        .take_while(|l| !l.starts_with("size_of"))
        .collect();
    if rows.len() < 5 || !stdout.contains("size_of") {
        return Err(Failure::new(format!(
            "`{}` did not print its scenarios and sizes",
            ctx.step()
        ))
        .block("its output", &tail(&stdout, 12)));
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
            .field("by hand:", by_hand.trim()));
        }
    }
    Ok(Pass::Passed)
}
