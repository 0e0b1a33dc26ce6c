//! Black-box checks of the echo steps: each starts the step's server on a
//! free port and talks to it over loopback, as `nc` would.
//!
//! Concurrency is checked by events, never by timing: "B's echo arrives while
//! A is still connected", not "B is answered within 50 ms".

use crate::client::Client;
use crate::compile::step_bin;
use crate::failure::{Failure, Grade, show, tail};
use crate::process::{Background, describe, panics};
use crate::steps;
use crate::target::Target;
use crate::threads;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpStream};

/// A step's server, started with port 0, and where it said it listens.
pub struct Server {
    step: &'static str,
    bg: Background,
    /// The address from its `Listening on <addr>` line.
    pub listening: SocketAddr,
}

impl Server {
    pub fn start(target: &Target, step: &'static str) -> Result<Server, Failure> {
        let exe = step_bin(target, step)?;
        let mut bg = Background::start(&exe, &["0"], step)?;
        let found = bg.log.wait_until(|lines| {
            lines
                .iter()
                .find_map(|l| l.strip_prefix("Listening on "))
                .map(|rest| rest.trim().to_string())
        });
        let printed = match found {
            Ok(printed) => printed,
            Err(exited) => {
                let headline = if exited {
                    format!(
                        "{step} 0: the server ended before it printed `Listening on 127.0.0.1:<port>`"
                    )
                } else {
                    format!("{step} 0: no `Listening on 127.0.0.1:<port>` line on stderr in time")
                };
                let mut f = Failure::new(headline).noting_todo(&bg.log.text());
                if !exited {
                    f = f.timed_out();
                }
                if let Some(status) = bg.child.wait_for_exit(std::time::Duration::ZERO) {
                    f = f.field("exit:", describe(&status));
                }
                return Err(f.block("its stderr", &tail(&bg.log.text(), 20)).hint(
                    "bind first, then `eprintln!(\"Listening on {}\", listener.local_addr()?);`",
                ));
            }
        };
        let listening = printed.parse().map_err(|_| {
            Failure::new(format!(
                "{step} 0: cannot read the address in `Listening on {printed}`"
            ))
            .field(
                "expected:",
                "`Listening on 127.0.0.1:<port>`, the port the OS gave",
            )
        })?;
        Ok(Server {
            step,
            bg,
            listening,
        })
    }

    /// Where clients connect: loopback, at the port the server printed.
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), self.listening.port())
    }

    pub fn connect(&self, name: &str) -> Result<Client, Failure> {
        Client::connect(self.addr(), name)
    }

    pub fn pid(&self) -> u32 {
        self.bg.child.id()
    }

    /// Waits until stderr holds `n` lines that start with `line`: a student
    /// who adds the client's address to the slide's log line is still right.
    pub fn wait_for_lines(&self, line: &str, n: usize) -> Grade {
        self.bg
            .log
            .wait_until(|lines| {
                (lines.iter().filter(|l| l.starts_with(line)).count() >= n).then_some(())
            })
            .map_err(|exited| {
                let seen = self.bg.log.count_starting_with(line);
                Failure::new(format!(
                    "expected {n} line(s) starting `{line}` on the server's stderr, saw {seen}{}",
                    if exited {
                        " before it ended"
                    } else {
                        " in time"
                    }
                ))
                .block("its stderr", &tail(&self.bg.log.text(), 20))
            })
    }

    /// Adds what the server's state tells about a failure: whether it ended,
    /// what it panicked with, whether it is still a `todo!()`; then the hint.
    fn explain(&mut self, failure: Failure, hint: Option<&str>) -> Failure {
        let mut f = failure;
        let stderr = self.bg.log.text();
        f = f.noting_todo(&stderr);
        if let Some(status) = self.bg.child.exited() {
            f = f.field("server:", format!("ended ({})", describe(&status)));
        }
        if let Some(panic) = panics(&stderr) {
            f = f.block("the server panicked", &panic);
        }
        let step_hint = steps::find(self.step).map_or("", |s| s.hint);
        f.hint(hint.unwrap_or(step_hint))
    }
}

/// Starts the step's server and runs `check` against it; a failure is
/// explained with the server's state and `hint` (or the step's own hint).
fn with_server(
    target: &Target,
    step: &'static str,
    hint: Option<&str>,
    check: impl FnOnce(&mut Server) -> Grade,
) -> Grade {
    let mut server = Server::start(target, step)?;
    check(&mut server).map_err(|f| server.explain(f, hint))
}

/// Sends `line` in one write on a new connection and expects it back.
fn round_trip(server: &Server, name: &str, line: &[u8]) -> Grade {
    let mut c = server.connect(name)?;
    c.send(line)?;
    c.expect(line)?;
    c.finish()
}

pub fn one_line(target: &Target, step: &'static str) -> Grade {
    with_server(target, step, None, |s| round_trip(s, "A", b"hello\n"))
}

pub fn several_lines_in_one_write(target: &Target, step: &'static str) -> Grade {
    let hint = "loop: after writing a line back, clear `buf` and read the next one; several lines may arrive in one read.";
    with_server(target, step, Some(hint), |s| {
        round_trip(s, "A", b"one\ntwo\nthree\n")
    })
}

pub fn line_split_over_writes(target: &Target, step: &'static str) -> Grade {
    let hint = "`read_until(b'\\n', ..)` keeps reading until the `\\n` arrives, however the line was split.";
    with_server(target, step, Some(hint), |s| {
        let mut c = s.connect("A")?;
        for part in [&b"hel"[..], b"lo, wor", b"ld\n"] {
            c.send(part)?;
        }
        c.expect(b"hello, world\n")?;
        c.finish()
    })
}

pub fn empty_line(target: &Target, step: &'static str) -> Grade {
    let hint = "an empty line is one byte, `\\n`: only `size == 0` means the client closed.";
    with_server(target, step, Some(hint), |s| {
        let mut c = s.connect("A")?;
        c.send(b"\n")?;
        c.expect(b"\n")?;
        c.send(b"after\n")?;
        c.expect(b"after\n")?;
        c.finish()
    })
}

pub fn crlf_kept(target: &Target, step: &'static str) -> Grade {
    let hint = "echo the bytes as read, `\\r` included: do not trim or decode the line.";
    with_server(target, step, Some(hint), |s| {
        round_trip(s, "A", b"dos line\r\n")
    })
}

pub fn every_byte_value(target: &Target, step: &'static str) -> Grade {
    let hint = "bytes are bytes: keep the line a `Vec<u8>`, never a `String` (NUL and non-UTF-8 must come back unchanged).";
    let mut line: Vec<u8> = (0..=255u8).filter(|&b| b != b'\n').collect();
    line.push(b'\n');
    with_server(target, step, Some(hint), |s| round_trip(s, "A", &line))
}

pub fn one_mib_line(target: &Target, step: &'static str) -> Grade {
    let hint = "read the whole line, however long, before writing it back with `write_all` (a plain `write` may send only part).";
    let mut line: Vec<u8> = (0..1024 * 1024).map(|i| b'a' + (i % 26) as u8).collect();
    line.push(b'\n');
    with_server(target, step, Some(hint), |s| {
        let mut c = s.connect("A")?;
        let writer = c.send_in_background(line.clone())?;
        c.expect(&line)?;
        if let Ok(Err(e)) = writer.join() {
            return Err(Failure::new(format!(
                "client A could not send the 1 MiB line: {e}"
            )));
        }
        c.finish()
    })
}

pub fn fragment_not_echoed(target: &Target, step: &'static str) -> Grade {
    let hint = "a last fragment without `\\n` is not a line: stop when `buf[size - 1] != b'\\n'`, without writing it back.";
    with_server(target, step, Some(hint), |s| {
        let mut c = s.connect("A")?;
        c.send(b"complete\nfragment")?;
        c.expect(b"complete\n")?;
        // Half-close: end-of-file after the fragment; the server must close
        // the connection without echoing "fragment".
        c.finish()
    })
}

pub fn survives_a_reset(target: &Target, step: &'static str) -> Grade {
    let hint = "a client's error ends only its own connection: drop `handle_client`'s result (`std::mem::drop(...)`), never `?` or `unwrap()` it in the accept loop.";
    with_server(target, step, Some(hint), |s| {
        let mut a = s.connect("A")?;
        a.send(b"half a li")?;
        s.wait_for_lines("Accepted connection", 1)?;
        a.reset();
        s.wait_for_lines("Connection ended", 1)
            .map_err(|f| f.field("after:", "client A reset its connection (TCP RST) mid-line"))?;
        round_trip(s, "B", b"still there?\n")
            .map_err(|f| f.field("after:", "client A reset its connection (TCP RST) mid-line"))
    })
}

pub fn loopback_only(target: &Target, step: &'static str) -> Grade {
    let hint = "bind `SocketAddr::from(([127, 0, 0, 1], port))`: loopback only, never `0.0.0.0`.";
    with_server(target, step, Some(hint), |s| {
        if s.listening.ip() != IpAddr::V4(Ipv4Addr::LOCALHOST) {
            return Err(Failure::new("the server does not listen on 127.0.0.1 only")
                .field("printed:", format!("Listening on {}", s.listening))
                .field(
                    "expected:",
                    format!("Listening on 127.0.0.1:{}", s.listening.port()),
                ));
        }
        let other = SocketAddr::from(([127, 0, 0, 2], s.listening.port()));
        match TcpStream::connect_timeout(&other, crate::process::deadline()) {
            Ok(_) => Err(Failure::new(format!(
                "the server accepted a connection on {other}: it listens beyond 127.0.0.1"
            ))),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => Ok(()),
            Err(e) => {
                // Without a 127.0.0.2 (macOS has none by default) nothing
                // can be told: say so, and rely on the printed address.
                eprintln!(
                    "note: {step}: not checked on 127.0.0.2 ({e}); the printed address is 127.0.0.1"
                );
                Ok(())
            }
        }
    })
}

pub fn logs_connections(target: &Target, step: &'static str) -> Grade {
    let hint = "as on the slide: `eprintln!(\"Accepted connection\")` when a client arrives and `eprintln!(\"Connection ended\")` when it leaves.";
    with_server(target, step, Some(hint), |s| {
        let mut c = s.connect("A")?;
        c.send(b"hi\n")?;
        c.expect(b"hi\n")?;
        s.wait_for_lines("Accepted connection", 1)?;
        c.finish()?;
        s.wait_for_lines("Connection ended", 1)
    })
}

/// A keeps its connection open half-way through a line; B's line must still
/// come back. A server that serves one client at a time never answers B.
pub fn serves_clients_concurrently(target: &Target, step: &'static str) -> Grade {
    let hint = "the accept loop must hand each client to its own thread or task and go back to `accept` at once; awaiting the handler in the loop serves one client at a time.";
    with_server(target, step, Some(hint), |s| {
        let mut a = s.connect("A")?;
        a.send(b"A's line, half")?;
        let mut b = s.connect("B")?;
        b.send(b"B's line\n")?;
        b.expect(b"B's line\n")
            .map_err(|f| f.field("while:", "client A was connected with half a line sent"))?;
        b.finish()?;
        a.send(b" and the rest\n")?;
        a.expect(b"A's line, half and the rest\n")?;
        a.finish()
    })
}

/// How many clients the "many at once" checks hold open together.
pub const MANY: usize = 300;

/// Opens `MANY` clients, has each echo a line, and keeps them all open while
/// `during` looks at the server.
fn with_many_clients(s: &mut Server, during: impl FnOnce(&Server) -> Grade) -> Grade {
    let mut clients = Vec::with_capacity(MANY);
    for i in 0..MANY {
        let mut c = s.connect(&format!("#{i}"))?;
        let line = format!("client {i} says hi\n");
        c.send(line.as_bytes())?;
        c.expect(line.as_bytes())
            .map_err(|f| f.field("while:", format!("{i} other clients were connected")))?;
        clients.push(c);
    }
    during(s)?;
    for c in clients {
        c.finish()?;
    }
    Ok(())
}

pub fn many_clients_at_once(target: &Target, step: &'static str) -> Grade {
    with_server(target, step, None, |s| with_many_clients(s, |_| Ok(())))
}

/// With `MANY` clients connected, a task-per-client server still runs on a
/// few OS threads; a thread-per-client server has more threads than clients.
pub fn few_threads_for_many_clients(target: &Target, step: &'static str) -> Grade {
    let hint = "each client must be a tokio task, not an OS thread: `tokio::spawn(async move { ... })`, with no `std::thread::spawn` or `spawn_blocking` per client.";
    with_server(target, step, Some(hint), |s| {
        with_many_clients(s, |s| {
            let threads = match threads::count(s.pid()) {
                Ok(n) => n,
                Err(why) => {
                    eprintln!("note: {step}: thread count not checked: {why}");
                    return Ok(());
                }
            };
            let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
            // The runtime's workers (one per core) and a few helpers.
            let allowed = (2 * cores + 16).min(MANY / 2);
            if threads > allowed {
                return Err(Failure::new(format!(
                    "{threads} OS threads serve {MANY} clients: that is a thread per client, not a task"
                ))
                .field("expected:", format!("at most {allowed} threads on this {cores}-core machine")));
            }
            Ok(())
        })
    })
}

/// The demo: while A is connected, B is accepted by the OS but not served.
/// Returns what the step showed, for the test to print.
pub fn serves_one_client_at_a_time(target: &Target, step: &'static str) -> Result<String, Failure> {
    let hint = "this demo should show the slide's flaw: the accept loop awaits `handle_client`, so one client is served at a time.";
    let mut server = Server::start(target, step)?;
    let shown = (|| {
        let s = &server;
        let mut a = s.connect("A")?;
        a.send(b"A's line, half")?;
        let mut b = s.connect("B")?;
        b.send(b"B's line\n")?;
        // A's round trip proves the server is busy with A right now.
        a.send(b" and the rest\n")?;
        a.expect(b"A's line, half and the rest\n")?;
        if !b.nothing_received_yet() {
            return Err(Failure::new(
                "B's echo came back while A was still connected: this server serves clients concurrently",
            ));
        }
        // A leaves: only now does the server accept B and echo its line.
        a.finish()?;
        b.expect(b"B's line\n")
            .map_err(|f| f.field("after:", "client A disconnected"))?;
        b.finish()?;
        Ok(format!(
            "{step}: B sent {} while A was connected and got nothing back; once A left, B's echo came.",
            show(b"B's line\n")
        ))
    })();
    shown.map_err(|f| server.explain(f, Some(hint)))
}
