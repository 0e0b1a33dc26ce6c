//! Slides: "Lifecycle of a Task" ("Who calls poll()? How does this all run?").
//!
//! A tiny executor on std alone, in the parts the slides draw: the executor
//! (`block_on`, with a run queue), the task and its waker (`impl Wake`), and
//! the reactor (a timer thread that wakes sleeping futures). The reactor,
//! `spawn` and `JoinHandle` are given; the two TODOs are the heart of it:
//! what waking a task does, and the executor's run loop.
//!
//! Run it with `cargo run --bin mini-executor -- 1000 200`: a thousand tasks
//! sleep 200 ms each, at the same time, on one thread. Grade it with
//! `cargo test -p grader mini_executor`: the grader also checks that the
//! process uses almost no CPU while the tasks sleep (no busy polling).

// The TODOs leave code unused until you write them; delete the line below then,
// so that the compiler can point at what your code leaves unused.
#![allow(unused_imports, unused_variables, unused_mut, dead_code)]

use std::cell::RefCell;
use std::collections::BinaryHeap;
use std::future::Future;
use std::pin::Pin;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

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
        // TODO: put this task back on the run queue (`self.queue`), so that
        // the executor polls it again. This runs on whatever thread woke the
        // task: the timer's, or another task's.
        todo!("reschedule the task")
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
    // TODO: loop: take the next `Run` from `runs`, waiting for one (`recv`
    // parks the thread: never spin), and
    // - `Run::Main`: poll `future` with `Context::from_waker(main_waker)`;
    //   when it is ready, return its output;
    // - `Run::Task(task)`: take the task's future out of its mutex (it may be
    //   gone: a task can be woken after it finished), poll it with a waker
    //   made from the task (`Waker::from(task.clone())`), and put it back if
    //   it is still pending.
    todo!("run the woken tasks until the future is ready")
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

/// The reactor: a thread that wakes each sleeper when its deadline comes.
struct Timer {
    sleepers: Mutex<BinaryHeap<Sleeper>>,
    changed: Condvar,
}

/// A deadline and who to wake then; the heap puts the earliest on top.
struct Sleeper(Instant, Waker);

impl PartialEq for Sleeper {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}
impl Eq for Sleeper {}
impl PartialOrd for Sleeper {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Sleeper {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        other.0.cmp(&self.0)
    }
}

impl Timer {
    /// The one timer, started on first use.
    fn get() -> &'static Timer {
        static TIMER: OnceLock<&'static Timer> = OnceLock::new();
        TIMER.get_or_init(|| {
            let timer: &'static Timer = Box::leak(Box::new(Timer {
                sleepers: Mutex::new(BinaryHeap::new()),
                changed: Condvar::new(),
            }));
            std::thread::spawn(move || timer.run());
            timer
        })
    }

    fn add(&self, deadline: Instant, waker: Waker) {
        self.sleepers.lock().unwrap().push(Sleeper(deadline, waker));
        // The new deadline may be earlier than the one the thread waits for.
        self.changed.notify_one();
    }

    fn run(&self) {
        let mut sleepers = self.sleepers.lock().unwrap();
        loop {
            let now = Instant::now();
            let mut due = Vec::new();
            while sleepers.peek().is_some_and(|s| s.0 <= now) {
                due.push(sleepers.pop().expect("peeked").1);
            }
            if !due.is_empty() {
                // Woken without the lock: a woken future may sleep again at once.
                drop(sleepers);
                due.into_iter().for_each(Waker::wake);
                sleepers = self.sleepers.lock().unwrap();
                continue;
            }
            sleepers = match sleepers.peek() {
                Some(next) => {
                    let wait = next.0 - now;
                    self.changed.wait_timeout(sleepers, wait).unwrap().0
                }
                None => self.changed.wait(sleepers).unwrap(),
            };
        }
    }
}

/// A future that is ready once `duration` has passed.
fn sleep(duration: Duration) -> Sleep {
    Sleep {
        deadline: Instant::now() + duration,
        registered: false,
    }
}

struct Sleep {
    deadline: Instant,
    registered: bool,
}

impl Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if Instant::now() >= self.deadline {
            return Poll::Ready(());
        }
        if !self.registered {
            self.registered = true;
            Timer::get().add(self.deadline, cx.waker().clone());
        }
        Poll::Pending
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let tasks = number(args.next(), "TASKS", 1000);
    let millis = number(args.next(), "SLEEP_MS", 200);
    let sum = block_on(async move {
        let handles: Vec<JoinHandle<usize>> = (0..tasks)
            .map(|i| {
                spawn(async move {
                    sleep(Duration::from_millis(millis as u64)).await;
                    i
                })
            })
            .collect();
        println!("spawned {tasks} tasks; each sleeps {millis} ms, then returns its number");
        let mut sum = 0;
        for handle in handles {
            sum += handle.await;
        }
        sum
    });
    println!("joined {tasks} tasks; the sum of their numbers is {sum}");
}

/// A whole-number argument, or its default; a bad one is one line and exit 2.
fn number(arg: Option<String>, name: &str, default: usize) -> usize {
    match arg {
        None => default,
        Some(s) => s.parse().unwrap_or_else(|_| {
            eprintln!("error: {name} must be a whole number, got {s:?}");
            std::process::exit(2)
        }),
    }
}
