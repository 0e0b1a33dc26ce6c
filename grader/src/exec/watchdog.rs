//! Kills the children's groups if the grader itself dies (Unix).
//!
//! The kernel kills a child whose grader dies (`PR_SET_PDEATHSIG`, Linux
//! only), but not what that child started. So the first child the grader
//! starts also starts a watchdog: a shell in a group of its own, which is
//! told each group as it starts and ends, and which, when its pipe from the
//! grader closes (the grader ended, however it ended), kills the groups it
//! still knows.

use std::io::Write;
use std::process::{ChildStdin, Command, Stdio};
use std::sync::{Mutex, OnceLock};

/// `add <pgid>` and `del <pgid>` lines; at end of input, kill what is left.
/// Signals from the terminal (Ctrl-C) do not stop it: it must outlive the
/// grader they stop.
const SCRIPT: &str = r#"trap '' INT TERM HUP QUIT
groups=' '
while read -r op pg; do
  case "$op" in
    add) groups="$groups$pg " ;;
    del) kept=' '; for g in $groups; do [ "$g" = "$pg" ] || kept="$kept$g "; done; groups=$kept ;;
  esac
done
for g in $groups; do kill -9 "-$g" 2>/dev/null; done
"#;

fn pipe() -> &'static Mutex<Option<ChildStdin>> {
    static PIPE: OnceLock<Mutex<Option<ChildStdin>>> = OnceLock::new();
    PIPE.get_or_init(|| {
        use std::os::unix::process::CommandExt;
        let mut cmd = Command::new("/bin/sh");
        cmd.args(["-c", SCRIPT])
            .stdin(Stdio::piped())
            // Never holds a pipe that someone reads to its end.
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0);
        // Recorded as started by the grader, so that no hunt for escaped
        // processes takes it for one.
        let started = super::orphans::spawn(|| cmd.spawn());
        // Without a shell there is no watchdog; the kernel still kills the
        // children themselves on Linux.
        Mutex::new(started.ok().and_then(|mut child| child.stdin.take()))
    })
}

fn tell(line: String) {
    let mut pipe = pipe().lock().unwrap_or_else(|e| e.into_inner());
    if let Some(stdin) = pipe.as_mut()
        && stdin.write_all(line.as_bytes()).is_err()
    {
        *pipe = None;
    }
}

/// The group `pgid` was started.
pub(super) fn guard(pgid: u32) {
    tell(format!("add {pgid}\n"));
}

/// The group `pgid` was killed.
pub(super) fn release(pgid: u32) {
    tell(format!("del {pgid}\n"));
}
