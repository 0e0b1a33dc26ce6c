//! `cargo run -p grader -- reset <step>`: the step's starter back in place
//! of the student's file, which is kept, not lost.

use crate::catalogue::Step;
use crate::target::{Target, grader_dir, workspace_root};
use std::path::PathBuf;

/// Puts the starter of `step` in its place in `target`, after keeping the
/// file that was there; says where it was kept.
pub fn reset(target: &Target, step: &'static Step) -> Result<String, String> {
    let starter_path = workspace_root()
        .join("grader/starters")
        .join(format!("{}.rs", step.name));
    let starter = std::fs::read_to_string(&starter_path)
        .map_err(|e| format!("cannot read the starter {}: {e}", starter_path.display()))?;
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
            .map_err(|e| {
                format!(
                    "cannot keep your file at {}: {e}; nothing was reset",
                    keep.display()
                )
            })?;
        kept = Some(keep);
    }
    std::fs::write(&file, starter).map_err(|e| format!("cannot write {}: {e}", file.display()))?;
    Ok(match kept {
        Some(keep) => format!(
            "{} is the starter again; your file is kept at {}",
            file.display(),
            keep.display()
        ),
        None => format!("{} is the starter again", file.display()),
    })
}
