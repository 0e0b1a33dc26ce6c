//! The files of a harness bin, in the crate of a target's steps: the code
//! the grader compiles around a copy of a student's file, as a module of
//! it, so that the harness sees the file's private items (see
//! `checks::harness` for how it runs).

/// The code of a step's harness: its module (`grader/harness/<step>.rs`),
/// and the modules that module declares, each by the path its `#[path]`
/// gives, from the harness's folder (`<step>/*.rs`): written beside the
/// harness as they are beside it here, so that rustfmt and the compiler
/// find them alike.
#[derive(Debug, Clone, Copy)]
pub struct HarnessCode {
    pub main: &'static str,
    pub parts: &'static [(&'static str, &'static str)],
}

/// Compiled into every harness: it runs the checks and reports them, and
/// records the events of a run (a module of the runner's).
pub(crate) const RUNNER: &str = include_str!("../../harness/runner.rs");
pub(crate) const TRACE: &str = include_str!("../../harness/trace.rs");

/// What a harness and the grader say to each other (`crate::protocol`),
/// compiled into both.
pub(crate) const PROTOCOL: &str = include_str!("../../harness/protocol.rs");

/// The prefix of the harnesses' bins.
pub(crate) const PREFIX: &str = "harness-";

/// The harness bin of a step.
pub(crate) fn bin(step: &str) -> String {
    format!("{PREFIX}{step}")
}

/// The student's file as the harness's parent: each `#![forbid(..)]` read
/// as `#![deny(..)]`. The harness is a module of that file, and a forbidden
/// lint cannot be allowed below it, where the harness must allow its one
/// `unsafe` (it hides its own process) and the names it leaves unused: a
/// right file that forbids `unsafe_code` must not stop its harness. The
/// student's own code is held to the same: what is denied still fails, and
/// the check of unsafe code reads the file as written.
///
/// Only the file's own attributes, at its top, are read so: a macro sees
/// the tokens it is given, and one given `#![forbid]` further down would
/// tell the harness's copy from the file the check of unsafe code read,
/// and expand to other code in it.
fn forbid_as_deny(text: &str) -> String {
    use super::lexer::{Token, closing, tokens};
    let all = tokens(text);
    let at = |i: usize| all.get(i).map_or("", |t| &text[t.start..t.end]);
    let mut out = String::with_capacity(text.len());
    let mut from = 0;
    let mut i = 0;
    // The file's inner attributes: `#![..]`, one after another, first.
    while (at(i), at(i + 1), at(i + 2)) == ("#", "!", "[") {
        let end = closing(text, &all, i + 2).unwrap_or(all.len() - 1);
        for t in &all[i + 2..=end] {
            if t.token == Token::Word && &text[t.start..t.end] == "forbid" {
                out.push_str(&text[from..t.start]);
                // The same width: the compiler's columns stay the student's.
                out.push_str("deny  ");
                from = t.end;
            }
        }
        i = end + 1;
    }
    out.push_str(&text[from..]);
    out
}

/// The harness bin's root: the copy of the student's file, its harness a
/// module of it. The file is the crate's root, as in the step's own bin, so
/// that its `crate::` and `$crate::` paths name what they name there.
pub(crate) fn root(step: &str) -> String {
    format!("src/harness/{step}/student.rs")
}

/// The lints a student's file may set to `deny`, each allowed again on the
/// harness's module: the student's levels hold the student's code, not the
/// grader's. (`allow(warnings)` does not undo a lint denied by name.) Read
/// from `rustc -W help` of the workspace's toolchain, those at `allow` or
/// `warn` by default.
const LINTS: &str = include_str!("../../harness/lints.txt");

/// The copy of the student's file that is the harness bin's root: its
/// `#![forbid]`s read as `deny` (`forbid_as_deny`), its `fn main` renamed
/// `_main` (`main_aside`), and after it the harness's module, with every
/// lint allowed, and the harness's `main`.
fn harness_root(student: &str) -> String {
    let (bom, text) = match student.strip_prefix('\u{feff}') {
        Some(rest) => ("\u{feff}", rest),
        None => ("", student),
    };
    let lints: Vec<&str> = LINTS.lines().filter(|l| !l.trim().is_empty()).collect();
    // On the file's first line, so that its lines keep their numbers.
    format!(
        "{bom}#![allow(dead_code, unused_imports)] {}\n\n// Written by the grader: its harness, a module of this file, and its `main`.\n#[allow({})]\n#[path = \"harness.rs\"]\npub(crate) mod grader_harness;\n\nfn main() {{\n    // The file's own `main`, kept alive, so that what it alone uses is no\n    // dead code here.\n    let _ = _main;\n    grader_harness::run();\n}}\n",
        main_aside(&forbid_as_deny(text)),
        lints.join(", ")
    )
}

/// The file with its `fn main` (at its top level, outside what a macro of
/// its own is given) named `_main`: the harness's `main` takes its place.
fn main_aside(text: &str) -> String {
    use super::lexer::{Token, tokens};
    let all = tokens(text);
    let in_macro = super::safety::macro_sensitive(text, &all);
    let at = |i: usize| all.get(i).map_or("", |t| &text[t.start..t.end]);
    let mut depth = 0usize;
    for (i, token) in all.iter().enumerate() {
        if token.token == Token::Punct {
            match at(i) {
                "{" => depth += 1,
                "}" => depth = depth.saturating_sub(1),
                _ => {}
            }
            continue;
        }
        let is_main = depth == 0
            && at(i) == "main"
            && !in_macro[i]
            && i > 0
            && at(i - 1) == "fn"
            && matches!(at(i + 1), "(" | "<");
        if is_main {
            return format!("{}_main{}", &text[..token.start], &text[token.end..]);
        }
    }
    text.to_string()
}

/// The files of the step's harness bin, paths inside the crate: its root,
/// the copy of the student's file with the harness declared as a module of
/// it (`harness_root`); and the harness, its parts, its runner and the
/// protocol, side by side.
pub(crate) fn files(step: &str, code: &HarnessCode, student: &str) -> Vec<(String, String)> {
    let dir = format!("src/harness/{step}");
    let mut files = vec![
        (root(step), harness_root(student)),
        (format!("{dir}/harness.rs"), code.main.to_string()),
        (format!("{dir}/runner.rs"), RUNNER.to_string()),
        (format!("{dir}/trace.rs"), TRACE.to_string()),
        (format!("{dir}/protocol.rs"), PROTOCOL.to_string()),
    ];
    for (file, text) in code.parts {
        files.push((format!("{dir}/{file}"), text.to_string()));
    }
    files
}

#[cfg(test)]
mod tests {
    use super::forbid_as_deny;

    #[test]
    fn a_forbidden_lint_is_denied_in_the_harness_s_copy() {
        let text = "#![forbid(unsafe_code)]\n#![ forbid ( warnings ) ]\n#![cfg_attr(all(), forbid(missing_docs))]\n// #![forbid(x)]\nfn forbid() {}\n";
        assert_eq!(
            forbid_as_deny(text),
            "#![deny  (unsafe_code)]\n#![ deny   ( warnings ) ]\n#![cfg_attr(all(), deny  (missing_docs))]\n// #![forbid(x)]\nfn forbid() {}\n"
        );
    }

    #[test]
    fn a_macro_is_given_the_same_tokens_in_the_harness_s_copy() {
        // Given `#![forbid]` in one build and `#![deny]` in another, a
        // macro would expand to code the check of unsafe code never read.
        let text = "#![forbid(unsafe_code)]\nmacro_rules! m { (#![forbid]) => {}; (#![deny]) => {}; }\nm!(#![forbid]);\n#![forbid(late)]\n";
        assert_eq!(
            forbid_as_deny(text),
            text.replacen("#![forbid(unsafe_code)]", "#![deny  (unsafe_code)]", 1)
        );
    }
}
