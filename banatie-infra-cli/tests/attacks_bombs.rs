//! Input bombs through the real `banatie-infra` binary, each run under a memory and a
//! time limit: it must end in under 5 s within 256 MiB of address space, with a non-zero
//! exit and a coded error (or, for inputs that are merely large, with success).
//!
//! Kinds guarded (issue 13, "Resource exhaustion"):
//! - YAML alias bombs: billion laughs, one long string aliased thousands of times
//!   (`validate` and `audit`) -> BI152;
//! - paths that are not regular files: `/dev/zero` and a FIFO as the spec, as an
//!   `env_file`, as the project `.env`, as a Caddyfile, as a script; a directory as the
//!   spec -> BI150 (a FIFO never blocks);
//! - files over the input limit: a 17 MiB spec, `--max-input-size`, `BANATIE_MAX_INPUT`
//!   -> BI151;
//! - interpolation bombs: an env file whose lines double the previous one, defaults
//!   nested thousands deep, a Compose file that repeats a 1 MiB variable -> BI153;
//! - work that grows faster than the input: a long `.env`, a long secrets file (each
//!   value redacted everywhere), one finding a line, lines that repeat what the redactor
//!   looks for: each run at n and 4n, both in bounds, and 4n must cost under 8 times the
//!   CPU time of n (linear work is 4 times, quadratic 16; see [`assert_linear`]);
//! - a Caddyfile that imports itself, or snippets that import each other -> BI314;
//! - a shell script that does not parse (unclosed quote, `$(`) -> BI316 (`sh -n` agrees);
//! - deep nesting: 100k `[` in YAML, JSON and TOML -> BI100, 100k nested Caddyfile
//!   blocks -> BI314 (no stack overflow);
//! - millions of flat values (one-line JSON, YAML flow, TOML arrays and tables) -> BI100
//!   before parsing (the parsers buffer them);
//! - a 10 MB line (spec value, env value) ends in bounds.
//!
//! The harness is [`run_bounded`] (one case) and [`assert_refused`]; add a case with a
//! few lines. The memory bound is `RLIMIT_AS` set by util-linux `prlimit` (no unsafe
//! `pre_exec`): an address-space limit is stricter than a resident-set one (every byte
//! resident is mapped), and mimalloc, the binary's allocator, runs fine under it (the
//! binary validates the examples within 100 MB). An allocation beyond it aborts the
//! process (a signal, no coded error): the case fails.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The address-space limit of every case: 256 MiB.
const MEMORY: u64 = 256 * 1024 * 1024;
/// The time limit of every case: 5 s of CPU (`RLIMIT_CPU`: the kernel kills the process
/// past it), and 5 s of wall-clock time on an idle machine (see [`wall_limit`]).
const TIMEOUT: Duration = Duration::from_secs(5);

/// The wall-clock limit: [`TIMEOUT`] scaled by the load average per CPU when the machine
/// is busier than one runnable task per CPU (at most 6x), so that a shared test machine
/// does not fail a case that needs 5 s of CPU or less; a process that blocks (a FIFO)
/// uses no CPU and is caught by this limit.
fn wall_limit() -> Duration {
    let load: f64 = std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(0.0);
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
    TIMEOUT.mul_f64((load / cpus).clamp(1.0, 6.0))
}

/// How a bounded run ended.
#[derive(Debug)]
struct Outcome {
    /// The exit code (`None`: killed by a signal).
    code: Option<i32>,
    /// stdout and stderr together.
    output: String,
    /// How long it ran.
    elapsed: Duration,
    /// The CPU time it used (user and system), as GNU `time` reports it.
    cpu: Duration,
}

/// Runs the binary with `args` in `cwd` (and `env`), under [`MEMORY`] and [`TIMEOUT`]:
/// panics naming `case` when it runs out of time (it is killed).
fn run_bounded(case: &str, cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> Outcome {
    // One case at a time: the time limit is the case's, not its neighbours'.
    static ONE: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one = ONE
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let prlimit = ["/usr/bin/prlimit", "/bin/prlimit"]
        .into_iter()
        .find(|p| Path::new(p).exists())
        .expect("util-linux prlimit is required for the memory limit (apt-get install util-linux)");
    let time = Path::new("/usr/bin/time");
    assert!(
        time.exists(),
        "GNU time is required to measure CPU time (apt-get install time)"
    );
    let out = tempfile::NamedTempFile::new().unwrap();
    let times = tempfile::NamedTempFile::new().unwrap();
    // One open file description for both streams: one offset, nothing overwritten.
    let sink = out.reopen().unwrap();
    let start = Instant::now();
    let mut child = Command::new(time)
        .args(["-f", "%U %S", "-o"])
        .arg(times.path())
        .arg("--")
        .arg(prlimit)
        .arg(format!("--as={MEMORY}"))
        .arg(format!("--cpu={}", TIMEOUT.as_secs()))
        .arg("--")
        .arg(env!("CARGO_BIN_EXE_banatie-infra"))
        .args(args)
        .envs(env.iter().copied())
        .current_dir(cwd)
        .stdin(Stdio::null())
        .stdout(sink.try_clone().unwrap())
        .stderr(sink)
        // Its own process group, so that a timeout kills the binary, not only `time`.
        .process_group(0)
        .spawn()
        .expect("prlimit runs");
    let wall = wall_limit();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if start.elapsed() > wall {
            Command::new("kill")
                .args(["-KILL", &format!("-{}", child.id())])
                .status()
                .ok();
            child.wait().ok();
            let text = std::fs::read_to_string(out.path()).unwrap_or_default();
            panic!(
                "{case}: still running after {wall:?}, killed; output: {}",
                clip(&text)
            );
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let elapsed = start.elapsed();
    let bytes = std::fs::read(out.path()).unwrap();
    let output = String::from_utf8_lossy(&bytes).into_owned();
    // GNU time exits with the command's status, or 128 + the signal that killed it (it
    // writes "Command terminated by signal N" before the figures then).
    let report = std::fs::read_to_string(times.path()).unwrap_or_default();
    let killed = report.contains("terminated by signal");
    let cpu = report
        .lines()
        .last()
        .map(|l| {
            l.split_whitespace()
                .filter_map(|f| f.parse::<f64>().ok())
                .sum::<f64>()
        })
        .unwrap_or(0.0);
    Outcome {
        code: if killed { None } else { status.code() },
        output,
        elapsed,
        cpu: Duration::from_secs_f64(cpu),
    }
}

fn clip(s: &str) -> String {
    if s.len() > 2000 {
        let mut end = 2000;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        format!("{}... ({} bytes)", &s[..end], s.len())
    } else {
        s.to_owned()
    }
}

/// Runs a case and asserts it ends in bounds with a non-zero exit and one of `codes` in
/// its output (as `BIxxx`).
fn assert_refused(case: &str, cwd: &Path, args: &[&str], env: &[(&str, &str)], codes: &[&str]) {
    let o = run_bounded(case, cwd, args, env);
    let text = clip(&o.output);
    let code = o.code.unwrap_or_else(|| {
        panic!("{case}: killed by a signal (out of memory or CPU time?): {text}")
    });
    assert_ne!(code, 0, "{case}: accepted: {text}");
    assert!(
        codes.iter().any(|c| o.output.contains(c)),
        "{case}: exit {code} without {codes:?}: {text}"
    );
    eprintln!("{case}: exit {code} in {:?}", o.elapsed);
}

fn dir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

fn write(dir: &Path, name: &str, text: impl AsRef<[u8]>) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn mkfifo(p: &Path) {
    let st = Command::new("mkfifo")
        .arg(p)
        .status()
        .expect("mkfifo (coreutils) is required");
    assert!(st.success());
}

/// Billion laughs: ten levels of ten aliases, keys starting with `prefix`.
fn billion_laughs(prefix: &str) -> String {
    let mut s = format!("{prefix}a0: &a0 [{}]\n", ["\"lol\""; 10].join(","));
    for i in 1..10 {
        let p = i - 1;
        s.push_str(&format!(
            "{prefix}a{i}: &a{i} [{}]\n",
            vec![format!("*a{p}"); 10].join(",")
        ));
    }
    s
}

/// One 300 KB anchored string aliased 3,000 times (a 1 MB file), keys starting with
/// `prefix`.
fn long_string_aliased(prefix: &str) -> String {
    let mut s = format!("{prefix}s: &s \"{}\"\n", "x".repeat(300_000));
    s.push_str(&format!("{prefix}l: ["));
    s.push_str(&vec!["*s"; 3000].join(","));
    s.push_str("]\n");
    s
}

const COMPOSE: &str = "services:\n  app:\n    image: nginx:1.27\n";

#[test]
fn yaml_alias_bombs_are_refused() {
    let d = dir();
    let t = d.path();
    write(t, "laughs.yaml", billion_laughs(""));
    write(t, "long.yaml", long_string_aliased(""));
    for f in ["laughs.yaml", "long.yaml"] {
        assert_refused(
            &format!("validate {f}"),
            t,
            &["validate", f],
            &[],
            &["BI152"],
        );
    }
    for (name, bomb) in [
        ("laughs", billion_laughs("x-")),
        ("long", long_string_aliased("x-")),
    ] {
        let sub = t.join(name);
        std::fs::create_dir(&sub).unwrap();
        write(&sub, "compose.yaml", format!("{COMPOSE}{bomb}"));
        assert_refused(
            &format!("audit {name}"),
            t,
            &["audit", name],
            &[],
            &["BI152"],
        );
        assert_refused(
            &format!("import {name}"),
            t,
            &["import", name, "-o", "spec.yaml"],
            &[],
            &["BI152"],
        );
    }
}

#[test]
fn paths_that_are_not_regular_files_are_refused_without_blocking() {
    let d = dir();
    let t = d.path();
    mkfifo(&t.join("fifo.yaml"));
    std::os::unix::fs::symlink("/dev/zero", t.join("zero.yaml")).unwrap();
    std::fs::create_dir(t.join("dir.yaml")).unwrap();
    for f in ["fifo.yaml", "zero.yaml", "dir.yaml", "/dev/zero"] {
        assert_refused(
            &format!("validate {f}"),
            t,
            &["validate", f],
            &[],
            &["BI150"],
        );
        assert_refused(
            &format!("render {f}"),
            t,
            &["render", f, "-o", "out"],
            &[],
            &["BI150"],
        );
    }
    // In a Compose file: env_file entries (required or not).
    mkfifo(&t.join("fifo.env"));
    for (case, env_file) in [
        ("env_file /dev/zero", "/dev/zero"),
        ("env_file FIFO", "./fifo.env"),
        (
            "optional env_file FIFO",
            "{path: ./fifo.env, required: false}",
        ),
    ] {
        write(
            t,
            "compose.yaml",
            format!("{COMPOSE}    env_file: [{env_file}]\n"),
        );
        assert_refused(case, t, &["audit", "."], &[], &["BI150"]);
        assert_refused(
            &format!("import: {case}"),
            t,
            &["import", ".", "-o", "spec.yaml"],
            &[],
            &["BI150"],
        );
    }
    write(t, "compose.yaml", COMPOSE);
    mkfifo(&t.join("Caddyfile.fifo"));
    mkfifo(&t.join("job.sh"));
    for (case, args) in [
        (
            "--env-file FIFO",
            vec!["audit", ".", "--env-file", "fifo.env"],
        ),
        (
            "--env-file /dev/zero",
            vec!["audit", ".", "--env-file", "/dev/zero"],
        ),
        (
            "--caddyfile FIFO",
            vec!["audit", "--caddyfile", "Caddyfile.fifo"],
        ),
        (
            "--caddyfile /dev/zero",
            vec!["audit", "--caddyfile", "/dev/zero"],
        ),
        ("--script FIFO", vec!["audit", "--script", "job.sh"]),
        (
            "--compose /dev/zero",
            vec!["audit", "--compose", "/dev/zero"],
        ),
    ] {
        assert_refused(case, t, &args, &[], &["BI150"]);
    }
}

#[test]
fn files_over_the_input_limit_are_refused() {
    let d = dir();
    let t = d.path();
    let mut big = String::from("stack: {name: demo}\nservices: {}\n");
    while big.len() <= 17 << 20 {
        big.push_str(&format!("# {}\n", "x".repeat(1000)));
    }
    write(t, "big.yaml", &big);
    assert_refused("17 MiB spec", t, &["validate", "big.yaml"], &[], &["BI151"]);
    write(
        t,
        "small.yaml",
        "stack: {name: demo}\nservices: {}\n# padding padding\n",
    );
    assert_refused(
        "--max-input-size 16",
        t,
        &["validate", "small.yaml", "--max-input-size", "16"],
        &[],
        &["BI151"],
    );
    assert_refused(
        "BANATIE_MAX_INPUT=16",
        t,
        &["validate", "small.yaml"],
        &[("BANATIE_MAX_INPUT", "16")],
        &["BI151"],
    );
    // In an audit: a big env_file is a finding at its reference; a big Compose file
    // is refused.
    write(t, "big.env", big.replace('#', "X=1 #"));
    write(
        t,
        "compose.yaml",
        format!("{COMPOSE}    env_file: [./big.env]\n"),
    );
    assert_refused("17 MiB env_file", t, &["audit", "."], &[], &["BI151"]);
    assert_refused(
        "compose over --max-input-size",
        t,
        &["audit", ".", "--max-input-size", "10"],
        &[],
        &["BI151"],
    );
}

#[test]
fn interpolation_bombs_are_refused() {
    let d = dir();
    let t = d.path();
    write(t, "compose.yaml", COMPOSE);
    // Each line doubles the one before (the 671-byte file).
    let mut env = String::from("A0=xx\n");
    for i in 1..100 {
        let p = i - 1;
        env.push_str(&format!("A{i}=$A{p}$A{p}\n"));
    }
    write(t, ".env", &env);
    assert_refused("doubling .env", t, &["audit", "."], &[], &["BI153"]);
    assert_refused(
        "import: doubling .env",
        t,
        &["import", ".", "-o", "spec.yaml"],
        &[],
        &["BI153"],
    );
    // The same in an env_file.
    std::fs::remove_file(t.join(".env")).unwrap();
    write(t, "app.env", &env);
    write(
        t,
        "compose.yaml",
        format!("{COMPOSE}    env_file: [./app.env]\n"),
    );
    assert_refused("doubling env_file", t, &["audit", "."], &[], &["BI153"]);
    // Defaults nested 50,000 deep.
    let deep = format!(
        "A=${{X:-{}x{}\n",
        "${X:-".repeat(50_000),
        "}".repeat(50_001)
    );
    write(t, "app.env", &deep);
    assert_refused("nested defaults", t, &["audit", "."], &[], &["BI153"]);
    // A Compose file that repeats a 1 MiB variable 100,000 times.
    write(t, ".env", format!("BIG={}\n", "y".repeat(1 << 20)));
    write(
        t,
        "compose.yaml",
        format!(
            "{COMPOSE}    labels:\n{}",
            (0..100_000)
                .map(|i| format!("      l{i}: $BIG\n"))
                .collect::<String>()
        ),
    );
    std::fs::remove_file(t.join("app.env")).unwrap();
    assert_refused(
        "Compose repeating a 1 MiB variable",
        t,
        &["audit", "."],
        &[],
        &["BI153"],
    );
}

/// Runs `case` at size `n` and `4 * n` (`setup` writes the files of a size and returns
/// the arguments) and asserts both end in bounds and the larger used less than 8 times
/// the CPU time of the smaller: linear work takes about 4 times, quadratic 16. The
/// ratio, not an absolute time, is what shows the growth, so a slower machine does not
/// fail it; the absolute bound stays [`TIMEOUT`]. Below 0.05 s for the smaller run
/// (startup dominates) the ratio is not judged. Returns the larger run.
fn assert_linear(
    case: &str,
    t: &Path,
    n: usize,
    setup: impl Fn(&Path, usize) -> Vec<String>,
    expect_code: i32,
) -> Outcome {
    let mut runs = Vec::new();
    for size in [n, 4 * n] {
        let args = setup(t, size);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let name = format!("{case} (n = {size})");
        let o = run_bounded(&name, t, &args, &[]);
        let code = o
            .code
            .unwrap_or_else(|| panic!("{name}: killed by a signal: {}", clip(&o.output)));
        assert_eq!(code, expect_code, "{name}: {}", clip(&o.output));
        eprintln!("{name}: exit {code}, {:?} CPU, {:?} wall", o.cpu, o.elapsed);
        runs.push(o);
    }
    let (small, large) = (runs[0].cpu.as_secs_f64(), runs[1].cpu.as_secs_f64());
    if small >= 0.05 {
        assert!(
            large < 8.0 * small,
            "{case}: 4x the input took {:.1}x the CPU time ({small:.2} s -> {large:.2} s): \
             the work grows faster than the input",
            large / small
        );
    }
    runs.pop().unwrap()
}

#[test]
fn a_100k_line_env_file_audits_in_bounds() {
    let d = dir();
    let t = d.path();
    let audit = || vec!["audit".to_owned(), ".".to_owned()];
    // A project .env of n lines beside an env_file of n / 4 (60k and 15k at the top
    // size, for the debug test build; before the fix, 10,000 lines took 5.5 s, and
    // `benches/audit_lines.rs` measures the release build up to 100,000 lines).
    let o = assert_linear(
        "a long .env and env_file",
        t,
        15_000,
        |t, n| {
            write(
                t,
                "compose.yaml",
                format!("{COMPOSE}    env_file: [./app.env]\n"),
            );
            let env: String = (0..n).map(|i| format!("V{i}=value{i}\n")).collect();
            write(t, ".env", &env);
            let half: String = (0..n / 4).map(|i| format!("W{i}=value{i}\n")).collect();
            write(t, "app.env", &half);
            audit()
        },
        0,
    );
    assert!(o.output.contains("no defects"), "{}", clip(&o.output));
    std::fs::remove_file(t.join(".env")).unwrap();
    // A secrets file: each value is redacted wherever it occurs, in one pass.
    let o = assert_linear(
        "a long secrets.env",
        t,
        6_250,
        |t, n| {
            let secrets: String = (0..n)
                .map(|i| format!("S{i}=secretvalue{i:08}\n"))
                .collect();
            let p = write(t, "secrets.env", &secrets);
            std::fs::set_permissions(&p, std::os::unix::fs::PermissionsExt::from_mode(0o600))
                .unwrap();
            write(
                t,
                "compose.yaml",
                format!("{COMPOSE}    env_file: [./secrets.env]\n"),
            );
            audit()
        },
        0,
    );
    assert!(!o.output.contains("secretvalue"), "{}", clip(&o.output));
    // Every line a finding: the diagnostics are printed in linear time too.
    let o = assert_linear(
        "every line a finding",
        t,
        1_500,
        |t, n| {
            write(
                t,
                "compose.yaml",
                format!("{COMPOSE}    env_file: [./app.env]\n"),
            );
            let bad: String = (0..n).map(|i| format!("V{i}=a#b\n")).collect();
            write(t, "app.env", &bad);
            audit()
        },
        1,
    );
    assert!(o.output.contains("BI309"));
    assert_eq!(
        o.output.matches("BI309").count(),
        6_000,
        "one finding a line"
    );
}

#[test]
fn caddyfile_import_cycles_are_refused() {
    let d = dir();
    let t = d.path();
    write(
        t,
        "Caddyfile",
        "import Caddyfile\nexample.com {\n\trespond hi\n}\n",
    );
    assert_refused(
        "self import",
        t,
        &["audit", "--caddyfile", "Caddyfile"],
        &[],
        &["BI314"],
    );
    write(t, "a.caddy", "import b.caddy\n");
    write(t, "b.caddy", "import a.caddy\n");
    write(
        t,
        "Caddyfile",
        "import a.caddy\nexample.com {\n\trespond hi\n}\n",
    );
    assert_refused(
        "import cycle",
        t,
        &["audit", "--caddyfile", "Caddyfile"],
        &[],
        &["BI314"],
    );
    // Snippets that import each other ten times each: 10^depth expansions.
    let mut s = String::new();
    for n in ["a", "b"] {
        let other = if n == "a" { "b" } else { "a" };
        s.push_str(&format!(
            "({n}) {{\n{}}}\n",
            format!("\timport {other}\n").repeat(10)
        ));
    }
    s.push_str("example.com {\n\timport a\n}\n");
    write(t, "Caddyfile", &s);
    assert_refused(
        "snippet cycle",
        t,
        &["audit", "--caddyfile", "Caddyfile"],
        &[],
        &["BI314"],
    );
}

#[test]
fn a_shell_script_that_does_not_parse_is_a_finding() {
    let d = dir();
    let t = d.path();
    for (name, text) in [
        ("quote.sh", "#!/bin/sh\nset -eu\necho 'unclosed\n"),
        ("subst.sh", "#!/bin/sh\nset -eu\nx=$(date\necho \"$x\"\n"),
    ] {
        write(t, name, text);
        // The consumer agrees: sh refuses it.
        let sh = Command::new("sh")
            .arg("-n")
            .arg(t.join(name))
            .output()
            .expect("sh runs");
        assert!(!sh.status.success(), "{name}: sh -n accepted it");
        assert_refused(name, t, &["audit", "--script", name], &[], &["BI316"]);
    }
    // A 1 MB script that is one unclosed quote ends in bounds too.
    write(
        t,
        "big.sh",
        format!("set -e\necho '{}\n", "x ".repeat(500_000)),
    );
    assert_refused(
        "big.sh",
        t,
        &["audit", "--script", "big.sh"],
        &[],
        &["BI316"],
    );
}

#[test]
fn deep_nesting_is_refused_without_overflowing_the_stack() {
    let d = dir();
    let t = d.path();
    let n = 100_000;
    write(t, "deep.yaml", "[".repeat(n));
    write(t, "deep2.yaml", format!("{}{}", "- ".repeat(n), "x"));
    write(
        t,
        "deep.json",
        format!("{}{}", "[".repeat(n), "]".repeat(n)),
    );
    write(
        t,
        "deep.toml",
        format!("a = {}{}\n", "[".repeat(n), "]".repeat(n)),
    );
    write(
        t,
        "deep2.toml",
        format!("a = {}1{}\n", "{b = ".repeat(n), "}".repeat(n)),
    );
    for f in [
        "deep.yaml",
        "deep2.yaml",
        "deep.json",
        "deep.toml",
        "deep2.toml",
    ] {
        assert_refused(
            &format!("validate {f}"),
            t,
            &["validate", f],
            &[],
            &["BI100"],
        );
    }
    write(
        t,
        "compose.yaml",
        format!("{COMPOSE}x-deep: {}\n", "[".repeat(n)),
    );
    assert_refused("audit deep compose", t, &["audit", "."], &[], &["BI100"]);
    // The Caddyfile parser recurses per block: 100k nested blocks.
    write(
        t,
        "Caddyfile",
        format!(
            "example.com {{\n{}{}}}\n",
            "route {\n".repeat(n),
            "}\n".repeat(n)
        ),
    );
    assert_refused(
        "deep Caddyfile",
        t,
        &["audit", "--caddyfile", "Caddyfile"],
        &[],
        &["BI314"],
    );
}

#[test]
fn millions_of_flat_values_are_refused_before_parsing() {
    let d = dir();
    let t = d.path();
    let n = 3_000_000;
    let items = format!("{}1", "1,".repeat(n));
    write(
        t,
        "flat.json",
        format!("{{\"stack\": {{\"name\": \"demo\"}}, \"x\": [{items}]}}"),
    );
    write(
        t,
        "flat.yaml",
        format!("{{stack: {{name: demo}}, x: [{items}]}}\n"),
    );
    write(t, "flat.toml", format!("x = [{items}]\n"));
    write(t, "tables.toml", "[[x]]\n".repeat(n / 2));
    for f in ["flat.json", "flat.yaml", "flat.toml", "tables.toml"] {
        assert_refused(
            &format!("validate {f}"),
            t,
            &["validate", f],
            &[],
            &["BI100"],
        );
    }
    write(t, "compose.yaml", format!("{COMPOSE}x-flat: [{items}]\n"));
    assert_refused("audit flat compose", t, &["audit", "."], &[], &["BI100"]);
}

#[test]
fn a_10_mb_line_ends_in_bounds() {
    let d = dir();
    let t = d.path();
    let long = "x".repeat(10 << 20);
    write(
        t,
        "long.yaml",
        format!("stack: {{name: {long}}}\nservices: {{}}\n"),
    );
    assert_refused(
        "10 MB spec value",
        t,
        &["validate", "long.yaml"],
        &[],
        &["BI1"],
    );
    write(
        t,
        "long.json",
        format!("{{\"stack\": {{\"name\": \"{long}\"}}, \"services\": {{}}}}"),
    );
    assert_refused(
        "10 MB JSON value",
        t,
        &["validate", "long.json"],
        &[],
        &["BI1"],
    );
    write(
        t,
        "compose.yaml",
        format!("{COMPOSE}    env_file: [./app.env]\n"),
    );
    write(t, "app.env", format!("LONG={long}\nHASH=a#{long}\n"));
    let o = run_bounded("10 MB env line", t, &["audit", "."], &[]);
    assert!(o.code.is_some(), "killed: {}", clip(&o.output));
    assert!(
        o.output.len() < 1 << 20,
        "echoed the line: {} bytes",
        o.output.len()
    );
}

/// The redaction of what is shown is linear too: lines that would make a scan for
/// secret places restart at every occurrence (a URL scheme, `PASSWORD '` without its
/// closing quote, a dollar-quoted tag) repeated along a 1 MB line, in an env file the
/// audit shows and in a message about a spec value.
#[test]
fn redaction_of_hostile_lines_ends_in_bounds() {
    let d = dir();
    let t = d.path();
    // Each pattern repeated along one line (at the top size: a 1 MB line of `a://`),
    // where a redactor that rescans from every match is quadratic.
    let patterns: [(&str, usize); 5] = [
        ("a://", 250_000),
        ("PASSWORD '", 100_000),
        ("PASSWORD $a ", 80_000),
        ("Authorization: '", 60_000),
        ("x://u:p@", 120_000),
    ];
    let lines_at = |quarter: usize| -> Vec<String> {
        patterns
            .iter()
            .map(|(p, top)| p.repeat(top / 8 * quarter))
            .collect()
    };
    let o = assert_linear(
        "hostile lines in an env file",
        t,
        1,
        |t, quarters| {
            let env: String = lines_at(quarters)
                .iter()
                .enumerate()
                .map(|(i, l)| format!("V{i}={l}#\n"))
                .collect();
            write(t, ".env", &env);
            write(
                t,
                "compose.yaml",
                format!("{COMPOSE}    env_file: [./.env]\n"),
            );
            vec!["audit".to_owned(), ".".to_owned()]
        },
        1,
    );
    assert!(!o.output.is_empty());
    let lines = lines_at(4);
    for (i, l) in lines.iter().enumerate() {
        write(
            t,
            "spec.yaml",
            format!("stack: {{name: \"{l}\"}}\nservices: {{}}\n"),
        );
        assert_refused(
            &format!("hostile spec value {i}"),
            t,
            &["validate", "spec.yaml"],
            &[],
            &["BI1"],
        );
    }
}
