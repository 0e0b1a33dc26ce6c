//! Black-box checks of the H2O steps: run the bin with N molecules and read
//! its `bond h<i>!` / `bond o<i>!` lines.

use crate::compile::step_bin;
use crate::failure::{Failure, Grade, show, tail};
use crate::process::{describe, panics, run, run_deadline};
use crate::steps;
use crate::target::Target;

/// One atom as printed: `h` or `o`, and its number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Atom {
    pub kind: char,
    pub index: usize,
}

/// What is wrong with an H2O output, if anything.
#[derive(Debug, PartialEq, Eq)]
pub enum Problem {
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
pub fn parse_line(line: &str) -> Option<Atom> {
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
pub fn problems(stdout: &str, n: usize) -> Option<Problem> {
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
fn run_once(target: &Target, step: &str, n: usize, hint: &str) -> Result<String, Failure> {
    let exe = step_bin(target, step)?;
    let arg = n.to_string();
    let limit = run_deadline();
    let finished = run(&exe, &[&arg], limit)?.map_err(|t| {
        let printed = String::from_utf8_lossy(&t.stdout).lines().count();
        let mut f = Failure::new(format!(
            "`{step} {n}` did not finish within {} s: its tasks are stuck waiting",
            limit.as_secs()
        ))
        .field("printed:", format!("{printed} of {} bond lines", 3 * n))
        .timed_out();
        f = f.noting_todo(&t.stderr);
        f.hint(&format!(
            "a factory that can block forever has a wrong count: one oxygen permit, two hydrogen permits, a barrier of three. {hint}"
        ))
    })?;
    let stdout = String::from_utf8_lossy(&finished.stdout).into_owned();
    if !finished.status.success() {
        let mut f = Failure::new(format!(
            "`{step} {n}` failed ({})",
            describe(&finished.status)
        ));
        f = f.noting_todo(&finished.stderr);
        if let Some(panic) = panics(&finished.stderr) {
            f = f.block("it panicked", &panic);
        } else {
            f = f.block("its stderr", &tail(&finished.stderr, 10));
        }
        return Err(f.hint(hint));
    }
    if let Some(panic) = panics(&finished.stderr) {
        let mut f = Failure::new(format!("`{step} {n}`: a task panicked"));
        f = f.noting_todo(&finished.stderr);
        return Err(f.block("panic", &panic).hint(hint));
    }
    Ok(stdout)
}

/// Runs the step `runs` times with N molecules; every run must end, exit 0
/// and print correct water.
pub fn makes_water(target: &Target, step: &str, n: usize, runs: usize) -> Grade {
    let hint = steps::find(step).map_or("", |s| s.hint);
    for run_no in 1..=runs {
        let stdout = run_once(target, step, n, hint)?;
        if let Some(p) = problems(&stdout, n) {
            return Err(describe_problem(&p)
                .field("run:", format!("`{step} {n}`, run {run_no} of {runs}"))
                .hint(hint));
        }
    }
    Ok(())
}

/// Runs the step without N: it must make the default 10 molecules.
pub fn default_is_ten(target: &Target, step: &str) -> Grade {
    let exe = step_bin(target, step)?;
    let finished = run(&exe, &[], run_deadline())?.map_err(|_| {
        Failure::new(format!("`{step}` without N did not finish in time")).timed_out()
    })?;
    let stdout = String::from_utf8_lossy(&finished.stdout);
    let lines = stdout.lines().count();
    if !finished.status.success() || lines != 30 {
        return Err(
            Failure::new(format!("`{step}` without N should make 10 molecules"))
                .field("expected:", "30 bond lines and exit code 0")
                .field(
                    "got:",
                    format!("{lines} lines, {}", describe(&finished.status)),
                )
                .hint("N defaults to 10, as the slide's `let n = 10;`."),
        );
    }
    Ok(())
}

/// The demos: run up to `max_runs` times until a molecule that is not H2O
/// shows; every run must still bond each atom exactly once. Returns what the
/// step showed, for the test to print.
pub fn shows_wrong_molecules(
    target: &Target,
    step: &str,
    n: usize,
    max_runs: usize,
) -> Result<String, Failure> {
    let hint = steps::find(step).map_or("", |s| s.hint);
    for run_no in 1..=max_runs {
        let stdout = run_once(target, step, n, hint)?;
        match problems(&stdout, n) {
            None => continue,
            Some(p @ Problem::NotWater { .. }) => {
                return Ok(format!(
                    "`{step} {n}`, run {run_no}: {}",
                    describe_problem(&p).message()
                ));
            }
            Some(other) => return Err(describe_problem(&other).hint(hint)),
        }
    }
    Err(Failure::new(format!(
        "`{step} {n}` made correct water in all {max_runs} runs: the slide's flaw did not show"
    ))
    .hint(hint))
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
