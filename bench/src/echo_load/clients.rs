//! The clients of the load test: C tokio tasks in this process, each with
//! its own connection to the server over loopback.
//!
//! A run has two phases. First every client connects, and waits. Connects
//! are paced by the server's own log: at most 64 connections that it has not
//! yet accepted (printed `Accepted connection` for) at any time. Unpaced, a
//! burst of connects overflows the server's accept queue (128 connections
//! for std's listener), the kernel drops the SYNs that do not fit, and each
//! of those connects waits a second or more for its retry. When all are
//! connected, or the connect deadline has passed, all are released at once:
//! each sends its L lines, one at a time, and times each from the write to
//! the last byte of its echo; then it closes. So during the second phase the
//! server holds every connection at once, as a chat server holds its users.
//!
//! Nothing waits forever: connects that have not finished by the connect
//! deadline are given up, and clients still waiting for an echo at the echo
//! deadline are stopped and counted as unfinished. That is how the one-client-
//! at-a-time server of `echo-async-naive` is measured without hanging.

use crate::progress::{Counter, Progress};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::runtime::Runtime;
use tokio::sync::{Semaphore, mpsc, watch};
use tokio::task::JoinSet;
use tokio::time::{Instant, sleep_until, timeout_at};

/// Connections the server may have waiting in its accept queue at once.
pub const NOT_YET_ACCEPTED: usize = 64;

/// What to send, and how long to wait for it.
#[derive(Debug, Clone)]
pub struct Spec {
    pub clients: usize,
    pub lines: usize,
    /// Pause between a client's lines; the clients' first lines are spread
    /// evenly over one such pause, so the load is steady rather than bursty.
    pub interval: Duration,
    pub connect_deadline: Duration,
    pub echo_deadline: Duration,
}

/// How the connect phase went.
#[derive(Debug, Clone, Default)]
pub struct Connected {
    pub connected: usize,
    pub refused: usize,
    pub timed_out: usize,
    pub first_error: Option<String>,
    pub elapsed: Duration,
}

/// How the echo phase went.
#[derive(Debug, Clone, Default)]
pub struct Echoed {
    /// Clients whose every line came back.
    pub served: usize,
    /// Clients that met an error (a reset, an end of stream, a wrong echo).
    pub failed: usize,
    /// Clients still waiting for an echo at the deadline.
    pub unfinished: usize,
    pub first_error: Option<String>,
    /// Round-trip latency of every echoed line, in seconds, sorted.
    pub latencies: Vec<f64>,
    /// From the release of the clients to the last one's end (or the deadline).
    pub elapsed: Duration,
}

enum Report {
    Connected,
    Refused(String),
    TimedOut,
}

enum End {
    Refused(String),
    TimedOut,
    Served,
    Failed(String),
}

/// The clients, connected and waiting for the start.
pub struct Load {
    connect_elapsed: Duration,
    runtime: Runtime,
    clients: JoinSet<End>,
    start: watch::Sender<Option<Instant>>,
    latencies: Arc<Mutex<Vec<f64>>>,
    spec: Spec,
}

impl Load {
    /// Starts the clients and runs the connect phase. `accept_room` holds a
    /// permit for each connection the server may still queue; the caller
    /// adds one each time the server accepts.
    pub fn connect(
        addr: SocketAddr,
        spec: &Spec,
        accept_room: Arc<Semaphore>,
        progress: &Progress,
    ) -> Result<(Load, Connected), String> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("cannot build the clients' runtime: {e}"))?;
        let (start, started) = watch::channel(None);
        let latencies = Arc::new(Mutex::new(Vec::with_capacity(spec.clients * spec.lines)));
        let (report, mut reports) = mpsc::unbounded_channel();
        progress.restart(spec.clients as u64);
        let begun = std::time::Instant::now();
        let (clients, connected) = runtime.block_on(async {
            let connect_by = Instant::now() + spec.connect_deadline;
            let mut clients = JoinSet::new();
            for id in 0..spec.clients {
                let client = Client {
                    id,
                    addr,
                    spec: spec.clone(),
                    latencies: latencies.clone(),
                    progress: progress.counter(),
                };
                clients.spawn(client.run(
                    connect_by,
                    accept_room.clone(),
                    report.clone(),
                    started.clone(),
                ));
            }
            let mut connected = Connected::default();
            let mut heard = 0;
            while heard < spec.clients {
                match timeout_at(connect_by, reports.recv()).await {
                    Ok(Some(Report::Connected)) => connected.connected += 1,
                    Ok(Some(Report::Refused(e))) => {
                        connected.refused += 1;
                        connected.first_error.get_or_insert(e);
                    }
                    Ok(Some(Report::TimedOut)) | Ok(None) | Err(_) => break,
                }
                heard += 1;
            }
            connected.timed_out = spec.clients - connected.connected - connected.refused;
            (clients, connected)
        });
        let connected = Connected {
            elapsed: begun.elapsed(),
            ..connected
        };
        let load = Load {
            connect_elapsed: connected.elapsed,
            runtime,
            clients,
            start,
            latencies,
            spec: spec.clone(),
        };
        Ok((load, connected))
    }

    /// Releases the connected clients and waits until each is done, or the
    /// echo deadline. The connects are counted again, from how each client
    /// ended: a connect that finished just as the connect phase did is
    /// counted on the right side.
    pub fn echo(self, progress: &Progress) -> (Connected, Echoed) {
        let Load {
            connect_elapsed,
            runtime,
            mut clients,
            start,
            latencies,
            spec,
        } = self;
        progress.restart((spec.clients * spec.lines) as u64);
        let (mut connected, mut echoed) = runtime.block_on(async {
            let began = Instant::now();
            // No receiver left means no client is waiting to start.
            let _ = start.send(Some(began));
            let deadline = began + spec.echo_deadline;
            let mut connected = Connected {
                elapsed: connect_elapsed,
                ..Connected::default()
            };
            let mut echoed = Echoed::default();
            let mut last_end = began;
            loop {
                match timeout_at(deadline, clients.join_next()).await {
                    Ok(Some(end)) => {
                        last_end = Instant::now();
                        match end {
                            Ok(End::Served) => echoed.served += 1,
                            Ok(End::Refused(e)) => {
                                connected.refused += 1;
                                connected.first_error.get_or_insert(e);
                            }
                            // Counted below: neither connected nor refused.
                            Ok(End::TimedOut) => {}
                            Ok(End::Failed(e)) => {
                                echoed.failed += 1;
                                echoed.first_error.get_or_insert(e);
                            }
                            Err(e) => {
                                echoed.failed += 1;
                                echoed
                                    .first_error
                                    .get_or_insert(format!("a client task failed: {e}"));
                            }
                        }
                    }
                    Ok(None) => break,
                    Err(_) => {
                        echoed.unfinished = clients.len();
                        last_end = deadline;
                        clients.abort_all();
                        while clients.join_next().await.is_some() {}
                        break;
                    }
                }
            }
            echoed.elapsed = last_end - began;
            connected.connected = echoed.served + echoed.failed + echoed.unfinished;
            (connected, echoed)
        });
        // Stopped clients' sockets close with the runtime.
        runtime.shutdown_background();
        let mut latencies =
            std::mem::take(&mut *latencies.lock().unwrap_or_else(|e| e.into_inner()));
        latencies.sort_by(f64::total_cmp);
        echoed.latencies = latencies;
        connected.timed_out = spec.clients - connected.connected - connected.refused;
        (connected, echoed)
    }
}

struct Client {
    id: usize,
    addr: SocketAddr,
    spec: Spec,
    latencies: Arc<Mutex<Vec<f64>>>,
    progress: Counter,
}

impl Client {
    async fn run(
        self,
        connect_by: Instant,
        accept_room: Arc<Semaphore>,
        report: mpsc::UnboundedSender<Report>,
        mut started: watch::Receiver<Option<Instant>>,
    ) -> End {
        let connect = async {
            let room = accept_room.acquire().await;
            let stream = TcpStream::connect(self.addr).await;
            // Connected, the connection takes its place in the accept queue
            // until the server accepts it and gives the place back.
            if stream.is_ok()
                && let Ok(room) = room
            {
                room.forget();
            }
            stream
        };
        let mut stream = match timeout_at(connect_by, connect).await {
            Ok(Ok(stream)) => stream,
            Ok(Err(e)) => {
                let _ = report.send(Report::Refused(e.to_string()));
                return End::Refused(e.to_string());
            }
            Err(_) => {
                let _ = report.send(Report::TimedOut);
                return End::TimedOut;
            }
        };
        let _ = report.send(Report::Connected);
        self.progress.step();
        // Small lines, each answered before the next: never wait for more.
        let _ = stream.set_nodelay(true);
        let began = match started.wait_for(Option::is_some).await {
            Ok(began) => began.expect("waited for it"),
            Err(_) => return End::Failed("the load test ended before the start".to_string()),
        };
        match self.talk(&mut stream, began).await {
            Ok(()) => End::Served,
            Err(e) => End::Failed(e),
        }
    }

    async fn talk(&self, stream: &mut TcpStream, began: Instant) -> Result<(), String> {
        let spread = self
            .spec
            .interval
            .mul_f64(self.id as f64 / self.spec.clients as f64);
        let mut echo = Vec::new();
        for k in 0..self.spec.lines {
            if !self.spec.interval.is_zero() {
                sleep_until(began + spread + self.spec.interval * k as u32).await;
            }
            let line = format!("line {k} from client {}\n", self.id);
            echo.resize(line.len(), 0);
            let sent = std::time::Instant::now();
            stream
                .write_all(line.as_bytes())
                .await
                .map_err(|e| format!("sending a line: {e}"))?;
            stream
                .read_exact(&mut echo)
                .await
                .map_err(|e| format!("waiting for an echo: {e}"))?;
            let latency = sent.elapsed().as_secs_f64();
            if echo != line.as_bytes() {
                return Err(format!(
                    "sent {line:?}, the echo was {:?}",
                    String::from_utf8_lossy(&echo)
                ));
            }
            self.latencies
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(latency);
            self.progress.step();
        }
        Ok(())
    }
}
