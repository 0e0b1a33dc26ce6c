// The grader's harness for the mini executor: a module of a copy of the
// student's mini-executor.rs. Each check runs `block_on` on a thread of its
// own and waits for it with a deadline, so an executor that loses a wake
// fails that check in bounded time instead of hanging.
// It names what it takes of the student's file, and invokes macros by their
// full path: a name of that file must not change what the harness does.
// How it runs and reports: runner.rs.

#[path = "protocol.rs"]
mod protocol;
#[path = "runner.rs"]
mod runner;
// The traced run that `trace mini-executor` draws.
#[path = "mini_executor/traced.rs"]
mod traced;
// What an idle executor costs, and what a lost self-wake looked like.
#[path = "mini_executor/idle.rs"]
mod idle;

use super::sleep;
use runner::{Check, Outcome, deadline, panic_text, run_checks_or_trace, trace};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

/// The student's `block_on`, its future traced as `main`: each poll and
/// each wake is recorded, for a trace and for a failure's last events.
fn block_on<F: Future>(future: F) -> F::Output {
    trace::starts("main", "block_on starts");
    super::block_on(trace::traced("main", future))
}

/// The student's `spawn`, its task traced as `task <n>`.
fn spawn<F>(future: F) -> impl Future<Output = F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let lane = trace::next_task();
    trace::starts(&lane, "spawned");
    super::spawn(trace::traced(&lane, future))
}

/// Runs `body` on a thread of its own; a hang is a failure naming `what`.
fn within<T: Send + 'static>(
    what: &str,
    body: impl FnOnce() -> T + Send + 'static,
) -> Result<T, String> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(std::panic::catch_unwind(std::panic::AssertUnwindSafe(body)));
    });
    match rx.recv_timeout(deadline()) {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(panic)) => Err(::std::format!(
            "it panicked\nwhile: {what}\npanicked: {}",
            panic_text(&*panic)
        )),
        Err(_) => Err(::std::format!(
            "no result within {:?}\nwhile: {what}\nseen: a wake was lost, or the executor waits for nothing",
            deadline()
        )),
    }
}

fn runs_a_ready_future() -> Outcome {
    let got = within("block_on(async { 42 })", || block_on(async { 42 }))?;
    if got != 42 {
        return Err(::std::format!("block_on(async {{ 42 }}) returned {got}"));
    }
    Ok(())
}

/// Pending until another thread sets the flag and wakes the waker.
struct WokenElsewhere {
    set: Arc<AtomicBool>,
    waker: Arc<Mutex<Option<Waker>>>,
    /// Tells the other thread that the first poll happened.
    first_poll: Option<std::sync::mpsc::Sender<()>>,
}

impl Future for WokenElsewhere {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        *this.waker.lock().unwrap() = Some(cx.waker().clone());
        // The first poll is always pending, and only then is the other
        // thread told to wake it: so the executor always has a pending
        // task to keep, whatever the threads' timing.
        if let Some(first_poll) = this.first_poll.take() {
            let _ = first_poll.send(());
            return Poll::Pending;
        }
        if this.set.load(Ordering::SeqCst) {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

fn wakes_from_another_thread() -> Outcome {
    // Once for block_on's own future, once for a spawned task.
    for spawned in [false, true] {
        let set = Arc::new(AtomicBool::new(false));
        let waker: Arc<Mutex<Option<Waker>>> = Arc::default();
        let (first_poll, polled) = std::sync::mpsc::channel();
        let future = WokenElsewhere {
            set: set.clone(),
            waker: waker.clone(),
            first_poll: Some(first_poll),
        };
        // The other thread waits for the first poll, then wakes the task.
        std::thread::spawn(move || {
            if polled.recv().is_ok() {
                set.store(true, Ordering::SeqCst);
                if let Some(w) = waker.lock().unwrap().take() {
                    trace::acting_as("another thread", || w.wake());
                }
            }
        });
        let what = if spawned {
            "a spawned task woken from another thread"
        } else {
            "block_on's future woken from another thread"
        };
        within(what, move || {
            if spawned {
                block_on(async move { spawn(future).await })
            } else {
                block_on(future)
            }
        })?;
    }
    Ok(())
}

/// Wakes itself during its first poll and returns Pending, as a future
/// that yields does; ready on the next poll.
/// Wakes itself and yields, so many times, then is ready.
struct Yields(usize);

impl Future for Yields {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 == 0 {
            return Poll::Ready(());
        }
        self.0 -= 1;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

struct WakesItself {
    polled: bool,
}

impl Future for WakesItself {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.polled {
            return Poll::Ready(());
        }
        self.polled = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

fn polls_again_a_task_that_wakes_itself() -> Outcome {
    within(
        "block_on's future woke itself while it was being polled",
        || block_on(WakesItself { polled: false }),
    )?;
    within(
        "a spawned task woke itself while it was being polled",
        || block_on(async { spawn(WakesItself { polled: false }).await }),
    )
    .map_err(|e| match idle::woke_main_instead() {
        Some(likely) => ::std::format!("{e}\nlikely: {likely}"),
        None => e,
    })?;
    Ok(())
}

fn joins_spawned_tasks() -> Outcome {
    let sum = within("100 spawned tasks, then their JoinHandles awaited", || {
        block_on(async {
            let handles: Vec<_> = (0..100u64).map(|i| spawn(async move { i * 2 })).collect();
            let mut sum = 0;
            for h in handles {
                sum += h.await;
            }
            sum
        })
    })?;
    if sum != 9900 {
        return Err(::std::format!(
            "the tasks' outputs add up to {sum}\nexpected: 9900"
        ));
    }
    Ok(())
}

fn spawns_from_inside_a_task() -> Outcome {
    let got = within("a task that spawns a task that sleeps", || {
        block_on(async {
            spawn(async {
                let inner = spawn(async {
                    sleep(Duration::from_millis(10)).await;
                    7
                });
                inner.await + 1
            })
            .await
        })
    })?;
    if got != 8 {
        return Err(::std::format!("got {got}\nexpected: 8"));
    }
    Ok(())
}

/// A future whose polls and wakes are counted: it hands the future it
/// wraps a waker that counts each wake before passing it on.
struct Counted<F> {
    inner: Pin<Box<F>>,
    polls: Arc<std::sync::atomic::AtomicUsize>,
    wakes: Arc<std::sync::atomic::AtomicUsize>,
}

struct CountingWaker {
    inner: Waker,
    wakes: Arc<std::sync::atomic::AtomicUsize>,
}

impl std::task::Wake for CountingWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.wakes.fetch_add(1, Ordering::SeqCst);
        self.inner.wake_by_ref();
    }
}

impl<F: Future> Future for Counted<F> {
    type Output = F::Output;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        self.polls.fetch_add(1, Ordering::SeqCst);
        let waker = Waker::from(Arc::new(CountingWaker {
            inner: cx.waker().clone(),
            wakes: self.wakes.clone(),
        }));
        self.inner.as_mut().poll(&mut Context::from_waker(&waker))
    }
}

/// A future that sleeps 100 ms, alone, is woken once: an executor polls
/// it when it starts and when it is woken, a few times at most, not on
/// a clock while nothing happens.
fn polls_only_when_woken() -> Outcome {
    for case in 0..3 {
        let spawned = case == 1;
        let polls = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let wakes = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let (p, w) = (polls.clone(), wakes.clone());
        let what = match case {
            0 => "block_on's future, which sleeps 100 ms",
            1 => "a spawned task that sleeps 100 ms",
            _ => "block_on's future, which sleeps 100 ms while a task it spawned yields 100 times",
        };
        within(what, move || {
            let future = Counted {
                inner: Box::pin(async move {
                    // Another task's polls are no reason to poll this one.
                    let busy = (case == 2).then(|| spawn(Yields(100)));
                    sleep(Duration::from_millis(100)).await;
                    if let Some(busy) = busy {
                        busy.await;
                    }
                }),
                polls: p,
                wakes: w,
            };
            if spawned {
                block_on(async move { spawn(future).await })
            } else {
                block_on(future)
            }
        })?;
        let (polls, wakes) = (polls.load(Ordering::SeqCst), wakes.load(Ordering::SeqCst));
        if polls > 2 * wakes + 2 {
            return Err(::std::format!(
                "{what}: polled {polls} times, but woken {wakes} times\nseen: the executor polls futures that were not woken, on a timeout or in a loop: poll only when a waker says so"
            ));
        }
    }
    Ok(())
}

/// A short sleep that starts after a long one ends first: the timer
/// wakes the earliest deadline first, and a new earlier deadline wakes
/// the timer thread from its wait for the later one.
fn sleeps_end_in_deadline_order() -> Outcome {
    let order = within("a 300 ms sleep, then a 10 ms sleep, side by side", || {
        block_on(async {
            let ended: Arc<Mutex<Vec<&'static str>>> = Arc::default();
            let (a, b) = (ended.clone(), ended.clone());
            let long = spawn(async move {
                sleep(Duration::from_millis(300)).await;
                a.lock().unwrap().push("300 ms");
            });
            // Yields once, so that the long sleep is registered first.
            WakesItself { polled: false }.await;
            let short = spawn(async move {
                sleep(Duration::from_millis(10)).await;
                b.lock().unwrap().push("10 ms");
            });
            short.await;
            long.await;
            let order = ended.lock().unwrap().clone();
            order
        })
    })?;
    if order != ["10 ms", "300 ms"] {
        return Err(::std::format!(
            "a 10 ms sleep that started just after a 300 ms one ended {}\nended: {}\nseen: the timer does not wake the earliest deadline first, or waits out a later deadline when an earlier one is added",
            if order.first() == Some(&"300 ms") {
                "after it"
            } else {
                "out of order"
            },
            order.join(", ")
        ));
    }
    Ok(())
}

/// `block_on` may return while a task it spawned still sleeps; that
/// task's wake comes later, from the timer, when its run queue is gone.
/// Waking it must then do nothing, not panic the timer's thread: every
/// later sleep depends on that thread. Nor may it panic whoever else calls
/// it: the harness wakes one such task itself, from its own thread.
fn a_late_wake_after_block_on_is_harmless() -> Outcome {
    within(
        "a task that block_on left sleeping is woken during the next block_on",
        || {
            block_on(async {
                drop(spawn(async { sleep(Duration::from_millis(50)).await }));
                // Yields once, so that the task is polled and sleeps.
                WakesItself { polled: false }.await;
            });
            block_on(sleep(Duration::from_millis(150)));
        },
    )
    .map_err(|e| {
        ::std::format!(
            "{e}\nthen: a task left behind by an earlier block_on was woken late; its wake must do nothing (its run queue is gone), not panic the timer's thread, which every later sleep needs"
        )
    })?;
    let kept: Arc<Mutex<Option<Waker>>> = Arc::default();
    let keeper = kept.clone();
    within(
        "a task that keeps its waker, left pending by block_on",
        move || {
            block_on(async move {
                drop(spawn(KeepsItsWaker(keeper)));
                // Yields once, so that the task is polled and keeps its waker.
                WakesItself { polled: false }.await;
            })
        },
    )?;
    let Some(waker) = kept.lock().unwrap().take() else {
        return Err("a spawned task was never polled before block_on returned\nseen: the main future spawned a task, woke itself and returned Pending; its next poll came before the task's first, and block_on returned with the task never polled\nlikely: the main future was polled again ahead of a task woken before it. Wakes are served in the order they come: the task was queued first, and the main future's wake after it (one run queue, first in, first out)".into());
    };
    let woke = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| waker.wake()));
    if let Err(panic) = woke {
        return Err(::std::format!(
            "a task's waker, called after its block_on had returned, panicked\npanicked: {}\nseen: a waker may be called after its executor is gone, from any thread; its wake must then do nothing (the send fails: let it), not panic the thread that calls it",
            panic_text(&*panic)
        ));
    }
    Ok(())
}

/// Pending for ever, keeping the waker of its last poll.
struct KeepsItsWaker(Arc<Mutex<Option<Waker>>>);

impl Future for KeepsItsWaker {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        *self.0.lock().unwrap() = Some(cx.waker().clone());
        Poll::Pending
    }
}

const CHECKS: &[Check] = &[
    (
        "a_late_wake_after_block_on_is_harmless",
        a_late_wake_after_block_on_is_harmless,
    ),
    ("polls_only_when_woken", polls_only_when_woken),
    ("sleeps_end_in_deadline_order", sleeps_end_in_deadline_order),
    ("runs_a_ready_future", runs_a_ready_future),
    ("wakes_from_another_thread", wakes_from_another_thread),
    (
        "polls_again_a_task_that_wakes_itself",
        polls_again_a_task_that_wakes_itself,
    ),
    ("joins_spawned_tasks", joins_spawned_tasks),
    ("spawns_from_inside_a_task", spawns_from_inside_a_task),
    (
        "never_polls_a_finished_task",
        idle::never_polls_a_finished_task,
    ),
];

pub(crate) fn run() -> ! {
    traced::name_the_timer();
    run_checks_or_trace(CHECKS, traced::scenario)
}
