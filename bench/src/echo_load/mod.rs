//! `bench echo STEP` and `bench echo compare`: the echo steps under load.
//!
//! Method: build the step from `solutions` (release by default), start it on
//! any free port, connect C clients to it over loopback, then have each send
//! L lines and time every echo (see `clients`). Report the clients connected
//! and served, the throughput (echoed lines per second of the echo phase),
//! the p50 and p99 round-trip latency, and the server's OS threads (sampled
//! from `/proc/<pid>/status`, and read once with every client connected and
//! idle) and its peak resident memory (`VmHWM`). The server is killed when
//! the run ends, whatever happened. `compare` runs echo-thread,
//! echo-async-naive, echo-spawn and echo-own-runtime one after the other,
//! with the same load,
//! and draws their latencies in `latency.svg`.
//!
//! The clients share the machine with the server: on 2 cores, their tokio
//! workers and the server compete for the same CPUs, so the figures are for
//! the pair, and a fair comparison between steps rather than a server's
//! capacity.

mod clients;
mod report;
mod server;

use crate::cli::EchoOptions;
use crate::progress::Progress;
use crate::{limits, plot};
use clients::{Connected, Echoed, Load, Spec};
use server::{Peak, Sampler, Server};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

/// One step's run.
pub struct Run {
    pub step: &'static str,
    pub connected: Connected,
    pub echoed: Echoed,
    /// The server's threads with every client connected and idle.
    pub idle_threads: Option<u64>,
    /// Connections the server had accepted when the connect phase ended.
    pub accepted_when_connected: usize,
    pub peak: Peak,
    /// The server's exit, if it ended during the run, and its last words.
    pub server_exit: Option<String>,
    /// Why the run could not happen at all.
    pub failure: Option<String>,
}

pub fn run(options: &EchoOptions, args: &[String]) -> Result<(), String> {
    // Each client is a socket here and another in the server.
    match limits::raise_open_files() {
        Ok(limit) if (limit as usize) < options.clients + 64 => eprintln!(
            "note: open files are limited to {limit}, and {} clients need about {}: some will not connect (`ulimit -n` raises the limit)",
            options.clients,
            options.clients + 64
        ),
        Ok(_) => {}
        Err(e) => eprintln!("note: {e}"),
    }
    let exes = server::build(&options.steps, &options.profile)?;
    let spec = Spec {
        clients: options.clients,
        lines: options.lines,
        interval: options.interval,
        connect_deadline: options.deadline / 3,
        echo_deadline: options.deadline,
    };
    let progress = Progress::new(spec.clients as u64);
    let runs: Vec<Run> = options
        .steps
        .iter()
        .map(|&step| {
            progress.say(format!("{step}: starting"));
            run_step(step, &exes[step], &spec, &progress)
        })
        .collect();
    drop(progress);

    let command = crate::command_line(args);
    if options.json {
        let doc = report::json(&runs, &spec, &command);
        println!(
            "{}",
            serde_json::to_string_pretty(&doc).expect("JSON values serialize")
        );
    } else {
        print!("{}", report::markdown(&runs, &spec, &command));
    }
    if runs.len() > 1 {
        let title = format!(
            "Echo round trips: {} clients at once, {} lines each",
            crate::units::count(spec.clients),
            spec.lines
        );
        let steps: Vec<plot::Latencies> = runs
            .iter()
            .map(|r| plot::Latencies {
                step: r.step,
                sorted: &r.echoed.latencies,
                served: format!(
                    "{} of {} clients served",
                    crate::units::count(r.echoed.served),
                    crate::units::count(spec.clients)
                ),
            })
            .collect();
        // Each load has a figure of its own: a stress run does not overwrite
        // the steady one.
        let name = if spec.interval.is_zero() {
            "latency-back-to-back.svg"
        } else {
            "latency.svg"
        };
        crate::write_figure(&options.out.join(name), |path| {
            plot::latency(path, &title, &steps)
        })?;
    }
    Ok(())
}

fn run_step(step: &'static str, exe: &Path, spec: &Spec, progress: &Progress) -> Run {
    let mut run = Run {
        step,
        connected: Connected::default(),
        echoed: Echoed::default(),
        idle_threads: None,
        accepted_when_connected: 0,
        peak: Peak::default(),
        server_exit: None,
        failure: None,
    };
    let accept_room = Arc::new(Semaphore::new(clients::NOT_YET_ACCEPTED));
    let room = accept_room.clone();
    let mut server = match Server::start(exe, move || room.add_permits(1)) {
        Ok(server) => server,
        Err(e) => {
            run.failure = Some(e);
            return run;
        }
    };
    let sampler = Sampler::start(server.pid());
    progress.say(format!("{step}: connecting"));
    let (load, connected) = match Load::connect(server.addr, spec, accept_room, progress) {
        Ok(started) => started,
        Err(e) => {
            run.failure = Some(e);
            return run;
        }
    };
    // A connect completes in the kernel before the server accepts it: let
    // the server catch up before counting its threads. A server that accepts
    // one client at a time never does: stop when it stops accepting.
    run.accepted_when_connected =
        server.wait_accepted(connected.connected, Duration::from_millis(250));
    let idle = grader::exec::procfs::status(Some(server.pid()));
    run.idle_threads = idle.as_ref().ok().map(|s| s.threads);
    progress.say(format!("{step}: echoing"));
    (run.connected, run.echoed) = load.echo(progress);
    run.peak = sampler.finish();
    run.peak.add(idle);
    run.server_exit = server.exited().map(|status| match server.last_words() {
        Some(words) => format!("{status}: {words}"),
        None => status,
    });
    run
}
