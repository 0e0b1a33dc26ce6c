//! The grade tests: every check of the grader's registry, as a test named
//! `<step>::<check>`. Grades `exercises` by default, or what `GRADE` names
//! (`solutions`, a path). See `grader::app::grade_tests` for how they run.

fn main() -> std::process::ExitCode {
    grader::app::grade_tests::main()
}
