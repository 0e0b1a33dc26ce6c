// Lesson of echo-thread (slide "Why do we need the move inside the
// thread::spawn?"): without `move` the closure borrows `socket`, but the thread
// may outlive the loop iteration that owns it.

use std::io::Write;
use std::net::TcpListener;
use std::thread;

fn main() -> std::io::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    loop {
        let (mut socket, _) = listener.accept()?;
        thread::spawn(|| {
            let _ = socket.write_all(b"hello\n");
        });
    }
}
