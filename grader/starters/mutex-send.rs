//! Slide: "Extra: sending data in tokio".
//!
//! The slide's "innocent looking code". It does not compile:
//! "future cannot be sent between threads safely". Read the whole error: it
//! names the value that is held across an `.await` and why that is a problem
//! on tokio's multi-thread runtime.
//!
//! TODO: make it compile and print `count = 1000` for
//! `cargo run --bin mutex-send -- 1000`, keeping the `.await` inside the
//! critical section. Grade it with `cargo test -p grader mutex_send`.

use futures::future::join_all;
use std::sync::{Arc, Mutex};

#[derive(Default)]
struct State {
    count: u64,
}

type ShareState = Arc<Mutex<State>>;

async fn foo(state: ShareState) {
    let mut st = state.lock().unwrap();
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

    println!("count = {}", state.lock().unwrap().count);
}

/// A mistyped TASKS gets one line, not a panic.
fn bad_tasks(value: &str) -> ! {
    eprintln!("error: TASKS must be a whole number of tasks, got {value:?}");
    std::process::exit(2)
}
