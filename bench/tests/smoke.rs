//! The bench run as a user runs it, at tiny N so that it takes seconds even
//! in a debug build: the shape of what it prints and draws (the table's rows,
//! the JSON's keys, the SVG files), never how fast anything was.

use assert_cmd::Command;
use serde_json::Value;
use std::fs;
use std::path::PathBuf;

fn bench() -> Command {
    Command::new(env!("CARGO_BIN_EXE_bench"))
}

/// A directory of this test's own for the figures: never `bench/figures`,
/// where the committed ones are.
fn out_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("bench-smoke-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    dir
}

fn assert_svg(path: &PathBuf) {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(text.starts_with("<svg"), "{} is not an SVG", path.display());
    assert!(text.trim_end().ends_with("</svg>"));
}

fn run(cmd: &mut Command) -> String {
    let output = cmd.output().unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "{:?}: {}\nstdout:\n{stdout}\nstderr:\n{stderr}",
        cmd,
        output.status
    );
    stdout
}

/// The cells of a markdown table row.
fn cells(line: &str) -> Vec<&str> {
    line.trim()
        .trim_matches('|')
        .split('|')
        .map(str::trim)
        .collect()
}

#[test]
fn the_table_has_every_row_of_the_slide() {
    let out = out_dir("table");
    let stdout = run(bench()
        .args(["--quick", "--n", "20", "--runs", "2", "--out"])
        .arg(&out));
    let header = stdout
        .lines()
        .find(|l| l.starts_with("| metric |"))
        .expect("a table header");
    assert_eq!(
        cells(header),
        [
            "metric",
            "OS threads",
            "tokio tasks",
            "improvement",
            "tokio tasks, current-thread runtime",
            "improvement",
            "published elsewhere: threads / tasks",
        ]
    );
    for row in [
        "creation time",
        "context switch, unpinned",
        "context switch, pinned to one core",
        "memory per idle thread or task",
        "kernel stack per thread",
    ] {
        let line = stdout
            .lines()
            .find(|l| l.starts_with(&format!("| {row}")))
            .unwrap_or_else(|| panic!("no row {row:?} in:\n{stdout}"));
        assert_eq!(cells(line).len(), 7, "{line}");
    }
    assert!(stdout.contains("Published elsewhere, not measured here"));
    for target in ["100 times cheaper", "10 times cheaper", "20 times smaller"] {
        assert!(stdout.contains(target), "no target {target:?}");
    }
    assert_svg(&out.join("memory.svg"));
    let _ = fs::remove_dir_all(&out);
}

#[test]
fn json_has_the_thread_figure_the_task_figure_and_their_ratio_per_row() {
    let out = out_dir("json");
    let stdout = run(bench()
        .args(["--quick", "--json", "--n", "20", "--runs", "2", "--out"])
        .arg(&out));
    let doc: Value = serde_json::from_str(&stdout).expect("one JSON object on stdout");
    for row in ["creation", "switch", "switch_unpinned", "memory"] {
        let row_doc = &doc[row];
        for key in ["thread", "task", "ratio", "task_current_thread", "unit"] {
            assert!(row_doc.get(key).is_some(), "{row} has no {key}: {row_doc}");
        }
    }
    // Times are always measured (pinning, for `switch`, on Linux only);
    // memory at N = 20 may be too small to see.
    let timed: &[&str] = if cfg!(target_os = "linux") {
        &["creation", "switch", "switch_unpinned"]
    } else {
        &["creation", "switch_unpinned"]
    };
    for &row in timed {
        assert!(doc[row]["thread"].as_f64().unwrap() > 0.0);
        assert!(doc[row]["task"].as_f64().unwrap() > 0.0);
        assert!(doc[row]["ratio"].as_f64().unwrap() > 0.0);
    }
    assert_eq!(doc["n"], 20);
    assert!(doc["memory_against_n"]["threads"].is_array());
    assert!(doc["memory_against_n"]["tasks_current_thread"].is_array());
    assert!(doc["targets"]["creation"].get("met").is_some());
    assert_svg(&out.join("memory.svg"));
    let _ = fs::remove_dir_all(&out);
}

#[test]
fn a_bad_argument_is_one_line_and_exit_2() {
    for args in [
        &["--n", "many"][..],
        &["--frobnicate"],
        &["echo", "echo-nothing"],
    ] {
        let output = bench().args(args).output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
        assert!(stderr.starts_with("error: ") && !stderr.contains("panicked"));
        assert!(output.stdout.is_empty());
    }
}

/// Builds the three echo steps (in the dev profile, which the workspace's
/// own builds share) and drives each with a handful of clients.
#[test]
fn echo_compare_reports_every_step() {
    let out = out_dir("echo");
    let stdout = run(bench()
        .args([
            "echo",
            "--quick",
            "--json",
            "--clients",
            "3",
            "--lines",
            "2",
            "--profile",
            "dev",
            "--out",
        ])
        .arg(&out)
        .arg("compare"));
    let doc: Value = serde_json::from_str(&stdout).expect("one JSON object on stdout");
    let runs = doc["runs"].as_array().expect("runs");
    let steps: Vec<&str> = runs.iter().map(|r| r["step"].as_str().unwrap()).collect();
    assert_eq!(
        steps,
        [
            "echo-thread",
            "echo-async-naive",
            "echo-spawn",
            "echo-own-runtime"
        ]
    );
    for run in runs {
        for key in [
            "connected",
            "served",
            "throughput_lines_per_s",
            "p50_ms",
            "p99_ms",
            "server_threads_peak",
            "server_peak_rss_bytes",
            "summary",
        ] {
            assert!(run.get(key).is_some(), "no {key} in {run}");
        }
    }
    // Three clients fit in any server's queue, even the naive one's: every
    // step serves them all, one at a time or not.
    for run in runs {
        assert_eq!(run["served"], 3, "{run}");
    }
    assert_svg(&out.join("latency.svg"));
    let _ = fs::remove_dir_all(&out);
}
