//! Context switch time: how long it takes to hand control from one thread to
//! another, or from one task to another, when each waits for the other.
//!
//! Method: a token passed back and forth between two threads over a pair of
//! `std::sync::mpsc` channels, and between two tasks over a pair of
//! `tokio::sync::mpsc` channels, both unbounded (a bounded tokio channel adds
//! a semaphore to every send), 5N round trips per run (50,000 for the
//! default N). Each round trip is two switches, so the figure is the time of
//! the round trips divided by twice their number. A tenth as many round
//! trips first, not counted, warm both sides up.
//!
//! Unpinned, the two threads may run on two cores, and a hand-over is a
//! wake-up sent to the other core (std's channel also spins a little before
//! it sleeps, which can hide the switch). Pinned to one core (see
//! `affinity`), every hand-over is a real switch on that core. The tasks run
//! on the worker threads of a runtime; pinned, the runtime is built on a
//! pinned thread, so that its workers are pinned as well.

use crate::runtime::Flavor;
use std::sync::mpsc;
use std::thread;
use std::time::Instant;

/// Seconds per switch between two threads, for `round_trips` round trips.
pub fn per_thread_switch(round_trips: usize) -> Result<f64, String> {
    let (to_echo, from_main) = mpsc::channel::<usize>();
    let (to_main, from_echo) = mpsc::channel::<usize>();
    let echo = thread::Builder::new()
        .spawn(move || {
            for token in from_main {
                if to_main.send(token).is_err() {
                    break;
                }
            }
        })
        .map_err(|e| format!("cannot start the echo thread: {e}"))?;
    let lost = || "the echo thread hung up".to_string();
    let pass = |token| {
        to_echo.send(token).map_err(|_| lost())?;
        from_echo.recv().map_err(|_| lost())
    };
    for token in 0..warm_up(round_trips) {
        pass(token)?;
    }
    let start = Instant::now();
    for token in 0..round_trips {
        pass(token)?;
    }
    let elapsed = start.elapsed();
    drop(to_echo);
    echo.join()
        .map_err(|_| "the echo thread panicked".to_string())?;
    Ok(elapsed.as_secs_f64() / (2 * round_trips) as f64)
}

/// Seconds per switch between two tasks on a runtime of the given flavor,
/// built here, so that when this runs pinned its workers are pinned too.
pub fn per_task_switch(flavor: Flavor, round_trips: usize) -> Result<f64, String> {
    let runtime = flavor.build()?;
    // Both sides are spawned tasks, so that on the multi-thread runtime both
    // run on its workers, as a server's tasks do.
    let measured = runtime.block_on(async move { tokio::spawn(ping_pong(round_trips)).await });
    let elapsed = measured.map_err(|e| format!("the measuring task failed: {e}"))??;
    Ok(elapsed / (2 * round_trips) as f64)
}

/// The tasks' round trips; the elapsed seconds.
async fn ping_pong(round_trips: usize) -> Result<f64, String> {
    use tokio::sync::mpsc;
    let (to_echo, mut from_main) = mpsc::unbounded_channel::<usize>();
    let (to_main, mut from_echo) = mpsc::unbounded_channel::<usize>();
    let echo = tokio::spawn(async move {
        while let Some(token) = from_main.recv().await {
            if to_main.send(token).is_err() {
                break;
            }
        }
    });
    let lost = || "the echo task hung up".to_string();
    for token in 0..warm_up(round_trips) {
        to_echo.send(token).map_err(|_| lost())?;
        from_echo.recv().await.ok_or_else(lost)?;
    }
    let start = Instant::now();
    for token in 0..round_trips {
        to_echo.send(token).map_err(|_| lost())?;
        from_echo.recv().await.ok_or_else(lost)?;
    }
    let elapsed = start.elapsed();
    drop(to_echo);
    echo.await
        .map_err(|e| format!("the echo task failed: {e}"))?;
    Ok(elapsed.as_secs_f64())
}

fn warm_up(round_trips: usize) -> usize {
    round_trips / 10 + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_gives_a_positive_time() {
        assert!(per_thread_switch(50).unwrap() > 0.0);
        for flavor in [Flavor::MultiThread, Flavor::CurrentThread] {
            assert!(per_task_switch(flavor, 50).unwrap() > 0.0);
        }
    }
}
