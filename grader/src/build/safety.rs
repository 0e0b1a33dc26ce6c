//! Which code a step file may hold: safe Rust, and the `unsafe` its
//! starter gives (echo-own-runtime registers a socket with `polling`'s
//! `Poller::add`, which is an `unsafe fn`). Code beyond that could run
//! before `main` (a function in `.init_array`, a symbol of the same name as
//! one the harness calls) or read the harness's memory, and so forge what
//! the harness reports: such a file is refused, with the line and the
//! construct, before anything of it runs.
//!
//! The compiler decides, not a reading of the text: a copy of the file, with
//! `unsafe` taken off every block (`unsafe {` becomes `{`) and the
//! `unsafe_code` lint forbidden, is compiled beside the step. Every unsafe
//! operation inside a block is then an error that names it (E0133: "call to
//! unsafe function `Poller::add`"), and every other unsafe construct (an
//! `unsafe fn`, an `unsafe impl`, `#[unsafe(no_mangle)]`, `global_asm!`) an
//! error of the lint. The file is taken only if each is a call that is
//! allowed. A `compile_error!` at the end of the copy keeps the compiler
//! from making an executable of it: the check costs no code generation.

use super::cargo::Diagnostic;
use super::lexer::{Spanned, Token, line_of, tokens, tokens_to_the_end};

/// The unsafe functions a step may call: the starter's `Poller::add` (and
/// its sibling with a mode), and `Pin`'s unchecked projections, which a
/// hand-written future may use; none of them reads or writes memory it is
/// not given.
const ALLOWED: &[(&str, &str)] = &[
    ("Poller::", "::add"),
    ("Poller::", "::add_with_mode"),
    ("Pin::", "::new_unchecked"),
    ("Pin::", "::get_unchecked_mut"),
    ("Pin::", "::map_unchecked_mut"),
    ("Pin::", "::map_unchecked"),
    ("Pin::", "::into_inner_unchecked"),
];

/// What the copy's `compile_error!` says: not a refusal.
const END: &str = "the end of the grader's check of unsafe code";

/// Whether the file needs the compiler's check: it holds `unsafe`, or
/// `asm` (the assembly macros), anywhere, even in a comment: text, not
/// tokens, so that nothing a reading of the tokens could miss escapes the
/// compiler. Without them, a file is safe Rust, and no code of it runs
/// before `main`.
pub(crate) fn needs_check(text: &str) -> bool {
    text.contains("unsafe") || text.contains("asm")
}

/// The copy the compiler checks: the lint forbidden (on the first line, so
/// that the lines keep their numbers), `unsafe` taken off every block, and
/// the end.
pub(crate) fn checked_copy(text: &str) -> String {
    let (bom, text) = match text.strip_prefix('\u{feff}') {
        Some(rest) => ("\u{feff}", rest),
        None => ("", text),
    };
    let all = tokens(text);
    let mut copy = String::with_capacity(text.len() + 128);
    copy.push_str(bom);
    copy.push_str("#![forbid(unsafe_code)] ");
    let mut from = 0;
    for (i, token) in all.iter().enumerate() {
        let is_block = token.token == Token::Word
            && &text[token.start..token.end] == "unsafe"
            && all
                .get(i + 1)
                .is_some_and(|next| &text[next.start..next.end] == "{");
        if is_block {
            copy.push_str(&text[from..token.start]);
            // Spaces, so that columns stay where they were.
            copy.push_str("      ");
            from = token.end;
        }
    }
    copy.push_str(&text[from..]);
    copy.push_str(&format!("\ncompile_error!({END:?});\n"));
    copy
}

/// Why a file is refused: the construct, and its line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refusal {
    pub(crate) line: Option<usize>,
    /// The compiler's words for it: "dereference of raw pointer",
    /// "declaration of a `no_mangle` function".
    pub(crate) what: String,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(line) => write!(f, "line {line}: {}", self.what),
            None => write!(f, "{}", self.what),
        }
    }
}

/// The compiler's verdict on the copy: `Ok` if every error is an allowed
/// call (or the copy's end), else the first that is not. An error of
/// another kind is refused too: it may hide the errors that name unsafe
/// code (the compiler stops before its check of them).
pub(crate) fn judge(diagnostics: &[Diagnostic]) -> Result<(), Refusal> {
    for d in diagnostics {
        let lint = d.code.as_deref() == Some("unsafe_code");
        if d.level != "error" && !lint {
            continue;
        }
        if d.message == END {
            continue;
        }
        let is_e_code = d.code.as_deref().is_some_and(|c| c.starts_with('E'));
        // A lint a student's `deny(warnings)` made an error stops nothing.
        if !lint && !is_e_code && d.code.is_some() {
            continue;
        }
        if d.code.as_deref() == Some("E0133") && allowed(&d.message) {
            continue;
        }
        let what = d
            .message
            .trim_end_matches(" is unsafe and requires unsafe block")
            .to_string();
        return Err(Refusal {
            line: d.line,
            what: if lint || matches!(d.code.as_deref(), Some("E0133" | "E0453")) {
                what
            } else {
                format!("code the grader cannot check for unsafety ({what})")
            },
        });
    }
    Ok(())
}

/// What a refusal for another file says: the step's hint tells it by this.
pub(crate) const ANOTHER_FILE: &str = "takes in another file";

/// Whether the file takes in another file at compile time: `include!`,
/// `include_str!`, `include_bytes!` (by any name: `use std::include as i`
/// names it too), a module at a `#[path]`, a module in a file of its own
/// (`mod name;`), or a debugger's script (`#![debugger_visualizer]`). A step is its one file: its checks, and a class's reuse of
/// a result by the file's text, read that file alone, and another file may
/// be a classmate's step, or a file of the machine.
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

/// What a refusal for a state machine the compiler writes says: the step's
/// hint tells it by this.
pub(crate) const COMPILER_WRITES: &str = "the compiler would write the state machine";

/// Whether a step whose lesson is the state machine of the slide's `async
/// fn original`, written by hand, has the compiler write it after all: a
/// future the compiler writes (an `async` block, closure or fn other than
/// the slide's), or the slide's own `original` reached from anywhere but
/// `main`, which alone compares with it and which the grader never runs.
/// So `main` is the one `main`, called by nothing, and holds no `impl` (an
/// `impl` inside a function is the type's everywhere); and no
/// `macro_rules!` could write any of it out of sight.
pub(crate) fn compiler_written(text: &str, original: Option<&str>) -> Option<Refusal> {
    let original = original?;
    // Read only in part, the rest could hold it: `other_files` refuses
    // such a file first.
    let all = tokens_to_the_end(text).ok()?;
    let word = |i: Option<usize>| {
        i.and_then(|i| all.get(i))
            .map_or("", |t| &text[t.start..t.end])
    };
    let mains: Vec<usize> = (0..all.len())
        .filter(|&i| word(Some(i)) == "main" && word(i.checked_sub(1)) == "fn")
        .collect();
    let body = match mains.as_slice() {
        [at] => body_after(&all, text, *at),
        _ => None,
    };
    let in_main = |i: usize| body.is_some_and(|(open, close)| open < i && i < close);
    for (i, token) in all.iter().enumerate() {
        if token.token != Token::Word {
            continue;
        }
        let before = word(i.checked_sub(1));
        let what = match word(Some(i)) {
            "async" if !(word(Some(i + 1)) == "fn" && word(Some(i + 2)) == original) => {
                format!(
                    "an `async` block or fn other than the slide's `{original}`: {COMPILER_WRITES}"
                )
            }
            "macro_rules" => format!(
                "a `macro_rules!` macro, which could hide a future the compiler writes: {COMPILER_WRITES}"
            ),
            "main" if mains.len() > 1 => {
                format!("a second `fn main`, beside the one that compares with `{original}`")
            }
            "main" if before != "fn" => format!(
                "`main` called, whose comparison alone may use the slide's `{original}`: {COMPILER_WRITES}"
            ),
            "impl" if in_main(i) => format!(
                "an `impl` inside `main`, where only the comparison may use the slide's `{original}`: {COMPILER_WRITES}"
            ),
            name if name == original
                && !in_main(i)
                && before != "."
                && before != "fn"
                && !(before == ":" && matches!(word(i.checked_sub(3)), "User" | "Self")) =>
            {
                format!(
                    "the slide's `async fn {original}` used outside `main`'s comparison: {COMPILER_WRITES}"
                )
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

/// The tokens (by index) of the `{` and its matching `}` of the body of the
/// function whose name is at `name`.
fn body_after(all: &[Spanned], text: &str, name: usize) -> Option<(usize, usize)> {
    let punct = |i: usize| {
        let t = all[i];
        (t.token == Token::Punct).then(|| &text[t.start..t.end])
    };
    let open = (name..all.len()).find(|&i| punct(i) == Some("{"))?;
    let mut depth = 0usize;
    for i in open..all.len() {
        match punct(i) {
            Some("{") => depth += 1,
            Some("}") => {
                depth -= 1;
                if depth == 0 {
                    return Some((open, i));
                }
            }
            _ => {}
        }
    }
    None
}

/// Whether an E0133 message names an allowed function.
fn allowed(message: &str) -> bool {
    let Some(name) = message
        .strip_prefix("call to unsafe function `")
        .and_then(|rest| rest.split('`').next())
    else {
        return false;
    };
    ALLOWED
        .iter()
        .any(|(ty, function)| name.starts_with(ty) && name.ends_with(function))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn diagnostic(code: &str, message: &str, line: usize) -> Diagnostic {
        Diagnostic {
            level: "error".to_string(),
            code: (!code.is_empty()).then(|| code.to_string()),
            message: message.to_string(),
            line: Some(line),
            rendered: String::new(),
        }
    }

    #[test]
    fn only_files_with_unsafe_or_assembly_need_the_check() {
        assert!(!needs_check("fn main() { let s = \"safe\"; } // all safe"));
        // Text, not tokens: a word in a comment costs a check, and no
        // reading of the tokens can hide one.
        assert!(needs_check("fn main() { let s = \"unsafe\"; } // unsafe"));
        assert!(needs_check("fn f<'\u{2118}>() {}\nunsafe fn g() {}"));
        assert!(needs_check("fn main() { unsafe { f() } }"));
        assert!(needs_check("core::arch::global_asm!(\"nop\");"));
        assert!(needs_check("#[unsafe(no_mangle)] fn f() {}"));
    }

    #[test]
    fn the_copy_takes_unsafe_off_blocks_only_and_keeps_the_lines() {
        let text = "//! doc\nunsafe fn f() {}\nfn main() {\n    let x = unsafe /* why */ { f() };\n    let s = \"unsafe {\";\n}\n";
        let copy = checked_copy(text);
        assert!(
            copy.starts_with("#![forbid(unsafe_code)] //! doc\n"),
            "{copy}"
        );
        assert!(copy.contains("unsafe fn f() {}"), "{copy}");
        assert!(copy.contains("let x =        /* why */ { f() };"), "{copy}");
        assert!(copy.contains("\"unsafe {\""), "{copy}");
        assert_eq!(
            copy.lines().position(|l| l.contains("let x")),
            text.lines().position(|l| l.contains("let x"))
        );
        assert!(
            copy.trim_end()
                .ends_with(&format!("compile_error!({END:?});"))
        );
    }

    #[test]
    fn the_starter_s_call_is_allowed_and_the_rest_refused() {
        let allowed = [
            diagnostic("", END, 99),
            diagnostic(
                "E0133",
                "call to unsafe function `Poller::add` is unsafe and requires unsafe block",
                7,
            ),
            diagnostic(
                "E0133",
                "call to unsafe function `Pin::<&'a mut T>::get_unchecked_mut` is unsafe and requires unsafe block",
                8,
            ),
            diagnostic("unused_variables", "unused variable: `x`", 3),
        ];
        assert_eq!(judge(&allowed), Ok(()));
        for (code, message, said) in [
            (
                "E0133",
                "dereference of raw pointer is unsafe and requires unsafe block",
                "line 4: dereference of raw pointer",
            ),
            (
                "E0133",
                "call to unsafe function `std::intrinsics::transmute` is unsafe and requires unsafe block",
                "line 4: call to unsafe function `std::intrinsics::transmute`",
            ),
            (
                "unsafe_code",
                "declaration of a `no_mangle` function",
                "line 4: declaration of a `no_mangle` function",
            ),
            (
                "E0308",
                "mismatched types",
                "line 4: code the grader cannot check for unsafety (mismatched types)",
            ),
        ] {
            let mut all = allowed.to_vec();
            all.push(diagnostic(code, message, 4));
            assert_eq!(judge(&all).unwrap_err().to_string(), said);
        }
    }
    #[test]
    fn a_state_machine_by_hand_is_not_the_compiler_s() {
        let starter = include_str!("../../../exercises/src/bin/add-to-inbox.rs");
        let original = Some("add_to_inbox");
        assert_eq!(compiler_written(starter, original), None);
        let main = "fn main() {\n    let f = add_to_inbox(m(), e(), 7);\n    run(f, &db);\n}\n";
        for (text, line) in [
            (
                "struct A { f: Pin<Box<dyn Future<Output = ()>>> }\nfn new() -> A {\n    A { f: Box::pin(add_to_inbox(m(), e(), 7)) }\n}\n",
                3,
            ),
            (
                "fn new() {\n    let f = async move { load().await };\n}\n",
                2,
            ),
            ("fn new() {\n    let f = async || 1;\n}\n", 2),
            (
                "fn main() {\n    impl A { fn new() { add_to_inbox(m(), e(), 7); } }\n}\n",
                2,
            ),
            ("fn new() {\n    main();\n}\nfn main() {}\n", 2),
            ("macro_rules! m { () => {} }\nfn main() {}\n", 1),
            ("mod m {\n    pub fn main() {}\n}\nfn main() {}\n", 2),
            ("use crate::add_to_inbox as made;\nfn main() {}\n", 1),
            ("fn g() -> fn() {\n    add_to_inbox\n}\nfn main() {}\n", 2),
        ] {
            let text = format!("async fn add_to_inbox() {{}}\n{text}");
            let refusal =
                compiler_written(&text, original).unwrap_or_else(|| panic!("{text} taken"));
            assert_eq!(refusal.line, Some(line + 1), "{text}");
        }
        for text in [
            main,
            "fn p(user: User) { User::add_to_inbox(&user, &mail, msg); user.add_to_inbox(&mail, msg); }\nfn main() {}\n",
            "impl User {\n    fn add_to_inbox(&self) {}\n    fn again(&self) { Self::add_to_inbox(self) }\n}\nfn main() {}\n",
        ] {
            let text = format!("async fn add_to_inbox() {{}}\n{text}");
            assert_eq!(compiler_written(&text, original), None, "{text}");
        }
        assert_eq!(compiler_written("async fn f() {}", None), None);
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
}
