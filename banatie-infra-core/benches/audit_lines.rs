//! The audit of an env file of 1,000, 10,000 and 100,000 lines (a project `.env` and
//! the same as a service's `env_file`), in process with the binary's allocator: the
//! time per line, and the 100,000 / 10,000 ratio, which is ~10 when the audit is linear
//! in lines (issue 13: it was quadratic, 100,000 lines took over a minute). Run with
//! `cargo bench -p banatie-infra-core --bench audit_lines`; `scripts/bench.sh` prints
//! the row.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::time::{Duration, Instant};

use banatie_infra_core::audit::{audit, AuditInput};

/// The best of `runs` audits of a directory whose `.env` and `app.env` have `n` lines.
fn best(n: usize, runs: usize) -> Duration {
    let dir = tempfile::tempdir().expect("a temporary directory");
    // Half plain values, half URLs that interpolate the line above.
    let env: String = (0..n)
        .map(|i| match i % 2 {
            0 => format!("VAR_{i}=value-{i}\n"),
            _ => format!("URL_{i}=http://h{i}:80/${{VAR_{}}}\n", i - 1),
        })
        .collect();
    std::fs::write(dir.path().join(".env"), &env).expect("write .env");
    std::fs::write(dir.path().join("app.env"), &env).expect("write app.env");
    std::fs::write(
        dir.path().join("compose.yaml"),
        "services:\n  app:\n    image: nginx:1.27\n    env_file: [./app.env]\n",
    )
    .expect("write compose.yaml");
    let input = AuditInput {
        dir: Some(dir.path().to_path_buf()),
        ..Default::default()
    };
    (0..runs)
        .map(|_| {
            let t = Instant::now();
            let report = audit(&input).expect("the audit runs");
            std::hint::black_box(&report);
            t.elapsed()
        })
        .min()
        .expect("at least one run")
}

fn main() {
    let mut times = Vec::new();
    for (n, runs) in [(1_000, 20), (10_000, 5), (100_000, 3)] {
        let t = best(n, runs);
        let per_line = t.as_secs_f64() * 1e6 / n as f64;
        println!(
            "audit {n:>7} env lines: {:>9.2} ms, {per_line:.2} us/line",
            t.as_secs_f64() * 1e3
        );
        times.push(t.as_secs_f64());
    }
    let ratio = times[2] / times[1];
    println!("ratio 100,000 / 10,000 lines: {ratio:.2} (linear: ~10)");
    println!(
        "RESULT audit_lines_100000_us_per_line {:.3}",
        times[2] * 1e6 / 100_000.0
    );
    println!("RESULT audit_lines_ratio {ratio:.3}");
}
