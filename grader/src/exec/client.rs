//! A plain TCP client for the echo steps, as `nc` would be, with a deadline
//! on every read and write.

use crate::failure::{Failure, show};
use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

pub(crate) struct Client {
    stream: TcpStream,
    /// Everything sent so far, for failure messages.
    sent: Vec<u8>,
    /// Names the client in messages when a check uses several.
    name: String,
    /// How long one read or write may wait.
    deadline: Duration,
    /// The server ended the connection in an `expect` before all it
    /// expected had come, everything before that end right.
    closed_early: bool,
    /// What came back in the last `expect` that failed.
    got: Vec<u8>,
}

impl Client {
    /// Connects to `addr`; each read and write then waits up to `deadline`.
    pub(crate) fn connect(
        addr: SocketAddr,
        name: &str,
        deadline: Duration,
    ) -> Result<Client, Failure> {
        let stream = TcpStream::connect_timeout(&addr, deadline)
            .map_err(|e| Failure::new(format!("client {name} could not connect to {addr}: {e}")))?;
        // Each write leaves at once, so "split over several writes" is real.
        let _ = stream.set_nodelay(true);
        stream
            .set_write_timeout(Some(deadline))
            .map_err(|e| Failure::new(format!("cannot set a write timeout: {e}")))?;
        Ok(Client {
            stream,
            sent: Vec::new(),
            name: name.to_string(),
            deadline,
            closed_early: false,
            got: Vec::new(),
        })
    }

    /// Its name in messages.
    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    /// How long one of its reads or writes may wait.
    pub(crate) fn deadline(&self) -> Duration {
        self.deadline
    }

    /// What came back in the last `expect` that failed, as far as it read.
    pub(crate) fn got(&self) -> &[u8] {
        &self.got
    }

    /// Whether an `expect` failed because the server ended the connection
    /// early: what came was right as far as it went (none of it, maybe).
    pub(crate) fn closed_early(&self) -> bool {
        self.closed_early
    }

    pub(crate) fn send(&mut self, bytes: &[u8]) -> Result<(), Failure> {
        self.sent.extend_from_slice(bytes);
        let mut left = bytes;
        while !left.is_empty() {
            match self.stream.write(left) {
                Ok(0) => {
                    return Err(self.could_not_send(bytes, left, ErrorKind::WriteZero.into()));
                }
                Ok(n) => left = &left[n..],
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(self.could_not_send(bytes, left, e)),
            }
        }
        Ok(())
    }

    /// What a send that could not end says: what the grader saw of the
    /// server, in words, and the OS's own words below.
    fn could_not_send(&self, bytes: &[u8], left: &[u8], e: std::io::Error) -> Failure {
        let taken = bytes.len() - left.len();
        let headline = match e.kind() {
            // The write timed out: the server read nothing for that long.
            ErrorKind::WouldBlock | ErrorKind::TimedOut => format!(
                "client {}: the server stopped reading what it sent: {taken} of {} bytes went out, then nothing more for {} s",
                self.name,
                bytes.len(),
                self.deadline.as_secs_f64()
            ),
            ErrorKind::ConnectionReset | ErrorKind::BrokenPipe | ErrorKind::ConnectionAborted => {
                format!(
                    "client {}: the server closed the connection while it was sending ({taken} of {} bytes went out)",
                    self.name,
                    bytes.len()
                )
            }
            _ => format!("client {} could not send", self.name),
        };
        Failure::new(headline)
            .field("sent:", show(&self.sent))
            .field("the OS said:", e)
    }

    /// Sends `bytes` from another thread, so that a large line can be read
    /// back while it is still being written.
    pub(crate) fn send_in_background(
        &mut self,
        bytes: Vec<u8>,
    ) -> Result<JoinHandle<std::io::Result<()>>, Failure> {
        self.send_from_thread(bytes, false)
    }

    /// Sends `bytes` from another thread, then at once says there is no
    /// more (a half-close), while this one reads what comes back.
    pub(crate) fn send_all_then_close_in_background(
        &mut self,
        bytes: Vec<u8>,
    ) -> Result<JoinHandle<std::io::Result<()>>, Failure> {
        self.send_from_thread(bytes, true)
    }

    fn send_from_thread(
        &mut self,
        bytes: Vec<u8>,
        then_close: bool,
    ) -> Result<JoinHandle<std::io::Result<()>>, Failure> {
        self.sent.extend_from_slice(&bytes);
        let mut writer = self
            .stream
            .try_clone()
            .map_err(|e| Failure::new(format!("cannot clone the socket: {e}")))?;
        Ok(thread::spawn(move || {
            if then_close {
                cork(&writer);
            }
            writer.write_all(&bytes)?;
            if then_close {
                writer.shutdown(Shutdown::Write)?;
            }
            Ok(())
        }))
    }

    /// Reads until `expected` has come back, failing at the first byte that
    /// differs, at end-of-file, or when nothing arrives before the deadline.
    pub(crate) fn expect(&mut self, expected: &[u8]) -> Result<(), Failure> {
        let mut got = Vec::with_capacity(expected.len());
        let result = self.expect_into(expected, &mut got);
        if result.is_err() {
            self.got = got;
        }
        result
    }

    fn expect_into(&mut self, expected: &[u8], got: &mut Vec<u8>) -> Result<(), Failure> {
        let mut chunk = vec![0u8; 64 * 1024];
        let end = Instant::now() + self.deadline;
        while got.len() < expected.len() {
            let want = (expected.len() - got.len()).min(chunk.len());
            match self.read_some(&mut chunk[..want], end) {
                Ok(0) => {
                    self.closed_early = true;
                    return Err(self.wrong(expected, got, "then the server closed the connection"));
                }
                Ok(n) => {
                    // Only the new bytes: the ones before them matched already.
                    let at = got.len();
                    got.extend_from_slice(&chunk[..n]);
                    if expected[at..got.len()] != chunk[..n] {
                        return Err(self.wrong(expected, got, ""));
                    }
                }
                Err(Ended::Timeout) => {
                    let secs = self.deadline.as_secs_f64();
                    return Err(self.wrong(
                        expected,
                        got,
                        &format!("then nothing more for {secs} s"),
                    ));
                }
                Err(Ended::Error(e)) => {
                    return Err(self.wrong(
                        expected,
                        got,
                        &format!("then the connection failed: {e}"),
                    ));
                }
            }
        }
        Ok(())
    }

    /// Whether the server has sent bytes this client has not read yet.
    pub(crate) fn has_unread(&self) -> bool {
        let mut byte = [0u8; 1];
        let peeked = self.stream.set_nonblocking(true).is_ok()
            && self.stream.peek(&mut byte).is_ok_and(|n| n > 0);
        let _ = self.stream.set_nonblocking(false);
        peeked
    }

    /// After an echo that did not come: says the client has no more to send,
    /// and tells whether `line` then comes back, within `span`. A server that
    /// holds its writes back (a buffered writer never flushed) sends them as
    /// its handler ends.
    pub(crate) fn arrives_once_closed(&mut self, line: &[u8], span: Duration) -> bool {
        let _ = self.stream.shutdown(Shutdown::Write);
        let mut got = Vec::new();
        let mut chunk = [0u8; 4096];
        let end = Instant::now() + span;
        while got.len() < line.len() {
            match self.read_some(&mut chunk, end) {
                Ok(n) if n > 0 => got.extend_from_slice(&chunk[..n]),
                _ => break,
            }
        }
        got.ends_with(line)
    }

    /// Says the client has no more to send, then expects the server to close
    /// the connection without sending anything more.
    pub(crate) fn finish(mut self) -> Result<(), Failure> {
        let _ = self.stream.shutdown(Shutdown::Write);
        let mut extra = Vec::new();
        let mut chunk = [0u8; 4096];
        let end = Instant::now() + self.deadline;
        loop {
            match self.read_some(&mut chunk, end) {
                Ok(0) if extra.is_empty() => return Ok(()),
                Ok(0) => {
                    return Err(Failure::new(format!(
                        "client {}: after its last line the server sent bytes it was not sent as a line",
                        self.name
                    ))
                    .field("sent:", show(&self.sent))
                    .field("extra:", show(&extra)));
                }
                Ok(n) => extra.extend_from_slice(&chunk[..n]),
                // A reset after everything was echoed still ends the connection.
                Err(Ended::Error(_)) if extra.is_empty() => return Ok(()),
                Err(Ended::Error(e)) => {
                    return Err(Failure::new(format!(
                        "client {}: connection failed: {e}",
                        self.name
                    ))
                    .field("extra:", show(&extra)));
                }
                Err(Ended::Timeout) => {
                    let secs = self.deadline.as_secs_f64();
                    let mut f = Failure::new(format!(
                        "client {} finished sending, but the server kept the connection open for {secs} s",
                        self.name
                    ))
                    .field("sent:", show(&self.sent));
                    if !extra.is_empty() {
                        f = f.field("extra:", show(&extra));
                    }
                    return Err(f
                        .field(
                            "expected:",
                            "the server reads end-of-file (0 bytes) and ends the connection",
                        )
                        .diagnose(END_OF_INPUT_MISSED));
                }
            }
        }
    }

    /// Says the client has no more to send, then expects the server to close
    /// the connection, whatever it echoes before.
    pub(crate) fn finish_after_any_echo(mut self) -> Result<(), Failure> {
        let _ = self.stream.shutdown(Shutdown::Write);
        let mut chunk = [0u8; 4096];
        let end = Instant::now() + self.deadline;
        loop {
            match self.read_some(&mut chunk, end) {
                Ok(0) | Err(Ended::Error(_)) => return Ok(()),
                Ok(_) => continue,
                Err(Ended::Timeout) => {
                    let secs = self.deadline.as_secs_f64();
                    return Err(Failure::new(format!(
                        "client {} finished sending, but the server kept the connection open for {secs} s",
                        self.name
                    ))
                    .field("sent:", show(&self.sent)));
                }
            }
        }
    }

    /// What the server sends until it has been quiet for `quiet` (or ends
    /// the connection), `at_most` bytes of it.
    pub(crate) fn read_what_comes(&mut self, quiet: Duration, at_most: usize) -> Vec<u8> {
        let mut got = Vec::new();
        let mut chunk = [0u8; 4096];
        while got.len() < at_most {
            match self.read_some(&mut chunk, Instant::now() + quiet) {
                Ok(n) if n > 0 => got.extend_from_slice(&chunk[..n]),
                _ => break,
            }
        }
        got
    }

    /// Waits `span` for the server to send nothing; what it sent, if it did.
    pub(crate) fn quiet_for(&mut self, span: Duration) -> Result<(), Vec<u8>> {
        let mut chunk = [0u8; 4096];
        match self.read_some(&mut chunk, Instant::now() + span) {
            Err(Ended::Timeout) => Ok(()),
            Ok(n) => Err(chunk[..n].to_vec()),
            Err(Ended::Error(_)) => Err(Vec::new()),
        }
    }

    /// Aborts the connection with a TCP reset (RST), as a crashed client would.
    pub(crate) fn reset(self) {
        let _ = socket2::SockRef::from(&self.stream).set_linger(Some(Duration::ZERO));
        drop(self.stream);
    }

    fn read_some(&mut self, buf: &mut [u8], end: Instant) -> Result<usize, Ended> {
        loop {
            let left = end.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(Ended::Timeout);
            }
            let _ = self.stream.set_read_timeout(Some(left));
            match self.stream.read(buf) {
                Ok(n) => return Ok(n),
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    return Err(Ended::Timeout);
                }
                Err(e) => return Err(Ended::Error(e)),
            }
        }
    }

    fn wrong(&self, expected: &[u8], got: &[u8], then: &str) -> Failure {
        let headline = if got.is_empty() {
            format!("client {}: the echo did not come back", self.name)
        } else if expected.starts_with(got) {
            format!("client {}: only part of the echo came back", self.name)
        } else {
            format!("client {}: the echo is not what was sent", self.name)
        };
        let mut got_text = show(got);
        if !then.is_empty() {
            got_text.push_str(&format!(", {then}"));
        }
        let failure = Failure::new(headline)
            .field("sent:", show(&self.sent))
            .field("expected:", show(expected))
            .field("got:", got_text);
        match first_difference(expected, got) {
            Some(at) => failure.field("differs:", at),
            None => failure,
        }
    }
}

/// Holds back the last part of what is written until the end of the input
/// is sent, so that the two come together ("at once", as the checks say):
/// a server then meets its end of input with lines still to echo, not
/// after a pause in which it caught up.
#[cfg(target_os = "linux")]
fn cork(stream: &TcpStream) {
    use std::os::fd::AsRawFd;
    let on: libc::c_int = 1;
    // SAFETY: a valid socket, and an option of the size the kernel reads.
    // Without it the checks hold still, only less sharply: not checked.
    unsafe {
        libc::setsockopt(
            stream.as_raw_fd(),
            libc::IPPROTO_TCP,
            libc::TCP_CORK,
            (&on as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        );
    }
}

#[cfg(not(target_os = "linux"))]
fn cork(_stream: &TcpStream) {}

/// A server that echoed all, and did not end the connection at its end.
const END_OF_INPUT_MISSED: &str = "everything sent came back, and then the client closed its side, and the server did not end the connection: its read of the socket returned 0 bytes, the end of the input, and it went on waiting (read again, or waited for the socket to be ready again, as for `WouldBlock`). A read of 0 bytes is the end: the client's handler returns, and the socket is dropped.";

/// Where `got` first differs from `expected`, with a few bytes of each
/// from there, when that is past what `show` shows of them: a long line
/// whose bytes went wrong after its first hundred would look the same.
fn first_difference(expected: &[u8], got: &[u8]) -> Option<String> {
    let at = expected.iter().zip(got).position(|(e, g)| e != g)?;
    if at < crate::failure::SHOWN_BYTES {
        return None;
    }
    let from = |bytes: &[u8]| {
        bytes[at..bytes.len().min(at + 16)]
            .escape_ascii()
            .to_string()
    };
    Some(format!(
        "from byte {at}: expected \"{}\", got \"{}\"",
        from(expected),
        from(got)
    ))
}

enum Ended {
    Timeout,
    Error(std::io::Error),
}

#[cfg(test)]
mod tests {
    use super::first_difference;

    #[test]
    fn a_difference_past_what_is_shown_is_pointed_at() {
        let expected: Vec<u8> = (0..=255u8).collect();
        let mut got = expected.clone();
        got[200] = b'?';
        let said = first_difference(&expected, &got).unwrap();
        assert!(
            said.starts_with("from byte 200: expected \"\\xc8"),
            "{said}"
        );
        assert!(said.contains("got \"?"), "{said}");
        // Shown already, or no difference: nothing to add.
        got[200] = 200;
        got[3] = b'?';
        assert_eq!(first_difference(&expected, &got), None);
        assert_eq!(first_difference(&expected, &expected[..150]), None);
    }
}
