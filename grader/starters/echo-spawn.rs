//! Slide: "Now we spawn a new tokio task for each new client!"
//!
//! This file starts as the thread server (the slides' "original per-client
//! handler"). It already works, but each client costs an OS thread. Convert it
//! to tokio so that each client costs a task instead; the slides "How to
//! transform to async?" walk through every change.
//!
//! Run it with `cargo run --bin echo-spawn` and grade it with
//! `cargo test -p grader echo_spawn`. The grader counts the server's OS threads
//! while 300 clients are connected: a thread per client fails that check.

// TODO: use tokio's versions instead:
//   use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
//   use tokio::net::{TcpListener, TcpStream};
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::thread;

// TODO: run `main` on the tokio runtime: `#[tokio::main]` and `async fn`.
fn main() -> std::io::Result<()> {
    let port = std::env::args()
        .nth(1)
        .map(|s| s.parse().unwrap_or_else(|_| bad_port(&s)))
        .unwrap_or(50000u16);
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    // TODO: tokio's `bind` returns a future: `.await` it.
    let listener = TcpListener::bind(addr).unwrap_or_else(|e| {
        eprintln!("error: cannot listen on {addr}: {e}");
        std::process::exit(1)
    });
    eprintln!("Listening on {}", listener.local_addr()?);
    loop {
        // TODO: `.await` the accept.
        let (socket, _) = listener.accept()?;
        // TODO: `tokio::spawn(async move { ... })` instead of a thread, and
        // `.await` the handler inside it.
        thread::spawn(move || {
            eprintln!("Accepted connection");
            std::mem::drop(handle_client(socket));
            eprintln!("Connection ended");
        });
    }
}

// TODO: make this an `async fn`, and `.await` each read and write.
fn handle_client(stream: TcpStream) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream);
    let mut buf: Vec<u8> = Vec::new();
    loop {
        let size = reader.read_until(b'\n', &mut buf)?;
        if size == 0 || buf[size - 1] != b'\n' {
            break;
        }
        reader.get_mut().write_all(&buf[..size])?;
        buf.clear();
    }
    Ok(())
}

/// The slide's `.unwrap()` would panic with a backtrace; one line is kinder.
fn bad_port(value: &str) -> ! {
    eprintln!("error: PORT must be a number from 0 to 65535, got {value:?}");
    std::process::exit(2)
}
