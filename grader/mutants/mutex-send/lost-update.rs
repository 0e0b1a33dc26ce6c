//! Mutant of mutex-send: compiles by locking twice, around the read and around the write: the `.await` between them is unguarded.
//!
//! Caught by: mutex_send::counts_1000_tasks

use futures::future::join_all;
use std::sync::Arc;
use tokio::sync::Mutex;

#[derive(Default)]
struct State {
    count: u64,
}

type ShareState = Arc<Mutex<State>>;

async fn foo(state: ShareState) {
    let seen = state.lock().await.count;
    tokio::task::yield_now().await;
    state.lock().await.count = seen + 1;
}

#[allow(dead_code)]
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
