//! The load test's results: a markdown table, one row per step, or one JSON
//! object.

use super::Run;
use super::clients::Spec;
use crate::stats::percentile;
use crate::units;
use serde_json::{Value, json};

/// The table, with a heading that says what the load was.
pub fn markdown(runs: &[Run], spec: &Spec, command: &str) -> String {
    let mut out = format!(
        "## Echo load: {} clients at once, {} lines each\n\n",
        units::count(spec.clients),
        spec.lines
    );
    let pace = if spec.interval.is_zero() {
        "all at once, each sends its lines back to back, the next as soon as the echo of the last is back: a stress test, where latency is mostly time spent queueing".to_string()
    } else {
        let every = units::time(spec.interval.as_secs_f64());
        format!(
            "each sends a line every {every} and times its echo, {} lines/s in all, the clients' first lines spread evenly over the first {every}",
            units::count((spec.clients as f64 / spec.interval.as_secs_f64()).round() as usize)
        )
    };
    out.push_str(&format!(
        "`{command}`: the clients connect; then {pace}. Over loopback on {}; the clients' tokio workers share the cores with the server.\n\n",
        crate::table::machine()
    ));
    out.push_str("| step | connected | served | lines/s | p50 latency | p99 latency | server threads (peak) | server memory (peak RSS) | what happened |\n");
    out.push_str("|---|---|---|---|---|---|---|---|---|\n");
    for run in runs {
        let e = &run.echoed;
        let latency = |p| percentile(&e.latencies, p).map_or_else(|| "–".to_string(), units::time);
        let peak = |n: u64, show: &dyn Fn(u64) -> String| {
            if n == 0 {
                "not measured".to_string()
            } else {
                show(n)
            }
        };
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
            run.step,
            units::count(run.connected.connected),
            units::count(e.served),
            throughput(run).map_or_else(|| "–".to_string(), |t| units::count(t.round() as usize)),
            latency(50.0),
            latency(99.0),
            peak(run.peak.threads, &|n| units::count(n as usize)),
            peak(run.peak.rss, &|b| units::bytes(b as f64)),
            what_happened(run, spec),
        ));
    }
    out
}

/// The results as one JSON object (times in milliseconds, sizes in bytes).
pub fn json(runs: &[Run], spec: &Spec, command: &str) -> Value {
    let runs: Vec<Value> = runs
        .iter()
        .map(|run| {
            let e = &run.echoed;
            let c = &run.connected;
            let ms = |p| percentile(&e.latencies, p).map(|s| s * 1e3);
            let nonzero = |n: u64| (n > 0).then_some(n);
            json!({
                "step": run.step,
                "connected": c.connected,
                "not_connected": {"refused": c.refused, "timed_out": c.timed_out},
                "connect_seconds": c.elapsed.as_secs_f64(),
                "served": e.served,
                "failed": e.failed,
                "unfinished": e.unfinished,
                "lines_echoed": e.latencies.len(),
                "echo_seconds": e.elapsed.as_secs_f64(),
                "throughput_lines_per_s": throughput(run),
                "p50_ms": ms(50.0),
                "p99_ms": ms(99.0),
                "max_ms": ms(100.0),
                "server_threads_idle": run.idle_threads,
                "server_threads_peak": nonzero(run.peak.threads),
                "server_peak_rss_bytes": nonzero(run.peak.rss),
                "server_accepted_when_connected": run.accepted_when_connected,
                "server_exit": run.server_exit,
                "first_error": c.first_error.as_ref().or(e.first_error.as_ref()),
                "failure": run.failure,
                "summary": what_happened(run, spec),
            })
        })
        .collect();
    json!({
        "command": command,
        "machine": crate::table::machine(),
        "clients": spec.clients,
        "lines": spec.lines,
        "interval_ms": spec.interval.as_secs_f64() * 1e3,
        "deadline_s": spec.echo_deadline.as_secs_f64(),
        "runs": runs,
    })
}

/// Echoed lines per second of the echo phase.
fn throughput(run: &Run) -> Option<f64> {
    let secs = run.echoed.elapsed.as_secs_f64();
    (secs > 0.0 && !run.echoed.latencies.is_empty())
        .then(|| run.echoed.latencies.len() as f64 / secs)
}

/// The facts of a run, in words: who did not connect, who was not served,
/// and whether the server survived.
fn what_happened(run: &Run, spec: &Spec) -> String {
    if let Some(failure) = &run.failure {
        return format!("could not run: {failure}");
    }
    let (c, e) = (&run.connected, &run.echoed);
    let mut facts = Vec::new();
    if c.timed_out > 0 {
        facts.push(format!(
            "{} not connected after {}: the server had accepted {}",
            units::count(c.timed_out),
            units::time(spec.connect_deadline.as_secs_f64()),
            units::count(run.accepted_when_connected)
        ));
    }
    if c.refused > 0 {
        facts.push(format!(
            "{} could not connect ({})",
            units::count(c.refused),
            c.first_error.as_deref().unwrap_or("no reason given")
        ));
    }
    if e.unfinished > 0 {
        facts.push(format!(
            "{} still waiting for an echo after {}",
            units::count(e.unfinished),
            units::time(spec.echo_deadline.as_secs_f64())
        ));
    }
    if e.failed > 0 {
        facts.push(format!(
            "{} failed ({})",
            units::count(e.failed),
            e.first_error.as_deref().unwrap_or("no reason given")
        ));
    }
    if let Some(exit) = &run.server_exit {
        facts.push(format!("the server ended: {exit}"));
    }
    if facts.is_empty() {
        "every client served".to_string()
    } else {
        facts.join("; ")
    }
}
