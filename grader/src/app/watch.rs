//! `--watch`: grade everything once, then grade a step again each time its
//! file is saved, like rustlings' watch mode.
//!
//! Saves are found by looking at the step files' modification times a few
//! times a second: it works alike on every platform and file system,
//! including the shared folders of WSL and virtual machines, where file
//! system events often do not arrive.

use crate::catalogue::STEPS;
use crate::error::Error;
use crate::report::text;
use crate::settings::Settings;
use crate::step::Step;
use crate::target::Target;
use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

/// How often the step files are looked at.
const LOOK: Duration = Duration::from_millis(250);

pub fn watch(target: &Target, settings: &Settings, color: bool) -> Result<(), Error> {
    let dir = target.dir.join("src").join("bin");
    if !dir.is_dir() {
        return Err(Error::said(format!(
            "cannot watch {}: no such folder",
            dir.display()
        )));
    }
    let mut seen = stamps(target);
    let all: Vec<&'static Step> = STEPS.iter().collect();
    show(target, settings, &all, color);
    loop {
        println!(
            "\nWatching {}: save a step's file to grade it again. Ctrl-C to quit.",
            dir.display()
        );
        let saved = loop {
            std::thread::sleep(LOOK);
            let now = stamps(target);
            let changed: Vec<&'static Step> = STEPS
                .iter()
                .filter(|s| now.get(s.name) != seen.get(s.name))
                .collect();
            if !changed.is_empty() {
                // Editors save in bursts (write, rename, touch): wait until
                // the files stop changing before grading.
                let mut settled = now;
                loop {
                    std::thread::sleep(LOOK);
                    let again = stamps(target);
                    if again == settled {
                        break;
                    }
                    settled = again;
                }
                seen = settled;
                break changed;
            }
        };
        show(target, settings, &saved, color);
    }
}

/// Each step file's modification time and size, where it can be read.
fn stamps(target: &Target) -> HashMap<&'static str, (SystemTime, u64)> {
    STEPS
        .iter()
        .filter_map(|s| {
            let path: PathBuf = target.source(s.name);
            let meta = std::fs::metadata(path).ok()?;
            Some((s.name, (meta.modified().ok()?, meta.len())))
        })
        .collect()
}

fn show(target: &Target, settings: &Settings, steps: &[&'static Step], color: bool) {
    let report = super::grade(target, settings, Some(steps), false);
    if color {
        // Clear the screen, as rustlings does, so the newest result is on top.
        print!("\x1b[2J\x1b[H");
    }
    match steps {
        [one] => print!("{}", text::step(&report, one.name, color)),
        _ => print!("{}", text::report(&report, color)),
    }
}
