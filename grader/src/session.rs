//! One grading of one target: its builds, and the outcome of each check,
//! computed once. The grade tests, the report, watch mode, class grading and
//! the self-check all grade through a session, in this process.

use crate::build::{self, Bins, Built, NotBuilt};
use crate::checks::{Ctx, harness};
use crate::outcome::Outcome;
use crate::registry::{self, Check};
use crate::target::Target;
use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Condvar, Mutex, OnceLock};

/// A target being graded.
pub struct Session {
    pub target: Target,
    /// The steps' bins and their harnesses', of one crate.
    bins: Bins,
    outcomes: Mutex<HashMap<usize, Arc<OnceLock<Outcome>>>>,
}

impl Session {
    pub fn new(target: Target) -> Session {
        Session {
            bins: build::step_bins(&target),
            target,
            outcomes: Mutex::default(),
        }
    }

    /// A session whose bins were built before (by the grader that runs this
    /// one in a sandbox): `bins` are the steps' and the harnesses'.
    pub fn prebuilt(target: Target, bins: HashMap<String, Built>) -> Session {
        let session = Session::new(target);
        for (bin, built) in bins {
            session.bins.preset(&bin, built);
        }
        session
    }

    /// Every bin of the steps, and of their harnesses, as built so far.
    pub fn builds(&self) -> HashMap<String, Built> {
        let mut builds = HashMap::new();
        for step in crate::catalogue::STEPS {
            let bins = [
                step.name.to_string(),
                harness::bin(step.name),
                build::safety_bin(step.name),
            ];
            for bin in bins {
                if let Some(built) = self.bins.made(&bin) {
                    builds.insert(bin, built);
                }
            }
        }
        builds
    }

    /// The step's executable, built the first time it is asked for; never
    /// one whose file holds code the grader does not run.
    pub fn step_exe(&self, step: &str) -> Built {
        let source = self.target.source(step);
        if !source.is_file() {
            return Err(NotBuilt::NoFile(source));
        }
        self.refusal(step)?;
        self.bins
            .get(step, || build::write_steps_crate(&self.target))
    }

    /// Whether the step's file holds unsafe code beyond what it may (see
    /// `build::safety`): checked by the compiler when the file holds any.
    fn refusal(&self, step: &str) -> Result<(), NotBuilt> {
        if !self.needs_safety_check(step) {
            return Ok(());
        }
        self.bins
            .get(&build::safety_bin(step), || {
                build::write_steps_crate(&self.target)
            })
            .map(drop)
    }

    fn needs_safety_check(&self, step: &str) -> bool {
        // A session that grades prebuilt bins knows from them.
        if self.bins.made(&build::safety_bin(step)).is_some() {
            return true;
        }
        std::fs::read_to_string(self.target.source(step))
            .is_ok_and(|text| build::safety::needs_check(&text))
    }

    /// Builds the steps' bins, and their harnesses', in one run of cargo, so
    /// that they compile side by side on every core; each still reports its
    /// own errors.
    pub fn build_steps(&self, steps: &[&str]) {
        let mut bins: Vec<String> = Vec::new();
        for step in steps.iter().filter(|s| self.target.source(s).is_file()) {
            bins.push(step.to_string());
            if harness::has(step) {
                bins.push(harness::bin(step));
            }
            if self.needs_safety_check(step) {
                bins.push(build::safety_bin(step));
            }
        }
        let bins: Vec<&str> = bins.iter().map(String::as_str).collect();
        self.bins
            .build_all(&bins, || build::write_steps_crate(&self.target));
    }

    /// The harness compiled around the student's file of `step`; never
    /// around one that holds code the grader does not run.
    pub fn harness_exe(&self, step: &str) -> Built {
        let source = self.target.source(step);
        if !source.is_file() {
            return Err(NotBuilt::NoFile(source));
        }
        self.refusal(step)?;
        self.bins.get(&harness::bin(step), || {
            build::write_steps_crate(&self.target)
        })
    }

    /// The check's outcome, computed once: the checks it needs first.
    pub fn outcome(&self, check: &'static Check) -> Outcome {
        let cell = {
            let mut outcomes = self.outcomes.lock().unwrap_or_else(|e| e.into_inner());
            outcomes
                .entry(registry::position(check))
                .or_default()
                .clone()
        };
        cell.get_or_init(|| {
            for needed in check.needed() {
                match self.outcome(needed) {
                    o if o.passed() => {}
                    Outcome::Failed(f) if !f.holds_back => {}
                    Outcome::NotRun(first) => return Outcome::NotRun(first),
                    Outcome::Skipped(why) => {
                        return Outcome::Skipped(format!(
                            "it needs {}, which could not run here: {why}",
                            needed.full_name()
                        ));
                    }
                    _ => return Outcome::NotRun(needed.full_name()),
                }
            }
            let ctx = Ctx {
                session: self,
                check,
            };
            let outcome = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                (check.run)(&ctx)
            })) {
                Ok(verdict) => Outcome::from(verdict),
                Err(panic) => Outcome::Failed(crate::failure::Failure::new(format!(
                    "the grader itself failed while checking this: {}",
                    panic_text(&panic)
                ))),
            };
            self.with_the_compiler_s_word(check, outcome)
        })
        .clone()
    }

    /// A failure of a step whose build warned of a future never awaited says
    /// so: that future did nothing, which is likely the failure's cause.
    fn with_the_compiler_s_word(&self, check: &Check, outcome: Outcome) -> Outcome {
        if matches!(outcome, Outcome::DoesNotCompile(_)) || !outcome.failed() {
            return outcome;
        }
        let Ok(exe) = self.step_exe(check.step.name) else {
            return outcome;
        };
        let Some(warning) = exe
            .warnings
            .iter()
            .find(|w| w.contains("futures do nothing unless you"))
        else {
            return outcome;
        };
        let slide = if check.step.name.starts_with("echo") {
            "How to transform to async?"
        } else {
            "Rusty H2O Step 5: Fixing Async... no await!"
        };
        outcome.map_failure(|f| {
            f.block("the compiler warned", warning).diagnose(format!(
                "a future that is never awaited does nothing: the compiler warned of one (above). An async call makes a future, which runs only when it is `.await`ed (slide \"{slide}\")."
            ))
        })
    }

    /// Runs `selected` (and what they need) on `workers` threads, each check
    /// as soon as the checks it needs are done, in the registry's order.
    /// `done` hears of each selected check as it ends. Returns the selected
    /// checks' outcomes in the registry's order.
    pub fn run(
        &self,
        selected: &[&'static Check],
        workers: usize,
        done: &(dyn Fn(&'static Check, &Outcome) + Sync),
    ) -> Vec<(&'static Check, Outcome)> {
        let mut all: BTreeSet<usize> = BTreeSet::new();
        let mut stack: Vec<&'static Check> = selected.to_vec();
        while let Some(check) = stack.pop() {
            if all.insert(registry::position(check)) {
                stack.extend(check.needed());
            }
        }
        let mut steps: Vec<&str> = Vec::new();
        for &i in &all {
            let step = registry::all()[i].step.name;
            if !steps.contains(&step) {
                steps.push(step);
            }
        }
        self.build_steps(&steps);

        let wanted: BTreeSet<usize> = selected.iter().map(|c| registry::position(c)).collect();
        let queue = Mutex::new(Queue {
            pending: all.into_iter().collect(),
            finished: BTreeSet::new(),
        });
        let changed = Condvar::new();
        std::thread::scope(|scope| {
            for _ in 0..workers.max(1) {
                scope.spawn(|| {
                    while let Some(check) = next(&queue, &changed) {
                        let outcome = self.outcome(check);
                        let i = registry::position(check);
                        if wanted.contains(&i) {
                            done(check, &outcome);
                        }
                        queue
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .finished
                            .insert(i);
                        changed.notify_all();
                    }
                });
            }
        });
        wanted
            .into_iter()
            .map(|i| {
                let check = &registry::all()[i];
                (check, self.outcome(check))
            })
            .collect()
    }
}

struct Queue {
    /// Positions of the checks still to run, in order.
    pending: Vec<usize>,
    finished: BTreeSet<usize>,
}

/// The first pending check whose needs are finished, waiting for one; `None`
/// once nothing is pending.
fn next(queue: &Mutex<Queue>, changed: &Condvar) -> Option<&'static Check> {
    let mut q = queue.lock().unwrap_or_else(|e| e.into_inner());
    loop {
        if q.pending.is_empty() {
            return None;
        }
        let ready = q.pending.iter().position(|&i| {
            registry::all()[i]
                .needed()
                .all(|n| q.finished.contains(&registry::position(n)))
        });
        if let Some(at) = ready {
            let i = q.pending.remove(at);
            return Some(&registry::all()[i]);
        }
        q = changed.wait(q).unwrap_or_else(|e| e.into_inner());
    }
}

/// The message a panic carried.
pub fn panic_text(panic: &Box<dyn std::any::Any + Send>) -> String {
    crate::protocol::panic_text(&**panic)
}

/// How many checks run at once: they mostly wait for the steps, so more
/// than the cores, but not so many that a loaded laptop's steps crawl.
pub fn default_workers() -> usize {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    (cores * 2).clamp(2, 8)
}
