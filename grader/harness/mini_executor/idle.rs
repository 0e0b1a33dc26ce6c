// What an executor does when it has nothing to do, and what a lost
// self-wake looked like: read by the mini-executor harness's checks.

use super::protocol::What;
use super::runner::trace;
use std::time::Duration;

/// The CPU time of the thread that calls it, with that thread's id, from
/// `/proc/thread-self/stat` (Linux; `None` elsewhere).
pub(super) fn thread_cpu() -> Option<(std::thread::ThreadId, Duration)> {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    // After the command's `)`: state, then fields 4 on; utime and stime are
    // the 14th and 15th, in clock ticks of 1/100 s (Linux's USER_HZ).
    let rest: Vec<&str> = stat.get(stat.rfind(')')? + 2..)?.split(' ').collect();
    let ticks: u64 = rest.get(11)?.parse::<u64>().ok()? + rest.get(12)?.parse::<u64>().ok()?;
    Some((
        std::thread::current().id(),
        Duration::from_millis(ticks * 10),
    ))
}

/// The CPU time the calling thread spent since `before`, if it is the
/// thread that took `before`.
pub(super) fn busy_since(before: Option<(std::thread::ThreadId, Duration)>) -> Option<Duration> {
    let ((then_on, then), (now_on, now)) = (before?, thread_cpu()?);
    (then_on == now_on).then(|| now.saturating_sub(then))
}

/// What the trace says of a task that woke itself and was never polled
/// again: if its wake was followed by polls of `main` and none of its own,
/// the task's waker was `main`'s.
pub(super) fn woke_main_instead() -> Option<&'static str> {
    let events = trace::events();
    let woken = events
        .iter()
        .rposition(|e| e.lane.starts_with("task") && ::std::matches!(e.what, What::Wake { .. }))?;
    let lane = &events[woken].lane;
    let after = &events[woken + 1..];
    let polled = |name: &str| {
        after
            .iter()
            .any(|e| e.lane == name && ::std::matches!(e.what, What::Poll { .. }))
    };
    (polled("main") && !polled(lane)).then_some(
        "the task's wake polled block_on's future, not the task: a task is polled with a waker of its own, made from that task, whose wake puts that task back on the queue",
    )
}
