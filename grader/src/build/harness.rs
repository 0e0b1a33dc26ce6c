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

/// The files of the step's harness bin, paths inside the crate: its
/// `main`; a copy of the student's file, with the harness declared as a
/// module of it; and the harness, its parts, its runner and the protocol,
/// side by side.
pub(crate) fn files(step: &str, code: &HarnessCode, student: &str) -> Vec<(String, String)> {
    let bin = bin(step);
    let dir = format!("src/harness/{step}");
    let main = format!(
        "//! Written by the grader.\n#[allow(dead_code, unused_imports)]\n#[path = \"../harness/{step}/student.rs\"]\nmod student;\n\nfn main() {{\n    student::grader_harness::run();\n}}\n"
    );
    // After the student's code, on a line of its own, whatever that code
    // ends with (a comment, say).
    let student = format!(
        "{student}\n\n// Written by the grader: its harness, a module of this file.\n#[path = \"harness.rs\"]\npub(crate) mod grader_harness;\n"
    );
    let mut files = vec![
        (format!("src/bin/{bin}.rs"), main),
        (format!("{dir}/student.rs"), student),
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
