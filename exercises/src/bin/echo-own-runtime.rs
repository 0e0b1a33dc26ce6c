//! Slides: "Lifecycle of a Task" and "Why separate reactor?" ("Use your own
//! API: Linux `epoll`, `io_uring`; Windows `IOCP`").
//!
//! The echo server of echo-spawn on a runtime of our own, with std and the
//! `polling` crate only: the executor of mini-executor, a reactor thread that
//! waits on the OS (epoll, kqueue or IOCP, through `polling`) for every
//! socket at once, and std's sockets in non-blocking mode, whose futures wait
//! through the reactor.
//!
//! Given: the executor's frame (mini-executor's, with its two TODOs: bring
//! your own `wake` and run loop from mini-executor once it passes), the
//! reactor's bookkeeping (`Source::register` arms a socket and leaves a waker
//! with the reactor; `Drop for Source` takes both back), `BufReader`, and
//! `main` and `handle_client`, which are echo-spawn's line for line. Your
//! job, the TODOs: your executor, the reactor's loop (wait until sockets are
//! ready, wake the tasks waiting on them) and the `poll` of the three socket
//! futures (try the std operation; when it would block, leave the waker with
//! the reactor and return `Pending`).
//!
//! Run it with `cargo run --bin echo-own-runtime` and talk to it with
//! `nc 127.0.0.1 50000`. Grade it with `cargo test -p grader echo_own_runtime`:
//! the grader also checks that many quiet clients cost few threads and almost
//! no CPU (no busy polling).

// The TODOs leave code unused until you write them; delete the line below then,
// so that the compiler can point at what your code leaves unused.
#![allow(unused_imports, unused_variables, unused_mut, dead_code)]

use polling::{AsSource, Event, Events, Poller};
use std::cell::RefCell;
use std::collections::HashMap;
use std::future::Future;
use std::io::{self, ErrorKind, Read, Write};
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex, OnceLock};
use std::task::{Context, Poll, Wake, Waker};

// ---------------------------------------------------------------------------
// The executor: mini-executor's. Its two TODOs are yours from mini-executor:
// copy your `wake` and your run loop here once mini-executor passes.
// ---------------------------------------------------------------------------

type BoxFuture = Pin<Box<dyn Future<Output = ()> + Send>>;

/// What the run queue carries: a task to poll, or a nudge to poll the
/// future `block_on` was given.
enum Run {
    Task(Arc<Task>),
    Main,
}

/// A spawned future and the way back onto the run queue.
struct Task {
    /// `None` once the future has completed.
    future: Mutex<Option<BoxFuture>>,
    queue: Sender<Run>,
}

impl Wake for Task {
    fn wake(self: Arc<Self>) {
        // TODO (from mini-executor): put this task back on the run queue
        // (`self.queue`). Here the reactor's thread wakes tasks too.
        todo!("reschedule the task, as in mini-executor")
    }
}

/// The waker of `block_on`'s own future.
struct MainWaker(Sender<Run>);

impl Wake for MainWaker {
    fn wake(self: Arc<Self>) {
        let _ = self.0.send(Run::Main);
    }
}

thread_local! {
    /// The run queue of the `block_on` running on this thread, for `spawn`.
    static CURRENT: RefCell<Option<Sender<Run>>> = const { RefCell::new(None) };
}

/// Runs `future` to completion on this thread, with every task spawned
/// meanwhile, and returns its output.
fn block_on<F: Future>(future: F) -> F::Output {
    let (queue, runs): (Sender<Run>, Receiver<Run>) = channel();
    let previous = CURRENT.with(|c| c.replace(Some(queue.clone())));
    let main_waker = Waker::from(Arc::new(MainWaker(queue.clone())));
    // The first poll needs no wake.
    queue.send(Run::Main).expect("the receiver is here");
    let output = run(std::pin::pin!(future), &main_waker, &runs);
    CURRENT.with(|c| *c.borrow_mut() = previous);
    output
}

/// The executor's loop: poll whatever was woken, and park the thread while
/// nothing was, until `future` is ready.
fn run<F: Future>(mut future: Pin<&mut F>, main_waker: &Waker, runs: &Receiver<Run>) -> F::Output {
    // TODO (from mini-executor): the run loop. Take the next `Run` from
    // `runs`, waiting for one (never spin), poll what it names, and return
    // once `future` is ready.
    todo!("run the woken tasks until the future is ready, as in mini-executor")
}

/// Starts `future` as a task of the running `block_on`; its output comes
/// through the returned handle, itself a future.
fn spawn<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let shared = Arc::new(Mutex::new(Joined {
        output: None,
        waker: None,
    }));
    let result = shared.clone();
    let task = Arc::new(Task {
        future: Mutex::new(Some(Box::pin(async move {
            let output = future.await;
            let waker = {
                let mut joined = result.lock().unwrap();
                joined.output = Some(output);
                joined.waker.take()
            };
            if let Some(waker) = waker {
                waker.wake();
            }
        }))),
        queue: CURRENT
            .with(|c| c.borrow().clone())
            .expect("spawn is called inside block_on"),
    });
    task.wake();
    JoinHandle(shared)
}

struct Joined<T> {
    output: Option<T>,
    waker: Option<Waker>,
}

/// Waits for a spawned task's output.
struct JoinHandle<T>(Arc<Mutex<Joined<T>>>);

impl<T> Future for JoinHandle<T> {
    type Output = T;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let mut joined = self.0.lock().unwrap();
        match joined.output.take() {
            Some(output) => Poll::Ready(output),
            None => {
                joined.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

// ---------------------------------------------------------------------------
// The reactor: the OS says which sockets are ready; we wake their tasks.
// ---------------------------------------------------------------------------

/// The one thread that waits on the OS for every socket at once.
struct Reactor {
    /// epoll, kqueue or IOCP. In its default oneshot mode a socket reports
    /// one event, then stays quiet until it is armed again.
    poller: Poller,
    /// The waker of the task waiting on each socket, by the socket's key.
    /// One waker a socket is enough: each socket operation takes `&mut`, so
    /// only one can wait on a socket at a time. The grader counts what is
    /// left in it (`Reactor::get().wakers.lock().unwrap().len()`): keep it
    /// a map whose `len` is the number of sockets waited on.
    wakers: Mutex<HashMap<usize, Waker>>,
}

impl Reactor {
    /// The one reactor, started on first use.
    fn get() -> &'static Reactor {
        static REACTOR: OnceLock<&'static Reactor> = OnceLock::new();
        REACTOR.get_or_init(|| {
            let reactor: &'static Reactor = Box::leak(Box::new(Reactor {
                poller: Poller::new().expect("the OS gives a poller"),
                wakers: Mutex::new(HashMap::new()),
            }));
            // Named, so that a panic in it says whose it is.
            std::thread::Builder::new()
                .name("reactor".into())
                .spawn(move || reactor.run())
                .expect("the OS starts the reactor thread");
            reactor
        })
    }

    /// The reactor thread: sleep until sockets are ready, wake their tasks.
    fn run(&self) {
        // TODO: the reactor's part in the lifecycle of a task. Forever:
        // - wait on `self.poller` until the OS says some sockets are ready
        //   (`wait` fills an `Events`: clear it before each wait). Give it no
        //   timeout: the thread sleeps in the kernel, and never spins;
        // - for each event, take the waker stored under the event's `key` out
        //   of `self.wakers`, and wake it, so that the executor polls that
        //   task again. Take it out, not a clone: the event disarmed the
        //   socket (oneshot), and the task registers again if it must wait
        //   again. A key may have no waker: its socket was dropped meanwhile.
        //   Wake after you let go of the lock, as the timer of mini-executor
        //   does: a woken task may register again at once.
        // If `wait` fails, no socket can ever be woken again: print one line
        // saying so, and exit.
        todo!("wait until sockets are ready, and wake the tasks waiting on them")
    }
}

/// What a socket future waits for.
enum Interest {
    Read,
    Write,
}

/// A std socket in non-blocking mode, and its entry with the reactor.
struct Source<T: AsSource> {
    io: T,
    /// Names the socket in the poller's events and in the reactor's map.
    /// Never reused, so that a late event for a closed socket cannot wake the
    /// task of a newer socket.
    key: usize,
    /// Whether the poller knows the socket yet: it learns of it the first
    /// time an operation would block.
    added: bool,
}

impl<T: AsSource> Source<T> {
    /// `io` must already be in non-blocking mode.
    fn new(io: T) -> Source<T> {
        static NEXT_KEY: AtomicUsize = AtomicUsize::new(0);
        Source {
            io,
            key: NEXT_KEY.fetch_add(1, Ordering::Relaxed),
            added: false,
        }
    }

    /// Has the reactor wake `waker` once the socket is ready for `interest`.
    /// A socket future calls this when the operation would block, just
    /// before it returns `Pending`.
    fn register(&mut self, interest: Interest, waker: &Waker) -> io::Result<()> {
        let reactor = Reactor::get();
        // The waker goes in before the socket is armed, so that an event that
        // comes at once finds whom to wake. Always the waker of this poll:
        // the task may have been polled with a new one since.
        reactor
            .wakers
            .lock()
            .unwrap()
            .insert(self.key, waker.clone());
        let event = match interest {
            Interest::Read => Event::readable(self.key),
            Interest::Write => Event::writable(self.key),
        };
        // Arming checks readiness at once, so bytes that came between the
        // `WouldBlock` and here still give an event: no wake-up is lost.
        let armed = if self.added {
            // Oneshot: the last event disarmed the socket; arm it again.
            reactor.poller.modify(&self.io, event)
        } else {
            // SAFETY: `add` asks that the socket be deleted from the poller
            // before it is closed. `io` is closed only when this `Source` is
            // dropped: no method gives it away, and a type with `Drop` cannot
            // be taken apart (`mem::forget` leaks the socket too, so it is
            // never closed). `Drop for Source` deletes it first: `drop` runs
            // before the fields are dropped. The poller is never dropped.
            let added = unsafe { reactor.poller.add(&self.io.source(), event) };
            self.added = added.is_ok();
            added
        };
        if armed.is_err() {
            reactor.wakers.lock().unwrap().remove(&self.key);
        }
        armed
    }
}

impl<T: AsSource> Drop for Source<T> {
    fn drop(&mut self) {
        if self.added {
            let reactor = Reactor::get();
            // Deleted before `io` is closed, as promised to `add`. It cannot
            // fail: the socket is open and in the poller.
            let _ = reactor.poller.delete(&self.io);
            reactor.wakers.lock().unwrap().remove(&self.key);
        }
    }
}

// ---------------------------------------------------------------------------
// The sockets: std's, whose futures wait through the reactor.
// ---------------------------------------------------------------------------

/// A listening socket whose `accept` is a future.
struct TcpListener {
    source: Source<std::net::TcpListener>,
}

impl TcpListener {
    /// Binding never blocks, so unlike tokio's it is not a future.
    fn bind(addr: SocketAddr) -> io::Result<TcpListener> {
        let listener = std::net::TcpListener::bind(addr)?;
        listener.set_nonblocking(true)?;
        Ok(TcpListener {
            source: Source::new(listener),
        })
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.source.io.local_addr()
    }

    /// The next client, and its address.
    fn accept(&mut self) -> AcceptFuture<'_> {
        AcceptFuture { listener: self }
    }
}

struct AcceptFuture<'a> {
    listener: &'a mut TcpListener,
}

impl Future for AcceptFuture<'_> {
    type Output = io::Result<(TcpStream, SocketAddr)>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // TODO: try `accept` on the std listener (`listener.source.io`): it
        // never blocks, the socket is in non-blocking mode. (These futures
        // are `Unpin`: `self.get_mut()` gives you `&mut Self`.)
        // - a client came: make it our `TcpStream` (`TcpStream::new` sets it
        //   non-blocking too) and return it with its address;
        // - `ErrorKind::WouldBlock`: no client yet. Leave the waker with the
        //   reactor (`source.register`, interest `Read`: a new client makes
        //   the listener readable) and return `Poll::Pending`. `register` can
        //   fail: `?` works in `poll` and returns its error;
        // - `Interrupted`, `ConnectionAborted` or `ConnectionReset`: a signal,
        //   or a client that gave up; no reason to stop the server: try again;
        // - any other error: return it.
        todo!("accept a client, or wait for one through the reactor")
    }
}

/// A connected socket whose `read` and `write_all` are futures.
struct TcpStream {
    source: Source<std::net::TcpStream>,
}

impl TcpStream {
    fn new(stream: std::net::TcpStream) -> io::Result<TcpStream> {
        // An accepted socket does not inherit the listener's non-blocking mode
        // on every OS; a blocking read would stall every task on this thread.
        stream.set_nonblocking(true)?;
        Ok(TcpStream {
            source: Source::new(stream),
        })
    }

    /// Reads some bytes into `buf`; 0 means end-of-file.
    fn read<'a>(&'a mut self, buf: &'a mut [u8]) -> ReadFuture<'a> {
        ReadFuture { stream: self, buf }
    }

    /// Writes all of `buf`, however many writes that takes.
    fn write_all<'a>(&'a mut self, buf: &'a [u8]) -> WriteAllFuture<'a> {
        WriteAllFuture { stream: self, buf }
    }
}

struct ReadFuture<'a> {
    stream: &'a mut TcpStream,
    buf: &'a mut [u8],
}

impl Future for ReadFuture<'_> {
    type Output = io::Result<usize>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // TODO: try `read` on the std stream (`stream.source.io`) into `buf`.
        // Some bytes, end-of-file (0) or an error: return it. On `WouldBlock`
        // nothing has come yet: leave the waker with the reactor (interest
        // `Read`) and return `Poll::Pending`. On `Interrupted`, try again.
        todo!("read some bytes, or wait for them through the reactor")
    }
}

struct WriteAllFuture<'a> {
    stream: &'a mut TcpStream,
    /// What is left to write.
    buf: &'a [u8],
}

impl Future for WriteAllFuture<'_> {
    type Output = io::Result<()>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // TODO: write `buf` to the std stream (`stream.source.io`) until none
        // is left. A write may take only part of it: keep the rest in `buf`;
        // a write of 0 bytes is an error (`ErrorKind::WriteZero`). On
        // `WouldBlock` the client is not reading and the socket is full:
        // leave the waker with the reactor (interest `Write`) and return
        // `Poll::Pending`. On `Interrupted`, try again. All written: ready.
        todo!("write it all, or wait for room through the reactor")
    }
}

/// tokio's `BufReader` in the little the slide uses: `read_until` and
/// `get_mut`.
struct BufReader {
    stream: TcpStream,
    buffer: Box<[u8]>,
    /// The bytes read from the socket and not handed out yet are
    /// `buffer[start..end]`.
    start: usize,
    end: usize,
}

impl BufReader {
    fn new(stream: TcpStream) -> BufReader {
        BufReader {
            stream,
            // tokio's default size.
            buffer: vec![0; 8 * 1024].into_boxed_slice(),
            start: 0,
            end: 0,
        }
    }

    fn get_mut(&mut self) -> &mut TcpStream {
        &mut self.stream
    }

    /// Appends to `buf` the bytes up to and including `byte`, or up to
    /// end-of-file, and returns how many; 0 only at end-of-file. The bytes
    /// after `byte` stay in the buffer for the next call.
    async fn read_until(&mut self, byte: u8, buf: &mut Vec<u8>) -> io::Result<usize> {
        let mut read = 0;
        loop {
            if self.start == self.end {
                // Only an empty buffer waits on the socket.
                self.end = self.stream.read(&mut self.buffer).await?;
                self.start = 0;
                if self.end == 0 {
                    return Ok(read);
                }
            }
            let unread = &self.buffer[self.start..self.end];
            let (found, used) = match unread.iter().position(|&b| b == byte) {
                Some(at) => (true, at + 1),
                None => (false, unread.len()),
            };
            buf.extend_from_slice(&unread[..used]);
            self.start += used;
            read += used;
            if found {
                return Ok(read);
            }
        }
    }
}

// ---------------------------------------------------------------------------
// The echo server: echo-spawn's, on our runtime.
// ---------------------------------------------------------------------------

fn main() -> io::Result<()> {
    // What `#[tokio::main]` writes for us: the body of `main` in a `block_on`.
    block_on(async {
        let port = std::env::args()
            .nth(1)
            .map(|s| s.parse().unwrap_or_else(|_| bad_port(&s)))
            .unwrap_or(50000u16);
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let mut listener = TcpListener::bind(addr).unwrap_or_else(|e| {
            eprintln!("error: cannot listen on {addr}: {e}");
            std::process::exit(1)
        });
        eprintln!("Listening on {}", listener.local_addr()?);
        loop {
            let (socket, _) = listener.accept().await?;
            // An `async move` block: like the thread's `move` closure, the
            // task owns the socket because it outlives this loop iteration.
            spawn(async move {
                eprintln!("Accepted connection");
                std::mem::drop(handle_client(socket).await);
                eprintln!("Connection ended");
            });
        }
    })
}

/// Echoes each line back until the client closes; a last fragment without
/// `\n` is not echoed. Each `.await` is a point where this task may return
/// `Pending`, its waker left with the reactor, so that the thread serves
/// other clients.
async fn handle_client(stream: TcpStream) -> io::Result<()> {
    let mut reader = BufReader::new(stream);
    let mut buf: Vec<u8> = Vec::new();
    loop {
        let size = reader.read_until(b'\n', &mut buf).await?;
        if size == 0 || buf[size - 1] != b'\n' {
            break;
        }
        reader.get_mut().write_all(&buf[..size]).await?;
        buf.clear();
    }
    Ok(())
}

/// The slide's `.unwrap()` would panic with a backtrace; one line is kinder.
fn bad_port(value: &str) -> ! {
    eprintln!("error: PORT must be a number from 0 to 65535, got {value:?}");
    std::process::exit(2)
}
