//! Mutant of echo-thread: parses PORT with the slide's `.unwrap()`, which panics on a bad value.
//!
//! Caught by: echo_thread::bad_port_is_one_line_and_exit_2

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::thread;

fn main() -> std::io::Result<()> {
    let port = std::env::args()
        .nth(1)
        .map(|s| s.parse().unwrap())
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
        // `move`: the thread may outlive this loop iteration, so it must own
        // the socket rather than borrow it.
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
    let mut reader = BufReader::new(stream);
    let mut buf: Vec<u8> = Vec::new();
    loop {
        // Blocks this thread until a whole line, or end-of-file, arrives.
        let size = reader.read_until(b'\n', &mut buf)?;
        if size == 0 || buf[size - 1] != b'\n' {
            break;
        }
        reader.get_mut().write_all(&buf[..size])?;
        buf.clear();
    }
    Ok(())
}
