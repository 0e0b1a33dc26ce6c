//! What a failing check tells the student: what went wrong, what was sent,
//! what was expected, what came back; a hint tied to the slide is added where
//! it is shown.

use crate::target::workspace_root;
use std::fmt;

/// What kind of failure it is, for the report's status of the step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The step did something wrong.
    Wrong,
    /// The step hung: no answer, or no end, before the deadline.
    TimedOut,
    /// The step still reaches a `todo!()`.
    NotStarted,
    /// The step's file does not compile.
    DoesNotCompile,
}

/// One line or block of a failure's details.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Detail {
    /// `label: value`, such as `sent: "hi\n"`.
    Field { label: String, value: String },
    /// A block of text (a compiler diagnostic, a log) under a title.
    Block { title: String, text: String },
}

/// A failed check, worded for the student.
#[derive(Clone, PartialEq, Eq)]
pub struct Failure {
    pub kind: Kind,
    pub headline: String,
    pub details: Vec<Detail>,
    /// A hint for this very failure, where the check could tell the mistake;
    /// otherwise the check's own hint is shown.
    pub diagnosis: Option<String>,
    /// Whether the checks that need this one wait until it passes (most
    /// do); `false` where the failure says nothing of what they check.
    pub holds_back: bool,
}

impl Failure {
    /// A failure whose first line says what went wrong.
    pub fn new(headline: impl Into<String>) -> Self {
        Failure {
            kind: Kind::Wrong,
            headline: headline.into(),
            details: Vec::new(),
            diagnosis: None,
            holds_back: true,
        }
    }

    /// Adds a `label: value` line; `label` ends with its colon.
    pub fn field(mut self, label: &str, value: impl fmt::Display) -> Self {
        self.details.push(Detail::Field {
            label: label.to_string(),
            value: value.to_string(),
        });
        self
    }

    /// Lets the checks that need this one run all the same: this failure
    /// is not a reason to expect theirs.
    pub(crate) fn others_still_run(mut self) -> Self {
        self.holds_back = false;
        self
    }

    /// Adds how much CPU time a process took in a span of wall time.
    pub(crate) fn cpu_field(self, cpu: std::time::Duration, wall: std::time::Duration) -> Self {
        self.field(
            "cpu:",
            format!(
                "{:.2} s of CPU time in {:.2} s",
                cpu.as_secs_f64(),
                wall.as_secs_f64()
            ),
        )
    }

    /// Adds a block of text (a compiler diagnostic, a log) below the message.
    pub fn block(mut self, title: &str, text: &str) -> Self {
        self.details.push(Detail::Block {
            title: title.to_string(),
            text: text.to_string(),
        });
        self
    }

    /// Says what this failure shows about the student's code, in place of
    /// the check's general hint.
    pub(crate) fn diagnose(mut self, hint: impl Into<String>) -> Self {
        self.diagnosis = Some(hint.into());
        self
    }

    /// Marks the failure as the step still reaching a `todo!()`, when its
    /// output shows the panic of one.
    pub(crate) fn noting_todo(mut self, output: &str) -> Self {
        if output.contains("not yet implemented") {
            self.kind = Kind::NotStarted;
        }
        self
    }

    /// Like `noting_todo`, for a check of what `main` does before any TODO
    /// of the student's should matter (it starts, it reads its argument):
    /// when the step reaches a `todo!()` first, that is what the hint says,
    /// not that `main` was changed.
    pub(crate) fn noting_todo_before_main_s_work(self, output: &str) -> Self {
        let f = self.noting_todo(output);
        if f.kind == Kind::NotStarted && f.diagnosis.is_none() {
            f.diagnose(TODO_FIRST)
        } else {
            f
        }
    }

    /// Marks the failure as the step hanging (unless it is not started at all).
    pub fn timed_out(mut self) -> Self {
        if self.kind != Kind::NotStarted {
            self.kind = Kind::TimedOut;
        }
        self
    }

    pub fn does_not_compile(mut self) -> Self {
        self.kind = Kind::DoesNotCompile;
        self
    }

    /// The message: headline, details and the status line, without a hint.
    pub fn message(&self) -> String {
        let mut out = self.headline.clone();
        for detail in &self.details {
            match detail {
                Detail::Field { label, value } => {
                    let mut lines = value.lines();
                    let first = lines.next().unwrap_or("");
                    if label.is_empty() {
                        out.push_str(&format!("\n  {first}"));
                    } else {
                        out.push_str(&format!("\n  {label:<9} {first}"));
                    }
                    let indent = if label.is_empty() { 0 } else { 10 };
                    for line in lines {
                        out.push_str(&format!("\n  {:indent$}{line}", ""));
                    }
                }
                Detail::Block { title, text } => {
                    out.push_str(&format!("\n  {title}:"));
                    for line in text.lines() {
                        out.push_str(&format!("\n    | {line}"));
                    }
                }
            }
        }
        match self.kind {
            Kind::NotStarted => out.push_str(&format!("\n  {:<9} {NOT_STARTED}", "status:")),
            Kind::TimedOut => out.push_str(&format!("\n  {:<9} {TIMED_OUT}", "status:")),
            Kind::Wrong | Kind::DoesNotCompile => {}
        }
        // Paths as the student types them, from the repository's root.
        let root = format!(
            "{}{}",
            workspace_root().display(),
            std::path::MAIN_SEPARATOR
        );
        out.replace(&root, "")
    }

    /// The message with a closing hint line.
    pub(crate) fn with_hint(&self, hint: &str) -> String {
        let hint = self.diagnosis.as_deref().unwrap_or(hint);
        if hint.is_empty() {
            self.message()
        } else {
            format!("{}\nhint: {hint}", self.message())
        }
    }
}

impl fmt::Debug for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

impl std::error::Error for Failure {}

/// The status line of a step that still reaches a `todo!()`.
pub(crate) const NOT_STARTED: &str = "not started: the step still reaches a `todo!()`";
/// The status line of a step that hangs.
pub(crate) const TIMED_OUT: &str = "timed out: the step did not end or answer in time";

/// How many bytes of a long value a message shows before cutting it.
pub(crate) const SHOWN_BYTES: usize = 120;

/// Bytes as a quoted, escaped string (`"a\r\n\x00"`), cut to a readable
/// length with the full size noted.
pub fn show(bytes: &[u8]) -> String {
    let shown = &bytes[..bytes.len().min(SHOWN_BYTES)];
    let mut out = String::from("\"");
    out.push_str(&shown.escape_ascii().to_string());
    out.push('"');
    if shown.len() < bytes.len() {
        out.push_str(&format!("... ({} bytes in all)", bytes.len()));
    }
    out
}

/// The last `max` lines of a text, for logs that may be long.
pub(crate) fn tail(text: &str, max: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.len().saturating_sub(max);
    let mut out = String::new();
    if start > 0 {
        out.push_str(&format!("[{start} earlier lines not shown]\n"));
    }
    out.push_str(&lines[start..].join("\n"));
    out
}

/// The hint of a check of `main` that a `todo!()` stopped first.
const TODO_FIRST: &str = "the program reached a `todo!()` (its panic is shown above) before it could do what this check looks for: main is given, and waits on your TODOs (in a step with a runtime of your own, main runs on your executor). Fill in the TODO the panic names first; this check then looks again.";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn show_escapes_control_and_non_utf8_bytes() {
        assert_eq!(show(b"a\r\n\x00\xff\""), r#""a\r\n\x00\xff\"""#);
    }

    #[test]
    fn show_cuts_long_values_and_says_how_long_they_were() {
        let shown = show(&[b'x'; 1000]);
        assert!(shown.starts_with(&format!("\"{}\"", "x".repeat(SHOWN_BYTES))));
        assert!(shown.ends_with("(1000 bytes in all)"));
    }

    #[test]
    fn a_failure_reads_as_headline_fields_and_hint() {
        let f = Failure::new("no echo").field("sent:", show(b"hi\n"));
        assert_eq!(
            f.with_hint("write the line back"),
            "no echo\n  sent:     \"hi\\n\"\nhint: write the line back"
        );
    }

    #[test]
    fn a_diagnosis_replaces_the_general_hint() {
        let f = Failure::new("x").diagnose("the precise one");
        assert!(
            f.with_hint("the general one")
                .ends_with("hint: the precise one")
        );
    }

    #[test]
    fn a_field_without_a_label_is_a_plain_line() {
        let f = Failure::new("x").field("", "pending, nothing to wake it");
        assert_eq!(f.message(), "x\n  pending, nothing to wake it");
    }

    #[test]
    fn a_todo_outranks_a_hang() {
        let f = Failure::new("x")
            .noting_todo("not yet implemented: y")
            .timed_out();
        assert_eq!(f.kind, Kind::NotStarted);
        assert!(f.message().ends_with(NOT_STARTED));
        let f = Failure::new("x").timed_out().noting_todo("fine");
        assert_eq!(f.kind, Kind::TimedOut);
    }

    #[test]
    fn tail_keeps_the_last_lines() {
        assert_eq!(tail("a\nb\nc", 2), "[1 earlier lines not shown]\nb\nc");
        assert_eq!(tail("a", 5), "a");
    }
}
