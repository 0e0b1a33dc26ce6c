//! The two tokio runtimes the table compares: the multi-thread one that
//! `#[tokio::main]` builds (a worker per core, tasks stolen between them),
//! and the current-thread one, where every task runs on the thread that
//! called `block_on`.

use tokio::runtime::{Builder, Runtime};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    MultiThread,
    CurrentThread,
}

impl Flavor {
    /// No I/O or timer driver: the tasks measured wait on channels only.
    pub fn build(self) -> Result<Runtime, String> {
        match self {
            Flavor::MultiThread => Builder::new_multi_thread().build(),
            Flavor::CurrentThread => Builder::new_current_thread().build(),
        }
        .map_err(|e| format!("cannot build a tokio runtime: {e}"))
    }
}
