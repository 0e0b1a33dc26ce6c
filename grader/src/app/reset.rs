//! `cargo run -p grader -- reset <step>`: the step's starter back in place
//! of the student's file, which is kept, not lost.

use crate::error::Error;
use crate::step::Step;
use crate::target::{Origin, Target, grader_dir, workspace_root};
use std::path::PathBuf;

/// Puts the starter of `step` in its place in `target`, after keeping the
/// file that was there; says where it was kept.
pub fn reset(target: &Target, step: &'static Step) -> Result<String, Error> {
    // `GRADE=solutions` left set in a shell must not turn an answer into a
    // starter: reset is for a student's own work.
    if target.kind
        == (Origin::Member {
            package: "solutions".to_string(),
        })
    {
        return Err(Error::said(format!(
            "reset puts a starter in place of your own work, and {} holds the answers: \
             unset GRADE to reset a step of exercises",
            target.label
        )));
    }
    let starter_path = workspace_root()
        .join("grader/starters")
        .join(format!("{}.rs", step.name));
    let starter = std::fs::read_to_string(&starter_path)
        .map_err(Error::io("read the starter", &starter_path))?;
    let file = target.source(step.name);
    let mut kept: Option<PathBuf> = None;
    if let Ok(current) = std::fs::read_to_string(&file) {
        if current == starter {
            return Ok(format!(
                "{} is already the starter: nothing to reset",
                file.display()
            ));
        }
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let dir = grader_dir().join("reset");
        let keep = dir.join(format!("{}-{stamp}.rs", step.name));
        std::fs::create_dir_all(&dir)
            .and_then(|()| std::fs::write(&keep, current))
            .map_err(Error::io("keep your file (nothing was reset) at", &keep))?;
        kept = Some(keep);
    }
    std::fs::write(&file, starter).map_err(Error::io("write", &file))?;
    Ok(match kept {
        Some(keep) => format!(
            "{} is the starter again; your file is kept at {}",
            file.display(),
            keep.display()
        ),
        None => format!("{} is the starter again", file.display()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::{STEPS, find};

    /// `reset` restores these copies: they must be the starters that
    /// `exercises` holds, in a maintainer's clone where nobody works them.
    #[test]
    fn the_kept_starters_are_the_exercises_starters() {
        for s in STEPS {
            let kept = workspace_root().join(format!("grader/starters/{}.rs", s.name));
            let given = workspace_root().join(format!("exercises/src/bin/{}.rs", s.name));
            assert_eq!(
                std::fs::read_to_string(&kept).unwrap(),
                std::fs::read_to_string(&given).unwrap(),
                "{} and {} differ: a starter changed without its copy",
                kept.display(),
                given.display()
            );
        }
    }

    #[test]
    fn reset_leaves_the_solutions_alone() {
        let target = Target::member("solutions");
        let step = find("echo-thread").unwrap();
        let file = target.source(step.name);
        let before = std::fs::read(&file).ok();
        let refused = reset(&target, step).unwrap_err();
        assert!(refused.to_string().contains("unset GRADE"), "{refused}");
        assert_eq!(std::fs::read(&file).ok(), before);
    }

    #[test]
    fn reset_keeps_the_students_file_and_puts_the_starter_back() {
        let dir = std::env::temp_dir().join(format!("grader-reset-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("src/bin")).unwrap();
        let target = Target::files(&dir, "a student's steps");
        let step = find("echo-thread").unwrap();
        let file = target.source(step.name);
        std::fs::write(&file, "// my work\n").unwrap();

        let said = reset(&target, step).unwrap();
        let starter =
            std::fs::read_to_string(workspace_root().join("grader/starters/echo-thread.rs"));
        assert_eq!(std::fs::read_to_string(&file).unwrap(), starter.unwrap());
        let kept = said.rsplit("kept at ").next().unwrap();
        assert_eq!(
            std::fs::read_to_string(kept).unwrap(),
            "// my work\n",
            "{said}"
        );

        let again = reset(&target, step).unwrap();
        assert!(again.contains("already the starter"), "{again}");
        let _ = std::fs::remove_file(kept);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
