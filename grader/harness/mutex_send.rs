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
        if state.try_lock().is_ok() {
            return Err("foo paused at an await without holding the lock\nseen: the lock was free while foo waited; the slide's `bar(&mut st).await` pauses inside the critical section".into());
        }
        for _ in 0..100 {
            if task.as_mut().poll(&mut cx).is_ready() {
                let count = state.try_lock().map(|st| st.count).ok();
                return match count {
                    Some(1) => Ok(()),
                    Some(n) => Err(format!("foo added {n} to the count, not 1")),
                    None => Err("foo ended, but the lock is still held".into()),
                };
            }
        }
        Err("foo did not end after 100 polls".into())
    }

    const CHECKS: &[Check] = &[(
        "holds_the_lock_across_the_await",
        holds_the_lock_across_the_await,
    )];

    pub(crate) fn run() -> ! {
        run_checks(CHECKS)
    }
}
