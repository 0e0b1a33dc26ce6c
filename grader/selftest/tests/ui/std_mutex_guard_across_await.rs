// Lesson of mutex-send (slide "Extra: sending data in tokio"): a task may move
// to another thread at any `.await`, so what it holds across one must be
// `Send`. std's `MutexGuard` is not: this is the slide's compiler error.

use std::sync::{Arc, Mutex};

#[derive(Default)]
struct State {
    count: u64,
}

type ShareState = Arc<Mutex<State>>;

async fn bar(st: &mut State) {
    tokio::task::yield_now().await;
    st.count += 1;
}

async fn foo(state: ShareState) {
    let mut st = state.lock().unwrap();
    bar(&mut st).await;
}

#[tokio::main]
async fn main() {
    let st: ShareState = Arc::default();
    tokio::spawn(async move {
        foo(st).await;
    });
}
