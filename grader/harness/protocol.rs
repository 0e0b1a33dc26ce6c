// What a harness and the grader say to each other, in one file that both
// compile: the grader as `grader::checks::harness::protocol`, a harness as a
// module of its own inside the harness (see `runner.rs`). No dependency but
// std, no macro a student's file could shadow (the harness is compiled
// after the student's code, in the same file).
//
// The grader runs a harness with:
// - its key on stdin, one line: a secret made for this run alone, read by
//   the harness before any of the student's code runs;
// - `GRADER_VERDICTS`: the file it writes its lines to;
// - `GRADER_TIMEOUT`: the deadline of one awaited event, in seconds;
// - as its one argument, the check to run (all of them without one).
//
// A line is the key, then tab-separated fields (`\`, tab, newline and
// carriage return escaped): a check's verdict, numbered from 0, or the end,
// which counts the verdicts before it. A line without the key counts for
// nothing, and so does a report whose verdicts are not all there: the
// student's code runs in the harness's process, and may write to that file,
// but cannot know the key.

/// The file a harness writes its lines to.
pub(super) const VERDICTS: &str = "GRADER_VERDICTS";
/// The deadline of one awaited event, in seconds.
pub(super) const TIMEOUT: &str = "GRADER_TIMEOUT";
/// The deadline without `GRADER_TIMEOUT`.
pub(super) const DEFAULT_TIMEOUT_SECS: f64 = 5.0;

/// How long one awaited event may take, from `GRADER_TIMEOUT`'s value.
pub(super) fn deadline_of(value: Option<&str>) -> ::std::time::Duration {
    let secs = value
        .and_then(|s| s.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s > 0.0)
        .unwrap_or(DEFAULT_TIMEOUT_SECS);
    ::std::time::Duration::from_secs_f64(secs)
}

/// The message a panic carried.
pub(super) fn panic_text(panic: &(dyn ::std::any::Any + Send)) -> String {
    if let Some(text) = panic.downcast_ref::<String>() {
        return text.clone();
    }
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .unwrap_or_default()
}

/// How a check came out, as the harness saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Said {
    Passed,
    /// Failed: a headline, then `(label, value)` details.
    Failed {
        headline: String,
        details: Vec<(String, String)>,
    },
    /// No result within the harness's own deadline: a headline, and what
    /// the check was doing then.
    TimedOut {
        headline: String,
        details: Vec<(String, String)>,
    },
}

/// One line of a harness's report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Line {
    /// The verdict of a check: `seq` counts from 0, in the order they ran.
    Verdict { seq: u32, check: String, said: Said },
    /// The end of the report: `count` verdicts came before it.
    End { count: u32 },
}

fn escape(field: &str) -> String {
    let mut out = String::with_capacity(field.len());
    for c in field.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    out
}

fn unescape(field: &str) -> String {
    let mut out = String::with_capacity(field.len());
    let mut chars = field.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}

/// The line, with its key, without its newline.
pub(super) fn encode(key: &str, line: &Line) -> String {
    let mut fields: Vec<String> = ::std::vec![key.to_string()];
    match line {
        Line::Verdict { seq, check, said } => {
            fields.push("verdict".to_string());
            fields.push(seq.to_string());
            fields.push(escape(check));
            match said {
                Said::Passed => fields.push("passed".to_string()),
                Said::TimedOut { headline, details } | Said::Failed { headline, details } => {
                    let kind = if ::std::matches!(said, Said::Failed { .. }) {
                        "failed"
                    } else {
                        "timed_out"
                    };
                    fields.push(kind.to_string());
                    fields.push(escape(headline));
                    for (label, value) in details {
                        fields.push(escape(label));
                        fields.push(escape(value));
                    }
                }
            }
        }
        Line::End { count } => {
            fields.push("end".to_string());
            fields.push(count.to_string());
        }
    }
    fields.join("\t")
}

/// The line, if it carries `key` and reads whole; `None` for anything else.
pub(super) fn decode(key: &str, text: &str) -> Option<Line> {
    let mut fields = text.split('\t');
    if key.is_empty() || fields.next()? != key {
        return None;
    }
    match fields.next()? {
        "verdict" => {
            let seq = fields.next()?.parse().ok()?;
            let check = unescape(fields.next()?);
            let said = match fields.next()? {
                "passed" => Said::Passed,
                kind @ ("failed" | "timed_out") => {
                    let headline = unescape(fields.next()?);
                    let rest: Vec<&str> = fields.by_ref().collect();
                    if !rest.len().is_multiple_of(2) {
                        return None;
                    }
                    let details = rest
                        .chunks(2)
                        .map(|pair| (unescape(pair[0]), unescape(pair[1])))
                        .collect();
                    if kind == "failed" {
                        Said::Failed { headline, details }
                    } else {
                        Said::TimedOut { headline, details }
                    }
                }
                _ => return None,
            };
            if fields.next().is_some() {
                return None;
            }
            Some(Line::Verdict { seq, check, said })
        }
        "end" => {
            let count = fields.next()?.parse().ok()?;
            if fields.next().is_some() {
                return None;
            }
            Some(Line::End { count })
        }
        _ => None,
    }
}

/// What a whole report says: each verdict in order, if every one of them
/// and the end are there, each once; otherwise why not.
pub(super) fn read_report(key: &str, text: &str) -> Result<Vec<(String, Said)>, String> {
    let mut verdicts: Vec<(String, Said)> = Vec::new();
    let mut end = None;
    for line in text.lines().filter_map(|l| decode(key, l)) {
        match line {
            Line::Verdict { seq, check, said } => {
                if end.is_some() || seq as usize != verdicts.len() {
                    return Err("its verdicts are out of order".to_string());
                }
                verdicts.push((check, said));
            }
            Line::End { count } => {
                if end.is_some() {
                    return Err("it ended twice".to_string());
                }
                end = Some(count);
            }
        }
    }
    match end {
        None => Err("it did not report to its end".to_string()),
        Some(count) if count as usize != verdicts.len() => Err(::std::format!(
            "it counted {count} verdicts, and {} are there",
            verdicts.len()
        )),
        Some(_) => Ok(verdicts),
    }
}
