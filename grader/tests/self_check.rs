//! The grader, graded: the solutions pass; the untouched exercises fail every
//! graded step while the demos pass; each known-wrong version of a step (a
//! mutant, in `grader/mutants/<step>/`) is caught by that step's tests; and
//! each right version written otherwise than the solution (a variant, in
//! `grader/variants/<step>/`) passes every one of them.
//!
//! Each case runs the real grade tests (`cargo test -p grader --test grade`)
//! on a target, so what is checked here is exactly what students run. These
//! take minutes, so they are ignored by default; the maintainer's check runs
//! them: `cargo test -p grader --test self_check -- --include-ignored`.

use grader::compile::target_key;
use grader::generated::write_crate;
use grader::runner::{Outcome, TestRun, grade_tests};
use grader::steps::STEPS;
use grader::target::{grader_dir, workspace_root};
use std::fs;
use std::path::{Path, PathBuf};

/// The end of a run's output, for an assertion message.
fn output_tail(run: &TestRun) -> String {
    grader::failure::tail(&run.output, 60)
}

#[test]
#[ignore = "slow: the maintainer's self-check"]
fn solutions_pass_every_check() {
    let run = grade_tests("solutions", "").unwrap();
    assert!(
        run.success && !run.tests.is_empty(),
        "the solutions failed:\n{}",
        output_tail(&run)
    );
    for step in STEPS {
        let prefix = format!("{}::", step.test_prefix());
        assert!(
            run.tests.iter().any(|(name, _)| name.starts_with(&prefix)),
            "no test is named {prefix}*"
        );
    }
}

#[test]
#[ignore = "slow: the maintainer's self-check"]
fn untouched_exercises_fail_every_graded_step_and_pass_every_demo() {
    let run = grade_tests("exercises", "").unwrap();
    for step in STEPS {
        let prefix = format!("{}::", step.test_prefix());
        let tests: Vec<&(String, Outcome)> = run
            .tests
            .iter()
            .filter(|(n, _)| n.starts_with(&prefix))
            .collect();
        assert!(
            !tests.is_empty(),
            "no test is named {prefix}*:\n{}",
            output_tail(&run)
        );
        let failed = tests
            .iter()
            .filter(|(_, o)| matches!(o, Outcome::Failed(_)))
            .count();
        if step.graded {
            assert!(
                failed > 0,
                "the untouched starter of {} passes every check",
                step.name
            );
        } else {
            assert_eq!(
                failed,
                0,
                "the demo {} fails untouched:\n{}",
                step.name,
                output_tail(&run)
            );
        }
    }
}

/// A crate of the graded workspace copied elsewhere shares cargo's build of
/// `exercises` with this one (same name, same place in its workspace): the
/// grader must still run each crate's own code.
#[test]
#[ignore = "slow: the maintainer's self-check"]
fn a_copy_elsewhere_is_graded_on_its_own_code() {
    let root = workspace_root();
    // Outside the target directory, as a student's clone would be.
    let copy = std::env::temp_dir().join(format!("grader-self-check-{}", std::process::id()));
    let _ = fs::remove_dir_all(&copy);
    fs::create_dir_all(copy.join("exercises/src/bin")).unwrap();
    let manifest = fs::read_to_string(root.join("Cargo.toml")).unwrap();
    let members = manifest.lines().find(|l| l.starts_with("members")).unwrap();
    fs::write(
        copy.join("Cargo.toml"),
        manifest.replace(members, "members = [\"exercises\"]"),
    )
    .unwrap();
    fs::copy(root.join("Cargo.lock"), copy.join("Cargo.lock")).unwrap();
    fs::copy(
        root.join("exercises/Cargo.toml"),
        copy.join("exercises/Cargo.toml"),
    )
    .unwrap();
    // The copy holds a solved echo-thread; this repository's is the starter.
    fs::copy(
        root.join("solutions/src/bin/echo-thread.rs"),
        copy.join("exercises/src/bin/echo-thread.rs"),
    )
    .unwrap();
    let copy_dir = copy.join("exercises");
    let copy_grade = copy_dir.to_str().unwrap();
    for (grade, should_pass) in [(copy_grade, true), ("exercises", false), (copy_grade, true)] {
        let run = grade_tests(grade, "echo_thread::one_line").unwrap();
        assert_eq!(
            run.success,
            should_pass,
            "GRADE={grade}:\n{}",
            output_tail(&run)
        );
    }
    let _ = fs::remove_dir_all(&copy);
}

/// Builds the edited step's crate and runs its step's tests on it.
fn grade_edited(file: &str) -> (grader::edits::StepEdit, TestRun) {
    let (edited, text) = grader::edits::load(file).unwrap();
    let step = edited.step.as_str();
    let name = Path::new(file).file_stem().unwrap().to_str().unwrap();
    let kind = edited.kind.dir();

    let dir: PathBuf = grader_dir().join(kind).join(format!("{step}-{name}"));
    let package = format!("{kind}-{step}-{name}-{}", target_key(&dir).to_lowercase());
    let main = format!("src/bin/{step}.rs");
    write_crate(&dir, &package, &[(&main, &text)], workspace_root()).unwrap();

    let prefix = format!("{}::", step.replace('-', "_"));
    let run = grade_tests(dir.to_str().unwrap(), &prefix).unwrap();
    assert!(
        !run.tests.is_empty(),
        "no test ran for {file}:\n{}",
        output_tail(&run)
    );
    (edited, run)
}

/// The run must fail, and so must each test the mutant's `Caught by:`
/// lines name.
fn check_mutant(file: &str) {
    let (mutant, run) = grade_edited(file);
    assert!(
        !run.success,
        "the mutant {file} passed every check of {}",
        mutant.step
    );
    for test in &mutant.caught_by {
        match run.outcome(test) {
            Some(Outcome::Failed(_)) => {}
            other => panic!(
                "{file}: expected {test} to fail, got {other:?}; failed: {:?}",
                run.failed()
            ),
        }
    }
}

/// A right answer written otherwise must pass every check of its step: a
/// grader that fails correct work is worse than none.
fn check_variant(file: &str) {
    let (variant, run) = grade_edited(file);
    assert!(
        run.success && run.failed().is_empty(),
        "the variant {file} ({}) failed {:?}:\n{}",
        variant.what,
        run.failed(),
        output_tail(&run)
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

edited_steps! {
    mod mutants: "mutants", check_mutant, at_least 15;
    add_to_inbox_pending_after_a_new_state => "add-to-inbox/pending-after-a-new-state.mutant",
    add_to_inbox_pending_after_completion => "add-to-inbox/pending-after-completion.mutant",
    add_to_inbox_space_not_verified => "add-to-inbox/space-not-verified.mutant",
    add_to_inbox_sub_future_started_again => "add-to-inbox/sub-future-started-again.mutant",
    add_to_inbox_waker_not_passed_on => "add-to-inbox/waker-not-passed-on.mutant",
    echo_spawn_no_connection_log => "echo-spawn/no-connection-log.mutant",
    echo_spawn_spawn_blocking_per_client => "echo-spawn/spawn-blocking-per-client.mutant",
    echo_spawn_spawn_forgotten => "echo-spawn/spawn-forgotten.mutant",
    echo_spawn_thread_per_client => "echo-spawn/thread-per-client.mutant",
    echo_spawn_write_unawaited => "echo-spawn/write-unawaited.mutant",
    echo_thread_all_interfaces => "echo-thread/all-interfaces.mutant",
    echo_thread_bind_error_unexplained => "echo-thread/bind-error-unexplained.mutant",
    echo_thread_buffer_not_cleared => "echo-thread/buffer-not-cleared.mutant",
    echo_thread_fragment_echoed => "echo-thread/fragment-echoed.mutant",
    echo_thread_newline_dropped => "echo-thread/newline-dropped.mutant",
    echo_thread_no_thread => "echo-thread/no-thread.mutant",
    echo_thread_one_line_then_close => "echo-thread/one-line-then-close.mutant",
    echo_thread_port_unwrap => "echo-thread/port-unwrap.mutant",
    echo_thread_string_lines => "echo-thread/string-lines.mutant",
    mini_executor_busy_poll => "mini-executor/busy-poll.mutant",
    mini_executor_task_dropped_when_pending => "mini-executor/task-dropped-when-pending.mutant",
    mini_executor_wake_does_nothing => "mini-executor/wake-does-nothing.mutant",
    mutex_send_lost_update => "mutex-send/lost-update.mutant",
    mutex_send_tasks_unwrap => "mutex-send/tasks-unwrap.mutant",
    task2_struct_final_await_missing => "task2-struct-final/await-missing.mutant",
    task2_struct_final_barrier_of_two => "task2-struct-final/barrier-of-two.mutant",
    task2_struct_final_one_hydrogen_permit => "task2-struct-final/one-hydrogen-permit.mutant",
    task2_struct_final_permit_dropped => "task2-struct-final/permit-dropped.mutant",
    task2_struct_final_three_hydrogen_permits => "task2-struct-final/three-hydrogen-permits.mutant",
    task2_struct_final_two_oxygen_permits => "task2-struct-final/two-oxygen-permits.mutant",
}

edited_steps! {
    mod variants: "variants", check_variant, at_least 10;
    add_to_inbox_ready_macro => "add-to-inbox/ready-macro.variant",
    add_to_inbox_state_taken_out => "add-to-inbox/state-taken-out.variant",
    echo_spawn_current_thread_runtime => "echo-spawn/current-thread-runtime.variant",
    echo_spawn_four_workers => "echo-spawn/four-workers.variant",
    echo_spawn_generic_split => "echo-spawn/generic-split.variant",
    echo_spawn_owned_halves => "echo-spawn/owned-halves.variant",
    echo_spawn_peer_logged => "echo-spawn/peer-logged.variant",
    echo_thread_byte_by_byte => "echo-thread/byte-by-byte.variant",
    echo_thread_peer_logged => "echo-thread/peer-logged.variant",
    echo_thread_writer_cloned => "echo-thread/writer-cloned.variant",
    mini_executor_polled_in_place => "mini-executor/polled-in-place.variant",
    mini_executor_queue_iterated => "mini-executor/queue-iterated.variant",
    mutex_send_handles_awaited_in_turn => "mutex-send/handles-awaited-in-turn.variant",
    mutex_send_lock_owned => "mutex-send/lock-owned.variant",
    task2_struct_final_owned_permits => "task2-struct-final/owned-permits.variant",
    task2_struct_final_permit_dropped_by_hand => "task2-struct-final/permit-dropped-by-hand.variant",
}
