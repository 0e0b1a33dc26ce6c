//! A step of the tutorial and its checks, as data: what the catalogue holds
//! of each step (its slide, its points, its checks, its harness, its hints,
//! the words the grader uses for it), what a check is, and what it runs
//! with. Everything particular to a step is in its catalogue entry; the
//! rest of the grader asks the entry, never the step's name.

use crate::build::harness::HarnessCode;
use crate::build::{Built, NotBuilt};
use crate::failure::Failure;
use crate::outcome::{CheckId, Verdict};
use crate::settings::Settings;
use crate::target::Target;
use std::path::PathBuf;
use std::time::Duration;

/// One step of the tutorial: a slide made runnable.
pub struct Step {
    /// The bin's name, as in `cargo run --bin <name>`.
    pub name: &'static str,
    /// The slide it reproduces.
    pub slide: &'static str,
    /// Its points, or none: a demo.
    pub marks: Marks,
    /// What the student finds in `exercises`.
    pub starter: &'static str,
    /// What the step teaches, in a line.
    pub teaches: &'static str,
    /// Adds its checks, in the order a student meets their mistakes: it
    /// builds, it starts, it does the one basic thing, then the finer
    /// points, then concurrency and scale.
    pub checks: fn(&mut Checks),
    /// The harness compiled around its file, if one drives it.
    pub harness: Option<Harness>,
    /// Crates whose runtime would do the step's work for it (an executor,
    /// a reactor): its file may not name them.
    pub does_without: &'static [&'static str],
    /// Its hints, `grader/hints/<step>.toml`: each check's three levels.
    pub hints: &'static str,
    /// What the grader's words for it depend on.
    pub flavour: Flavour,
}

/// Graded steps pass when right; demos pass when their flaw shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Marks {
    Graded { points: u32 },
    Demo,
}

impl Step {
    pub fn graded(&self) -> bool {
        matches!(self.marks, Marks::Graded { .. })
    }

    /// Its points: 0 for a demo.
    pub fn points(&self) -> u32 {
        match self.marks {
            Marks::Graded { points } => points,
            Marks::Demo => 0,
        }
    }

    /// The prefix of its tests' names: `echo-spawn` is graded by `echo_spawn::…`.
    pub(crate) fn test_prefix(&self) -> String {
        self.name.replace('-', "_")
    }
}

impl std::fmt::Debug for Step {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

impl PartialEq for Step {
    fn eq(&self, other: &Step) -> bool {
        self.name == other.name
    }
}

impl Eq for Step {}

impl std::hash::Hash for Step {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.name.hash(state);
    }
}

/// A harness: the code the grader compiles around a step's file, to drive
/// it poll by poll (`grader/harness/<step>.rs`), and how to talk of it.
pub struct Harness {
    /// Its code: a module of the student's file.
    pub code: HarnessCode,
    /// What is being driven, for a failure's headline.
    pub subject: &'static str,
    /// The shapes the harness relies on, for when it does not compile.
    pub shapes: &'static str,
    /// A compiler message that means the step's own lesson, not a shape
    /// the harness cannot find: (the compiler's words, the failure's
    /// headline, the diagnosis).
    pub lesson: Option<(&'static str, &'static str, &'static str)>,
    /// Its traced run, if it has one (`trace <step>`), in a line: what
    /// the scenario does.
    pub trace: Option<&'static str>,
}

/// What the grader's words for a step depend on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flavour {
    /// The slide that teaches that a future does nothing until awaited, for
    /// a step whose build warns of one never awaited.
    pub unawaited: &'static str,
    /// How the step's server serves clients side by side, if it is one.
    pub serves: Serves,
}

/// How an echo server serves clients side by side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Serves {
    /// Not a server.
    Nobody,
    /// A thread per client (echo-thread).
    Threads,
    /// A task per client, on a runtime's few threads (echo-spawn, and a
    /// runtime of the student's own).
    Tasks,
}

/// A check's code.
pub(crate) type CheckFn = Box<dyn Fn(&Ctx) -> Verdict + Send + Sync>;

/// One check of one step.
pub struct Check {
    /// Its place in the registry: the order of the report and of the tests.
    pub id: CheckId,
    pub step: &'static Step,
    /// Its name within the step: `one_line`.
    pub name: &'static str,
    /// The checks of the same step that must pass before this one runs.
    pub needs: Vec<CheckId>,
    /// What to look at when it fails, in three levels (see `hints`).
    pub hints: [&'static str; 3],
    /// Whether it is a case of the step's harness.
    pub harnessed: bool,
    run: CheckFn,
}

impl Check {
    /// The name tests are known by: `echo_thread::one_line`.
    pub fn full_name(&self) -> String {
        format!("{}::{}", self.step.test_prefix(), self.name)
    }

    /// Runs the check's code.
    pub fn run(&self, ctx: &Ctx) -> Verdict {
        (self.run)(ctx)
    }
}

impl std::fmt::Debug for Check {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.full_name())
    }
}

/// A step's checks, as its catalogue entry adds them: each check names the
/// checks it needs by the handles that adding them gave.
pub struct Checks<'r> {
    step: &'static Step,
    all: &'r mut Vec<Check>,
}

impl<'r> Checks<'r> {
    /// The checks of `step`, added after those already in `all`.
    pub fn new(step: &'static Step, all: &'r mut Vec<Check>) -> Checks<'r> {
        Checks { step, all }
    }

    pub fn step(&self) -> &'static Step {
        self.step
    }

    /// Adds a check that runs once `needs` have passed; its handle.
    pub fn add(
        &mut self,
        name: &'static str,
        needs: &[CheckId],
        run: impl Fn(&Ctx) -> Verdict + Send + Sync + 'static,
    ) -> CheckId {
        self.push(name, needs, false, Box::new(run))
    }

    /// Adds a check that is a case of the step's harness.
    pub(crate) fn add_harnessed(
        &mut self,
        name: &'static str,
        needs: &[CheckId],
        run: impl Fn(&Ctx) -> Verdict + Send + Sync + 'static,
    ) -> CheckId {
        self.push(name, needs, true, Box::new(run))
    }

    fn push(
        &mut self,
        name: &'static str,
        needs: &[CheckId],
        harnessed: bool,
        run: CheckFn,
    ) -> CheckId {
        let id = CheckId(self.all.len());
        self.all.push(Check {
            id,
            step: self.step,
            name,
            needs: needs.to_vec(),
            hints: crate::hints::of(self.step.name, self.step.hints, name),
            harnessed,
            run,
        });
        id
    }
}

/// What a check needs of the grading it runs in: its target, its settings,
/// and the step's builds.
pub trait Grading: Sync {
    fn target(&self) -> &Target;
    fn settings(&self) -> &Settings;
    /// The step's executable, or why there is none.
    fn step_exe(&self, step: &'static Step) -> Built;
    /// The harness compiled around the step's file, or why there is none.
    fn harness_exe(&self, step: &'static Step) -> Built;
}

/// What a check runs with: its grading and the check itself.
pub struct Ctx<'g> {
    pub grading: &'g dyn Grading,
    pub check: &'static Check,
}

/// Why a step with unsafe code is refused, and what to write instead.
const ONE_FILE: &str = "a step is its one file: the grader reads and grades that file alone, so it does not build one that takes in another (`include!`, `include_str!`, `include_bytes!`, `mod name;`, `#[path]`). Put what you need in the step's own file: a `mod name { ... }` written inside it, or a `const` string.";

/// Why a `Pin` made unchecked over a type that is not `Unpin` is refused,
/// and how to pin without a promise.
const UNCHECKED_PIN: &str = "a `Pin` made unchecked is a promise that the value never moves again: the grader cannot check it, and a broken one moves a pinned future and reads memory the grader's harness keeps. Pin without a promise: `Box::pin(future)`, or `std::pin::pin!(future)` for a local, and reach an `Unpin` field with `Pin::new(&mut self.field)` (the starter's futures are all `Unpin`).";

const REFUSED: &str = "a step file is safe Rust, beyond the `unsafe` its starter gives (echo-own-runtime's `Poller::add`): code in `unsafe` (a raw pointer, `transmute`, an `unsafe impl` or `unsafe fn`, `#[unsafe(no_mangle)]`, assembly, a waker made from a `RawWakerVTable`) could run before `main` or reach into the grader's harness, so the grader does not run it. The lesson needs none of it: std's `Wake` trait makes a waker from an `Arc`, tokio's locks have guards that are `Send`, `self.get_mut()` reaches the fields of an `Unpin` future, and `Box::pin` or `std::pin::pin!` pins one that is not.";

impl Ctx<'_> {
    pub fn step(&self) -> &'static Step {
        self.check.step
    }

    /// The step's name, for messages.
    pub fn name(&self) -> &'static str {
        self.check.step.name
    }

    pub fn target(&self) -> &Target {
        self.grading.target()
    }

    pub fn settings(&self) -> &Settings {
        self.grading.settings()
    }

    /// How long one awaited event may take.
    pub fn deadline(&self) -> Duration {
        self.settings().deadline
    }

    /// How long a whole long run may take.
    pub(crate) fn run_deadline(&self) -> Duration {
        self.settings().run_deadline()
    }

    /// The user the step's processes run as.
    pub fn user(&self) -> Option<u32> {
        self.settings().steps_user
    }

    /// The step's executable, or why there is none, as a failure.
    pub fn exe(&self) -> Result<PathBuf, Failure> {
        self.grading
            .step_exe(self.step())
            .map(|exe| exe.path)
            .map_err(|why| self.not_built(why))
    }

    /// Why a bin was not built, as a failure.
    pub(crate) fn not_built(&self, why: NotBuilt) -> Failure {
        let step = self.name();
        match why {
            NotBuilt::DoesNotCompile(errors) => {
                let failure =
                    Failure::new(format!("{step} does not compile (in {})", self.target().label))
                        .block("compiler", &errors)
                        .does_not_compile();
                // The step's hint speaks of its types; a file the compiler
                // cannot even read needs its brackets looked at first.
                if crate::build::cargo::compiler_crashed(&errors) {
                    failure.diagnose(COMPILER_CRASHED)
                } else if is_parse_error(&errors) {
                    failure.diagnose(PARSE_ERROR)
                } else {
                    failure
                }
            }
            NotBuilt::NoFile(path) => Failure::new(format!("there is no {}", path.display()))
                .diagnose(format!(
                    "each step is one file: put {step}.rs back (`git checkout -- exercises/src/bin/{step}.rs` restores the starter)."
                ))
                .does_not_compile(),
            NotBuilt::Grader(why) => {
                Failure::new(format!("the grader could not build {step}: {why}"))
            }
            NotBuilt::Refused(why) => Failure::new(format!(
                "the grader will not run {step}: {why}"
            ))
            .diagnose(if why.contains(crate::build::holds::ANOTHER_FILE) {
                ONE_FILE.to_string()
            } else if why.contains(crate::build::holds::DOES_WITHOUT) {
                format!(
                    "{step} is a runtime of your own, on std alone: it is what polls the futures and wakes them, so it may not hand them to another runtime (its file may not name `{}`).",
                    self.step().does_without.join("`, `")
                )
            } else if why.contains(crate::build::safety::NOT_UNPIN) {
                UNCHECKED_PIN.to_string()
            } else {
                REFUSED.to_string()
            }),
        }
    }
}

/// The hint for a compiler that crashed, twice (the build is tried again).
const COMPILER_CRASHED: &str = "the compiler itself crashed, twice (its own words are above): a bug of the compiler's, or a machine short of memory, not an error in your file. Grade again; if it crashes every time, build the step alone (`cargo build --bin` and the step's name) to see it outside the grader.";

/// The hint for a file the compiler cannot parse.
const PARSE_ERROR: &str = "the compiler could not read the file as Rust, before it looked at any type: a brace, bracket or parenthesis missing or extra, or a `;` or `,` out of place, at or above the line it names (an editor that matches brackets shows where). Fix that first; the step's own errors, if any, come after.";

/// Whether the compiler's first error is one of parsing: rustc gives those
/// no code (`error: unexpected closing delimiter`, `error: expected one of
/// ...`), where the errors of types and names have one (`error[E0308]`).
fn is_parse_error(errors: &str) -> bool {
    let Some(first) = errors.lines().find(|l| l.starts_with("error")) else {
        return false;
    };
    let Some(message) = first.strip_prefix("error: ") else {
        return false;
    };
    message.starts_with("expected ")
        || message.contains("delimiter")
        || message.starts_with("unexpected ")
        || message.starts_with("unterminated ")
        || message.starts_with("mismatched closing")
}

#[cfg(test)]
mod parse_error_tests {
    use super::is_parse_error;

    #[test]
    fn parse_errors_are_told_from_the_others() {
        assert!(is_parse_error(
            "error: unexpected closing delimiter: `}`\n --> a.rs:3:1"
        ));
        assert!(is_parse_error(
            "warning: unused\nerror: expected one of `,` or `}`, found `let`"
        ));
        assert!(is_parse_error(
            "error: this file contains an unclosed delimiter"
        ));
        assert!(!is_parse_error("error[E0308]: mismatched types"));
        assert!(!is_parse_error(
            "error: unused variable: `x`\n  = note: `#[deny(unused_variables)]`"
        ));
        assert!(!is_parse_error(
            "error: future cannot be sent between threads safely"
        ));
    }
}
