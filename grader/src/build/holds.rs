//! What a step file may hold beyond safe Rust, read from its tokens before
//! anything of it is built: it is its one file (nothing taken in from
//! another at compile time), and a runtime of the student's own names no
//! other runtime. Each is refused with the line, as unsafe code is
//! (`safety`).

use super::lexer::{Token, line_of, tokens_to_the_end};
use super::safety::Refusal;

/// What a refusal for another file says: the step's hint tells it by this.
pub(crate) const ANOTHER_FILE: &str = "takes in another file";

/// Whether the file takes in another file at compile time: `include!`,
/// `include_str!`, `include_bytes!` (by any name: `use std::include as i`
/// names it too), a module at a `#[path]`, a module in a file of its own
/// (`mod name;`), or a debugger's script (`#![debugger_visualizer]`). A step
/// is its one file: its checks, and a class's reuse of a result by the
/// file's text, read that file alone, and another file may be a classmate's
/// step, or a file of the machine.
pub(crate) fn other_files(text: &str) -> Option<Refusal> {
    // A file read only in part could take in anything after that part.
    let all = match tokens_to_the_end(text) {
        Ok(all) => all,
        Err(stopped) => {
            return Some(Refusal {
                line: Some(line_of(text, stopped)),
                what: format!(
                    "the grader cannot read the file as Rust from here, and so cannot tell whether it {ANOTHER_FILE}"
                ),
            });
        }
    };
    let at = |i: Option<usize>| {
        i.and_then(|i| all.get(i))
            .map_or("", |t| &text[t.start..t.end])
    };
    for (i, token) in all.iter().enumerate() {
        if token.token != Token::Word {
            continue;
        }
        let (before, after, later) = (at(i.checked_sub(1)), at(Some(i + 1)), at(Some(i + 2)));
        let what = match at(Some(i)) {
            word @ ("include" | "include_str" | "include_bytes") => {
                format!("`{word}!` {ANOTHER_FILE}")
            }
            // Its file is put into the executable, where the step can read it.
            "debugger_visualizer" => format!("`#![debugger_visualizer]` {ANOTHER_FILE}"),
            // `#[path = "..."]`, and inside `cfg_attr(.., path = "...")`.
            "path" if matches!(before, "[" | "," | "(") && after == "=" && later != "=" => {
                format!("a module at a `#[path]` {ANOTHER_FILE}")
            }
            "mod" if all.get(i + 1).is_some_and(|t| t.token == Token::Word) && later == ";" => {
                format!("`mod {after};` {ANOTHER_FILE}")
            }
            _ => continue,
        };
        return Some(Refusal {
            line: Some(line_of(text, token.start)),
            what,
        });
    }
    None
}

/// Whether the file holds assembly, or a function made of it: `asm!`,
/// `global_asm!`, `naked_asm!`, `#[naked]`, however a macro writes them
/// (every word of the file is read, what a macro is given too). Assembly
/// runs unchecked, before `main` as well (a `.init_array` entry), and takes
/// in files of its own (`.incbin`) that no dep-info lists.
pub(crate) fn assembly(text: &str) -> Option<Refusal> {
    // Read only in part, the rest could hold it: `other_files` refuses
    // such a file first.
    let all = tokens_to_the_end(text).ok()?;
    all.iter()
        .filter(|t| t.token == Token::Word)
        .find(|t| {
            matches!(
                &text[t.start..t.end],
                "asm" | "global_asm" | "naked_asm" | "naked" | "llvm_asm"
            )
        })
        .map(|t| Refusal {
            line: Some(line_of(text, t.start)),
            what: format!("assembly (`{}`)", &text[t.start..t.end]),
        })
}

/// What a refusal for a crate the step does without says: the step's hint
/// tells it by this.
pub(crate) const DOES_WITHOUT: &str = "would do the step's work for it";

/// Whether the file names one of `crates` (a path, a `use`, an `extern
/// crate`, a macro's path: any word that is the crate's name), whose
/// runtime would run the step's futures for it, where the step is to be
/// the runtime.
pub(crate) fn crates_named(text: &str, crates: &[&str]) -> Option<Refusal> {
    if crates.is_empty() {
        return None;
    }
    // Read only in part, the rest could name them: `other_files` refuses
    // such a file first.
    let all = tokens_to_the_end(text).ok()?;
    all.iter().filter(|t| t.token == Token::Word).find_map(|t| {
        let word = &text[t.start..t.end];
        crates.contains(&word).then(|| Refusal {
            line: Some(line_of(text, t.start)),
            what: format!("it uses `{word}`, whose runtime {DOES_WITHOUT}"),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_step_takes_in_no_other_file() {
        for (text, line) in [
            ("fn main() {}\ninclude!(\"echo-thread.rs\");", 2),
            ("const A: &str = include_str!(\"/etc/passwd\");", 1),
            ("use std::include_bytes as b;", 1),
            ("#[path = \"other.rs\"]\nmod other {}", 1),
            ("#[cfg_attr(all(), path = \"x.rs\")]\nmod x {}", 1),
            ("\n\npub mod helpers;", 3),
            (
                "#![debugger_visualizer(gdb_script_file = \"../solutions/src/bin/echo-thread.rs\")]",
                1,
            ),
            // Whitespace rustc reads as such, and a lifetime of another script.
            ("#[path\u{0B}= \"x.rs\"]\nmod x {}", 1),
            ("mod\u{2028}evil;", 1),
            ("fn f<'\u{2118}>() {}\ninclude!(\"x.rs\");", 2),
            // Text it cannot read to the end: the rest may hold anything.
            ("fn main() {}\n/* never closed", 2),
        ] {
            let refusal = other_files(text).unwrap_or_else(|| panic!("{text} taken"));
            assert_eq!(refusal.line, Some(line), "{text}");
            assert!(refusal.what.contains(ANOTHER_FILE), "{refusal}");
        }
        for text in [
            "fn main() { let path = \"include!\"; }",
            "// include!(\"x\")\nmod inline { }",
            "fn f(path: &str) -> bool { path == \"a\" }",
            "struct S { path: String }\nfn g(s: S) -> S { S { path: s.path } }",
            "fn h(mut path: u8) { path = 2; let _ = path; }",
        ] {
            assert_eq!(other_files(text), None, "{text}");
        }
    }

    #[test]
    fn a_step_holds_no_assembly() {
        for (text, line) in [
            ("fn main() {}\ncore::arch::global_asm!(\"nop\");", 2),
            ("#[unsafe(naked)]\nextern \"C\" fn f() {}", 1),
            (
                "macro_rules! m { ($n:ident) => { #[unsafe($n)] fn f() {} } }\nm!(naked);",
                2,
            ),
            ("fn f() { unsafe { std::arch::asm!(\"nop\") } }", 1),
        ] {
            let refusal = assembly(text).unwrap_or_else(|| panic!("{text} taken"));
            assert_eq!(refusal.line, Some(line), "{text}");
        }
        assert_eq!(
            assembly("// asm, naked\nfn main() { let s = \"asm!\"; }"),
            None
        );
    }

    #[test]
    fn a_runtime_of_the_step_s_own_names_no_other() {
        for (text, line) in [
            (
                "fn main() {}\nfn block_on<F>(f: F) { tokio::runtime::Runtime::new(); }",
                2,
            ),
            ("use ::tokio as t;", 1),
            ("extern crate tokio;", 1),
            ("fn f() { r#tokio::spawn(async {}); }", 1),
        ] {
            let refusal = crates_named(text, &["tokio"]).unwrap_or_else(|| panic!("{text} taken"));
            assert_eq!(refusal.line, Some(line), "{text}");
            assert!(refusal.what.contains(DOES_WITHOUT), "{refusal}");
        }
        for text in [
            "// unlike tokio's, binding never blocks\nfn main() {}",
            "fn main() { let s = \"tokio\"; let tokio_like = 1; }",
        ] {
            assert_eq!(crates_named(text, &["tokio"]), None, "{text}");
        }
        assert_eq!(crates_named("use tokio;", &[]), None);
    }
}
