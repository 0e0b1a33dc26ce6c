//! Mutant of echo-spawn: drops the slide's `Accepted connection` / `Connection ended` lines.
//!
//! Caught by: echo_spawn::logs_each_connection

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
        // An `async move` block: like the thread's `move` closure, the task
        // owns the socket because it outlives this loop iteration.
        tokio::spawn(async move {
            std::mem::drop(handle_client(socket).await);
        });
    }
}

/// Echoes each line back until the client closes; a last fragment without
/// `\n` is not echoed. Each `.await` is a point where this task may pause
/// and let the worker thread serve other clients.
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
