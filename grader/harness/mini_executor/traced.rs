// The grader's harness for the mini executor, its traced run: a module of
// the harness (harness.rs). `cargo run -p grader -- trace mini-executor`
// draws what the student's executor did with it.

use super::runner::{Outcome, trace};
use super::{Duration, Yields, block_on, sleep, spawn, within};

/// Three tasks under `block_on`'s future: one sleeps 30 ms, one 10 ms, one
/// wakes itself once and yields; `main` awaits their handles. Each poll of
/// each, each wake (by the timer, by itself), and so where the executor
/// waited.
pub(super) fn scenario() -> Outcome {
    within(
        "the traced run: three tasks, two asleep, one yielding",
        || {
            block_on(async {
                let slow = spawn(async {
                    sleep(Duration::from_millis(30)).await;
                    1
                });
                let quick = spawn(async {
                    sleep(Duration::from_millis(10)).await;
                    2
                });
                let yields = spawn(Yields(1));
                yields.await;
                slow.await + quick.await
            })
        },
    )
    .map(drop)
}

/// The timer is who wakes a task from a thread nobody named.
pub(super) fn name_the_timer() {
    trace::others_are("the timer");
}
