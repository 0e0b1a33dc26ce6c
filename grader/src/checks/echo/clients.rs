//! The echo steps' clients side by side: served at once, logged, and many
//! of them, on few threads and no CPU while they are quiet; and the demo
//! that serves one at a time.

use super::server::{MANY, Server, send_failed, with_many_clients, with_server};
use super::{ACCEPTED, ENDED};
use crate::exec::client::Client;
use crate::exec::procfs;
use crate::failure::{Failure, show, tail};
use crate::outcome::{Pass, Verdict};
use crate::step::Ctx;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener, TcpStream};

pub(super) fn survives_a_reset(ctx: &Ctx) -> Verdict {
    with_server(ctx, |s| {
        let mut a = s.connect("A")?;
        a.send(b"half a li")?;
        s.wait_for_lines(ACCEPTED, 1)?;
        a.reset();
        let after_reset =
            |f: Failure| f.field("after:", "client A reset its connection (TCP RST) mid-line");
        s.wait_for_lines(ENDED, 1).map_err(after_reset)?;
        // B stays connected: so far one client has gone, one end to log.
        // (Its lines also give the server time to log whatever else it
        // logs of A.)
        let mut b = s.connect("B")?;
        for i in 0..20 {
            let line = format!("still there? {i}\n");
            b.send(line.as_bytes()).map_err(after_reset)?;
            b.expect(line.as_bytes()).map_err(after_reset)?;
        }
        // A's end logged twice comes from A's thread, a moment after the
        // first: B, still connected, may not log its end, so a second line
        // now is A's. (A span waited for something not to happen, bounded.)
        let _ =
            s.bg.stderr
                .wait_until(s.deadline() / 10, |st| (st.count(ENDED) > 1).then_some(()));
        let ended = s.count(ENDED);
        if ended > 1 {
            return Err(Failure::new(format!(
                "client A reset its connection, client B is still connected, and the log says {ended} times that a connection ended"
            ))
            .block("its stderr", &tail(&s.stderr_text(), 10))
            .diagnose(format!(
                "a connection that ends with an error is one connection that ended: `{ENDED}` once per client, whichever way it ended."
            )));
        }
        b.finish()
    })
}

/// Whether this machine has a second loopback address to try: macOS has
/// only 127.0.0.1 unless configured.
fn second_loopback() -> Result<(), String> {
    static PROBE: std::sync::OnceLock<Result<(), String>> = std::sync::OnceLock::new();
    PROBE
        .get_or_init(|| {
            TcpListener::bind(("127.0.0.2", 0))
                .map(drop)
                .map_err(|e| format!("this machine has no 127.0.0.2 to connect to ({e})"))
        })
        .clone()
}

pub(super) fn loopback_only(ctx: &Ctx) -> Verdict {
    let mut server = Server::start(ctx)?;
    let s = &server;
    if s.listening.ip() != IpAddr::V4(Ipv4Addr::LOCALHOST) {
        return Err(server.explain(
            Failure::new("the server does not listen on 127.0.0.1 only")
                .field("printed:", format!("Listening on {}", s.listening))
                .field(
                    "expected:",
                    format!("Listening on 127.0.0.1:{}", s.listening.port()),
                ),
        ));
    }
    if let Err(why) = second_loopback() {
        return Ok(Pass::Skipped(format!(
            "{why}; the printed address is 127.0.0.1"
        )));
    }
    let other = SocketAddr::from(([127, 0, 0, 2], s.listening.port()));
    match TcpStream::connect_timeout(&other, ctx.deadline()) {
        Ok(_) => Err(server.explain(Failure::new(format!(
            "the server accepted a connection on {other}: it listens beyond 127.0.0.1"
        )))),
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => Ok(Pass::Passed),
        Err(e) => Ok(Pass::Skipped(format!(
            "a connection to {other} could not be tried ({e}); the printed address is 127.0.0.1"
        ))),
    }
}

pub(super) fn logs_connections(ctx: &Ctx) -> Verdict {
    with_server(ctx, |s| {
        let mut a = s.connect("A")?;
        a.send(b"hi\n")?;
        a.expect(b"hi\n")?;
        s.wait_for_lines(ACCEPTED, 1)?;
        // B's echo and its log line come after everything the server did for
        // A's arrival: by then, with both connected, no connection has ended.
        let mut b = s.connect("B")?;
        b.send(b"hi\n")?;
        b.expect(b"hi\n")?;
        s.wait_for_lines(ACCEPTED, 2)?;
        let ended = s.count(ENDED);
        if ended > 0 {
            return Err(Failure::new(format!(
                "the server printed `{ENDED}` {ended} time(s) while clients A and B were both still connected"
            ))
            .field(
                "expected:",
                format!("`{ENDED}` once a client has left"),
            )
            .block("its stderr", &tail(&s.stderr_text(), 20)));
        }
        a.finish()?;
        b.finish()?;
        s.wait_for_lines(ENDED, 2)?;
        let accepted = s.count(ACCEPTED);
        if accepted != 2 {
            return Err(Failure::new(format!(
                "2 clients came and went, and the server printed `{ACCEPTED}` {accepted} times"
            ))
            .field(
                "expected:",
                format!("`{ACCEPTED}` once per client, when it is accepted"),
            )
            .block("its stderr", &tail(&s.stderr_text(), 20)));
        }
        Ok(())
    })
}

/// How many clients wait, idle, while another is served: more than a tokio
/// runtime has worker threads on this machine, so that a blocking call in
/// every task would hold them all.
fn idle_clients() -> usize {
    2 * std::thread::available_parallelism().map_or(1, |n| n.get()) + 2
}

/// A keeps its connection open half-way through a line; B's line must still
/// come back. Then more clients stay connected, each half-way through a
/// line, and C's must come back too. A server that serves one client at a
/// time never answers B; one whose tasks block their threads, not C.
pub(super) fn serves_clients_concurrently(ctx: &Ctx) -> Verdict {
    with_server(ctx, |s| {
        let mut a = s.connect("A")?;
        a.send(b"A's line, half")?;
        let mut b = s.connect("B")?;
        b.send(b"B's line\n")?;
        if let Err(f) = b.expect(b"B's line\n") {
            let f = f.field("while:", "client A was connected with half a line sent");
            return Err(s.starved(f, vec![a], b, b"B's line\n"));
        }
        b.finish()?;
        let mut idle = vec![a];
        for i in 0..idle_clients() {
            let mut c = s.connect(&format!("#{i}"))?;
            c.send(b"half a line")?;
            idle.push(c);
        }
        let mut c = s.connect("C")?;
        c.send(b"C's line\n")?;
        if let Err(f) = c.expect(b"C's line\n") {
            let f = f.field(
                "while:",
                format!(
                    "{} clients were connected, each half-way through a line",
                    idle.len()
                ),
            );
            return Err(s.starved(f, idle, c, b"C's line\n"));
        }
        c.finish()?;
        for mut client in idle {
            client.send(b", the rest\n")?;
            client.finish_after_any_echo()?;
        }
        Ok(())
    })
}

/// A thousand clients, one after another, each echoes a line and leaves: a
/// server that keeps something of each (a reactor's events, its threads)
/// runs out of it before the end, and one that stops accepting stops.
pub(super) fn serves_clients_one_after_another(ctx: &Ctx) -> Verdict {
    const CLIENTS: usize = 1000;
    let mut server = Server::start(ctx)?;
    let mappings = || procfs::mappings(server.pid()).ok();
    let mapped_before = mappings();
    let served = (|| {
        for i in 0..CLIENTS {
            let mut c = server.connect(&format!("#{i}"))?;
            let line = format!("client {i} of {CLIENTS}\n");
            c.send(line.as_bytes())?;
            c.expect(line.as_bytes())
                .and_then(|()| c.finish())
                .map_err(|f| f.field("while:", format!("{i} clients had come and gone")))?;
        }
        // A few stay cached (the allocator keeps some stacks), not one a client.
        if let Some(grown) = mappings()
            .zip(mapped_before)
            .map(|(a, b)| a.saturating_sub(b))
            && grown > CLIENTS / 2
        {
            return Err(Failure::new(format!(
                "after {CLIENTS} clients came and went, the server has {grown} more memory mappings than before"
            ))
            .field("expected:", "about as many as before: a client that left leaves nothing behind")
            .diagnose("the server keeps something of every client that left: a thread that ended but was never joined keeps its stack (a `JoinHandle` kept in a list, say). Let the handle go, or join it."));
        }
        Ok(Pass::Passed)
    })();
    served.map_err(|f| server.explain(f))
}

/// Once `MANY` clients are connected, each sends one more line, all before
/// any echo is read: many sockets are ready at the same moment, and each
/// line must come back.
pub(super) fn serves_many_clients_at_once(ctx: &Ctx) -> Verdict {
    with_many_clients(ctx, |_, clients| {
        for (i, c) in clients.iter_mut().enumerate() {
            c.send(format!("client {i}, all at once\n").as_bytes())?;
        }
        for (i, c) in clients.iter_mut().enumerate() {
            c.expect(format!("client {i}, all at once\n").as_bytes())
                .map_err(|f| {
                    let shared = another_s_line(c.got(), i);
                    let f = f.field(
                        "while:",
                        format!("{MANY} clients had each sent a line at the same time"),
                    );
                    if shared {
                        f.diagnose(SHARED_BETWEEN_CLIENTS)
                    } else {
                        f
                    }
                })?;
        }
        // Lines streaming in from a few clients at the same time: each
        // client's handler echoes its own, however they interleave.
        let streams = clients.iter_mut().take(STREAMS).enumerate();
        let mut sending = Vec::with_capacity(STREAMS);
        for (i, c) in streams {
            sending.push(c.send_in_background(stream_of(i).into_bytes())?);
        }
        for i in 0..STREAMS {
            if let Err(f) = clients[i].expect(stream_of(i).as_bytes()) {
                let f = f.field(
                    "while:",
                    format!("{STREAMS} clients each sent {STREAM_LINES} lines at the same time"),
                );
                return Err(if got_another_s_line(clients, i) {
                    f.diagnose(SHARED_BETWEEN_CLIENTS)
                } else {
                    f
                });
            }
        }
        for (i, sent) in sending.into_iter().enumerate() {
            if let Ok(Err(e)) = sent.join() {
                return Err(send_failed(&clients[i], "its lines", e));
            }
        }
        Ok(Pass::Passed)
    })
}

/// How many clients stream lines at the same time, and how many each.
const STREAMS: usize = 16;
const STREAM_LINES: usize = 1000;

fn stream_of(client: usize) -> String {
    (0..STREAM_LINES)
        .map(|j| format!("client {client} line {j}\n"))
        .collect()
}

/// Whether what came back to client `own` holds a line of another's: each
/// line a client sends starts `client <its number> `.
fn another_s_line(got: &[u8], own: usize) -> bool {
    let own = format!("client {own} ");
    // Whole lines only: the last may have come only in part.
    String::from_utf8_lossy(got)
        .split_inclusive('\n')
        .filter(|line| line.ends_with('\n'))
        .any(|line| line.starts_with("client ") && !line.starts_with(&own))
}

/// After client `failed`'s echo went wrong among the streaming clients:
/// whether it, or another of them, got a line another client sent (read
/// from the others, what they were sent so far and what comes after).
fn got_another_s_line(clients: &mut [Client], failed: usize) -> bool {
    if another_s_line(clients[failed].got(), failed) {
        return true;
    }
    clients.iter_mut().take(STREAMS).enumerate().any(|(k, c)| {
        let quiet = c.deadline() / 20;
        another_s_line(&c.read_what_comes(quiet, 1 << 20), k)
    })
}

/// A client got bytes another client sent.
const SHARED_BETWEEN_CLIENTS: &str = "a client got back a line another client sent: something is shared between the clients' handlers (a buffer or a line kept in a `static`, one writer for all), and two handlers met in it. Each client's handler has its own buffer and writes to its own socket; nothing of one client's reaches another.";

/// With `MANY` clients connected, a task-per-client server still runs on a
/// few OS threads; a thread-per-client server has more threads than clients.
pub(super) fn few_threads_for_many_clients(ctx: &Ctx) -> Verdict {
    if let Err(why) = procfs::can_count() {
        return Ok(Pass::Skipped(format!(
            "the threads cannot be counted here: {why}"
        )));
    }
    with_many_clients(ctx, |s, _| {
        let threads = procfs::count(s.pid()).map_err(|why| {
            Failure::new(format!("the server's threads could not be counted: {why}"))
        })?;
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        // The runtime's workers (one per core) and a few helpers; a thread
        // per client has more than `MANY`.
        let allowed = (2 * cores + 16).min(MANY - 1);
        if cores + 16 > allowed {
            return Ok(Pass::Skipped(format!(
                "with {cores} cores, a runtime's own threads are as many as {MANY} clients'"
            )));
        }
        if threads > allowed {
            return Err(Failure::new(format!(
                "{threads} OS threads serve {MANY} clients: that is a thread per client, not a task"
            ))
            .field(
                "expected:",
                format!("at most {allowed} threads on this {cores}-core machine"),
            ));
        }
        Ok(Pass::Passed)
    })
}

/// How many times a server's threads may wake while its clients are quiet
/// (`QUIET`): a reactor on a 1 ms clock wakes hundreds of times, one on a
/// 20 ms clock thirty; a correct one none or a few (an edge-triggered one,
/// added for writing too, woke 5 times on a loaded machine: a 100 ms clock
/// cannot be told from it in one span, and is let through).
const MAX_QUIET_WAKEUPS: u64 = 10;

/// How long the server is watched while its clients are quiet.
const QUIET: std::time::Duration = std::time::Duration::from_millis(600);

/// A reactor that sleeps in the OS's wait while every client is quiet uses
/// no CPU; one that spins uses a whole core. As for the mini executor, the
/// share of CPU time over a span of wall time tells them apart: this span is
/// what is measured, not a wait for something to happen.
pub(super) fn quiet_clients_cost_no_cpu(ctx: &Ctx) -> Verdict {
    with_many_clients(ctx, |s, _| {
        let Some(before) = s.bg.process.cpu_so_far() else {
            return Ok(Pass::Skipped(
                "this platform does not tell a running process's CPU time".to_string(),
            ));
        };
        let switches = || procfs::switches(s.pid()).ok();
        let switched_before = switches();
        let started = std::time::Instant::now();
        std::thread::sleep(QUIET);
        let wall = started.elapsed();
        let switched = switches()
            .zip(switched_before)
            .map(|(a, b)| a.saturating_sub(b));
        let after = s.bg.process.cpu_so_far().unwrap_or(before);
        let cpu = after.saturating_sub(before);
        let ratio = cpu.as_secs_f64() / wall.as_secs_f64();
        if ratio > 0.3 {
            return Err(Failure::new(format!(
                "with {MANY} clients connected and quiet, the server was busy {:.0}% of the time",
                ratio * 100.0
            ))
            .cpu_field(cpu, wall)
            .field("expected:", "almost none: nothing happens, nothing to do"));
        }
        // Waking on a clock costs little CPU, but it is not waiting for the OS.
        if let Some(n) = switched.filter(|n| *n > MAX_QUIET_WAKEUPS) {
            return Err(Failure::new(format!(
                "with {MANY} clients connected and quiet, the server's threads woke {n} times in {:.2} s",
                wall.as_secs_f64()
            ))
            .field("expected:", "almost never: a reactor sleeps in the OS's wait, with no timeout, until a socket is ready")
            .diagnose("the reactor wakes on a clock, not on events: a `wait` with a timeout, or a loop around a sleep. Wait with no timeout; the OS wakes it when a socket is ready (slide \"Lifecycle of a Task: Why separate reactor?\")."));
        }
        Ok(Pass::Passed)
    })
}

/// The demo: while A is connected, B is accepted by the OS but not served.
pub(super) fn serves_one_client_at_a_time(ctx: &Ctx) -> Verdict {
    let step = ctx.name();
    let mut server = Server::start(ctx)?;
    let shown = (|| {
        let s = &server;
        let mut a = s.connect("A")?;
        a.send(b"A's line, half")?;
        let mut b = s.connect("B")?;
        b.send(b"B's line\n")?;
        // A's round trip proves the server is busy with A right now.
        a.send(b" and the rest\n")?;
        a.expect(b"A's line, half and the rest\n")?;
        // That B is not served cannot be seen at an instant, only over a
        // span: the one place the grader waits for something not to happen.
        // A server that serves clients at once answers B in microseconds.
        if let Err(got) = b.quiet_for(s.deadline() / 5) {
            return Err(Failure::new(
                "B's echo came back while A was still connected: this server serves clients concurrently",
            )
            .field("got:", show(&got)));
        }
        // A leaves: only now does the server accept B and echo its line.
        a.finish()?;
        b.expect(b"B's line\n")
            .map_err(|f| f.field("after:", "client A disconnected"))?;
        b.finish()?;
        Ok(format!(
            "{step}: B sent {} while A was connected and got nothing back; once A left, B's echo came.\nWhy: main awaits handle_client before it accepts again; there is one task, busy with A.",
            show(b"B's line\n")
        ))
    })();
    match shown {
        Ok(what) => Ok(Pass::Shown(what)),
        Err(f) => Err(server.explain(f)),
    }
}

#[cfg(test)]
mod tests {
    use super::another_s_line;

    #[test]
    fn a_line_of_another_client_s_is_told_from_a_line_cut_short() {
        assert!(!another_s_line(b"client 12 line 0\nclient 12 line 1\n", 12));
        assert!(another_s_line(b"client 12 line 0\nclient 1 line 7\n", 12));
        // The last line came only in part: it may be client 12's.
        assert!(!another_s_line(b"client 12 line 0\nclient 1", 12));
        assert!(!another_s_line(b"", 3));
    }
}
