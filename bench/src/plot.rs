//! The pictures, drawn to SVG: resident memory against N for threads and
//! tasks, and the distribution of echo latencies per step. SVG, because it
//! is text: it needs no font or image library to draw, diffs in a commit,
//! and GitHub shows it in the README.

use crate::figures::MemoryCurve;
use crate::memory::Kind;
use crate::runtime::Flavor;
use crate::units;
use plotters::prelude::*;
use std::path::Path;

const SIZE: (u32, u32) = (900, 540);
const COLORS: [RGBColor; 4] = [
    RGBColor(200, 60, 40),
    RGBColor(30, 100, 200),
    RGBColor(40, 150, 70),
    RGBColor(150, 80, 180),
];

/// Resident memory growth against N, one line per kind.
pub fn memory(path: &Path, curves: &[MemoryCurve]) -> Result<(), String> {
    let mib = 1024.0 * 1024.0;
    let max_n = curves
        .iter()
        .flat_map(|c| c.points.iter().map(|p| p.0))
        .max()
        .unwrap_or(1) as f64;
    let max_y = curves
        .iter()
        .flat_map(|c| c.points.iter().map(|p| p.1 / mib))
        .fold(0.0, f64::max)
        .max(0.001)
        * 1.1;
    let root = SVGBackend::new(path, SIZE).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "Resident memory of N idle threads, and of N idle tokio tasks",
            ("sans-serif", 22),
        )
        .margin(20)
        .x_label_area_size(45)
        .y_label_area_size(70)
        .build_cartesian_2d(0.0..max_n * 1.02, 0.0..max_y)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc("N, threads or tasks waiting at once")
        .y_desc("growth of resident memory (MiB)")
        .x_label_formatter(&|x| units::count(*x as usize))
        .y_label_formatter(&|y| format!("{y}"))
        .draw()
        .map_err(err)?;
    for (curve, color) in curves.iter().zip(COLORS) {
        let points: Vec<(f64, f64)> = curve
            .points
            .iter()
            .map(|&(n, bytes)| (n as f64, bytes / mib))
            .collect();
        let each = curve
            .points
            .last()
            .map(|&(n, bytes)| format!(": {} each", units::bytes(bytes / n as f64)))
            .unwrap_or_default();
        let name = match curve.kind {
            Kind::Threads => "OS threads",
            Kind::Tasks(Flavor::MultiThread) => "tokio tasks",
            Kind::Tasks(Flavor::CurrentThread) => "tokio tasks, current-thread runtime",
        };
        chart
            .draw_series(LineSeries::new(points.clone(), color.stroke_width(2)))
            .map_err(err)?
            .label(format!("{name}{each}"))
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
            });
        chart
            .draw_series(points.iter().map(|&p| Circle::new(p, 3, color.filled())))
            .map_err(err)?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .draw()
        .map_err(err)?;
    root.present().map_err(err)
}

/// One step's latencies, sorted ascending, in seconds.
pub struct Latencies<'a> {
    pub step: &'a str,
    pub sorted: &'a [f64],
    /// "10,000 of 10,000 clients served", say: a line drawn from the few
    /// clients a server did serve must not pass for all of them.
    pub served: String,
}

/// The distribution of round-trip latencies: for each latency on the x axis
/// (log scale), the share of the round trips that took at most that long.
pub fn latency(path: &Path, title: &str, steps: &[Latencies]) -> Result<(), String> {
    let ms = |s: f64| (s * 1e3).max(1e-3);
    let all = steps.iter().flat_map(|s| s.sorted.iter().copied());
    let (lo, hi) = all.fold((f64::MAX, 0.0_f64), |(lo, hi), x| {
        (lo.min(ms(x)), hi.max(ms(x)))
    });
    let (lo, hi) = if hi > 0.0 {
        (lo / 1.5, hi * 1.5)
    } else {
        (0.01, 100.0)
    };
    let root = SVGBackend::new(path, SIZE).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 22))
        .margin(20)
        .x_label_area_size(45)
        .y_label_area_size(70)
        .build_cartesian_2d((lo..hi).log_scale(), 0.0..100.0)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc("round-trip latency of a line (ms, log scale)")
        .x_label_formatter(&|x| {
            // Powers of ten, without the float noise of 10^-2 and the like.
            let text = format!("{x:.3}");
            text.trim_end_matches('0').trim_end_matches('.').to_string()
        })
        .y_desc("round trips at most this long (%)")
        .y_label_formatter(&|y| format!("{y:.0}"))
        .draw()
        .map_err(err)?;
    for (step, color) in steps.iter().zip(COLORS) {
        if step.sorted.is_empty() {
            continue;
        }
        // At most a thousand points a line: enough for the eye, and the SVG
        // stays small however many round trips there were.
        let len = step.sorted.len();
        let stride = len.div_ceil(1000);
        let mut points: Vec<(f64, f64)> = (0..len)
            .step_by(stride)
            .chain([len - 1])
            .map(|i| (ms(step.sorted[i]), 100.0 * (i + 1) as f64 / len as f64))
            .collect();
        points.dedup();
        let p = |q| crate::stats::percentile(step.sorted, q).map_or_else(String::new, units::time);
        chart
            .draw_series(LineSeries::new(points, color.stroke_width(2)))
            .map_err(err)?
            .label(format!(
                "{}: p50 {}, p99 {} ({})",
                step.step,
                p(50.0),
                p(99.0),
                step.served
            ))
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
            });
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .draw()
        .map_err(err)?;
    root.present().map_err(err)
}

fn err(e: impl std::fmt::Display) -> String {
    format!("cannot draw the figure: {e}")
}
