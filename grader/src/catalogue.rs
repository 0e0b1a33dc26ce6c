//! The catalogue of the tutorial's steps: one place that the tests, the
//! report and the README's table all read.

/// One step of the tutorial: a slide made runnable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    /// The bin's name, as in `cargo run --bin <name>`.
    pub name: &'static str,
    /// The slide it reproduces.
    pub slide: &'static str,
    /// Graded steps pass when right; demos pass when their flaw shows.
    pub graded: bool,
    /// Points for a graded step (0 for a demo).
    pub points: u32,
    /// What the student finds in `exercises`.
    pub starter: &'static str,
    /// What the step teaches, in a line.
    pub teaches: &'static str,
}

impl Step {
    /// The prefix of its tests' names: `echo-spawn` is graded by `echo_spawn::…`.
    pub fn test_prefix(&self) -> String {
        self.name.replace('-', "_")
    }
}

pub const STEPS: &[Step] = &[
    Step {
        name: "echo-thread",
        slide: "A \"default\" implementation: threads",
        graded: true,
        points: 10,
        starter: "`handle_client` is a TODO",
        teaches: "a line echo server with one OS thread per client",
    },
    Step {
        name: "echo-async-naive",
        slide: "How to transform to async? / What's wrong with this code?",
        graded: false,
        points: 0,
        starter: "complete, as on the slide",
        teaches: "awaiting each client in the accept loop serves one client at a time",
    },
    Step {
        name: "echo-spawn",
        slide: "Now we spawn a new tokio task for each new client",
        graded: true,
        points: 15,
        starter: "the thread version, to convert",
        teaches: "a tokio task per client: thousands of clients on a few threads",
    },
    Step {
        name: "task2-struct-1",
        slide: "Rusty H2O Step 4: Async!",
        graded: false,
        points: 0,
        starter: "complete, as on the slide",
        teaches: "a future does nothing until it is awaited",
    },
    Step {
        name: "task2-struct-2",
        slide: "Rusty H2O Step 5: Fixing Async... (`let _ =`)",
        graded: false,
        points: 0,
        starter: "complete, as on the slide",
        teaches: "`let _ =` drops a semaphore permit at once",
    },
    Step {
        name: "task2-struct-final",
        slide: "Rusty H2O Step 5: Now this is correct!",
        graded: true,
        points: 15,
        starter: "`WaterFactory` is a TODO",
        teaches: "tokio semaphores and a barrier make H2O; RAII permits",
    },
    Step {
        name: "add-to-inbox",
        slide: "Compile-Time State Machine",
        graded: true,
        points: 15,
        starter: "`AddToInbox::poll` is a TODO",
        teaches: "an async fn is a state machine: the enum and the `poll` the compiler writes",
    },
    Step {
        name: "mini-executor",
        slide: "Lifecycle of a Task",
        graded: true,
        points: 15,
        starter: "the waker and the run loop are TODOs",
        teaches: "who calls `poll()`: an executor, a waker and a timer reactor on std alone",
    },
    Step {
        name: "echo-own-runtime",
        slide: "Lifecycle of a Task: Why separate reactor?",
        graded: true,
        points: 20,
        starter: "your executor (from mini-executor), the reactor and the socket futures are TODOs",
        teaches: "the echo server on a runtime of your own: mini-executor's executor and an I/O reactor over epoll, kqueue or IOCP",
    },
    Step {
        name: "mutex-send",
        slide: "Extra: sending data in tokio",
        graded: true,
        points: 10,
        starter: "the slide's code, which does not compile",
        teaches: "what is held across `.await` must be `Send`: tokio's Mutex",
    },
];

/// The steps as the README's markdown table.
pub fn markdown_table() -> String {
    let mut out = String::from(
        "| step | slide | in `exercises` | graded | what it teaches |\n|---|---|---|---|---|\n",
    );
    for s in STEPS {
        let graded = if s.graded {
            format!("{} points", s.points)
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
        let total: u32 = STEPS.iter().filter(|s| s.graded).map(|s| s.points).sum();
        assert_eq!(total, 100);
        assert!(STEPS.iter().filter(|s| !s.graded).all(|s| s.points == 0));
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
            .filter(|s| s.graded)
            .map(|s| {
                (
                    s.name.to_string(),
                    format!(
                        "cd grader && cargo run --locked -q -p grader -- result ../grade.json {}",
                        s.name
                    ),
                    s.points.to_string(),
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
        for step in STEPS.iter().filter(|s| !s.graded) {
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
