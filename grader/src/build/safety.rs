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
use super::lexer::{Spanned, Token, closing, tokens};

/// The unsafe functions a step may call: the starter's `Poller::add` (and
/// its sibling with a mode), which reads and writes no memory it is not
/// given. `Pin`'s unchecked calls are not among them: misused, they move a
/// pinned future and read freed memory, the key of the harness's report
/// among it. The copy calls their checked twins instead (`UNCHECKED`): a
/// `Pin` of an `Unpin` type needs no promise, and one of another type is
/// refused.
const ALLOWED: &[(&str, &str)] = &[("Poller::", "::add"), ("Poller::", "::add_with_mode")];

/// `Pin`'s unchecked calls, and what the copy calls in their place: the
/// same for a type that is `Unpin`, and a compile error for one that is
/// not ("cannot be unpinned").
const UNCHECKED: &[(&str, &str)] = &[
    ("new_unchecked", "new"),
    ("get_unchecked_mut", "get_mut"),
    ("into_inner_unchecked", "into_inner"),
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
///
/// In a file that defines macros, not off the blocks that pick a macro's
/// arm (`inside_macros`): a macro of the student's could tell
/// `unsafe { .. }` from `{ .. }` and expand, in the copy, to other code than
/// in the step. Those blocks stay, and the lint names each
/// (`INSIDE_A_MACRO`).
pub(crate) fn checked_copy(text: &str) -> String {
    let (bom, text) = match text.strip_prefix('\u{feff}') {
        Some(rest) => ("\u{feff}", rest),
        None => ("", text),
    };
    let all = tokens(text);
    let in_macro = macro_sensitive(text, &all);
    let at = |i: usize| all.get(i).map_or("", |t| &text[t.start..t.end]);
    // What the copy writes in place of a token (the same width, so that
    // columns stay where they were), by the token's index.
    let mut instead: std::collections::BTreeMap<usize, String> = Default::default();
    let blank = |i: usize| " ".repeat(all[i].end - all[i].start);
    for (i, token) in all.iter().enumerate() {
        if token.token != Token::Word || in_macro[i] {
            continue;
        }
        let word = at(i);
        if word == "unsafe" && at(i + 1) == "{" {
            instead.insert(i, blank(i));
        } else if word == "unsafe" && at(i + 1) == "(" && i > 0 && at(i - 1) == "[" {
            // `#[unsafe(attr)]` read as `#[attr]`: every unsafe attribute,
            // today's and tomorrow's, an error of the 2024 edition.
            instead.insert(i, blank(i));
            instead.insert(i + 1, " ".to_string());
            if let Some(j) = closing(text, &all, i + 1) {
                instead.insert(j, " ".to_string());
            }
        } else if word == "unsafe_code" {
            // The student's own level for the lint (`deny`, `warn`, an
            // `allow` on a function) would clash with the copy's `forbid`:
            // read as another lint's, harmless here.
            instead.insert(i, format!("{:<11}", "dead_code"));
        } else if let Some((_, checked)) = UNCHECKED.iter().find(|(name, _)| *name == word) {
            instead.insert(i, format!("{checked:<width$}", width = word.len()));
        }
    }
    let mut copy = String::with_capacity(text.len() + 128);
    copy.push_str(bom);
    copy.push_str("#![forbid(unsafe_code)] ");
    let mut from = 0;
    for (i, written) in instead {
        copy.push_str(&text[from..all[i].start]);
        copy.push_str(&written);
        from = all[i].end;
    }
    copy.push_str(&text[from..]);
    copy.push_str(&format!("\ncompile_error!({END:?});\n"));
    copy
}

/// Which tokens a macro of the file's own could tell apart (none where the
/// file defines no macro): a copy of the file the grader compiles changes
/// none of them, or a macro could expand to other code in that copy.
pub(crate) fn macro_sensitive(text: &str, all: &[Spanned]) -> Vec<bool> {
    if text.contains("macro_rules") {
        inside_macros(text, all)
    } else {
        vec![false; all.len()]
    }
}

/// Which tokens a macro of the file's own could tell apart, true for each:
/// the matchers of its `macro_rules!` (each arm's pattern), and what is
/// given to a call of one of its macros (`name!(..)`, `[..]`, `{..}`), or
/// of a macro a transcriber names by a metavariable (`$m!(..)`). Those are
/// what picks an arm; a transcriber's own blocks are not (the arm is picked
/// alike in both builds, and expands alike but for `unsafe`, as any code).
/// Where the file brings one of its macros in under another name (`use`),
/// every call is taken for one of them.
fn inside_macros(text: &str, all: &[Spanned]) -> Vec<bool> {
    let at = |i: usize| all.get(i).map_or("", |t| &text[t.start..t.end]);
    let opens = |i: usize| matches!(at(i), "(" | "[" | "{");
    let is_word = |i: usize| all.get(i).is_some_and(|t| t.token == Token::Word);
    // Where the text ends before a delimiter is closed, all it holds.
    let close = |open: usize| closing(text, all, open).unwrap_or(all.len().saturating_sub(1));
    let defined: Vec<&str> = (0..all.len())
        .filter(|&i| at(i) == "macro_rules" && at(i + 1) == "!" && is_word(i + 2))
        .map(|i| at(i + 2))
        .collect();
    let renamed = (0..all.len()).any(|i| {
        at(i) == "use"
            && (i + 1..all.len())
                .take_while(|&j| at(j) != ";")
                .any(|j| defined.contains(&at(j)))
    });
    let mut inside = vec![false; all.len()];
    let mut mark = |from: usize, to: usize| {
        for flag in &mut inside[from..=to.min(all.len() - 1)] {
            *flag = true;
        }
    };
    for i in 0..all.len() {
        if at(i) == "macro_rules" && at(i + 1) == "!" && is_word(i + 2) && opens(i + 3) {
            // Each arm: `(matcher) => {transcriber}`, then `;`.
            let end = close(i + 3);
            let mut j = i + 4;
            while j < end && opens(j) {
                let matcher_end = close(j);
                mark(j, matcher_end);
                j = matcher_end + 1;
                if at(j) == "=" && at(j + 1) == ">" && opens(j + 2) {
                    j = close(j + 2) + 1;
                }
                if at(j) == ";" {
                    j += 1;
                }
            }
            continue;
        }
        let called = is_word(i)
            && !KEYWORDS.contains(&at(i))
            && at(i) != "macro_rules"
            && at(i + 1) == "!"
            && opens(i + 2);
        let its_own = renamed || defined.contains(&at(i)) || (i > 0 && at(i - 1) == "$");
        if called && its_own {
            mark(i + 2, close(i + 2));
        }
    }
    inside
}

/// Words before a `!` that is not a macro's: `if !(..)`, `return !{..}`.
const KEYWORDS: &[&str] = &[
    "if", "while", "match", "return", "in", "break", "let", "else", "as", "yield", "move",
];

/// The lint's words for an `unsafe` block left in the copy: one inside a
/// macro (every other lost its `unsafe`).
const UNSAFE_BLOCK: &str = "usage of an `unsafe` block";

/// What a refusal for such a block says.
pub(crate) const INSIDE_A_MACRO: &str = "an `unsafe` block given to a macro or inside one, in a file that defines macros: the grader can check `unsafe` blocks outside macros only";

/// What a refusal for a `Pin` made unchecked over a type that is not
/// `Unpin` says.
pub(crate) const NOT_UNPIN: &str = "`Pin::new_unchecked` (or `get_unchecked_mut`, `into_inner_unchecked`) over a type that is not `Unpin`: whether it ever moves is a promise the grader cannot check";

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
            what: if lint && d.message == UNSAFE_BLOCK {
                INSIDE_A_MACRO.to_string()
            } else if d.message.ends_with("cannot be unpinned") {
                NOT_UNPIN.to_string()
            } else if d.message == "unsafe attribute used without unsafe" {
                "an unsafe attribute (`#[unsafe(..)]`)".to_string()
            } else if lint || matches!(d.code.as_deref(), Some("E0133" | "E0453")) {
                what
            } else {
                format!("code the grader cannot check for unsafety ({what})")
            },
        });
    }
    Ok(())
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

    const NOT_UNPIN_AT_4: &str = "line 4: `Pin::new_unchecked` (or `get_unchecked_mut`, `into_inner_unchecked`) over a type that is not `Unpin`: whether it ever moves is a promise the grader cannot check";

    #[test]
    fn the_copy_checks_pins_attributes_and_the_lint_s_own_level() {
        let text = "#![deny(unsafe_code)]\n#[unsafe(no_mangle)]\nfn f() {}\nfn g(x: &mut X) { let p = unsafe { Pin::new_unchecked(x) }; }\n";
        let copy = checked_copy(text);
        assert!(copy.contains("#![deny(dead_code  )]"), "{copy}");
        assert!(copy.contains("#[       no_mangle ]"), "{copy}");
        assert!(copy.contains("Pin::new          (x)"), "{copy}");
        assert_eq!(
            copy.lines().position(|l| l.contains("fn g")),
            text.lines().position(|l| l.contains("fn g")),
            "the lines keep their numbers"
        );
        assert_eq!(NOT_UNPIN_AT_4, format!("line 4: {NOT_UNPIN}"));
    }

    #[test]
    fn in_a_file_that_defines_macros_a_macro_s_blocks_keep_unsafe() {
        // The macro would expand to its first arm in the step, to its second
        // in a copy without `unsafe`: the copy keeps it, and the lint names it.
        let text = "macro_rules! m { (unsafe {}) => { evil!(); }; ({}) => {}; }\nm!(unsafe {});\nfn main() { if !(unsafe { f() }) {} }\n";
        let copy = checked_copy(text);
        assert!(
            copy.contains("macro_rules! m { (unsafe {}) => { evil!(); }; ({}) => {}; }"),
            "{copy}"
        );
        assert!(copy.contains("m!(unsafe {});"), "{copy}");
        assert!(copy.contains("if !(       { f() })"), "{copy}");
        // Without macros of the file's own, a library's macro is given the
        // block without `unsafe`, as every other block; and so it is beside
        // them, and so is a block a transcriber writes.
        let copy = checked_copy("fn main() { ready!(unsafe { f() }); }\n");
        assert!(copy.contains("ready!(       { f() });"), "{copy}");
        let text = "macro_rules! add { ($p:expr) => { unsafe { $p.add() } }; }\nfn main() { ready!(unsafe { f() }); add!(p); }\n";
        let copy = checked_copy(text);
        assert!(copy.contains("=> {        { $p.add() } }"), "{copy}");
        assert!(copy.contains("ready!(       { f() })"), "{copy}");
        // One of its own under another name: every call keeps its blocks.
        let text = "macro_rules! m { ($b:block) => {}; }\nuse m as ready;\nfn main() { ready!(unsafe { f() }); }\n";
        assert!(checked_copy(text).contains("ready!(unsafe { f() })"));
        // A call a transcriber makes through a metavariable.
        let text = "macro_rules! m { ($n:ident) => { $n!(unsafe {}) }; }\n";
        assert!(checked_copy(text).contains("$n!(unsafe {})"));
        assert_eq!(
            judge(&[diagnostic("unsafe_code", UNSAFE_BLOCK, 2)])
                .unwrap_err()
                .to_string(),
            format!("line 2: {INSIDE_A_MACRO}")
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
            // Left unsafe only inside a macro: `Pin`'s unchecked calls are
            // never allowed as such.
            (
                "E0133",
                "call to unsafe function `Pin::<&'a mut T>::get_unchecked_mut` is unsafe and requires unsafe block",
                "line 4: call to unsafe function `Pin::<&'a mut T>::get_unchecked_mut`",
            ),
            (
                "E0277",
                "`{async block@x.rs:6:17: 6:22}` cannot be unpinned",
                NOT_UNPIN_AT_4,
            ),
            (
                "",
                "unsafe attribute used without unsafe",
                "line 4: an unsafe attribute (`#[unsafe(..)]`)",
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
}
