// What an executor does when it has nothing to do, and what a lost
// self-wake looked like: read by the mini-executor harness's checks.

use super::protocol::What;
use super::runner::{Outcome, trace};
use super::{block_on, sleep, spawn, within};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

/// How long `never_polls_a_finished_task` sleeps, before its late wake and
/// after, watching the executor's thread.
const IDLE: Duration = Duration::from_millis(500);

/// The clock's tick, the unit of a thread's CPU time (1/100 s).
const TICK: Duration = Duration::from_millis(10);

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

/// Ready at its first poll, keeping its waker, so that it can be woken
/// again once it has finished.
struct ReadyAtOnce {
    polls: Arc<std::sync::atomic::AtomicUsize>,
    kept: Arc<Mutex<Option<Waker>>>,
}

impl Future for ReadyAtOnce {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.polls.fetch_add(1, Ordering::SeqCst);
        *self.kept.lock().unwrap() = Some(cx.waker().clone());
        Poll::Ready(())
    }
}

pub(super) fn never_polls_a_finished_task() -> Outcome {
    let polls = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let kept: Arc<Mutex<Option<Waker>>> = Arc::default();
    let (p, k) = (polls.clone(), kept.clone());
    let busy = within(
        "a task that had finished was woken again, late",
        move || {
            block_on(async move {
                spawn(ReadyAtOnce {
                    polls: p,
                    kept: k.clone(),
                })
                .await;
                // Nothing to do for a while, before the late wake: what the
                // executor's thread costs when idle, whatever its design.
                let before = thread_cpu();
                sleep(IDLE).await;
                let idle_before = busy_since(before);
                // A late wake: whoever kept the waker wakes it now.
                if let Some(waker) = k.lock().unwrap().take() {
                    waker.wake();
                }
                // Runs after the late wake has been handled.
                spawn(async {}).await;
                // Then nothing to do again: the late wake must leave nothing
                // behind that keeps the executor's thread busy.
                let before = thread_cpu();
                sleep(IDLE).await;
                (idle_before, busy_since(before))
            })
        },
    )?;
    let polls = polls.load(Ordering::SeqCst);
    if polls != 1 {
        return Err(::std::format!(
            "a task that had returned Ready was polled again when it was woken late
polls: {polls}
seen: the executor kept the finished future"
        ));
    }
    // Busy after the late wake: more than an eighth of the sleep. An
    // executor that waits uses none of it, one that spins as much of it as
    // the machine gives it, which is far more, even on a loaded machine
    // where other programs take most of a core.
    //
    // And idle before it: a tick of the clock at most, which an executor
    // that waits never passes. Busy all the time is another mistake, which
    // `does_not_busy_poll` names; a loaded machine gave one that spins
    // less than an eighth of one sleep and half of the next, so "less than
    // an eighth" is no proof that it waited.
    let idle = |spent: Option<Duration>| spent.is_some_and(|spent| spent <= TICK);
    if let (idle_before, Some(busy)) = busy
        && idle(idle_before)
        && busy > IDLE / 8
    {
        return Err(::std::format!(
            "after a finished task was woken late, the executor kept its thread busy while every task slept
busy: {} ms of CPU time during a sleep of {} ms
likely: the late wake keeps coming back to the run queue; a wake of a task that has finished (its future gone) has nothing to poll, and is dropped",
            busy.as_millis(),
            IDLE.as_millis()
        ));
    }
    Ok(())
}
