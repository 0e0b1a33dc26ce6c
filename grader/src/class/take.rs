//! A submission's step files, taken into a folder of the grader's: only
//! regular files, each under a name of the grader's choosing, never a
//! manifest, build script or cargo configuration. The folder is named by
//! no student: what the compiler and the checks say of a file (its path)
//! may be shown to another student whose file is the same.

use super::find::Holds;
use crate::build::scratch::write_if_changed;
use crate::catalogue::STEPS;
use crate::error::Error;
use crate::step::Step;
use crate::target::{Target, grader_dir, workspace_root};
use std::path::PathBuf;

/// The most a step file may weigh: a step is a page or two of code.
const MAX_STEP_FILE: u64 = 1 << 20;

/// A step's file as the submission holds it: its text, or `None` when it
/// has none to grade (missing, a link, too big). An upload of bare files is
/// graded among the starters (`grader/starters`, as handed out), as
/// Gradescope's autograder grades it.
pub(super) type Files = Vec<(&'static Step, Option<String>)>;

/// The text of each step's file in the submission.
pub(super) fn read(holds: &Holds) -> Result<Files, Error> {
    let mut files = Vec::new();
    for step in STEPS {
        let source = match holds {
            Holds::Crate(target) => target.source(step.name),
            Holds::StepFiles(files) => files
                .iter()
                .find(|(s, _)| *s == step)
                .map(|(_, f)| f.clone())
                // The starters as handed out, never this checkout's
                // exercises: a tutor who solved them would give them away.
                .unwrap_or_else(|| {
                    workspace_root()
                        .join("grader/starters")
                        .join(format!("{}.rs", step.name))
                }),
            Holds::Nothing(why) => return Err(Error::said(why.clone())),
        };
        let text = match std::fs::symlink_metadata(&source) {
            Ok(meta) if meta.is_file() && meta.len() <= MAX_STEP_FILE => {
                let bytes = std::fs::read(&source).map_err(Error::io("read", &source))?;
                Some(String::from_utf8_lossy(&bytes).into_owned())
            }
            _ => None,
        };
        files.push((step, text));
    }
    Ok(files)
}

/// A folder of the grader's for one grading of a class: named for no one.
pub(super) fn folder() -> PathBuf {
    grader_dir()
        .join("class")
        .join(&crate::exec::secret()[..16])
}

/// The step files of `files` that have a text, written as a crate's
/// `src/bin` in `dir`: the target to grade.
pub(super) fn write(dir: &std::path::Path, files: &Files) -> Result<Target, Error> {
    let steps = dir.join("steps");
    let _ = std::fs::remove_dir_all(&steps);
    for (step, text) in files {
        if let Some(text) = text {
            write_if_changed(&steps.join(format!("src/bin/{}.rs", step.name)), text)?;
        }
    }
    std::fs::create_dir_all(steps.join("src/bin")).map_err(Error::io("make", &steps))?;
    Ok(Target::files(steps, "the submission"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    /// The text taken for `step`, as `read` gave it.
    fn text_of(files: &Files, step: &str) -> Option<String> {
        files
            .iter()
            .find(|(s, _)| s.name == step)
            .unwrap()
            .1
            .clone()
    }

    #[test]
    fn step_files_are_graded_among_the_starters() {
        let dir = std::env::temp_dir().join(format!("grader-take-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join("echo-thread.rs"), "// Erin's echo-thread").unwrap();
        let files = read(&Holds::StepFiles(vec![(
            crate::catalogue::find("echo-thread").unwrap(),
            dir.join("echo-thread.rs"),
        )]))
        .unwrap();
        let text = |step: &str| text_of(&files, step);
        assert_eq!(
            text("echo-thread").as_deref(),
            Some("// Erin's echo-thread")
        );
        let starter = workspace_root().join("grader/starters/echo-spawn.rs");
        assert_eq!(text("echo-spawn"), fs::read_to_string(starter).ok());
        let taken = folder();
        let target = write(&taken, &files).unwrap();
        assert!(!target.dir.to_string_lossy().contains("erin"));
        assert_eq!(
            fs::read_to_string(target.source("echo-thread")).unwrap(),
            "// Erin's echo-thread"
        );
        let _ = fs::remove_dir_all(&dir);
        let _ = fs::remove_dir_all(&taken);
    }

    /// A clone's step file that is a link, and one too big to be a step,
    /// are not taken: nothing outside the submission is read through it.
    #[cfg(unix)]
    #[test]
    fn only_regular_step_files_are_taken() {
        let dir = std::env::temp_dir().join(format!("grader-take-links-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(dir.join("src/bin")).unwrap();
        std::os::unix::fs::symlink("/etc/passwd", dir.join("src/bin/echo-thread.rs")).unwrap();
        fs::write(dir.join("src/bin/echo-spawn.rs"), "x".repeat(2 << 20)).unwrap();
        fs::write(dir.join("src/bin/mutex-send.rs"), "// mine").unwrap();
        let files = read(&Holds::Crate(Target::files(&dir, "linker"))).unwrap();
        let text = |step: &str| text_of(&files, step);
        assert_eq!(text("echo-thread"), None);
        assert_eq!(text("echo-spawn"), None);
        assert_eq!(text("mutex-send").as_deref(), Some("// mine"));
        let _ = fs::remove_dir_all(&dir);
    }
}
