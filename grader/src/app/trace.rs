//! `cargo run -p grader -- trace <step>`: runs the traced scenario of the
//! step's harness on the student's file as it is (right or wrong), and
//! shows what their runtime did: a text timeline here, and a picture in
//! `target/grader/trace/<step>.svg`. The file is not changed: the harness
//! sees every poll and wake through the futures and wakers it hands the
//! student's code.

use crate::build::NotBuilt;
use crate::error::Error;
use crate::exec::{self, Bound};
use crate::protocol::{self, Event, Said};
use crate::report::trace;
use crate::session::Session;
use crate::settings::Settings;
use crate::step::{Grading, Step};
use crate::target::{Target, grader_dir};
use std::path::PathBuf;
use std::process::Command;

/// A traced run, as the harness reported it.
pub struct Traced {
    /// What its scenario does, in a line.
    pub scenario: &'static str,
    pub(crate) events: Vec<Event>,
    /// How the scenario came out: passed, or why not.
    pub said: String,
    /// Where its picture is.
    pub svg: PathBuf,
}

/// Runs `step`'s traced scenario on `target`'s file, and draws it.
pub fn trace(target: &Target, settings: &Settings, step: &'static Step) -> Result<Traced, Error> {
    let scenario = step
        .harness
        .as_ref()
        .and_then(|h| h.trace)
        .ok_or_else(|| Error::usage(format!("{} has no traced run", step.name)))?;
    let session = Session::new(target.clone(), settings.clone());
    session.build_steps(&[step]);
    let exe = session.harness_exe(step).map_err(|why| match why {
        NotBuilt::DoesNotCompile(errors) => Error::said(format!(
            "the grader could not build its harness around your {}: fix what `cargo run -p grader -- {}` says first\n{errors}",
            step.name, step.name
        )),
        other => Error::said(other.to_string()),
    })?;
    let dir = grader_dir().join("trace");
    std::fs::create_dir_all(&dir).map_err(Error::io("make", &dir))?;
    let key = exec::secret();
    // A report of this run's own: two traces of one step at once (two
    // terminals, or the self-check) must not write into each other's.
    let report = dir.join(format!("{}.{}.lines", step.name, &key[..12]));
    let mut cmd = Command::new(&exe.path);
    exec::as_step(&mut cmd, settings.steps_user);
    cmd.arg("--trace").env(protocol::VERDICTS, &report).env(
        protocol::TIMEOUT,
        settings.deadline.as_secs_f64().to_string(),
    );
    let run = exec::run_command_with_input(
        cmd,
        &format!("the traced run of {}", step.name),
        format!("{key}\n"),
        settings.run_deadline(),
        Bound::LOG,
    )?;
    let text = std::fs::read_to_string(&report).unwrap_or_default();
    let _ = std::fs::remove_file(&report);
    let (events, said) = protocol::read_trace(&key, &text).map_err(|why| {
        let stderr = run.stderr.text();
        Error::said(format!(
            "the traced run of {} did not report: {why}{}",
            step.name,
            stderr
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .map(|l| format!(" ({l})"))
                .unwrap_or_default()
        ))
    })?;
    let said = match said {
        Said::Passed => "the scenario ran to its end".to_string(),
        Said::Failed { headline, details } => {
            format!("the scenario failed: {headline}{}", in_brackets(&details))
        }
        Said::TimedOut { headline, details } => {
            format!(
                "the scenario did not end: {headline}{}",
                in_brackets(&details)
            )
        }
    };
    let svg = dir.join(format!("{}.svg", step.name));
    let picture = trace::svg(step.name, &events, &format!("{scenario}. {said}."));
    std::fs::write(&svg, picture).map_err(Error::io("write", &svg))?;
    Ok(Traced {
        scenario,
        events,
        said,
        svg,
    })
}

/// What the command prints: the scenario, its timeline, how it came out,
/// and where the picture is.
pub fn show(step: &Step, traced: &Traced) -> String {
    format!(
        "{}: {}\n\n{}\n{}\npicture: {}\n",
        step.name,
        traced.scenario,
        trace::timeline(&traced.events),
        traced.said,
        traced.svg.display()
    )
}

/// A failure's details (what panicked, what it saw), not its events, in
/// brackets after its headline: `it panicked` says little without them.
fn in_brackets(details: &[(String, String)]) -> String {
    let said: Vec<String> = details
        .iter()
        .filter(|(label, _)| label != "event")
        .map(|(label, value)| {
            if label.is_empty() {
                value.clone()
            } else {
                format!("{label}: {value}")
            }
        })
        .collect();
    if said.is_empty() {
        String::new()
    } else {
        format!(" ({})", said.join("; "))
    }
}
