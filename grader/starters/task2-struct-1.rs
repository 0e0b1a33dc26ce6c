//! Slide: "Rusty H2O Step 4: Async!" (run as `task2-struct-1` in Step 5).
//!
//! The factory made `async` by adding the keyword and nothing else. Calling an
//! async fn only builds a future; nothing happens until it is `.await`ed. Here
//! `acquire()` and `wait()` are never awaited, so no atom ever waits: each
//! bonds the moment its task runs, and the lines come out in whatever order
//! the tasks happen to run (mostly all the hydrogens first).
//!
//! The compiler warns about the unawaited `wait()` ("unused implementer of
//! `Future` that must be used"): delete the `#[allow]`s below to see it.
//! Run it with `cargo run --bin task2-struct-1 -- 100`.

use futures::future::join_all;
use std::sync::Arc;
use tokio::sync::{Barrier, Semaphore};

struct WaterFactory {
    o_sem: Semaphore,
    h_sem: Semaphore,
    barrier: Barrier,
}

impl WaterFactory {
    // `WaterFactory` would do too, but `Self` survives a rename.
    fn new() -> Self {
        Self {
            o_sem: Semaphore::new(1),
            h_sem: Semaphore::new(2),
            barrier: Barrier::new(3),
        }
    }

    // The slide's mistake is kept on purpose; the allow keeps the build quiet.
    #[allow(unused_must_use, clippy::let_underscore_future)]
    async fn oxygen(&self, bond: impl FnOnce()) {
        // The flaw: these build futures and drop them without awaiting.
        let _ = self.o_sem.acquire();
        self.barrier.wait();
        bond();
    }

    #[allow(unused_must_use, clippy::let_underscore_future)]
    async fn hydrogen(&self, bond: impl FnOnce()) {
        let _ = self.h_sem.acquire();
        self.barrier.wait();
        bond();
    }
}

fn bond(s: &str) {
    println!("bond {s}!");
}

#[tokio::main]
async fn main() {
    let n = std::env::args()
        .nth(1)
        .map(|s| s.parse().unwrap_or_else(|_| bad_n(&s)))
        .unwrap_or(10usize);
    // Many tasks point at one factory: `Arc` counts the owners, and each task
    // takes its own clone because a task may move between threads.
    let f = Arc::new(WaterFactory::new());

    let hs = (0..n * 2).map(|i| {
        let f = f.clone();
        tokio::spawn(async move {
            f.hydrogen(|| bond(&format!("h{i}"))).await;
        })
    });
    let os = (0..n).map(|i| {
        let f = f.clone();
        tokio::spawn(async move {
            f.oxygen(|| bond(&format!("o{i}"))).await;
        })
    });

    // Spawns every hydrogen, then every oxygen, and waits for all of them.
    join_all(Iterator::chain(hs, os)).await;
}

/// The slide hard-codes `n = 10`; a mistyped N gets one line, not a panic.
fn bad_n(value: &str) -> ! {
    eprintln!("error: N must be a whole number of molecules, got {value:?}");
    std::process::exit(2)
}
