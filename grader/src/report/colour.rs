//! Colour in what the grader prints: ANSI codes, on a terminal only, unless
//! `NO_COLOR` is set (no-color.org).

use std::io::IsTerminal;

/// Whether what goes to stdout is coloured.
pub fn on_stdout() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

/// Whether what goes to stderr is coloured.
pub fn on_stderr() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

/// `text` in the colour or style of ANSI `code` (`31` red, `1` bold), when
/// `on`.
pub(crate) fn paint(on: bool, code: &str, text: &str) -> String {
    if on {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}
