//! The grade tests (`cargo test -p grader`): the registry's checks as tests
//! named `<step>::<check>`, with libtest's command line and output, so that
//! `cargo test -p grader echo_spawn`, `... echo_thread::one_line`,
//! `-- --exact`, `--skip`, `--list`, `-q`, `--format json` and
//! `--test-threads` behave as with any Rust test.
//!
//! The checks run in this process, side by side, each once the checks it
//! needs have passed; each result is printed as soon as it and the checks
//! before it in the registry's order are known. A check that cannot run on
//! this machine shows as `ignored, skipped: <why>`; one whose needed check
//! failed as `ignored, not run: fix <check> first`. Neither counts as
//! passed, and neither fails the run on its own.
//!
//! libtest-mimic would give the same command line and output, but with clap,
//! which adds seconds to every student's first build; and its tests cannot
//! end as "ignored" with a reason decided as they run.
//!
//! Its results are printed by `report::libtest`.

use crate::error::Error;
use crate::outcome::{CheckId, Outcome};
use crate::registry;
use crate::report::libtest::{Format, Printer, message};
use crate::session::{Session, default_workers};
use crate::settings::Settings;
use crate::step::Check;
use serde_json::json;
use std::collections::BTreeMap;
use std::ffi::OsString;
use std::process::ExitCode;
use std::sync::Mutex;
use std::time::Instant;

/// The libtest options the grade tests understand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Args {
    pub filters: Vec<String>,
    pub exact: bool,
    pub skip: Vec<String>,
    pub list: bool,
    /// Only the `#[ignore]`d tests: the grade tests have none.
    pub ignored: bool,
    pub nocapture: bool,
    pub show_output: bool,
    pub test_threads: Option<usize>,
    pub format: Format,
    pub color: Option<bool>,
}

impl Default for Args {
    fn default() -> Self {
        Args {
            filters: Vec::new(),
            exact: false,
            skip: Vec::new(),
            list: false,
            ignored: false,
            nocapture: false,
            show_output: false,
            test_threads: None,
            format: Format::Pretty,
            color: None,
        }
    }
}

const USAGE: &str = "usage: cargo test -p grader [FILTER] [-- OPTIONS]

Grades the steps of GRADE (exercises by default), one test per check, named
<step>::<check>. A FILTER keeps the checks whose names contain it.

  --exact               a filter must be the whole name
  --skip FILTER         leave out the checks whose names contain FILTER
  --list                list the checks, without grading
  -q, --quiet           one character per check
  --format pretty|terse|json
                        json needs -Z unstable-options, as with libtest
  --nocapture           also print what the demos showed
  --show-output         likewise, after the results
  --test-threads N      how many checks run at once
  --color auto|always|never";

/// Reads libtest's command line. Options of libtest that have no meaning
/// here (`--shuffle`, `--report-time`, ...) are accepted and left alone.
pub fn parse(args: impl IntoIterator<Item = OsString>) -> Result<Args, Error> {
    read(args).map_err(Error::Usage)
}

/// `parse`, its message the one line a user reads.
fn read(args: impl IntoIterator<Item = OsString>) -> Result<Args, String> {
    use lexopt::prelude::*;
    let mut out = Args::default();
    let mut json_allowed = false;
    let mut format_json = false;
    let mut parser = lexopt::Parser::from_args(args);
    while let Some(arg) = parser.next().map_err(|e| e.to_string())? {
        match arg {
            Value(filter) => out
                .filters
                .push(filter.string().map_err(|e| e.to_string())?),
            Long("exact") => out.exact = true,
            Long("skip") => out.skip.push(
                parser
                    .value()
                    .map_err(|e| e.to_string())?
                    .string()
                    .map_err(|e| e.to_string())?,
            ),
            Long("list") => out.list = true,
            Long("ignored") => out.ignored = true,
            Long("include-ignored") => {}
            Long("nocapture") | Long("no-capture") => out.nocapture = true,
            Long("show-output") => out.show_output = true,
            Short('q') | Long("quiet") => out.format = Format::Terse,
            Long("test-threads") => {
                let value = parser.value().map_err(|e| e.to_string())?;
                let n: usize = value
                    .to_str()
                    .and_then(|v| v.parse().ok())
                    .filter(|n| *n > 0)
                    .ok_or_else(|| {
                        format!("--test-threads takes a number above 0, not {value:?}")
                    })?;
                out.test_threads = Some(n);
            }
            Long("format") => {
                let value = parser.value().map_err(|e| e.to_string())?;
                out.format = match value.to_str() {
                    Some("pretty") => Format::Pretty,
                    Some("terse") => Format::Terse,
                    Some("json") => {
                        format_json = true;
                        Format::Json
                    }
                    _ => {
                        return Err(format!(
                            "--format takes pretty, terse or json, not {value:?}"
                        ));
                    }
                };
            }
            Long("color") => {
                let value = parser.value().map_err(|e| e.to_string())?;
                out.color = match value.to_str() {
                    Some("auto") => None,
                    Some("always") => Some(true),
                    Some("never") => Some(false),
                    _ => {
                        return Err(format!(
                            "--color takes auto, always or never, not {value:?}"
                        ));
                    }
                };
            }
            Short('Z') => {
                let value = parser.value().map_err(|e| e.to_string())?;
                json_allowed |= value == "unstable-options";
            }
            Long("test")
            | Long("bench")
            | Long("report-time")
            | Long("ensure-time")
            | Long("shuffle")
            | Long("force-run-in-process")
            | Long("exclude-should-panic") => {}
            Long("shuffle-seed") | Long("logfile") => {
                parser.value().map_err(|e| e.to_string())?;
            }
            Short('h') | Long("help") => return Err(USAGE.to_string()),
            other => return Err(other.unexpected().to_string()),
        }
    }
    if format_json && !json_allowed {
        return Err("the json format needs -Z unstable-options, as with libtest".to_string());
    }
    Ok(out)
}

impl Args {
    /// Whether the filters, `--exact` and `--skip` choose `name`.
    pub(crate) fn chooses(&self, name: &str) -> bool {
        let matches = |pattern: &String| {
            if self.exact {
                name == pattern
            } else {
                name.contains(pattern.as_str())
            }
        };
        (self.filters.is_empty() || self.filters.iter().any(matches))
            && !self.skip.iter().any(matches)
    }
}

/// The grade tests' `main`.
pub fn main() -> ExitCode {
    let args = match parse(std::env::args_os().skip(1)) {
        Ok(args) => args,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(101);
        }
    };
    let all = registry::all();
    if args.list {
        let listed: Vec<&Check> = if args.ignored {
            Vec::new()
        } else {
            all.iter()
                .filter(|c| args.chooses(&c.full_name()))
                .collect()
        };
        for check in &listed {
            println!("{}: test", check.full_name());
        }
        if args.format != Format::Terse {
            println!("\n{} tests, 0 benchmarks", listed.len());
        }
        return ExitCode::SUCCESS;
    }
    let settings = Settings::from_env();
    let target = match settings.target() {
        Ok(target) => target,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    // The grade tests have no #[ignore]d ones: `--ignored` chooses none.
    let selected: Vec<&'static Check> = if args.ignored {
        Vec::new()
    } else {
        all.iter()
            .filter(|c| args.chooses(&c.full_name()))
            .collect()
    };
    let filtered_out = all.len() - selected.len();
    let color = args.color.unwrap_or_else(crate::report::colour::on_stdout);
    let printer = Mutex::new(Printer {
        format: args.format,
        color,
        column: 0,
        total: 0,
        shown: 0,
    });
    printer
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .started(selected.len());

    // Results come in any order; each is printed once those before it are.
    let position: BTreeMap<CheckId, usize> = selected
        .iter()
        .enumerate()
        .map(|(i, c)| (c.id, i))
        .collect();
    let arrived: Mutex<(Vec<Option<Outcome>>, usize)> = Mutex::new((vec![None; selected.len()], 0));
    let label = target.label.clone();
    let started = Instant::now();
    let session = Session::new(target.clone(), settings);
    let mut outcomes = session.run(
        &selected,
        args.test_threads.unwrap_or_else(default_workers),
        &|check, outcome| {
            let mut arrived = arrived.lock().unwrap_or_else(|e| e.into_inner());
            let (results, next) = &mut *arrived;
            results[position[&check.id]] = Some(outcome.clone());
            let mut printer = printer.lock().unwrap_or_else(|e| e.into_inner());
            while *next < results.len()
                && let Some(o) = &results[*next]
            {
                printer.result(selected[*next], o, args.nocapture);
                *next += 1;
            }
        },
    );
    let seconds = started.elapsed().as_secs_f64();
    super::history::note_moving_failures(&target, &mut outcomes);
    let printer = printer.into_inner().unwrap_or_else(|e| e.into_inner());
    summary(&args, &printer, &outcomes, filtered_out, seconds, &label)
}

/// The failures, the result line, and what was not run or skipped.
fn summary(
    args: &Args,
    printer: &Printer,
    outcomes: &[(&'static Check, Outcome)],
    filtered_out: usize,
    seconds: f64,
    label: &str,
) -> ExitCode {
    let count = |is: fn(&Outcome) -> bool| outcomes.iter().filter(|(_, o)| is(o)).count();
    let failed: Vec<&(&Check, Outcome)> = outcomes.iter().filter(|(_, o)| o.failed()).collect();
    let (passed, ignored) = (
        count(Outcome::passed),
        count(|o| matches!(o, Outcome::Skipped(_) | Outcome::NotRun(_))),
    );
    if args.format == Format::Json {
        println!(
            "{}",
            json!({"type": "suite", "event": if failed.is_empty() { "ok" } else { "failed" },
                "passed": passed, "failed": failed.len(), "ignored": ignored, "measured": 0,
                "filtered_out": filtered_out, "exec_time": seconds})
        );
        return exit(failed.is_empty());
    }
    if printer.format == Format::Terse && printer.column > 0 {
        println!();
    }
    if args.show_output {
        let shown: Vec<_> = outcomes
            .iter()
            .filter_map(|(c, o)| match o {
                Outcome::Shown(what) => Some((c, what)),
                _ => None,
            })
            .collect();
        if !shown.is_empty() {
            println!("\nsuccesses:\n");
            for (c, what) in &shown {
                println!("---- {} stdout ----\n{what}\n", c.full_name());
            }
        }
    }
    if !failed.is_empty() {
        println!("\nfailures:\n");
        for (check, outcome) in &failed {
            println!(
                "---- {} ----\n{}\n",
                check.full_name(),
                message(check, outcome)
            );
        }
        println!("\nfailures:");
        for (check, _) in &failed {
            println!("    {}", check.full_name());
        }
    }
    let result = if failed.is_empty() {
        printer.paint("32", "ok")
    } else {
        printer.paint("31", "FAILED")
    };
    println!(
        "\ntest result: {result}. {passed} passed; {} failed; {ignored} ignored; 0 measured; {filtered_out} filtered out; finished in {seconds:.2}s\n",
        failed.len()
    );
    // One line per failed check that others wait for.
    let mut waiting: Vec<(CheckId, Vec<&str>)> = Vec::new();
    for (check, outcome) in outcomes {
        if let Outcome::NotRun(first) = outcome {
            match waiting.iter_mut().find(|(f, _)| f == first) {
                Some((_, names)) => names.push(check.name),
                None => waiting.push((*first, vec![check.name])),
            }
        }
    }
    for (first, names) in &waiting {
        println!(
            "not run until {} passes: {} ({} check{})",
            registry::get(*first).full_name(),
            names.join(", "),
            names.len(),
            if names.len() == 1 { "" } else { "s" }
        );
    }
    for (check, outcome) in outcomes {
        if let Outcome::Skipped(why) = outcome {
            println!("skipped on this machine: {}: {why}", check.full_name());
        }
    }
    if !outcomes.is_empty() {
        println!(
            "graded {label}: {} in {seconds:.1} s",
            crate::report::checks(outcomes.len())
        );
    }
    exit(failed.is_empty())
}

fn exit(success: bool) -> ExitCode {
    if success {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(101)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Result<Args, Error> {
        parse(a.iter().map(OsString::from))
    }

    #[test]
    fn reads_what_cargo_and_ides_pass() {
        let a = args(&[
            "echo_thread",
            "--exact",
            "--skip",
            "one_mib",
            "--test-threads=3",
            "-q",
        ])
        .unwrap();
        assert_eq!(a.filters, ["echo_thread"]);
        assert!(a.exact);
        assert_eq!(a.skip, ["one_mib"]);
        assert_eq!(a.test_threads, Some(3));
        assert_eq!(a.format, Format::Terse);
        let a = args(&[
            "--format",
            "json",
            "-Z",
            "unstable-options",
            "--report-time",
            "--shuffle-seed",
            "7",
        ])
        .unwrap();
        assert_eq!(a.format, Format::Json);
        assert!(args(&["--format", "json"]).is_err());
        assert!(args(&["--frobnicate"]).is_err());
        assert!(args(&["--test-threads", "0"]).is_err());
    }

    #[test]
    fn filters_choose_as_libtest_s_do() {
        let a = args(&["echo_thread::", "--skip", "one_mib"]).unwrap();
        assert!(a.chooses("echo_thread::one_line"));
        assert!(!a.chooses("echo_thread::one_mib_line"));
        assert!(!a.chooses("echo_spawn::one_line"));
        let a = args(&["echo_thread::one_line", "--exact"]).unwrap();
        assert!(a.chooses("echo_thread::one_line"));
        assert!(!a.chooses("echo_thread::one_line_more"));
        assert!(args(&[]).unwrap().chooses("anything"));
    }
}
