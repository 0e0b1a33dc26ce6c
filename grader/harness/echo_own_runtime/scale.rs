// The grader's harness for echo-own-runtime, its checks of many sockets
// and many events: a module of the harness (harness.rs), which names what
// it takes of the student's file.

use super::runner::{Outcome, deadline};
use super::{Counter, Reactor, connections, counter, quiet_reads};
use std::io::Write as _;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

/// How many sockets are ready at the same moment.
const TOGETHER: usize = 8;

/// Sockets that become ready at the same moment come in one wait of the
/// poller, as events side by side: each must wake the task waiting on its
/// socket. The harness holds the reactor's wakers while its clients send,
/// so that the reactor, woken by the first, takes the rest in one wait.
pub(super) fn sockets_ready_together_wake_every_task() -> Outcome {
    let (_listener, mut pairs) = connections(TOGETHER)?;
    let mut bufs = [[0u8; 1]; TOGETHER];
    let counters: Vec<(Arc<Counter>, Waker)> = (0..TOGETHER).map(|_| counter()).collect();
    let mut clients = Vec::with_capacity(TOGETHER);
    let mut reads = Vec::with_capacity(TOGETHER);
    for ((client, stream), buf) in pairs.iter_mut().zip(bufs.iter_mut()) {
        clients.push(client);
        reads.push(Box::pin(stream.read(buf)));
    }
    let quiet = quiet_reads(&mut reads, &counters)?;
    {
        let _held = Reactor::get().wakers.lock();
        for client in &mut clients {
            client
                .write_all(b"x")
                .map_err(|e| ::std::format!("a client could not send: {e}"))?;
        }
    }
    // One deadline for them all: each has had all of it when it is looked at.
    let end = std::time::Instant::now() + deadline();
    let lost: Vec<String> = counters
        .iter()
        .zip(&quiet)
        .enumerate()
        .filter(|(_, ((counter, _), seen))| {
            let left = end.saturating_duration_since(std::time::Instant::now());
            !counter.woken_within(*seen + 1, left)
        })
        .map(|(i, _)| (i + 1).to_string())
        .collect();
    if !lost.is_empty() {
        return Err(::std::format!(
            "{TOGETHER} sockets became ready at the same moment, and the tasks reading {} of them were never woken\nnever woken: socket {}\nseen: the reactor woke the tasks of some of the events one wait gave, not of them all: each event wakes the task waiting on its socket",
            lost.len(),
            lost.join(", socket ")
        ));
    }
    Ok(())
}

/// How many times a socket is made ready, one after the other.
const EVENTS: usize = 3000;

/// A reactor runs as long as the server does: thousands of events, one
/// after another, each wakes its task. One whose list of events is never
/// cleared fills it, and its wait fails.
pub(super) fn keeps_waking_after_thousands_of_events() -> Outcome {
    let (_listener, mut pairs) = connections(1)?;
    let (client, stream) = &mut pairs[0];
    for n in 1..=EVENTS {
        let mut buf = [0u8; 1];
        let (counter, waker) = counter();
        let mut read = Box::pin(stream.read(&mut buf));
        if read
            .as_mut()
            .poll(&mut Context::from_waker(&waker))
            .is_ready()
        {
            return Err(::std::format!(
                "event {n}: a read of a socket whose client sent nothing returned at once"
            ));
        }
        client
            .write_all(b"x")
            .map_err(|e| ::std::format!("the client could not send: {e}"))?;
        if !counter.woken(1) {
            return Err(::std::format!(
                "after {} events, one after another, the client's byte no longer woke the reading task\nseen: the reactor stopped waking tasks after some events: what it waits with filled up, or its thread ended",
                n - 1
            ));
        }
        if !::std::matches!(
            read.as_mut().poll(&mut Context::from_waker(&waker)),
            Poll::Ready(Ok(1))
        ) {
            return Err(::std::format!(
                "event {n}: once woken, the read did not return the client's byte"
            ));
        }
    }
    Ok(())
}

/// How many sockets are read at once, and how many times: each read is
/// registered while its client's byte comes at about the same moment.
const RACING_SOCKETS: usize = 32;
const RACES: usize = 400;

/// Bytes that come while a read registers (after its `WouldBlock`, before
/// or as its socket is armed) must still wake its task. A reactor whose
/// waker goes in only after the socket is armed loses that wake now and
/// then: the event comes at once, finds no waker, and is gone. The harness
/// makes that moment come again and again: it polls a read of each of many
/// sockets in turn while their clients send a byte each, in the same turn,
/// a little later each time, from another core; the reactor's thread
/// shares the polling thread's core, so that an event the arming sets off
/// runs the reactor at once, before the polling thread goes on (Linux).
pub(super) fn a_socket_ready_as_it_is_armed_wakes_its_task() -> Outcome {
    let (_listener, mut pairs) = connections(RACING_SOCKETS)?;
    let mut senders = Vec::with_capacity(RACING_SOCKETS);
    for (client, _) in &pairs {
        senders.push(
            client
                .try_clone()
                .map_err(|e| ::std::format!("a client could not be shared: {e}"))?,
        );
    }
    let cpus = cores::allowed();
    if let Some(&cpu) = cpus.first() {
        cores::pin_every_thread(cpu);
    }
    let other = cpus.get(1).copied();
    let go = Arc::new(std::sync::Barrier::new(2));
    let (sent_tx, sent) = std::sync::mpsc::channel::<()>();
    let sends = {
        let go = go.clone();
        std::thread::spawn(move || {
            if let Some(cpu) = other {
                cores::pin_this_thread(cpu);
            }
            for round in 0..RACES {
                go.wait();
                // A little later each round, so that some byte comes just as
                // its read registers.
                for _ in 0..(round % 50) * 20 {
                    std::hint::spin_loop();
                }
                for sender in &mut senders {
                    if sender.write_all(b"x").is_err() {
                        return;
                    }
                }
                let _ = sent_tx.send(());
            }
        })
    };
    let mut registered = 0;
    for round in 1..=RACES {
        let mut bufs = [[0u8; 1]; RACING_SOCKETS];
        let counters: Vec<(Arc<Counter>, Waker)> = (0..RACING_SOCKETS).map(|_| counter()).collect();
        let mut reads: Vec<_> = pairs
            .iter_mut()
            .zip(bufs.iter_mut())
            .map(|((_, stream), buf)| Box::pin(stream.read(buf)))
            .collect();
        go.wait();
        let first: Vec<bool> = reads
            .iter_mut()
            .zip(&counters)
            .map(|(read, (_, waker))| {
                read.as_mut()
                    .poll(&mut Context::from_waker(waker))
                    .is_pending()
            })
            .collect();
        let _ = sent.recv_timeout(deadline());
        for ((read, (counter, waker)), pending) in reads.iter_mut().zip(&counters).zip(first) {
            if !pending {
                continue;
            }
            registered += 1;
            if !counter.woken(1) {
                return Err(::std::format!(
                    "a read was registered as its client's byte came (round {round} of {RACES}), and its task was never woken\nseen: likely a race: the reactor took the event before the waker was there; the waker goes in before the socket is armed, so that an event that comes at once finds whom to wake"
                ));
            }
            match read.as_mut().poll(&mut Context::from_waker(waker)) {
                Poll::Ready(Ok(1)) => {}
                other => {
                    return Err(::std::format!(
                        "once woken, a read of a socket with one byte there gave {other:?}"
                    ));
                }
            }
        }
    }
    drop(sends);
    // Too few rounds met the moment to tell: none passes for having met it.
    if registered == 0 {
        return Err(
            "no read ever waited for its client's byte: every one found it there at once".into(),
        );
    }
    Ok(())
}

/// Which cores the harness's threads run on (Linux): the grader's own
/// choice, for a check that needs two threads on one core.
mod cores {
    #[cfg(target_os = "linux")]
    unsafe extern "C" {
        fn sched_getaffinity(pid: i32, size: usize, mask: *mut u64) -> i32;
        fn sched_setaffinity(pid: i32, size: usize, mask: *const u64) -> i32;
    }

    /// The cores this process may run on (the first 64).
    pub(super) fn allowed() -> Vec<usize> {
        #[cfg(target_os = "linux")]
        {
            let mut mask = 0u64;
            // SAFETY: the kernel writes at most `size` bytes into `mask`.
            if unsafe { sched_getaffinity(0, 8, &mut mask) } != 0 {
                return Vec::new();
            }
            (0..64).filter(|cpu| mask & (1 << cpu) != 0).collect()
        }
        #[cfg(not(target_os = "linux"))]
        Vec::new()
    }

    fn pin(tid: i32, cpu: usize) {
        #[cfg(target_os = "linux")]
        {
            let mask = 1u64 << cpu;
            // SAFETY: the kernel reads `size` bytes from `mask`.
            unsafe { sched_setaffinity(tid, 8, &mask) };
        }
        let _ = (tid, cpu);
    }

    pub(super) fn pin_this_thread(cpu: usize) {
        pin(0, cpu);
    }

    /// Every thread of this process, the student's reactor's included.
    pub(super) fn pin_every_thread(cpu: usize) {
        let tasks = std::fs::read_dir("/proc/self/task").into_iter().flatten();
        for task in tasks.flatten() {
            if let Some(tid) = task.file_name().to_str().and_then(|t| t.parse().ok()) {
                pin(tid, cpu);
            }
        }
    }
}
