//! Black-box checks of the echo steps: each starts the step's server on a
//! free port and talks to it over loopback, as `nc` would.
//!
//! Concurrency is checked by events, never by timing: "B's echo arrives while
//! A is still connected", not "B is answered within 50 ms".

use super::{Ctx, command_line, compiles, harness};
use crate::exec::client::Client;
use crate::exec::{Background, deadline, describe, panics, threads};
use crate::failure::{Failure, show, tail};
use crate::outcome::{Pass, Verdict};
use crate::registry::{Check, check};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener, TcpStream};

const LISTENING: &str = "Listening on ";
const ACCEPTED: &str = "Accepted connection";
const ENDED: &str = "Connection ended";

/// The checks of a graded echo step (echo-thread, echo-spawn).
pub fn graded(step: &'static str) -> Vec<Check> {
    let own_runtime = step == "echo-own-runtime";
    let mut checks = vec![
        compiles(step),
        check(step, "starts", &["compiles"], |ctx| {
            Server::start(ctx).map(|_| Pass::Passed)
        }),
    ];
    // The step's own reactor, driven by hand, before it serves anyone: it
    // says which poll went wrong where a client would only see no echo.
    if own_runtime {
        let harnessed = |name, needs| harness::case(step, name, needs);
        checks.push(harnessed("a_ready_socket_wakes_only_its_task", &["starts"]));
        checks.push(harnessed(
            "wakes_the_waker_of_the_latest_poll",
            &["a_ready_socket_wakes_only_its_task"],
        ));
        checks.push(harnessed(
            "sockets_ready_together_wake_every_task",
            &["wakes_the_waker_of_the_latest_poll"],
        ));
        checks.push(harnessed(
            "keeps_waking_after_thousands_of_events",
            &["sockets_ready_together_wake_every_task"],
        ));
        checks.push(harnessed(
            "a_socket_ready_as_it_is_armed_wakes_its_task",
            &["keeps_waking_after_thousands_of_events"],
        ));
    }
    let first: &'static [&'static str] = if own_runtime {
        &["a_socket_ready_as_it_is_armed_wakes_its_task"]
    } else {
        &["starts"]
    };
    // A write future driven by hand says which poll went wrong, where a
    // client would only see a long echo come back wrong.
    let long_line_needs: &'static [&'static str] = if own_runtime {
        &["a_write_waits_again_after_a_partial_write"]
    } else {
        &["one_line"]
    };
    checks.push(check(step, "one_line", first, one_line));
    if own_runtime {
        checks.push(harness::case(
            step,
            "a_write_waits_again_after_a_partial_write",
            &["one_line"],
        ));
    }
    checks.extend([
        check(
            step,
            "several_lines_in_one_write",
            &["one_line"],
            several_lines_in_one_write,
        ),
        check(
            step,
            "line_split_over_writes",
            &["one_line"],
            line_split_over_writes,
        ),
        check(step, "empty_line", &["one_line"], empty_line),
        check(step, "crlf_kept", &["one_line"], crlf_kept),
        check(
            step,
            "every_byte_value_but_newline",
            &["one_line"],
            every_byte_value,
        ),
        check(step, "one_mib_line", long_line_needs, one_mib_line),
        check(
            step,
            "unterminated_fragment_not_echoed",
            &["one_line"],
            fragment_not_echoed,
        ),
        check(step, "loopback_only", &["starts"], loopback_only),
        check(
            step,
            "serves_clients_concurrently",
            &["one_line"],
            serves_clients_concurrently,
        ),
        check(
            step,
            "logs_each_connection",
            &["serves_clients_concurrently"],
            logs_connections,
        ),
        // It knows what the server did of a reset client from its log.
        check(
            step,
            "survives_a_client_reset",
            &["logs_each_connection"],
            survives_a_reset,
        ),
        check(
            step,
            "serves_300_clients_at_once",
            &["serves_clients_concurrently"],
            serves_many_clients_at_once,
        ),
    ]);
    checks.push(check(
        step,
        "serves_1000_clients_one_after_another",
        &["one_line"],
        serves_clients_one_after_another,
    ));
    if step != "echo-thread" {
        checks.push(check(
            step,
            "few_threads_for_300_clients",
            &["serves_300_clients_at_once"],
            few_threads_for_many_clients,
        ));
    }
    if own_runtime {
        checks.push(check(
            step,
            "quiet_clients_cost_no_cpu",
            &["serves_300_clients_at_once"],
            quiet_clients_cost_no_cpu,
        ));
        checks.push(harness::case(
            step,
            "a_dropped_socket_leaves_the_reactor",
            &["one_line"],
        ));
    }
    checks.push(command_line::bad_argument(
        step,
        "bad_port_is_one_line_and_exit_2",
        "PORT",
        &["abc", "70000", "65536", "-1"],
    ));
    checks.push(command_line::taken_port(step));
    checks
}

/// The demo of one client at a time (echo-async-naive).
pub fn demo(step: &'static str) -> Vec<Check> {
    vec![
        compiles(step),
        check(step, "starts", &["compiles"], |ctx| {
            Server::start(ctx).map(|_| Pass::Passed)
        }),
        check(step, "echoes_a_line", &["starts"], one_line),
        check(
            step,
            "serves_one_client_at_a_time",
            &["echoes_a_line"],
            serves_one_client_at_a_time,
        ),
        command_line::bad_argument(
            step,
            "bad_port_is_one_line_and_exit_2",
            "PORT",
            &["abc", "70000"],
        ),
        command_line::taken_port(step),
    ]
}

/// A step's server, started with port 0, and where it said it listens.
pub struct Server {
    bg: Background,
    /// The step it is, for what a failure says.
    step: &'static str,
    /// The address from its `Listening on <addr>` line.
    pub listening: SocketAddr,
}

impl Server {
    pub fn start(ctx: &Ctx) -> Result<Server, Failure> {
        let step = ctx.step();
        let exe = ctx.exe()?;
        let mut bg = Background::start(&exe, &["0"], &[LISTENING, ACCEPTED, ENDED], None)
            .map_err(|e| Failure::new(e.to_string()))?;
        let found = bg.stderr.wait_until(deadline(), |s| {
            s.first(LISTENING).map(|a| a.trim().to_string())
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
                let mut f = Failure::new(headline);
                if !exited {
                    f = f.timed_out();
                }
                // Its stderr closed: it ended, or closed it and runs on.
                if exited && let Some(end) = bg.process.wait(crate::exec::deadline()) {
                    f = f.field("exit:", describe(&end.status));
                }
                let stderr = bg.last_words();
                return Err(f
                    .block("its stderr", &tail(&stderr, 20))
                    .noting_todo(&stderr));
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
            bg,
            step,
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
        self.bg.process.id()
    }

    /// Waits until stderr holds `n` lines that start with `line`: a student
    /// who adds the client's address to the slide's log line is still right.
    pub fn wait_for_lines(&self, line: &'static str, n: usize) -> Result<(), Failure> {
        self.bg
            .stderr
            .wait_until(deadline(), |s| (s.count(line) >= n).then_some(()))
            .map_err(|exited| {
                let state = self.bg.stderr.lock();
                let failure = Failure::new(format!(
                    "expected {n} line(s) starting `{line}` on the server's stderr, saw {}{}",
                    state.count(line),
                    if exited {
                        " before it ended"
                    } else {
                        " in time"
                    }
                ))
                .block("its stderr", &tail(&state.text(), 20));
                if panics(&state.text()).is_some() {
                    return failure.diagnose("the server panicked (see its stderr above): whatever it was to log after the panic, it never did. A client's task or thread that panics ends its connection without its last line.");
                }
                failure
            })
    }

    /// How many lines of its stderr so far start with `line`.
    pub fn count(&self, line: &'static str) -> usize {
        self.bg.stderr.lock().count(line)
    }

    pub fn stderr_text(&self) -> String {
        self.bg.stderr.text()
    }

    /// A client's line did not come back while `others` were connected and
    /// idle. Tells why, where it can: the others leave, and if the line
    /// comes back then, the server served one client at a time (if a single
    /// idle client was enough to stop it), or its idle clients held every
    /// thread it serves with (if it served one beside another, but not beside
    /// many).
    fn starved(
        &self,
        failure: Failure,
        others: Vec<Client>,
        mut client: Client,
        line: &[u8],
    ) -> Failure {
        let idle = others.len();
        let threads = crate::exec::threads::count(self.pid()).ok();
        for other in others {
            other.reset();
        }
        if client.expect(line).is_err() {
            return failure;
        }
        let failure = failure.field("after:", "the others left, and then the line came back");
        if idle == 1 {
            failure.diagnose("one client at a time: while one client was connected, the next was not served. The accept loop waits for a client's handler to end before it accepts the next (slide \"What's wrong with this code?\").")
        } else {
            let threads =
                threads.map_or(String::new(), |n| format!(" (the server has {n} threads)"));
            if self.step == "echo-thread" {
                failure.diagnose(format!("served beside one client, but not beside {idle} idle ones{threads}: each idle client held one of a fixed number of threads, and the next client waited for one to be free. The slide gives each client a thread of its own (`thread::spawn` for each client accepted), however many come."))
            } else {
                failure.diagnose(format!("served beside one client, but not beside {idle} idle ones{threads}: each idle client held a thread the server needs. A blocking call inside a task, such as std's `read_until`, keeps its worker thread from every other task (slide \"How to transform to async?\")."))
            }
        }
    }

    /// Adds what the server's state tells about a failure: whether it ended,
    /// what it panicked with, whether it is still a `todo!()`.
    fn explain(&mut self, failure: Failure) -> Failure {
        let mut f = failure;
        if let Some(end) = self.bg.process.poll() {
            f = f.field("server:", format!("ended ({})", describe(&end.status)));
        }
        let stderr = self.bg.last_words();
        f = f.noting_todo(&stderr);
        if let Some(panic) = panics(&stderr) {
            f = f.block("the server panicked", &panic);
        }
        f
    }
}

/// Starts the step's server and runs `check` against it; a failure is
/// explained with the server's state.
fn with_server(ctx: &Ctx, check: impl FnOnce(&mut Server) -> Result<(), Failure>) -> Verdict {
    let mut server = Server::start(ctx)?;
    match check(&mut server) {
        Ok(()) => Ok(Pass::Passed),
        Err(f) => Err(server.explain(f)),
    }
}

/// Sends `line` in one write on a new connection and expects it back.
fn round_trip(server: &Server, name: &str, line: &[u8]) -> Result<(), Failure> {
    let mut c = server.connect(name)?;
    c.send(line)?;
    expect_echo(&mut c, line)?;
    c.finish()
}

/// `c.expect(line)`; when it fails, whether the echo was only held back
/// until the end of the connection, which the failure then says.
fn expect_echo(c: &mut Client, line: &[u8]) -> Result<(), Failure> {
    c.expect(line).map_err(|failure| {
        if c.arrives_once_closed(line, deadline() / 4) {
            failure.diagnose(HELD_BACK)
        } else {
            failure
        }
    })
}

const HELD_BACK: &str = "The echo came back only once the client closed its side: the server held the written bytes back until handle_client ended. A buffered writer (`BufWriter`) sends what it holds only when it is flushed, or dropped; each line must reach the client while it is still connected.";

fn one_line(ctx: &Ctx) -> Verdict {
    with_server(ctx, |s| round_trip(s, "A", b"hello\n"))
}

fn several_lines_in_one_write(ctx: &Ctx) -> Verdict {
    with_server(ctx, |s| round_trip(s, "A", b"one\ntwo\nthree\n"))
}

fn line_split_over_writes(ctx: &Ctx) -> Verdict {
    with_server(ctx, |s| {
        let mut c = s.connect("A")?;
        for part in [&b"hel"[..], b"lo, wor", b"ld\n"] {
            c.send(part)?;
        }
        expect_echo(&mut c, b"hello, world\n")?;
        c.finish()
    })
}

fn empty_line(ctx: &Ctx) -> Verdict {
    with_server(ctx, |s| {
        let mut c = s.connect("A")?;
        c.send(b"\n")?;
        c.expect(b"\n")?;
        c.send(b"after\n")?;
        c.expect(b"after\n")?;
        c.finish()
    })
}

fn crlf_kept(ctx: &Ctx) -> Verdict {
    with_server(ctx, |s| round_trip(s, "A", b"dos line\r\n"))
}

fn every_byte_value(ctx: &Ctx) -> Verdict {
    let mut line: Vec<u8> = (0..=255u8).filter(|&b| b != b'\n').collect();
    line.push(b'\n');
    with_server(ctx, |s| {
        round_trip(s, "A", &line)?;
        // Blanks at either end are bytes like any other.
        round_trip(s, "B", b" \t blanks at both ends \t \n")
    })
}

fn one_mib_line(ctx: &Ctx) -> Verdict {
    let mut line = letters(1024 * 1024);
    line.push(b'\n');
    with_server(ctx, |s| {
        let mut c = s.connect("A")?;
        let writer = c.send_in_background(line.clone())?;
        c.expect(&line)?;
        if let Ok(Err(e)) = writer.join() {
            return Err(send_failed("A", "the 1 MiB line", e));
        }
        c.finish()?;
        // A longer line to a client that reads only once it has sent it all:
        // more than the sockets hold, so the server's writes block, or take
        // only part and say so; all of it must come back all the same.
        let mut long = letters(SLOW_READER_LINE);
        long.push(b'\n');
        let mut c = s.connect("B")?;
        if let Err(failure) = c.send(&long) {
            return Err(if c.has_unread() {
                failure.diagnose(ECHOED_EARLY)
            } else {
                failure
            });
        }
        c.expect(&long).map_err(|f| {
            f.field(
                "after:",
                "a line of 8 MiB, more than the sockets hold, read only once it was all sent",
            )
        })?;
        c.finish()
    })
}

/// A client's send, from a thread of its own, that could not end: what the
/// grader saw of the server, in words, and the OS's own words below.
fn send_failed(client: &str, what: &str, e: std::io::Error) -> Failure {
    use std::io::ErrorKind;
    let headline = match e.kind() {
        ErrorKind::WouldBlock | ErrorKind::TimedOut => format!(
            "client {client}: the server stopped reading {what} before all of it was sent: nothing more went out for {} s",
            deadline().as_secs_f64()
        ),
        ErrorKind::ConnectionReset | ErrorKind::BrokenPipe | ErrorKind::ConnectionAborted => {
            format!("client {client}: the server closed the connection while {what} was being sent")
        }
        _ => format!("client {client} could not send {what}"),
    };
    Failure::new(headline).field("the OS said:", e)
}

/// `n` bytes of `abc...zabc...`, made by copying (a build without
/// optimisations makes a long line byte by byte slowly).
fn letters(n: usize) -> Vec<u8> {
    let mut bytes = b"abcdefghijklmnopqrstuvwxyz".repeat(n / 26 + 1);
    bytes.truncate(n);
    bytes
}

const ECHOED_EARLY: &str = "The server stopped reading client B's line before its `\\n` had come, and had already sent some of it back: it writes back bytes of a line that is not complete yet, and so waits on a client that is still sending. A line is echoed once all of it, through its `\\n`, has come.";

/// Larger than what a socket's send buffer grows to (4 MiB, on Linux) and
/// the receive buffer of a client that does not read yet, together.
const SLOW_READER_LINE: usize = 8 << 20;

fn fragment_not_echoed(ctx: &Ctx) -> Verdict {
    with_server(ctx, |s| {
        let mut c = s.connect("A")?;
        c.send(b"complete\nfragment")?;
        expect_echo(&mut c, b"complete\n")?;
        // Half-close: end-of-file after the fragment; the server must close
        // the connection without echoing "fragment".
        c.finish()?;
        // A long run of bytes without `\n` is no line either, however long:
        // nothing of it may come back, not even in pieces.
        let mut long = b"complete\n".to_vec();
        long.extend(letters(100 * 1024));
        let mut c = s.connect("B")?;
        let writer = c.send_in_background(long)?;
        c.expect(b"complete\n")?;
        if let Ok(Err(e)) = writer.join() {
            return Err(send_failed("B", "its 100 KiB", e));
        }
        c.finish()
            .map_err(|f| f.field("after:", "100 KiB without `\\n`, then the end of the input"))?;
        // Many lines, then the end of the input at once: each line still
        // comes back before the server closes; only the fragment does not.
        let lines: String = (0..20_000).map(|i| format!("line {i}\n")).collect();
        let mut c = s.connect("C")?;
        let writer =
            c.send_all_then_close_in_background(format!("{lines}fragment").into_bytes())?;
        c.expect(lines.as_bytes()).map_err(|f| {
            f.field(
                "after:",
                "20,000 lines and a fragment, then at once the end of the input",
            )
        })?;
        if let Ok(Err(e)) = writer.join() {
            return Err(send_failed("C", "its lines", e));
        }
        c.finish()
    })
}

fn survives_a_reset(ctx: &Ctx) -> Verdict {
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

fn loopback_only(ctx: &Ctx) -> Verdict {
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
    match TcpStream::connect_timeout(&other, deadline()) {
        Ok(_) => Err(server.explain(Failure::new(format!(
            "the server accepted a connection on {other}: it listens beyond 127.0.0.1"
        )))),
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => Ok(Pass::Passed),
        Err(e) => Ok(Pass::Skipped(format!(
            "a connection to {other} could not be tried ({e}); the printed address is 127.0.0.1"
        ))),
    }
}

fn logs_connections(ctx: &Ctx) -> Verdict {
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
fn serves_clients_concurrently(ctx: &Ctx) -> Verdict {
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

/// How many clients the "many at once" checks hold open together.
pub const MANY: usize = 300;

/// Opens `MANY` clients, has each echo a line, and keeps them all open while
/// `during` looks at the server.
fn with_many_clients(ctx: &Ctx, during: impl FnOnce(&Server, &mut [Client]) -> Verdict) -> Verdict {
    let mut server = Server::start(ctx)?;
    let mut clients = Vec::with_capacity(MANY);
    let opened = (|| {
        for i in 0..MANY {
            let mut c = server.connect(&format!("#{i}"))?;
            let line = format!("client {i} says hi\n");
            c.send(line.as_bytes())?;
            c.expect(line.as_bytes())
                .map_err(|f| f.field("while:", format!("{i} other clients were connected")))?;
            clients.push(c);
        }
        Ok(())
    })();
    if let Err(f) = opened {
        return Err(server.explain(f));
    }
    let verdict = during(&server, &mut clients);
    let closed = (|| {
        for c in clients {
            c.finish()?;
        }
        Ok(())
    })();
    match (verdict, closed) {
        (Err(f), _) | (Ok(_), Err(f)) => Err(server.explain(f)),
        (Ok(pass), Ok(())) => Ok(pass),
    }
}

/// A thousand clients, one after another, each echoes a line and leaves: a
/// server that keeps something of each (a reactor's events, its threads)
/// runs out of it before the end, and one that stops accepting stops.
fn serves_clients_one_after_another(ctx: &Ctx) -> Verdict {
    const CLIENTS: usize = 1000;
    let mut server = Server::start(ctx)?;
    let mappings = || threads::mappings(server.pid()).ok();
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
fn serves_many_clients_at_once(ctx: &Ctx) -> Verdict {
    with_many_clients(ctx, |_, clients| {
        for (i, c) in clients.iter_mut().enumerate() {
            c.send(format!("client {i}, all at once\n").as_bytes())?;
        }
        for (i, c) in clients.iter_mut().enumerate() {
            c.expect(format!("client {i}, all at once\n").as_bytes())
                .map_err(|f| {
                    f.field(
                        "while:",
                        format!("{MANY} clients had each sent a line at the same time"),
                    )
                })?;
        }
        Ok(Pass::Passed)
    })
}

/// With `MANY` clients connected, a task-per-client server still runs on a
/// few OS threads; a thread-per-client server has more threads than clients.
fn few_threads_for_many_clients(ctx: &Ctx) -> Verdict {
    if let Err(why) = threads::can_count() {
        return Ok(Pass::Skipped(format!(
            "the threads cannot be counted here: {why}"
        )));
    }
    with_many_clients(ctx, |s, _| {
        let threads = threads::count(s.pid()).map_err(|why| {
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
/// 20 ms clock thirty; a correct one, none.
const MAX_QUIET_WAKEUPS: u64 = 10;

/// How long the server is watched while its clients are quiet.
const QUIET: std::time::Duration = std::time::Duration::from_millis(600);

/// A reactor that sleeps in the OS's wait while every client is quiet uses
/// no CPU; one that spins uses a whole core. As for the mini executor, the
/// share of CPU time over a span of wall time tells them apart: this span is
/// what is measured, not a wait for something to happen.
fn quiet_clients_cost_no_cpu(ctx: &Ctx) -> Verdict {
    with_many_clients(ctx, |s, _| {
        let Some(before) = s.bg.process.cpu_so_far() else {
            return Ok(Pass::Skipped(
                "this platform does not tell a running process's CPU time".to_string(),
            ));
        };
        let switches = || threads::switches(s.pid()).ok();
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
fn serves_one_client_at_a_time(ctx: &Ctx) -> Verdict {
    let step = ctx.step();
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
        if let Err(got) = b.quiet_for(deadline() / 5) {
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
