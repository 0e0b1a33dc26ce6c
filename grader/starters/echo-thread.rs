//! Slide: 'A "default" implementation: threads'.
//!
//! A line echo server with one OS thread per client. `main` is given: it
//! accepts clients and hands each one to `handle_client` on a thread of its
//! own. Your job is `handle_client`.
//!
//! Run it with `cargo run --bin echo-thread`, talk to it with
//! `nc 127.0.0.1 50000`, and grade it with `cargo test -p grader echo_thread`.

// The TODOs leave code unused until you write them; delete the line below then,
// so that the compiler can point at what your code leaves unused.
#![allow(unused_imports, unused_variables, unused_mut, dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::thread;

fn main() -> std::io::Result<()> {
    let port = std::env::args()
        .nth(1)
        .map(|s| s.parse().unwrap_or_else(|_| bad_port(&s)))
        .unwrap_or(50000u16);
    // Loopback only: a teaching server has no business on the network.
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let listener = TcpListener::bind(addr).unwrap_or_else(|e| {
        eprintln!("error: cannot listen on {addr}: {e}");
        std::process::exit(1)
    });
    // Port 0 asks the OS for any free port: print the one we got.
    eprintln!("Listening on {}", listener.local_addr()?);
    loop {
        let (socket, _) = listener.accept()?;
        // Why `move`? The slide asks; docs/steps/echo-thread.md#why-move answers.
        thread::spawn(move || {
            eprintln!("Accepted connection");
            // A client's error (a reset, say) ends only its own connection.
            std::mem::drop(handle_client(socket));
            eprintln!("Connection ended");
        });
    }
}

/// Echoes each line (bytes up to and including `\n`) back to the client until
/// it closes. A last fragment without `\n` is not a line, so it is not echoed.
fn handle_client(stream: TcpStream) -> std::io::Result<()> {
    // TODO: wrap `stream` in a `BufReader`, then loop:
    //   - `read_until(b'\n', &mut buf)` reads one line, `\n` included;
    //   - stop when it read nothing (the client closed) or the last byte is
    //     not `\n` (a fragment before end-of-file);
    //   - write exactly those bytes back with `reader.get_mut().write_all(..)`;
    //   - clear `buf` for the next line.
    // The imports you need are already at the top of this file.
    todo!("echo each line back to the client")
}

/// The slide's `.unwrap()` would panic with a backtrace; one line is kinder.
fn bad_port(value: &str) -> ! {
    eprintln!("error: PORT must be a number from 0 to 65535, got {value:?}");
    std::process::exit(2)
}
