//! The grader's one error type, as trybuild keeps one: what went wrong in
//! the grader itself (a file it could not read, a program that could not
//! start, a command line that does not hold), never a student's mistake,
//! which is a `Failure`. Each keeps its cause, and says itself in one line.
//! It names nothing of the rest of the grader, so that every layer can
//! return it.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Debug)]
pub enum Error {
    /// A file or folder the grader could not read, write, make or remove.
    Io {
        action: &'static str,
        path: PathBuf,
        source: io::Error,
    },
    /// A program the grader runs could not start.
    Start { what: String, source: io::Error },
    /// A program the grader runs did not finish in time.
    TimedOut { what: String, limit: Duration },
    /// A file that does not read as it should (a plan, a report, a
    /// manifest): which, and why.
    Format { what: String, why: String },
    /// A command line or a setting that does not hold, or what it names is
    /// not there: the user's to put right.
    Usage(String),
    /// Something the grader could not do, or that this machine cannot tell,
    /// said as it happened.
    Said(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An I/O error with what the grader was doing, and where: for
    /// `map_err`.
    pub fn io(action: &'static str, path: impl AsRef<Path>) -> impl FnOnce(io::Error) -> Error {
        let path = path.as_ref().to_path_buf();
        move |source| Error::Io {
            action,
            path,
            source,
        }
    }

    pub fn format(what: impl fmt::Display, why: impl fmt::Display) -> Error {
        Error::Format {
            what: what.to_string(),
            why: why.to_string(),
        }
    }

    pub fn usage(said: impl Into<String>) -> Error {
        Error::Usage(said.into())
    }

    pub fn said(said: impl Into<String>) -> Error {
        Error::Said(said.into())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io {
                action,
                path,
                source,
            } => write!(f, "cannot {action} {}: {source}", path.display()),
            Error::Start { what, source } => write!(f, "cannot start {what}: {source}"),
            Error::TimedOut { what, limit } => {
                let minutes = limit.as_secs() / 60;
                if minutes > 0 {
                    write!(f, "{what} did not finish within {minutes} minutes")
                } else {
                    write!(f, "{what} did not finish within {} s", limit.as_secs())
                }
            }
            Error::Format { what, why } => write!(f, "{what}: {why}"),
            Error::Usage(said) | Error::Said(said) => write!(f, "{said}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { source, .. } | Error::Start { source, .. } => Some(source),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_says_itself_in_one_line_and_keeps_its_cause() {
        let e = Error::io("read", "/no/such/file")(io::Error::from(io::ErrorKind::NotFound));
        assert_eq!(e.to_string(), "cannot read /no/such/file: entity not found");
        assert!(std::error::Error::source(&e).is_some());
        let e = Error::TimedOut {
            what: "cargo build".to_string(),
            limit: Duration::from_secs(900),
        };
        assert_eq!(
            e.to_string(),
            "cargo build did not finish within 15 minutes"
        );
        for e in [
            e,
            Error::usage("--jobs takes a number"),
            Error::format("plan.json", "not JSON"),
        ] {
            assert!(!e.to_string().contains('\n'), "{e}");
        }
    }
}
