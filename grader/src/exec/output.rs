//! What a child prints, read as it comes and kept within a bound.
//!
//! A reader thread drains each pipe to its end, so a child that prints
//! without end never stalls on a full pipe, and never makes the grader's
//! memory grow: a [`Capture`] keeps the first and the last bytes and counts
//! the rest; a [`Lines`] keeps the first and the last lines, counts the lines
//! that start with the words a check waits for, and wakes whoever waits.

use std::collections::VecDeque;
use std::io::Read;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

/// How much of a stream a [`Capture`] keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bound {
    /// The first bytes, kept whole.
    pub head: usize,
    /// The last bytes, kept too once the head is full.
    pub tail: usize,
}

impl Bound {
    /// For output that a check reads (H2O's 3,000 bond lines are 40 KB).
    pub(crate) const OUTPUT: Bound = Bound {
        head: 1 << 20,
        tail: 64 << 10,
    };
    /// For output that is only shown when something goes wrong.
    pub(crate) const LOG: Bound = Bound {
        head: 64 << 10,
        tail: 64 << 10,
    };
}

/// A stream's bytes as far as they were kept.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Captured {
    head: Vec<u8>,
    tail: Vec<u8>,
    /// Every byte the stream carried, kept or not.
    total: u64,
}

impl Captured {
    /// The whole stream, if nothing was cut from it.
    pub fn whole(&self) -> Option<&[u8]> {
        (self.cut() == 0).then_some(&self.head[..])
    }

    /// How many bytes were dropped between the head and the tail.
    pub(crate) fn cut(&self) -> u64 {
        self.total - (self.head.len() + self.tail.len()) as u64
    }

    pub fn total(&self) -> u64 {
        self.total
    }

    /// The first bytes: all of them, when nothing was cut.
    pub(crate) fn head(&self) -> &[u8] {
        &self.head
    }

    /// The text, with a line that says how much was cut where it was cut.
    pub fn text(&self) -> String {
        let mut out = String::from_utf8_lossy(&self.head).into_owned();
        if self.cut() > 0 {
            out.push_str(&format!(
                "\n[... {} bytes not kept: the output was {} bytes in all ...]\n",
                self.cut(),
                self.total
            ));
        }
        out.push_str(&String::from_utf8_lossy(&self.tail));
        out
    }
}

#[derive(Debug, Default)]
struct CaptureState {
    head: Vec<u8>,
    tail: VecDeque<u8>,
    total: u64,
    closed: bool,
}

/// A pipe drained on a thread of its own into a bounded buffer.
#[derive(Debug, Clone)]
pub struct Capture {
    shared: Arc<(Mutex<CaptureState>, Condvar)>,
    bound: Bound,
}

impl Capture {
    pub(crate) fn follow(stream: impl Read + Send + 'static, bound: Bound) -> Capture {
        let capture = Capture {
            shared: Arc::default(),
            bound,
        };
        let writer = capture.clone();
        thread::spawn(move || writer.drain(stream));
        capture
    }

    fn drain(&self, stream: impl Read) {
        for_each_chunk(stream, |mut bytes| {
            let mut state = self.lock();
            state.total += bytes.len() as u64;
            let room = self.bound.head.saturating_sub(state.head.len());
            let into_head = room.min(bytes.len());
            state.head.extend_from_slice(&bytes[..into_head]);
            bytes = &bytes[into_head..];
            if bytes.len() >= self.bound.tail {
                state.tail.clear();
                bytes = &bytes[bytes.len() - self.bound.tail..];
            }
            let over = (state.tail.len() + bytes.len()).saturating_sub(self.bound.tail);
            state.tail.drain(..over);
            state.tail.extend(bytes);
        });
        self.lock().closed = true;
        self.shared.1.notify_all();
    }

    fn lock(&self) -> MutexGuard<'_, CaptureState> {
        self.shared.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// What was kept so far, after waiting up to `limit` for the stream to
    /// end: a process may have handed its pipe to a child that lives on.
    pub fn finish(&self, limit: Duration) -> Captured {
        let end = Instant::now() + limit;
        let mut state = self.lock();
        while !state.closed {
            let now = Instant::now();
            if now >= end {
                break;
            }
            state = self
                .shared
                .1
                .wait_timeout(state, end - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        Captured {
            head: state.head.clone(),
            tail: state.tail.iter().copied().collect(),
            total: state.total,
        }
    }
}

/// How many lines a [`Lines`] keeps from the start and from the end, and
/// how much of one line.
const FIRST_LINES: usize = 40;
const LAST_LINES: usize = 80;
const LINE_BYTES: usize = 2048;

/// A stream followed line by line.
#[derive(Debug, Default)]
pub struct LinesState {
    first: Vec<String>,
    last: VecDeque<String>,
    /// Every line seen.
    pub total: usize,
    /// For each watched prefix: how many lines start with it, and the rest
    /// of the first such line.
    watched: Vec<(&'static str, usize, Option<String>)>,
    /// The stream has ended: the process and every holder of its pipe exited.
    pub closed: bool,
}

impl LinesState {
    /// How many lines so far start with `prefix` (one of the watched ones).
    pub fn count(&self, prefix: &str) -> usize {
        self.watched
            .iter()
            .find(|(p, _, _)| *p == prefix)
            .map_or(0, |(_, n, _)| *n)
    }

    /// The rest of the first line that starts with `prefix`.
    pub fn first(&self, prefix: &str) -> Option<&str> {
        self.watched
            .iter()
            .find(|(p, _, _)| *p == prefix)
            .and_then(|(_, _, first)| first.as_deref())
    }

    /// The lines kept, with a line saying how many were left out.
    pub fn text(&self) -> String {
        let mut lines: Vec<String> = self.first.clone();
        let skipped = self.total - self.first.len() - self.last.len();
        if skipped > 0 {
            lines.push(format!("[... {skipped} lines not kept ...]"));
        }
        lines.extend(self.last.iter().cloned());
        lines.join("\n")
    }

    /// The lines kept, first to last.
    pub fn kept(&self) -> impl Iterator<Item = &str> {
        self.first.iter().chain(&self.last).map(String::as_str)
    }

    /// Whether a line of the kept ones contains `needle`.
    pub fn contains(&self, needle: &str) -> bool {
        self.first
            .iter()
            .chain(&self.last)
            .any(|l| l.contains(needle))
    }

    fn push(&mut self, line: &str) {
        self.total += 1;
        for (prefix, count, first) in &mut self.watched {
            if let Some(rest) = line.strip_prefix(*prefix) {
                *count += 1;
                if first.is_none() {
                    *first = Some(rest.to_string());
                }
            }
        }
        if self.first.len() < FIRST_LINES {
            self.first.push(line.to_string());
        } else {
            if self.last.len() == LAST_LINES {
                self.last.pop_front();
            }
            self.last.push_back(line.to_string());
        }
    }
}

/// A child's stream (its stderr, usually) followed line by line as it comes.
pub struct Lines {
    state: Mutex<LinesState>,
    changed: Condvar,
}

/// Called with each line as it arrives (the bench paces its clients by the
/// server's `Accepted connection` lines).
pub(crate) type OnLine = Box<dyn Fn(&str) + Send>;

impl Lines {
    /// Follows `stream`, counting the lines that start with each of `watch`.
    pub(crate) fn follow(
        stream: impl Read + Send + 'static,
        watch: &[&'static str],
        on_line: Option<OnLine>,
    ) -> Arc<Lines> {
        let lines = Arc::new(Lines {
            state: Mutex::new(LinesState {
                watched: watch.iter().map(|p| (*p, 0, None)).collect(),
                ..LinesState::default()
            }),
            changed: Condvar::new(),
        });
        let writer = lines.clone();
        thread::spawn(move || {
            for_each_line(stream, LINE_BYTES, |line| {
                writer.lock().push(line);
                if let Some(on_line) = &on_line {
                    on_line(line);
                }
                writer.changed.notify_all();
            });
            writer.lock().closed = true;
            writer.changed.notify_all();
        });
        lines
    }

    pub fn lock(&self) -> MutexGuard<'_, LinesState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits until `found` holds for the lines so far, up to `limit`.
    /// `Err(closed)` tells whether the stream ended (the process exited).
    pub fn wait_until<T>(
        &self,
        limit: Duration,
        mut found: impl FnMut(&LinesState) -> Option<T>,
    ) -> Result<T, bool> {
        let end = Instant::now() + limit;
        let mut state = self.lock();
        loop {
            if let Some(t) = found(&state) {
                return Ok(t);
            }
            let now = Instant::now();
            if state.closed || now >= end {
                return Err(state.closed);
            }
            state = self
                .changed
                .wait_timeout(state, end - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    pub fn text(&self) -> String {
        self.lock().text()
    }
}

/// Reads `stream` to its end, handing each line to `each` without its line
/// end, cut to `max` bytes, with bytes that are not UTF-8 replaced. A line
/// longer than `max` is read to its end without being kept.
pub(crate) fn for_each_line(stream: impl Read, max: usize, mut each: impl FnMut(&str)) {
    let mut line: Vec<u8> = Vec::new();
    let mut over = false;
    for_each_chunk(stream, |chunk| {
        for piece in chunk.split_inclusive(|b| *b == b'\n') {
            let (body, ends) = match piece.strip_suffix(b"\n") {
                Some(body) => (body, true),
                None => (piece, false),
            };
            let room = max.saturating_sub(line.len());
            line.extend_from_slice(&body[..body.len().min(room)]);
            over |= body.len() > room;
            if ends {
                emit(&line, over, &mut each);
                line.clear();
                over = false;
            }
        }
    });
    if !line.is_empty() {
        emit(&line, over, &mut each);
    }
}

/// Reads `stream` to its end (or its first error), a chunk at a time.
fn for_each_chunk(mut stream: impl Read, mut each: impl FnMut(&[u8])) {
    let mut chunk = vec![0u8; 64 << 10];
    loop {
        match stream.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => each(&chunk[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => break,
        }
    }
}

fn emit(line: &[u8], over: bool, each: &mut impl FnMut(&str)) {
    let text = String::from_utf8_lossy(line);
    let text = text.trim_end_matches('\r');
    if over {
        each(&format!("{text}[... the rest of this long line not kept]"));
    } else {
        each(text);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_capture_keeps_the_head_and_the_tail_and_says_how_much_it_cut() {
        let bytes: Vec<u8> = (0..100u8).collect();
        let capture = Capture::follow(
            std::io::Cursor::new(bytes.clone()),
            Bound { head: 10, tail: 5 },
        );
        let got = capture.finish(Duration::from_secs(5));
        assert_eq!(got.head(), &bytes[..10]);
        assert_eq!(got.tail, &bytes[95..]);
        assert_eq!((got.total(), got.cut()), (100, 85));
        assert!(got.whole().is_none());
        assert!(got.text().contains("85 bytes not kept"));
    }

    #[test]
    fn a_short_stream_is_kept_whole() {
        let capture = Capture::follow(std::io::Cursor::new(b"bond o0!\n".to_vec()), Bound::LOG);
        let got = capture.finish(Duration::from_secs(5));
        assert_eq!(got.whole(), Some(&b"bond o0!\n"[..]));
        assert_eq!(got.text(), "bond o0!\n");
    }

    #[test]
    fn lines_are_counted_by_prefix_and_long_ones_cut() {
        let mut text = String::from("Listening on 127.0.0.1:5\r\n");
        for _ in 0..200 {
            text.push_str("Accepted connection from somewhere\n");
        }
        text.push_str(&"x".repeat(10_000));
        text.push('\n');
        text.push_str("Connection ended");
        let lines = Lines::follow(
            std::io::Cursor::new(text.into_bytes()),
            &["Listening on ", "Accepted connection", "Connection ended"],
            None,
        );
        let ended = lines.wait_until(Duration::from_secs(5), |s| s.closed.then_some(()));
        assert!(ended.is_ok());
        let state = lines.lock();
        assert_eq!(state.first("Listening on "), Some("127.0.0.1:5"));
        assert_eq!(state.count("Accepted connection"), 200);
        assert_eq!(state.count("Connection ended"), 1);
        assert_eq!(state.total, 203);
        let kept = state.text();
        assert!(kept.contains("lines not kept"), "{kept}");
        assert!(kept.contains("the rest of this long line not kept"));
        assert!(kept.len() < 20_000);
    }
}
