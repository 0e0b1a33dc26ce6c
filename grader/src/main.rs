//! `cargo run -p grader`: grades the chosen target (`GRADE`, as for the
//! tests) in this process, and prints one row per step, the first thing to
//! fix, and the total. See `--help`.

use grader::app::batch::Holds;
use grader::app::options::{self, Command, Format, USAGE};
use grader::app::{grade, write_atomically};
use grader::report::{gradescope, json, text};
use grader::target;
use std::io::IsTerminal;
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--help" || a == "-h") {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let options = match options::parse(&args) {
        Ok(options) => options,
        Err(e) => return usage_error(&e),
    };
    if let Some(dir) = &options.batch {
        return grade_class(dir, options.output.as_deref(), options.feedback.as_deref());
    }
    let target = match target::from_env() {
        Ok(target) => target,
        Err(e) => return usage_error(&e),
    };
    let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    match options.command {
        Command::Report => {}
        Command::Step(step) => {
            let report = grade(&target, Some(&[step.name]), true);
            print!("{}", text::step(&report, step.name, color));
            if report.first_to_fix().is_some() {
                println!("\nMore help: cargo run -p grader -- hint {}", step.name);
                return ExitCode::from(1);
            }
            return ExitCode::SUCCESS;
        }
        Command::Hint(step) => {
            let report = grade(&target, Some(&[step.name]), true);
            print!("{}", grader::app::hint::next(&target, step, &report));
            return ExitCode::SUCCESS;
        }
        Command::Reset(step) => {
            return match grader::app::reset::reset(&target, step) {
                Ok(said) => {
                    println!("{said}");
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::from(2)
                }
            };
        }
    }
    if options.watch {
        return match grader::app::watch::watch(&target, color) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => usage_error(&e),
        };
    }

    let report = grade(&target, None, true);
    let machine = match options.format {
        Format::Text => None,
        Format::Json => Some(json::report(&report)),
        Format::Gradescope => Some(gradescope::report(&report)),
    };
    match (machine, &options.output) {
        (None, _) => print!("{}", text::report(&report, color)),
        (Some(value), Some(path)) => {
            print!("{}", text::report(&report, color));
            let json = serde_json::to_string_pretty(&value).expect("JSON values serialize");
            if let Err(e) = write_atomically(path, &json) {
                eprintln!("error: cannot write {}: {e}", path.display());
                return ExitCode::from(2);
            }
        }
        // The JSON alone on stdout, for a pipe; the report for people on stderr.
        (Some(value), None) => {
            let color = color && std::io::stderr().is_terminal();
            eprint!("{}", text::report(&report, color));
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

/// `--batch`: grades each submission in `dir` and writes the class's sheet,
/// and each one's report into `feedback`. A submission that cannot be graded
/// gets a row that says why; only a folder that cannot be read, or a sheet
/// that cannot be written, stops it.
fn grade_class(dir: &Path, output: Option<&Path>, feedback: Option<&Path>) -> ExitCode {
    use grader::app::batch;
    let submissions = match batch::submissions(dir) {
        Ok(s) if s.is_empty() => {
            return usage_error(&format!("{} holds no submission folders", dir.display()));
        }
        Ok(s) => s,
        Err(e) => return usage_error(&e),
    };
    // Found out now, not after an hour of grading.
    if let Some(folder) = feedback
        && let Err(e) = std::fs::create_dir_all(folder)
    {
        eprintln!("error: cannot create {}: {e}", folder.display());
        return ExitCode::from(2);
    }
    let mut unwritten = 0;
    let mut rows = vec![batch::header()];
    for (i, submission) in submissions.iter().enumerate() {
        let started = Instant::now();
        let name = &submission.name;
        let found = match &submission.holds {
            Holds::Crate(target) => Ok(target.clone()),
            Holds::StepFiles(files) => batch::assemble(name, files),
            Holds::Nothing(why) => Err(why.clone()),
        };
        let graded = found.map(|target| grade(&target, None, false));
        let (row, said) = match &graded {
            Ok(report) => (
                batch::row(name, report),
                format!("{}/{}", report.score(), report.max_score()),
            ),
            Err(why) => (
                batch::row_not_graded(name, why),
                format!("not graded: {why}"),
            ),
        };
        rows.push(row);
        if let Some(folder) = feedback {
            let text = match &graded {
                Ok(report) => text::report(report, false),
                Err(why) => format!("{name}: not graded: {why}\n"),
            };
            let path = folder.join(format!("{name}.txt"));
            if let Err(e) = write_atomically(&path, text.trim_end()) {
                eprintln!("error: cannot write {}: {e}", path.display());
                unwritten += 1;
            }
        }
        eprintln!(
            "[{}/{}] {name}: {said} ({:.1} s)",
            i + 1,
            submissions.len(),
            started.elapsed().as_secs_f64()
        );
    }
    let sheet = batch::csv(&rows);
    match output {
        None => print!("{sheet}"),
        Some(path) => {
            if let Err(e) = write_atomically(path, sheet.trim_end()) {
                // The grading took long: the sheet is not lost with the file.
                eprintln!(
                    "error: cannot write {}: {e}; the sheet follows on stdout",
                    path.display()
                );
                print!("{sheet}");
                return ExitCode::from(2);
            }
            eprintln!("wrote {} rows to {}", rows.len() - 1, path.display());
        }
    }
    if unwritten > 0 {
        eprintln!("error: {unwritten} feedback files could not be written");
        return ExitCode::from(2);
    }
    ExitCode::SUCCESS
}

fn usage_error(message: &str) -> ExitCode {
    eprintln!("error: {message} (see --help)");
    ExitCode::from(2)
}
