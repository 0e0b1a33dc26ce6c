//! Counting a process's OS threads: what tells tokio tasks from threads.
//! Each platform has its own means; where none works the check is skipped
//! with a note, never failed.

use std::process::Command;

/// The number of OS threads of process `pid`, or why it cannot be counted.
pub fn count(pid: u32) -> Result<usize, String> {
    if cfg!(target_os = "linux") {
        // One directory per thread.
        std::fs::read_dir(format!("/proc/{pid}/task"))
            .map(|dir| dir.count())
            .map_err(|e| format!("cannot read /proc/{pid}/task: {e}"))
    } else if cfg!(target_os = "macos") {
        // `ps -M` prints a header, then one line per thread.
        let lines = output(Command::new("ps").args(["-M", "-p", &pid.to_string()]))?;
        Ok(lines
            .lines()
            .skip(1)
            .filter(|l| !l.trim().is_empty())
            .count())
    } else if cfg!(windows) {
        let script = format!("(Get-Process -Id {pid}).Threads.Count");
        let text = output(Command::new("powershell").args(["-NoProfile", "-Command", &script]))?;
        text.trim()
            .parse()
            .map_err(|_| format!("powershell printed {:?}, not a thread count", text.trim()))
    } else {
        Err("no way to count threads on this platform".to_string())
    }
}

fn output(cmd: &mut Command) -> Result<String, String> {
    let out = cmd
        .output()
        .map_err(|e| format!("cannot run {cmd:?}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{cmd:?} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sees_the_threads_this_test_parks() {
        const PARKED: usize = 20;
        let (stop_tx, stop_rx) = std::sync::mpsc::channel::<()>();
        let stop_rx = std::sync::Arc::new(std::sync::Mutex::new(stop_rx));
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let threads: Vec<_> = (0..PARKED)
            .map(|_| {
                let (stop_rx, ready_tx) = (stop_rx.clone(), ready_tx.clone());
                std::thread::spawn(move || {
                    ready_tx.send(()).unwrap();
                    // Every parked thread returns once the sender is dropped.
                    let _ = stop_rx.lock().map(|rx| rx.recv());
                })
            })
            .collect();
        for _ in 0..PARKED {
            ready_rx.recv().unwrap();
        }
        let counted = count(std::process::id());
        drop(stop_tx);
        for t in threads {
            t.join().unwrap();
        }
        match counted {
            // The parked threads and this one, at least.
            Ok(n) => assert!(n > PARKED, "counted {n} threads with {PARKED} parked"),
            Err(why) => eprintln!("note: skipped: {why}"),
        }
    }
}
