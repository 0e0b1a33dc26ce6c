//! Slides: "How to transform to async?" and "What's wrong with this code?"
//!
//! The thread server moved onto tokio, but without `tokio::spawn`: `main` awaits
//! `handle_client` before it accepts again. There is only one task, and it is
//! busy with the first client until that client leaves; a second client is
//! accepted by the OS but gets no echo meanwhile. Even worse than threads.
//!
//! Also as on the slide, `handle_client(socket).await?` ends the whole server
//! when one client's connection fails (a reset, say).
//!
//! Try it: `cargo run --bin echo-async-naive`, then two
//! `nc 127.0.0.1 50000` in two terminals. The second one's lines come back only
//! when the first one quits.

use std::net::SocketAddr;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let port = std::env::args()
        .nth(1)
        .map(|s| s.parse().unwrap_or_else(|_| bad_port(&s)))
        .unwrap_or(50000u16);
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let listener = TcpListener::bind(addr).await.unwrap_or_else(|e| {
        eprintln!("error: cannot listen on {addr}: {e}");
        std::process::exit(1)
    });
    eprintln!("Listening on {}", listener.local_addr()?);
    loop {
        let (socket, _) = listener.accept().await?;
        eprintln!("Accepted connection");
        // The flaw: awaiting here keeps this one task on this one client.
        handle_client(socket).await?;
        eprintln!("Connection ended");
    }
}

/// The thread version's `handle_client`, made async: each blocking call
/// became an `.await` on tokio's equivalent.
async fn handle_client(stream: TcpStream) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream);
    let mut buf: Vec<u8> = Vec::new();
    loop {
        let size = reader.read_until(b'\n', &mut buf).await?;
        if size == 0 || buf[size - 1] != b'\n' {
            break;
        }
        reader.get_mut().write_all(&buf[..size]).await?;
        buf.clear();
    }
    Ok(())
}

/// The slide's `.unwrap()` would panic with a backtrace; one line is kinder.
fn bad_port(value: &str) -> ! {
    eprintln!("error: PORT must be a number from 0 to 65535, got {value:?}");
    std::process::exit(2)
}
