//! Creation time: how long it takes to start a thread, or a task, whose body
//! does nothing, and to see it finish.
//!
//! Method: spawn N of them at once, then join them all, and divide the time
//! the whole takes by N. Joining is part of it, as it is for a server that
//! starts one per client and forgets it when the client leaves: a thread is
//! not free until the kernel has torn it down. Each figure is the median of
//! several such runs, after one run that is not counted (it pays for the
//! allocator's and the runtime's first use of their memory).
//!
//! Threads are `std::thread::spawn` with the default 2 MiB stack (reserved,
//! not touched). Tasks are `tokio::spawn` called from the future given to
//! `block_on`, as `#[tokio::main]` and the echo server's accept loop do.

use std::thread;
use std::time::Instant;
use tokio::runtime::Runtime;

/// Seconds per thread, for `n` threads spawned and joined.
pub fn per_thread(n: usize) -> Result<f64, String> {
    let mut handles = Vec::with_capacity(n);
    let start = Instant::now();
    for _ in 0..n {
        match thread::Builder::new().spawn(|| {}) {
            Ok(handle) => handles.push(handle),
            Err(e) => {
                let started = handles.len();
                handles.into_iter().for_each(|h| drop(h.join()));
                return Err(format!("thread {} of {n} did not start: {e}", started + 1));
            }
        }
    }
    for handle in handles {
        handle
            .join()
            .map_err(|_| "an empty thread panicked".to_string())?;
    }
    Ok(start.elapsed().as_secs_f64() / n as f64)
}

/// Seconds per task, for `n` tasks spawned on `runtime` and awaited.
pub fn per_task(runtime: &Runtime, n: usize) -> Result<f64, String> {
    runtime.block_on(async {
        let mut handles = Vec::with_capacity(n);
        let start = Instant::now();
        for _ in 0..n {
            handles.push(tokio::spawn(async {}));
        }
        for handle in handles {
            handle
                .await
                .map_err(|e| format!("an empty task failed: {e}"))?;
        }
        Ok(start.elapsed().as_secs_f64() / n as f64)
    })
}

#[cfg(test)]
mod tests {
    use crate::runtime::Flavor;

    #[test]
    fn every_kind_gives_a_positive_time() {
        assert!(super::per_thread(20).unwrap() > 0.0);
        for flavor in [Flavor::MultiThread, Flavor::CurrentThread] {
            let rt = flavor.build().unwrap();
            assert!(super::per_task(&rt, 20).unwrap() > 0.0);
        }
    }
}
