//! What `cargo run -p grader` does besides the report: its options, watch
//! mode, hints, resets and the editions it exports.

pub mod export;
pub mod grade_tests;
pub mod hint;
pub(crate) mod history;
pub mod options;
pub mod reset;
pub mod result;
pub mod trace;
pub mod watch;

use crate::registry;
use crate::report::Report;
use crate::session::{Session, default_workers};
use crate::settings::Settings;
use crate::step::Step;
use crate::target::Target;
use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

/// Grades `steps` (all, without) of the target in this process, showing
/// progress on stderr when `progress` and stderr is a terminal.
pub fn grade(
    target: &Target,
    settings: &Settings,
    steps: Option<&[&'static Step]>,
    progress: bool,
) -> Report {
    let started = Instant::now();
    let checks: Vec<_> = registry::all()
        .iter()
        .filter(|c| steps.is_none_or(|s| s.contains(&c.step)))
        .collect();
    let progress = progress && std::io::stderr().is_terminal();
    let total = checks.len();
    let done = AtomicUsize::new(0);
    if progress {
        eprint!("grading {}: building the steps...", target.label);
    }
    let session = Session::new(target.clone(), settings.clone());
    let mut outcomes = session.run(&checks, default_workers(), &|_, _| {
        let n = done.fetch_add(1, Ordering::Relaxed) + 1;
        if progress {
            eprint!("\r\x1b[2Kgrading {}: {n}/{total} checks", target.label);
            let _ = std::io::stderr().flush();
        }
    });
    if progress {
        eprint!("\r\x1b[2K");
    }
    history::note_moving_failures(target, &mut outcomes);
    let report = Report::new(&target.label, outcomes, started.elapsed().as_secs_f64());
    hint::forget_passed(target, &report);
    report
}

/// Writes to a file next to `path`, then renames it: a failed write never
/// leaves half a report where a whole one was.
pub fn write_atomically(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    let partial = path.with_extension("partial");
    std::fs::write(&partial, format!("{text}\n"))?;
    std::fs::rename(&partial, path)
}
