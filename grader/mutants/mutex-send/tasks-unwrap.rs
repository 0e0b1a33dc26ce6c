//! Mutant of mutex-send: parses TASKS with `.unwrap()`, which panics on a bad value.
//!
//! Caught by: mutex_send::bad_tasks_is_one_line_and_exit_2

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
        .map(|s| s.parse().unwrap())
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
