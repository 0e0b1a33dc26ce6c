//! The grader, graded: the solutions pass; the untouched exercises fail every
//! graded step while the demos pass; each known-wrong version of a step (a
//! mutant, in `grader/mutants/<step>/`) is caught by that step's tests; and
//! each right version written otherwise than the solution (a variant, in
//! `grader/variants/<step>/`) passes every one of them.
//!
//! Each case runs the registry's checks in this process, as the grade tests
//! and the report do, so what is checked here is exactly what students run.
//! These take a while, so they are ignored by default; the maintainer's
//! check runs them: `cargo test -p grader-selftest --test self_check -- --include-ignored`.

use grader::Outcome;
use grader::catalogue::STEPS;
use grader::registry;
use grader::session::{Session, default_workers};
use grader::settings::Settings;
use grader::step::Check;
use grader::target::{Target, grader_dir, workspace_root};
use grader_selftest::steps::{grade, not_passed};
use std::fs;

#[test]
#[ignore = "slow: the maintainer's self-check"]
fn solutions_pass_every_check() {
    let outcomes = grade(Target::member("solutions"), None);
    assert_eq!(outcomes.len(), registry::all().len());
    assert!(
        outcomes
            .iter()
            .all(|(_, o)| o.passed() || matches!(o, Outcome::Skipped(_))),
        "the solutions failed:\n{}",
        not_passed(&outcomes)
    );
}

#[test]
#[ignore = "slow: the maintainer's self-check"]
fn untouched_exercises_fail_every_graded_step_and_pass_every_demo() {
    let outcomes = grade(Target::member("exercises"), None);
    for step in STEPS {
        let of_step: Vec<&(&Check, Outcome)> = outcomes
            .iter()
            .filter(|(c, _)| c.step.name == step.name)
            .collect();
        let failed = of_step.iter().filter(|(_, o)| o.failed()).count();
        if step.graded() {
            assert!(
                failed > 0,
                "the untouched starter of {} passes every check",
                step.name
            );
        } else {
            assert!(
                of_step.iter().all(|(_, o)| o.passed()),
                "the demo {} fails untouched:\n{}",
                step.name,
                not_passed(&outcomes)
            );
        }
    }
}

/// Two folders with step files of one name are each graded on their own
/// code, whatever was built before: a solved echo-thread elsewhere passes,
/// this repository's starter fails, and the first again passes.
#[test]
#[ignore = "slow: the maintainer's self-check"]
fn a_copy_elsewhere_is_graded_on_its_own_code() {
    let root = workspace_root();
    // Outside the target directory, as a student's clone would be.
    let copy = std::env::temp_dir().join(format!("grader-self-check-{}", std::process::id()));
    let _ = fs::remove_dir_all(&copy);
    fs::create_dir_all(copy.join("exercises/src/bin")).unwrap();
    fs::copy(
        root.join("solutions/src/bin/echo-thread.rs"),
        copy.join("exercises/src/bin/echo-thread.rs"),
    )
    .unwrap();
    let elsewhere = || Target::files(copy.join("exercises"), "a copy");
    for (target, should_pass) in [
        (elsewhere(), true),
        (Target::member("exercises"), false),
        (elsewhere(), true),
    ] {
        let label = target.label.clone();
        let outcomes = grade(target, Some(&["echo-thread"]));
        let one_line = outcomes
            .iter()
            .find(|(c, _)| c.name == "one_line")
            .map(|(_, o)| o.passed());
        assert_eq!(
            one_line,
            Some(should_pass),
            "{label}:\n{}",
            not_passed(&outcomes)
        );
    }
    grader_selftest::remove_graded(&copy.join("exercises"));
    let _ = fs::remove_dir_all(&copy);
}

/// Grades the edited step, alone, in a folder of its own.
fn grade_edited(file: &str) -> (grader::edits::StepEdit, Vec<(&'static Check, Outcome)>) {
    let (edited, text) = grader::edits::load(file).unwrap();
    let step = edited.step.clone();
    let name = std::path::Path::new(file)
        .file_stem()
        .unwrap()
        .to_str()
        .unwrap();
    let dir = grader_dir()
        .join(edited.kind.dir())
        .join(format!("{step}-{name}"));
    grader::build::scratch::write_if_changed(&dir.join(format!("src/bin/{step}.rs")), &text)
        .unwrap();
    let outcomes = grade(Target::files(&dir, file), Some(&[step.as_str()]));
    assert!(!outcomes.is_empty(), "no check ran for {file}");
    (edited, outcomes)
}

/// The step must fail, first on the mutant's first `Caught by:` check; each
/// check its `Caught by:` lines name must fail (not merely go unrun); and it
/// must compile unless it says its mistake is a compile error.
fn check_mutant(file: &str) {
    let (mutant, outcomes) = grade_edited(file);
    if mutant.race {
        caught_every_run(file, &mutant);
    }
    let outcome = |name: &str| {
        outcomes
            .iter()
            .find(|(c, _)| c.full_name() == name)
            .map(|(_, o)| o)
    };
    if !mutant.does_not_compile {
        let compiles = format!("{}::compiles", mutant.step.replace('-', "_"));
        assert!(
            outcome(&compiles).is_some_and(Outcome::passed),
            "the mutant {file} does not compile, and does not say that is its mistake:\n{}",
            not_passed(&outcomes)
        );
    }
    // The first failure a student sees is the one that names the mistake.
    let first = outcomes
        .iter()
        .find(|(_, o)| o.failed())
        .map(|(c, _)| c.full_name());
    let by_chance = first.as_ref().is_some_and(|f| mutant.or_first.contains(f));
    if !by_chance {
        assert_eq!(
            first.as_ref(),
            mutant.caught_by.first(),
            "{file}: the first failure shown should be its first `Caught by`:\n{}",
            not_passed(&outcomes)
        );
    }
    let first_said = outcomes
        .iter()
        .find(|(_, o)| o.failed())
        .and_then(|(c, o)| {
            grader::report::CheckResult {
                check: c,
                outcome: o.clone(),
            }
            .message()
        })
        .unwrap_or_default();
    for words in mutant.says.iter().filter(|_| !by_chance) {
        assert!(
            first_said.contains(words.as_str()),
            "{file}: its first failure should say {words:?}:\n{first_said}"
        );
    }
    // Checks after one that failed by chance were not run.
    for test in mutant.caught_by.iter().filter(|_| !by_chance) {
        assert!(
            outcome(test).is_some_and(Outcome::failed),
            "{file}: expected {test} to fail, got {:?}\n{}",
            outcome(test).map(Outcome::words),
            not_passed(&outcomes)
        );
    }
}

/// A race shows only when threads meet it: graded nine times more (up to
/// the check that must catch it), its first failure is that check's, each
/// time.
fn caught_every_run(file: &str, mutant: &grader::edits::StepEdit) {
    let first = mutant
        .caught_by
        .first()
        .expect("a mutant is caught by a check");
    let check = registry::by_full_name(first).expect("a check of the registry");
    let dir = grader_dir().join(mutant.kind.dir()).join(format!(
        "{}-{}",
        mutant.step,
        std::path::Path::new(file)
            .file_stem()
            .unwrap()
            .to_str()
            .unwrap()
    ));
    for run in 2..=10 {
        let session = Session::new(Target::files(&dir, file), Settings::from_env());
        let outcomes = session.run(&[check], default_workers(), &|_, _| {});
        let failed = outcomes
            .iter()
            .find(|(_, o)| o.failed())
            .map(|(c, _)| c.full_name());
        assert_eq!(
            failed.as_ref(),
            Some(first),
            "{file}: run {run} of 10: a race must be caught by its first `Caught by` every run:\n{}",
            not_passed(&outcomes)
        );
    }
}

/// A right answer written otherwise must pass every check of its step: a
/// grader that fails correct work is worse than none.
fn check_variant(file: &str) {
    let (variant, outcomes) = grade_edited(file);
    assert!(
        outcomes
            .iter()
            .all(|(_, o)| o.passed() || matches!(o, Outcome::Skipped(_))),
        "the variant {file} ({}) failed:\n{}",
        variant.what,
        not_passed(&outcomes)
    );
}

/// A module of tests, one per file, and a fast test that every file in
/// `grader/<dir>/` has one and still applies to its step's solution.
macro_rules! edited_steps {
    (mod $module:ident: $dir:literal, $check:ident, at_least $min:literal;
     $($test:ident => $file:literal,)*) => {
        mod $module {
            use super::*;

            $(
                #[test]
                #[ignore = "slow: the maintainer's self-check"]
                fn $test() {
                    $check($file);
                }
            )*

            /// A file without a test here would never be checked.
            #[test]
            fn every_file_has_a_test() {
                let listed = [$($file),*];
                let dir = workspace_root().join("grader").join($dir);
                let mut on_disk = Vec::new();
                for step in fs::read_dir(&dir).unwrap() {
                    let step = step.unwrap().path();
                    for file in fs::read_dir(&step).unwrap() {
                        let file = file.unwrap().path();
                        let relative = file.strip_prefix(&dir).unwrap().to_str().unwrap().replace('\\', "/");
                        on_disk.push(relative);
                    }
                }
                on_disk.sort();
                let mut listed: Vec<String> = listed.iter().map(|s| s.to_string()).collect();
                listed.sort();
                assert_eq!(on_disk, listed);
                // Each still applies to its step's solution, as it is now.
                for file in &listed {
                    let (edited, _) = grader::edits::load(file).unwrap();
                    assert!(file.starts_with(&format!("{}/", edited.step)), "{file} is an edit of {}", edited.step);
                }
                assert!(listed.len() >= $min, "grader/{} holds {} files; keep at least {}", $dir, listed.len(), $min);
            }
        }
    };
}

// The lists, one test a file: long, and apart.
#[path = "self_check/edited.rs"]
mod edited;

/// A step that serves right but has reshaped what a harness drives (here,
/// the reactor's `wakers` renamed) fails the harness's checks with what to
/// keep, and is still graded black box on everything else.
#[test]
#[ignore = "slow: the maintainer's self-check"]
fn a_step_the_harness_does_not_fit_is_still_graded_black_box() {
    let step = "echo-own-runtime";
    let solution =
        fs::read_to_string(workspace_root().join(format!("solutions/src/bin/{step}.rs"))).unwrap();
    let reshaped = solution.replace("wakers", "waiting");
    let dir = grader_dir().join(format!("reshaped-{}", std::process::id()));
    grader::build::scratch::write_if_changed(&dir.join(format!("src/bin/{step}.rs")), &reshaped)
        .unwrap();
    let outcomes = grade(Target::files(&dir, "reshaped"), Some(&[step]));
    for (check, outcome) in &outcomes {
        if check.harnessed {
            let said = outcome.failure().map(|f| f.message()).unwrap_or_default();
            assert!(
                outcome.failed() && said.contains("could not build its harness"),
                "{}: {}\n{said}",
                check.full_name(),
                outcome.words()
            );
        } else {
            assert!(
                outcome.passed() || matches!(outcome, Outcome::Skipped(_)),
                "{} should still be graded, and pass:\n{}",
                check.full_name(),
                not_passed(&outcomes)
            );
        }
    }
    grader_selftest::remove_graded(&dir);
}

/// What was built for a target can be forgotten: its scratch crate, its
/// bins and their share of the shared build directory all go.
#[test]
#[ignore = "slow: the maintainer's self-check"]
fn a_forgotten_target_leaves_nothing_built() {
    let dir = std::env::temp_dir().join(format!("grader-forget-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(dir.join("src/bin")).unwrap();
    fs::copy(
        workspace_root().join("solutions/src/bin/echo-thread.rs"),
        dir.join("src/bin/echo-thread.rs"),
    )
    .unwrap();
    let target = Target::files(&dir, "to forget");
    let key = target.key();
    let built = |key: &str| -> Vec<String> {
        let fingerprints = grader::target::cargo_target_dir().join("debug/.fingerprint");
        let mut found: Vec<String> = fs::read_dir(fingerprints)
            .unwrap()
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|name| name.starts_with(&format!("steps-{key}-")))
            .collect();
        for place in [
            grader_dir().join("out").join(key),
            grader_dir().join("crates").join(key),
        ] {
            if place.exists() {
                found.push(place.display().to_string());
            }
        }
        found
    };
    let outcomes = grade(target.clone(), Some(&["echo-thread"]));
    assert!(
        outcomes.iter().all(|(_, o)| o.passed()),
        "{}",
        not_passed(&outcomes)
    );
    assert!(!built(&key).is_empty(), "nothing was built for {key}");
    grader::build::forget(&target, &Settings::from_env().builds).unwrap();
    assert_eq!(built(&key), Vec::<String>::new());
    let _ = fs::remove_dir_all(&dir);
}
