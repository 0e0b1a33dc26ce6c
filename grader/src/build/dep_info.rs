//! What the compiler read for a step's bin: the dep-info file rustc writes
//! beside each executable it makes in the build directory
//! (`deps/<name>-<hash>.d`), in Make's syntax. Not cargo's copy beside the
//! finished executable: cargo rewrites that one only when it finds the list
//! changed, and it was seen to keep a past build's.

use std::path::{Path, PathBuf};

/// The files the compiler read for the bin of the step file `source`,
/// besides that file, from `deps`, the build directory's folder of rustc's
/// outputs. A step's file is the root of its bin, and each bin's dep-info
/// names its root first: the step's is the latest that names this one
/// (many crates, a class's, share the folder). `Ok(None)` when there is
/// none: a bin whose file is the crate's own (a harness).
pub(super) fn files_read(
    bin: &str,
    source: &Path,
    deps: &Path,
) -> std::io::Result<Option<Vec<PathBuf>>> {
    let own = canonical(source);
    let prefix = format!("{}-", bin.replace('-', "_"));
    let mut latest: Option<(std::time::SystemTime, Vec<PathBuf>)> = None;
    for entry in std::fs::read_dir(deps)? {
        let path = entry?.path();
        let named = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with(&prefix) && n.ends_with(".d"));
        if !named {
            continue;
        }
        let (Ok(text), Ok(written)) = (
            std::fs::read_to_string(&path),
            std::fs::metadata(&path).and_then(|m| m.modified()),
        ) else {
            continue;
        };
        let files = dep_info_files(&text);
        if files.first().map(|f| canonical(f)) != Some(own.clone()) {
            continue;
        }
        if latest.as_ref().is_none_or(|(at, _)| written > *at) {
            latest = Some((written, files));
        }
    }
    Ok(latest.map(|(_, files)| {
        files
            .iter()
            .map(|f| canonical(f))
            .filter(|f| *f != own)
            .collect()
    }))
}

fn canonical(path: &Path) -> PathBuf {
    path.canonicalize().unwrap_or_else(|_| path.to_path_buf())
}

/// The files of a dep-info file's rules.
fn dep_info_files(text: &str) -> Vec<PathBuf> {
    let mut files = Vec::new();
    // `# env-dep:NAME=value` lines say what it read of its environment.
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        // After the target: a colon, then a space (`C:\..` has none after).
        let Some(at) = line.find(": ") else { continue };
        let mut file = String::new();
        let mut chars = line[at + 2..].chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\\' if chars.peek() == Some(&' ') => {
                    file.push(' ');
                    chars.next();
                }
                ' ' => {
                    if !file.is_empty() {
                        files.push(PathBuf::from(std::mem::take(&mut file)));
                    }
                }
                c => file.push(c),
            }
        }
        if !file.is_empty() {
            files.push(PathBuf::from(file));
        }
    }
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dep_info_file_lists_every_file_read() {
        let text = "/out/debug/echo-thread: /a/src/bin/echo-thread.rs /a/my\\ work/echo-spawn.rs /c/src/lib.rs\n\n/a/src/bin/echo-thread.rs:\n";
        assert_eq!(
            dep_info_files(text),
            [
                "/a/src/bin/echo-thread.rs",
                "/a/my work/echo-spawn.rs",
                "/c/src/lib.rs"
            ]
            .map(PathBuf::from)
        );
    }
}
