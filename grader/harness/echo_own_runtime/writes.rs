// The grader's harness for echo-own-runtime, its checks of a write that
// fills the socket and of a socket dropped: a module of the harness
// (harness.rs), which names what it takes of the student's file.

use super::runner::{Outcome, deadline};
use super::{Reactor, connections, counter, poll_as, settling};
use std::task::{Context, Poll};

/// A write that fills the socket's buffers waits; woken when the client
/// reads, it writes what fits and fills them again: it must wait again,
/// registered anew, since each readiness event comes once.
pub(super) fn a_write_waits_again_after_a_partial_write() -> Outcome {
    use std::io::Read as _;
    const BIG: usize = 16 << 20;
    // Byte `i` is `i % 251`: a byte sent twice, or lost, shows.
    let byte = |i: usize| (i % 251) as u8;
    // Checks what arrived at `offset`; says where it first went wrong.
    let arrived = move |bytes: &[u8], offset: usize| -> Result<(), String> {
        match bytes
            .iter()
            .enumerate()
            .find(|&(k, b)| *b != byte(offset + k))
        {
            None => Ok(()),
            Some((k, _)) => Err(::std::format!(
                "the client received wrong bytes from offset {}: some of what write_all wrote came twice, or was skipped\nseen: after a short write, only the bytes not yet written are written next",
                offset + k
            )),
        }
    };
    let (_listener, mut pairs) = connections(1)?;
    let (client, stream) = &mut pairs[0];
    // A guard against a hang of the harness itself, not a pace.
    client
        .set_read_timeout(Some(deadline()))
        .map_err(|e| ::std::format!("the client's read timeout: {e}"))?;
    let data: Vec<u8> = (0..BIG).map(byte).collect();
    let (counter, waker) = counter();
    let mut write = Box::pin(stream.write_all(&data));
    if poll_as("the write", write.as_mut(), &waker).is_ready() {
        return Err(::std::format!(
            "write_all of 16 MiB to a client that reads nothing returned Ready at once\nseen: it did not wait for the client to read\nlikely: {}",
            super::WRITE_WAITS
        ));
    }
    // Woken, it is polled again, as an executor would; a registration
    // may wake it once, but with the socket full it must come to wait.
    let mut quiet = None;
    // The wakes before the last poll: none before the first.
    let mut polled = 0;
    for _round in 0..20 {
        if counter.wakes() == polled && !counter.woken_within(polled + 1, settling()) {
            quiet = Some(polled);
            break;
        }
        polled = counter.wakes();
        if poll_as("the write", write.as_mut(), &waker).is_ready() {
            return Err(::std::format!(
                "write_all of 16 MiB to a client that reads nothing returned Ready\nseen: it did not wait for the client to read\nlikely: {}",
                super::WRITE_WAITS
            ));
        }
    }
    let Some(quiet) = quiet else {
        return Err("write_all returned Pending and woke its own task at once, again and again, while the client read nothing and the socket stayed full\nseen: a busy loop: at `WouldBlock`, register with the reactor for `Interest::Write`; it wakes the task once the socket can take more".into());
    };
    // The client reads what is there, without waiting for more; once
    // the socket is drained, the writer's task must be woken.
    client
        .set_nonblocking(true)
        .map_err(|e| ::std::format!("the client's non-blocking mode: {e}"))?;
    let mut chunk = ::std::vec![0u8; 64 << 10];
    let mut read = 0;
    while counter.wakes() == quiet {
        match client.read(&mut chunk) {
            Ok(0) => return Err("the connection ended in the middle of a write_all".into()),
            Ok(n) => {
                arrived(&chunk[..n], read)?;
                read += n;
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                if !counter.woken(quiet + 1) {
                    return Err(::std::format!(
                        "the client read all {read} bytes there were, and the writing task was never woken\nseen: a socket whose buffer drained is writable again: the reactor wakes the task that waits to write"
                    ));
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(::std::format!("the client read {read} bytes, then: {e}")),
        }
    }
    client
        .set_nonblocking(false)
        .map_err(|e| ::std::format!("the client's blocking mode: {e}"))?;
    // Woken: it writes what fits, which is not all, and must wait again.
    // The client then reads the rest, to the end of the connection.
    let reader = std::thread::spawn({
        let mut client = client.try_clone().map_err(|e| e.to_string())?;
        move || -> Result<usize, String> {
            let mut chunk = ::std::vec![0u8; 64 << 10];
            let mut total = read;
            loop {
                match client.read(&mut chunk) {
                    Ok(0) => return Ok(total),
                    Ok(n) => {
                        arrived(&chunk[..n], total)?;
                        total += n;
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => {
                        return Err(::std::format!("the client read {total} bytes, then: {e}"));
                    }
                }
            }
        }
    });
    let mut seen = counter.wakes();
    loop {
        match poll_as("the write", write.as_mut(), &waker) {
            Poll::Ready(Ok(())) => break,
            Poll::Ready(Err(e)) => return Err(::std::format!("write_all failed: {e}")),
            Poll::Pending => {}
        }
        if !counter.woken(seen + 1) {
            // The reader stops at the first wrong byte: that is the cause.
            if reader.is_finished() {
                reader
                    .join()
                    .map_err(|_| "the harness's reader panicked".to_string())??;
            }
            return Err("write_all wrote part of its bytes after a wake, returned Pending again, and was never woken again as the client read the rest\nseen: a socket in oneshot mode reports one event, then nothing until it is armed again: register again at every WouldBlock".into());
        }
        seen = counter.wakes();
    }
    // The end of the connection tells the client that all has come.
    drop(write);
    drop(pairs);
    let total = reader
        .join()
        .map_err(|_| "the harness's reader panicked".to_string())??;
    if total != BIG {
        return Err(::std::format!(
            "write_all returned Ok, but the client received {total} of its {BIG} bytes"
        ));
    }
    Ok(())
}

pub(super) fn a_dropped_socket_leaves_the_reactor() -> Outcome {
    const CONNECTIONS: usize = 1000;
    for round in 0..CONNECTIONS / 100 {
        let (listener, mut pairs) = connections(100)?;
        for (_, stream) in &mut pairs {
            let mut buf = [0u8; 16];
            let mut read = Box::pin(stream.read(&mut buf));
            let (_counter, waker) = counter();
            if read
                .as_mut()
                .poll(&mut Context::from_waker(&waker))
                .is_ready()
            {
                return Err(::std::format!(
                    "connection {round}00+: a read of a quiet socket returned at once"
                ));
            }
        }
        drop(pairs);
        drop(listener);
    }
    let left = Reactor::get().wakers.lock().unwrap().len();
    if left > 0 {
        return Err(::std::format!(
            "after {CONNECTIONS} connections came and went, the reactor still holds {left} of their wakers\nseen: a socket that is dropped stays registered; its entry must go with it"
        ));
    }
    Ok(())
}
