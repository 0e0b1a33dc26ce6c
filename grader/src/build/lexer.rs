//! Rust source read as tokens, as far as the grader needs it: which words
//! are code, and not inside a comment, a string or a character literal.
//! Enough to find a step's `unsafe` blocks and the macros a harness invokes;
//! never to parse.

/// What a token is, as far as the grader tells them apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Token {
    /// A word: an identifier or a keyword (`r#` raw identifiers without it).
    Word,
    /// A string, byte string, C string or character literal of any kind.
    Literal,
    /// A lifetime or a loop label: `'a`.
    Lifetime,
    /// A number.
    Number,
    /// One character of punctuation: `{`, `!`, `:`, ...
    Punct,
}

/// A token and where it is: `text[start..end]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Spanned {
    pub(crate) token: Token,
    pub(crate) start: usize,
    pub(crate) end: usize,
}

/// The tokens of `text`, comments and whitespace left out. Text that is not
/// Rust (an unterminated string, say) ends the list where it starts.
pub(crate) fn tokens(text: &str) -> Vec<Spanned> {
    read(text).0
}

/// The tokens of `text`, and whether they reach its end: a scan that must
/// see every word of a file (what it may hold) takes a file it cannot read
/// to the end as one that may hold anything.
pub(crate) fn tokens_to_the_end(text: &str) -> Result<Vec<Spanned>, usize> {
    match read(text) {
        (all, None) => Ok(all),
        (_, Some(stopped)) => Err(stopped),
    }
}

/// The index of the token that closes the delimiter at `open` (`(`, `[`
/// or `{`), every kind counted alike, as rustc's token trees are; `None`
/// where the text ends first.
pub(crate) fn closing(text: &str, all: &[Spanned], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (j, t) in all.iter().enumerate().skip(open) {
        if t.token == Token::Punct {
            match &text[t.start..t.end] {
                "(" | "[" | "{" => depth += 1,
                ")" | "]" | "}" => depth = depth.saturating_sub(1),
                _ => {}
            }
        }
        if depth == 0 {
            return Some(j);
        }
    }
    None
}

/// Rust's whitespace (Unicode's `Pattern_White_Space`), as rustc reads it:
/// more than ASCII's (a vertical tab, a line separator, the marks of
/// writing direction), so that no word hides behind one.
pub(crate) fn is_whitespace(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n'
            | '\u{0B}'
            | '\u{0C}'
            | '\r'
            | ' '
            | '\u{85}'
            | '\u{200E}'
            | '\u{200F}'
            | '\u{2028}'
            | '\u{2029}'
    )
}

/// Whether `c` may be part of a word: ASCII's letters, digits and `_`,
/// and any other character that is not whitespace (rustc takes the letters
/// of every script, and refuses the rest: none of them is punctuation it
/// reads).
fn is_word_char(c: char) -> bool {
    c == '_' || c.is_ascii_alphanumeric() || (!c.is_ascii() && !is_whitespace(c))
}

/// The tokens, and where the reading stopped if not at the end.
fn read(text: &str) -> (Vec<Spanned>, Option<usize>) {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let start = i;
        let here = text[i..].chars().next().unwrap_or(' ');
        let token = if is_whitespace(here) {
            i += here.len_utf8();
            continue;
        } else if text[i..].starts_with("//") {
            i = text[i..].find('\n').map_or(bytes.len(), |n| i + n);
            continue;
        } else if text[i..].starts_with("/*") {
            match block_comment_end(text, i) {
                Some(end) => i = end,
                None => return (out, Some(start)),
            }
            continue;
        } else if let Some(end) = raw_string_end(text, i) {
            i = end;
            Token::Literal
        } else if let Some(end) = prefixed_string_end(text, i) {
            i = end;
            Token::Literal
        } else if c == b'"' {
            match quoted_end(text, i + 1, b'"') {
                Some(end) => i = end,
                None => return (out, Some(start)),
            }
            Token::Literal
        } else if c == b'\'' {
            match char_or_lifetime(text, i) {
                Some((end, token)) => {
                    i = end;
                    token
                }
                None => return (out, Some(start)),
            }
        } else if text[i..].starts_with("r#") && is_word_start(text, i + 2) {
            i = word_end(text, i + 2);
            out.push(Spanned {
                token: Token::Word,
                start: start + 2,
                end: i,
            });
            continue;
        } else if is_word_start(text, i) {
            i = word_end(text, i);
            Token::Word
        } else if c.is_ascii_digit() {
            i += 1;
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                i += 1;
            }
            Token::Number
        } else {
            i += text[i..].chars().next().map_or(1, char::len_utf8);
            Token::Punct
        };
        out.push(Spanned {
            token,
            start,
            end: i,
        });
    }
    (out, None)
}

fn is_word_start(text: &str, at: usize) -> bool {
    text[at..]
        .chars()
        .next()
        .is_some_and(|c| is_word_char(c) && !c.is_ascii_digit())
}

/// Whether the character before `at` belongs to a word: then a quote at
/// `at` is not a string's prefix.
fn after_word(text: &str, at: usize) -> bool {
    text[..at].chars().next_back().is_some_and(is_word_char)
}

fn word_end(text: &str, at: usize) -> usize {
    at + text[at..]
        .char_indices()
        .find(|(_, c)| !is_word_char(*c))
        .map_or(text.len() - at, |(n, _)| n)
}

/// The end of the (nested) block comment that starts at `at`.
fn block_comment_end(text: &str, at: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut depth = 0;
    let mut i = at;
    while i + 1 < bytes.len() {
        match (bytes[i], bytes[i + 1]) {
            (b'/', b'*') => {
                depth += 1;
                i += 2;
            }
            (b'*', b'/') => {
                depth -= 1;
                i += 2;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => i += 1,
        }
    }
    None
}

/// The end of a quoted literal whose body starts at `at`, escapes skipped.
fn quoted_end(text: &str, at: usize, quote: u8) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = at;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b if b == quote => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

/// `r"..."`, `r#"..."#`, `br"..."`, `cr"..."`: their end, if one starts here.
fn raw_string_end(text: &str, at: usize) -> Option<usize> {
    let rest = &text[at..];
    let after_prefix = ["br", "cr", "r"]
        .iter()
        .find(|p| rest.starts_with(**p))
        .map(|p| at + p.len())?;
    if after_word(text, at) {
        return None;
    }
    let hashes = text[after_prefix..]
        .bytes()
        .take_while(|b| *b == b'#')
        .count();
    let open = after_prefix + hashes;
    if text.as_bytes().get(open) != Some(&b'"') {
        return None;
    }
    let close = format!("\"{}", "#".repeat(hashes));
    // An unterminated raw string runs to the end of the text.
    Some(
        text[open + 1..]
            .find(&close)
            .map_or(text.len(), |n| open + 1 + n + close.len()),
    )
}

/// `b"..."`, `c"..."`, `b'x'`: their end, if one starts here.
fn prefixed_string_end(text: &str, at: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let prefix = bytes[at];
    if prefix != b'b' && prefix != b'c' {
        return None;
    }
    if after_word(text, at) {
        return None;
    }
    match bytes.get(at + 1) {
        Some(b'"') => quoted_end(text, at + 2, b'"'),
        Some(b'\'') if prefix == b'b' => quoted_end(text, at + 2, b'\''),
        _ => None,
    }
}

/// A character literal (`'a'`, `'\n'`, `'é'`) or a lifetime (`'a`).
fn char_or_lifetime(text: &str, at: usize) -> Option<(usize, Token)> {
    let mut chars = text[at + 1..].char_indices();
    let (_, first) = chars.next()?;
    if first == '\\' {
        return quoted_end(text, at + 1, b'\'').map(|end| (end, Token::Literal));
    }
    match chars.next() {
        Some((n, '\'')) => Some((at + 1 + n + 1, Token::Literal)),
        _ if is_word_char(first) && !first.is_ascii_digit() => {
            Some((word_end(text, at + 1), Token::Lifetime))
        }
        _ => None,
    }
}

/// The line (from 1) of a byte offset.
pub(crate) fn line_of(text: &str, at: usize) -> usize {
    text[..at.min(text.len())].matches('\n').count() + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<(Token, &str)> {
        tokens(text)
            .into_iter()
            .map(|t| (t.token, &text[t.start..t.end]))
            .collect()
    }

    #[test]
    fn words_in_comments_strings_and_characters_are_not_code() {
        let text = r##"// unsafe
/* unsafe /* nested unsafe */ still */ let s = "unsafe \" unsafe"; let r = r#"unsafe "# ;
let c = '"'; let b = b"unsafe"; let q = '\''; fn f<'unsafe_life>() {} unsafe { }"##;
        let code: Vec<&str> = kinds(text)
            .into_iter()
            .filter(|(k, _)| *k == Token::Word)
            .map(|(_, w)| w)
            .collect();
        assert_eq!(
            code.iter().filter(|w| **w == "unsafe").count(),
            1,
            "{code:?}"
        );
        assert!(code.contains(&"f"));
    }

    #[test]
    fn lifetimes_characters_and_raw_identifiers() {
        assert_eq!(
            kinds("'a 'b' '\\n' r#unsafe 'é'"),
            [
                (Token::Lifetime, "'a"),
                (Token::Literal, "'b'"),
                (Token::Literal, "'\\n'"),
                (Token::Word, "unsafe"),
                (Token::Literal, "'é'"),
            ]
        );
        // A word ending in r or b before a quote is not a raw string.
        assert_eq!(
            kinds("for\"x\""),
            [(Token::Word, "for"), (Token::Literal, "\"x\"")]
        );
    }

    #[test]
    fn lines_count_from_one() {
        assert_eq!(line_of("a\nb\nc", 0), 1);
        assert_eq!(line_of("a\nb\nc", 4), 3);
    }

    #[test]
    fn rust_s_whitespace_and_words_of_any_script() {
        // A vertical tab and a line separator are whitespace to rustc.
        assert_eq!(
            kinds("mod\u{0B}evil;\u{2028}x"),
            [
                (Token::Word, "mod"),
                (Token::Word, "evil"),
                (Token::Punct, ";"),
                (Token::Word, "x")
            ]
        );
        assert_eq!(
            kinds("fn f<'\u{2118}>() {} größe"),
            [
                (Token::Word, "fn"),
                (Token::Word, "f"),
                (Token::Punct, "<"),
                (Token::Lifetime, "'\u{2118}"),
                (Token::Punct, ">"),
                (Token::Punct, "("),
                (Token::Punct, ")"),
                (Token::Punct, "{"),
                (Token::Punct, "}"),
                (Token::Word, "größe")
            ]
        );
        assert_eq!(tokens_to_the_end("a /* open").map(|t| t.len()), Err(2));
        assert!(tokens_to_the_end("let s = \"ok\";").is_ok());
    }

    #[test]
    fn a_delimiter_is_closed_by_its_own_level_not_by_brackets_in_text() {
        let text = r#"#[unsafe(no_mangle(")", [x]))] fn f() { '}' }"#;
        let all = tokens(text);
        let index_of = |at: usize| all.iter().position(|t| t.start == at).unwrap();
        let open = index_of(text.find('(').unwrap());
        let close = closing(text, &all, open).unwrap();
        assert_eq!(all[close].start, text.find(")]").unwrap());
        let body = index_of(text.find('{').unwrap());
        assert_eq!(closing(text, &all, body), Some(all.len() - 1));
        assert_eq!(closing("f(a, [b", &tokens("f(a, [b"), 1), None);
    }
}
