// The grader's harness for echo-own-runtime, its traced run: a module of the
// harness (harness.rs). `cargo run -p grader -- trace echo-own-runtime`
// draws what the student's reactor did with it.

use super::runner::{Outcome, trace};
use super::{connections, counter, poll_as};
use std::io::Write as _;

/// Three tasks, each reading its own socket: each read polled once
/// (`Pending`: nothing came yet), then the clients send, one after the
/// other (the second, then the first, then the third), each waiting for
/// its task's wake before the next sends; a woken task is polled again, as
/// an executor would, and reads what came. Who woke whom, and when.
pub(super) fn scenario() -> Outcome {
    trace::others_are("the reactor");
    let (_listener, mut pairs) = connections(3)?;
    // The accepts above are the set-up: the trace starts here.
    trace::begin();
    let mut bufs = [[0u8; 16]; 3];
    let (clients, streams): (Vec<_>, Vec<_>) = pairs.iter_mut().map(|(c, s)| (c, s)).unzip();
    let mut reads: Vec<_> = streams
        .into_iter()
        .zip(bufs.iter_mut())
        .map(|(stream, buf)| Box::pin(stream.read(buf)))
        .collect();
    let wakers: Vec<_> = (0..3).map(|_| counter()).collect();
    let lane = |i: usize| ::std::format!("task {}", i + 1);
    for (i, read) in reads.iter_mut().enumerate() {
        if poll_as(&lane(i), read.as_mut(), &wakers[i].1).is_ready() {
            return Err(::std::format!(
                "the read of {} found bytes before its client sent any",
                lane(i)
            ));
        }
    }
    let mut clients = clients;
    for i in [1, 0, 2] {
        let before = wakers[i].0.wakes();
        trace::note(
            &::std::format!("client {}", i + 1),
            "sends a line".to_string(),
        );
        trace::acting_as(&::std::format!("client {}", i + 1), || {
            clients[i].write_all(b"hi\n")
        })
        .map_err(|e| ::std::format!("client {} could not send: {e}", i + 1))?;
        if !wakers[i].0.woken(before + 1) {
            return Err(::std::format!(
                "client {} sent a line, and nothing woke {}",
                i + 1,
                lane(i)
            ));
        }
        if poll_as(&lane(i), reads[i].as_mut(), &wakers[i].1).is_pending() {
            return Err(::std::format!(
                "{} was woken, and its read was still Pending",
                lane(i)
            ));
        }
    }
    Ok(())
}
