//! Mutant of echo-thread: stops only at end-of-file, so an unterminated last fragment is echoed.
//!
//! Caught by: echo_thread::unterminated_fragment_not_echoed

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
        if size == 0 {
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
