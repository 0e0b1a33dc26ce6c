//! Running the grader's own tests (`cargo test -p grader --test grade`) for
//! a target and reading the result of each test. The self-check and the
//! report use this, so there is one set of checks, never a second copy.

use crate::compile::cargo;
use crate::target::workspace_root;
use std::io::{BufRead, BufReader, Read};
use std::process::Stdio;

/// How one test ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Passed,
    /// Failed, with what the test printed (the failure message).
    Failed(String),
    Ignored,
}

/// The tests of one run, in the order they finished.
#[derive(Debug)]
pub struct TestRun {
    pub tests: Vec<(String, Outcome)>,
    /// Whether `cargo test` succeeded.
    pub success: bool,
    /// Everything cargo and the tests printed, for when nothing else helps.
    pub output: String,
}

impl TestRun {
    pub fn outcome(&self, name: &str) -> Option<&Outcome> {
        self.tests.iter().find(|(n, _)| n == name).map(|(_, o)| o)
    }

    pub fn failed(&self) -> Vec<&str> {
        self.tests
            .iter()
            .filter(|(_, o)| matches!(o, Outcome::Failed(_)))
            .map(|(n, _)| n.as_str())
            .collect()
    }
}

/// Runs the grade tests with `GRADE=grade`, keeping those whose names
/// contain `filter`.
pub fn grade_tests(grade: &str, filter: &str) -> Result<TestRun, String> {
    grade_tests_with(grade, filter, &mut |_| {})
}

/// As `grade_tests`, handing each line the tests print to `on_line` as it
/// comes (`running 47 tests`, `test echo_thread::one_line ... ok`), for progress.
pub fn grade_tests_with(
    grade: &str,
    filter: &str,
    on_line: &mut dyn FnMut(&str),
) -> Result<TestRun, String> {
    let mut cmd = cargo();
    cmd.arg("test")
        .arg("--manifest-path")
        .arg(workspace_root().join("Cargo.toml"))
        .args([
            "-p", "grader", "--test", "grade", "--color", "never", "--", "--color", "never",
        ])
        .arg(filter)
        .env("GRADE", grade)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot run cargo test: {e}"))?;
    let mut stderr_pipe = child.stderr.take().expect("stderr is piped");
    let stderr_reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr_pipe.read_to_string(&mut text);
        text
    });
    let mut stdout = String::new();
    for line in BufReader::new(child.stdout.take().expect("stdout is piped")).lines() {
        let Ok(line) = line else { break };
        on_line(&line);
        stdout.push_str(&line);
        stdout.push('\n');
    }
    let status = child
        .wait()
        .map_err(|e| format!("cannot wait for cargo test: {e}"))?;
    let stderr = stderr_reader.join().unwrap_or_default();
    Ok(TestRun {
        tests: parse(&stdout),
        success: status.success(),
        output: format!("{stdout}\n{stderr}"),
    })
}

/// Reads libtest's output: `test <name> ... ok|FAILED|ignored` lines, and
/// each failure's `---- <name> stdout ----` section.
pub fn parse(stdout: &str) -> Vec<(String, Outcome)> {
    let mut tests = Vec::new();
    for line in stdout.lines() {
        let Some(rest) = line.strip_prefix("test ") else {
            continue;
        };
        let Some((name, result)) = rest.rsplit_once(" ... ") else {
            continue;
        };
        let outcome = match result.trim() {
            "ok" => Outcome::Passed,
            "FAILED" => Outcome::Failed(section(stdout, name)),
            r if r.starts_with("ignored") => Outcome::Ignored,
            _ => continue,
        };
        tests.push((name.to_string(), outcome));
    }
    tests
}

/// What a failed test printed, without libtest's `Error: ` prefix.
fn section(stdout: &str, name: &str) -> String {
    let header = format!("---- {name} stdout ----");
    let Some(start) = stdout.find(&header) else {
        return String::new();
    };
    let body = &stdout[start + header.len()..];
    let end = [body.find("\n---- "), body.find("\nfailures:")]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(body.len());
    let text = body[..end].trim();
    text.strip_prefix("Error: ").unwrap_or(text).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "\nrunning 3 tests\ntest a::one ... ok\ntest a::two ... FAILED\ntest b::three ... ignored, slow\n\nfailures:\n\n---- a::two stdout ----\nError: the echo did not come back\n  sent:     \"hi\\n\"\n\n\nfailures:\n    a::two\n\ntest result: FAILED. 1 passed; 1 failed; 1 ignored\n";

    #[test]
    fn reads_each_test_and_the_failure_message() {
        let tests = parse(SAMPLE);
        assert_eq!(
            tests,
            vec![
                ("a::one".to_string(), Outcome::Passed),
                (
                    "a::two".to_string(),
                    Outcome::Failed(
                        "the echo did not come back\n  sent:     \"hi\\n\"".to_string()
                    )
                ),
                ("b::three".to_string(), Outcome::Ignored),
            ]
        );
    }
}
