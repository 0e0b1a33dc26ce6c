//! The grade tests: every check of the registry as a test named
//! `<step>::<check>`, so that `cargo test -p grader echo_spawn` grades one
//! step and `cargo test -p grader echo_thread::one_line` one check. Grades
//! `exercises` by default, or what `GRADE` names (`solutions`, a path).
//!
//! The checks run here, in this process, side by side, each once the checks
//! it needs have passed; then libtest-mimic prints them as libtest would, in
//! each step's order. A check that could not run on this machine shows as
//! `ignored` with `[skipped]` before its name, one whose needed check failed
//! as `ignored` with `[not run]`: neither is a pass, and the reasons follow
//! the summary.

use grader::Outcome;
use grader::registry::{self, Check};
use grader::session::{Session, default_workers};
use libtest_mimic::{Arguments, Failed, Trial};
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args = Arguments::from_args();
    let target = match grader::target::from_env() {
        Ok(target) => target,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let all = registry::all();
    // The grade tests have no #[ignore]d ones: `--ignored` selects none.
    let selected: Vec<&'static Check> = if args.list || args.ignored {
        Vec::new()
    } else {
        all.iter()
            .filter(|c| chosen(&args, &c.full_name()))
            .collect()
    };
    let workers = args.test_threads.unwrap_or_else(default_workers);
    let label = target.label.clone();
    let started = std::time::Instant::now();
    let session = Session::new(target);
    let outcomes = session.run(&selected, workers, &|_, _| {});
    let seconds = started.elapsed().as_secs_f64();
    let outcome_of = |check: &Check| {
        outcomes
            .iter()
            .find(|(c, _)| std::ptr::eq(*c, check))
            .map(|(_, o)| o.clone())
    };

    let mut skipped = Vec::new();
    // The checks waiting for each failed one: (failed check, waiting checks).
    let mut waiting: Vec<(String, Vec<&str>)> = Vec::new();
    let nocapture = args.nocapture;
    let trials: Vec<Trial> = all
        .iter()
        .map(|check| {
            let name = check.full_name();
            let outcome = outcome_of(check);
            let (kind, ignored) = match &outcome {
                Some(Outcome::Skipped(why)) => {
                    skipped.push(format!("skipped: {name}: {why}"));
                    ("skipped", true)
                }
                Some(Outcome::NotRun(first)) => {
                    match waiting.iter_mut().find(|(f, _)| f == first) {
                        Some((_, names)) => names.push(check.name),
                        None => waiting.push((first.clone(), vec![check.name])),
                    }
                    ("not run", true)
                }
                _ => ("", false),
            };
            let hint = check;
            Trial::test(name, move || match outcome {
                // What a demo showed, as a test's output: with --nocapture.
                Some(Outcome::Shown(what)) => {
                    if nocapture {
                        println!("{what}");
                    }
                    Ok(())
                }
                Some(o) => match o.failure() {
                    Some(f) => Err(Failed::from(f.with_hint(&hint_of(hint, f)))),
                    None => Ok(()),
                },
                None => Err(Failed::from("this check was not run")),
            })
            .with_kind(kind)
            .with_ignored_flag(ignored)
        })
        .collect();
    // The outcomes are all known: print them in the registry's order.
    args.test_threads = Some(1);
    args.include_ignored = false;
    args.ignored = false;
    let conclusion = libtest_mimic::run(&args, trials);
    if !args.list && !selected.is_empty() {
        for (first, names) in &waiting {
            println!(
                "not run until {first} passes: {} ({} checks)",
                names.join(", "),
                names.len()
            );
        }
        for line in &skipped {
            println!("{line}");
        }
        println!(
            "graded {label}: {} checks in {seconds:.1} s",
            selected.len()
        );
    }
    conclusion.exit_code()
}

/// The check's hint, or the step's when it has none of its own.
fn hint_of(check: &Check, _failure: &grader::Failure) -> String {
    if check.hint.is_empty() {
        check.step.hint.to_string()
    } else {
        check.hint.to_string()
    }
}

/// Whether libtest's filter, `--exact` and `--skip` choose `name`.
fn chosen(args: &Arguments, name: &str) -> bool {
    let matches = |pattern: &str| {
        if args.exact {
            name == pattern
        } else {
            name.contains(pattern)
        }
    };
    args.filter.as_deref().is_none_or(matches) && !args.skip.iter().any(|s| matches(s))
}
