// Lesson of task2-struct-1 (slide "Rusty H2O Step 4"): calling an async fn
// only builds a future. Without `.await` nothing waits, and the compiler says
// so; this crate makes that warning an error.
#![deny(unused_must_use)]

use tokio::sync::Barrier;

async fn hydrogen(barrier: &Barrier, bond: impl FnOnce()) {
    barrier.wait();
    bond();
}

#[tokio::main]
async fn main() {
    let barrier = Barrier::new(3);
    hydrogen(&barrier, || println!("bond h0!")).await;
}
