//! The catalogue of the tutorial's steps: one entry per step holds all that
//! is particular to it (its slide, its points, its checks, its harness, its
//! hints, the words the grader uses for it), as rustlings keeps one
//! `info.toml`. The tests, the report, the README's table and the Classroom
//! workflow all read it; nothing else in the grader compares a step's name.
//!
//! Adding a step is its own files (starter, solution, harness, hints, page,
//! checks module) and one entry here: see docs/maintainers.md.

use crate::build::harness::HarnessCode;
use crate::checks::{add_to_inbox, echo, h2o, mini_executor, mutex_send};
use crate::step::{Flavour, Harness, Marks, Serves, Step};

/// The slides that teach that a future does nothing until awaited, in the
/// echo steps' and the H2O steps' words.
const UNAWAITED_ECHO: &str = "How to transform to async?";
const UNAWAITED_H2O: &str = "Rusty H2O Step 5: Fixing Async... no await!";

const NOT_A_SERVER: Flavour = Flavour {
    unawaited: UNAWAITED_H2O,
    serves: Serves::Nobody,
};

pub static STEPS: &[Step] = &[
    Step {
        name: "echo-thread",
        slide: "A \"default\" implementation: threads",
        marks: Marks::Graded { points: 10 },
        starter: "`handle_client` is a TODO",
        teaches: "a line echo server with one OS thread per client",
        checks: echo::thread,
        harness: None,
        does_without: &[],
        hints: include_str!("../hints/echo-thread.toml"),
        flavour: Flavour {
            unawaited: UNAWAITED_ECHO,
            serves: Serves::Threads,
        },
    },
    Step {
        name: "echo-async-naive",
        slide: "How to transform to async? / What's wrong with this code?",
        marks: Marks::Demo,
        starter: "complete, as on the slide",
        teaches: "awaiting each client in the accept loop serves one client at a time",
        checks: echo::naive,
        harness: None,
        does_without: &[],
        hints: include_str!("../hints/echo-async-naive.toml"),
        flavour: Flavour {
            unawaited: UNAWAITED_ECHO,
            serves: Serves::Tasks,
        },
    },
    Step {
        name: "echo-spawn",
        slide: "Now we spawn a new tokio task for each new client",
        marks: Marks::Graded { points: 15 },
        starter: "the thread version, to convert",
        teaches: "a tokio task per client: thousands of clients on a few threads",
        checks: echo::spawn,
        harness: None,
        does_without: &[],
        hints: include_str!("../hints/echo-spawn.toml"),
        flavour: Flavour {
            unawaited: UNAWAITED_ECHO,
            serves: Serves::Tasks,
        },
    },
    Step {
        name: "task2-struct-1",
        slide: "Rusty H2O Step 4: Async!",
        marks: Marks::Demo,
        starter: "complete, as on the slide",
        teaches: "a future does nothing until it is awaited",
        checks: h2o::demo_without_await,
        harness: None,
        does_without: &[],
        hints: include_str!("../hints/task2-struct-1.toml"),
        flavour: NOT_A_SERVER,
    },
    Step {
        name: "task2-struct-2",
        slide: "Rusty H2O Step 5: Fixing Async... (`let _ =`)",
        marks: Marks::Demo,
        starter: "complete, as on the slide",
        teaches: "`let _ =` drops a semaphore permit at once",
        checks: h2o::demo_permit_dropped,
        harness: None,
        does_without: &[],
        hints: include_str!("../hints/task2-struct-2.toml"),
        flavour: NOT_A_SERVER,
    },
    Step {
        name: "task2-struct-final",
        slide: "Rusty H2O Step 5: Now this is correct!",
        marks: Marks::Graded { points: 15 },
        starter: "`WaterFactory` is a TODO",
        teaches: "tokio semaphores and a barrier make H2O; RAII permits",
        checks: h2o::graded,
        harness: Some(Harness {
            code: HarnessCode {
                main: include_str!("../harness/water_factory.rs"),
                parts: &[],
            },
            subject: "WaterFactory, polled step by step",
            shapes: "`WaterFactory::new()`, `async fn oxygen(&self, bond: impl FnOnce())` and `async fn hydrogen(&self, bond: impl FnOnce())`, using tokio and futures only",
            lesson: None,
            trace: None,
        }),
        does_without: &[],
        hints: include_str!("../hints/task2-struct-final.toml"),
        flavour: NOT_A_SERVER,
    },
    Step {
        name: "add-to-inbox",
        slide: "Compile-Time State Machine",
        marks: Marks::Graded { points: 15 },
        starter: "`AddToInbox::poll` is a TODO",
        teaches: "an async fn is a state machine: the enum and the `poll` the compiler writes",
        checks: add_to_inbox::checks,
        harness: Some(Harness {
            code: HarnessCode {
                main: include_str!("../harness/add_to_inbox.rs"),
                parts: &[],
            },
            subject: "AddToInbox, polled by hand",
            shapes: "the given types and functions (`Mail`, `Db`, `DbCall`, `GetUser`, `service`, `add_to_inbox`, `AddToInbox` and its `state`, the `AddToInboxState` enum, `AddToInbox::new`) as they are; only `poll` is yours",
            lesson: None,
            trace: Some(
                "AddToInbox polled as an executor polls it, the database answering one call at a time",
            ),
        }),
        does_without: &[],
        hints: include_str!("../hints/add-to-inbox.toml"),
        flavour: NOT_A_SERVER,
    },
    Step {
        name: "mini-executor",
        slide: "Lifecycle of a Task",
        marks: Marks::Graded { points: 15 },
        starter: "the waker and the run loop are TODOs",
        teaches: "who calls `poll()`: an executor, a waker and a timer reactor on std alone",
        checks: mini_executor::checks,
        harness: Some(Harness {
            code: HarnessCode {
                main: include_str!("../harness/mini_executor.rs"),
                parts: &[
                    (
                        "mini_executor/traced.rs",
                        include_str!("../harness/mini_executor/traced.rs"),
                    ),
                    (
                        "mini_executor/idle.rs",
                        include_str!("../harness/mini_executor/idle.rs"),
                    ),
                ],
            },
            subject: "the executor",
            shapes: "`block_on`, `spawn`, `JoinHandle` and `sleep` with the starter's signatures",
            lesson: None,
            trace: Some(
                "block_on's future spawns three tasks: one sleeps 30 ms, one 10 ms, one wakes itself once; it awaits them",
            ),
        }),
        does_without: &["tokio"],
        hints: include_str!("../hints/mini-executor.toml"),
        flavour: NOT_A_SERVER,
    },
    Step {
        name: "echo-own-runtime",
        slide: "Lifecycle of a Task: Why separate reactor?",
        marks: Marks::Graded { points: 20 },
        starter: "your executor (from mini-executor), the reactor and the socket futures are TODOs",
        teaches: "the echo server on a runtime of your own: mini-executor's executor and an I/O reactor over epoll, kqueue or IOCP",
        checks: echo::own_runtime,
        harness: Some(Harness {
            code: HarnessCode {
                main: include_str!("../harness/echo_own_runtime.rs"),
                parts: &[
                    (
                        "echo_own_runtime/scale.rs",
                        include_str!("../harness/echo_own_runtime/scale.rs"),
                    ),
                    (
                        "echo_own_runtime/writes.rs",
                        include_str!("../harness/echo_own_runtime/writes.rs"),
                    ),
                    (
                        "echo_own_runtime/traced.rs",
                        include_str!("../harness/echo_own_runtime/traced.rs"),
                    ),
                ],
            },
            subject: "the reactor, driven by hand",
            shapes: "the given `block_on`, the given `Reactor` (`Reactor::get()`, and its `wakers`, a `Mutex` of a map with `len()`), `TcpListener::bind`, `local_addr` and `accept`, and `TcpStream::read` and `write_all`",
            lesson: None,
            trace: Some(
                "three tasks read a socket each; their clients send, the second first, each once the task before was woken",
            ),
        }),
        does_without: &["tokio"],
        hints: include_str!("../hints/echo-own-runtime.toml"),
        flavour: Flavour {
            unawaited: UNAWAITED_ECHO,
            serves: Serves::Tasks,
        },
    },
    Step {
        name: "mutex-send",
        slide: "Extra: sending data in tokio",
        marks: Marks::Graded { points: 10 },
        starter: "the slide's code, which does not compile",
        teaches: "what is held across `.await` must be `Send`: tokio's Mutex",
        checks: mutex_send::checks,
        harness: Some(Harness {
            code: HarnessCode {
                main: include_str!("../harness/mutex_send.rs"),
                parts: &[],
            },
            subject: "foo, polled by hand",
            shapes: "the slide's `State` (with `Default`), `ShareState` (an `Arc` of an async lock: tokio's `Mutex` as the slide has it, or its `RwLock`, or the futures crate's `Mutex`) and `foo(state: ShareState)`",
            lesson: Some((
                "cannot be sent between threads safely",
                "foo's future cannot be sent between threads safely: `tokio::spawn` could not take it",
                "foo's future is not `Send`: it holds std's `MutexGuard` across `bar(&mut st).await`. That is the slide's error, hidden, not fixed: whoever runs foo, `tokio::spawn` needs its future to be `Send` (slide \"Extra: sending data in tokio\").",
            )),
            trace: None,
        }),
        does_without: &[],
        hints: include_str!("../hints/mutex-send.toml"),
        flavour: NOT_A_SERVER,
    },
];

/// The steps as the README's markdown table.
#[cfg(test)]
fn markdown_table() -> String {
    let mut out = String::from(
        "| step | slide | in `exercises` | graded | what it teaches |\n|---|---|---|---|---|\n",
    );
    for s in STEPS {
        let graded = if s.graded() {
            format!("{} points", s.points())
        } else {
            "demo".to_string()
        };
        out.push_str(&format!(
            "| `{}` | {} | {} | {} | {} |\n",
            s.name, s.slide, s.starter, graded, s.teaches
        ));
    }
    out
}

/// The step with this bin name.
pub fn find(name: &str) -> Option<&'static Step> {
    STEPS.iter().find(|s| s.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graded_steps_share_100_points_and_demos_have_none() {
        let total: u32 = STEPS.iter().map(Step::points).sum();
        assert_eq!(total, 100);
    }

    #[test]
    fn readme_table_is_the_catalogue() {
        let readme =
            std::fs::read_to_string(crate::target::workspace_root().join("README.md")).unwrap();
        let table = markdown_table();
        assert!(
            readme.contains(&table),
            "README.md's table of steps differs from the catalogue in grader/src/steps.rs; it should read:\n\n{table}"
        );
    }

    #[test]
    fn classroom_autograding_grades_each_graded_step_for_its_points() {
        let yml = std::fs::read_to_string(
            crate::target::workspace_root().join(".github/workflows/classroom.yml"),
        )
        .unwrap();
        // (test-name, command, max-score) of each grader step, in order.
        let mut found = Vec::new();
        let value = |line: &str, key: &str| {
            line.trim()
                .strip_prefix(key)
                .map(|v| v.trim().trim_matches('"').to_string())
        };
        for line in yml.lines() {
            if let Some(name) = value(line, "test-name:") {
                found.push((name, String::new(), String::new()));
            } else if let (Some(command), Some(last)) = (value(line, "command:"), found.last_mut())
            {
                last.1 = command;
            } else if let (Some(points), Some(last)) = (value(line, "max-score:"), found.last_mut())
            {
                last.2 = points;
            }
        }
        let expected: Vec<(String, String, String)> = STEPS
            .iter()
            .filter(|s| s.graded())
            .map(|s| {
                (
                    s.name.to_string(),
                    format!(
                        "cd grader && cargo run --locked -q -p grader -- result ../grade.json {}",
                        s.name
                    ),
                    s.points().to_string(),
                )
            })
            .collect();
        assert_eq!(found, expected);
        let runners = format!(
            "runners: {}",
            expected
                .iter()
                .map(|e| e.0.as_str())
                .collect::<Vec<_>>()
                .join(",")
        );
        assert!(yml.contains(&runners), "the reporter should list {runners}");
        // Graded once, in the sandbox, before the tests read its report.
        assert!(
            yml.contains("cargo run --locked -q -p grader -- --submission ../submission --format json --output ../grade.json"),
            "the workflow should grade the submission in the sandbox first"
        );
    }

    #[test]
    fn every_step_has_a_file_in_both_crates() {
        let root = crate::target::workspace_root();
        for step in STEPS {
            for krate in ["exercises", "solutions"] {
                let file = root
                    .join(krate)
                    .join("src/bin")
                    .join(format!("{}.rs", step.name));
                assert!(file.is_file(), "missing {}", file.display());
            }
        }
    }

    #[test]
    fn demo_steps_are_the_same_file_in_both_crates() {
        let root = crate::target::workspace_root();
        for step in STEPS.iter().filter(|s| !s.graded()) {
            let read = |krate: &str| {
                std::fs::read_to_string(
                    root.join(krate)
                        .join("src/bin")
                        .join(format!("{}.rs", step.name)),
                )
                .unwrap()
            };
            assert!(
                read("exercises") == read("solutions"),
                "{} differs between exercises and solutions",
                step.name
            );
        }
    }
}
