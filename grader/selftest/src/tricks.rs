//! Students who try to get points without doing the work: each trick is a
//! step's starter (which fails) with one trick added, so each must earn 0,
//! in every route a tutor grades with. And what the routes hand back must
//! hold no line of an answer.

use grader::catalogue::STEPS;
use grader::target::workspace_root;
use std::fs;

mod forgers;
use forgers::forger;
use forgers::{READS_ANSWERS, REWRITES_THE_REPORT, SCANS_FOR_THE_KEY, before_main};

/// An echo server in Python, on the listening socket it is given as its
/// stdin, with the slide's log lines.
const PYTHON_ECHO: &str = r#"
import asyncio, socket, sys
async def handle(reader, writer):
    print("Accepted connection", file=sys.stderr, flush=True)
    try:
        while True:
            line = await reader.readline()
            if not line.endswith(b"\n"):
                break
            writer.write(line)
            await writer.drain()
    except Exception:
        pass
    writer.close()
    print("Connection ended", file=sys.stderr, flush=True)
async def main():
    s = socket.socket(fileno=0)
    server = await asyncio.start_server(handle, sock=s, limit=1 << 28)
    await server.serve_forever()
asyncio.run(main())
"#;

/// add-to-inbox's starter whose `AddToInbox` holds the future `made` (an
/// expression of `new`'s arguments) and polls it in place of the state
/// machine.
fn polling_another_future(made: &str) -> String {
    edit(
        &edit(
            &edit(
                &starter("add-to-inbox"),
                "struct AddToInbox {\n    mail: Mail,\n    state: AddToInboxState,\n}\n",
                "struct AddToInbox {\n    mail: Mail,\n    state: AddToInboxState,\n    inner: Pin<Box<dyn Future<Output = Result<(), Error>> + Send>>,\n}\n",
            ),
            "            mail,\n            state: AddToInboxState::New { email, id },\n",
            &format!(
                "            inner: {made},\n            mail,\n            state: AddToInboxState::New {{ email, id }},\n"
            ),
        ),
        "        todo!(\"poll the state machine\")\n",
        "        self.inner.as_mut().poll(cx)\n",
    )
}

/// A step's starter with a trick added.
pub struct Trick {
    pub name: &'static str,
    pub step: &'static str,
    pub text: String,
}

pub fn starter(step: &str) -> String {
    fs::read_to_string(workspace_root().join(format!("exercises/src/bin/{step}.rs"))).unwrap()
}

pub fn solution(step: &str) -> String {
    fs::read_to_string(workspace_root().join(format!("solutions/src/bin/{step}.rs"))).unwrap()
}

/// `text` with `old` (found exactly once) replaced by `new`.
pub fn edit(text: &str, old: &str, new: &str) -> String {
    assert_eq!(text.matches(old).count(), 1, "{old:?} is not there once");
    text.replacen(old, new, 1)
}

/// A variable of the tutor's environment, set where a class is graded: no
/// step may read it, at compile time or when it runs.
pub const TUTOR_S_SECRET: &str = "GRADER_SELFTEST_TUTOR_S_SECRET";
/// Its value.
pub const SECRET_VALUE: &str = "the-tutor-s-token-4711";

/// Every trick, one per step where it fits.
pub fn tricks() -> Vec<Trick> {
    let mut tricks = Vec::new();
    // Code that runs before `main`, and writes a passing report.
    tricks.push(Trick {
        name: "before-main",
        step: "add-to-inbox",
        text: format!("{}{}", starter("add-to-inbox"), before_main()),
    });
    // A symbol of the harness's own, replaced: it stays open to /proc.
    tricks.push(Trick {
        name: "no-mangle",
        step: "mini-executor",
        text: format!(
            "{}\n#[unsafe(no_mangle)]\npub extern \"C\" fn prctl(_: i32, _: u64, _: u64, _: u64, _: u64) -> i32 {{\n    0\n}}\n",
            starter("mini-executor")
        ),
    });
    tricks.push(Trick {
        name: "assembly",
        step: "echo-own-runtime",
        text: format!(
            "{}\ncore::arch::global_asm!(\".globl grader_forged\", \"grader_forged:\", \"ret\");\n",
            starter("echo-own-runtime")
        ),
    });
    // The key looked for in memory, on stdin, in the environment.
    tricks.push(Trick {
        name: "key-scanner",
        step: "add-to-inbox",
        text: edit(
            &starter("add-to-inbox"),
            "        todo!(\"poll the state machine\")",
            &format!("{SCANS_FOR_THE_KEY}        todo!(\"poll the state machine\")"),
        ) + &forger(),
    });
    // A macro that expands to the code before `main` in the harness only:
    // given `#![forbid]` where the check of unsafe code reads the file, it
    // would be given `#![deny]` if the harness's copy read every forbid so.
    tricks.push(Trick {
        name: "forbid-switch",
        step: "task2-struct-final",
        text: format!(
            "{}\nmacro_rules! only_in_the_harness {{\n    (# ! [ $w:ident ]) => {{ only_in_the_harness!(@ $w); }};\n    (@ forbid) => {{}};\n    (@ deny) => {{ mod grader_forgery {{ {} }} }};\n}}\nonly_in_the_harness!(#![forbid]);\n",
            starter("task2-struct-final"),
            before_main()
        ),
    });
    // The same, on `unsafe {}`: what the check of unsafe code takes off a
    // block, a macro given it would see.
    tricks.push(Trick {
        name: "unsafe-switch",
        step: "mini-executor",
        text: format!(
            "{}\nmacro_rules! only_in_the_step {{\n    ({{}}) => {{}};\n    (unsafe {{}}) => {{ mod grader_forgery {{ {} }} }};\n}}\nonly_in_the_step!(unsafe {{}});\n",
            starter("mini-executor"),
            before_main()
        ),
    });
    // A naked function of assembly puts the forger in `.init_array`: the
    // lint of unsafe code does not flag `#[unsafe(naked)]`.
    tricks.push(Trick {
        name: "naked-trampoline",
        step: "mini-executor",
        text: format!(
            "{}\n#[unsafe(naked)]\nextern \"C\" fn trampoline() {{\n    core::arch::naked_asm!(\n        \".pushsection .init_array,\\\"aw\\\"\",\n        \".balign 8\",\n        \".quad {{f}}\",\n        \".popsection\",\n        \"ret\",\n        f = sym early,\n    )\n}}\n\nextern \"C\" fn early() {{\n    use std::io::Read;\n    let _ = trampoline as extern \"C\" fn();\n    if let Some(path) = std::env::var_os(\"GRADER_VERDICTS\") {{\n        let mut key = String::new();\n        let _ = std::io::stdin().read_to_string(&mut key);\n        let check = std::env::args().nth(1).unwrap_or_default();\n        let _ = std::fs::write(path, grader_forged(&key, &check));\n        std::process::exit(0);\n    }}\n}}\n{}",
            starter("mini-executor"),
            forger()
        ),
    });
    // Another file taken in by a module whose `#[path]` a macro writes:
    // no `path =` and no `mod name;` in the text.
    tricks.push(Trick {
        name: "path-by-macro",
        step: "echo-thread",
        text: format!(
            "{}\nmacro_rules! take_in {{\n    ($p:ident, $m:ident, $f:literal) => {{ #[allow(dead_code)] #[$p = $f] mod $m; }};\n}}\ntake_in!(path, sibling, \"echo-spawn.rs\");\n",
            starter("echo-thread")
        ),
    });
    // A process of its own that rewrites the report once the harness ends.
    tricks.push(Trick {
        name: "report-rewriter",
        step: "add-to-inbox",
        text: edit(
            &starter("add-to-inbox"),
            "        todo!(\"poll the state machine\")",
            &format!("{REWRITES_THE_REPORT}        todo!(\"poll the state machine\")"),
        ),
    });
    // The server handed to an orphan of its own, whose threads no chain of
    // parents leads back to the step: a thread per client, uncounted.
    tricks.push(Trick {
        name: "orphan-server",
        step: "echo-spawn",
        text: edit(
            &edit(
                &edit(
                    &starter("echo-spawn"),
                    "fn main() -> std::io::Result<()> {\n",
                    "fn main() -> std::io::Result<()> {\n    if std::env::var_os(\"GO_BETWEEN\").is_some() {\n        let _ = std::process::Command::new(std::env::current_exe()?)\n            .env_remove(\"GO_BETWEEN\")\n            .env(\"HANDED_OVER\", \"1\")\n            .spawn();\n        std::process::exit(0);\n    }\n",
                ),
                "    let addr = SocketAddr::from(([127, 0, 0, 1], port));\n",
                "    let port = if std::env::var_os(\"HANDED_OVER\").is_some() { 0 } else { port };\n    let addr = SocketAddr::from(([127, 0, 0, 1], port));\n",
            ),
            "    eprintln!(\"Listening on {}\", listener.local_addr()?);\n",
            "    let listener = if std::env::var_os(\"HANDED_OVER\").is_some() {\n        TcpListener::from(std::os::fd::AsFd::as_fd(&std::io::stdin()).try_clone_to_owned()?)\n    } else {\n        eprintln!(\"Listening on {}\", listener.local_addr()?);\n        std::process::Command::new(std::env::current_exe()?)\n            .env(\"GO_BETWEEN\", \"1\")\n            .stdin(std::process::Stdio::from(std::os::fd::OwnedFd::from(listener)))\n            .status()?;\n        loop {\n            std::thread::park();\n        }\n    };\n",
        ),
    });
    // The tutor's environment read at compile time, and shown in a
    // compile error (in a step that also compiles without it).
    tricks.push(Trick {
        name: "environment-reader",
        step: "echo-thread",
        text: format!(
            "{}\nconst _: () = match option_env!(\"{TUTOR_S_SECRET}\") {{\n    Some(value) => panic!(\"{{}}\", value),\n    None => (),\n}};\n",
            starter("echo-thread")
        ),
    });
    // A thread that keeps writing passing reports while the harness runs.
    tricks.push(Trick {
        name: "verdict-writer",
        step: "task2-struct-final",
        text: edit(
            &starter("task2-struct-final"),
            "        todo!(\"build the WaterFactory\")",
            "        std::thread::spawn(|| {\n            let path = std::env::var_os(\"GRADER_VERDICTS\");\n            loop {\n                if let Some(path) = &path {\n                    let check = \"factory_polled_step_by_step\";\n                    let _ = std::fs::write(path, format!(\"0\\tverdict\\t0\\t{check}\\tpassed\\n0\\tend\\t1\\n\"));\n                }\n                std::thread::yield_now();\n            }\n        });\n        todo!(\"build the WaterFactory\")",
        ),
    });
    // The grader's programs replaced, from where the step was built.
    tricks.push(Trick {
        name: "binary-replacer",
        step: "echo-thread",
        text: edit(
            &starter("echo-thread"),
            "    // Loopback only: a teaching server has no business on the network.\n",
            "    for dir in std::path::Path::new(env!(\"CARGO_MANIFEST_DIR\")).ancestors() {\n        let _ = std::fs::write(dir.join(\"debug/FORGED-BY-A-STEP\"), \"forged\");\n        let grader = dir.join(\"debug/grader\");\n        if grader.is_file() {\n            let _ = std::fs::OpenOptions::new()\n                .append(true)\n                .open(&grader)\n                .and_then(|mut f| std::io::Write::write_all(&mut f, b\"forged\"));\n        }\n    }\n    // Loopback only: a teaching server has no business on the network.\n",
        ),
    });
    // The answers read, and handed back in a panic's message.
    tricks.push(Trick {
        name: "answer-reader",
        step: "mini-executor",
        text: edit(
            &starter("mini-executor"),
            "    todo!(\"run the woken tasks until the future is ready\")",
            READS_ANSWERS,
        ),
    });
    // Lines that look like libtest's and the harness's, and a terminal's
    // escapes to rub out the lines before them.
    tricks.push(Trick {
        name: "spoofer",
        step: "echo-spawn",
        text: edit(
            &starter("echo-spawn"),
            "fn main() -> std::io::Result<()> {\n",
            "fn main() -> std::io::Result<()> {\n    println!(\"test echo_spawn::few_threads_for_300_clients ... ok\");\n    eprintln!(\"\\r\\x1b[2K\\x1b[1Atest result: ok. 19 passed; 0 failed\");\n    eprintln!(\"0\\tverdict\\t0\\tfew_threads_for_300_clients\\tpassed\");\n",
        ),
    });
    // Another's runtime in place of the student's own: tokio runs the
    // futures, wakes them and joins them.
    tricks.push(Trick {
        name: "borrowed-runtime",
        step: "mini-executor",
        text: edit(
            &edit(
                &starter("mini-executor"),
                "fn block_on<F: Future>(future: F) -> F::Output {\n",
                "fn block_on<F: Future>(future: F) -> F::Output {\n    return tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(future);\n    #[allow(unreachable_code)]\n",
            ),
            "        queue: CURRENT\n            .with(|c| c.borrow().clone())\n            .expect(\"spawn is called inside block_on\"),\n    });\n    task.wake();\n",
            "        queue: channel::<Run>().0,\n    });\n    let future = task.future.lock().unwrap().take().unwrap();\n    tokio::spawn(future);\n",
        ),
    });
    // The slide's async fn behind the hand-written future: the compiler
    // writes the state machine (a second `async fn add_to_inbox` in an
    // `impl`, reached as a method, is the same).
    tricks.push(Trick {
        name: "compiler-written",
        step: "add-to-inbox",
        text: polling_another_future("Box::pin(add_to_inbox(mail.clone(), email.clone(), id))"),
    });
    // A library's state machine behind the hand-written future: `futures`'
    // combinators, and no `async` anywhere.
    tricks.push(Trick {
        name: "library-written",
        step: "add-to-inbox",
        text: polling_another_future("{\n                use futures::future::{Either, TryFutureExt, ready};\n                let (m1, m2) = (mail.clone(), mail.clone());\n                Box::pin(load_message(&mail, email.clone()).and_then(move |msg| {\n                    get_user(&m1, id).and_then(move |user| match user.verify_has_space(&msg) {\n                        Ok(()) => Either::Left(user.add_to_inbox(&m2, msg)),\n                        Err(e) => Either::Right(ready(Err(e))),\n                    })\n                }))\n            }"),
    });
    // Another language's server, handed the listening socket: the step
    // binds and prints its line, and Python serves (asyncio, one thread).
    tricks.push(Trick {
        name: "interpreter",
        step: "echo-spawn",
        text: edit(
            &starter("echo-spawn"),
            "    eprintln!(\"Listening on {}\", listener.local_addr()?);\n",
            &format!(
                "    eprintln!(\"Listening on {{}}\", listener.local_addr()?);\n    let fd: std::os::fd::OwnedFd = listener.into();\n    let status = std::process::Command::new(\"python3\")\n        .arg(\"-c\")\n        .arg({PYTHON_ECHO:?})\n        .stdin(std::process::Stdio::from(fd))\n        .status()?;\n    std::process::exit(status.code().unwrap_or(1));\n    #[allow(unreachable_code)]\n"
            ),
        ),
    });
    // Names of the harness's, shadowed by the student's file.
    tricks.push(Trick {
        name: "shadower",
        step: "mini-executor",
        text: format!(
            "{}\n#[allow(unused_macros)]\nmacro_rules! writeln {{\n    ($($t:tt)*) => {{ Ok::<(), std::io::Error>(()) }};\n}}\n#[allow(unused_macros)]\nmacro_rules! format {{\n    ($($t:tt)*) => {{ String::new() }};\n}}\n#[allow(non_snake_case, dead_code)]\nfn Err<T>(_: T) -> Result<(), String> {{\n    Ok(())\n}}\n",
            starter("mini-executor")
        ),
    });
    tricks
}

/// How many checks of each step its untouched starter passes: a trick
/// earns nothing when its step passes no more than that. Graded once.
pub fn starter_passes() -> &'static std::collections::HashMap<&'static str, usize> {
    static PASSES: std::sync::OnceLock<std::collections::HashMap<&'static str, usize>> =
        std::sync::OnceLock::new();
    PASSES.get_or_init(|| {
        let checks: Vec<_> = grader::registry::all().iter().collect();
        let session = grader::session::Session::new(
            grader::Target::member("exercises"),
            grader::settings::Settings::from_env(),
        );
        let outcomes = session.run(&checks, grader::session::default_workers(), &|_, _| {});
        STEPS
            .iter()
            .map(|s| {
                let passed = outcomes
                    .iter()
                    .filter(|(c, o)| c.step.name == s.name && o.passed())
                    .count();
                (s.name, passed)
            })
            .collect()
    })
}

/// The first `N/M` or `N of M` in `text`: how many checks passed.
pub fn passed_in(text: &str) -> Option<usize> {
    let words: Vec<&str> = text.split_whitespace().collect();
    for (i, word) in words.iter().enumerate() {
        if let Some((n, m)) = word.split_once('/')
            && m.trim_end_matches(',').parse::<usize>().is_ok()
        {
            return n.parse().ok();
        }
        if words.get(i + 1) == Some(&"of")
            && let Ok(n) = word.parse()
        {
            return Some(n);
        }
    }
    None
}

/// The lines of the solutions that no starter holds: an answer.
pub fn answer_lines() -> Vec<String> {
    let starters: String = STEPS.iter().map(|s| starter(s.name)).collect();
    let mut lines: Vec<String> = STEPS
        .iter()
        .filter(|s| s.graded())
        .flat_map(|s| {
            solution(s.name)
                .lines()
                .map(|l| l.trim().to_string())
                .collect::<Vec<_>>()
        })
        .filter(|l| l.len() >= 16 && !l.starts_with("//") && !starters.contains(l.as_str()))
        .collect();
    lines.sort();
    lines.dedup();
    lines
}

/// Fails if `text` (what a route handed back) holds a line of an answer.
pub fn assert_no_answer(text: &str, what: &str) {
    let found: Vec<String> = answer_lines()
        .into_iter()
        .filter(|l| text.contains(l.as_str()))
        .collect();
    assert!(
        found.is_empty(),
        "{what} holds lines of the answers:\n{}",
        found.join("\n")
    );
}
