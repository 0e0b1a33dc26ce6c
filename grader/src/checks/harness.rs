//! Driving a student's code poll by poll, as trybuild drives a crate: the
//! grader writes a small crate around a copy of the student's file with a
//! harness as a module of it (`grader/harness/*.rs`), builds it, and runs it.
//!
//! A black-box run of many tasks catches a wrong `WaterFactory` only when
//! threads interleave badly; a harness chooses the order of polls itself, so
//! it catches the same mistakes on every run. For `AddToInbox` and the mini
//! executor it is the way to see inside: which state waits, who is woken.
//!
//! The harness reports to the grader as `protocol` says: one line per check
//! in a file of its own, never on the stdout that the student's code prints
//! to, each line carrying a key that only this run of the harness knows. The
//! student's code runs in the harness's process, but cannot learn the key:
//! the key comes on stdin, read before any of the student's code runs (a
//! step file holds no code that runs before `main`: see `build::safety`);
//! the harness runs from a copy that its user cannot read, so that no other
//! process can look into it; and its module is a child of the student's
//! file, whose names (a macro, a function called `Err`) reach none of it.

use crate::build::harness::bin;
use crate::exec::{self, Bound};
use crate::failure::{Failure, tail};
use crate::outcome::{CheckId, Pass, Verdict};
use crate::protocol::{self, Said};
use crate::settings::Settings;
use crate::step::{Checks, Ctx, Harness, Step};
use crate::target::grader_dir;
use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The step's harness: only a step that has one has harnessed checks, and
/// only such a step's harness is built.
fn harness(step: &'static Step) -> &'static Harness {
    step.harness
        .as_ref()
        .unwrap_or_else(|| panic!("{} has no harness", step.name))
}

/// Adds a check that is one case of the step's harness, run alone.
pub(crate) fn case(checks: &mut Checks, name: &'static str, needs: &[CheckId]) -> CheckId {
    checks.add_harnessed(name, needs, move |ctx| check(ctx, Some(name)))
}

/// Runs the step's harness: every check of it, or only `only`. Passes when
/// the harness says every check it ran passed.
pub(crate) fn check(ctx: &Ctx, only: Option<&str>) -> Verdict {
    let step = ctx.step();
    let harness = harness(step);
    let exe = ctx.grading.harness_exe(step).map_err(|why| {
        let why = why.to_string();
        match harness.lesson {
            Some((error, headline, lesson)) if why.contains(error) => Failure::new(headline)
                .block("compiler", &why)
                .diagnose(lesson),
            _ => Failure::new(format!(
                "the grader could not build its harness around your {}",
                step.name
            ))
            .block("compiler", &why)
            .diagnose(format!("keep {}.", harness.shapes)),
        }
        // The step may serve well all the same: its black-box checks run.
        .others_still_run()
    })?;
    let verdicts = verdicts_file(ctx.settings());
    let _ = std::fs::remove_file(&verdicts);
    let key = crate::exec::secret();
    let mut cmd = Command::new(&exe.path);
    exec::as_step(&mut cmd, ctx.user());
    cmd.args(only)
        .env(protocol::VERDICTS, &verdicts)
        .env(protocol::TIMEOUT, ctx.deadline().as_secs_f64().to_string());
    let limit = ctx.run_deadline();
    let run =
        exec::run_command_with_input(cmd, &bin(step.name), format!("{key}\n"), limit, Bound::LOG)
            .map_err(|e| Failure::new(e.to_string()))?;
    let read = std::fs::read_to_string(&verdicts).unwrap_or_default();
    let _ = std::fs::remove_file(&verdicts);
    let stderr = run.stderr.text();
    let report = protocol::read_report(&key, &read);
    // A failed check is reported as soon as it is seen: what came after it
    // (a hang at the end, say) changes nothing.
    let verdicts = match &report {
        Ok(verdicts) => verdicts.as_slice(),
        Err(_) => &[],
    };
    for (name, said) in verdicts {
        let (headline, details, timed_out) = match said {
            Said::Passed => continue,
            Said::Failed { headline, details } => (headline, details.as_slice(), false),
            Said::TimedOut { headline, details } => (headline, details.as_slice(), true),
        };
        let mut f = Failure::new(format!(
            "{}: {}: {headline}",
            harness.subject,
            name.replace('_', " ")
        ));
        let mut events = Vec::new();
        for (label, value) in details {
            if label == "event" {
                events.push(value.as_str());
                continue;
            }
            // What the harness could tell of the cause: the hint to show,
            // in place of the check's own, which speaks of every cause.
            if label == "likely" {
                f = f.diagnose(value.clone());
                continue;
            }
            let label = if label.is_empty() {
                String::new()
            } else {
                format!("{label}:")
            };
            f = f.field(&label, value);
        }
        // What led to it, as the harness saw it: the last polls and wakes.
        if !events.is_empty() {
            f = f.block("what happened last", &events.join("\n"));
            if harness.trace.is_some() {
                f = f.field(
                    "see it drawn:",
                    format!("cargo run -p grader -- trace {}", step.name),
                );
            }
        }
        if timed_out {
            f = f.timed_out();
        }
        return Err(f.noting_todo(headline).noting_todo(&stderr));
    }
    if run.timed_out() {
        return Err(Failure::new(format!(
            "{}: the harness did not finish within {} s",
            harness.subject,
            limit.as_secs()
        ))
        .block("its stderr", &tail(&stderr, 15))
        .timed_out()
        .noting_todo(&stderr));
    }
    let ran = verdicts.len();
    let wanted = only.map_or(ran > 0, |name| ran == 1 && verdicts[0].0 == name);
    if report.is_err() || !wanted {
        let how = run
            .end
            .map(|e| exec::describe(&e.status))
            .unwrap_or_default();
        let why = match report {
            Err(why) => why,
            Ok(_) => "it reported no check of those asked".to_string(),
        };
        let failure = Failure::new(format!(
            "{}: the harness ended ({how}) without a whole report: {why}",
            harness.subject
        ));
        // The first panic says why; what follows it (a second panic in a
        // destructor, which aborts, and its backtrace) is its consequence.
        let first_panic = stderr
            .lines()
            .position(|l| l.contains("panicked at"))
            .map(|at| {
                stderr
                    .lines()
                    .skip(at)
                    .take(2)
                    .collect::<Vec<_>>()
                    .join("\n")
            })
            // The copy the harness is built around keeps the file's lines.
            .map(|panic| {
                panic.replace(
                    &format!("src/bin/../harness/{}/student.rs", step.name),
                    &format!("{}.rs", step.name),
                )
            });
        return Err(match first_panic {
            Some(panic) if !panic.contains("not yet implemented") => failure
                .block("the first panic", &panic)
                .diagnose(FIRST_PANIC),
            _ => failure.block("its stderr", &tail(&stderr, 15)),
        }
        .noting_todo(&stderr));
    }
    Ok(Pass::Passed)
}

/// A harness that ended without its report, after a panic.
const FIRST_PANIC: &str = "your code panicked (the first panic above, at the line it names), and the harness could not even finish its report: a panic while another unwinds (a destructor that unwraps a lock the first panic poisoned) ends the whole process. The first panic is the one to fix: what its line took for granted (an `unwrap` of something that may be missing, as a waker for an event whose socket is gone).";

/// A file of its own for each run of a harness.
fn verdicts_file(settings: &Settings) -> PathBuf {
    static RUNS: AtomicUsize = AtomicUsize::new(0);
    // In a class's sandbox, the grader may write to its scratch folder only.
    let dir = settings
        .scratch
        .clone()
        .unwrap_or_else(grader_dir)
        .join("verdicts");
    let _ = std::fs::create_dir_all(&dir);
    if let Some(user) = settings.steps_user {
        // The harness writes its verdicts here.
        let _ = exec::sandbox::hand_over(&dir, user);
    }
    dir.join(format!(
        "{}-{}.lines",
        std::process::id(),
        RUNS.fetch_add(1, Ordering::Relaxed)
    ))
}

#[cfg(test)]
mod tests {
    use crate::build::lexer::{Token, line_of, tokens};
    use crate::protocol::{Chain, Event, Line, Said, What, read_report, read_trace};

    /// A run's key, as `exec::secret` makes them.
    const KEY: &str = "00112233445566778899aabbccddeeff";

    /// The lines, signed in order under `KEY`, as a harness writes them.
    fn signed(lines: &[Line]) -> String {
        let mut chain = Chain::new(KEY);
        lines.iter().map(|l| chain.sign(l) + "\n").collect()
    }

    /// A harness is compiled after the student's file, as a module of it: a
    /// macro the file defines reaches it by its bare name, and a glob import
    /// of the file would bring in its every name (a function called `Err`).
    /// So a harness invokes each macro by its path, and names each item it
    /// takes from the file.
    #[test]
    fn harnesses_invoke_macros_by_path_and_import_no_glob() {
        use crate::build::harness::{PROTOCOL, RUNNER, TRACE};
        let sources = crate::catalogue::STEPS
            .iter()
            .filter_map(|s| s.harness.as_ref())
            .flat_map(|h| {
                [("harness", h.code.main)]
                    .into_iter()
                    .chain(h.code.parts.iter().copied())
            })
            .chain([
                ("runner.rs", RUNNER),
                ("trace.rs", TRACE),
                ("protocol.rs", PROTOCOL),
            ]);
        for (name, text) in sources {
            let all = tokens(text);
            let at = |i: usize| all.get(i).map_or("", |t| &text[t.start..t.end]);
            for (i, token) in all.iter().enumerate() {
                let word = at(i);
                // `if !(..)`, `return !x`: a keyword, then a `not`.
                let keyword = matches!(
                    word,
                    "if" | "while"
                        | "match"
                        | "return"
                        | "in"
                        | "else"
                        | "let"
                        | "mut"
                        | "move"
                        | "break"
                        | "macro_rules"
                );
                let invoked = matches!(at(i + 2), "(" | "[" | "{");
                if token.token == Token::Word && at(i + 1) == "!" && invoked && !keyword {
                    let by_path = i >= 2 && at(i - 1) == ":" && at(i - 2) == ":";
                    assert!(
                        by_path,
                        "harness {name}, line {}: `{word}!` is invoked by its bare name; write `::std::{word}!`",
                        line_of(text, token.start)
                    );
                }
                if word == "super" && at(i + 1) == ":" && at(i + 3) == "*" {
                    panic!(
                        "harness {name}, line {}: a glob import of the student's file",
                        line_of(text, token.start)
                    );
                }
            }
        }
    }

    fn verdict(seq: u32, check: &str, said: Said) -> Line {
        Line::Verdict {
            seq,
            check: check.to_string(),
            said,
        }
    }

    #[test]
    fn every_line_crosses_unchanged() {
        let failed = Said::Failed {
            headline: "poll 2:\tready\\early\r\nseen".to_string(),
            details: vec![
                ("calls".to_string(), "1, then 2".to_string()),
                (String::new(), "a line without a label".to_string()),
            ],
        };
        for line in [
            verdict(0, "a_check", Said::Passed),
            verdict(1, "b", failed),
            verdict(
                2,
                "c",
                Said::TimedOut {
                    headline: "no result".to_string(),
                    details: vec![("while".to_string(), "a poll".to_string())],
                },
            ),
            Line::Event(Event {
                at_us: 1203,
                lane: "task 2".to_string(),
                what: What::Wake {
                    of_poll: 3,
                    by: "the\treactor".to_string(),
                },
            }),
            Line::Event(Event {
                at_us: 0,
                lane: "main".to_string(),
                what: What::Poll { n: 1, ready: false },
            }),
            Line::Event(Event {
                at_us: 7,
                lane: "client 1".to_string(),
                what: What::Note("sends a line\n".to_string()),
            }),
            Line::End { count: 3 },
        ] {
            let text = Chain::new(KEY).sign(&line);
            assert!(!text.contains('\n'), "{text}");
            assert!(!text.contains(KEY), "{text}");
            assert_eq!(Chain::new(KEY).check(&text), Some(line));
            let other = "ffeeddccbbaa99887766554433221100";
            assert_eq!(Chain::new(other).check(&text), None);
            assert_eq!(Chain::new("").check(&text), None);
        }
    }

    #[test]
    fn a_trace_is_its_events_then_its_verdict_and_end() {
        let event = |n| {
            Line::Event(Event {
                at_us: n,
                lane: "task 1".to_string(),
                what: What::Poll {
                    n: n as u32,
                    ready: false,
                },
            })
        };
        let lines = signed;
        let key = KEY;
        let verdict = Line::Verdict {
            seq: 0,
            check: "trace".to_string(),
            said: Said::Passed,
        };
        let whole = lines(&[event(1), event(2), verdict.clone(), Line::End { count: 1 }]);
        let (events, said) = read_trace(key, &whole).unwrap();
        assert_eq!((events.len(), said), (2, Said::Passed));
        // Cut short: no verdict, or no end.
        assert!(read_trace(key, &lines(&[event(1)])).is_err());
        assert!(read_trace(key, &lines(&[event(1), verdict.clone()])).is_err());
        // An event after the verdict is not the harness's order.
        assert!(read_trace(key, &lines(&[verdict, event(1), Line::End { count: 1 }])).is_err());
    }

    #[test]
    fn a_report_counts_only_whole_signed_reports() {
        let pass = |seq, name| verdict(seq, name, Said::Passed);
        let failed = verdict(
            1,
            "b",
            Said::Failed {
                headline: "no".to_string(),
                details: Vec::new(),
            },
        );
        let whole = signed(&[pass(0, "a"), pass(1, "b"), Line::End { count: 2 }]);
        assert_eq!(read_report(KEY, &whole).unwrap().len(), 2);
        // Lines not signed, or signed with another key, are not the harness's.
        let forged = format!("{whole}0000000000000000\tverdict\t2\tc\tpassed\n");
        assert_eq!(read_report(KEY, &forged).unwrap().len(), 2);
        let other = "ffeeddccbbaa99887766554433221100";
        assert!(read_report(other, &whole).is_err());
        assert!(read_report("", &whole).is_err());
        // A verdict taken out, or the end missing, or said twice.
        let taken = signed(&[pass(0, "a"), Line::End { count: 2 }]);
        assert!(read_report(KEY, &taken).is_err());
        let skipped = signed(&[pass(1, "b"), Line::End { count: 1 }]);
        assert!(read_report(KEY, &skipped).is_err());
        assert!(read_report(KEY, &signed(&[pass(0, "a")])).is_err());
        let twice = signed(&[pass(0, "a"), Line::End { count: 1 }, Line::End { count: 1 }]);
        assert!(read_report(KEY, &twice).is_err());
        // The harness's own lines, rearranged by someone who can read but
        // not sign them: a failed verdict cut out, its end kept.
        let report = signed(&[pass(0, "a"), failed, Line::End { count: 2 }]);
        let lines: Vec<&str> = report.lines().collect();
        let cut = format!("{}\n{}\n", lines[0], lines[2]);
        assert!(read_report(KEY, &cut).is_err());
        // Or a passed line written twice: the second is not the chain's.
        let again = format!("{}\n{}\n{}\n", lines[0], lines[0], lines[2]);
        assert!(read_report(KEY, &again).is_err());
    }

    /// The MAC is SipHash-2-4: the reference's test vector, and std's own.
    #[test]
    fn the_tags_are_siphash() {
        let data: Vec<u8> = (0..15).collect();
        let key = (0x0706050403020100, 0x0f0e0d0c0b0a0908);
        assert_eq!(
            crate::protocol::siphash(key.0, key.1, &data),
            0xa129ca6149be45e5
        );
        for len in 0..40 {
            let data: Vec<u8> = (0..len).map(|i: u32| (i * 7 + 1) as u8).collect();
            #[allow(deprecated)]
            let mut std = std::hash::SipHasher::new_with_keys(3, 5);
            std::hash::Hasher::write(&mut std, &data);
            assert_eq!(
                crate::protocol::siphash(3, 5, &data),
                std::hash::Hasher::finish(&std)
            );
        }
    }
}
