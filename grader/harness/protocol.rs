// What a harness and the grader say to each other, in one file that both
// compile: the grader as `crate::protocol` (`grader/src/lib.rs`), a harness as a
// module of its own inside the harness (see `runner.rs`). No dependency but
// std, no macro a student's file could shadow (the harness is compiled
// after the student's code, in the same file).
//
// The grader runs a harness with:
// - its key on stdin, one line: a secret made for this run alone (128 bits,
//   in hex), read by the harness before any of the student's code runs;
// - `GRADER_VERDICTS`: the file it writes its lines to;
// - `GRADER_TIMEOUT`: the deadline of one awaited event, in seconds;
// - as its one argument, the check to run (all of them without one), or
//   `--trace`: the step's traced scenario, whose events it reports.
//
// A line is a tag, then tab-separated fields (`\`, tab, newline and
// carriage return escaped): a check's verdict, numbered from 0; an event of
// a traced run (a poll, a wake: see `Event`); or the end, which counts the
// verdicts before it. The tag is a MAC (SipHash-2-4 under the key) of the
// line and of the tag before it, so the lines are a chain: a line that is
// not the harness's counts for nothing, and a line of the harness's taken
// out or moved breaks every one after it, and so the report. The student's
// code runs in the harness's process, and a process it starts may read and
// rewrite that file; neither ever sees the key, only tags made with it.
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
    /// An event of a traced run, in the order they happened.
    Event(Event),
    /// The end of the report: `count` verdicts came before it.
    End { count: u32 },
}

/// What happened to a future, as the slides draw a task's life ("Lifecycle
/// of a Task"): polled, and what the poll returned; woken, and by whom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Event {
    /// Microseconds since the run began.
    pub(super) at_us: u64,
    /// Whose lane it is drawn on: the future's (`task 1`, `main`), or who
    /// acted (`the database`).
    pub(super) lane: String,
    pub(super) what: What,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum What {
    /// The lane's future was polled for the `n`th time, and returned
    /// `Ready` or `Pending`.
    Poll { n: u32, ready: bool },
    /// The waker that the lane's poll `of_poll` gave was woken, by `by` (a
    /// task, the timer, the reactor, the database, a thread).
    Wake { of_poll: u32, by: String },
    /// Something else the scenario did: a client sent a byte, the
    /// database answered.
    Note(String),
}

impl Event {
    /// The event as a line of a timeline: `  1.203 ms  task 2   poll 3 -> Ready`.
    pub(super) fn line(&self) -> String {
        let what = match &self.what {
            What::Poll { n, ready } => {
                let result = if *ready { "Ready" } else { "Pending" };
                ::std::format!("poll {n} -> {result}")
            }
            What::Wake { of_poll, by } => {
                ::std::format!("woken by {by} (the waker of poll {of_poll})")
            }
            What::Note(note) => note.clone(),
        };
        ::std::format!(
            "{:>9.3} ms  {:<14} {what}",
            self.at_us as f64 / 1000.0,
            self.lane
        )
    }
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

/// The key of a run, as SipHash's two words: 32 hex digits.
fn key_words(key: &str) -> Option<(u64, u64)> {
    let key = key.trim();
    if key.len() != 32 || !key.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let k0 = u64::from_str_radix(&key[..16], 16).ok()?;
    let k1 = u64::from_str_radix(&key[16..], 16).ok()?;
    Some((k0, k1))
}

/// SipHash-2-4 of `data` under the key `(k0, k1)`: a MAC made for short
/// messages, here written out because std's is not public as such.
pub(super) fn siphash(k0: u64, k1: u64, data: &[u8]) -> u64 {
    let mut v = [
        k0 ^ 0x736f_6d65_7073_6575,
        k1 ^ 0x646f_7261_6e64_6f6d,
        k0 ^ 0x6c79_6765_6e65_7261,
        k1 ^ 0x7465_6462_7974_6573,
    ];
    fn round(v: &mut [u64; 4]) {
        v[0] = v[0].wrapping_add(v[1]);
        v[1] = v[1].rotate_left(13) ^ v[0];
        v[0] = v[0].rotate_left(32);
        v[2] = v[2].wrapping_add(v[3]);
        v[3] = v[3].rotate_left(16) ^ v[2];
        v[0] = v[0].wrapping_add(v[3]);
        v[3] = v[3].rotate_left(21) ^ v[0];
        v[2] = v[2].wrapping_add(v[1]);
        v[1] = v[1].rotate_left(17) ^ v[2];
        v[2] = v[2].rotate_left(32);
    }
    fn compress(m: u64, v: &mut [u64; 4]) {
        v[3] ^= m;
        round(v);
        round(v);
        v[0] ^= m;
    }
    let mut chunks = data.chunks_exact(8);
    for chunk in chunks.by_ref() {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        compress(u64::from_le_bytes(word), &mut v);
    }
    let mut last = [0u8; 8];
    let rest = chunks.remainder();
    last[..rest.len()].copy_from_slice(rest);
    last[7] = data.len() as u8;
    compress(u64::from_le_bytes(last), &mut v);
    v[2] ^= 0xff;
    for _ in 0..4 {
        round(&mut v);
    }
    v[0] ^ v[1] ^ v[2] ^ v[3]
}

/// The lines of one run, in order: each tagged with the MAC of itself and
/// the line before it. The harness signs with one; the grader checks with
/// another, made from the same key.
pub(super) struct Chain {
    key: Option<(u64, u64)>,
    last: u64,
}

impl Chain {
    /// A chain under `key`; with a key that is not 32 hex digits, one that
    /// takes no line.
    pub(super) fn new(key: &str) -> Chain {
        Chain {
            key: key_words(key),
            last: 0,
        }
    }

    fn tag(&self, body: &str) -> Option<u64> {
        let (k0, k1) = self.key?;
        let mut data = self.last.to_le_bytes().to_vec();
        data.extend_from_slice(body.as_bytes());
        Some(siphash(k0, k1, &data))
    }

    /// The next line, tagged, without its newline.
    pub(super) fn sign(&mut self, line: &Line) -> String {
        let body = fields(line);
        let tag = self.tag(&body).unwrap_or(0);
        self.last = tag;
        ::std::format!("{tag:016x}\t{body}")
    }

    /// The line, if it is the next of the chain and reads whole; `None` for
    /// anything else, which leaves the chain where it was.
    pub(super) fn check(&mut self, text: &str) -> Option<Line> {
        let (tag, body) = text.split_once('\t')?;
        let tag = u64::from_str_radix(tag, 16)
            .ok()
            .filter(|_| tag.len() == 16)?;
        if self.tag(body)? != tag {
            return None;
        }
        let line = parse(body)?;
        self.last = tag;
        Some(line)
    }
}

/// The line's fields, tab-separated, without its tag.
fn fields(line: &Line) -> String {
    let mut fields: Vec<String> = Vec::new();
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
        Line::Event(event) => {
            fields.push("event".to_string());
            fields.push(event.at_us.to_string());
            fields.push(escape(&event.lane));
            match &event.what {
                What::Poll { n, ready } => {
                    fields.push("poll".to_string());
                    fields.push(n.to_string());
                    fields.push(if *ready { "ready" } else { "pending" }.to_string());
                }
                What::Wake { of_poll, by } => {
                    fields.push("wake".to_string());
                    fields.push(of_poll.to_string());
                    fields.push(escape(by));
                }
                What::Note(note) => {
                    fields.push("note".to_string());
                    fields.push(escape(note));
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

/// The line its fields say, if they read whole.
fn parse(body: &str) -> Option<Line> {
    let mut fields = body.split('\t');
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
        "event" => {
            let at_us = fields.next()?.parse().ok()?;
            let lane = unescape(fields.next()?);
            let what = match fields.next()? {
                "poll" => What::Poll {
                    n: fields.next()?.parse().ok()?,
                    ready: match fields.next()? {
                        "ready" => true,
                        "pending" => false,
                        _ => return None,
                    },
                },
                "wake" => What::Wake {
                    of_poll: fields.next()?.parse().ok()?,
                    by: unescape(fields.next()?),
                },
                "note" => What::Note(unescape(fields.next()?)),
                _ => return None,
            };
            if fields.next().is_some() {
                return None;
            }
            Some(Line::Event(Event { at_us, lane, what }))
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

/// What a traced run says: its events in order, and how its scenario came
/// out, if the report is whole; otherwise why not.
pub(super) fn read_trace(key: &str, text: &str) -> Result<(Vec<Event>, Said), String> {
    let mut events = Vec::new();
    let mut said = None;
    let mut ended = false;
    let mut chain = Chain::new(key);
    for line in text.lines().filter_map(|l| chain.check(l)) {
        match line {
            Line::Event(event) if said.is_none() => events.push(event),
            Line::Verdict {
                seq: 0, said: s, ..
            } if said.is_none() => said = Some(s),
            Line::End { count: 1 } if said.is_some() && !ended => ended = true,
            _ => return Err("its trace is out of order".to_string()),
        }
    }
    match said {
        Some(said) if ended => Ok((events, said)),
        _ => Err("it did not report to its end".to_string()),
    }
}

/// What a whole report says: each verdict in order, if every one of them
/// and the end are there, each once; otherwise why not.
pub(super) fn read_report(key: &str, text: &str) -> Result<Vec<(String, Said)>, String> {
    let mut verdicts: Vec<(String, Said)> = Vec::new();
    let mut end = None;
    let mut chain = Chain::new(key);
    for line in text.lines().filter_map(|l| chain.check(l)) {
        match line {
            // A check's events are in its failure, as lines.
            Line::Event(_) => {}
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
