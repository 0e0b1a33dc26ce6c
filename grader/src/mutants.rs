//! The self-check's known-wrong steps. A mutant is stored as the edit that
//! makes it from the step's solution, so that it follows the solution when
//! the solution changes, and says plainly when it no longer applies.
//!
//! A `.mutant` file in `grader/mutants/<step>/`:
//!
//! ```text
//! //! Mutant of <step>: <the mistake, in a sentence>
//! //! Caught by: <step>::<check>      (one line per test that must fail)
//! <<<<<<< solution
//! <lines of the solution, found exactly once>
//! =======
//! <the lines that replace them>
//! >>>>>>> mutant
//! ```

use crate::target::workspace_root;
use std::fs;
use std::path::Path;

/// One mutant: which step, what is wrong, which tests must catch it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mutant {
    pub step: String,
    pub what: String,
    pub caught_by: Vec<String>,
    /// (solution text, replacement), applied in order.
    edits: Vec<(String, String)>,
}

impl Mutant {
    pub fn parse(text: &str) -> Result<Mutant, String> {
        let mut mutant = Mutant {
            step: String::new(),
            what: String::new(),
            caught_by: Vec::new(),
            edits: Vec::new(),
        };
        let mut lines = text.lines();
        while let Some(line) = lines.next() {
            if let Some(rest) = line.strip_prefix("//! Mutant of ") {
                let (step, what) = rest
                    .split_once(": ")
                    .ok_or("`//! Mutant of <step>: <what>`")?;
                mutant.step = step.to_string();
                mutant.what = what.to_string();
            } else if let Some(test) = line.strip_prefix("//! Caught by: ") {
                mutant.caught_by.push(test.trim().to_string());
            } else if line == "<<<<<<< solution" {
                let old = block(&mut lines, "=======")?;
                let new = block(&mut lines, ">>>>>>> mutant")?;
                mutant.edits.push((old, new));
            } else if !line.trim().is_empty() {
                return Err(format!("unexpected line {line:?}"));
            }
        }
        if mutant.step.is_empty() || mutant.caught_by.is_empty() || mutant.edits.is_empty() {
            return Err("a mutant needs its `Mutant of`, its `Caught by` and an edit".to_string());
        }
        Ok(mutant)
    }

    /// The mutant's source: the solution with each edit made.
    pub fn apply(&self, solution: &str) -> Result<String, String> {
        let mut source = solution.to_string();
        for (old, new) in &self.edits {
            match source.matches(old.as_str()).count() {
                1 => source = source.replacen(old.as_str(), new, 1),
                n => {
                    return Err(format!(
                        "the edit's solution lines occur {n} times in the solution, not once:\n{old}"
                    ));
                }
            }
        }
        Ok(source)
    }
}

/// The lines up to `end`, joined.
fn block<'a>(lines: &mut impl Iterator<Item = &'a str>, end: &str) -> Result<String, String> {
    let mut kept = Vec::new();
    for line in lines.by_ref() {
        if line == end {
            return Ok(kept.join("\n"));
        }
        kept.push(line);
    }
    Err(format!("an edit is missing its `{end}` line"))
}

/// The mutant in `grader/mutants/<file>` and its source, made from this
/// workspace's solution of its step.
pub fn load(file: &str) -> Result<(Mutant, String), String> {
    let root = workspace_root();
    let read = |path: &Path| {
        fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
    };
    let mutant = Mutant::parse(&read(&root.join("grader/mutants").join(file))?)
        .map_err(|e| format!("{file}: {e}"))?;
    let solution = read(
        &root
            .join("solutions/src/bin")
            .join(format!("{}.rs", mutant.step)),
    )?;
    let source = mutant
        .apply(&solution)
        .map_err(|e| format!("{file}: {e}"))?;
    Ok((mutant, source))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "//! Mutant of echo-thread: drops the newline.\n//! Caught by: echo_thread::one_line\n<<<<<<< solution\n    write(&buf[..size])?;\n=======\n    write(&buf[..size - 1])?;\n>>>>>>> mutant\n";

    #[test]
    fn reads_and_applies_an_edit() {
        let m = Mutant::parse(SAMPLE).unwrap();
        assert_eq!(
            (m.step.as_str(), m.what.as_str()),
            ("echo-thread", "drops the newline.")
        );
        assert_eq!(m.caught_by, ["echo_thread::one_line"]);
        let source = m.apply("fn f() {\n    write(&buf[..size])?;\n}\n").unwrap();
        assert_eq!(source, "fn f() {\n    write(&buf[..size - 1])?;\n}\n");
    }

    #[test]
    fn an_edit_that_no_longer_applies_says_so() {
        let m = Mutant::parse(SAMPLE).unwrap();
        let e = m.apply("fn f() {}\n").unwrap_err();
        assert!(e.contains("occur 0 times"), "{e}");
    }

    #[test]
    fn a_file_without_an_edit_is_refused() {
        assert!(Mutant::parse("//! Mutant of x: y\n//! Caught by: x::z\n").is_err());
    }
}
