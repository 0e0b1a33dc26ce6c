//! A step stays in its session (Linux, x86-64 and ARM64).
//!
//! The grader kills a step's whole process group when its check ends. A
//! process that leaves the group (`setsid`, `setpgid`) is out of reach of
//! that kill, and only the orphan hunt (`orphans`) can find it, in a race
//! that a chain of processes, each starting the next in a session of its
//! own and ending, can win on a loaded machine. So before a step starts,
//! it is put in a session of its own and a seccomp filter then refuses it,
//! and all it starts, both calls (`EPERM`, as for a process not allowed
//! to): nothing a step starts can leave the group the grader kills. No step
//! has any use for them. The filter cannot be lifted, and it holds across
//! `fork` and `exec`.

use std::process::Command;

/// Puts the command's process in a session of its own, then locks it and
/// all it starts in that session. Where the kernel has no seccomp, the
/// step still gets its session, and the orphan hunt is what remains.
pub(super) fn stay_in_session(cmd: &mut Command) {
    #[cfg(all(
        target_os = "linux",
        any(target_arch = "x86_64", target_arch = "aarch64")
    ))]
    {
        use std::os::unix::process::CommandExt;
        // Built here, not in the child: after `fork` only async-signal-safe
        // calls may be made, and allocating is not one.
        let mut program = filter();
        // SAFETY: setsid and prctl are async-signal-safe; prctl reads the
        // filter, which lives as long as the command and is not moved.
        unsafe {
            cmd.pre_exec(move || {
                if libc::setsid() == -1 {
                    return Err(std::io::Error::last_os_error());
                }
                let fprog = libc::sock_fprog {
                    len: program.len() as libc::c_ushort,
                    filter: program.as_mut_ptr(),
                };
                // Unprivileged, a filter needs `no_new_privs` (which only
                // stops set-user-id programs gaining rights). A kernel
                // without seccomp leaves the step to the orphan hunt.
                if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 {
                    libc::prctl(
                        libc::PR_SET_SECCOMP,
                        libc::SECCOMP_MODE_FILTER,
                        &fprog as *const libc::sock_fprog,
                    );
                }
                Ok(())
            });
        }
    }
    #[cfg(not(all(
        target_os = "linux",
        any(target_arch = "x86_64", target_arch = "aarch64")
    )))]
    let _ = cmd;
}

#[cfg(all(
    target_os = "linux",
    any(target_arch = "x86_64", target_arch = "aarch64")
))]
mod program {
    /// The architecture the filter knows the call numbers of
    /// (`AUDIT_ARCH_*` in linux/audit.h).
    #[cfg(target_arch = "x86_64")]
    const ARCH: u32 = 0xC000_003E;
    #[cfg(target_arch = "aarch64")]
    const ARCH: u32 = 0xC000_00B7;

    /// x86-64's x32 calls carry this bit in their number, and are other
    /// numbers for the same calls; ARM64 has no call this high.
    const X32: u32 = 0x4000_0000;

    /// Where `struct seccomp_data` keeps the call's number and architecture.
    const NUMBER_AT: u32 = 0;
    const ARCH_AT: u32 = 4;

    const REFUSE: u32 = libc::SECCOMP_RET_ERRNO | libc::EPERM as u32;
    const ALLOW: u32 = libc::SECCOMP_RET_ALLOW;

    const LOAD: u16 = (libc::BPF_LD | libc::BPF_W | libc::BPF_ABS) as u16;
    const IF_EQUAL: u16 = (libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K) as u16;
    const IF_AT_LEAST: u16 = (libc::BPF_JMP | libc::BPF_JGE | libc::BPF_K) as u16;
    const RETURN: u16 = (libc::BPF_RET | libc::BPF_K) as u16;

    fn op(code: u16, k: u32) -> libc::sock_filter {
        branch(code, k, 0, 0)
    }

    /// `jt` and `jf`: how many instructions to skip if true, if false.
    fn branch(code: u16, k: u32, jt: u8, jf: u8) -> libc::sock_filter {
        libc::sock_filter { code, jt, jf, k }
    }

    /// `setsid` and `setpgid` refused; every call of another architecture
    /// (i386's through `int 0x80`, x32's) too, since its numbers name
    /// other calls; all else allowed.
    pub(in crate::exec) fn filter() -> Vec<libc::sock_filter> {
        vec![
            op(LOAD, ARCH_AT),
            branch(IF_EQUAL, ARCH, 1, 0),
            op(RETURN, REFUSE),
            op(LOAD, NUMBER_AT),
            branch(IF_AT_LEAST, X32, 2, 0),
            branch(IF_EQUAL, libc::SYS_setsid as u32, 1, 0),
            branch(IF_EQUAL, libc::SYS_setpgid as u32, 0, 1),
            op(RETURN, REFUSE),
            op(RETURN, ALLOW),
        ]
    }
}

#[cfg(all(
    target_os = "linux",
    any(target_arch = "x86_64", target_arch = "aarch64")
))]
use program::filter;

#[cfg(all(
    test,
    target_os = "linux",
    any(target_arch = "x86_64", target_arch = "aarch64")
))]
mod tests {
    use std::process::Command;

    /// Tries both ways out: a session of its own, a group of its own.
    const LEAVE: &str = "setsid true && echo left; \
        python3 -c 'import os; os.setpgid(0, 0)' && echo left; echo stayed";

    /// A locked shell can start programs but not put one in a session or a
    /// group of its own: `setsid` fails, and nothing it started runs on.
    #[test]
    fn a_locked_step_cannot_leave_its_session() {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", LEAVE]);
        super::stay_in_session(&mut cmd);
        let out = cmd.output().expect("sh runs");
        let said = String::from_utf8_lossy(&out.stdout);
        assert_eq!(said.trim(), "stayed", "{said}");
    }

    /// An unlocked one can: the test above fails for the lock, not the shell.
    #[test]
    fn an_unlocked_process_can_leave_its_session() {
        let out = Command::new("sh")
            .args(["-c", LEAVE])
            .output()
            .expect("sh runs");
        let said = String::from_utf8_lossy(&out.stdout);
        assert_eq!(said.trim(), "left\nleft\nstayed", "{said}");
    }
}
