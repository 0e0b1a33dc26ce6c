//! A traced run as one self-contained SVG picture: lanes down the page,
//! events left to right, one column each, in the order they happened (time
//! is written under each, since waits of milliseconds sit beside polls of
//! microseconds).

use super::{Findings, findings, waker_lane};
use crate::protocol::{Event, What};

const LABELS: usize = 170;
const COLUMN: usize = 84;
const TOP: usize = 70;
const LANE: usize = 52;

/// Text made safe inside SVG.
fn text(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The lanes, in the order they first show: the futures' first, then who
/// woke them (the timer, the reactor, the database, a client), and the
/// executor's, when `block_on`'s future (`main`) is among them.
fn lanes(events: &[Event]) -> Vec<String> {
    let mut lanes: Vec<String> = Vec::new();
    let add = |lane: String, lanes: &mut Vec<String>| {
        if !lanes.contains(&lane) {
            lanes.push(lane);
        }
    };
    for event in events
        .iter()
        .filter(|e| matches!(e.what, What::Poll { .. }))
    {
        add(event.lane.clone(), &mut lanes);
    }
    for event in events {
        add(event.lane.clone(), &mut lanes);
        if let Some(by) = waker_lane(event) {
            add(by, &mut lanes);
        }
    }
    if lanes.iter().any(|l| l == "main") {
        lanes.push(EXECUTOR.to_string());
    }
    lanes
}

const EXECUTOR: &str = "the executor";

/// The picture of `step`'s traced run: `said` is how its scenario came out.
pub(crate) fn svg(step: &str, events: &[Event], said: &str) -> String {
    let lanes = lanes(events);
    let found: Findings = findings(events);
    let width = (LABELS + COLUMN * events.len().max(1) + 60).max(900);
    let height = TOP + LANE * lanes.len() + 90;
    let y = |lane: &str| TOP + LANE * lanes.iter().position(|l| l == lane).unwrap_or(0) + LANE / 2;
    let x = |i: usize| LABELS + COLUMN * i + COLUMN / 2;
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" font-family=\"sans-serif\" font-size=\"11\">\n"
    );
    out.push_str("<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M 0 0 L 10 5 L 0 10 z\" fill=\"context-stroke\"/></marker></defs>\n");
    out.push_str(&format!(
        "<rect width=\"{width}\" height=\"{height}\" fill=\"white\"/>\n"
    ));
    out.push_str(&format!(
        "<text x=\"12\" y=\"24\" font-size=\"15\" font-weight=\"bold\">{}: the lifecycle of its tasks</text>\n",
        text(step)
    ));
    out.push_str(&format!(
        "<text x=\"12\" y=\"44\" fill=\"#444\">{}</text>\n",
        text(said)
    ));
    // The lanes.
    for lane in &lanes {
        let y = y(lane);
        out.push_str(&format!(
            "<g class=\"lane\"><text x=\"12\" y=\"{}\" font-weight=\"bold\">{}</text><line x1=\"{LABELS}\" y1=\"{y}\" x2=\"{}\" y2=\"{y}\" stroke=\"#ddd\"/></g>\n",
            y + 4,
            text(lane),
            width - 20
        ));
    }
    // Where the executor waited.
    for (from, to) in &found.parked {
        let (x1, x2) = (x(*from) + COLUMN / 2 - 6, x(*to) - COLUMN / 2 + 6);
        let y = y(EXECUTOR);
        out.push_str(&format!(
            "<g class=\"parked\"><rect x=\"{x1}\" y=\"{}\" width=\"{}\" height=\"16\" rx=\"3\" fill=\"#e5e7eb\"/><text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"#555\">parked</text></g>\n",
            y - 8,
            x2.saturating_sub(x1).max(10),
            (x1 + x2) / 2,
            y + 4
        ));
    }
    for (i, event) in events.iter().enumerate() {
        let (x, ly) = (x(i), y(&event.lane));
        out.push_str(&format!(
            "<text x=\"{x}\" y=\"{}\" text-anchor=\"middle\" fill=\"#999\" font-size=\"9\">{:.1} ms</text>\n",
            TOP - 6,
            event.at_us as f64 / 1000.0
        ));
        match &event.what {
            What::Poll { n, ready } => {
                let (fill, result) = if *ready {
                    ("#bbf7d0", "Ready")
                } else {
                    ("#fde68a", "Pending")
                };
                let wrong = found.unwoken.contains(&i) || found.lost.contains(&i);
                let stroke = if wrong { "#dc2626" } else { "#555" };
                out.push_str(&format!(
                    "<g class=\"poll\" data-lane=\"{}\" data-result=\"{result}\"><rect x=\"{}\" y=\"{}\" width=\"70\" height=\"30\" rx=\"4\" fill=\"{fill}\" stroke=\"{stroke}\" stroke-width=\"{}\"/><text x=\"{x}\" y=\"{}\" text-anchor=\"middle\">poll {n}</text><text x=\"{x}\" y=\"{}\" text-anchor=\"middle\" font-weight=\"bold\">{result}</text></g>\n",
                    text(&event.lane),
                    x - 35,
                    ly - 15,
                    if wrong { 2 } else { 1 },
                    ly - 3,
                    ly + 10
                ));
                if lanes.iter().any(|l| l == EXECUTOR) {
                    let ey = y(EXECUTOR);
                    out.push_str(&format!(
                        "<line x1=\"{x}\" y1=\"{}\" x2=\"{x}\" y2=\"{}\" stroke=\"#888\" stroke-dasharray=\"2 2\" marker-end=\"url(#arrow)\"/>\n",
                        ey - 8,
                        ly + 16
                    ));
                }
                if found.unwoken.contains(&i) {
                    out.push_str(&mark(x, ly + 28, "polled, though nothing woke it"));
                }
                if found.lost.contains(&i) {
                    out.push_str(&mark(x, ly + 28, "never woken again"));
                }
            }
            What::Wake { of_poll, by } => {
                let from = waker_lane(event).unwrap_or_default();
                let fy = y(&from);
                let stale = found.stale.contains(&i);
                let colour = if stale { "#dc2626" } else { "#2563eb" };
                let label = if stale {
                    format!("woke poll {of_poll}'s old waker")
                } else if by == "itself" {
                    "wakes itself".to_string()
                } else {
                    format!("wake (poll {of_poll}'s waker)")
                };
                let (y1, y2) = if fy == ly {
                    (ly - 22, ly - 4)
                } else if fy < ly {
                    (fy + 4, ly - 16)
                } else {
                    (fy - 4, ly + 16)
                };
                out.push_str(&format!(
                    "<g class=\"wake\" data-lane=\"{}\" data-by=\"{}\"><line x1=\"{x}\" y1=\"{y1}\" x2=\"{x}\" y2=\"{y2}\" stroke=\"{colour}\" stroke-width=\"2\" marker-end=\"url(#arrow)\"/><text x=\"{}\" y=\"{}\" fill=\"{colour}\" font-size=\"9\">{}</text></g>\n",
                    text(&event.lane),
                    text(by),
                    x + 4,
                    (y1 + y2) / 2,
                    text(&label)
                ));
            }
            What::Note(note) => {
                if found.never_polled.contains(&i) {
                    out.push_str(&mark(x, ly - 12, "never polled"));
                }
                out.push_str(&format!(
                    "<g class=\"note\"><circle cx=\"{x}\" cy=\"{ly}\" r=\"5\" fill=\"#6b7280\"/><text x=\"{x}\" y=\"{}\" text-anchor=\"middle\" fill=\"#374151\" font-size=\"9\">{}</text></g>\n",
                    ly + 18,
                    text(note)
                ));
            }
        }
    }
    // The legend.
    let ly = height - 40;
    out.push_str(&format!(
        "<g class=\"legend\" font-size=\"10\"><rect x=\"12\" y=\"{}\" width=\"24\" height=\"14\" fill=\"#fde68a\" stroke=\"#555\"/><text x=\"42\" y=\"{ly}\">a poll that returned Pending</text><rect x=\"210\" y=\"{}\" width=\"24\" height=\"14\" fill=\"#bbf7d0\" stroke=\"#555\"/><text x=\"240\" y=\"{ly}\">a poll that returned Ready</text><line x1=\"400\" y1=\"{}\" x2=\"424\" y2=\"{}\" stroke=\"#2563eb\" stroke-width=\"2\" marker-end=\"url(#arrow)\"/><text x=\"430\" y=\"{ly}\">a wake, from who woke it</text><text x=\"600\" y=\"{ly}\" fill=\"#dc2626\">red: what went wrong</text></g>\n",
        ly - 11,
        ly - 11,
        ly - 4,
        ly - 4
    ));
    out.push_str("</svg>\n");
    out
}

/// A red note under an event.
fn mark(x: usize, y: usize, said: &str) -> String {
    format!(
        "<text class=\"wrong\" x=\"{x}\" y=\"{y}\" text-anchor=\"middle\" fill=\"#dc2626\" font-size=\"9\" font-weight=\"bold\">{}</text>\n",
        text(said)
    )
}
