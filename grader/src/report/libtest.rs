//! The grade tests' results as libtest prints them (`cargo test -p grader`,
//! see `app::grade_tests`): pretty, terse or JSON, each check's line in the
//! registry's order.

use crate::outcome::Outcome;
use crate::registry;
use crate::step::Check;
use serde_json::json;
use std::io::Write;

/// How the results are printed: libtest's `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Pretty,
    Terse,
    Json,
}

/// What a check's line says.
pub(crate) enum Line {
    Ok,
    Failed,
    Ignored(String),
}

pub(crate) fn line_of(outcome: &Outcome) -> Line {
    match outcome {
        Outcome::Skipped(why) => Line::Ignored(format!("skipped: {why}")),
        Outcome::NotRun(first) => Line::Ignored(format!(
            "not run: fix {} first",
            registry::get(*first).full_name()
        )),
        o if o.failed() => Line::Failed,
        _ => Line::Ok,
    }
}

/// Prints results as libtest does, in the registry's order.
pub(crate) struct Printer {
    pub(crate) format: Format,
    pub(crate) color: bool,
    /// Terse mode's characters on the current line.
    pub(crate) column: usize,
    pub(crate) total: usize,
    pub(crate) shown: usize,
}

impl Printer {
    pub(crate) fn paint(&self, code: &str, text: &str) -> String {
        super::colour::paint(self.color, code, text)
    }

    pub(crate) fn started(&mut self, count: usize) {
        self.total = count;
        match self.format {
            Format::Json => println!(
                "{}",
                json!({"type": "suite", "event": "started", "test_count": count})
            ),
            _ => println!(
                "\nrunning {count} test{}",
                if count == 1 { "" } else { "s" }
            ),
        }
    }

    pub(crate) fn result(&mut self, check: &Check, outcome: &Outcome, nocapture: bool) {
        let name = check.full_name();
        let line = line_of(outcome);
        self.shown += 1;
        match self.format {
            Format::Pretty => {
                let said = match &line {
                    Line::Ok => self.paint("32", "ok"),
                    Line::Failed => self.paint("31", "FAILED"),
                    Line::Ignored(why) => format!("{}, {why}", self.paint("33", "ignored")),
                };
                println!("test {name} ... {said}");
                if nocapture && let Outcome::Shown(what) = outcome {
                    println!("{what}");
                }
            }
            Format::Terse => {
                let c = match line {
                    Line::Ok => ".".to_string(),
                    Line::Failed => self.paint("31", "F"),
                    Line::Ignored(_) => self.paint("33", "i"),
                };
                print!("{c}");
                self.column += 1;
                if self.column == 88 {
                    println!(" {}/{}", self.shown, self.total);
                    self.column = 0;
                }
            }
            Format::Json => {
                println!(
                    "{}",
                    json!({"type": "test", "event": "started", "name": name})
                );
                let event = match &line {
                    Line::Ok => json!({"type": "test", "name": name, "event": "ok"}),
                    Line::Failed => {
                        json!({"type": "test", "name": name, "event": "failed", "stdout": message(check, outcome)})
                    }
                    Line::Ignored(why) => {
                        json!({"type": "test", "name": name, "event": "ignored", "message": why})
                    }
                };
                println!("{event}");
            }
        }
        let _ = std::io::stdout().flush();
    }
}

/// A failed check's message, with its hint.
pub(crate) fn message(check: &Check, outcome: &Outcome) -> String {
    crate::report::CheckResult {
        check: registry::all()
            .iter()
            .find(|c| std::ptr::eq(*c, check))
            .expect("a check of the registry"),
        outcome: outcome.clone(),
    }
    .message()
    .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skipped_and_not_run_checks_are_ignored_with_their_reason() {
        let said = |o: &Outcome| match line_of(o) {
            Line::Ok => "ok".to_string(),
            Line::Failed => "FAILED".to_string(),
            Line::Ignored(why) => format!("ignored, {why}"),
        };
        assert_eq!(
            said(&Outcome::Skipped("no /proc".into())),
            "ignored, skipped: no /proc"
        );
        assert_eq!(
            said(&Outcome::NotRun(
                crate::registry::by_full_name("echo_thread::one_line")
                    .unwrap()
                    .id
            )),
            "ignored, not run: fix echo_thread::one_line first"
        );
        assert_eq!(said(&Outcome::Shown("h0 h1 h2".into())), "ok");
        assert_eq!(
            said(&Outcome::TimedOut(crate::Failure::new("hung"))),
            "FAILED"
        );
    }
}
