//! Black-box checks of the H2O steps: run the bin with N molecules and read
//! its `bond h<i>!` / `bond o<i>!` lines.

use super::{Runs, command_line, compiles, harness};
use crate::failure::{Failure, show};
use crate::outcome::{Pass, Verdict};
use crate::step::{Checks, Ctx};

/// The checks of the correct factory (task2-struct-final). The harness
/// comes first: it drives the factory in chosen orders, so it names a wrong
/// count or an early release every time, where runs of threads show it only
/// when they happen to interleave badly. Its checks have deadlines of their
/// own, so a factory that hangs is reported in seconds.
pub(crate) fn graded(checks: &mut Checks) {
    let compiles = compiles(checks);
    let polled = checks.add_harnessed("factory_polled_step_by_step", &[compiles], |ctx| {
        harness::check(ctx, None)
    });
    let ten = checks.add("makes_10_molecules_by_default", &[polled], default_is_ten);
    checks.add("makes_1000_molecules_of_water", &[ten], |ctx| {
        makes_water(ctx, 1000, 5)
    });
    command_line::bad_argument(
        checks,
        "bad_n_is_one_line_and_exit_2",
        &["abc", "-3", "1.5"],
        compiles,
    );
}

/// The checks of task2-struct-1, the slide whose futures are never awaited:
/// it passes when the flaw shows.
pub(crate) fn demo_without_await(checks: &mut Checks) {
    demo(
        checks,
        "atoms_bond_without_waiting",
        "Why: acquire() and wait() build futures that are never awaited, so no atom waits.",
    );
}

/// The checks of task2-struct-2, the slide whose permits are dropped at
/// once: it passes when the flaw shows.
pub(crate) fn demo_permit_dropped(checks: &mut Checks) {
    demo(
        checks,
        "permit_dropped_too_early",
        "Why: `let _ =` drops the permit on the spot, so the semaphores let every atom through.",
    );
}

/// The checks of a flawed slide's demo: its flaw, shown, and why.
fn demo(checks: &mut Checks, name: &'static str, why: &'static str) {
    let compiles = compiles(checks);
    checks.add(name, &[compiles], move |ctx| {
        shows_wrong_molecules(ctx, 100, 10).map(|shown| Pass::Shown(format!("{shown}\n{why}")))
    });
    command_line::bad_argument(
        checks,
        "bad_n_is_one_line_and_exit_2",
        &["abc", "-3"],
        compiles,
    );
}

/// One atom as printed: `h` or `o`, and its number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Atom {
    pub kind: char,
    pub index: usize,
}

/// What is wrong with an H2O output, if anything.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Problem {
    /// A line that is not `bond h<i>!` or `bond o<i>!`.
    BadLine { line_no: usize, line: String },
    /// An atom that should bond but does not, or bonds twice, or does not exist.
    WrongAtoms {
        missing: Vec<String>,
        twice: Vec<String>,
        unknown: Vec<String>,
    },
    /// Three consecutive lines (a molecule) that are not one `o` and two `h`.
    NotWater {
        first_line_no: usize,
        lines: [String; 3],
    },
}

/// Reads `bond h3!` as hydrogen 3.
pub(crate) fn parse_line(line: &str) -> Option<Atom> {
    let rest = line.strip_prefix("bond ")?.strip_suffix('!')?;
    let kind = rest.chars().next().filter(|c| *c == 'h' || *c == 'o')?;
    let digits = &rest[1..];
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(Atom {
        kind,
        index: digits.parse().ok()?,
    })
}

/// Checks an output for N molecules: every atom of `h0..h(2N-1)` and
/// `o0..o(N-1)` exactly once, and every three lines one `o` and two `h`.
pub(crate) fn problems(stdout: &str, n: usize) -> Option<Problem> {
    let lines: Vec<&str> = stdout.lines().collect();
    let mut atoms = Vec::with_capacity(lines.len());
    for (i, line) in lines.iter().enumerate() {
        match parse_line(line) {
            Some(atom) => atoms.push(atom),
            None => {
                return Some(Problem::BadLine {
                    line_no: i + 1,
                    line: line.to_string(),
                });
            }
        }
    }
    let mut seen_h = vec![0u32; 2 * n];
    let mut seen_o = vec![0u32; n];
    let mut unknown = Vec::new();
    for a in &atoms {
        let seen = if a.kind == 'h' {
            &mut seen_h
        } else {
            &mut seen_o
        };
        match seen.get_mut(a.index) {
            Some(count) => *count += 1,
            None => unknown.push(format!("{}{}", a.kind, a.index)),
        }
    }
    let named = |kind: char, seen: &[u32], want: fn(u32) -> bool| -> Vec<String> {
        seen.iter()
            .enumerate()
            .filter(|(_, c)| want(**c))
            .map(|(i, _)| format!("{kind}{i}"))
            .collect()
    };
    let mut missing = named('h', &seen_h, |c| c == 0);
    missing.extend(named('o', &seen_o, |c| c == 0));
    let mut twice = named('h', &seen_h, |c| c > 1);
    twice.extend(named('o', &seen_o, |c| c > 1));
    if !missing.is_empty() || !twice.is_empty() || !unknown.is_empty() {
        return Some(Problem::WrongAtoms {
            missing,
            twice,
            unknown,
        });
    }
    for (t, triple) in atoms.chunks(3).enumerate() {
        let oxygens = triple.iter().filter(|a| a.kind == 'o').count();
        if triple.len() != 3 || oxygens != 1 {
            let first = 3 * t;
            return Some(Problem::NotWater {
                first_line_no: first + 1,
                lines: [0, 1, 2].map(|k| lines.get(first + k).unwrap_or(&"").to_string()),
            });
        }
    }
    None
}

/// A short list of atom names for a message: the first few and how many.
fn some(names: &[String]) -> String {
    let shown: Vec<&str> = names.iter().take(8).map(String::as_str).collect();
    if names.len() > shown.len() {
        format!("{} ... ({} in all)", shown.join(" "), names.len())
    } else {
        shown.join(" ")
    }
}

fn describe_problem(p: &Problem) -> Failure {
    match p {
        Problem::BadLine { line_no, line } => {
            Failure::new(format!("line {line_no} is not a bond line"))
                .field("line:", show(line.as_bytes()))
                .field("expected:", "`bond h<i>!` or `bond o<i>!`")
        }
        Problem::WrongAtoms {
            missing,
            twice,
            unknown,
        } => {
            let mut f = Failure::new("not every atom bonded exactly once");
            if !missing.is_empty() {
                f = f.field("missing:", some(missing));
            }
            if !twice.is_empty() {
                f = f.field("twice:", some(twice));
            }
            if !unknown.is_empty() {
                f = f.field("unknown:", some(unknown));
            }
            f
        }
        Problem::NotWater {
            first_line_no,
            lines,
        } => Failure::new(format!(
            "lines {}-{} are not one oxygen and two hydrogens",
            first_line_no,
            first_line_no + 2
        ))
        .field("lines:", lines.join(" | "))
        .field(
            "expected:",
            "every three lines: one `bond o<i>!` and two `bond h<i>!`",
        ),
    }
}

/// Runs the step with N molecules, expecting it to end in time with exit 0;
/// returns its stdout.
fn run_once(ctx: &Ctx, n: usize, limit: std::time::Duration) -> Result<String, Failure> {
    let arg = n.to_string();
    let args: Vec<&str> = if n == 10 { vec![] } else { vec![&arg] };
    let factory_checked = factory_checked(ctx);
    let ran = ctx.run(&args, limit).map_err(|f| {
        f.field("expected:", format!("{} bond lines, then the end", 3 * n))
            .diagnose(if factory_checked {
                MAIN_HANGS
            } else {
                "a factory that can block forever has a wrong count: one oxygen permit, two hydrogen permits, a barrier of three; and each permit must be released."
            })
    })?;
    ran.succeeded()?.stdout()
}

/// Whether the factory made water when the harness polled it step by step:
/// a graded run comes after that check, which it needs, so a harness that
/// was built passed, and the factory's counts are right.
fn factory_checked(ctx: &Ctx) -> bool {
    ctx.step().harness.is_some() && ctx.grading.harness_exe(ctx.step()).is_ok()
}

/// Atoms missing, none twice, from a program that ended well, with a
/// factory that made water when polled step by step.
const ENDED_BEFORE_EVERY_ATOM: &str = "every atom that printed bonded once, and some never printed, though the program ended well: `main` returned before every atom's task had bonded. A task still running when `main` returns is dropped with the runtime: main awaits the JoinHandle of every atom's task, hydrogens and oxygens alike.";

/// A run that hangs, with a factory that made water when polled step by
/// step: what hangs is in `main`.
const MAIN_HANGS: &str = "the factory itself, polled step by step, made water: its counts are right. What hangs is in `main`: the atoms must all go through one factory, made once and shared (an `Arc<WaterFactory>`, a clone of it moved into each atom's task), so that three of them meet at its barrier; and main waits for every atom's task, each of which ends.";

/// Runs the step `runs` times with N molecules; every run must end, exit 0
/// and print correct water.
fn makes_water(ctx: &Ctx, n: usize, runs: usize) -> Verdict {
    for run_no in 1..=runs {
        let stdout = run_once(ctx, n, ctx.run_deadline())?;
        if let Some(p) = problems(&stdout, n) {
            let only_missing = matches!(&p, Problem::WrongAtoms { twice, unknown, .. }
                if twice.is_empty() && unknown.is_empty());
            let f = describe_problem(&p).field(
                "run:",
                format!("`{} {n}`, run {run_no} of {runs}", ctx.name()),
            );
            return Err(if only_missing && factory_checked(ctx) {
                f.diagnose(ENDED_BEFORE_EVERY_ATOM)
            } else {
                f
            });
        }
    }
    Ok(Pass::Passed)
}

/// Runs the step without N: it must make the default 10 molecules, of water.
fn default_is_ten(ctx: &Ctx) -> Verdict {
    let stdout = run_once(ctx, 10, ctx.deadline())?;
    let lines = stdout.lines().count();
    if lines != 30 {
        return Err(Failure::new(format!(
            "`{}` without N should make 10 molecules",
            ctx.name()
        ))
        .field("expected:", "30 bond lines")
        .field("got:", format!("{lines} lines"))
        .diagnose("N defaults to 10, as the slide's `let n = 10;`."));
    }
    match problems(&stdout, 10) {
        Some(p) => Err(describe_problem(&p).field("run:", format!("`{}`", ctx.name()))),
        None => Ok(Pass::Passed),
    }
}

/// The demos: run up to `max_runs` times until a molecule that is not H2O
/// shows; every run must still bond each atom exactly once. Returns what the
/// step showed.
fn shows_wrong_molecules(ctx: &Ctx, n: usize, max_runs: usize) -> Result<String, Failure> {
    for run_no in 1..=max_runs {
        let stdout = run_once(ctx, n, ctx.deadline())?;
        match problems(&stdout, n) {
            None => continue,
            Some(p @ Problem::NotWater { .. }) => {
                return Ok(format!(
                    "`{} {n}`, run {run_no}: {}",
                    ctx.name(),
                    describe_problem(&p).message()
                ));
            }
            Some(other) => return Err(describe_problem(&other)),
        }
    }
    Err(Failure::new(format!(
        "`{} {n}` made correct water in all {max_runs} runs: the slide's flaw did not show",
        ctx.name()
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn out(atoms: &[&str]) -> String {
        atoms.iter().map(|a| format!("bond {a}!\n")).collect()
    }

    #[test]
    fn parses_bond_lines_only() {
        assert_eq!(
            parse_line("bond h12!"),
            Some(Atom {
                kind: 'h',
                index: 12
            })
        );
        assert_eq!(
            parse_line("bond o0!"),
            Some(Atom {
                kind: 'o',
                index: 0
            })
        );
        for bad in [
            "bond x1!",
            "bond h!",
            "bond h1",
            "bond h-1!",
            "bond h1!!",
            "h1",
        ] {
            assert_eq!(parse_line(bad), None, "{bad}");
        }
    }

    #[test]
    fn correct_water_in_any_order_within_a_molecule() {
        assert_eq!(
            problems(&out(&["h1", "o0", "h0", "o1", "h3", "h2"]), 2),
            None
        );
    }

    #[test]
    fn three_hydrogens_are_not_water() {
        let p = problems(
            &out(&["o0", "h0", "h1", "h2", "h3", "h4", "o1", "h5", "o2"]),
            3,
        );
        assert_eq!(
            p,
            Some(Problem::NotWater {
                first_line_no: 4,
                lines: ["bond h2!".into(), "bond h3!".into(), "bond h4!".into()]
            })
        );
    }

    #[test]
    fn missing_and_doubled_atoms_are_named() {
        let p = problems(&out(&["o0", "h0", "h0"]), 1);
        assert_eq!(
            p,
            Some(Problem::WrongAtoms {
                missing: vec!["h1".into()],
                twice: vec!["h0".into()],
                unknown: vec![]
            })
        );
    }

    #[test]
    fn atoms_beyond_n_are_unknown() {
        let p = problems(&out(&["o0", "h0", "h1", "o1"]), 1);
        assert!(matches!(p, Some(Problem::WrongAtoms { unknown, .. }) if unknown == ["o1"]));
    }

    #[test]
    fn a_stray_line_is_reported_with_its_number() {
        let p = problems("bond o0!\nhello\n", 1);
        assert_eq!(
            p,
            Some(Problem::BadLine {
                line_no: 2,
                line: "hello".into()
            })
        );
    }
}
