// The grader's harness for mutex-send: a module of a copy of the student's
// mutex-send.rs. It polls the slide's `foo` by hand: its critical section
// must await (the slide's `bar(&mut st).await`) while it holds the lock.
// It needs of the lock only what the lesson does: that `foo`'s future is
// `Send`, and that a second `foo` waits, asleep, while the first holds it;
// so any async lock (tokio's `Mutex` or `RwLock`, the futures crate's) will do.
// It names what it takes of the student's file, and invokes macros by their
// full path: a name of that file must not change what the harness does.
// How it runs and reports: runner.rs.

#[path = "protocol.rs"]
mod protocol;
#[path = "runner.rs"]
mod runner;

use super::{ShareState, foo};
use runner::{Check, Outcome, counted, run_checks};
use std::future::Future;
use std::task::Context;

/// A runtime's context, as `tokio::spawn` gives its tasks: an async lock
/// may need one. The futures are still polled only by this harness.
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a tokio runtime")
}

/// tokio::spawn takes only what is `Send`: so must foo's future be, however
/// the step runs it. The harness does not compile otherwise.
fn spawnable<T: Send>(_: &T) {}

/// Polls `future` up to 100 times: whether it ended.
fn ends<F: Future + ?Sized>(mut future: std::pin::Pin<&mut F>, cx: &mut Context<'_>) -> bool {
    (0..100).any(|_| future.as_mut().poll(cx).is_ready())
}

/// A first `foo` pauses inside its critical section (at `bar`'s await);
/// a second `foo` must not get through meanwhile: the first holds the lock.
fn holds_the_lock_across_the_await() -> Outcome {
    let runtime = runtime();
    let _context = runtime.enter();
    let state: ShareState = Default::default();
    let mut first = Box::pin(foo(state.clone()));
    spawnable(&first);
    let (_, first_waker) = counted();
    let mut first_cx = Context::from_waker(&first_waker);
    if first.as_mut().poll(&mut first_cx).is_ready() {
        return Err("foo finished at its first poll: nothing in it awaits\nseen: the slide's critical section awaits (`bar(&mut st).await`) while it holds the lock; this one never pauses there".into());
    }
    let mut second = Box::pin(foo(state.clone()));
    let (_, second_waker) = counted();
    let mut second_cx = Context::from_waker(&second_waker);
    let doing = runner::doing(::std::format!(
        "a second foo was polled while the first held the lock: its `poll` never returned\nlikely: {BLOCKED_ON_THE_LOCK}"
    ));
    let second_ran = ::std::panic::catch_unwind(::std::panic::AssertUnwindSafe(|| {
        ends(second.as_mut(), &mut second_cx)
    }));
    drop(doing);
    match second_ran {
        Ok(true) => {
            return Err("a second foo ran to its end while the first was paused inside its critical section\nseen: the lock was free while the first foo waited at its await; the slide's `bar(&mut st).await` pauses while the guard is held".into());
        }
        Ok(false) => {}
        Err(panic) => {
            return Err(::std::format!(
                "a second foo panicked while the first held the lock: {}\nlikely: {TRIED_NOT_AWAITED}",
                protocol::panic_text(&*panic)
            ));
        }
    }
    if !ends(first.as_mut(), &mut first_cx) {
        return Err("foo did not end after 100 polls".into());
    }
    if !ends(second.as_mut(), &mut second_cx) {
        return Err("the first foo ended, and a second one, waiting for the lock, never did\nseen: the first foo's guard was not let go when it ended".into());
    }
    Ok(())
}

/// A lock waited for by blocking the thread, where the lesson awaits it.
const BLOCKED_ON_THE_LOCK: &str = "waiting for the lock blocked the thread: a lock taken with a blocking call (`blocking_lock`, or a std `Mutex`'s `lock`) inside a task stops the whole thread until the lock is free, and the task that holds it, paused at its `.await`, cannot run on that thread to let it go. A task waits for an async lock by awaiting its `lock()`: it sleeps, and its thread runs the others (slide \"Extra: sending data in tokio\").";

/// A lock tried and unwrapped, where the lesson awaits it.
const TRIED_NOT_AWAITED: &str = "the lock was tried, not waited for: `try_lock` (or `try_write`) fails at once while another task holds the lock, and unwrapping that failure panics. A task that finds the lock taken must wait for it, asleep: an async lock's `lock()` is a future, and awaiting it is the wait (slide \"Extra: sending data in tokio\").";

/// A second `foo` comes while the first holds the lock: it must wait for
/// the lock, asleep, and be woken when the first lets it go. One that tries
/// the lock and yields, again and again, spins instead.
fn waits_for_the_lock_without_spinning() -> Outcome {
    let runtime = runtime();
    let _context = runtime.enter();
    let state: ShareState = Default::default();
    let mut first = Box::pin(foo(state.clone()));
    let (_, first_waker) = counted();
    let mut first_cx = Context::from_waker(&first_waker);
    if first.as_mut().poll(&mut first_cx).is_ready() {
        return Err("foo finished at its first poll: nothing in it awaits".into());
    }
    let mut second = Box::pin(foo(state.clone()));
    let (second_wakes, second_waker) = counted();
    let mut second_cx = Context::from_waker(&second_waker);
    if second.as_mut().poll(&mut second_cx).is_ready() {
        return Err("a second foo finished while the first held the lock".into());
    }
    if second_wakes.wakes() > 0 {
        return Err("a second foo, waiting for the lock the first holds, woke its own task at once\nseen: it spins (tries the lock, yields, tries again) instead of awaiting the lock: `lock().await` sleeps until the lock is free".into());
    }
    if !ends(first.as_mut(), &mut first_cx) {
        return Err("foo did not end after 100 polls".into());
    }
    if second_wakes.wakes() == 0 {
        return Err(
            "the first foo let the lock go, but the second, waiting for it, was not woken".into(),
        );
    }
    if !ends(second.as_mut(), &mut second_cx) {
        return Err("the second foo did not end after 100 polls".into());
    }
    Ok(())
}

const CHECKS: &[Check] = &[
    (
        "waits_for_the_lock_without_spinning",
        waits_for_the_lock_without_spinning,
    ),
    (
        "holds_the_lock_across_the_await",
        holds_the_lock_across_the_await,
    ),
];

pub(crate) fn run() -> ! {
    run_checks(CHECKS)
}
