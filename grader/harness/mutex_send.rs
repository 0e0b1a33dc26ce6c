// The grader's harness for mutex-send, appended to a copy of the student's
// mutex-send.rs. It polls the slide's `foo` by hand: its critical section
// must await (the slide's `bar(&mut st).await`) while it holds the lock.
// Usage and output: see common.rs.

pub(crate) mod grader_harness {
    use super::grader_harness_common::{Check, Outcome, run_checks};
    use super::*;
    use std::future::Future;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::task::{Context, Poll, Wake, Waker};

    /// What a `try_lock` gave: tokio's says `Result`, the futures crate's
    /// `Option`; either async mutex is a right answer.
    trait Tried<G> {
        fn got(self) -> Option<G>;
    }

    impl<G, E> Tried<G> for Result<G, E> {
        fn got(self) -> Option<G> {
            self.ok()
        }
    }

    impl<G> Tried<G> for Option<G> {
        fn got(self) -> Option<G> {
            self
        }
    }

    struct Counter(AtomicUsize);

    impl Wake for Counter {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn holds_the_lock_across_the_await() -> Outcome {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a tokio runtime");
        let _context = runtime.enter();
        let state: ShareState = Default::default();
        let mut task = Box::pin(foo(state.clone()));
        // tokio::spawn takes only what is `Send`: so must foo's future be,
        // however the step runs it. This does not compile otherwise.
        fn spawnable<T: Send>(_: &T) {}
        spawnable(&task);
        let waker = Waker::from(Arc::new(Counter(AtomicUsize::new(0))));
        let mut cx = Context::from_waker(&waker);
        if task.as_mut().poll(&mut cx).is_ready() {
            return Err("foo finished at its first poll: nothing in it awaits\nseen: the slide's critical section awaits (`bar(&mut st).await`) while it holds the lock; this one never pauses there".into());
        }
        if state.try_lock().got().is_some() {
            return Err("foo paused at an await without holding the lock\nseen: the lock was free while foo waited; the slide's `bar(&mut st).await` pauses inside the critical section".into());
        }
        for _ in 0..100 {
            if task.as_mut().poll(&mut cx).is_ready() {
                let count = state.try_lock().got().map(|st| st.count);
                return match count {
                    Some(1) => Ok(()),
                    Some(n) => Err(format!("foo added {n} to the count, not 1")),
                    None => Err("foo ended, but the lock is still held".into()),
                };
            }
        }
        Err("foo did not end after 100 polls".into())
    }

    fn counted() -> (Arc<Counter>, Waker) {
        let counter = Arc::new(Counter(AtomicUsize::new(0)));
        (counter.clone(), Waker::from(counter))
    }

    /// A second `foo` comes while the first holds the lock: it must wait
    /// for the lock, asleep, and be woken when the first lets it go. One
    /// that tries the lock and yields, again and again, spins instead.
    fn waits_for_the_lock_without_spinning() -> Outcome {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a tokio runtime");
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
        if second_wakes.0.load(Ordering::SeqCst) > 0 {
            return Err("a second foo, waiting for the lock the first holds, woke its own task at once\nseen: it spins (tries the lock, yields, tries again) instead of awaiting the lock: `lock().await` sleeps until the lock is free".into());
        }
        for _ in 0..100 {
            if first.as_mut().poll(&mut first_cx).is_ready() {
                break;
            }
        }
        if second_wakes.0.load(Ordering::SeqCst) == 0 {
            return Err(
                "the first foo let the lock go, but the second, waiting for it, was not woken"
                    .into(),
            );
        }
        for _ in 0..100 {
            if second.as_mut().poll(&mut second_cx).is_ready() {
                let count = state.try_lock().got().map(|st| st.count);
                return match count {
                    Some(2) => Ok(()),
                    Some(n) => Err(format!("two foos, one after the other, counted {n}, not 2")),
                    None => Err("both foos ended, but the lock is still held".into()),
                };
            }
        }
        Err("the second foo did not end after 100 polls".into())
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
}
