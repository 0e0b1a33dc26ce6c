//! `cargo run -p grader`: grades the chosen target (`GRADE`, as for the tests)
//! by running the grade tests, and prints one row per step, the first thing to
//! fix, and the total. See `--help`.

use grader::batch::Holds;
use grader::report::Report;
use grader::runner::grade_tests_with;
use grader::target;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

const USAGE: &str = "\
usage: cargo run -p grader -- [--format text|json|gradescope] [--output FILE] [--watch]
       cargo run -p grader -- --batch DIR [--output FILE] [--feedback FOLDER]

Grades the steps of GRADE (exercises by default; solutions; or a crate's path)
by running the grade tests, and prints a row per step and the total.

  --format text        the report for people (default)
  --format json        the grader's own JSON (grader/schemas/report.schema.json)
  --format gradescope  Gradescope's results.json
  --output FILE        write the JSON to FILE; the text report goes to
                       stdout (without --output, the JSON goes to stdout and
                       the text report to stderr)
  --watch              grade everything, then grade a step again each time its
                       file is saved, like rustlings' watch mode
  --batch DIR          grade every submission in DIR (a folder per student:
                       a clone of this repository, its exercises crate, or
                       step files such as echo-thread.rs)
                       and write one CSV row each, with the points per step,
                       the total and what to fix first, to FILE or stdout;
                       a line per submission goes to stderr as it is graded
  --feedback FOLDER    with --batch: also write each submission's text report
                       to FOLDER/<submission>.txt, to hand back to its student

Exit code: 0 when every graded step passes, 1 when one does not, 2 when the
grading itself could not run (a bad option, a GRADE without a crate). With
--batch: 0 once every submission has its row, graded or not (and its
feedback file, with --feedback).
Colour is used on a terminal unless NO_COLOR is set.";

#[derive(Debug, PartialEq)]
enum Format {
    Text,
    Json,
    Gradescope,
}

#[derive(Debug)]
struct Options {
    format: Format,
    output: Option<PathBuf>,
    watch: bool,
    batch: Option<PathBuf>,
    feedback: Option<PathBuf>,
}

fn parse(args: &[String]) -> Result<Options, String> {
    use lexopt::prelude::*;
    let mut options = Options {
        format: Format::Text,
        output: None,
        watch: false,
        batch: None,
        feedback: None,
    };
    let mut format_given = false;
    let mut parser = lexopt::Parser::from_args(args);
    while let Some(arg) = parser.next().map_err(|e| e.to_string())? {
        match arg {
            Long("format") => {
                let value = parser.value().map_err(|e| e.to_string())?;
                format_given = true;
                options.format = match value.to_str() {
                    Some("text") => Format::Text,
                    Some("json") => Format::Json,
                    Some("gradescope") => Format::Gradescope,
                    _ => {
                        return Err(format!(
                            "--format takes text, json or gradescope, not {value:?}"
                        ));
                    }
                }
            }
            Short('o') | Long("output") => {
                options.output = Some(parser.value().map_err(|e| e.to_string())?.into());
            }
            Long("watch") => options.watch = true,
            Long("batch") => {
                options.batch = Some(parser.value().map_err(|e| e.to_string())?.into());
            }
            Long("feedback") => {
                options.feedback = Some(parser.value().map_err(|e| e.to_string())?.into());
            }
            other => return Err(other.unexpected().to_string()),
        }
    }
    if options.batch.is_some() {
        if format_given || options.watch {
            return Err("--batch writes CSV: it takes no --format or --watch".to_string());
        }
        return Ok(options);
    }
    if options.feedback.is_some() {
        return Err("--feedback goes with --batch".to_string());
    }
    if options.output.is_some() && options.format == Format::Text {
        return Err("--output is for --format json or gradescope".to_string());
    }
    Ok(options)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--help" || a == "-h") {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let options = match parse(&args) {
        Ok(options) => options,
        Err(e) => return usage_error(&e),
    };
    if let Some(dir) = &options.batch {
        return grade_class(dir, options.output.as_deref(), options.feedback.as_deref());
    }
    let grade = std::env::var("GRADE").unwrap_or_default();
    let cwd = std::env::current_dir().ok();
    let target = match target::resolve(&grade, cwd.as_deref()) {
        Ok(target) => target,
        Err(e) => return usage_error(&e),
    };
    // The grade tests resolve GRADE themselves, from another directory: hand
    // them the crate's full path, unless it is one of this workspace's.
    let grade = match grade.as_str() {
        "" | "exercises" | "solutions" => grade,
        _ => target.dir.to_string_lossy().into_owned(),
    };
    let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();

    if options.watch {
        return match grader::watch::watch(&grade, &target, color) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => usage_error(&e),
        };
    }

    let report = match grade_all(&grade, &target.label) {
        Ok(report) => report,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let machine = match options.format {
        Format::Text => None,
        Format::Json => Some(report.json()),
        Format::Gradescope => Some(report.gradescope()),
    };
    match (machine, &options.output) {
        (None, _) => print!("{}", report.text(color)),
        (Some(value), Some(path)) => {
            print!("{}", report.text(color));
            let json = serde_json::to_string_pretty(&value).expect("JSON values serialize");
            if let Err(e) = write_atomically(path, &json) {
                eprintln!("error: cannot write {}: {e}", path.display());
                return ExitCode::from(2);
            }
        }
        // The JSON alone on stdout, for a pipe; the report for people on stderr.
        (Some(value), None) => {
            let color = color && std::io::stderr().is_terminal();
            eprint!("{}", report.text(color));
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

/// Runs every grade test on the target, showing progress on a terminal.
fn grade_all(grade: &str, label: &str) -> Result<Report, String> {
    let started = Instant::now();
    let progress = std::io::stderr().is_terminal();
    let (mut done, mut total) = (0usize, 0usize);
    if progress {
        eprint!("grading {label}: building the steps...");
    }
    let run = grade_tests_with(grade, "", &mut |line| {
        if let Some(n) = line
            .strip_prefix("running ")
            .and_then(|r| r.split(' ').next())
        {
            total = n.parse().unwrap_or(0);
        } else if line.starts_with("test ") && line.contains(" ... ") {
            done += 1;
        } else {
            return;
        }
        if progress {
            eprint!("\r\x1b[2Kgrading {label}: {done}/{total} checks");
            let _ = std::io::stderr().flush();
        }
    })?;
    if progress {
        eprint!("\r\x1b[2K");
    }
    if run.tests.is_empty() {
        return Err(format!(
            "the grade tests did not run:\n{}",
            grader::failure::tail(&run.output, 30)
        ));
    }
    Ok(Report::from_run(
        label,
        &run,
        started.elapsed().as_secs_f64(),
    ))
}

/// `--batch`: grades each submission in `dir` and writes the class's sheet,
/// and each one's report into `feedback`. A submission that cannot be graded
/// gets a row that says why; only a folder that cannot be read, or a sheet
/// that cannot be written, stops it.
fn grade_class(
    dir: &std::path::Path,
    output: Option<&std::path::Path>,
    feedback: Option<&std::path::Path>,
) -> ExitCode {
    let submissions = match grader::batch::submissions(dir) {
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
    let mut rows = vec![grader::batch::header()];
    for (i, submission) in submissions.iter().enumerate() {
        let started = Instant::now();
        let name = &submission.name;
        let found = match &submission.holds {
            Holds::Crate(target) => Ok(target.clone()),
            Holds::StepFiles(files) => grader::batch::assemble(name, files),
            Holds::Nothing(why) => Err(why.clone()),
        };
        let graded = found.and_then(|target| {
            grade_all(&target.dir.to_string_lossy(), name).map_err(|e| {
                // The sheet gets the first line; stderr gets the whole.
                eprintln!("{name}: {e}");
                e.lines().next().unwrap_or_default().to_string()
            })
        });
        let (row, said) = match &graded {
            Ok(report) => (
                grader::batch::row(name, report),
                format!("{}/{}", report.score(), report.max_score()),
            ),
            Err(why) => (
                grader::batch::row_not_graded(name, why),
                format!("not graded: {why}"),
            ),
        };
        rows.push(row);
        if let Some(folder) = feedback {
            let text = match &graded {
                Ok(report) => report.text(false),
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
    let sheet = grader::batch::csv(&rows);
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

/// Writes to a file next to `path`, then renames it: a failed write never
/// leaves half a report where a whole one was.
fn write_atomically(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    let partial = path.with_extension("partial");
    std::fs::write(&partial, format!("{text}\n"))?;
    std::fs::rename(&partial, path)
}

fn usage_error(message: &str) -> ExitCode {
    eprintln!("error: {message} (see --help)");
    ExitCode::from(2)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn options_in_both_spellings() {
        let o = parse(&args(&["--format=gradescope", "--output", "r.json"])).unwrap();
        assert_eq!(o.format, Format::Gradescope);
        assert_eq!(o.output, Some(PathBuf::from("r.json")));
        assert!(parse(&args(&["--watch"])).unwrap().watch);
        let o = parse(&args(&["--batch", "class", "-o", "grades.csv"])).unwrap();
        assert_eq!(o.batch, Some(PathBuf::from("class")));
        assert_eq!(o.output, Some(PathBuf::from("grades.csv")));
    }

    #[test]
    fn bad_options_are_one_line_errors() {
        for bad in [
            &["--format", "xml"][..],
            &["--output"],
            &["--frobnicate"],
            &["--output", "x.json"],
            &["--batch"],
            &["--batch", "class", "--format", "json"],
            &["--batch", "class", "--watch"],
            &["--feedback", "notes"],
        ] {
            let e = parse(&args(bad)).unwrap_err();
            assert!(!e.contains('\n') && !e.is_empty(), "{bad:?}: {e}");
        }
    }
}
