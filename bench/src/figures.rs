//! The slide's table, measured: every figure of every row, each over repeated
//! runs, with a progress bar across all of them. The methods are in
//! `creation`, `switch` and `memory`; this module only repeats them and keeps
//! the medians.

use crate::memory::{self, Kind};
use crate::progress::Progress;
use crate::runtime::Flavor;
use crate::stats::Summary;
use crate::{affinity, creation, switch};

/// How much to measure.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Threads or tasks per creation and memory run.
    pub n: usize,
    /// Runs per figure; the median is kept.
    pub runs: usize,
    /// Round trips of the token per switch run.
    pub round_trips: usize,
    /// The N of each point of the memory figure; the last is `n`.
    pub sweep: Vec<usize>,
}

impl Settings {
    pub fn new(n: usize, runs: usize) -> Settings {
        // Five round trips per thread: enough hand-overs that the clock's
        // resolution and the start-up of the two sides do not show.
        let round_trips = 5 * n;
        let mut sweep: Vec<usize> = [10, 25, 50, 75, 100]
            .iter()
            .map(|percent| (n * percent / 100).max(1))
            .collect();
        sweep.dedup();
        Settings {
            n,
            runs,
            round_trips,
            sweep,
        }
    }
}

/// One cell of the table.
#[derive(Debug, Clone, PartialEq)]
pub enum Figure {
    Measured(Summary),
    /// The row does not apply (a task has no kernel stack).
    None,
    /// Could not be measured here, and why.
    Failed(String),
}

impl Figure {
    pub fn median(&self) -> Option<f64> {
        match self {
            Figure::Measured(s) => Some(s.median),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Seconds,
    Bytes,
}

/// A figure published with the context-switch repository, for comparison.
#[derive(Debug, Clone, Copy)]
pub struct Published {
    pub thread: f64,
    pub task: Option<f64>,
}

/// A row of the table: one metric for threads and for tasks on each runtime.
#[derive(Debug, Clone)]
pub struct Row {
    /// The row's key in the JSON.
    pub key: &'static str,
    pub label: &'static str,
    pub unit: Unit,
    pub thread: Figure,
    pub task: Figure,
    pub task_current_thread: Figure,
    pub published: Option<Published>,
}

/// Resident memory growth at each N of the sweep, for the figure.
#[derive(Debug, Clone)]
pub struct MemoryCurve {
    pub kind: Kind,
    /// (N, median growth in bytes) for the N that could be measured.
    pub points: Vec<(usize, f64)>,
}

pub struct Measured {
    pub settings: Settings,
    pub rows: Vec<Row>,
    pub memory_curves: Vec<MemoryCurve>,
}

/// Runs every measurement of the table.
pub fn measure(settings: &Settings) -> Measured {
    let runs = settings.runs;
    let steps = 3 * (runs + 1) + 6 * runs + 3 * settings.sweep.len() * runs;
    let progress = Progress::new(steps as u64);
    let (n, round_trips) = (settings.n, settings.round_trips);

    let creation = Row {
        key: "creation",
        label: "creation time (spawn N, then join them)",
        unit: Unit::Seconds,
        thread: repeat(&progress, "creation: threads", runs, true, || {
            creation::per_thread(n)
        }),
        task: repeat(&progress, "creation: tasks", runs, true, || {
            let runtime = Flavor::MultiThread.build()?;
            creation::per_task(&runtime, n)
        }),
        task_current_thread: repeat(
            &progress,
            "creation: tasks, current-thread",
            runs,
            true,
            || {
                let runtime = Flavor::CurrentThread.build()?;
                creation::per_task(&runtime, n)
            },
        ),
        published: Some(Published {
            thread: 17e-6,
            task: Some(0.3e-6),
        }),
    };

    let switch_row = |key, label, pinned: bool, published| {
        let pin = move |f: &(dyn Fn() -> Result<f64, String> + Sync)| {
            if pinned {
                affinity::on_one_core(f).and_then(|r| r)
            } else {
                f()
            }
        };
        let what = if pinned { "switch, pinned" } else { "switch" };
        Row {
            key,
            label,
            unit: Unit::Seconds,
            thread: repeat(&progress, &format!("{what}: threads"), runs, false, || {
                pin(&|| switch::per_thread_switch(round_trips))
            }),
            task: repeat(&progress, &format!("{what}: tasks"), runs, false, || {
                pin(&|| switch::per_task_switch(Flavor::MultiThread, round_trips))
            }),
            task_current_thread: repeat(
                &progress,
                &format!("{what}: tasks, current-thread"),
                runs,
                false,
                || pin(&|| switch::per_task_switch(Flavor::CurrentThread, round_trips)),
            ),
            published,
        }
    };
    let switch_unpinned = switch_row(
        "switch_unpinned",
        "context switch, unpinned (a token passed between two)",
        false,
        Some(Published {
            thread: 1.7e-6,
            task: Some(0.2e-6),
        }),
    );
    // The repository gives no pinned figure: pinned, it says, the async
    // advantage went away in its pipe-based test.
    let switch_pinned = switch_row("switch", "context switch, pinned to one core", true, None);

    let mut memory_curves = Vec::new();
    let mut at_n = Vec::new();
    for kind in Kind::ALL {
        let (curve, figure, kernel) = sweep_memory(&progress, settings, kind);
        memory_curves.push(curve);
        at_n.push((figure, kernel));
    }
    let [(thread_mem, kernel), (task_mem, _), (current_mem, _)] =
        <[(Figure, Figure); 3]>::try_from(at_n).expect("one entry per kind");
    let memory = Row {
        key: "memory",
        label: "memory per idle thread or task (resident)",
        unit: Unit::Bytes,
        thread: thread_mem,
        task: task_mem,
        task_current_thread: current_mem,
        published: Some(Published {
            thread: 9.5 * 1024.0,
            task: Some(0.4 * 1024.0),
        }),
    };
    let kernel_stack = Row {
        key: "kernel_stack",
        label: "kernel stack per thread (outside resident memory)",
        unit: Unit::Bytes,
        thread: kernel,
        task: Figure::None,
        task_current_thread: Figure::None,
        published: Some(Published {
            thread: 10.0 * 1024.0,
            task: None,
        }),
    };

    Measured {
        settings: settings.clone(),
        rows: vec![
            creation,
            switch_unpinned,
            switch_pinned,
            memory,
            kernel_stack,
        ],
        memory_curves,
    }
}

/// `runs` runs of `measure` (after one that is not counted, if `warm_up`):
/// their median and range, or the first error.
fn repeat(
    progress: &Progress,
    what: &str,
    runs: usize,
    warm_up: bool,
    mut measure: impl FnMut() -> Result<f64, String>,
) -> Figure {
    let mut values = Vec::with_capacity(runs);
    let total = runs + usize::from(warm_up);
    for run in 0..total {
        progress.say(format!("{what} ({}/{total})", run + 1));
        let value = measure();
        progress.step();
        match value {
            Ok(_) if warm_up && run == 0 => {}
            Ok(v) => values.push(v),
            Err(e) => {
                // The steps this figure will not take, so the bar still ends full.
                (run + 1..total).for_each(|_| progress.step());
                return Figure::Failed(e);
            }
        }
    }
    Summary::of(&values).map_or_else(|| Figure::Failed("no runs".to_string()), Figure::Measured)
}

/// The memory of `kind` at each N of the sweep: the curve, the figure per
/// unit at the largest N, and the kernel stack per unit there.
fn sweep_memory(
    progress: &Progress,
    settings: &Settings,
    kind: Kind,
) -> (MemoryCurve, Figure, Figure) {
    let mut points = Vec::new();
    let mut last = (Figure::Failed("not measured".to_string()), Figure::None);
    for &n in &settings.sweep {
        let mut resident = Vec::new();
        let mut kernel = Vec::new();
        let mut failure = None;
        for run in 0..settings.runs {
            progress.say(format!(
                "memory: {n} {} ({}/{})",
                kind.key(),
                run + 1,
                settings.runs
            ));
            match memory::measure(kind, n) {
                Ok(growth) => {
                    resident.push(growth.resident);
                    kernel.push(growth.kernel_stacks);
                }
                Err(e) => failure = Some(e),
            }
            progress.step();
            if failure.is_some() {
                (run + 1..settings.runs).for_each(|_| progress.step());
                break;
            }
        }
        if let Some(e) = failure {
            last = (
                Figure::Failed(e),
                Figure::Failed("not measured".to_string()),
            );
            continue;
        }
        let total = Summary::of(&resident).expect("runs >= 1");
        points.push((n, total.median));
        let per_unit = |values: &[f64]| {
            let per: Vec<f64> = values.iter().map(|v| v / n as f64).collect();
            Figure::Measured(Summary::of(&per).expect("runs >= 1"))
        };
        let kernel = if kind == Kind::Threads {
            per_unit(&kernel)
        } else {
            Figure::None
        };
        last = (per_unit(&resident), kernel);
    }
    // The table's figure is the one at N itself, the sweep's last point.
    if points.last().map(|p| p.0) != Some(settings.n) {
        let why = match &last.0 {
            Figure::Failed(e) => e.clone(),
            _ => format!("not measured at N = {}", settings.n),
        };
        last = (Figure::Failed(why.clone()), Figure::Failed(why));
    }
    (MemoryCurve { kind, points }, last.0, last.1)
}
