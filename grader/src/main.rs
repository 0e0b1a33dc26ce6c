//! `cargo run -p grader`: grades the chosen target (`GRADE`, as for the
//! tests) in this process, and prints one row per step, the first thing to
//! fix, and the total. See `--help`.

use grader::app::options::{self, Command, Format, Options, USAGE};
use grader::app::{grade, write_atomically};
use grader::error::Error;
use grader::exec::sandbox::Sandbox;
use grader::report::{Report, colour, gradescope, json, text};
use grader::settings::Settings;
use grader::target;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--help" || a == "-h") {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    // What the environment says, read once, here.
    let settings = Settings::from_env();
    let options = match options::parse(&args, settings.shell_dir.as_deref()) {
        Ok(options) => options,
        Err(e) => return usage_error(&e),
    };
    // Outside a class's sandbox (where it sees nothing of the repository),
    // a grader built from a checkout that is gone grades against nothing.
    if options.prebuilt.is_none() && !target::built_here() {
        eprintln!(
            "error: this grader was built from {}, which is no longer there: build it again (cargo build -p grader)",
            env!("CARGO_MANIFEST_DIR")
        );
        return ExitCode::from(2);
    }
    if let Some(plan) = &options.prebuilt {
        return match grader::class::grade_prebuilt(plan, settings) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::from(2)
            }
        };
    }
    if options.batch.is_some() || options.submission.is_some() {
        let sandbox = if options.no_sandbox {
            // Nothing then keeps a step file's compile from reading what
            // this user can read (`include_str!` of a path outside it).
            // The steps run as a user of their own, never as root: it
            // must reach them.
            if let Some(closed) = grader::settings::unreachable_builds() {
                let why = format!(
                    "without the sandbox, the steps run as a user of their own, who cannot reach {} through {}: let other users through it (chmod o+x), or set CARGO_TARGET_DIR to a folder they can reach",
                    grader::target::grader_dir().display(),
                    closed.display()
                );
                if let (Format::Gradescope, Some(path)) = (options.format, &options.output) {
                    let results = serde_json::json!({"score": 0, "output": format!("not graded: {why}"), "tests": []});
                    let _ = write_atomically(path, &results.to_string());
                }
                eprintln!("error: {why}");
                return ExitCode::from(2);
            }
            let solutions = grader::target::workspace_root().join("solutions");
            if solutions.is_dir() {
                eprintln!(
                    "warning: without the sandbox, a step file can take in at compile time any file you can read, {} too; grade from the student edition (cargo run -p grader -- export-student DIR), which holds none",
                    solutions.display()
                );
            }
            None
        } else {
            match Sandbox::find() {
                Ok(sandbox) => Some(sandbox),
                Err(why) => {
                    return usage_error(&format_args!(
                        "class grading runs each submission in a sandbox, and there is none here: {why}; grade in a container or throwaway machine with --no-sandbox"
                    ));
                }
            }
        };
        let settings = settings.clone().for_a_class(sandbox);
        if let Some(dir) = &options.batch {
            return ExitCode::from(grader::class::grade_class(&grader::class::Class {
                dir,
                output: options.output.as_deref(),
                feedback: options.feedback.as_deref(),
                summary: options.summary.as_deref(),
                jobs: options.jobs,
                settings,
                keep_builds: options.keep_builds,
            }));
        }
        if let Some(dir) = &options.submission {
            return match grader::class::grade_one(dir, &settings, options.keep_builds) {
                Ok(report) => show(&report, &options),
                Err(why) => {
                    let why = format!("{}: not graded: {why}", dir.display());
                    // Gradescope shows the student what its results say.
                    if let (Format::Gradescope, Some(path)) = (options.format, &options.output) {
                        let results = serde_json::json!({"score": 0, "output": why, "tests": []});
                        let _ = write_atomically(path, &results.to_string());
                    }
                    eprintln!("error: {why}");
                    ExitCode::from(2)
                }
            };
        }
    }
    match &options.command {
        Command::ExportStudent { dir, hint_levels } => {
            return say(grader::app::export::export_student(dir, *hint_levels));
        }
        Command::ExportGradescope(dir) => {
            return say(grader::app::export::export_gradescope(dir));
        }
        Command::Sandbox => {
            return match Sandbox::find() {
                Ok(_) => {
                    println!("class grading's sandbox (bubblewrap) works here");
                    ExitCode::SUCCESS
                }
                Err(why) => {
                    println!("no sandbox here: {why}");
                    ExitCode::from(1)
                }
            };
        }
        Command::Result { report, step } => {
            return match grader::app::result::of_step(report, step) {
                Ok((said, passed)) => {
                    print!("{said}");
                    if passed {
                        ExitCode::SUCCESS
                    } else {
                        ExitCode::from(1)
                    }
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::from(2)
                }
            };
        }
        _ => {}
    }
    let target = match settings.target() {
        Ok(target) => target,
        Err(e) => return usage_error(&e),
    };
    let color = colour::on_stdout();
    match options.command {
        Command::Step(step) => {
            let report = grade(&target, &settings, Some(&[step]), true);
            print!("{}", text::step(&report, step.name, color));
            if report.first_to_fix().is_some() {
                println!("\nMore help: cargo run -p grader -- hint {}", step.name);
                return ExitCode::from(1);
            }
            return ExitCode::SUCCESS;
        }
        Command::Hint(step) => {
            let report = grade(&target, &settings, Some(&[step]), true);
            print!("{}", grader::app::hint::next(&target, step, &report));
            return ExitCode::SUCCESS;
        }
        Command::Reset(step) => return say(grader::app::reset::reset(&target, step)),
        Command::Trace(step) => {
            return say(grader::app::trace::trace(&target, &settings, step)
                .map(|traced| grader::app::trace::show(step, &traced)));
        }
        _ => {}
    }
    if options.watch {
        return match grader::app::watch::watch(&target, &settings, color) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => usage_error(&e),
        };
    }
    show(&grade(&target, &settings, None, true), &options)
}

/// Prints a report in the format asked for, or writes it; the exit code
/// says whether every graded step passed.
fn show(report: &Report, options: &Options) -> ExitCode {
    let color = colour::on_stdout();
    let machine = match options.format {
        Format::Text => None,
        Format::Json => Some(json::report(report)),
        Format::Gradescope => Some(gradescope::report(report, &options.visibility)),
    };
    match (machine, &options.output) {
        (None, _) => print!("{}", text::report(report, color)),
        (Some(value), Some(path)) => {
            print!("{}", text::report(report, color));
            let json = serde_json::to_string_pretty(&value).expect("JSON values serialize");
            if let Err(e) = write_atomically(path, &json) {
                eprintln!("error: cannot write {}: {e}", path.display());
                return ExitCode::from(2);
            }
        }
        // The JSON alone on stdout, for a pipe; the report for people on stderr.
        (Some(value), None) => {
            let color = colour::on_stderr();
            eprint!("{}", text::report(report, color));
            println!(
                "{}",
                serde_json::to_string_pretty(&value).expect("JSON values serialize")
            );
        }
    }
    if report.graded_steps_pass() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn usage_error(message: &dyn std::fmt::Display) -> ExitCode {
    eprintln!("error: {message} (see --help)");
    ExitCode::from(2)
}

/// Prints what a command did, or its error as one line with exit code 2.
fn say(done: Result<String, Error>) -> ExitCode {
    match done {
        Ok(said) => {
            println!("{said}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}
