//! Driving a student's code poll by poll, as trybuild drives a crate: the
//! grader writes a small crate around a copy of the student's file with a
//! harness appended (`grader/harness/*.rs`), builds it, and runs it.
//!
//! A black-box run of many tasks catches a wrong `WaterFactory` only when
//! threads interleave badly; a harness chooses the order of polls itself, so
//! it catches the same mistakes on every run. For `AddToInbox` and the mini
//! executor it is the way to see inside: which state waits, who is woken.
//!
//! The harness writes its verdicts, one JSON object a line, to a file of
//! their own (`GRADER_VERDICTS`), never to the stdout that the student's
//! code prints to: what a student prints cannot change a verdict. The
//! student's code runs in the harness's process, and may find that file:
//! each line must start with a key made for the run, which the harness reads
//! from a file and removes before the student's code runs.

use super::Ctx;
use crate::exec::{self, Bound, run_deadline};
use crate::failure::{Failure, tail};
use crate::outcome::{Pass, Verdict};
use crate::target::grader_dir;
use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A harness: the code appended to one step's file, and how to talk of it.
struct Harness {
    step: &'static str,
    source: &'static str,
    /// What is being driven, for the failure's headline.
    subject: &'static str,
    /// The shapes the harness relies on, for when it does not compile.
    shapes: &'static str,
    /// A compiler message that means the step's own lesson, not a shape
    /// the harness cannot find, and what to say of it.
    /// (the compiler's words, the failure's headline, the diagnosis)
    lesson: Option<(&'static str, &'static str, &'static str)>,
}

const HARNESSES: &[Harness] = &[
    Harness {
        step: "task2-struct-final",
        source: include_str!("../../harness/water_factory.rs"),
        subject: "WaterFactory, polled step by step",
        shapes: "`WaterFactory::new()`, `async fn oxygen(&self, bond: impl FnOnce())` and `async fn hydrogen(&self, bond: impl FnOnce())`, using tokio and futures only",
        lesson: None,
    },
    Harness {
        step: "add-to-inbox",
        source: include_str!("../../harness/add_to_inbox.rs"),
        subject: "AddToInbox, polled by hand",
        shapes: "the given types and functions (`Mail`, `Db`, `service`, `add_to_inbox`, `AddToInbox::new`) as they are; only `poll` is yours",
        lesson: None,
    },
    Harness {
        step: "echo-own-runtime",
        source: include_str!("../../harness/echo_own_runtime.rs"),
        subject: "the reactor, driven by hand",
        shapes: "the given `block_on`, the given `Reactor` (`Reactor::get()`, and its `wakers`, a `Mutex` of a map with `len()`), `TcpListener::bind`, `local_addr` and `accept`, and `TcpStream::read` and `write_all`",
        lesson: None,
    },
    Harness {
        step: "mutex-send",
        source: include_str!("../../harness/mutex_send.rs"),
        subject: "foo, polled by hand",
        shapes: "the slide's `State` (with its `count`), `ShareState` (an `Arc` of an async `Mutex` with `try_lock`: tokio's, as the slide has it, or the futures crate's), `foo(state: ShareState)` and `bar`",
        lesson: Some((
            "cannot be sent between threads safely",
            "foo's future cannot be sent between threads safely: `tokio::spawn` could not take it",
            "foo's future is not `Send`: it holds std's `MutexGuard` across `bar(&mut st).await`. That is the slide's error, hidden, not fixed: whoever runs foo, `tokio::spawn` needs its future to be `Send` (slide \"Extra: sending data in tokio\").",
        )),
    },
    Harness {
        step: "mini-executor",
        source: include_str!("../../harness/mini_executor.rs"),
        subject: "the executor",
        shapes: "`block_on`, `spawn`, `JoinHandle` and `sleep` with the starter's signatures",
        lesson: None,
    },
];

/// Appended after every harness: it runs the checks and reports them.
const COMMON: &str = include_str!("../../harness/common.rs");

fn harness(step: &str) -> &'static Harness {
    HARNESSES
        .iter()
        .find(|h| h.step == step)
        .unwrap_or_else(|| panic!("no harness for {step}"))
}

/// The harness bin of a step.
pub fn bin(step: &str) -> String {
    format!("harness-{step}")
}

/// Whether the step has a harness.
pub fn has(step: &str) -> bool {
    HARNESSES.iter().any(|h| h.step == step)
}

/// The files of the step's harness bin, inside the crate of the target's
/// steps: its `main`, and a copy of the student's file with the harness and
/// its common part appended (the harness sees the file's private items).
pub fn files(step: &str, student: &str) -> [(String, String); 2] {
    let harness = harness(step);
    let bin = bin(step);
    let main = format!(
        "//! Written by the grader.\n#[allow(dead_code, unused_imports)]\n#[path = \"../harness/{step}.rs\"]\nmod student;\n\nfn main() {{\n    student::grader_harness::run();\n}}\n"
    );
    [
        (format!("src/bin/{bin}.rs"), main),
        (
            format!("src/harness/{step}.rs"),
            format!("{student}\n\n{}\n\n{COMMON}", harness.source),
        ),
    ]
}

/// A check that is one case of the step's harness, run alone.
pub fn case(
    step: &'static str,
    name: &'static str,
    needs: &'static [&'static str],
) -> crate::registry::Check {
    crate::registry::check(step, name, needs, move |ctx| check(ctx, Some(name)))
}

/// Runs the step's harness: every check of it, or only `only`. Passes when
/// the harness says every check it ran passed.
pub fn check(ctx: &Ctx, only: Option<&str>) -> Verdict {
    let step = ctx.step();
    let harness = harness(step);
    let exe = ctx.session.harness_exe(step).map_err(|why| {
        let why = why.to_string();
        match harness.lesson {
            Some((error, headline, lesson)) if why.contains(error) => Failure::new(headline)
                .block("compiler", &why)
                .diagnose(lesson),
            _ => Failure::new(format!(
                "the grader could not build its harness around your {step}"
            ))
            .block("compiler", &why)
            .diagnose(format!("keep {}.", harness.shapes)),
        }
        // The step may serve well all the same: its black-box checks run.
        .others_still_run()
    })?;
    let verdicts = verdicts_file();
    let _ = std::fs::remove_file(&verdicts);
    let key = crate::exec::secret();
    let key_file = verdicts.with_extension("key");
    std::fs::write(&key_file, &key)
        .map_err(|e| Failure::new(format!("cannot write {}: {e}", key_file.display())))?;
    let mut cmd = Command::new(&exe.path);
    cmd.args(only)
        .env("GRADER_VERDICTS", &verdicts)
        .env("GRADER_VERDICTS_KEY", &key_file);
    exec::as_step(&mut cmd);
    let limit = run_deadline();
    let run = exec::run_command(cmd, &bin(step), limit, Bound::LOG)
        .map_err(|e| Failure::new(e.to_string()))?;
    let read = std::fs::read_to_string(&verdicts).unwrap_or_default();
    let _ = std::fs::remove_file(&verdicts);
    let _ = std::fs::remove_file(&key_file);
    let stderr = run.stderr.text();
    let mut ended = false;
    let mut ran = 0;
    for line in read.lines() {
        let Some(line) = line
            .strip_prefix(key.as_str())
            .and_then(|l| l.strip_prefix(' '))
        else {
            continue;
        };
        let Ok(verdict) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        if verdict["end"] == true {
            ended = true;
            continue;
        }
        ran += 1;
        if verdict["passed"] == false {
            let name = verdict["check"].as_str().unwrap_or("a check");
            let headline = verdict["headline"].as_str().unwrap_or("");
            let mut f = Failure::new(format!(
                "{}: {}: {headline}",
                harness.subject,
                name.replace('_', " ")
            ));
            for detail in verdict["details"].as_array().into_iter().flatten() {
                let label = detail[0].as_str().unwrap_or("");
                let value = detail[1].as_str().unwrap_or("");
                f = f.field(
                    &if label.is_empty() {
                        String::new()
                    } else {
                        format!("{label}:")
                    },
                    value,
                );
            }
            if verdict["timed_out"] == true {
                f = f.timed_out();
            }
            return Err(f.noting_todo(headline).noting_todo(&stderr));
        }
    }
    if run.timed_out() {
        return Err(Failure::new(format!(
            "{}: the harness did not finish within {} s",
            harness.subject,
            limit.as_secs()
        ))
        .block("its stderr", &tail(&stderr, 15))
        .timed_out()
        .noting_todo(&stderr));
    }
    if !ended || ran == 0 {
        let how = run
            .end
            .map(|e| exec::describe(&e.status))
            .unwrap_or_default();
        return Err(Failure::new(format!(
            "{}: the harness ended ({how}) before it reported every check",
            harness.subject
        ))
        .block("its stderr", &tail(&stderr, 15))
        .noting_todo(&stderr));
    }
    Ok(Pass::Passed)
}

/// A file of its own for each run of a harness.
fn verdicts_file() -> PathBuf {
    static RUNS: AtomicUsize = AtomicUsize::new(0);
    // In a class's sandbox, the grader may write to its scratch folder only.
    let dir = std::env::var_os("GRADER_SCRATCH")
        .map(PathBuf::from)
        .unwrap_or_else(grader_dir)
        .join("verdicts");
    let _ = std::fs::create_dir_all(&dir);
    if exec::steps_as_nobody() {
        // The harness writes its verdicts, and removes its key, here.
        let _ = exec::sandbox::hand_over(&dir, exec::sandbox::NOBODY);
    }
    dir.join(format!(
        "{}-{}.jsonl",
        std::process::id(),
        RUNS.fetch_add(1, Ordering::Relaxed)
    ))
}
