//! What a submission holds: where in a folder the student's step files are.
//!
//! A submission is a clone of this repository (graded in its
//! `exercises/src/bin`, wherever the clone sits in the folder), the
//! exercises crate itself (`src/bin`), or step files alone
//! (`echo-thread.rs`, ...), as an upload holds them. Never the repository's
//! own copies of the steps: its starters (`grader/starters`), the
//! solutions, what was built (`target/`). Links are not followed: a link
//! leads to another's work, or round in a loop.

use crate::catalogue::STEPS;
use crate::step::Step;
use crate::target::Target;
use std::path::{Path, PathBuf};

/// What a submission folder holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Holds {
    /// A crate with the steps in `src/bin`.
    Crate(Target),
    /// Step files alone: (step, file), in the catalogue's order.
    StepFiles(Vec<(&'static Step, PathBuf)>),
    /// Nothing to grade, and why.
    Nothing(String),
}

/// One folder of the class.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Submission {
    pub name: String,
    pub holds: Holds,
}

/// A folder's name as the grader shows it (progress lines, the sheet, the
/// feedback files' names): a control character written out (`\u{1b}`), so
/// that a name can neither move the tutor's cursor nor make a line of its
/// own.
fn printable(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_control() {
                format!("\\u{{{:x}}}", c as u32)
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// The submissions in `dir`, in name order; files beside them are ignored,
/// and a link gets a row that says it is not graded.
pub fn submissions(dir: &Path) -> Result<Vec<Submission>, String> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    let mut found = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
        let path = entry.path();
        let name = printable(&entry.file_name().to_string_lossy());
        if name.starts_with('.') {
            continue;
        }
        let holds = match std::fs::symlink_metadata(&path) {
            Ok(meta) if meta.file_type().is_symlink() => {
                if !path.is_dir() {
                    continue;
                }
                Holds::Nothing(
                    "a link, not a folder: links are not followed (it may lead to another's work)"
                        .to_string(),
                )
            }
            Ok(meta) if meta.is_dir() => holds(&path, &name),
            _ => continue,
        };
        found.push(Submission { name, holds });
    }
    found.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(found)
}

/// Folders whose step files are never the student's: the repository's own
/// copies (the starters under `grader/`, the solutions), builds, history.
const NOT_THE_STUDENT_S: &[&str] = &[
    "grader",
    "solutions",
    "target",
    ".git",
    "bench",
    "node_modules",
];

/// How deep into a submission the step files are looked for, and how many
/// folders at most: a submission is a clone or an upload, not a disk.
const DEEPEST: usize = 8;
const MOST_FOLDERS: usize = 20_000;

/// What the folder `folder` (of the student `name`) holds: the shallowest
/// clone's `exercises/src/bin` with a step file in it; else the shallowest
/// `src/bin` with one; else, for each step, the shallowest file named as it.
pub fn holds(folder: &Path, name: &str) -> Holds {
    let mut folders = Vec::new();
    walk(folder, 0, &mut folders);
    // The shallowest first, so that a stray copy deep inside loses.
    folders.sort_by_key(|f| (f.components().count(), f.clone()));
    let has_a_step = |dir: &Path| {
        STEPS
            .iter()
            .any(|s| is_file(&dir.join(format!("{}.rs", s.name))))
    };
    let crate_of = |bin: &Path| bin.parent()?.parent().map(Path::to_path_buf);
    let clone = folders
        .iter()
        .find(|f| f.ends_with("exercises/src/bin") && has_a_step(f));
    let bare = || {
        folders
            .iter()
            .find(|f| f.ends_with("src/bin") && has_a_step(f))
    };
    if let Some(dir) = clone.or_else(bare).and_then(|bin| crate_of(bin)) {
        return Holds::Crate(Target::files(dir, name));
    }
    let steps: Vec<(&'static Step, PathBuf)> = STEPS
        .iter()
        .filter_map(|step| {
            let wanted = format!("{}.rs", step.name);
            folders
                .iter()
                .map(|f| f.join(&wanted))
                .find(|f| is_file(f))
                .map(|f| (step, f))
        })
        .collect();
    if steps.is_empty() {
        Holds::Nothing(
            "no step file (neither a clone's exercises/src/bin, nor a crate's src/bin, nor files such as echo-thread.rs)"
                .to_string(),
        )
    } else {
        Holds::StepFiles(steps)
    }
}

/// `dir` and the folders under it, but for the repository's own and links.
fn walk(dir: &Path, depth: usize, into: &mut Vec<PathBuf>) {
    if depth > DEEPEST || into.len() >= MOST_FOLDERS {
        return;
    }
    into.push(dir.to_path_buf());
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut subfolders: Vec<PathBuf> = entries
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter(|e| !NOT_THE_STUDENT_S.iter().any(|n| e.file_name() == *n))
        .map(|e| e.path())
        .collect();
    subfolders.sort();
    for sub in subfolders {
        walk(&sub, depth + 1, into);
    }
}

/// Whether `path` is a regular file, not a link to one.
fn is_file(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::find;
    use std::fs;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("grader-find-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn touch(path: &Path) {
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, "").unwrap();
    }

    #[test]
    fn a_clone_a_crate_step_files_and_an_empty_folder_are_each_a_submission() {
        let dir = scratch("kinds");
        for crate_dir in ["carol/exercises", "alice"] {
            touch(&dir.join(crate_dir).join("src/bin/echo-thread.rs"));
        }
        fs::create_dir_all(dir.join("bob/notes")).unwrap();
        // Dan uploaded two steps; a copy of a solution is not his work.
        touch(&dir.join("dan/upload/mutex-send.rs"));
        touch(&dir.join("dan/upload/old/mutex-send.rs"));
        touch(&dir.join("dan/echo-thread.rs"));
        touch(&dir.join("dan/solutions/echo-spawn.rs"));
        fs::create_dir_all(dir.join(".git")).unwrap();
        fs::write(dir.join("roster.txt"), "alice bob carol dan").unwrap();

        let found = submissions(&dir).unwrap();
        let names: Vec<&str> = found.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["alice", "bob", "carol", "dan"]);
        assert_eq!(
            found[0].holds,
            Holds::Crate(Target::files(dir.join("alice"), "alice"))
        );
        assert!(matches!(found[1].holds, Holds::Nothing(_)));
        assert_eq!(
            found[2].holds,
            Holds::Crate(Target::files(dir.join("carol/exercises"), "carol"))
        );
        assert_eq!(
            found[3].holds,
            Holds::StepFiles(vec![
                (find("echo-thread").unwrap(), dir.join("dan/echo-thread.rs")),
                (
                    find("mutex-send").unwrap(),
                    dir.join("dan/upload/mutex-send.rs")
                ),
            ])
        );
        let _ = fs::remove_dir_all(&dir);
    }

    /// A whole clone holds the steps three times: the student's, the
    /// starters under grader/, the solutions. Only the first is theirs,
    /// wherever the clone sits.
    #[test]
    fn a_clone_is_graded_in_its_exercises_wherever_it_sits() {
        let dir = scratch("clones");
        for at in ["eve", "frank/async-rust-main"] {
            let clone = dir.join(at);
            for step in STEPS {
                for copy in ["exercises/src/bin", "grader/starters", "solutions/src/bin"] {
                    touch(&clone.join(copy).join(format!("{}.rs", step.name)));
                }
            }
            touch(&clone.join("target/debug/echo-thread.rs"));
        }
        let found = submissions(&dir).unwrap();
        assert_eq!(
            found[0].holds,
            Holds::Crate(Target::files(dir.join("eve/exercises"), "eve"))
        );
        assert_eq!(
            found[1].holds,
            Holds::Crate(Target::files(
                dir.join("frank/async-rust-main/exercises"),
                "frank"
            ))
        );
        // A clone whose exercises are gone: never the starters.
        let bare = dir.join("gina");
        touch(&bare.join("grader/starters/echo-thread.rs"));
        assert!(matches!(holds(&bare, "gina"), Holds::Nothing(_)));
        let _ = fs::remove_dir_all(&dir);
    }

    #[cfg(unix)]
    #[test]
    fn linked_folders_lead_nowhere() {
        let class = scratch("dirlinks");
        touch(&class.join("alice/echo-thread.rs"));
        // Another's work, through a link to a folder; a crate through one;
        // links that go round in a loop; and a link at the top.
        fs::create_dir_all(class.join("mallory")).unwrap();
        std::os::unix::fs::symlink("../alice", class.join("mallory/steal")).unwrap();
        fs::create_dir_all(class.join("oscar/exercises")).unwrap();
        std::os::unix::fs::symlink("../../alice", class.join("oscar/exercises/src")).unwrap();
        fs::create_dir_all(class.join("loopy")).unwrap();
        std::os::unix::fs::symlink(".", class.join("loopy/a")).unwrap();
        std::os::unix::fs::symlink(".", class.join("loopy/b")).unwrap();
        std::os::unix::fs::symlink("alice", class.join("trudy")).unwrap();
        let found = submissions(&class).unwrap();
        let holds = |who: &str| &found.iter().find(|s| s.name == who).unwrap().holds;
        assert!(matches!(holds("alice"), Holds::StepFiles(_)));
        for who in ["mallory", "oscar", "loopy", "trudy"] {
            assert!(
                matches!(holds(who), Holds::Nothing(_)),
                "{who}: {:?}",
                holds(who)
            );
        }
        assert!(matches!(holds("trudy"), Holds::Nothing(why) if why.starts_with("a link")));
        let _ = fs::remove_dir_all(&class);
    }

    #[test]
    fn a_missing_folder_is_one_line() {
        let e = submissions(Path::new("no/such/class")).unwrap_err();
        assert!(e.starts_with("cannot read no/such/class"), "{e}");
        assert!(!e.contains('\n'));
    }

    #[test]
    fn a_name_s_control_characters_are_written_out() {
        assert_eq!(printable("carol\u{1b}[2K"), "carol\\u{1b}[2K");
        assert_eq!(printable("dave\nzed,100"), "dave\\u{a}zed,100");
        assert_eq!(printable("élise"), "élise");
    }
}
