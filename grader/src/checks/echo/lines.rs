//! What the echo steps echo: a line, as the client sent it, however it
//! came, and nothing that is not a whole line.

use super::server::{expect_echo, round_trip, send_failed, with_server};
use crate::failure::Detail;
use crate::outcome::Verdict;
use crate::step::Ctx;

pub(super) fn one_line(ctx: &Ctx) -> Verdict {
    with_server(ctx, |s| round_trip(s, "A", b"hello\n"))
}

pub(super) fn several_lines_in_one_write(ctx: &Ctx) -> Verdict {
    let lines = b"one\ntwo\nthree\n";
    with_server(ctx, |s| {
        let mut c = s.connect("A")?;
        c.send(lines)?;
        expect_echo(&mut c, lines).map_err(|f| {
            // The first line, and nothing of the two read along with it.
            let first_only = f.details.iter().any(|d| {
                matches!(d, Detail::Field { label, value }
                    if label == "got:" && value.starts_with("\"one\\n\", then nothing more"))
            });
            if first_only && f.diagnosis.is_none() {
                f.diagnose(REST_OF_THE_READ_LOST)
            } else {
                f
            }
        })?;
        c.finish()
    })
}

/// The first line of a write came back, and not the lines read with it.
const REST_OF_THE_READ_LOST: &str = "the first line came back, and the two sent with it in the same write never did: a read returns whatever has arrived, here three lines at once, and only the first of them was echoed. The others were dropped, or kept and not echoed before the next read, which waits for bytes that never come. Every complete line of what was read is echoed before reading again; a `BufReader` keeps what it read ahead for its next call, and one made anew for each line (inside the loop) drops it.";

pub(super) fn line_split_over_writes(ctx: &Ctx) -> Verdict {
    with_server(ctx, |s| {
        let mut c = s.connect("A")?;
        for part in [&b"hel"[..], b"lo, wor", b"ld\n"] {
            c.send(part)?;
        }
        expect_echo(&mut c, b"hello, world\n")?;
        c.finish()
    })
}

pub(super) fn empty_line(ctx: &Ctx) -> Verdict {
    with_server(ctx, |s| {
        let mut c = s.connect("A")?;
        c.send(b"\n")?;
        c.expect(b"\n")?;
        c.send(b"after\n")?;
        c.expect(b"after\n")?;
        c.finish()
    })
}

pub(super) fn crlf_kept(ctx: &Ctx) -> Verdict {
    with_server(ctx, |s| round_trip(s, "A", b"dos line\r\n"))
}

pub(super) fn every_byte_value(ctx: &Ctx) -> Verdict {
    let mut line: Vec<u8> = (0..=255u8).filter(|&b| b != b'\n').collect();
    line.push(b'\n');
    with_server(ctx, |s| {
        round_trip(s, "A", &line)?;
        // Blanks at either end are bytes like any other.
        round_trip(s, "B", b" \t blanks at both ends \t \n")
    })
}

pub(super) fn one_mib_line(ctx: &Ctx) -> Verdict {
    let mut line = letters(1024 * 1024);
    line.push(b'\n');
    with_server(ctx, |s| {
        let mut c = s.connect("A")?;
        let writer = c.send_in_background(line.clone())?;
        c.expect(&line)?;
        if let Ok(Err(e)) = writer.join() {
            return Err(send_failed(&c, "the 1 MiB line", e));
        }
        c.finish()?;
        // A longer line to a client that reads only once it has sent it all:
        // more than the sockets hold, so the server's writes block, or take
        // only part and say so; all of it must come back all the same.
        let mut long = letters(SLOW_READER_LINE);
        long.push(b'\n');
        let mut c = s.connect("B")?;
        if let Err(failure) = c.send(&long) {
            return Err(if c.has_unread() {
                failure.diagnose(ECHOED_EARLY)
            } else {
                failure
            });
        }
        c.expect(&long).map_err(|f| {
            f.field(
                "after:",
                "a line of 8 MiB, more than the sockets hold, read only once it was all sent",
            )
        })?;
        c.finish()
    })
}

/// `n` bytes of `abc...zabc...`, made by copying (a build without
/// optimisations makes a long line byte by byte slowly).
fn letters(n: usize) -> Vec<u8> {
    let mut bytes = b"abcdefghijklmnopqrstuvwxyz".repeat(n / 26 + 1);
    bytes.truncate(n);
    bytes
}

const ECHOED_EARLY: &str = "The server stopped reading client B's line before its `\\n` had come, and had already sent some of it back: it writes back bytes of a line that is not complete yet, and so waits on a client that is still sending. A line is echoed once all of it, through its `\\n`, has come.";

/// Larger than what a socket's send buffer grows to (4 MiB, on Linux) and
/// the receive buffer of a client that does not read yet, together.
const SLOW_READER_LINE: usize = 8 << 20;

/// What the lines echoed in part, then a close, say: not a fragment's
/// mistake (the fragment comes after them all).
const LINES_LOST_AT_THE_END: &str = "the server closed the connection with complete lines it had read still not echoed: when the input ends, what was read must still be written before the connection closes. Look at what happens to the writing when the reading loop ends: a writer that is stopped (aborted, dropped, or not waited for) then, or a write that was never awaited to its end, loses the lines still on their way.";

pub(super) fn fragment_not_echoed(ctx: &Ctx) -> Verdict {
    with_server(ctx, |s| {
        let mut c = s.connect("A")?;
        c.send(b"complete\nfragment")?;
        expect_echo(&mut c, b"complete\n")?;
        // Half-close: end-of-file after the fragment; the server must close
        // the connection without echoing "fragment".
        c.finish()?;
        // A long run of bytes without `\n` is no line either, however long:
        // nothing of it may come back, not even in pieces.
        let mut long = b"complete\n".to_vec();
        long.extend(letters(100 * 1024));
        let mut c = s.connect("B")?;
        let writer = c.send_in_background(long)?;
        c.expect(b"complete\n")?;
        if let Ok(Err(e)) = writer.join() {
            return Err(send_failed(&c, "its 100 KiB", e));
        }
        c.finish()
            .map_err(|f| f.field("after:", "100 KiB without `\\n`, then the end of the input"))?;
        // Many lines, then the end of the input at once: each line still
        // comes back before the server closes; only the fragment does not.
        let lines: String = (0..20_000).map(|i| format!("line {i}\n")).collect();
        let mut c = s.connect("C")?;
        let writer =
            c.send_all_then_close_in_background(format!("{lines}fragment").into_bytes())?;
        c.expect(lines.as_bytes()).map_err(|f| {
            let f = f.field(
                "after:",
                "20,000 lines and a fragment, then at once the end of the input",
            );
            // Lines right as far as they came (maybe none), then the end:
            // the server read them all and stopped writing when its
            // reading ended.
            if c.closed_early() {
                f.diagnose(LINES_LOST_AT_THE_END)
            } else {
                f
            }
        })?;
        if let Ok(Err(e)) = writer.join() {
            return Err(send_failed(&c, "its lines", e));
        }
        c.finish()
    })
}
