//! Slide: "Extra: sending data in tokio".
//!
//! On the multi-thread runtime a task may resume on another thread after any
//! `.await`, so everything it holds across an `.await` must be `Send`. The
//! guard of `std::sync::Mutex` is not, and the slide's first version fails with
//! "future cannot be sent between threads safely". tokio's `Mutex` is built for
//! this: its guard may be held across an `.await`, and waiting for the lock is
//! itself an `.await` that lets the thread run other tasks meanwhile.
//!
//! Run it with `cargo run -p solutions --bin mutex-send -- 1000`: it prints
//! `count = 1000`, because no task can slip in between `bar`'s read and write.

use futures::future::join_all;
use std::sync::Arc;
use tokio::sync::Mutex;

#[derive(Default)]
struct State {
    count: u64,
}

type ShareState = Arc<Mutex<State>>;

async fn foo(state: ShareState) {
    let mut st = state.lock().await;
    // The guard `st` lives across this `.await`: fine, tokio's guard is `Send`.
    bar(&mut st).await;
}

/// Adds one, pausing half-way as real work would (a database call, say).
/// Without the lock around it, two tasks could read the same count.
async fn bar(st: &mut State) {
    let seen = st.count;
    tokio::task::yield_now().await;
    st.count = seen + 1;
}

#[tokio::main]
async fn main() {
    let tasks = std::env::args()
        .nth(1)
        .map(|s| s.parse().unwrap_or_else(|_| bad_tasks(&s)))
        .unwrap_or(10usize);
    let state: ShareState = Arc::new(Mutex::new(State::default()));

    let handles = (0..tasks).map(|_| {
        let st = state.clone();
        tokio::spawn(async move {
            foo(st).await;
        })
    });
    join_all(handles).await;

    println!("count = {}", state.lock().await.count);
}

/// A mistyped TASKS gets one line, not a panic.
fn bad_tasks(value: &str) -> ! {
    eprintln!("error: TASKS must be a whole number of tasks, got {value:?}");
    std::process::exit(2)
}
