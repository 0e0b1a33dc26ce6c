// Shared by the grader's harnesses, appended after the student's file and
// the step's harness: runs the checks named on the command line (all of them
// without one), each caught if it panics, and prints `ok <name>` or
// `FAIL <name>` followed by indented `label: value` lines. The exit code is
// 1 if any check failed.

pub(crate) mod grader_harness_common {
    use std::panic::{AssertUnwindSafe, catch_unwind};
    use std::time::Duration;

    pub type Outcome = Result<(), String>;
    pub type Check = (&'static str, fn() -> Outcome);

    /// How long one awaited event may take, as the grader's own deadline
    /// (`GRADER_TIMEOUT`, default 5 s). It only turns a hang into a failure.
    pub fn deadline() -> Duration {
        let secs = std::env::var("GRADER_TIMEOUT")
            .ok()
            .and_then(|s| s.parse::<f64>().ok())
            .filter(|s| s.is_finite() && *s > 0.0)
            .unwrap_or(5.0);
        Duration::from_secs_f64(secs)
    }

    /// The message a panic carried.
    pub fn panic_text(panic: Box<dyn std::any::Any + Send>) -> String {
        panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default()
    }

    pub fn run_checks(checks: &[Check]) -> i32 {
        let only = std::env::args().nth(1);
        let mut failed = 0;
        for (name, check) in checks {
            if only.as_deref().is_some_and(|o| o != *name) {
                continue;
            }
            let outcome = catch_unwind(AssertUnwindSafe(check))
                .unwrap_or_else(|panic| Err(format!("panicked: {}", panic_text(panic))));
            match outcome {
                Ok(()) => println!("ok {name}"),
                Err(detail) => {
                    failed += 1;
                    println!("FAIL {name}");
                    for line in detail.lines() {
                        println!("  {line}");
                    }
                }
            }
        }
        i32::from(failed > 0)
    }
}
