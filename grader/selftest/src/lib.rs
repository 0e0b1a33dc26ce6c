//! What the grader's own tests share: the grader's executable, built once.

use std::path::PathBuf;
use std::sync::OnceLock;

/// The `grader` executable (`cargo run -p grader`), built the first time it
/// is asked for, as cargo would build it, then copied where only these
/// tests run it: a test that runs cargo in another checkout, or a route's
/// script that builds the grader again, never changes the one under test.
pub fn grader_exe() -> PathBuf {
    static EXE: OnceLock<PathBuf> = OnceLock::new();
    EXE.get_or_init(|| {
        let root = grader::target::workspace_root();
        let out = std::process::Command::new(env!("CARGO"))
            .args(["build", "--quiet", "-p", "grader", "--bin", "grader"])
            .arg("--manifest-path")
            .arg(root.join("Cargo.toml"))
            .args(["--message-format=json"])
            .output()
            .expect("cargo runs");
        assert!(out.status.success(), "cargo could not build the grader");
        let built = grader::build::cargo::read_messages(&out.stdout[..])
            .exes
            .remove("grader")
            .expect("cargo built the grader's executable");
        // Inside the target directory, where the grader finds its builds.
        let copy = grader::target::cargo_target_dir()
            .join("selftest/bin")
            .join(format!("grader-{}", std::process::id()));
        std::fs::create_dir_all(copy.parent().expect("a folder")).expect("a folder of ours");
        std::fs::copy(&built, &copy).expect("the grader copied");
        copy
    })
    .clone()
}

/// Removes a folder of step files that a test graded, and all the grader
/// built for it: tests that use a folder of their own per run would
/// otherwise fill the build directory run after run.
pub fn remove_graded(dir: &std::path::Path) {
    let _ = grader::build::forget(
        &grader::Target::files(dir, "graded by a test"),
        &grader::settings::Settings::from_env().builds,
    );
    let _ = std::fs::remove_dir_all(dir);
}

pub mod fixtures;
pub mod steps;
pub mod tricks;
