//! `--watch`: grade everything once, then grade a step again each time its
//! file is saved, like rustlings' watch mode.

use crate::report::Report;
use crate::runner::grade_tests;
use crate::steps::{STEPS, Step};
use crate::target::Target;
use notify::{EventKind, RecursiveMode, Watcher};
use std::collections::BTreeSet;
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Editors save in bursts (write, rename, touch): events this close together
/// are one save.
const SAVE_BURST: Duration = Duration::from_millis(250);

pub fn watch(grade: &str, target: &Target, color: bool) -> Result<(), String> {
    let dir = target.dir.join("src").join("bin");
    let (tx, rx) = mpsc::channel();
    let mut watcher = notify::recommended_watcher(move |event| {
        let _ = tx.send(event);
    })
    .map_err(|e| format!("cannot watch {}: {e}", dir.display()))?;
    watcher
        .watch(&dir, RecursiveMode::NonRecursive)
        .map_err(|e| format!("cannot watch {}: {e}", dir.display()))?;

    let all: Vec<&'static Step> = STEPS.iter().collect();
    grade_and_show(grade, target, &all, color)?;
    loop {
        println!(
            "\nWatching {}: save a step's file to grade it again. Ctrl-C to quit.",
            dir.display()
        );
        let mut saved = BTreeSet::new();
        let first = rx
            .recv()
            .map_err(|_| "the file watcher stopped".to_string())?;
        saved.extend(steps_in(first));
        while let Ok(event) = rx.recv_timeout(SAVE_BURST) {
            saved.extend(steps_in(event));
        }
        let steps: Vec<&'static Step> = STEPS.iter().filter(|s| saved.contains(s.name)).collect();
        if !steps.is_empty() {
            grade_and_show(grade, target, &steps, color)?;
        }
    }
}

/// The steps whose files an event touched.
fn steps_in(event: notify::Result<notify::Event>) -> Vec<&'static str> {
    let Ok(event) = event else {
        return Vec::new();
    };
    if !matches!(event.kind, EventKind::Create(_) | EventKind::Modify(_)) {
        return Vec::new();
    }
    event
        .paths
        .iter()
        .filter_map(|p| p.file_stem()?.to_str())
        .filter_map(|stem| STEPS.iter().find(|s| s.name == stem).map(|s| s.name))
        .collect()
}

fn grade_and_show(
    grade: &str,
    target: &Target,
    steps: &[&'static Step],
    color: bool,
) -> Result<(), String> {
    let started = Instant::now();
    // One filter per step would mean one cargo run each; a shared filter
    // only when grading one step.
    let filter = match steps {
        [one] => format!("{}::", one.test_prefix()),
        _ => String::new(),
    };
    let run = grade_tests(grade, &filter)?;
    let report = Report::from_run(&target.label, &run, started.elapsed().as_secs_f64());
    if color {
        // Clear the screen, as rustlings does, so the newest result is on top.
        print!("\x1b[2J\x1b[H");
    }
    match steps {
        [one] => print!("{}", report.step_text(one.name, color)),
        _ => print!("{}", report.text(color)),
    }
    Ok(())
}
