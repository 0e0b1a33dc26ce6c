//! Slide: "Rusty H2O Step 5: Fixing Async..." ("Now this is correct!").
//!
//! The H2O problem with tokio tasks: the C++ `WaterFactory3` (two counting
//! semaphores and a barrier) mapped onto `tokio::sync`. `main` is given; it
//! spawns 2N hydrogen tasks and N oxygen tasks and joins them. Your job is the
//! `WaterFactory`. Step 4 (`task2-struct-1`) and step 5 (`task2-struct-2`)
//! show two ways to get it wrong: run them first.
//!
//! Run it with `cargo run --bin task2-struct-final -- 100`: every three lines
//! must be one oxygen and two hydrogens. Grade it with
//! `cargo test -p grader task2_struct_final`.

// The TODOs leave code unused until you write them; delete the line below then,
// so that the compiler can point at what your code leaves unused.
#![allow(unused_imports, unused_variables, unused_mut, dead_code)]

use futures::future::join_all;
use std::sync::Arc;
use tokio::sync::{Barrier, Semaphore};

struct WaterFactory {
    // TODO: the slide's three fields: `o_sem` and `h_sem` (tokio semaphores)
    // and `barrier` (a tokio barrier).
}

impl WaterFactory {
    fn new() -> Self {
        // TODO: at most one oxygen and two hydrogens inside; a barrier of three.
        todo!("build the WaterFactory")
    }

    async fn oxygen(&self, bond: impl FnOnce()) {
        // TODO: take an oxygen permit, wait at the barrier, then `bond()`.
        // Keep the permit until after `bond()`, and remember `.await`.
        todo!("let one oxygen into the molecule")
    }

    async fn hydrogen(&self, bond: impl FnOnce()) {
        // TODO: as `oxygen`, with the hydrogen semaphore.
        todo!("let one hydrogen into the molecule")
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
