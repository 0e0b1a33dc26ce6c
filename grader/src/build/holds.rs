//! What a step file may hold beyond safe Rust, read from its tokens before
//! anything of it is built: it is its one file (nothing taken in from
//! another at compile time), a runtime of the student's own names no other
//! runtime, and a state machine written by hand has not the compiler write
//! it. Each is refused with the line, as unsafe code is (`safety`).

use super::lexer::{Spanned, Token, line_of, tokens_to_the_end};
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
}
