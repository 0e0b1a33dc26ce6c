//! What a failing check tells the student: what was sent, what was expected,
//! what came back, and a hint tied to the slide.

use std::fmt;

/// The result of one check. Tests return it, so a failure prints as the
/// message itself, with no panic location or backtrace around it.
pub type Grade = Result<(), Failure>;

/// A failed check, already worded for the student.
pub struct Failure {
    message: String,
}

impl Failure {
    /// A failure whose first line says what went wrong.
    pub fn new(headline: impl Into<String>) -> Self {
        Failure {
            message: headline.into(),
        }
    }

    /// Adds an indented `label: value` line, such as `sent: "hi\n"`.
    pub fn field(mut self, label: &str, value: impl fmt::Display) -> Self {
        let value = value.to_string();
        let mut lines = value.lines();
        self.message
            .push_str(&format!("\n  {label:<9} {}", lines.next().unwrap_or("")));
        for line in lines {
            self.message.push_str(&format!("\n  {:<9} {line}", ""));
        }
        self
    }

    /// Adds the closing hint, which points back at the slide.
    pub fn hint(mut self, hint: &str) -> Self {
        self.message.push_str(&format!("\nhint: {hint}"));
        self
    }

    /// Adds a block of text (a compiler diagnostic, a log) below the message.
    pub fn block(mut self, title: &str, text: &str) -> Self {
        self.message.push_str(&format!("\n  {title}:"));
        for line in text.lines() {
            self.message.push_str(&format!("\n    | {line}"));
        }
        self
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    /// Marks a failure as the step still reaching a `todo!()`, when its
    /// output shows the panic of one.
    pub fn noting_todo(self, output: &str) -> Self {
        if output.contains("not yet implemented") {
            self.field("status:", NOT_STARTED)
        } else {
            self
        }
    }

    /// Marks a failure as the step hanging: it did not end, or did not start
    /// serving, before the deadline.
    pub fn timed_out(self) -> Self {
        self.field("status:", TIMED_OUT)
    }
}

/// The `status:` of a step that still reaches a `todo!()`.
pub const NOT_STARTED: &str = "not started: the step still reaches a `todo!()`";
/// The `status:` of a step that hangs.
pub const TIMED_OUT: &str = "timed out: the step did not end or answer in time";

/// The `status:` values a failure message carries.
pub fn statuses(message: &str) -> Vec<&str> {
    message
        .lines()
        .filter_map(|l| l.strip_prefix("  status:"))
        .map(str::trim)
        .collect()
}

// libtest prints a failing test's `Err` with `{:?}`: show the message as is.
impl fmt::Debug for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// How many bytes of a long value a message shows before cutting it.
const SHOWN_BYTES: usize = 120;

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
pub fn tail(text: &str, max: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.len().saturating_sub(max);
    let mut out = String::new();
    if start > 0 {
        out.push_str(&format!("[{start} earlier lines not shown]\n"));
    }
    out.push_str(&lines[start..].join("\n"));
    out
}

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
        let f = Failure::new("no echo")
            .field("sent:", show(b"hi\n"))
            .hint("write the line back");
        assert_eq!(
            f.message(),
            "no echo\n  sent:     \"hi\\n\"\nhint: write the line back"
        );
    }

    #[test]
    fn statuses_are_read_back_from_the_message() {
        let f = Failure::new("x")
            .timed_out()
            .noting_todo("not yet implemented: y");
        assert_eq!(statuses(f.message()), [TIMED_OUT, NOT_STARTED]);
        assert!(statuses(Failure::new("x").noting_todo("fine").message()).is_empty());
    }

    #[test]
    fn tail_keeps_the_last_lines() {
        assert_eq!(tail("a\nb\nc", 2), "[1 earlier lines not shown]\nb\nc");
        assert_eq!(tail("a", 5), "a");
    }
}
