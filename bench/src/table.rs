//! The slide's table, written out: in markdown for people (and for pasting
//! into the README), or as one JSON object for programs.

use crate::figures::{Figure, Measured, Published, Row, Unit};
use crate::stats::ratio;
use crate::units;
use serde_json::{Value, json};

/// Where the published figures come from. They were measured on another
/// machine, with other methods (pipes, not channels), years ago: a point of
/// comparison, not a target.
pub const PUBLISHED: &str = "https://github.com/jimblandy/context-switch";

/// What the issue that asked for this bench hopes for on a 2-core machine.
pub struct Target {
    pub key: &'static str,
    pub row: &'static str,
    pub at_least: f64,
    pub words: &'static str,
}

pub const TARGETS: [Target; 3] = [
    Target {
        key: "creation",
        row: "creation",
        at_least: 100.0,
        words: "creating a task at least 100 times cheaper than a thread",
    },
    Target {
        key: "switch_pinned",
        row: "switch",
        at_least: 10.0,
        words: "a pinned switch at least 10 times cheaper",
    },
    Target {
        key: "memory",
        row: "memory",
        at_least: 20.0,
        words: "memory per idle task at least 20 times smaller",
    },
];

/// A line about the machine, for the table's heading.
pub fn machine() -> String {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let mut words = vec![format!("{cores} cores"), std::env::consts::OS.to_string()];
    if let Some(release) = grader::exec::procfs::kernel_release() {
        words[1] = format!("Linux {release}");
    }
    if let Some(cpu) = grader::exec::procfs::cpu_model() {
        words.push(cpu);
    }
    words.join(", ")
}

/// The table in markdown, with its heading and notes.
pub fn markdown(measured: &Measured, command: &str) -> String {
    let s = &measured.settings;
    let mut out = String::new();
    out.push_str("## Threads vs async-await, measured on this machine\n\n");
    out.push_str(&format!(
        "`{command}`: N = {}, {} round trips per switch run, median of {} runs with the range in brackets; {}.\n\n",
        units::count(s.n),
        units::count(s.round_trips),
        s.runs,
        machine()
    ));
    out.push_str(
        "| metric | OS threads | tokio tasks | improvement | tokio tasks, current-thread runtime | improvement | published elsewhere: threads / tasks |\n",
    );
    out.push_str("|---|---|---|---|---|---|---|\n");
    for row in &measured.rows {
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} |\n",
            row.label,
            cell(&row.thread, row.unit),
            cell(&row.task, row.unit),
            improvement(&row.thread, &row.task),
            cell(&row.task_current_thread, row.unit),
            improvement(&row.thread, &row.task_current_thread),
            published(row),
        ));
    }
    out.push_str(&format!(
        "\nPublished elsewhere, not measured here: the README of <{PUBLISHED}>, on a 4-core laptop, with its own methods (for the switch, a bucket brigade of 500 threads or tasks, unpinned).\n"
    ));
    out.push_str("\nTargets (thread figure / task figure, multi-thread runtime):\n\n");
    for target in &TARGETS {
        let got = row(measured, target.row).and_then(|r| ratio_of(&r.thread, &r.task));
        let verdict = match got {
            Some(r) if r >= target.at_least => format!("met ({})", units::times(r)),
            Some(r) => format!("not met ({})", units::times(r)),
            None => "not measured".to_string(),
        };
        out.push_str(&format!("- {}: {verdict}\n", target.words));
    }
    let failures: Vec<String> = measured
        .rows
        .iter()
        .flat_map(|r| [&r.thread, &r.task, &r.task_current_thread].map(|f| (r.label, f)))
        .filter_map(|(label, f)| match f {
            Figure::Failed(e) => Some(format!("- {label}: {e}")),
            _ => None,
        })
        .collect();
    if !failures.is_empty() {
        out.push_str("\nNot measured:\n\n");
        out.push_str(&failures.join("\n"));
        out.push('\n');
    }
    out
}

/// The table as one JSON object: for each row the thread figure, the task
/// figure and their ratio (times in nanoseconds, sizes in bytes; `null`
/// where nothing could be measured).
pub fn json(measured: &Measured, command: &str) -> Value {
    let s = &measured.settings;
    let mut doc = json!({
        "command": command,
        "machine": machine(),
        "n": s.n,
        "runs": s.runs,
        "round_trips": s.round_trips,
        "published_source": PUBLISHED,
    });
    for row in &measured.rows {
        doc[row.key] = row_json(row);
    }
    // The kernel stack belongs to a thread's memory; its row in the markdown
    // table is for people, and in the JSON it sits in the memory row.
    if let Some(kernel) = row(measured, "kernel_stack") {
        doc["memory"]["kernel_stack_per_thread"] = value(&kernel.thread, kernel.unit);
        doc.as_object_mut()
            .expect("an object")
            .remove("kernel_stack");
    }
    doc["memory_against_n"] = json!(
        measured
            .memory_curves
            .iter()
            .map(|c| (
                c.kind.key().replace('-', "_"),
                c.points
                    .iter()
                    .map(|(n, bytes)| json!({"n": n, "bytes": bytes}))
                    .collect::<Value>()
            ))
            .collect::<serde_json::Map<_, _>>()
    );
    doc["targets"] = TARGETS
        .iter()
        .map(|t| {
            let got = row(measured, t.row).and_then(|r| ratio_of(&r.thread, &r.task));
            (
                t.key.to_string(),
                json!({"at_least": t.at_least, "ratio": got, "met": got.map(|r| r >= t.at_least)}),
            )
        })
        .collect::<serde_json::Map<_, _>>()
        .into();
    doc
}

fn row_json(row: &Row) -> Value {
    let unit = match row.unit {
        Unit::Seconds => "ns",
        Unit::Bytes => "bytes",
    };
    let range = |f: &Figure| match f {
        Figure::Measured(s) => json!([scale(s.min, row.unit), scale(s.max, row.unit)]),
        _ => Value::Null,
    };
    let mut v = json!({
        "label": row.label,
        "unit": unit,
        "thread": value(&row.thread, row.unit),
        "task": value(&row.task, row.unit),
        "ratio": ratio_of(&row.thread, &row.task),
        "task_current_thread": value(&row.task_current_thread, row.unit),
        "ratio_current_thread": ratio_of(&row.thread, &row.task_current_thread),
        "range": {
            "thread": range(&row.thread),
            "task": range(&row.task),
            "task_current_thread": range(&row.task_current_thread),
        },
    });
    if let Some(p) = row.published {
        v["published_elsewhere"] = json!({
            "thread": scale(p.thread, row.unit),
            "task": p.task.map(|t| scale(t, row.unit)),
            "ratio": p.task.and_then(|t| ratio(p.thread, t)),
        });
    }
    v
}

fn row<'a>(measured: &'a Measured, key: &str) -> Option<&'a Row> {
    measured.rows.iter().find(|r| r.key == key)
}

fn ratio_of(thread: &Figure, task: &Figure) -> Option<f64> {
    ratio(thread.median()?, task.median()?)
}

fn scale(x: f64, unit: Unit) -> f64 {
    match unit {
        Unit::Seconds => x * 1e9,
        Unit::Bytes => x,
    }
}

fn value(f: &Figure, unit: Unit) -> Value {
    f.median().map_or(Value::Null, |m| json!(scale(m, unit)))
}

fn show(x: f64, unit: Unit) -> String {
    match unit {
        Unit::Seconds => units::time(x),
        Unit::Bytes => units::bytes(x),
    }
}

fn cell(f: &Figure, unit: Unit) -> String {
    match f {
        Figure::Measured(s) if s.runs > 1 => {
            units::with_range(s.median, s.min, s.max, unit == Unit::Seconds)
        }
        Figure::Measured(s) => show(s.median, unit),
        Figure::None => "none".to_string(),
        Figure::Failed(_) => "not measured".to_string(),
    }
}

fn improvement(thread: &Figure, task: &Figure) -> String {
    ratio_of(thread, task).map_or_else(|| "–".to_string(), units::times)
}

fn published(row: &Row) -> String {
    match row.published {
        None => "–".to_string(),
        Some(Published {
            thread,
            task: Some(task),
        }) => format!(
            "{} / {} ({})",
            show(thread, row.unit),
            show(task, row.unit),
            units::times(thread / task)
        ),
        Some(Published { thread, task: None }) => {
            format!("{} / none", show(thread, row.unit))
        }
    }
}
