//! `cargo run -p bench --release`: fills the slide "Threads vs Async-Await
//! (by Jim Blandy)" on this machine (creation time, context switch time and
//! memory of an OS thread and of a tokio task), and `bench echo` drives the
//! echo steps with many clients to show what those figures mean for a
//! server. See `--help`, and `bench/README.md` for the methods.

mod affinity;
mod cli;
mod creation;
mod echo_load;
mod figures;
mod limits;
mod memory;
mod plot;
mod progress;
mod runtime;
mod stats;
mod switch;
mod table;
mod units;

use cli::{Command, TableOptions};
use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let command = match cli::parse(&args) {
        Ok(command) => command,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let result = match command {
        Command::Help => {
            println!("{}", cli::USAGE);
            Ok(())
        }
        Command::Table(options) => table(&options, &args),
        Command::Echo(options) => echo_load::run(&options, &args),
        Command::ProbeMemory { kind, n } => memory::probe(kind, n).map(|growth| {
            println!("{} {}", growth.resident, growth.kernel_stacks);
        }),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn table(options: &TableOptions, args: &[String]) -> Result<(), String> {
    if !cfg!(target_os = "linux") {
        eprintln!(
            "note: memory is read from /proc and pinning uses sched_setaffinity, on Linux only: those figures are skipped here"
        );
    }
    let settings = figures::Settings::new(options.n, options.runs);
    let measured = figures::measure(&settings);
    let command = command_line(args);
    let svg = options.out.join("memory.svg");
    let drawn = write_figure(&svg, |path| plot::memory(path, &measured.memory_curves));
    if options.json {
        let doc = table::json(&measured, &command);
        println!(
            "{}",
            serde_json::to_string_pretty(&doc).expect("JSON values serialize")
        );
    } else {
        print!("{}", table::markdown(&measured, &command));
    }
    drawn
}

/// The command that produced a table, as a reader would type it.
pub fn command_line(args: &[String]) -> String {
    let mut line = "cargo run -p bench --release".to_string();
    if !args.is_empty() {
        line.push_str(" --");
        for arg in args {
            line.push(' ');
            line.push_str(arg);
        }
    }
    line
}

/// Draws a figure into `path`'s directory (made if need be), and says where
/// on stderr: stdout is for the table.
pub fn write_figure(
    path: &Path,
    draw: impl FnOnce(&Path) -> Result<(), String>,
) -> Result<(), String> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot make {}: {e}", dir.display()))?;
    }
    draw(path)?;
    eprintln!("wrote {}", path.display());
    Ok(())
}
