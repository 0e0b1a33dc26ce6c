//! Pinning to one core, for the context switch measured where two threads
//! (or two tasks) must take turns on the same CPU, as on a busy machine.
//!
//! How: the work runs on a new thread that first binds itself to one CPU
//! with `sched_setaffinity`. On Linux a thread inherits its creator's
//! affinity, so the threads it spawns, and the worker threads of a tokio
//! runtime it builds, are all on that one CPU too.

use std::thread;

/// Runs `f` on a new thread pinned to one core (the first this process may
/// use), with everything it starts; or says why it cannot.
pub fn on_one_core<T: Send>(f: impl FnOnce() -> T + Send) -> Result<T, String> {
    let cpu = first_allowed_cpu()?;
    thread::scope(|scope| {
        thread::Builder::new()
            .name("pinned".to_string())
            .spawn_scoped(scope, move || {
                pin_this_thread(cpu)?;
                Ok(f())
            })
            .map_err(|e| format!("cannot start the pinned thread: {e}"))?
            .join()
            .map_err(|_| "the pinned measurement panicked".to_string())?
    })
}

#[cfg(target_os = "linux")]
fn first_allowed_cpu() -> Result<usize, String> {
    // SAFETY: cpu_set_t is plain data; sched_getaffinity fills the set given.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        if libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) != 0 {
            return Err(format!(
                "sched_getaffinity: {}",
                std::io::Error::last_os_error()
            ));
        }
        (0..libc::CPU_SETSIZE as usize)
            .find(|&cpu| libc::CPU_ISSET(cpu, &set))
            .ok_or_else(|| "no CPU in this process's affinity mask".to_string())
    }
}

#[cfg(target_os = "linux")]
fn pin_this_thread(cpu: usize) -> Result<(), String> {
    // SAFETY: as above; pid 0 is the calling thread.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        if libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) != 0 {
            return Err(format!(
                "sched_setaffinity to CPU {cpu}: {}",
                std::io::Error::last_os_error()
            ));
        }
    }
    Ok(())
}

#[cfg(not(target_os = "linux"))]
fn first_allowed_cpu() -> Result<usize, String> {
    Err("pinning to a core is done on Linux only".to_string())
}

#[cfg(not(target_os = "linux"))]
fn pin_this_thread(_cpu: usize) -> Result<(), String> {
    Err("pinning to a core is done on Linux only".to_string())
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    #[test]
    fn pinned_threads_and_their_children_see_one_cpu() {
        let count = || std::thread::available_parallelism().map_or(0, |n| n.get());
        let (own, child) = super::on_one_core(|| {
            let child = std::thread::spawn(count).join().unwrap();
            (count(), child)
        })
        .unwrap();
        assert_eq!((own, child), (1, 1));
    }
}
