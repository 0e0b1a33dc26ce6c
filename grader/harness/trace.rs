// The events of a harness's run, as the slides draw a task's life ("Lifecycle
// of a Task"): each poll of a future the harness hands the student's code,
// with what it returned, and each wake of a waker the harness made, with who
// woke it. The harness sees them through its own futures and wakers: the
// student's file is as it is. A module of the runner, shared by every
// harness; the runner reports the events of a traced run, and the last ones
// of a check that failed.

use super::super::protocol::{Event, What};
use ::std::future::Future;
use ::std::pin::Pin;
use ::std::sync::{Arc, Mutex};
use ::std::task::{Context, Poll, Wake, Waker};
use ::std::time::Instant;

/// The events so far, and when the run began.
static EVENTS: Mutex<(Vec<Event>, Option<Instant>)> = Mutex::new((Vec::new(), None));

/// How many events a run keeps, the first ones: a loop that polls without
/// end must not fill the memory (its first events show it anyway).
const KEPT: usize = 5000;

/// Who a thread that nobody named is, when it wakes a task: the step's
/// timer or reactor, most likely.
static OTHERS: Mutex<&'static str> = Mutex::new("another thread");

::std::thread_local! {
    /// Who this thread is acting as: the task being polled, or what the
    /// scenario named (a client, the database).
    static ACTOR: ::std::cell::RefCell<Option<String>> = const { ::std::cell::RefCell::new(None) };
    /// Wakes a task made of itself during its own poll: recorded after the
    /// poll, where they belong in its lane.
    static SELF_WAKES: ::std::cell::RefCell<Vec<(String, What)>> = const { ::std::cell::RefCell::new(Vec::new()) };
    /// The lane this thread polled last, and whether that poll was its
    /// last (`Ready`): a wake made on this thread after it is the
    /// executor's, or that task's end (its `JoinHandle`'s).
    static LAST_POLLED: ::std::cell::RefCell<Option<(String, bool)>> = const { ::std::cell::RefCell::new(None) };
}

fn lock() -> ::std::sync::MutexGuard<'static, (Vec<Event>, Option<Instant>)> {
    EVENTS.lock().unwrap_or_else(|e| e.into_inner())
}

/// How many times each lane was polled so far, and how many tasks were
/// named.
static POLLS: Mutex<(Vec<(String, u32)>, u32)> = Mutex::new((Vec::new(), 0));

/// Starts a new run's events.
pub(in super::super) fn begin() {
    *lock() = (Vec::new(), Some(Instant::now()));
    *POLLS.lock().unwrap_or_else(|e| e.into_inner()) = (Vec::new(), 0);
}

/// The number of `lane`'s next poll.
fn next_poll(lane: &str) -> u32 {
    let mut polls = POLLS.lock().unwrap_or_else(|e| e.into_inner());
    match polls.0.iter_mut().find(|(l, _)| l == lane) {
        Some((_, n)) => {
            *n += 1;
            *n
        }
        None => {
            polls.0.push((lane.to_string(), 1));
            1
        }
    }
}

/// `lane` starts its life (a task spawned, a `block_on` begun): its polls
/// are counted from 1 again, and `note` says how it began.
pub(in super::super) fn starts(lane: &str, note: &str) {
    POLLS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .0
        .retain(|(l, _)| l != lane);
    record(lane, What::Note(note.to_string()));
}

/// A lane for the next task: `task 1`, `task 2`, ...
pub(in super::super) fn next_task() -> String {
    let mut polls = POLLS.lock().unwrap_or_else(|e| e.into_inner());
    polls.1 += 1;
    ::std::format!("task {}", polls.1)
}

fn event(lane: &str, what: What) -> Event {
    let began = lock().1;
    Event {
        at_us: began.map_or(0, |b| b.elapsed().as_micros() as u64),
        lane: lane.to_string(),
        what,
    }
}

fn push(event: Event) {
    let mut events = lock();
    if events.0.len() < KEPT {
        events.0.push(event);
    }
}

/// Records what happened on `lane`.
pub(in super::super) fn record(lane: &str, what: What) {
    push(event(lane, what));
}

/// Records a note of the scenario's on `lane`: a client sent a byte.
pub(in super::super) fn note(lane: &str, note: String) {
    record(lane, What::Note(note));
}

/// Names who wakes tasks from threads nobody named: `the timer`.
pub(in super::super) fn others_are(who: &'static str) {
    *OTHERS.lock().unwrap_or_else(|e| e.into_inner()) = who;
}

/// Runs `f` as `who`: the wakes it makes are `who`'s.
pub(in super::super) fn acting_as<T>(who: &str, f: impl FnOnce() -> T) -> T {
    let before = ACTOR.with(|a| a.replace(Some(who.to_string())));
    let out = f();
    ACTOR.with(|a| *a.borrow_mut() = before);
    out
}

fn actor() -> String {
    if let Some(actor) = ACTOR.with(|a| a.borrow().clone()) {
        return actor;
    }
    match LAST_POLLED.with(|l| l.borrow().clone()) {
        Some((lane, true)) => ::std::format!("{lane}, as it ended"),
        Some(_) => "the executor".to_string(),
        None => OTHERS.lock().unwrap_or_else(|e| e.into_inner()).to_string(),
    }
}

/// Every event so far, in order.
pub(in super::super) fn events() -> Vec<Event> {
    lock().0.clone()
}

/// A waker that records each wake on `lane` (as the waker of its poll
/// `poll`), then wakes `inner`, if there is one.
pub(in super::super) fn waker(lane: &str, poll: u32, inner: Option<Waker>) -> Waker {
    Waker::from(Arc::new(Recorded {
        lane: lane.to_string(),
        poll,
        inner,
    }))
}

struct Recorded {
    lane: String,
    poll: u32,
    inner: Option<Waker>,
}

impl Wake for Recorded {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        let by = actor();
        let what = What::Wake {
            of_poll: self.poll,
            by: if by == self.lane {
                "itself".to_string()
            } else {
                by
            },
        };
        if ACTOR.with(|a| a.borrow().as_deref() == Some(self.lane.as_str())) {
            SELF_WAKES.with(|w| w.borrow_mut().push((self.lane.clone(), what)));
        } else {
            record(&self.lane, what);
        }
        if let Some(inner) = &self.inner {
            inner.wake_by_ref();
        }
    }
}

/// Polls `future` as `lane`, with a recording waker that wakes `inner` (if
/// any): the poll, its result and its wakes are recorded.
pub(in super::super) fn poll<F: Future + ?Sized>(
    lane: &str,
    future: Pin<&mut F>,
    inner: Option<Waker>,
) -> Poll<F::Output> {
    let n = next_poll(lane);
    let waker = waker(lane, n, inner);
    let result = acting_as(lane, || future.poll(&mut Context::from_waker(&waker)));
    let ready = result.is_ready();
    record(lane, What::Poll { n, ready });
    LAST_POLLED.with(|l| *l.borrow_mut() = Some((lane.to_string(), ready)));
    for (lane, wake) in SELF_WAKES.with(|w| ::std::mem::take(&mut *w.borrow_mut())) {
        record(&lane, wake);
    }
    result
}

/// A future whose every poll, and the wakes of the wakers it is polled
/// with, are recorded on its lane: what a student's executor does to a task
/// of the harness's.
pub(in super::super) struct Traced<F: Future> {
    lane: String,
    future: Pin<Box<F>>,
}

pub(in super::super) fn traced<F: Future>(lane: &str, future: F) -> Traced<F> {
    Traced {
        lane: lane.to_string(),
        future: Box::pin(future),
    }
}

impl<F: Future> Future for Traced<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.get_mut();
        poll(&this.lane, this.future.as_mut(), Some(cx.waker().clone()))
    }
}
