//! How a grader run as a child (a class's submission, in its sandbox) hands
//! its outcomes back to the grader that started it, on a channel the steps
//! it runs cannot reach.
//!
//! The steps run as the same user as that child, and may kill it, or write
//! to any file it can write: a file of outcomes could be forged. A pipe on
//! fd 3 cannot: the child closes it on exec, so no step inherits it, and
//! makes itself non-dumpable, so that no step opens it through
//! `/proc/<pid>/fd` (nor reads its memory). A child that is killed sends
//! nothing, and its submission is not graded.

use std::io::{self, Read};
use std::process::Command;
use std::sync::mpsc;
use std::time::Duration;

/// The child's end of the pipe.
const FD: i32 = 3;
/// Tells the child that it has the channel, and on which fd.
const ENV: &str = "GRADER_HANDBACK_FD";
/// More than the outcomes of every check, with their messages.
const MOST: u64 = 64 << 20;

/// The grader's end: what the child sends, read as it comes.
pub(crate) struct Incoming {
    received: mpsc::Receiver<Vec<u8>>,
    writer: Option<io::PipeWriter>,
}

/// Gives `cmd` the channel, on fd 3.
#[cfg(unix)]
pub(crate) fn attach(cmd: &mut Command) -> io::Result<Incoming> {
    use std::os::fd::AsRawFd;
    use std::os::unix::process::CommandExt;
    let (reader, writer) = io::pipe()?;
    let raw = writer.as_raw_fd();
    // SAFETY: dup2 and fcntl are async-signal-safe and touch no memory of
    // the parent.
    unsafe {
        cmd.pre_exec(move || {
            let done = if raw == FD {
                libc::fcntl(FD, libc::F_SETFD, 0)
            } else {
                libc::dup2(raw, FD)
            };
            if done < 0 {
                return Err(io::Error::last_os_error());
            }
            Ok(())
        });
    }
    cmd.env(ENV, FD.to_string());
    let (tx, received) = mpsc::channel();
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = reader.take(MOST).read_to_end(&mut bytes);
        let _ = tx.send(bytes);
    });
    Ok(Incoming {
        received,
        writer: Some(writer),
    })
}

impl Incoming {
    /// Once the child has ended: all it sent. Waits `drain` at most for the
    /// pipe to close.
    pub(crate) fn received(mut self, drain: Duration) -> Vec<u8> {
        // The grader's copy of the child's end, so that the pipe closes.
        drop(self.writer.take());
        self.received.recv_timeout(drain).unwrap_or_default()
    }
}

/// In the child: the channel, if it was given one, made unreachable from the
/// processes this one starts. Call it first, before any of them starts.
#[cfg(unix)]
pub(crate) fn take() -> Option<std::fs::File> {
    use std::os::fd::FromRawFd;
    let fd: i32 = std::env::var(ENV).ok()?.parse().ok()?;
    // SAFETY: the fd is the one the parent gave; fcntl and prctl change
    // only this process's own flags.
    unsafe {
        if libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) < 0 {
            return None;
        }
        #[cfg(target_os = "linux")]
        libc::prctl(libc::PR_SET_DUMPABLE, 0);
        Some(std::fs::File::from_raw_fd(fd))
    }
}

#[cfg(test)]
#[cfg(unix)]
mod tests {
    use super::*;

    #[test]
    fn what_the_child_writes_on_fd_3_comes_back() {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "printf 'outcomes' >&3; printf 'noise'"]);
        let incoming = attach(&mut cmd).unwrap();
        let out = cmd.output().unwrap();
        assert_eq!(out.stdout, b"noise");
        assert_eq!(incoming.received(Duration::from_secs(5)), b"outcomes");
    }

    #[test]
    fn a_child_that_sends_nothing_gives_nothing() {
        let mut cmd = Command::new("true");
        let incoming = attach(&mut cmd).unwrap();
        cmd.status().unwrap();
        assert_eq!(incoming.received(Duration::from_secs(5)), b"");
    }
}
