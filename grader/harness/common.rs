// Shared by the grader's harnesses, appended after the student's file and
// the step's harness. Runs the checks named on the command line (all of
// them without one), each on a thread of its own with a deadline, and
// writes one verdict per check, as a line of JSON, to the file named by
// GRADER_VERDICTS: never to stdout, where the student's code prints too.
// Each line starts with a key the grader wrote for this run alone, read and
// removed before any of the student's code runs: a line the student's code
// writes to that file without it counts for nothing.
// A check returns Err with a headline on its first line and `label: value`
// lines after it.

pub(crate) mod grader_harness_common {
    use std::io::Write;
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

    /// A string as JSON.
    fn json(text: &str) -> String {
        let mut out = String::from("\"");
        for c in text.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
                c => out.push(c),
            }
        }
        out.push('"');
        out
    }

    fn verdict(name: &str, outcome: &Outcome, timed_out: bool) -> String {
        match outcome {
            Ok(()) => format!("{{\"check\":{},\"passed\":true}}", json(name)),
            Err(detail) => {
                let mut lines = detail.lines();
                let headline = lines.next().unwrap_or("");
                let details: Vec<String> = lines
                    .map(|line| {
                        let (label, value) = line.split_once(": ").unwrap_or(("", line));
                        format!("[{},{}]", json(label), json(value))
                    })
                    .collect();
                format!(
                    "{{\"check\":{},\"passed\":false,\"timed_out\":{timed_out},\"headline\":{},\"details\":[{}]}}",
                    json(name),
                    json(headline),
                    details.join(",")
                )
            }
        }
    }

    /// Runs the checks and exits. A check that hangs is reported, and the
    /// harness exits at once, without waiting for its thread.
    pub fn run_checks(checks: &[Check]) -> ! {
        let only = std::env::args().nth(1);
        let key_path =
            std::env::var_os("GRADER_VERDICTS_KEY").expect("GRADER_VERDICTS_KEY names a file");
        let key = std::fs::read_to_string(&key_path).expect("the key can be read");
        std::fs::remove_file(&key_path).expect("the key can be removed");
        let key = key.trim();
        let path = std::env::var_os("GRADER_VERDICTS").expect("GRADER_VERDICTS names a file");
        let mut out = std::fs::File::create(path).expect("the verdicts file can be written");
        for (name, check) in checks {
            if only.as_deref().is_some_and(|o| o != *name) {
                continue;
            }
            let (tx, rx) = std::sync::mpsc::channel();
            let check = *check;
            std::thread::spawn(move || {
                let outcome = catch_unwind(AssertUnwindSafe(check))
                    .unwrap_or_else(|panic| Err(format!("panicked: {}", panic_text(panic))));
                let _ = tx.send(outcome);
            });
            // Longer than the deadlines a check keeps itself, so that its own
            // account of a hang is the one reported.
            let (outcome, timed_out) = match rx.recv_timeout(deadline() * 3 / 2) {
                Ok(outcome) => (outcome, false),
                Err(_) => (
                    Err(format!(
                        "no result within {:?}: it waits for something that never happens",
                        deadline()
                    )),
                    true,
                ),
            };
            let _ = writeln!(out, "{key} {}", verdict(name, &outcome, timed_out));
            if outcome.is_err() {
                break;
            }
        }
        let _ = writeln!(out, "{key} {{\"end\":true}}");
        let _ = out.flush();
        std::process::exit(0)
    }
}
