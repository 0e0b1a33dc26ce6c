//! Mutant of task2-struct-final: lets one hydrogen in (`Semaphore::new(1)`): no molecule can ever form.
//!
//! Caught by: task2_struct_final::factory_polled_step_by_step
//! Caught by: task2_struct_final::makes_1000_molecules_of_water

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
            h_sem: Semaphore::new(1),
            barrier: Barrier::new(3),
        }
    }

    async fn oxygen(&self, bond: impl FnOnce()) {
        // RAII: the permit goes back to the semaphore when `_permit` is
        // dropped, at the end of this function. (`let _ =` would drop it at once.)
        let _permit = self.o_sem.acquire().await.unwrap();
        self.barrier.wait().await;
        bond();
    }

    async fn hydrogen(&self, bond: impl FnOnce()) {
        let _permit = self.h_sem.acquire().await.unwrap();
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
