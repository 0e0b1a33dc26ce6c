// The grader's harness for echo-own-runtime: a module of a copy of the
// student's file. It drives the step's own sockets and reactor by hand:
// futures polled with wakers that count their wakes, and std clients on
// loopback that make chosen sockets ready.
// It names what it takes of the student's file, and invokes macros by their
// full path: a name of that file must not change what the harness does.
// How it runs and reports: runner.rs. Its checks of many sockets at once
// are in scale.rs; of writes and dropped sockets, in writes.rs.

#[path = "protocol.rs"]
mod protocol;
#[path = "runner.rs"]
mod runner;
// The checks of many sockets and many events, and of writes and drops.
#[path = "echo_own_runtime/scale.rs"]
mod scale;
#[path = "echo_own_runtime/writes.rs"]
mod writes;
// The traced run that `trace echo-own-runtime` draws.
#[path = "echo_own_runtime/traced.rs"]
mod traced;

use super::{Reactor, TcpListener, TcpStream, block_on};
use runner::{Check, Outcome, deadline, run_checks_or_trace, trace};
use std::future::Future;
use std::io::Write as _;
use std::net::SocketAddr;
use std::sync::{Arc, Condvar, Mutex};
use std::task::{Poll, Wake, Waker};

/// Counts the wakes of the task it stands for, and tells who waits.
#[derive(Default)]
struct Counter {
    wakes: Mutex<usize>,
    changed: Condvar,
}

impl Wake for Counter {
    fn wake(self: Arc<Self>) {
        *self.wakes.lock().unwrap() += 1;
        self.changed.notify_all();
    }
}

impl Counter {
    fn wakes(&self) -> usize {
        *self.wakes.lock().unwrap()
    }

    /// Waits, up to the deadline, until it has been woken `n` times.
    fn woken(&self, n: usize) -> bool {
        self.woken_within(n, deadline())
    }

    /// Waits, up to `span`, until it has been woken `n` times.
    fn woken_within(&self, n: usize, span: std::time::Duration) -> bool {
        let end = std::time::Instant::now() + span;
        let mut wakes = self.wakes.lock().unwrap();
        while *wakes < n {
            let now = std::time::Instant::now();
            if now >= end {
                return false;
            }
            wakes = self.changed.wait_timeout(wakes, end - now).unwrap().0;
        }
        true
    }
}

/// How long a task polled Pending may still be woken by what its own
/// registration set off (a socket writable when first added, say),
/// before it counts as waiting.
fn settling() -> std::time::Duration {
    deadline() / 25
}

/// Polls each future again each time it is woken, as an executor
/// would, until none is woken for a while: a registration may wake its
/// task once, harmlessly. Returns each one's wakes so far; fails if a
/// future is woken again and again (a busy loop) or becomes ready.
fn settle<F: Future<Output = std::io::Result<usize>> + Unpin>(
    futures: &mut [F],
    counters: &[(Arc<Counter>, Waker)],
    what: &str,
) -> Result<Vec<usize>, String> {
    // The wakes each had before its first poll: none.
    let mut polled: Vec<usize> = ::std::vec![0; counters.len()];
    for _round in 0..20 {
        let mut woken = false;
        // One window for them all: each has had all of it when it is
        // looked at.
        let end = std::time::Instant::now() + settling();
        for (i, ((future, (counter, waker)), seen)) in futures
            .iter_mut()
            .zip(counters)
            .zip(polled.iter_mut())
            .enumerate()
        {
            let now = counter.wakes();
            let left = end.saturating_duration_since(std::time::Instant::now());
            if now == *seen && !counter.woken_within(now + 1, left) {
                continue;
            }
            woken = true;
            *seen = counter.wakes();
            let lane = ::std::format!("task {}", i + 1);
            if let Poll::Ready(got) = poll_as(&lane, std::pin::Pin::new(&mut *future), waker) {
                return Err(read_at_once(what, &got));
            }
        }
        if !woken {
            return Ok(polled);
        }
    }
    Err(::std::format!(
        "{what} was woken again and again, though nothing happened on its socket\nseen: a busy loop: each poll set off another wake\nlikely: it waits for a readiness its socket always has: a connected socket is writable almost always, so a read (or an accept) registered for `Interest::Write` is woken at once, every time; a read and an accept wait to become readable. Or the future wakes its own waker before returning Pending, where it must leave it with the reactor"
    ))
}

/// Polls `future` as `lane` with `waker`: the poll, its result and the
/// wakes of its waker are recorded, for a failure's last events.
fn poll_as<F: Future + ?Sized>(
    lane: &str,
    future: std::pin::Pin<&mut F>,
    waker: &Waker,
) -> Poll<F::Output> {
    trace::poll(lane, future, Some(waker.clone()))
}

fn counter() -> (Arc<Counter>, Waker) {
    let counter = Arc::new(Counter::default());
    let waker = Waker::from(counter.clone());
    (counter, waker)
}

/// Polls each read of a socket whose client sent nothing once (each must
/// be `Pending`), then lets what the registrations set off (a socket
/// writable as it is added) be over, as `settle`; each one's wakes so far.
fn quiet_reads<F: Future<Output = std::io::Result<usize>> + Unpin>(
    reads: &mut [F],
    counters: &[(Arc<Counter>, Waker)],
) -> Result<Vec<usize>, String> {
    const WHAT: &str = "a read of a socket whose client sent nothing";
    for (i, (read, (_, waker))) in reads.iter_mut().zip(counters).enumerate() {
        let _polling = in_poll(WHAT);
        let lane = ::std::format!("task {}", i + 1);
        if let Poll::Ready(got) = poll_as(&lane, std::pin::Pin::new(read), waker) {
            return Err(read_at_once(WHAT, &got));
        }
    }
    settle(reads, counters, WHAT)
}

/// Polls `future` until it is ready, waiting for its wakes as an
/// executor would, each up to the deadline.
fn ready<F: Future>(future: F, what: &str) -> Result<F::Output, String> {
    let mut future = ::std::pin::pin!(future);
    let (counter, waker) = counter();
    for seen in 0..100 {
        if let Poll::Ready(output) = poll_as(what, future.as_mut(), &waker) {
            return Ok(output);
        }
        if !counter.woken(seen + 1) {
            return Err(::std::format!(
                "{what} returned Pending and was never woken\nseen: nothing woke its task within {:?}",
                deadline()
            ));
        }
    }
    Err(::std::format!(
        "{what} was woken 100 times without becoming ready"
    ))
}

/// The step's runtime, running an endless `block_on` on a thread of its
/// own: a reactor that runs on the executor's thread, while it is idle,
/// turns there; one with a thread of its own needs nothing of it.
fn runtime_running() {
    static STARTED: std::sync::Once = std::sync::Once::new();
    STARTED.call_once(|| {
        std::thread::spawn(|| block_on(std::future::pending::<()>()));
    });
}

/// A listener on loopback and `n` connections to it: each a std client
/// and the step's own stream for it.
fn connections(n: usize) -> Result<(TcpListener, Vec<(std::net::TcpStream, TcpStream)>), String> {
    runtime_running();
    let mut listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .map_err(|e| ::std::format!("TcpListener::bind failed: {e}"))?;
    let addr = listener
        .local_addr()
        .map_err(|e| ::std::format!("local_addr failed: {e}"))?;
    let mut pairs = Vec::with_capacity(n);
    for _ in 0..n {
        let client = std::net::TcpStream::connect(addr)
            .map_err(|e| ::std::format!("a client could not connect: {e}"))?;
        let (stream, _) = ready(listener.accept(), "accept")?
            .map_err(|e| ::std::format!("accept failed: {e}"))?;
        pairs.push((client, stream));
    }
    Ok((listener, pairs))
}

fn a_ready_socket_wakes_only_its_task() -> Outcome {
    let (_listener, mut pairs) = connections(4)?;
    let [(client_a, a), (_, b), (client_c, c), (client_d, d)] = &mut pairs[..] else {
        ::std::unreachable!("four connections")
    };
    let (mut buf_a, mut buf_b, mut buf_c) = ([0u8; 16], [0u8; 16], [0u8; 16]);
    let mut reads = [
        Box::pin(a.read(&mut buf_a)),
        Box::pin(b.read(&mut buf_b)),
        Box::pin(c.read(&mut buf_c)),
    ];
    let counters: Vec<(Arc<Counter>, Waker)> = (0..3).map(|_| counter()).collect();
    let quiet = quiet_reads(&mut reads, &counters)?;
    // A's client sends: A's task, and only A's, is woken.
    client_a
        .write_all(b"a\n")
        .map_err(|e| ::std::format!("client A could not send: {e}"))?;
    if !counters[0].0.woken(quiet[0] + 1) {
        return Err("client A sent a line, but the task reading A's socket was not woken\nseen: the reactor did not wake the waker registered for A's socket".into());
    }
    client_c
        .write_all(b"c\n")
        .map_err(|e| ::std::format!("client C could not send: {e}"))?;
    if !counters[2].0.woken(quiet[2] + 1) {
        return Err("client C sent a line, but the task reading C's socket was not woken".into());
    }
    // A reactor makes every wake of an event before it waits for the next:
    // once a read of D, registered only now, is woken by D's client, every
    // wake that A's and C's events made has been made.
    let mut buf_d = [0u8; 16];
    let mut read_d = [Box::pin(d.read(&mut buf_d))];
    let last = [counter()];
    if let Poll::Ready(got) = poll_as("task 1", read_d[0].as_mut(), &last[0].1) {
        return Err(read_at_once(
            "a read of a socket whose client sent nothing",
            &got,
        ));
    }
    let quiet_d = settle(
        &mut read_d,
        &last,
        "a read of a socket whose client sent nothing",
    )?;
    client_d
        .write_all(b"d\n")
        .map_err(|e| ::std::format!("client D could not send: {e}"))?;
    if !last[0].0.woken(quiet_d[0] + 1) {
        return Err("client D sent a line, but the task reading D's socket was not woken".into());
    }
    if counters[1].0.wakes() > quiet[1] {
        return Err("the task reading B's socket was woken, though B's client sent nothing\nseen: only A's, C's and D's sockets were ready; a reactor wakes the task that waits on the ready socket, and no other".into());
    }
    // Each of A and C had one event, and was not polled again: one wake.
    for (i, name, later) in [(0, "A", "C's and D's"), (2, "C", "D's")] {
        let wakes = counters[i].0.wakes() - quiet[i];
        if wakes > 1 {
            return Err(::std::format!(
                "the task reading {name}'s socket was woken {wakes} times for its client's one line\nseen: it was woken again at {later} events, though it was not polled again in between\nlikely: the reactor wakes again the wakers it woke before: its list of wakers to wake is never emptied (iterated with `iter()` and `wake_by_ref`, where `drain(..)` and `wake` empty it), so each event wakes every task an earlier one woke"
            ));
        }
    }
    if !::std::matches!(
        poll_as("task 1", reads[0].as_mut(), &counters[0].1),
        Poll::Ready(Ok(2))
    ) {
        return Err("once woken, the read of A's socket did not return A's two bytes".into());
    }
    Ok(())
}

fn wakes_the_waker_of_the_latest_poll() -> Outcome {
    let (_listener, mut pairs) = connections(1)?;
    let (client, stream) = &mut pairs[0];
    let mut buf = [0u8; 16];
    let (first, first_waker) = counter();
    let (latest, latest_waker) = counter();
    {
        let mut read = Box::pin(stream.read(&mut buf));
        for waker in [&first_waker, &latest_waker] {
            let _polling = in_poll("a read of a socket whose client sent nothing");
            if let Poll::Ready(got) = poll_as("the read", read.as_mut(), waker) {
                return Err(read_at_once(
                    "a read of a socket whose client sent nothing",
                    &got,
                ));
            }
        }
        client
            .write_all(b"hello\n")
            .map_err(|e| ::std::format!("the client could not send: {e}"))?;
        if !latest.woken(1) {
            let seen = if first.wakes() > 0 {
                "the waker of the first poll was woken instead"
            } else {
                "no waker was woken"
            };
            return Err(::std::format!(
                "a read polled twice, with a new waker the second time; then the client sent a line: the new waker was not woken\nseen: {seen}; a task polled with a new waker is woken through it, or never polled again"
            ));
        }
    }
    // The same for an accept, and a client that comes after the second poll.
    let mut listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .map_err(|e| ::std::format!("TcpListener::bind failed: {e}"))?;
    let addr = listener
        .local_addr()
        .map_err(|e| ::std::format!("local_addr failed: {e}"))?;
    {
        let (first, first_waker) = counter();
        let (latest, latest_waker) = counter();
        let mut accept = Box::pin(listener.accept());
        for waker in [&first_waker, &latest_waker] {
            let _polling = in_poll("an accept with no client coming");
            if poll_as("the accept", accept.as_mut(), waker).is_ready() {
                return Err("an accept with no client coming returned at once\nseen: `WouldBlock` means no client yet: wait for one".into());
            }
        }
        let _client = std::net::TcpStream::connect(addr)
            .map_err(|e| ::std::format!("a client could not connect: {e}"))?;
        if !latest.woken(1) {
            return Err(stale("an accept", "a client came", &first));
        }
    }
    // And for a write_all that waits for room, and a client that reads.
    let (_listener, mut pairs) = connections(1)?;
    let (client, stream) = &mut pairs[0];
    let data = ::std::vec![7u8; 16 << 20];
    let (first, first_waker) = counter();
    let (latest, latest_waker) = counter();
    let mut write = Box::pin(stream.write_all(&data));
    for waker in [&first_waker, &latest_waker] {
        let _polling = in_poll("a write_all of 16 MiB to a client that reads nothing");
        if poll_as("the write", write.as_mut(), waker).is_ready() {
            return Err(::std::format!(
                "write_all of 16 MiB to a client that reads nothing returned Ready at once\nseen: it did not wait for the client to read\nlikely: {}",
                WRITE_WAITS
            ));
        }
    }
    // The client reads what there is, until the writer's task is woken.
    client
        .set_nonblocking(true)
        .map_err(|e| ::std::format!("the client's non-blocking mode: {e}"))?;
    let mut chunk = ::std::vec![0u8; 64 << 10];
    while latest.wakes() == 0 {
        match std::io::Read::read(client, &mut chunk) {
            Ok(0) => return Err("the connection ended in the middle of a write_all".into()),
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                if !latest.woken(1) {
                    return Err(stale("write_all", "the client read what was there", &first));
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(::std::format!("the client could not read: {e}")),
        }
    }
    Ok(())
}

/// Says, if the poll that follows never returns, that the future loops or
/// blocks inside it.
fn in_poll(what: &str) -> runner::Doing {
    runner::doing(::std::format!(
        "{what} was polled: its `poll` never returned\nlikely: it loops or blocks inside `poll` (a retry at once on `WouldBlock`, or a blocking call), where it must leave its waker with the reactor and return Pending: the executor's one thread runs every task, and spins there"
    ))
}

/// What a read that should have waited returned instead, and why it may
/// have: a message.
fn read_at_once(what: &str, got: &std::io::Result<usize>) -> String {
    match got {
        Ok(0) => ::std::format!(
            "{what} returned Ok(0), the end of the input, though its client is still there\nseen: a read with no bytes there yet waits (Pending); `WouldBlock` is not the end of the input"
        ),
        Ok(n) => ::std::format!("{what} returned {n} bytes, though its client sent nothing"),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => ::std::format!(
            "{what} returned an error: {e}\nseen: the socket was added to the poller again: a socket is added once, at its first registration, and armed again (`modify`) each time it must wait again"
        ),
        Err(e) => ::std::format!(
            "{what} returned an error: {e}\nseen: its registration with the reactor failed, or the read did; a read with no bytes there yet waits (Pending)"
        ),
    }
}

/// What a write_all that did not wait likely did.
const WRITE_WAITS: &str = "a write may take only part of the buffer (as much as the socket has room for): write_all keeps what is left, and on `WouldBlock` waits, registered for the socket to become writable, before it writes on";

/// A future polled twice, the second time with a new waker, whose new
/// waker was not woken when `then` happened.
fn stale(what: &str, then: &str, first: &Counter) -> String {
    let seen = if first.wakes() > 0 {
        "the waker of the first poll was woken instead"
    } else {
        "no waker was woken"
    };
    // A write woken by nothing, when it waited for the wrong readiness or
    // registered once: both are likely, and said.
    let likely = if what == "write_all" && first.wakes() == 0 {
        "\nlikely: the write waited for the wrong readiness (a full socket becomes writable: the write registers for `Interest::Write`, not `Interest::Read`), or it registered only once (it registers again, with `cx.waker()`, at every `WouldBlock`), or the reactor's loop wakes only for readable events (a writable event wakes the waker registered for it too)"
    } else {
        ""
    };
    ::std::format!(
        "{what} polled twice, with a new waker the second time; then {then}: the new waker was not woken\nseen: {seen}; each poll that returns Pending must leave its own waker with the reactor (registered again, with `cx.waker()`, at every `WouldBlock`): a task polled with a new waker is woken through it, or never polled again{likely}"
    )
}

const CHECKS: &[Check] = &[
    (
        "a_ready_socket_wakes_only_its_task",
        a_ready_socket_wakes_only_its_task,
    ),
    (
        "wakes_the_waker_of_the_latest_poll",
        wakes_the_waker_of_the_latest_poll,
    ),
    (
        "sockets_ready_together_wake_every_task",
        scale::sockets_ready_together_wake_every_task,
    ),
    (
        "keeps_waking_after_thousands_of_events",
        scale::keeps_waking_after_thousands_of_events,
    ),
    (
        "a_socket_ready_as_it_is_armed_wakes_its_task",
        scale::a_socket_ready_as_it_is_armed_wakes_its_task,
    ),
    (
        "a_write_waits_again_after_a_partial_write",
        writes::a_write_waits_again_after_a_partial_write,
    ),
    (
        "a_dropped_socket_leaves_the_reactor",
        writes::a_dropped_socket_leaves_the_reactor,
    ),
];

pub(crate) fn run() -> ! {
    run_checks_or_trace(CHECKS, traced::scenario)
}
