//! The command line of `cargo run -p grader`.

use crate::error::Error;
use crate::step::Step;
use std::path::{Path, PathBuf};

pub const USAGE: &str = "\
usage: cargo run -p grader -- [--format text|json|gradescope] [--output FILE] [--watch]
       cargo run -p grader -- STEP
       cargo run -p grader -- hint STEP
       cargo run -p grader -- reset STEP
       cargo run -p grader -- export-student [--hint-levels N] DIR
       cargo run -p grader -- export-gradescope DIR
       cargo run -p grader -- --batch DIR [--output FILE] [--feedback FOLDER]
       cargo run -p grader -- --submission DIR [--format ...] [--output FILE]
       cargo run -p grader -- result FILE STEP
       cargo run -p grader -- sandbox

Grades the steps of GRADE (exercises by default; solutions; or a crate's path)
and prints a row per step and the total.

  STEP                 grade one step (echo-thread, ...) and show its first
                       failure, with the first level of its hint
  hint STEP            the next level of the hint for STEP's first failure
                       (three levels: the last comes close to the answer)
  reset STEP           put STEP's starter back; your file is kept under
                       target/grader/reset/
  trace STEP           run a short scenario of STEP's harness on your file
                       and draw what your runtime did: each task's polls
                       and wakes, as a timeline here and as a picture in
                       target/grader/trace/STEP.svg (add-to-inbox,
                       mini-executor, echo-own-runtime)
  export-student DIR   write the repository to hand out to a class: the
                       exercises, the grader, the students' pages and the
                       Classroom workflow; no solutions. With --hint-levels N
                       (1 to 3, default 3), its hints stop at level N
  export-gradescope DIR
                       write the folder to zip as Gradescope's autograder:
                       the student edition (hints to level 1), setup.sh and
                       run_autograder at its root
  result FILE STEP     what a report (--format json --output FILE) says of
                       STEP; exit 0 if it passed (GitHub Classroom's tests)
  sandbox              whether class grading's sandbox can run here, and if
                       not, why; exit 0 if it can

  --format text        the report for people (default)
  --format json        the grader's own JSON (grader/schemas/report.schema.json)
  --format gradescope  Gradescope's results.json
  --visibility WHEN    with --format gradescope: when students see each test's
                       feedback: visible (default), after_due_date,
                       after_published or hidden
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
  --summary FILE.html  with --batch: also write the class's picture, one page
                       for a browser: per step, how many passed, and the most
                       common first failures with the hint they show
  --jobs N             with --batch: grade N submissions at once (default:
                       the number of cores)
  --submission DIR     grade one submission as a class's is graded (a clone,
                       the exercises crate or step files, built and graded in
                       the sandbox), with the report's --format and --output
  --no-sandbox         with --batch or --submission: grade without the
                       sandbox (bubblewrap, Linux), which class grading
                       otherwise needs: only in a container or a throwaway
                       machine; as root, the steps then run as a user of
                       their own
  --keep-builds        with --batch or --submission: keep each submission's builds (about
                       50 MB each), so that grading the class again is quicker

Exit code: 0 when every graded step passes, 1 when one does not, 2 when the
grading itself could not run (a bad option, a GRADE without a crate). With
--batch: 0 once every submission has its row, graded or not (and its
feedback file, with --feedback).
Colour is used on a terminal unless NO_COLOR is set.";

#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub enum Format {
    Text,
    Json,
    Gradescope,
}

/// What to do.
#[derive(Debug, PartialEq, Eq)]
pub enum Command {
    /// Grade every step: the report.
    Report,
    /// Grade one step.
    Step(&'static Step),
    Hint(&'static Step),
    Reset(&'static Step),
    /// Draw a traced run of the step's harness.
    Trace(&'static Step),
    /// The student edition, its hints up to a level.
    ExportStudent {
        dir: PathBuf,
        hint_levels: usize,
    },
    ExportGradescope(PathBuf),
    /// What a JSON report says of a step.
    Result {
        report: PathBuf,
        step: &'static Step,
    },
    /// Whether the sandbox can run here.
    Sandbox,
}

#[derive(Debug)]
pub struct Options {
    pub command: Command,
    pub format: Format,
    pub output: Option<PathBuf>,
    pub watch: bool,
    pub batch: Option<PathBuf>,
    /// `--submission DIR`: one submission, graded as a class's.
    pub submission: Option<PathBuf>,
    pub feedback: Option<PathBuf>,
    /// `--summary FILE.html`: the class's picture.
    pub summary: Option<PathBuf>,
    /// Gradescope's visibility of each test's feedback.
    pub visibility: String,
    pub jobs: usize,
    pub no_sandbox: bool,
    pub keep_builds: bool,
    /// `--grade-prebuilt PLAN`: the grading of one submission of a class,
    /// inside its sandbox (the grader runs itself so).
    pub prebuilt: Option<PathBuf>,
}

/// Reads the command line; a relative path in it is taken from `shell_dir`,
/// the shell's folder, as the shell meant it.
pub fn parse(args: &[String], shell_dir: Option<&Path>) -> Result<Options, Error> {
    read(args, shell_dir).map_err(Error::Usage)
}

/// `parse`, its message the one line a user reads.
fn read(args: &[String], shell_dir: Option<&Path>) -> Result<Options, String> {
    use lexopt::prelude::*;
    let mut options = Options {
        command: Command::Report,
        format: Format::Text,
        output: None,
        watch: false,
        batch: None,
        submission: None,
        feedback: None,
        summary: None,
        visibility: "visible".to_string(),
        jobs: std::thread::available_parallelism().map_or(2, |n| n.get()),
        no_sandbox: false,
        keep_builds: false,
        prebuilt: None,
    };
    let mut class_option = false;
    let mut hint_levels: Option<usize> = None;
    let mut visibility_given = false;
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
            Long("submission") => {
                options.submission = Some(parser.value().map_err(|e| e.to_string())?.into());
            }
            Long("hint-levels") => {
                let value = parser.value().map_err(|e| e.to_string())?;
                hint_levels = Some(
                    value
                        .to_str()
                        .and_then(|v| v.parse().ok())
                        .filter(|n| (1..=3).contains(n))
                        .ok_or_else(|| format!("--hint-levels takes 1, 2 or 3, not {value:?}"))?,
                );
            }
            Long("feedback") => {
                options.feedback = Some(parser.value().map_err(|e| e.to_string())?.into());
            }
            Long("summary") => {
                options.summary = Some(parser.value().map_err(|e| e.to_string())?.into());
            }
            Long("visibility") => {
                let value = parser.value().map_err(|e| e.to_string())?;
                let value = value.to_str().unwrap_or_default().to_string();
                if !crate::report::gradescope::VISIBILITIES.contains(&value.as_str()) {
                    return Err(format!(
                        "--visibility takes {}, not {value:?}",
                        crate::report::gradescope::VISIBILITIES.join(", ")
                    ));
                }
                options.visibility = value;
                visibility_given = true;
            }
            Long("jobs") => {
                let value = parser.value().map_err(|e| e.to_string())?;
                options.jobs = value
                    .to_str()
                    .and_then(|v| v.parse().ok())
                    .filter(|n| *n > 0)
                    .ok_or_else(|| format!("--jobs takes a number above 0, not {value:?}"))?;
                class_option = true;
            }
            Long("no-sandbox") => {
                options.no_sandbox = true;
                class_option = true;
            }
            Long("keep-builds") => {
                options.keep_builds = true;
                class_option = true;
            }
            Long("grade-prebuilt") => {
                options.prebuilt = Some(parser.value().map_err(|e| e.to_string())?.into());
            }
            Value(word) if options.command == Command::Report => {
                let word = word.string().map_err(|e| e.to_string())?;
                let folder = |parser: &mut lexopt::Parser, usage: &str| {
                    parser
                        .value()
                        .map(PathBuf::from)
                        .map_err(|_| format!("`{word}` takes a folder: {usage}"))
                };
                options.command = match word.as_str() {
                    "export-student" => Command::ExportStudent {
                        dir: folder(&mut parser, "export-student [--hint-levels N] DIR")?,
                        hint_levels: 3,
                    },
                    "sandbox" => Command::Sandbox,
                    "export-gradescope" => {
                        Command::ExportGradescope(folder(&mut parser, "export-gradescope DIR")?)
                    }
                    "result" => {
                        let report = folder(&mut parser, "result FILE STEP")?;
                        let step = parser
                            .value()
                            .map_err(|_| "`result` takes a report and a step: result FILE STEP")?
                            .string()
                            .map_err(|e| e.to_string())?;
                        Command::Result {
                            report,
                            step: step_named(&step)?,
                        }
                    }
                    "hint" | "reset" | "trace" => {
                        let step = parser
                            .value()
                            .map_err(|_| format!("`{word}` takes a step: {word} <step>"))?
                            .string()
                            .map_err(|e| e.to_string())?;
                        let step = step_named(&step)?;
                        match word.as_str() {
                            "hint" => Command::Hint(step),
                            "reset" => Command::Reset(step),
                            _ if step.harness.as_ref().is_some_and(|h| h.trace.is_some()) => {
                                Command::Trace(step)
                            }
                            _ => {
                                return Err(format!(
                                    "{} has no traced run: `trace` draws {}",
                                    step.name,
                                    traced_steps()
                                ));
                            }
                        }
                    }
                    step => Command::Step(step_named(step)?),
                };
            }
            other => return Err(other.unexpected().to_string()),
        }
    }
    // Paths as the shell meant them.
    for path in [
        &mut options.output,
        &mut options.batch,
        &mut options.submission,
        &mut options.feedback,
        &mut options.summary,
    ]
    .into_iter()
    .flatten()
    {
        *path = crate::target::from_shell(path, shell_dir);
    }
    match &mut options.command {
        Command::ExportStudent { dir, .. } | Command::ExportGradescope(dir) => {
            *dir = crate::target::from_shell(dir, shell_dir)
        }
        Command::Result { report, .. } => *report = crate::target::from_shell(report, shell_dir),
        _ => {}
    }
    if let Some(levels) = hint_levels {
        match &mut options.command {
            Command::ExportStudent { hint_levels, .. } => *hint_levels = levels,
            _ => return Err("--hint-levels goes with export-student".to_string()),
        }
    }
    if options.command != Command::Report
        && (options.batch.is_some()
            || options.submission.is_some()
            || options.watch
            || format_given)
    {
        return Err(
            "a step, `hint`, `reset`, `trace`, `result` and the exports take no --batch, --submission, --watch or --format"
                .to_string(),
        );
    }
    if options.batch.is_some() && options.submission.is_some() {
        return Err("--batch grades a class, --submission one: not both".to_string());
    }
    if options.submission.is_some() {
        if options.watch || options.feedback.is_some() || options.summary.is_some() {
            return Err("--submission takes no --watch, --feedback or --summary".to_string());
        }
        if visibility_given && options.format != Format::Gradescope {
            return Err("--visibility is for --format gradescope".to_string());
        }
        if options.output.is_some() && options.format == Format::Text {
            return Err("--output is for --format json or gradescope".to_string());
        }
        return Ok(options);
    }
    if options.batch.is_some() {
        if format_given || options.watch {
            return Err("--batch writes CSV: it takes no --format or --watch".to_string());
        }
        return Ok(options);
    }
    if options.feedback.is_some() || options.summary.is_some() || class_option {
        return Err(
            "--feedback, --summary, --jobs, --no-sandbox and --keep-builds go with --batch (or --submission)"
                .to_string(),
        );
    }
    if visibility_given && options.format != Format::Gradescope {
        return Err("--visibility is for --format gradescope".to_string());
    }
    if options.output.is_some() && options.format == Format::Text {
        return Err("--output is for --format json or gradescope".to_string());
    }
    Ok(options)
}

/// The step of the catalogue with this name (or its test prefix).
/// The steps `trace` draws, for a message.
fn traced_steps() -> String {
    crate::catalogue::STEPS
        .iter()
        .filter(|s| s.harness.as_ref().is_some_and(|h| h.trace.is_some()))
        .map(|s| s.name)
        .collect::<Vec<_>>()
        .join(", ")
}

fn step_named(name: &str) -> Result<&'static Step, String> {
    let wanted = name.replace('_', "-");
    crate::catalogue::find(&wanted).ok_or_else(|| {
        let names: Vec<&str> = crate::catalogue::STEPS.iter().map(|s| s.name).collect();
        format!("{name:?} is not a step; the steps are {}", names.join(", "))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn options_in_both_spellings() {
        let o = parse(&args(&["--format=gradescope", "--output", "r.json"]), None).unwrap();
        assert_eq!(o.format, Format::Gradescope);
        assert_eq!(o.output, Some(PathBuf::from("r.json")));
        assert!(parse(&args(&["--watch"]), None).unwrap().watch);
        let o = parse(&args(&["--batch", "class", "-o", "grades.csv"]), None).unwrap();
        assert_eq!(o.batch, Some(PathBuf::from("class")));
        assert_eq!(o.output, Some(PathBuf::from("grades.csv")));
        let step = crate::catalogue::find("echo-thread").unwrap();
        assert_eq!(
            parse(&args(&["echo-thread"]), None).unwrap().command,
            Command::Step(step)
        );
        assert_eq!(
            parse(&args(&["echo_thread"]), None).unwrap().command,
            Command::Step(step)
        );
        assert_eq!(
            parse(&args(&["hint", "echo-thread"]), None)
                .unwrap()
                .command,
            Command::Hint(step)
        );
        assert_eq!(
            parse(&args(&["reset", "echo-thread"]), None)
                .unwrap()
                .command,
            Command::Reset(step)
        );
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
            &["no-such-step"],
            &["hint"],
            &["reset", "nothing"],
            &["echo-thread", "--watch"],
            &["--jobs", "2"],
            &["--visibility", "after_due_date"],
            &["--format", "gradescope", "--visibility", "tomorrow"],
            &["--batch", "class", "--jobs", "0"],
        ] {
            let e = parse(&args(bad), None).unwrap_err().to_string();
            assert!(!e.contains('\n') && !e.is_empty(), "{bad:?}: {e}");
        }
    }
}
