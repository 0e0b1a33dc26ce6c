//! What the kernel says about a process: resident memory and thread count
//! from `/proc/<pid>/status`, kernel stacks from `/proc/meminfo`. Linux only;
//! elsewhere every reading is an error that says so, and the figure is
//! skipped with a note.

/// One reading of a process's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Status {
    /// Resident set size (`VmRSS`), in bytes: the pages actually touched,
    /// not the address space reserved.
    pub rss: u64,
    /// Peak resident set size since the process started (`VmHWM`), in bytes.
    pub peak_rss: u64,
    /// OS threads (`Threads`): the same count as the entries of
    /// `/proc/<pid>/task`, in the same read as the memory.
    pub threads: u64,
}

/// The status of process `pid`, or of this process for `None`.
pub fn status(pid: Option<u32>) -> Result<Status, String> {
    let path = match pid {
        Some(pid) => format!("/proc/{pid}/status"),
        None => "/proc/self/status".to_string(),
    };
    let text = read(&path)?;
    Ok(Status {
        rss: field(&text, "VmRSS:", &path)? * 1024,
        peak_rss: field(&text, "VmHWM:", &path)? * 1024,
        threads: field(&text, "Threads:", &path)?,
    })
}

/// The memory of every kernel stack on the machine (`KernelStack` in
/// `/proc/meminfo`), in bytes. Each thread has one, outside its process's
/// resident set; the figure is machine-wide, so other processes add noise.
pub fn kernel_stacks() -> Result<u64, String> {
    let path = "/proc/meminfo";
    Ok(field(&read(path)?, "KernelStack:", path)? * 1024)
}

fn read(path: &str) -> Result<String, String> {
    if !cfg!(target_os = "linux") {
        return Err(format!("{path} is read on Linux only"));
    }
    std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))
}

/// The number after `name`. Memory fields are in "kB", which the kernel
/// means as kibibytes.
fn field(text: &str, name: &str, path: &str) -> Result<u64, String> {
    text.lines()
        .find_map(|line| line.strip_prefix(name))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| format!("no {name} line in {path}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_status() {
        let text = "Name:\tx\nVmHWM:\t  2048 kB\nVmRSS:\t  1024 kB\nThreads:\t3\n";
        assert_eq!(field(text, "VmRSS:", "p"), Ok(1024));
        assert_eq!(field(text, "Threads:", "p"), Ok(3));
        assert!(field(text, "VmSwap:", "p").is_err());
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn this_process_has_memory_and_threads() {
        let s = status(None).unwrap();
        assert!(s.rss > 0 && s.peak_rss >= s.rss && s.threads >= 1);
        assert!(kernel_stacks().unwrap() > 0);
    }
}
