// The grader's harness for `AddToInbox`: a module of a copy of the student's
// add-to-inbox.rs. It runs the hand-written future and the slide's async fn
// side by side, polling each by hand as an executor would, with wakers that
// count their wakes, and answering the simulated database itself, one call
// at a time. A check's error is a headline, then `label: value` lines: what
// was seen, never the fix (the grader's hints give that, when asked).
// It names what it takes of the student's file, and invokes macros by their
// full path: a name of that file (a macro, a function called `Err`) must
// not change what the harness does. How it runs and reports: runner.rs.

#[path = "protocol.rs"]
mod protocol;
#[path = "runner.rs"]
mod runner;

use super::{AddToInbox, Db, Error, Mail, add_to_inbox, service};
use runner::{Check, Counter, Outcome, counted, run_checks_or_trace, trace};
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::task::{Context, Poll};

/// The lanes of the two futures, in a trace: the slide's and the student's.
const ASYNC_FN: &str = "add_to_inbox";
const BY_HAND: &str = "AddToInbox";
const DATABASE: &str = "the database";

/// The database answers the call that waits longest, and wakes its task;
/// `false` when no call waits.
fn answer(mail: &Mail) -> bool {
    trace::note(DATABASE, "answers a call".to_string());
    trace::acting_as(DATABASE, || mail.db.answer_next())
}

/// The traced run: the slide's first scenario, the hand-written future
/// polled as an executor polls it (again only once woken), the database
/// answering one call at a time.
fn traced() -> Outcome {
    let mail = service(1, false);
    let mut future = ::std::pin::pin!(AddToInbox::new(mail.clone(), "hello@example.com".into(), 7));
    let (counter, waker) = counted();
    for _ in 0..20 {
        let before = counter.wakes();
        if trace::poll(BY_HAND, future.as_mut(), Some(waker.clone())).is_ready() {
            return Ok(());
        }
        if counter.wakes() > before {
            // It woke itself: polled again at once.
            continue;
        }
        if !answer(&mail) {
            return Err("Pending, and no database call waits: nothing will wake it".into());
        }
        if counter.wakes() == before {
            return Err("the database answered, and nothing woke the task".into());
        }
    }
    Err("still pending after 20 answered calls".into())
}

/// The state a pending `AddToInbox` waits in: the state of its `.await`
/// point, holding the database call that waits. The state machine is the
/// given enum, moved by the student's `poll`; a future that waits anywhere
/// else (one that the compiler or a library wrote, kept beside the enum)
/// leaves the enum behind.
fn waits_in_its_state(future: &AddToInbox) -> Result<(), String> {
    use super::{AddToInboxState as S, DbCall, GetUser};
    /// Sent, and not answered yet: the queue holds its answer's other end.
    fn waiting<T>(call: &DbCall<T>) -> bool {
        call.query.is_none() && ::std::sync::Arc::strong_count(&call.answer) > 1
    }
    #[allow(unreachable_patterns)]
    let (state, waits) = match &future.state {
        S::LoadingMsg { load, .. } => ("LoadingMsg", waiting(load)),
        S::GettingUser {
            get: GetUser::Fetching { call, .. },
            ..
        } => ("GettingUser", waiting(call)),
        S::AddingInbox { add, .. } => ("AddingInbox", waiting(add)),
        S::New { .. } => ("New", false),
        S::GettingUser { .. } => ("GettingUser", false),
        S::Done { .. } => ("Done", false),
        _ => ("one of its own", false),
    };
    if waits {
        return Ok(());
    }
    Err(::std::format!(
        "it returned Pending in the state `{state}`, which does not hold the database call that waits\nseen: a pending AddToInbox waits in the state of its `.await` point (LoadingMsg, GettingUser or AddingInbox), holding the call it polled there: the state machine is the enum, moved by AddToInbox's own `poll`, not a future the compiler or a library wrote beside it\nlikely: AddToInbox is the state machine itself, as the compiler would write it for the slide's async fn: its `poll` moves the enum from state to state and polls the future each state holds. A future polled in its place (an `async` block or fn, which the compiler writes; `futures`' combinators, which a library wrote) leaves the enum where it started, and the lesson unwritten."
    ))
}

/// The state a pending `AddToInbox` holds, if the call it holds there was
/// answered and its answer taken: it returned Ready once, and was polled
/// again (a `DbCall` polled after its Ready sends nothing, and waits for an
/// answer that never comes).
fn holds_a_spent_call(future: &AddToInbox) -> Option<&'static str> {
    use super::{AddToInboxState as S, DbCall, GetUser};
    fn spent<T>(call: &DbCall<T>) -> bool {
        call.query.is_none()
            && ::std::sync::Arc::strong_count(&call.answer) == 1
            && call.answer.lock().is_ok_and(|a| a.value.is_none())
    }
    #[allow(unreachable_patterns)]
    match &future.state {
        S::LoadingMsg { load, .. } if spent(load) => Some("LoadingMsg"),
        S::GettingUser {
            get: GetUser::Fetching { call, .. },
            ..
        } if spent(call) => Some("GettingUser"),
        S::AddingInbox { add, .. } if spent(add) => Some("AddingInbox"),
        _ => None,
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
    /// Whether the user is in the cache afterwards: `get_user` puts a
    /// user it fetched there.
    cached: bool,
}

/// How many times in a row a future may wake itself before it counts as
/// a busy loop: a change of state or two needs one each.
const SELF_WAKES: usize = 50;

/// Polls `future` once, and again as long as it woke itself during the
/// poll (as an executor would: it asked to be polled again).
fn poll_awake<F: Future>(
    lane: &str,
    future: &mut Pin<&mut F>,
    counter: &Counter,
    cx: &mut Context<'_>,
) -> Result<Poll<F::Output>, String> {
    for _ in 0..SELF_WAKES {
        let before = counter.wakes();
        match trace::poll(lane, future.as_mut(), Some(cx.waker().clone())) {
            Poll::Ready(output) => return Ok(Poll::Ready(output)),
            Poll::Pending if counter.wakes() > before => continue,
            Poll::Pending => return Ok(Poll::Pending),
        }
    }
    Err(::std::format!(
        "woke itself {SELF_WAKES} times in a row without waiting for anything\nseen: a busy loop; a pending future waits for the database's answer"
    ))
}

/// Polls `future` to completion by hand, answering one database call at
/// a time, and checks at each step that it waits and wakes as a future
/// must: pending while its call waits, no new call on a poll that
/// changed nothing, and a wake when the answer arrives.
fn drive<F: Future<Output = Result<(), Error>>>(
    lane: &str,
    future: F,
    mail: &Mail,
    id: u64,
    meanwhile: bool,
    waits_in: Option<fn(&F) -> Result<(), String>>,
    spent: Option<fn(&F) -> Option<&'static str>>,
) -> Result<Run, String> {
    let mut future = ::std::pin::pin!(future);
    let (counter, waker) = counted();
    let mut cx = Context::from_waker(&waker);
    for step in 1..=20 {
        if let Poll::Ready(result) = poll_awake(lane, &mut future, &counter, &mut cx)? {
            return Ok(Run {
                result,
                calls: mail.db.calls(),
                inbox: inbox(mail, id),
                cached: mail.cache.lock().unwrap().contains_key(&id),
            });
        }
        let waiting = waiting_calls(&mail.db);
        let calls = mail.db.calls();
        if waiting == 0 {
            if let Some(state) = spent.and_then(|spent| spent(future.as_ref().get_ref())) {
                return Err(::std::format!(
                    "poll {step}: returned Pending in the state `{state}`, whose database call had already returned Ready\nseen: a future was polled again after it returned Ready: its answer was taken by the poll that was Ready, and the call waits for another that never comes; a state's future is polled until it is Ready, once, and then the state moves on"
                ));
            }
            return Err(::std::format!(
                "poll {step}: returned Pending, but no database call waits and it did not wake itself\nseen: nothing will ever wake this task, so it is never polled again"
            ));
        }
        if let Some(waits_in) = waits_in {
            waits_in(future.as_ref().get_ref()).map_err(|e| ::std::format!("poll {step}: {e}"))?;
        }
        // A second poll with nothing new: still pending, and no new call.
        if poll_awake(lane, &mut future, &counter, &mut cx)?.is_ready() {
            return Err(::std::format!(
                "poll {step}: became ready on a second poll although the database had not answered"
            ));
        }
        if mail.db.calls() != calls {
            return Err(::std::format!(
                "poll {step}: a second poll, with nothing answered, sent another database call\ncalls: {calls}, then {}\nseen: the sub-future of that state was started again instead of polled again",
                mail.db.calls()
            ));
        }
        // The user comes into the cache while the message loads: the
        // slide's `get_user` runs after that, and finds it there.
        if meanwhile && step == 1 {
            let user = mail.db.0.lock().unwrap().tables.users.get(&id).cloned();
            if let Some(user) = user {
                mail.cache.lock().unwrap().insert(id, user);
            }
        }
        let before = counter.wakes();
        answer(mail);
        if counter.wakes() == before {
            return Err(::std::format!(
                "poll {step}: the database answered, but the task was not woken\nseen: it would wait forever; the answer wakes the waker its call was polled with"
            ));
        }
    }
    Err("still pending after 20 answered calls".to_string())
}

/// The scenarios of the step's `main`: (name, address, user, free,
/// cached), and one more: the user is in the cache but gone from the
/// database, so that the last call, `add_to_inbox`, fails.
const SCENARIOS: &[(&str, &str, u64, usize, bool)] = &[
    ("success", "hello@example.com", 7, 1, false),
    ("message missing", "nobody@example.com", 7, 1, false),
    ("no such user", "hello@example.com", 8, 1, false),
    ("inbox full", "hello@example.com", 7, 0, false),
    ("cached user", "hello@example.com", 7, 1, true),
    (GONE, "hello@example.com", 7, 1, true),
    (MEANWHILE, "hello@example.com", 7, 1, false),
];
const GONE: &str = "cached user, gone from the database";
const MEANWHILE: &str = "user cached while the message loads";

/// The mail service of a scenario.
fn scenario(name: &str, free: usize, cached: bool) -> Mail {
    let mail = service(free, cached);
    if name == GONE {
        mail.db.0.lock().unwrap().tables.users.clear();
    }
    mail
}

fn same_results_as_the_async_fn() -> Outcome {
    for &(name, email, id, free, cached) in SCENARIOS {
        let slide = scenario(name, free, cached);
        let meanwhile = name == MEANWHILE;
        let expected = drive(
            ASYNC_FN,
            add_to_inbox(slide.clone(), email.into(), id),
            &slide,
            id,
            meanwhile,
            None,
            None,
        )
        .map_err(|e| ::std::format!("scenario `{name}`, the slide's async fn: {e}"))?;
        let hand = scenario(name, free, cached);
        let got = drive(
            BY_HAND,
            AddToInbox::new(hand.clone(), email.into(), id),
            &hand,
            id,
            meanwhile,
            Some(waits_in_its_state),
            Some(holds_a_spent_call),
        )
        .map_err(|e| {
            let mut lines = e.splitn(2, '\n');
            let headline = lines.next().unwrap_or("");
            let rest = lines.next().unwrap_or("");
            ::std::format!("{headline}\nscenario: {name}\n{rest}")
        })?;
        if got != expected {
            return Err(::std::format!(
                "its result differs from the async fn's\nscenario: {name}\nasync fn: {:?}, {} database calls, inbox {:?}, user cached: {}\nby hand: {:?}, {} database calls, inbox {:?}, user cached: {}{}",
                expected.result,
                expected.calls,
                expected.inbox,
                expected.cached,
                got.result,
                got.calls,
                got.inbox,
                got.cached,
                if got.cached != expected.cached {
                    "\nseen: get_user's future puts a user it fetched into the cache: poll the `get_user` future itself, not the database call inside it"
                } else if meanwhile {
                    "\nseen: the user came into the cache while the message loaded, and the async fn found it there: its `get_user` is called only once the message is loaded, at its own `.await` point, and looks in the cache then"
                } else {
                    ""
                }
            ));
        }
    }
    Ok(())
}

fn pending_until_the_database_answers() -> Outcome {
    let mail = service(1, false);
    let mut future = ::std::pin::pin!(AddToInbox::new(mail.clone(), "hello@example.com".into(), 7));
    let (counter, waker) = counted();
    let mut cx = Context::from_waker(&waker);
    if poll_awake(BY_HAND, &mut future, &counter, &mut cx)?.is_ready() {
        return Err(
            "the first poll returned Ready\nseen: it did not wait for load_message's answer".into(),
        );
    }
    for again in 1..=3 {
        if poll_awake(BY_HAND, &mut future, &counter, &mut cx)?.is_ready() {
            return Err(::std::format!(
                "poll {}: Ready before the database answered anything",
                again + 1
            ));
        }
    }
    if mail.db.calls() != 1 {
        return Err(::std::format!(
            "after 4 polls with no answer, {} database calls were sent\nexpected: 1 (load_message's), waited for in the LoadingMsg state",
            mail.db.calls()
        ));
    }
    waits_in_its_state(future.as_ref().get_ref())
        .map_err(|e| ::std::format!("after 4 polls with no answer, {e}"))
}

/// A task may be polled with a new waker each time (it moved to another
/// thread, say): an answer must wake the waker of the latest poll.
fn wakes_the_waker_of_the_latest_poll() -> Outcome {
    let mail = service(1, false);
    let mut future = ::std::pin::pin!(AddToInbox::new(mail.clone(), "hello@example.com".into(), 7));
    let mut step = 0;
    loop {
        step += 1;
        let (first, first_waker) = counted();
        if poll_awake(
            BY_HAND,
            &mut future,
            &first,
            &mut Context::from_waker(&first_waker),
        )?
        .is_ready()
        {
            return Ok(());
        }
        // Polled again, with another waker, as after a move.
        let (latest, latest_waker) = counted();
        if poll_awake(
            BY_HAND,
            &mut future,
            &latest,
            &mut Context::from_waker(&latest_waker),
        )?
        .is_ready()
        {
            return Ok(());
        }
        if !answer(&mail) {
            return Err(::std::format!(
                "poll {step}: pending with no database call waiting"
            ));
        }
        if latest.wakes() == 0 {
            let old = if first.wakes() > 0 {
                "the waker of the poll before it was woken instead"
            } else {
                "no waker was woken"
            };
            return Err(::std::format!(
                "poll {step}: polled again with a new waker, then answered: the new waker was not woken\nseen: {old}; a task polled with a new waker is woken through it, or never polled again"
            ));
        }
        if step > 20 {
            return Err("still pending after 20 answered calls".into());
        }
    }
}

fn panics_when_polled_after_completion() -> Outcome {
    // A success, and every error: each ends the state machine.
    for &(scenario, email, id, free, cached) in SCENARIOS {
        let mail = self::scenario(scenario, free, cached);
        let mut future = Box::pin(AddToInbox::new(mail.clone(), email.into(), id));
        let (counter, waker) = counted();
        let mut cx = Context::from_waker(&waker);
        let mut pinned = future.as_mut();
        let result = loop {
            if let Poll::Ready(result) = poll_awake(BY_HAND, &mut pinned, &counter, &mut cx)? {
                break result;
            }
            if !answer(&mail) {
                return Err(::std::format!(
                    "pending with no database call waiting\nscenario: {scenario}"
                ));
            }
        };
        let again = catch_unwind(AssertUnwindSafe(|| {
            future.as_mut().poll(&mut cx).is_ready()
        }));
        if let Ok(ready) = again {
            return Err(::std::format!(
                "polled once more after it returned Ready, it returned {}\nscenario: {scenario}, which returned {result:?}\nexpected: a panic, as an async fn's future does",
                if ready { "Ready again" } else { "Pending" }
            ));
        }
    }
    Ok(())
}

const CHECKS: &[Check] = &[
    ("same_results_as_the_async_fn", same_results_as_the_async_fn),
    (
        "pending_until_the_database_answers",
        pending_until_the_database_answers,
    ),
    (
        "wakes_the_waker_of_the_latest_poll",
        wakes_the_waker_of_the_latest_poll,
    ),
    (
        "panics_when_polled_after_completion",
        panics_when_polled_after_completion,
    ),
];

pub(crate) fn run() -> ! {
    run_checks_or_trace(CHECKS, traced)
}
