//! The command line: a few flags, read with lexopt, and a bad one is one line
//! on stderr and exit code 2, never a panic.

use std::path::PathBuf;
use std::time::Duration;

pub const USAGE: &str = "\
usage: cargo run -p bench --release -- [--quick] [--json] [--n N] [--runs R] [--out DIR]
       cargo run -p bench --release -- echo [--quick] [--json] [--clients C] [--lines L]
             [--interval MS] [--deadline SECS] [--profile P] [--out DIR] STEP|compare

Fills the slide's table \"Threads vs Async-Await\" on this machine: the
creation time, context switch time and memory of an OS thread and of a tokio
task, their ratio, and the figures published with the context-switch
repository beside them. Writes memory.svg (resident memory against N).

  --quick          N = 1,000 and 3 runs: the whole in a few seconds
  --json           one JSON object on stdout instead of the markdown table
  --n N            threads or tasks per creation and memory run, and 5N round
                   trips per switch run (default 10,000)
  --runs R         runs per figure, of which the median is kept (default 7)
  --out DIR        where the SVG figures go (default bench/figures; with
                   --quick, a directory under the system's temporary one)

echo STEP starts the echo step STEP (echo-thread, echo-async-naive,
echo-spawn or echo-own-runtime; built with cargo), connects C clients to it over loopback, then
has each send L lines and time each echo; it reports the throughput, p50 and
p99 latency, and the server's threads and resident memory. `echo compare`
runs the three steps one after the other and draws their latencies, in
latency.svg (or latency-back-to-back.svg for --interval 0).

  --clients C      concurrent clients (default 10,000; 100 with --quick)
  --lines L        lines each client sends (default 10; 3 with --quick)
  --interval MS    time between a client's lines, with the clients' first
                   lines spread evenly over it (default 1000, 100 with
                   --quick); 0 sends each line as soon as the last echo is
                   back, a stress test
  --deadline SECS  time allowed for the echoes of a run (default 30; 10 with
                   --quick); connecting gets a third of it. What is not done
                   by then is reported, not waited for.
  --profile P      the cargo profile the steps are built with (default release)";

/// The echo steps the load test knows.
pub const ECHO_STEPS: [&str; 4] = [
    "echo-thread",
    "echo-async-naive",
    "echo-spawn",
    "echo-own-runtime",
];

#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    Help,
    Table(TableOptions),
    Echo(EchoOptions),
    /// `probe-memory KIND N`: one memory measurement, in a fresh process.
    ProbeMemory {
        kind: crate::memory::Kind,
        n: usize,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct TableOptions {
    pub json: bool,
    pub quick: bool,
    pub n: usize,
    pub runs: usize,
    pub out: PathBuf,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EchoOptions {
    pub json: bool,
    pub quick: bool,
    pub clients: usize,
    pub lines: usize,
    pub interval: Duration,
    pub deadline: Duration,
    pub profile: String,
    pub out: PathBuf,
    /// One step, or all three for `compare`.
    pub steps: Vec<&'static str>,
}

/// Every option, as given; the defaults depend on `--quick` and are filled in
/// once all are read.
#[derive(Default)]
struct Given {
    json: bool,
    quick: bool,
    n: Option<usize>,
    runs: Option<usize>,
    out: Option<PathBuf>,
    clients: Option<usize>,
    lines: Option<usize>,
    interval: Option<Duration>,
    deadline: Option<Duration>,
    profile: Option<String>,
    positional: Vec<String>,
}

pub fn parse(args: &[String]) -> Result<Command, String> {
    if args.iter().any(|a| a == "--help" || a == "-h") {
        return Ok(Command::Help);
    }
    if args.first().map(String::as_str) == Some("probe-memory") {
        return probe(&args[1..]);
    }
    let echo = args.first().map(String::as_str) == Some("echo");
    let rest = if echo { &args[1..] } else { args };
    let mut given = Given::default();
    let mut parser = lexopt::Parser::from_args(rest);
    let error = |e: lexopt::Error| e.to_string();
    while let Some(arg) = parser.next().map_err(error)? {
        let table_only = |name: &str| {
            if echo {
                Err(format!("{name} is for the table, not for echo"))
            } else {
                Ok(())
            }
        };
        let echo_only = |name: &str| {
            if echo {
                Ok(())
            } else {
                Err(format!("{name} is for echo: `bench echo {name} ...`"))
            }
        };
        match arg {
            lexopt::Arg::Long("json") => given.json = true,
            lexopt::Arg::Long("quick") => given.quick = true,
            lexopt::Arg::Long("out") => given.out = Some(PathBuf::from(text(&mut parser)?)),
            lexopt::Arg::Long("n") => {
                table_only("--n")?;
                given.n = Some(positive("--n", &text(&mut parser)?)?);
            }
            lexopt::Arg::Long("runs") => {
                table_only("--runs")?;
                given.runs = Some(positive("--runs", &text(&mut parser)?)?);
            }
            lexopt::Arg::Long("clients") => {
                echo_only("--clients")?;
                given.clients = Some(positive("--clients", &text(&mut parser)?)?);
            }
            lexopt::Arg::Long("lines") => {
                echo_only("--lines")?;
                given.lines = Some(positive("--lines", &text(&mut parser)?)?);
            }
            lexopt::Arg::Long("interval") => {
                echo_only("--interval")?;
                let ms = seconds("--interval", &text(&mut parser)?, true)?;
                given.interval = Some(Duration::from_secs_f64(ms / 1e3));
            }
            lexopt::Arg::Long("deadline") => {
                echo_only("--deadline")?;
                let secs = seconds("--deadline", &text(&mut parser)?, false)?;
                given.deadline = Some(Duration::from_secs_f64(secs));
            }
            lexopt::Arg::Long("profile") => {
                echo_only("--profile")?;
                given.profile = Some(text(&mut parser)?);
            }
            lexopt::Arg::Value(word) => given.positional.push(
                word.into_string()
                    .map_err(|w| format!("{w:?} is not text"))?,
            ),
            other => return Err(other.unexpected().to_string()),
        }
    }
    if echo {
        echo_options(given)
    } else {
        table_options(given)
    }
}

fn table_options(given: Given) -> Result<Command, String> {
    if let Some(word) = given.positional.first() {
        return Err(format!(
            "unexpected argument {word:?} (the load test is `bench echo STEP`)"
        ));
    }
    Ok(Command::Table(TableOptions {
        json: given.json,
        quick: given.quick,
        n: given.n.unwrap_or(if given.quick { 1_000 } else { 10_000 }),
        runs: given.runs.unwrap_or(if given.quick { 3 } else { 7 }),
        out: given.out.unwrap_or_else(|| default_out(given.quick)),
    }))
}

fn echo_options(given: Given) -> Result<Command, String> {
    let steps = match given.positional.as_slice() {
        [] => {
            return Err(
                "echo needs a step: echo-thread, echo-async-naive, echo-spawn, echo-own-runtime or compare"
                    .to_string(),
            );
        }
        [word] if word == "compare" => ECHO_STEPS.to_vec(),
        [word] => vec![*ECHO_STEPS.iter().find(|s| *s == word).ok_or_else(|| {
            format!(
                "{word:?} is not an echo step: echo-thread, echo-async-naive, echo-spawn, echo-own-runtime or compare"
            )
        })?],
        [_, extra, ..] => return Err(format!("unexpected argument {extra:?} after the step")),
    };
    let quick = given.quick;
    Ok(Command::Echo(EchoOptions {
        json: given.json,
        quick,
        clients: given.clients.unwrap_or(if quick { 100 } else { 10_000 }),
        lines: given.lines.unwrap_or(if quick { 3 } else { 10 }),
        interval: given
            .interval
            .unwrap_or(Duration::from_millis(if quick { 100 } else { 1000 })),
        deadline: given
            .deadline
            .unwrap_or(Duration::from_secs(if quick { 10 } else { 30 })),
        profile: given.profile.unwrap_or_else(|| "release".to_string()),
        out: given.out.unwrap_or_else(|| default_out(quick)),
        steps,
    }))
}

fn probe(args: &[String]) -> Result<Command, String> {
    match args {
        [kind, n] => Ok(Command::ProbeMemory {
            kind: crate::memory::Kind::parse(kind)
                .ok_or_else(|| format!("probe-memory: unknown kind {kind:?}"))?,
            n: positive("N", n)?,
        }),
        _ => Err("usage: bench probe-memory threads|tasks|tasks-current-thread N".to_string()),
    }
}

/// The committed figures come from full runs; a quick run's figures are
/// rough, and go where they overwrite nothing that is kept.
fn default_out(quick: bool) -> PathBuf {
    if quick {
        std::env::temp_dir().join("bench-quick-figures")
    } else {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("figures")
    }
}

/// The value of the option just read, as text.
fn text(parser: &mut lexopt::Parser) -> Result<String, String> {
    let value = parser.value().map_err(|e| e.to_string())?;
    value
        .into_string()
        .map_err(|v| format!("{v:?} is not text"))
}

fn positive(name: &str, value: &str) -> Result<usize, String> {
    match value.replace('_', "").parse::<usize>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(format!(
            "{name} takes a whole number above 0, not {value:?}"
        )),
    }
}

fn seconds(name: &str, value: &str, zero_ok: bool) -> Result<f64, String> {
    match value.parse::<f64>() {
        Ok(x) if x.is_finite() && (x > 0.0 || (zero_ok && x == 0.0)) && x < 1e6 => Ok(x),
        _ => Err(format!(
            "{name} takes a number {}, not {value:?}",
            if zero_ok { "of 0 or more" } else { "above 0" }
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_words(line: &str) -> Result<Command, String> {
        let args: Vec<String> = line.split_whitespace().map(String::from).collect();
        parse(&args)
    }

    #[test]
    fn the_table_has_defaults_and_quick_ones() {
        let Ok(Command::Table(full)) = parse_words("") else {
            panic!()
        };
        assert_eq!((full.n, full.runs, full.json), (10_000, 7, false));
        assert!(full.out.ends_with("bench/figures"));
        let Ok(Command::Table(quick)) = parse_words("--quick --json --n=50") else {
            panic!()
        };
        assert_eq!((quick.n, quick.runs, quick.json), (50, 3, true));
        assert!(!quick.out.ends_with("bench/figures"));
    }

    #[test]
    fn echo_takes_a_step_or_compare() {
        let Ok(Command::Echo(one)) = parse_words("echo --clients 5 echo-spawn") else {
            panic!()
        };
        assert_eq!(
            (one.clients, one.lines, one.steps),
            (5, 10, vec!["echo-spawn"])
        );
        let Ok(Command::Echo(all)) = parse_words("echo --quick compare") else {
            panic!()
        };
        assert_eq!(all.steps, ECHO_STEPS.to_vec());
        assert_eq!(all.clients, 100);
    }

    #[test]
    fn bad_arguments_are_one_clear_message() {
        for (line, expected) in [
            ("--n ten", "--n takes a whole number above 0, not \"ten\""),
            ("--n 0", "--n takes a whole number above 0, not \"0\""),
            ("--runs", "missing argument for option '--runs'"),
            ("--fast", "invalid option '--fast'"),
            ("--clients 5", "--clients is for echo"),
            ("echo", "echo needs a step"),
            ("echo echo-fast", "\"echo-fast\" is not an echo step"),
            ("echo --n 5 compare", "--n is for the table"),
            (
                "echo --deadline 0 compare",
                "--deadline takes a number above 0",
            ),
            ("table", "unexpected argument \"table\""),
        ] {
            let e = parse_words(line).unwrap_err();
            assert!(e.starts_with(expected), "{line}: {e}");
            assert!(!e.contains('\n'));
        }
    }
}
