//! One grading of one target: its builds, and the outcome of each check,
//! computed once. The grade tests, the report, watch mode, class grading and
//! the self-check all grade through a session, in this process.

use crate::build::harness::bin as harness_bin;
use crate::build::{self, Bins, Built, NotBuilt, StepSource};
use crate::outcome::{CheckId, Outcome};
use crate::registry;
use crate::settings::Settings;
use crate::step::{Check, Ctx, Grading, Step};
use crate::target::Target;
use std::collections::{BTreeSet, HashMap};
use std::sync::{Condvar, Mutex, OnceLock};

/// A target being graded.
pub struct Session {
    pub target: Target,
    /// What the environment said of this grading, read once.
    pub settings: Settings,
    /// The steps' bins and their harnesses', of one crate.
    bins: Bins,
    /// Each check's outcome, by its place in the registry.
    outcomes: Vec<OnceLock<Outcome>>,
}

impl Session {
    pub fn new(target: Target, settings: Settings) -> Session {
        Session {
            bins: build::step_bins(&target, &settings.builds),
            target,
            settings,
            outcomes: registry::all().iter().map(|_| OnceLock::new()).collect(),
        }
    }

    /// A session whose bins were built before (by the grader that runs this
    /// one in a sandbox): `bins` are the steps' and the harnesses'.
    pub fn prebuilt(target: Target, settings: Settings, bins: HashMap<String, Built>) -> Session {
        let session = Session::new(target, settings);
        for (bin, built) in bins {
            session.bins.preset(&bin, built);
        }
        session
    }

    /// Every bin of the steps, and of their harnesses, as built so far.
    pub fn builds(&self) -> HashMap<String, Built> {
        let mut builds = HashMap::new();
        for step in crate::catalogue::STEPS {
            for bin in bins_of(step) {
                if let Some(built) = self.bins.made(&bin) {
                    builds.insert(bin, built);
                }
            }
        }
        builds
    }

    fn write_crate(&self) -> Result<(), crate::error::Error> {
        let steps: Vec<StepSource> = crate::catalogue::STEPS
            .iter()
            .map(|s| StepSource {
                name: s.name,
                harness: s.harness.as_ref().map(|h| h.code),
            })
            .collect();
        build::write_steps_crate(&self.target, &self.settings.builds, &steps)
    }

    /// Whether the step's file holds unsafe code beyond what it may (see
    /// `build::safety`): checked by the compiler when the file holds any.
    fn refusal(&self, step: &Step) -> Result<(), NotBuilt> {
        // Before the build is asked for: a file that takes in another file
        // is refused whatever the compiler makes of it.
        if let Ok(text) = std::fs::read_to_string(self.target.source(step.name))
            && let Some(refusal) = build::holds::other_files(&text)
                .or_else(|| build::holds::assembly(&text))
                .or_else(|| build::holds::crates_named(&text, step.does_without))
        {
            return Err(NotBuilt::Refused(refusal.to_string()));
        }
        if !self.needs_safety_check(step) {
            return Ok(());
        }
        match self
            .bins
            .get(&build::safety_bin(step.name), || self.write_crate())
        {
            Ok(_) => Ok(()),
            // A file that does not compile never runs, and the compiler's
            // errors on it say more than the checked copy's: a typo in a
            // file that also calls `Poller::add` is a typo, not unsafety.
            Err(refused @ NotBuilt::Refused(_)) => {
                match self.bins.get(step.name, || self.write_crate()) {
                    Err(errors @ NotBuilt::DoesNotCompile(_)) => Err(errors),
                    _ => Err(refused),
                }
            }
            Err(other) => Err(other),
        }
    }

    fn needs_safety_check(&self, step: &Step) -> bool {
        // A session that grades prebuilt bins knows from them.
        if self.bins.made(&build::safety_bin(step.name)).is_some() {
            return true;
        }
        std::fs::read_to_string(self.target.source(step.name))
            .is_ok_and(|text| build::safety::needs_check(&text))
    }

    /// Builds the steps' bins, and their harnesses', in one run of cargo, so
    /// that they compile side by side on every core; each still reports its
    /// own errors.
    pub(crate) fn build_steps(&self, steps: &[&'static Step]) {
        let mut bins: Vec<String> = Vec::new();
        for step in steps
            .iter()
            .filter(|s| self.target.source(s.name).is_file())
        {
            bins.push(step.name.to_string());
            if step.harness.is_some() {
                bins.push(harness_bin(step.name));
            }
            if self.needs_safety_check(step) {
                bins.push(build::safety_bin(step.name));
            }
        }
        let bins: Vec<&str> = bins.iter().map(String::as_str).collect();
        self.bins.build_all(&bins, || self.write_crate());
    }

    /// The bin `bin` of `step`, built the first time it is asked for; never
    /// one whose file holds code the grader does not run.
    fn exe(&self, step: &'static Step, bin: &str) -> Built {
        let source = self.target.source(step.name);
        if !source.is_file() {
            return Err(NotBuilt::NoFile(source));
        }
        self.refusal(step)?;
        // A harness compiles the step's text: a step refused for what its
        // build read (`build::another_file`) is refused whole.
        if bin != step.name
            && let Err(refused @ NotBuilt::Refused(_)) =
                self.bins.get(step.name, || self.write_crate())
        {
            return Err(refused);
        }
        self.bins.get(bin, || self.write_crate())
    }

    /// The check's outcome, computed once: the checks it needs first.
    pub fn outcome(&self, check: &'static Check) -> Outcome {
        self.outcomes[check.id.0]
            .get_or_init(|| {
                for needed in registry::needed(check) {
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
                        _ => return Outcome::NotRun(needed.id),
                    }
                }
                let ctx = Ctx {
                    grading: self,
                    check,
                };
                let outcome = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    check.run(&ctx)
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
        let Ok(exe) = self.step_exe(check.step) else {
            return outcome;
        };
        let Some(warning) = exe
            .warnings
            .iter()
            .find(|w| w.contains("futures do nothing unless you"))
        else {
            return outcome;
        };
        let slide = check.step.flavour.unawaited;
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
        let mut all: BTreeSet<CheckId> = BTreeSet::new();
        let mut stack: Vec<&'static Check> = selected.to_vec();
        while let Some(check) = stack.pop() {
            if all.insert(check.id) {
                stack.extend(registry::needed(check));
            }
        }
        let mut steps: Vec<&'static Step> = Vec::new();
        for &id in &all {
            let step = registry::get(id).step;
            if !steps.contains(&step) {
                steps.push(step);
            }
        }
        self.build_steps(&steps);

        let wanted: BTreeSet<CheckId> = selected.iter().map(|c| c.id).collect();
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
                        if wanted.contains(&check.id) {
                            done(check, &outcome);
                        }
                        queue
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .finished
                            .insert(check.id);
                        changed.notify_all();
                    }
                });
            }
        });
        wanted
            .into_iter()
            .map(|id| {
                let check = registry::get(id);
                (check, self.outcome(check))
            })
            .collect()
    }
}

struct Queue {
    /// The checks still to run, in order.
    pending: Vec<CheckId>,
    finished: BTreeSet<CheckId>,
}

/// The first pending check whose needs are finished, waiting for one; `None`
/// once nothing is pending.
fn next(queue: &Mutex<Queue>, changed: &Condvar) -> Option<&'static Check> {
    let mut q = queue.lock().unwrap_or_else(|e| e.into_inner());
    loop {
        if q.pending.is_empty() {
            return None;
        }
        let ready = q.pending.iter().position(|&id| {
            registry::get(id)
                .needs
                .iter()
                .all(|n| q.finished.contains(n))
        });
        if let Some(at) = ready {
            return Some(registry::get(q.pending.remove(at)));
        }
        q = changed.wait(q).unwrap_or_else(|e| e.into_inner());
    }
}

/// The message a panic carried.
pub(crate) fn panic_text(panic: &Box<dyn std::any::Any + Send>) -> String {
    crate::protocol::panic_text(&**panic)
}

/// How many checks run at once: they mostly wait for the steps, so more
/// than the cores, but not so many that a loaded laptop's steps crawl.
pub fn default_workers() -> usize {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    (cores * 2).clamp(2, 8)
}

impl Grading for Session {
    fn target(&self) -> &Target {
        &self.target
    }

    fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The step's executable, built the first time it is asked for; never
    /// one whose file holds code the grader does not run.
    fn step_exe(&self, step: &'static Step) -> Built {
        self.exe(step, step.name)
    }

    /// The harness compiled around the student's file of `step`; never
    /// around one that holds code the grader does not run.
    fn harness_exe(&self, step: &'static Step) -> Built {
        self.exe(step, &harness_bin(step.name))
    }
}

/// The bins made of a step's file: its own, its harness's, and the one that
/// checks its unsafe code.
fn bins_of(step: &Step) -> [String; 3] {
    [
        step.name.to_string(),
        harness_bin(step.name),
        build::safety_bin(step.name),
    ]
}
