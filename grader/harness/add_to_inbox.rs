// The grader's harness for `AddToInbox`, appended to a copy of the student's
// add-to-inbox.rs. It runs the hand-written future and the slide's async fn
// side by side, polling each by hand with a waker that counts its wakes and
// answering the simulated database itself, one call at a time.
// Usage and output: see common.rs.

pub(crate) mod grader_harness {
    use super::grader_harness_common::{Check, Outcome, run_checks};
    use super::*;
    use std::panic::{AssertUnwindSafe, catch_unwind};
    use std::sync::atomic::AtomicUsize;

    /// Counts the wakes of the task it stands for.
    struct Counter(AtomicUsize);

    impl Wake for Counter {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn waiting_calls(db: &Db) -> usize {
        db.0.lock().unwrap().waiting.len()
    }

    fn inbox(mail: &Mail, id: u64) -> Option<Vec<String>> {
        mail.db
            .0
            .lock()
            .unwrap()
            .tables
            .users
            .get(&id)
            .map(|u| u.inbox.clone())
    }

    /// What a run of a future did, to compare the two versions.
    #[derive(Debug, PartialEq)]
    struct Run {
        result: Result<(), Error>,
        calls: usize,
        inbox: Option<Vec<String>>,
    }

    /// Polls `future` to completion by hand, answering one database call at
    /// a time, and checks at each step that it waits and wakes as a future
    /// must: pending while its call waits, no new call on a poll that
    /// changed nothing, and a wake when the answer arrives.
    fn drive<F: Future<Output = Result<(), Error>>>(
        future: F,
        mail: &Mail,
        id: u64,
    ) -> Result<Run, String> {
        let mut future = std::pin::pin!(future);
        let counter = Arc::new(Counter(AtomicUsize::new(0)));
        let waker = Waker::from(counter.clone());
        let mut cx = Context::from_waker(&waker);
        for step in 1..=20 {
            if let Poll::Ready(result) = future.as_mut().poll(&mut cx) {
                return Ok(Run {
                    result,
                    calls: mail.db.calls(),
                    inbox: inbox(mail, id),
                });
            }
            let waiting = waiting_calls(&mail.db);
            let calls = mail.db.calls();
            if waiting == 0 {
                return Err(format!(
                    "poll {step}: returned Pending with no database call waiting, so nothing will ever wake it\nexpected: poll the new state's future at once after a change of state (loop), and return Pending only when that future is pending"
                ));
            }
            // A second poll with nothing new: still pending, and no new call.
            if future.as_mut().poll(&mut cx).is_ready() {
                return Err(format!(
                    "poll {step}: became ready on a second poll although the database had not answered"
                ));
            }
            if mail.db.calls() != calls {
                return Err(format!(
                    "poll {step}: a second poll, with nothing answered, sent another database call ({} calls, then {})\nexpected: keep the sub-future in the state and poll that same future again",
                    calls,
                    mail.db.calls()
                ));
            }
            let wakes = counter.0.load(Ordering::SeqCst);
            mail.db.answer_next();
            if counter.0.load(Ordering::SeqCst) == wakes {
                return Err(format!(
                    "poll {step}: the database answered, but the task was not woken, so it would wait forever\nexpected: poll each sub-future with the `cx` that `poll` was given, so it wakes this task"
                ));
            }
        }
        Err("still pending after 20 answered calls".to_string())
    }

    /// The scenarios of the step's `main`: (name, address, user, free, cached).
    const SCENARIOS: &[(&str, &str, u64, usize, bool)] = &[
        ("success", "hello@example.com", 7, 1, false),
        ("message missing", "nobody@example.com", 7, 1, false),
        ("no such user", "hello@example.com", 8, 1, false),
        ("inbox full", "hello@example.com", 7, 0, false),
        ("cached user", "hello@example.com", 7, 1, true),
    ];

    fn same_results_as_the_async_fn() -> Outcome {
        for &(name, email, id, free, cached) in SCENARIOS {
            let slide = service(free, cached);
            let expected = drive(add_to_inbox(slide.clone(), email.into(), id), &slide, id)
                .map_err(|e| format!("scenario: {name} (the slide's async fn)\n{e}"))?;
            let hand = service(free, cached);
            let got = drive(AddToInbox::new(hand.clone(), email.into(), id), &hand, id)
                .map_err(|e| format!("scenario: {name}\n{e}"))?;
            if got != expected {
                return Err(format!(
                    "scenario: {name}\nexpected: {:?}, {} database calls, inbox {:?} (the async fn)\ngot: {:?}, {} database calls, inbox {:?}",
                    expected.result,
                    expected.calls,
                    expected.inbox,
                    got.result,
                    got.calls,
                    got.inbox
                ));
            }
        }
        Ok(())
    }

    fn pending_until_the_database_answers() -> Outcome {
        let mail = service(1, false);
        let mut future =
            std::pin::pin!(AddToInbox::new(mail.clone(), "hello@example.com".into(), 7));
        let waker = Waker::from(Arc::new(Counter(AtomicUsize::new(0))));
        let mut cx = Context::from_waker(&waker);
        if future.as_mut().poll(&mut cx).is_ready() {
            return Err("the first poll returned Ready: it did not wait for load_message".into());
        }
        for again in 1..=3 {
            if future.as_mut().poll(&mut cx).is_ready() {
                return Err(format!(
                    "poll {}: Ready before the database answered anything",
                    again + 1
                ));
            }
        }
        if mail.db.calls() != 1 {
            return Err(format!(
                "after 4 polls with no answer: {} database calls\nexpected: 1 (load_message's), kept in the LoadingMsg state",
                mail.db.calls()
            ));
        }
        Ok(())
    }

    fn panics_when_polled_after_completion() -> Outcome {
        let mail = service(1, false);
        let mut future = Box::pin(AddToInbox::new(mail.clone(), "hello@example.com".into(), 7));
        let waker = Waker::from(Arc::new(Counter(AtomicUsize::new(0))));
        let mut cx = Context::from_waker(&waker);
        loop {
            if future.as_mut().poll(&mut cx).is_ready() {
                break;
            }
            if !mail.db.answer_next() {
                return Err("pending with no database call waiting".into());
            }
        }
        let again = catch_unwind(AssertUnwindSafe(|| {
            future.as_mut().poll(&mut cx).is_ready()
        }));
        match again {
            Err(_) => Ok(()),
            Ok(ready) => Err(format!(
                "polled once more after it returned Ready, it returned {}\nexpected: a panic (\"AddToInbox polled after completion\"), as an async fn's future does",
                if ready { "Ready again" } else { "Pending" }
            )),
        }
    }

    const CHECKS: &[Check] = &[
        ("same_results_as_the_async_fn", same_results_as_the_async_fn),
        (
            "pending_until_the_database_answers",
            pending_until_the_database_answers,
        ),
        (
            "panics_when_polled_after_completion",
            panics_when_polled_after_completion,
        ),
    ];

    pub(crate) fn run() -> ! {
        run_checks(CHECKS)
    }
}
