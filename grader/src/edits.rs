//! The self-check's edited steps. A mutant is a known-wrong version of a
//! step, which the step's tests must catch; a variant is a right one written
//! otherwise than the solution (as students write it), which every check of
//! the step must pass. Both are stored as the edit that makes them from the
//! step's solution, so that they follow the solution when it changes, and
//! say plainly when they no longer apply.
//!
//! A `.mutant` file in `grader/mutants/<step>/`:
//!
//! ```text
//! //! Mutant of <step>: <the mistake, in a sentence>
//! //! Caught by: <step>::<check>      (one line per check that must fail;
//!                                      the first is the failure shown first)
//! //! Says: <words>                  (words its first failure must say; optional)
//! //! Or first: <step>::<check>      (a check before it that may catch it first,
//!                                      when its flaw shows there by chance)
//! //! Does not compile: on purpose    (only if its mistake is a compile error)
//! //! A race: caught every run        (a mistake that shows only when threads
//!                                      meet it: the self-check grades it ten
//!                                      times, and each time the first check
//!                                      of `Caught by` must be the first to fail)
//! <<<<<<< solution
//! <lines of the solution, found exactly once>
//! =======
//! <the lines that replace them>
//! >>>>>>> mutant
//! ```
//!
//! A `.variant` file in `grader/variants/<step>/` is the same with
//! `//! Variant of <step>: <how it differs>`, no `Caught by`, and
//! `>>>>>>> variant` to end each edit.

use crate::error::Error;
use crate::target::workspace_root;
use std::fs;
use std::path::Path;

/// A mutant must fail; a variant must pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    Mutant,
    Variant,
}

impl Sort {
    /// The word of its header line, its end marker and its file extension.
    fn word(self) -> &'static str {
        match self {
            Sort::Mutant => "mutant",
            Sort::Variant => "variant",
        }
    }

    fn header(self) -> &'static str {
        match self {
            Sort::Mutant => "//! Mutant of ",
            Sort::Variant => "//! Variant of ",
        }
    }

    /// Where its files are, under `grader/`.
    pub fn dir(self) -> &'static str {
        match self {
            Sort::Mutant => "mutants",
            Sort::Variant => "variants",
        }
    }
}

/// One edited step: which step, what is wrong with it or different about
/// it, and, for a mutant, which tests must catch it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepEdit {
    pub kind: Sort,
    pub step: String,
    pub what: String,
    pub caught_by: Vec<String>,
    /// Words the first failure must say (`//! Says: <words>`): it names the
    /// mistake.
    pub says: Vec<String>,
    /// Earlier checks that may fail first (`//! Or first: <check>`): the
    /// mistake shows there only when the threads happen to meet it.
    pub or_first: Vec<String>,
    /// The mistake is a compile error, on purpose (`//! Does not compile: on
    /// purpose`); any other mutant, and every variant, must compile.
    pub does_not_compile: bool,
    /// The mistake is a race (`//! A race: caught every run`): it must be
    /// caught, by its first check, run after run.
    pub race: bool,
    /// (solution text, replacement), applied in order.
    edits: Vec<(String, String)>,
}

impl StepEdit {
    /// Reads a `.mutant` or `.variant` file's text.
    pub fn parse(kind: Sort, text: &str) -> Result<StepEdit, String> {
        let mut edit = StepEdit {
            kind,
            step: String::new(),
            what: String::new(),
            caught_by: Vec::new(),
            says: Vec::new(),
            or_first: Vec::new(),
            does_not_compile: false,
            race: false,
            edits: Vec::new(),
        };
        let end = format!(">>>>>>> {}", kind.word());
        let mut lines = text.lines();
        while let Some(line) = lines.next() {
            if let Some(rest) = line.strip_prefix(kind.header()) {
                let (step, what) = rest
                    .split_once(": ")
                    .ok_or_else(|| format!("`{}<step>: <what>`", kind.header()))?;
                edit.step = step.to_string();
                edit.what = what.to_string();
            } else if let Some(test) = line.strip_prefix("//! Caught by: ") {
                if kind == Sort::Variant {
                    return Err("a variant passes every check: it has no `Caught by`".to_string());
                }
                edit.caught_by.push(test.trim().to_string());
            } else if let Some(test) = line.strip_prefix("//! Or first: ") {
                if kind == Sort::Variant {
                    return Err("a variant fails nothing: nothing fails first".to_string());
                }
                edit.or_first.push(test.trim().to_string());
            } else if let Some(words) = line.strip_prefix("//! Says: ") {
                if kind == Sort::Variant {
                    return Err("a variant fails nothing: it says nothing".to_string());
                }
                edit.says.push(words.trim().to_string());
            } else if line == "//! Does not compile: on purpose" {
                if kind == Sort::Variant {
                    return Err("a variant is a right answer: it compiles".to_string());
                }
                edit.does_not_compile = true;
            } else if line == "//! A race: caught every run" {
                if kind == Sort::Variant {
                    return Err("a variant is a right answer: it has no race".to_string());
                }
                edit.race = true;
            } else if line == "<<<<<<< solution" {
                let old = block(&mut lines, "=======")?;
                let new = block(&mut lines, &end)?;
                edit.edits.push((old, new));
            } else if !line.trim().is_empty() {
                return Err(format!("unexpected line {line:?}"));
            }
        }
        let caught = kind == Sort::Variant || !edit.caught_by.is_empty();
        if edit.step.is_empty() || !caught || edit.edits.is_empty() {
            return Err(match kind {
                Sort::Mutant => "a mutant needs its `Mutant of`, its `Caught by` and an edit",
                Sort::Variant => "a variant needs its `Variant of` and an edit",
            }
            .to_string());
        }
        Ok(edit)
    }

    /// The edited step's source: the solution with each edit made.
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

/// The mutant or variant in `grader/<mutants|variants>/<file>` (its kind
/// told by its extension) and its source, made from this workspace's
/// solution of its step.
pub fn load(file: &str) -> Result<(StepEdit, String), Error> {
    let kind = if file.ends_with(".variant") {
        Sort::Variant
    } else {
        Sort::Mutant
    };
    let root = workspace_root();
    let read = |path: &Path| fs::read_to_string(path).map_err(Error::io("read", path));
    let grader = root.join("grader").join(kind.dir());
    let edit =
        StepEdit::parse(kind, &read(&grader.join(file))?).map_err(|e| Error::format(file, e))?;
    let solution = read(
        &root
            .join("solutions/src/bin")
            .join(format!("{}.rs", edit.step)),
    )?;
    let source = edit.apply(&solution).map_err(|e| Error::format(file, e))?;
    Ok((edit, source))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "//! Mutant of echo-thread: drops the newline.\n//! Caught by: echo_thread::one_line\n<<<<<<< solution\n    write(&buf[..size])?;\n=======\n    write(&buf[..size - 1])?;\n>>>>>>> mutant\n";

    #[test]
    fn reads_and_applies_an_edit() {
        let m = StepEdit::parse(Sort::Mutant, SAMPLE).unwrap();
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
        let m = StepEdit::parse(Sort::Mutant, SAMPLE).unwrap();
        let e = m.apply("fn f() {}\n").unwrap_err();
        assert!(e.contains("occur 0 times"), "{e}");
    }

    #[test]
    fn a_file_without_an_edit_is_refused() {
        assert!(
            StepEdit::parse(Sort::Mutant, "//! Mutant of x: y\n//! Caught by: x::z\n").is_err()
        );
    }

    #[test]
    fn a_variant_has_no_caught_by_and_ends_its_edits_as_a_variant() {
        let variant = "//! Variant of echo-thread: a new buffer per line.\n<<<<<<< solution\n    buf.clear();\n=======\n    buf = Vec::new();\n>>>>>>> variant\n";
        let v = StepEdit::parse(Sort::Variant, variant).unwrap();
        assert_eq!((v.kind, v.step.as_str()), (Sort::Variant, "echo-thread"));
        assert!(v.caught_by.is_empty());
        let with_caught = variant.replace("<<<", "//! Caught by: echo_thread::one_line\n<<<");
        assert!(StepEdit::parse(Sort::Variant, &with_caught).is_err());
        // A mutant's end marker does not end a variant's edit.
        let e =
            StepEdit::parse(Sort::Variant, &variant.replace("> variant", "> mutant")).unwrap_err();
        assert!(e.contains(">>>>>>> variant"), "{e}");
    }
}
