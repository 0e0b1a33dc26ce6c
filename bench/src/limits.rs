//! Open files: 10,000 clients are 10,000 sockets in the bench and as many in
//! the server, more than the usual soft limit of 1,024.

/// Raises the soft RLIMIT_NOFILE to the hard limit, and returns the new soft
/// limit. The echo servers are started afterwards, and inherit it.
#[cfg(unix)]
pub fn raise_open_files() -> Result<u64, String> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit and setrlimit only read and write the struct given.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return Err(format!(
                "cannot read the open files limit: {}",
                std::io::Error::last_os_error()
            ));
        }
        if limit.rlim_cur < limit.rlim_max {
            let raised = libc::rlimit {
                rlim_cur: limit.rlim_max,
                rlim_max: limit.rlim_max,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                limit = raised;
            }
        }
    }
    // rlim_t is 32 bits wide on some targets.
    #[allow(clippy::unnecessary_cast)]
    Ok(limit.rlim_cur as u64)
}

#[cfg(not(unix))]
pub fn raise_open_files() -> Result<u64, String> {
    Err("the open files limit is raised on Unix only".to_string())
}
