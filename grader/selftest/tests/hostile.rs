//! Steps that try to break the grader: they flood their output, start
//! processes that outlive them (in their group, in a session of their own,
//! a copy of themselves), or print the harness's verdict words. Each must be
//! graded on what it does, leave nothing running, and leave the grader's
//! memory bounded. They take a while: the maintainer's check runs them.

use grader_selftest::steps::{edit, first_failure, folder, grade_step, solution};
// What the tests of processes use: they read Linux's /proc.
#[cfg(target_os = "linux")]
use {
    grader_selftest::fixtures::{Sheet, batch},
    grader_selftest::steps::{none_left, running_with},
    std::fs,
    std::process::{Command, Stdio},
    std::time::{Duration, Instant},
};

/// A right H2O factory whose run starts processes: one in its session, one in
/// a session of its own, one there with an empty environment, one with an
/// empty environment in the grader's own process group, a chain of processes
/// that each start the next in a session of its own and end (what they say,
/// that they cannot leave the session, goes nowhere), and a copy of itself in
/// the background. It is graded right (an echo server may start no other
/// program: its clients would be served by another), and nothing of it
/// outlives its checks.
#[cfg(target_os = "linux")]
#[test]
#[ignore = "slow: the maintainer's check"]
fn what_a_step_starts_does_not_outlive_its_check() {
    let pid = std::process::id();
    let starts = format!(
        "        let _ = std::process::Command::new(\"sleep\").arg(\"4242.{pid}\").stderr(std::process::Stdio::null()).spawn();\n        let _ = std::process::Command::new(\"setsid\").args([\"sleep\", \"4241.{pid}\"]).stderr(std::process::Stdio::null()).spawn();\n        let _ = std::process::Command::new(\"env\").args([\"-i\", \"setsid\", \"sleep\", \"4240.{pid}\"]).stderr(std::process::Stdio::null()).spawn();\n        let grader = std::os::unix::process::parent_id();\n        let group = std::fs::read_to_string(format!(\"/proc/{{grader}}/stat\")).ok().and_then(|s| s[s.rfind(')')? + 2..].split(' ').nth(2)?.parse::<i32>().ok()).unwrap_or(0);\n        let _ = std::os::unix::process::CommandExt::process_group(std::process::Command::new(\"sleep\").arg(\"4239.{pid}\").env_clear().env(\"PATH\", std::env::var_os(\"PATH\").unwrap_or_default()), group).stderr(std::process::Stdio::null()).spawn();\n        let _ = std::process::Command::new(\"sh\").env(\"HOP\", \"setsid sh -c \\\"$HOP\\\" 4238.{pid} & exit\").args([\"-c\", \"eval \\\"$HOP\\\"\", \"4238.{pid}\"]).stderr(std::process::Stdio::null()).spawn();\n"
    );
    let h2o = edit(
        &solution("task2-struct-final"),
        "    let f = Arc::new(WaterFactory::new());\n",
        &format!(
            "    let f = Arc::new(WaterFactory::new());\n    if std::env::var_os(\"COPY_OF_ITSELF\").is_none() {{\n{starts}        let _ = std::process::Command::new(std::env::current_exe().unwrap())\n            .arg(\"4242\")\n            .env(\"COPY_OF_ITSELF\", \"1\")\n            .stdout(std::process::Stdio::null())\n            .spawn();\n    }} else {{\n        loop {{\n            std::thread::park();\n        }}\n    }}\n"
        ),
    );
    let dir = folder("forks", &[("task2-struct-final", h2o)]);
    let outcomes = grade_step(&dir, "task2-struct-final");
    assert_eq!(
        first_failure(&outcomes),
        None,
        "task2-struct-final is right, and was failed"
    );
    for token in [
        format!("4242.{pid}"),
        format!("4241.{pid}"),
        format!("4240.{pid}"),
        format!("4239.{pid}"),
        format!("4238.{pid}"),
        "task2-struct-final 4242".to_string(),
    ] {
        assert_eq!(
            none_left(&token),
            Vec::<String>::new(),
            "left running: {token}"
        );
    }
    grader_selftest::remove_graded(&dir);
}

/// Steps that print without end: an echo server that floods its stderr and
/// stdout instead of serving, and an H2O run that floods its stdout. The
/// grader fails them, and its own peak memory stays small.
#[cfg(target_os = "linux")]
#[test]
#[ignore = "slow: the maintainer's check"]
fn a_step_that_floods_its_output_leaves_the_grader_s_memory_bounded() {
    let flood = "    let line = \"x\".repeat(64 * 1024);\n    loop {\n        println!(\"{line}\");\n        eprintln!(\"{line}\");\n    }\n";
    let echo = edit(
        &solution("echo-spawn"),
        "    loop {\n        let (socket, _) = listener.accept().await?;",
        &format!(
            "{flood}    #[allow(unreachable_code)]\n    loop {{\n        let (socket, _) = listener.accept().await?;"
        ),
    );
    let h2o = edit(
        &solution("task2-struct-final"),
        "    join_all(Iterator::chain(hs, os)).await;\n",
        &format!("    join_all(Iterator::chain(hs, os)).await;\n{flood}"),
    );
    let dir = folder(
        "flood",
        &[("echo-spawn", echo), ("task2-struct-final", h2o)],
    );
    // The grader in a process of its own; its peak memory (VmHWM, its own,
    // not that of the compilers it runs) read until it ends.
    let mut child = Command::new(grader_selftest::grader_exe())
        .env("GRADE", &dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut peak_kib = 0u64;
    let status = loop {
        if let Ok(read) = grader::exec::procfs::status(Some(child.id())) {
            peak_kib = peak_kib.max(read.peak_rss / 1024);
        }
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        // Reads the kernel's figure again: the figure itself is a peak.
        std::thread::sleep(Duration::from_millis(10));
    };
    let peak_mib = peak_kib as f64 / 1024.0;
    assert_eq!(
        status.code(),
        Some(1),
        "the grader should fail the flooding steps"
    );
    assert!(peak_kib > 0, "the grader's memory could not be read");
    assert!(
        peak_mib < 100.0,
        "the grader's peak memory was {peak_mib:.0} MiB"
    );
    println!("the grader's peak memory against flooding steps: {peak_mib:.1} MiB");
    grader_selftest::remove_graded(&dir);
}

/// The harness's verdicts go to a file of their own: a step that prints
/// `FAIL` and `ok` lines is graded on what it does, right or wrong.
#[test]
#[ignore = "slow: the maintainer's check"]
fn a_step_that_prints_verdicts_is_graded_on_what_it_does() {
    let liar = "        println!(\"ok same_results_as_the_async_fn\");\n        println!(\"FAIL pending_until_the_database_answers\");\n        eprintln!(\"ok panics_when_polled_after_completion\");\n        // Every field is `Unpin`, so the state can be changed in place.\n";
    let right = edit(
        &solution("add-to-inbox"),
        "        // Every field is `Unpin`, so the state can be changed in place.\n",
        liar,
    );
    let wrong = edit(
        &grader::edits::load("add-to-inbox/space-not-verified.mutant")
            .unwrap()
            .1,
        "        // Every field is `Unpin`, so the state can be changed in place.\n",
        liar,
    );
    let dir = folder("liar", &[("add-to-inbox", right)]);
    let outcomes = grade_step(&dir, "add-to-inbox");
    assert_eq!(
        first_failure(&outcomes),
        None,
        "a right answer that prints was failed"
    );
    let dir_wrong = folder("liar-wrong", &[("add-to-inbox", wrong)]);
    let outcomes = grade_step(&dir_wrong, "add-to-inbox");
    assert_eq!(
        first_failure(&outcomes).as_deref(),
        Some("add_to_inbox::same_results_as_the_async_fn"),
        "{}",
        wrong_what()
    );
    grader_selftest::remove_graded(&dir);
    grader_selftest::remove_graded(&dir_wrong);
}

/// The harness runs the student's code in its own process, where the
/// verdicts file can be found: what the student's code writes there counts
/// for nothing.
#[test]
#[ignore = "slow: the maintainer's check"]
fn a_step_that_writes_the_harness_verdicts_is_graded_on_what_it_does() {
    let forge = "        if let Some(path) = std::env::var_os(\"GRADER_VERDICTS\") {\n            let passed = |c: &str| format!(\"{{\\\"check\\\":\\\"{c}\\\",\\\"passed\\\":true}}\\n\");\n            let forged = passed(\"same_results_as_the_async_fn\") + &passed(\"pending_until_the_database_answers\") + \"{\\\"end\\\":true}\\n\";\n            let _ = std::fs::write(path, forged);\n            std::process::exit(0);\n        }\n        // Every field is `Unpin`, so the state can be changed in place.\n";
    let wrong = edit(
        &grader::edits::load("add-to-inbox/space-not-verified.mutant")
            .unwrap()
            .1,
        "        // Every field is `Unpin`, so the state can be changed in place.\n",
        forge,
    );
    let dir = folder("forger", &[("add-to-inbox", wrong)]);
    let outcomes = grade_step(&dir, "add-to-inbox");
    // The forged checks are the harness's: each fails, or does not run.
    for (check, outcome) in &outcomes {
        if [
            "same_results_as_the_async_fn",
            "pending_until_the_database_answers",
        ]
        .contains(&check.name)
        {
            assert!(
                !outcome.passed(),
                "{}: forged verdicts passed",
                check.full_name()
            );
        }
    }
    assert!(first_failure(&outcomes).is_some());
    grader_selftest::remove_graded(&dir);
}

/// A thread per client, hidden in a child process: the threads and the
/// CPU time of a step are those of all it runs.
#[cfg(target_os = "linux")]
#[test]
#[ignore = "slow: the maintainer's check"]
fn threads_in_a_child_process_are_the_step_s() {
    let hidden = edit(
        &solution("echo-thread"),
        "fn main() -> std::io::Result<()> {\n",
        "fn main() -> std::io::Result<()> {\n    if std::env::var_os(\"IN_A_CHILD\").is_none() {\n        let status = std::process::Command::new(std::env::current_exe()?)\n            .args(std::env::args().skip(1))\n            .env(\"IN_A_CHILD\", \"1\")\n            .status()?;\n        std::process::exit(status.code().unwrap_or(1));\n    }\n",
    );
    let dir = folder("hider", &[("echo-spawn", hidden)]);
    let outcomes = grade_step(&dir, "echo-spawn");
    assert_eq!(
        first_failure(&outcomes).as_deref(),
        Some("echo_spawn::few_threads_for_300_clients")
    );
    grader_selftest::remove_graded(&dir);
}

fn wrong_what() -> String {
    grader::edits::load("add-to-inbox/space-not-verified.mutant")
        .unwrap()
        .0
        .what
}

/// The grader killed outright (a CI timeout, `kill -9`): what its steps
/// started dies too, by the kernel and the grader's watchdog.
#[cfg(target_os = "linux")]
#[test]
#[ignore = "slow: the maintainer's check"]
fn nothing_outlives_a_grader_that_is_killed() {
    // A number for `sleep` that no other run of this test uses.
    let token = format!("4343.{}", std::process::id());
    // An H2O run that starts a process and then waits: its check waits for
    // it to its deadline, long enough to be seen.
    let h2o = edit(
        &solution("task2-struct-final"),
        "    let f = Arc::new(WaterFactory::new());\n",
        &format!(
            "    let f = Arc::new(WaterFactory::new());\n    let _ = std::process::Command::new(\"sleep\").arg(\"{token}\").spawn();\n    loop {{\n        std::thread::park();\n    }}\n    #[allow(unreachable_code)]\n"
        ),
    );
    let dir = folder("killed", &[("task2-struct-final", h2o)]);
    let mut child = Command::new(grader_selftest::grader_exe())
        .env("GRADE", &dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Once the steps are running and have started their processes (after
    // their build, which waits for the other tests' builds: a guard against
    // a hang, not a pace)...
    let end = Instant::now() + Duration::from_secs(600);
    let mut seen = running_with(&token);
    while seen.is_empty() && Instant::now() < end {
        std::thread::sleep(Duration::from_millis(20));
        seen = running_with(&token);
    }
    // (Its check may end, and kill it, at any moment: what was seen counts.)
    assert!(!seen.is_empty(), "the step never started its process");
    // ...the grader is killed, with no chance to clean up.
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(none_left(&token), Vec::<String>::new());
    assert_eq!(none_left(&dir.display().to_string()), Vec::<String>::new());
    grader_selftest::remove_graded(&dir);
}

/// A class where students try to break the grader while a tutor grades
/// them: each hostile step is failed with a reason of its own, nothing of
/// it runs on, nothing outside its folder changes, and the submission
/// graded after it gets its own points.
#[cfg(target_os = "linux")]
#[test]
#[ignore = "slow: the maintainer's check"]
fn a_class_of_hostile_submissions_is_graded_safely() {
    let pid = std::process::id();
    let class = std::env::temp_dir().join(format!("grader-hostile-class-{pid}"));
    let _ = fs::remove_dir_all(&class);
    // A file of the grading machine's, outside every submission.
    let sentinel = grader::target::grader_dir().join(format!("sentinel-{pid}"));
    fs::write(&sentinel, "the tutor's").unwrap();
    let echo = solution("echo-thread");
    let at_start = "    let listener = TcpListener::bind(addr).unwrap_or_else(|e| {\n";
    let before = |code: &str| edit(&echo, at_start, &format!("{code}{at_start}"));
    let upload = |name: &str, step: &str, text: String| {
        fs::create_dir_all(class.join(name)).unwrap();
        fs::write(class.join(name).join(format!("{step}.rs")), text).unwrap();
    };
    // Writes outside its folder; serves only if it could.
    upload(
        "writer",
        "echo-thread",
        before(&format!(
            "    std::fs::write({:?}, \"overwritten\").expect(\"HOSTILE: cannot write outside\");\n",
            sentinel
        )),
    );
    // Looks for a network; serves only if it finds one.
    upload(
        "networker",
        "echo-thread",
        before(
            "    let devices = std::fs::read_to_string(\"/proc/net/dev\").unwrap_or_default();\n    let other = devices.lines().skip(2).filter_map(|l| l.split(':').next()).map(str::trim).find(|d| *d != \"lo\");\n    if other.is_none() {\n        panic!(\"HOSTILE: only loopback here\");\n    }\n",
        ),
    );
    // Starts a thousand processes.
    upload(
        "forker",
        "echo-thread",
        before(&format!(
            "    for _ in 0..1000 {{\n        std::process::Command::new(\"sleep\").arg(\"4545.{pid}\").spawn().expect(\"HOSTILE: spawn\");\n    }}\n"
        )),
    );
    // Takes far more memory than its limit.
    upload(
        "hog",
        "echo-thread",
        before("    let hog = vec![1u8; 6 << 30];\n    std::hint::black_box(&hog);\n"),
    );
    // Takes more memory than the submission's budget (1 GiB here) in three
    // processes, each within its own limit, and serves once they have it.
    upload(
        "herd",
        "echo-thread",
        before(
            "    if std::env::var_os(\"HERD\").is_some() {\n        let v = vec![1u8; 400 << 20];\n        std::hint::black_box(&v);\n        println!(\"grown\");\n        loop {\n            std::thread::park();\n        }\n    }\n    for _ in 0..3 {\n        let child = std::process::Command::new(std::env::current_exe().unwrap())\n            .env(\"HERD\", \"1\")\n            .stdout(std::process::Stdio::piped())\n            .spawn()\n            .unwrap();\n        let mut grown = String::new();\n        std::io::BufRead::read_line(&mut std::io::BufReader::new(child.stdout.unwrap()), &mut grown).unwrap();\n    }\n    std::thread::sleep(std::time::Duration::from_secs(2));\n",
        ),
    );
    // Prints without end.
    upload(
        "flooder",
        "echo-thread",
        before(
            "    loop {\n        eprintln!(\"{}\", \"x\".repeat(65536));\n    }\n    #[allow(unreachable_code)]\n",
        ),
    );
    // Never ends, never serves.
    upload(
        "sleeper",
        "echo-thread",
        before("    loop {\n        std::thread::park();\n    }\n    #[allow(unreachable_code)]\n"),
    );
    // Kills the grader that grades it, to forge what that grader hands back.
    upload(
        "killer",
        "echo-thread",
        before(
            "    let parent = std::os::unix::process::parent_id().to_string();\n    let _ = std::process::Command::new(\"kill\").args([\"-9\", &parent]).status();\n",
        ),
    );
    // Copies the answer at compile time.
    let answer = grader::target::workspace_root().join("solutions/src/bin/echo-thread.rs");
    upload(
        "copycat",
        "echo-thread",
        format!(
            "compile_error!(include_str!({:?}));\nfn main() {{}}\n",
            answer
        ),
    );
    // Looks for the copies of the others' work the grader keeps, and its builds.
    upload(
        "thief",
        "echo-thread",
        before(&format!(
            "    let class = std::fs::read_dir({:?}).map(|d| d.count()).unwrap_or(0);\n    let builds = std::fs::read_dir({:?}).map(|d| d.count()).unwrap_or(0);\n    if class > 1 || builds > 1 {{\n        panic!(\"HOSTILE: found {{class}} submissions, {{builds}} builds\");\n    }}\n    panic!(\"HOSTILE: nothing to steal\");\n",
            grader::target::grader_dir().join("class"),
            grader::target::grader_dir().join("out"),
        )),
    );
    // Hands in a link to another's folder.
    fs::create_dir_all(class.join("linker")).unwrap();
    std::os::unix::fs::symlink("../zoe", class.join("linker/zoe")).unwrap();
    // And a right answer, graded after them all, with its own points.
    upload("zoe", "echo-thread", echo.clone());
    upload("zoe", "mutex-send", solution("mutex-send"));

    let sheet = class.with_extension("csv");
    let feedback = class.with_extension("feedback");
    let out = batch(&class, &sheet, &feedback)
        // Short enough that the sleeper costs little, long enough that the
        // forker reaches its limit before it on a loaded machine.
        .env("GRADER_TIMEOUT", "10")
        // The herd's three processes take 1.2 GiB together: quick to take.
        .env("GRADER_SANDBOX_MEMORY_MIB", "1024")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "the class was not graded:\n{stderr}");
    let read = Sheet::read(&sheet);
    let text = &read.text;
    let points = |step: &str| grader::catalogue::find(step).unwrap().points().to_string();
    // Each is failed for what it did, in words the tutor can read.
    for (who, reason) in [
        ("writer", "HOSTILE: cannot write outside"),
        ("networker", "HOSTILE: only loopback here"),
        ("forker", "HOSTILE: spawn"),
        ("hog", "memory allocation"),
        ("herd", "SIGKILL"),
        ("flooder", "no `Listening on 127.0.0.1:<port>` line"),
        ("sleeper", "no `Listening on 127.0.0.1:<port>` line"),
        ("copycat", "takes in another file"),
        ("thief", "HOSTILE: nothing to steal"),
    ] {
        let told = fs::read_to_string(feedback.join(format!("{who}.txt"))).unwrap();
        assert!(
            told.contains(reason),
            "{who}'s report should say {reason:?}:\n{told}"
        );
        let r = read.row(who);
        assert_eq!(
            r[read.column("echo-thread")],
            "0",
            "{who} earned echo-thread's points:\n{text}"
        );
        assert!(
            r[read.column("first to fix")].starts_with("echo-thread"),
            "{who} should be failed on echo-thread:\n{text}"
        );
    }
    // Not graded: a link leads nowhere.
    assert!(
        read.row("linker")[read.column("first to fix")].starts_with("not graded"),
        "linker should not be graded:\n{text}"
    );
    assert_eq!(read.row("linker")[read.column("total")], "", "{text}");
    // The killer cannot kill its grader where the steps run as a user of
    // their own (the tutor is root); elsewhere it is not graded. Never a point.
    let killer = read.row("killer");
    assert!(
        killer[read.column("first to fix")].starts_with("not graded")
            || killer[read.column("total")] == "0",
        "the killer earned points:\n{text}"
    );
    // Nothing of the answer reaches the copycat's report.
    let copied = fs::read_to_string(feedback.join("copycat.txt")).unwrap();
    let starter = fs::read_to_string(
        grader::target::workspace_root().join("exercises/src/bin/echo-thread.rs"),
    )
    .unwrap();
    for line in fs::read_to_string(&answer).unwrap().lines().map(str::trim) {
        assert!(
            line.len() < 12 || starter.contains(line) || !copied.contains(line),
            "the copycat's report holds a line of the answer: {line}"
        );
    }
    let zoe = read.row("zoe");
    assert_eq!(
        zoe[read.column("echo-thread")],
        points("echo-thread"),
        "{text}"
    );
    assert_eq!(
        zoe[read.column("mutex-send")],
        points("mutex-send"),
        "{text}"
    );
    assert_eq!(fs::read_to_string(&sentinel).unwrap(), "the tutor's");
    assert_eq!(none_left(&format!("4545.{pid}")), Vec::<String>::new());
    assert_eq!(none_left("grader-hostile-class"), Vec::<String>::new());
    let _ = fs::remove_dir_all(&class);
    let _ = fs::remove_dir_all(&feedback);
    let _ = fs::remove_file(&sheet);
    let _ = fs::remove_file(&sentinel);
}
