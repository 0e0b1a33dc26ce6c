//! Slide: "Rusty H2O Step 5: Fixing Async..." (the `.await`s added).
//!
//! Now every acquire and wait is awaited, but the output is still wrong:
//! `let _ = ...` binds no variable, so the permit is dropped, and released,
//! on that very line. The semaphores let everyone through and the barrier
//! groups any three atoms, three hydrogens for example.
//! (rust-lang/rust#10488 discusses why `_` drops at once.)
//!
//! Run it with `cargo run --bin task2-struct-2 -- 100` and look
//! for three lines in a row that are not one oxygen and two hydrogens.
//! The fix is in `task2-struct-final`: `let _permit = ...`.

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

    async fn oxygen(&self, bond: impl FnOnce()) {
        // The flaw: `_` binds nothing, so the permit is dropped right here.
        let _ = self.o_sem.acquire().await.unwrap();
        self.barrier.wait().await;
        bond();
    }

    async fn hydrogen(&self, bond: impl FnOnce()) {
        let _ = self.h_sem.acquire().await.unwrap();
        self.barrier.wait().await;
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
