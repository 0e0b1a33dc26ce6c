//! The tutorial's compile-time lessons: code that the compiler rejects, with
//! the message it gives recorded in `tests/ui/*.stderr`. Each test is named
//! after the step whose lesson it is.
//!
//! After a deliberate change, refresh the snapshots with
//! `TRYBUILD=overwrite cargo test -p grader-selftest --test lessons`.

#[test]
fn mutex_send_lesson_std_guard_held_across_await_is_not_send() {
    trybuild::TestCases::new().compile_fail("tests/ui/std_mutex_guard_across_await.rs");
}

#[test]
fn echo_thread_lesson_spawn_without_move_borrows_the_socket() {
    trybuild::TestCases::new().compile_fail("tests/ui/thread_spawn_without_move.rs");
}

#[test]
fn task2_struct_1_lesson_a_future_does_nothing_unless_awaited() {
    trybuild::TestCases::new().compile_fail("tests/ui/unawaited_future.rs");
}
