//! A step's echo server as the checks meet it: started on a free port,
//! followed by its log, talked to by clients; and how a failure is told
//! with what the server did.

use super::{ACCEPTED, ENDED, LISTENING};
use crate::exec::client::Client;
use crate::exec::{Background, describe, panics};
use crate::failure::{Failure, tail};
use crate::outcome::{Pass, Verdict};
use crate::step::{Ctx, Serves};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

/// A step's server, started with port 0, and where it said it listens.
pub(super) struct Server {
    pub(super) bg: Background,
    /// Its stdout, where the log's lines are looked for only to say that
    /// they went there.
    stdout: std::sync::Arc<crate::exec::output::Lines>,
    /// How the step serves clients side by side, for what a failure says.
    serves: Serves,
    /// How long one awaited event may take.
    deadline: Duration,
    /// The address from its `Listening on <addr>` line.
    pub listening: SocketAddr,
    /// The step's executable: what each of its processes runs.
    exe: std::path::PathBuf,
}

/// A log line printed where the checks do not read it.
fn log_on_stdout(line: &str) -> String {
    format!(
        "the server printed its `{line}` line on stdout, where no log is read: the slide's log lines go to stderr (`eprintln!`), and stdout (`println!`) is for the program's output."
    )
}

/// What a lock shared by every client's handler does.
const SHARED_LOCK: &str = "a lock shared by every client's handler, held across the read that waits for its client (an `.await`, or a blocking read), lets one client in at a time, and the others wait for it all that time.";

/// A server that printed the address it asked for.
const PORT_ASKED_FOR: &str = "port 0 is what the server asked for: it tells the OS to choose a free port, and which one it chose is known only once the socket is bound. The line must say the listener's own address, read from the listener after `bind` (the slide prints `listener.local_addr()`), not the one given to `bind`.";

impl Server {
    pub(super) fn start(ctx: &Ctx) -> Result<Server, Failure> {
        let step = ctx.name();
        let deadline = ctx.deadline();
        let exe = ctx.exe()?;
        let log = [LISTENING, ACCEPTED, ENDED];
        let (mut bg, stdout) = Background::start_both(&exe, &["0"], ctx.user(), &log, &log)
            .map_err(|e| Failure::new(e.to_string()))?;
        let found = bg.stderr.wait_until(deadline, |s| {
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
                if exited && let Some(end) = bg.process.wait(deadline) {
                    f = f.field("exit:", describe(&end.status));
                }
                let stderr = bg.last_words();
                let f = f
                    .block("its stderr", &tail(&stderr, 20))
                    .noting_todo_before_main_s_work(&stderr);
                return Err(if stdout.lock().count(LISTENING) > 0 {
                    f.diagnose(log_on_stdout(LISTENING))
                } else {
                    f
                });
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
        if SocketAddr::port(&listening) == 0 {
            return Err(Failure::new(format!(
                "{step} 0: it printed `Listening on {printed}`, and no client can connect to port 0"
            ))
            .field(
                "expected:",
                "`Listening on 127.0.0.1:<port>`, the port the OS gave",
            )
            .diagnose(PORT_ASKED_FOR));
        }
        Ok(Server {
            bg,
            stdout,
            serves: ctx.step().flavour.serves,
            deadline,
            listening,
            exe,
        })
    }

    /// Where clients connect: loopback, at the port the server printed.
    pub(super) fn addr(&self) -> SocketAddr {
        SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), self.listening.port())
    }

    pub(super) fn connect(&self, name: &str) -> Result<Client, Failure> {
        Client::connect(self.addr(), name, self.deadline)
    }

    /// How long one awaited event may take.
    pub(super) fn deadline(&self) -> Duration {
        self.deadline
    }

    pub(super) fn pid(&self) -> u32 {
        self.bg.process.id()
    }

    /// Waits until stderr holds `n` lines that start with `line`: a student
    /// who adds the client's address to the slide's log line is still right.
    pub(super) fn wait_for_lines(&self, line: &'static str, n: usize) -> Result<(), Failure> {
        self.bg
            .stderr
            .wait_until(self.deadline, |s| (s.count(line) >= n).then_some(()))
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
                if self.stdout.lock().count(line) > 0 {
                    return failure.diagnose(log_on_stdout(line));
                }
                if panics(&state.text()).is_some() {
                    return failure.diagnose("the server panicked (see its stderr above): whatever it was to log after the panic, it never did. A client's task or thread that panics ends its connection without its last line.");
                }
                failure
            })
    }

    /// Whether every process of the server's runs the step's own program: a
    /// server that hands its listening socket to another program (an
    /// interpreter and a few lines of its language) is not the step serving
    /// its clients. Copies of itself are its own (Linux).
    pub(super) fn runs_only_itself(&self) -> Result<(), Failure> {
        #[cfg(target_os = "linux")]
        {
            let own = std::fs::canonicalize(&self.exe).unwrap_or_else(|_| self.exe.clone());
            for pid in crate::exec::procfs::family(self.pid()) {
                // A process that ended meanwhile has no program to show.
                let Ok(exe) = std::fs::read_link(format!("/proc/{pid}/exe")) else {
                    continue;
                };
                // A program rebuilt while it runs is still the one it was.
                let shown = exe.to_string_lossy();
                let exe = std::path::PathBuf::from(shown.trim_end_matches(" (deleted)"));
                if exe != own {
                    return Err(Failure::new(format!(
                        "the server runs another program beside its own: {}",
                        exe.display()
                    ))
                    .diagnose(ANOTHER_PROGRAM));
                }
            }
        }
        // Elsewhere, what a process runs is not read.
        #[cfg(not(target_os = "linux"))]
        let _ = (&self.exe, ANOTHER_PROGRAM);
        Ok(())
    }

    /// How many lines of its stderr so far start with `line`.
    pub(super) fn count(&self, line: &'static str) -> usize {
        self.bg.stderr.lock().count(line)
    }

    pub(super) fn stderr_text(&self) -> String {
        self.bg.stderr.text()
    }

    /// A client's line did not come back while `others` were connected and
    /// idle. Tells why, where it can: the others leave, and if the line
    /// comes back then, the server served one client at a time (if a single
    /// idle client was enough to stop it), or its idle clients held every
    /// thread it serves with (if it served one beside another, but not beside
    /// many).
    pub(super) fn starved(
        &self,
        failure: Failure,
        others: Vec<Client>,
        mut client: Client,
        line: &[u8],
    ) -> Failure {
        let idle = others.len();
        let threads = crate::exec::procfs::count(self.pid()).ok();
        let accepted = self.count(ACCEPTED);
        for other in others {
            other.reset();
        }
        if client.expect(line).is_err() {
            return failure;
        }
        let failure = failure.field("after:", "the others left, and then the line came back");
        // Every client accepted, and yet waiting: on something the others held.
        let all_accepted = accepted > idle;
        let log = format!("`{ACCEPTED}` {accepted} times");
        let threads_said =
            threads.map_or(String::new(), |n| format!(" (the server has {n} threads)"));
        if idle == 1 && all_accepted {
            failure.field("log:", log).diagnose(format!("one client at a time, though each was accepted: the log says both connections were accepted, and the second was served only once the first left: its handler waited on something the first one's held. Look for what the handlers share: {SHARED_LOCK}"))
        } else if idle == 1 {
            failure.diagnose("one client at a time: while one client was connected, the next was not served. The accept loop waits for a client's handler to end before it accepts the next (slide \"What's wrong with this code?\").")
        } else if self.serves == Serves::Threads {
            if all_accepted && threads.is_some_and(|n| n > idle) {
                failure.field("log:", log).diagnose(format!("served beside one client, but not beside {idle} idle ones{threads_said}, though each was accepted and has a thread of its own: the next one's handler waited on something another held. Look for what the handlers share: {SHARED_LOCK}"))
            } else {
                failure.diagnose(format!("served beside one client, but not beside {idle} idle ones{threads_said}: each idle client held one of a fixed number of threads, and the next client waited for one to be free. The slide gives each client a thread of its own (`thread::spawn` for each client accepted), however many come."))
            }
        } else {
            // A task's blocking read holds a worker, and the accept loop
            // (on the main thread) still accepts: the log cannot tell it
            // from a lock, and both are said.
            failure.diagnose(format!("served beside one client, but not beside {idle} idle ones{threads_said}: each idle client held something the next one needed. A blocking call inside a task, such as std's `read_until`, keeps its worker thread from every other task (slide \"How to transform to async?\"); and {SHARED_LOCK}"))
        }
    }

    /// Adds what the server's state tells about a failure: whether it ended,
    /// what it panicked with, whether it is still a `todo!()`.
    pub(super) fn explain(&mut self, failure: Failure) -> Failure {
        let mut f = failure;
        // A client turned away (refused, reset) by a server that is ending:
        // it is given a moment to end, so that the failure says so.
        let said = f.message();
        let turned_away = ["refused", "reset", "closed the connection"]
            .iter()
            .any(|w| said.contains(w));
        let end = match self.bg.process.poll() {
            None if turned_away => self.bg.process.wait(self.deadline / 10),
            end => end,
        };
        let stderr = self.bg.last_words();
        f = f.noting_todo(&stderr);
        if let Some(panic) = panics(&stderr) {
            f = f.block("the server panicked", &panic);
            if let Some(end) = end {
                f = f.field("server:", format!("ended ({})", describe(&end.status)));
            }
            return f;
        }
        let Some(end) = end else {
            return f;
        };
        if f.kind == crate::failure::Kind::NotStarted {
            return f.field("server:", format!("ended ({})", describe(&end.status)));
        }
        // Ended on its own, while the check still talked to it: that is the
        // failure, whatever the client saw of it.
        let seen = std::mem::replace(
            &mut f.headline,
            format!(
                "the server ended ({}) while clients still needed it",
                describe(&end.status)
            ),
        );
        f = f.field("then:", seen);
        if !stderr.trim().is_empty() {
            f = f.block("its stderr", &tail(&stderr, 10));
        }
        f.diagnose(if end.status.success() {
            ENDED_AFTER_A_CLIENT
        } else {
            ENDED_WITH_AN_ERROR
        })
    }
}

/// A server whose clients another program served.
const ANOTHER_PROGRAM: &str = "the step is the server, in Rust, in its one file: it starts no other program, and hands its listening socket or its clients to none. Whatever that program did, it is not the step serving its clients, and it earns nothing.";

/// A server that returned from `main` while serving.
const ENDED_AFTER_A_CLIENT: &str = "a server serves client after client until it is stopped, and this one's `main` returned: its accept loop ended (a `return` or `break` in it, or an `accept` that is not in a loop, or one client handled and awaited before `main` ends). The accept loop goes round for every client, for as long as the server runs.";

/// A server whose `main` returned an error while serving.
const ENDED_WITH_AN_ERROR: &str = "the server's `main` returned an error (its stderr above): a `?` in the accept loop, or on a client's read or write inside it, ends the whole server for one client's error. A client's error ends that client's connection only, in its own task or thread.";

/// Starts the step's server and runs `check` against it; a failure is
/// explained with the server's state.
pub(super) fn with_server(
    ctx: &Ctx,
    check: impl FnOnce(&mut Server) -> Result<(), Failure>,
) -> Verdict {
    let mut server = Server::start(ctx)?;
    match check(&mut server).and_then(|()| server.runs_only_itself()) {
        Ok(()) => Ok(Pass::Passed),
        Err(f) => Err(server.explain(f)),
    }
}

/// Sends `line` in one write on a new connection and expects it back.
pub(super) fn round_trip(server: &Server, name: &str, line: &[u8]) -> Result<(), Failure> {
    let mut c = server.connect(name)?;
    c.send(line)?;
    expect_echo(&mut c, line)?;
    c.finish()
}

/// `c.expect(line)`; when it fails, whether the echo was only held back
/// until the end of the connection, which the failure then says.
pub(super) fn expect_echo(c: &mut Client, line: &[u8]) -> Result<(), Failure> {
    let deadline = c.deadline();
    c.expect(line).map_err(|failure| {
        if c.arrives_once_closed(line, deadline / 4) {
            failure.diagnose(HELD_BACK)
        } else {
            failure
        }
    })
}

const HELD_BACK: &str = "The echo came back only once the client closed its side: the server held each line back until the input ended. Either it wrote into a buffer that goes out only when flushed or dropped (a `BufWriter` never flushed), or it read to the end of the input before writing anything (`read_to_end`, `read_to_string`, lines collected first). Each line must reach the client as soon as it is complete, while the client is still connected.";

/// A client's send, from a thread of its own, that could not end: what the
/// grader saw of the server, in words, and the OS's own words below.
pub(super) fn send_failed(client: &Client, what: &str, e: std::io::Error) -> Failure {
    let deadline = client.deadline();
    let client = client.name();
    use std::io::ErrorKind;
    let headline = match e.kind() {
        ErrorKind::WouldBlock | ErrorKind::TimedOut => format!(
            "client {client}: the server stopped reading {what} before all of it was sent: nothing more went out for {} s",
            deadline.as_secs_f64()
        ),
        ErrorKind::ConnectionReset | ErrorKind::BrokenPipe | ErrorKind::ConnectionAborted => {
            format!("client {client}: the server closed the connection while {what} was being sent")
        }
        _ => format!("client {client} could not send {what}"),
    };
    Failure::new(headline).field("the OS said:", e)
}

/// How many clients the "many at once" checks hold open together.
pub(super) const MANY: usize = 300;

/// Opens `MANY` clients, has each echo a line, and keeps them all open while
/// `during` looks at the server.
pub(super) fn with_many_clients(
    ctx: &Ctx,
    during: impl FnOnce(&Server, &mut [Client]) -> Verdict,
) -> Verdict {
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
        (Ok(pass), Ok(())) => match server.runs_only_itself() {
            Ok(()) => Ok(pass),
            Err(f) => Err(server.explain(f)),
        },
    }
}
