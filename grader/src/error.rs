//! The grader's one error type: what went wrong in the grader itself (a
//! file it could not read, cargo that could not run, a command line that
//! does not hold), never a student's mistake, which is a `Failure`. Each
//! keeps its cause, and says itself in one line.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

#[derive(Debug)]
pub enum Error {
    /// A file or folder the grader could not read, write, make or remove.
    Io {
        action: &'static str,
        path: PathBuf,
        source: io::Error,
    },
    /// A program the grader runs could not start, or did not finish.
    Run(crate::exec::StartError),
    /// Cargo could not build, or its build did not finish.
    Cargo(crate::build::cargo::CargoError),
    /// A file of the grader's own that does not read as it should (a plan,
    /// a report, a manifest, a hint file).
    Format { what: String, why: String },
    /// A command line or a setting that does not hold, or what it names is
    /// not there: the user's to put right.
    Usage(String),
    /// Something the grader could not do, said as it happened.
    Said(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An I/O error with what the grader was doing, and where.
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
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io {
                action,
                path,
                source,
            } => write!(f, "cannot {action} {}: {source}", path.display()),
            Error::Run(e) => write!(f, "{e}"),
            Error::Cargo(e) => write!(f, "{e}"),
            Error::Format { what, why } => write!(f, "{what}: {why}"),
            Error::Usage(said) | Error::Said(said) => write!(f, "{said}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { source, .. } => Some(source),
            Error::Run(e) => Some(e),
            Error::Cargo(e) => Some(e),
            _ => None,
        }
    }
}

impl From<crate::exec::StartError> for Error {
    fn from(e: crate::exec::StartError) -> Error {
        Error::Run(e)
    }
}

impl From<crate::build::cargo::CargoError> for Error {
    fn from(e: crate::build::cargo::CargoError) -> Error {
        Error::Cargo(e)
    }
}

impl From<crate::build::scratch::WriteError> for Error {
    fn from(e: crate::build::scratch::WriteError) -> Error {
        Error::Io {
            action: "write",
            path: e.path,
            source: e.source,
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
        assert!(!e.to_string().contains('\n'));
    }
}
