//! The real consumers of the generated text files, for the attack and property tests of
//! issue 13's text part: `sh` with a tracing stub for every external command, `docker
//! compose config` for env files and the Compose file, and a throwaway PostgreSQL 15
//! cluster. Each helper panics when its consumer is missing: no test passes without it.
#![allow(dead_code, clippy::result_large_err)]

use std::fs;
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub mod cases;

use banatie_infra_core::load::{load_str, Format};
use banatie_infra_core::spec::Spec;

pub const INSTALL_HINT: &str = "install it with scripts/install-test-deps.sh";
pub const PG_BIN: &str = "/usr/lib/postgresql/15/bin";

/// The path of `tool` (in `PATH`, or absolute); panics when it is missing.
pub fn require(tool: &str) -> PathBuf {
    let executable = |p: &Path| {
        fs::metadata(p)
            .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
            .unwrap_or(false)
    };
    if tool.contains('/') {
        let p = PathBuf::from(tool);
        assert!(
            executable(&p),
            "required tool `{tool}` is missing: {INSTALL_HINT}"
        );
        return p;
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|d| d.join(tool))
        .find(|p| executable(p))
        .unwrap_or_else(|| panic!("required tool `{tool}` is not in PATH: {INSTALL_HINT}"))
}

/// The number of proptest cases: `PROPTEST_CASES`, default 256.
pub fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256)
}

/// Loads a spec given as JSON (any string survives JSON), or the loader's diagnostic.
pub fn load_json(v: &serde_json::Value) -> Result<Spec, banatie_infra_core::Diagnostic> {
    load_str(&v.to_string(), Format::Json, "case.json")
        .map(|l| l.spec)
        .map_err(|e| e.to_diagnostic())
}

// ---------------------------------------------------------------------------------------
// sh with tracing stubs
// ---------------------------------------------------------------------------------------

/// Every external command a stub stands for: what the scripts call (`mc`, `install`) and
/// what an injected command would most likely be. Any other command is not found (PATH
/// holds only the stubs), which fails the script under `set -e`.
pub const STUBS: &[&str] = &[
    "mc", "install", "chown", "chmod", "mkdir", "touch", "rm", "cat", "cp", "mv", "ln", "id", "sh",
    "bash", "dash", "env", "curl", "wget", "nc", "ls", "echo", "printf", "tee", "dd", "python3",
    "perl", "sleep", "kill", "node", "date",
];

/// What a script did: its exit status, output, every external command with its argv
/// (byte for byte), and the files it left in its working directory.
#[derive(Debug)]
pub struct Trace {
    pub status: std::process::ExitStatus,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    /// One entry per external command run: the command name, then its arguments.
    pub calls: Vec<Vec<Vec<u8>>>,
    /// Names in the (initially empty) working directory after the run.
    pub created: Vec<String>,
}

/// Runs `script` as `sh -eu SCRIPT ARGS...` in an empty working directory, with an
/// environment of only `PATH` (the stub directory), `TRACE` and `env`. Each stub appends
/// `argc NUL name NUL arg1 NUL ...` to the trace.
pub fn run_script(script: &str, args: &[&str], env: &[(&str, &str)]) -> Trace {
    let sh = require("/bin/sh");
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("bin");
    let work = dir.path().join("work");
    fs::create_dir(&bin).unwrap();
    fs::create_dir(&work).unwrap();
    for name in STUBS {
        let p = bin.join(name);
        fs::write(
            &p,
            format!("#!/bin/sh\nprintf '%s\\0' \"$#\" {name} \"$@\" >> \"$TRACE\"\n"),
        )
        .unwrap();
        fs::set_permissions(&p, fs::Permissions::from_mode(0o755)).unwrap();
    }
    let trace = dir.path().join("trace");
    fs::write(&trace, b"").unwrap();
    let path = dir.path().join("script.sh");
    fs::write(&path, script).unwrap();
    let mut cmd = Command::new(sh);
    cmd.arg("-eu")
        .arg(&path)
        .args(args)
        .current_dir(&work)
        .env_clear()
        .env("PATH", &bin)
        .env("TRACE", &trace);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.stdin(Stdio::null()).output().expect("sh runs");
    let raw = fs::read(&trace).unwrap();
    let mut fields = raw.split(|&b| b == 0);
    let mut calls = Vec::new();
    while let Some(n) = fields.next().filter(|f| !f.is_empty()) {
        let n: usize = std::str::from_utf8(n).unwrap().parse().unwrap();
        let call: Vec<Vec<u8>> = (0..=n)
            .map(|_| fields.next().expect("complete record").to_vec())
            .collect();
        calls.push(call);
    }
    let created = fs::read_dir(&work)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    Trace {
        status: out.status,
        stdout: out.stdout,
        stderr: out.stderr,
        calls,
        created,
    }
}

/// `shellcheck --norc -s sh` passes `script`.
pub fn assert_shellcheck_clean(script: &str) {
    let shellcheck = require("shellcheck");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("script.sh");
    fs::write(&path, script).unwrap();
    let out = Command::new(shellcheck)
        .args(["--norc", "-s", "sh"])
        .arg(&path)
        .output()
        .expect("shellcheck runs");
    assert!(
        out.status.success(),
        "shellcheck:\n{}\n--- script ---\n{script}",
        String::from_utf8_lossy(&out.stdout)
    );
}

/// `argv` as the byte vectors a trace holds.
pub fn argv(words: &[&str]) -> Vec<Vec<u8>> {
    words.iter().map(|w| w.as_bytes().to_vec()).collect()
}

/// A readable form of a trace's calls, for failure messages.
pub fn show_calls(calls: &[Vec<Vec<u8>>]) -> String {
    calls
        .iter()
        .map(|c| {
            c.iter()
                .map(|a| format!("{:?}", String::from_utf8_lossy(a)))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The storage init script of `bundle`'s job `job`, with its lifecycle file moved from the
/// container's `/init` to `dir` (the only change: the redirect's target).
pub fn storage_init_here(
    bundle: &banatie_infra_core::render::Bundle,
    job: &str,
    dir: &Path,
) -> String {
    let script = bundle
        .text(&format!("scripts/{job}/init.sh"))
        .expect("init.sh")
        .to_owned();
    let json = bundle
        .text(&format!("scripts/{job}/lifecycle.json"))
        .expect("lifecycle.json");
    let at = dir.join("lifecycle.json");
    fs::write(&at, json).unwrap();
    let needle = "< '/init/lifecycle.json'";
    assert!(
        script.contains(needle) || !script.contains("ilm rule import"),
        "{script}"
    );
    script.replace(
        needle,
        &format!(
            "< {}",
            banatie_infra_core::render::quote::shell(at.to_str().unwrap())
        ),
    )
}

/// The environment the storage init job gets from `secrets.env` in these tests.
pub const JOB_ENV: &[(&str, &str)] = &[
    ("MINIO_ROOT_USER", "root-user-value"),
    ("MINIO_ROOT_PASSWORD", "root-password-value"),
    ("MINIO_ACCESS_KEY", "access-key-value"),
    ("MINIO_SECRET_KEY", "secret-key-value"),
];

/// A valid spec: PostgreSQL, MinIO with a storage init job, one app.
pub fn base() -> serde_json::Value {
    serde_json::json!({
        "stack": { "name": "atk", "userns_remap": { "enabled": false } },
        "networks": { "inner": { "internal": true } },
        "services": {
            "db": { "kind": "postgres", "image": "postgres:15.8-alpine", "networks": ["inner"] },
            "s3": {
                "kind": "minio",
                "image": "quay.io/minio/minio:RELEASE.2025-04-22T22-12-26Z",
                "networks": ["inner"],
                "lifecycle": [{ "id": "temp-cleanup", "prefix": "temp/", "expire_days": 7 }]
            },
            "s3-init": {
                "kind": "job",
                "image": "minio/mc:RELEASE.2025-04-16T18-13-26Z",
                "networks": ["inner"],
                "task": { "storage_init": { "minio": "s3" } },
                "depends_on": { "s3": "healthy" }
            },
            "api": {
                "kind": "app",
                "image": "example/api:1.0",
                "base_image": "alpine:3.20",
                "networks": ["inner"],
                "depends_on": { "db": "healthy" }
            }
        },
        "secrets": { "POSTGRES_PASSWORD": {}, "MINIO_ROOT_PASSWORD": {}, "MINIO_SECRET_KEY": {} }
    })
}

/// Runs the rendered storage init with stubs; checks the calls and output are exactly the
/// ones the values make, byte for byte, and that nothing else ran or was created.
pub fn check_storage_init(
    bundle: &banatie_infra_core::render::Bundle,
    policy: &str,
    rules: &[(&str, &str, u32)],
    public: Option<&str>,
) {
    let dir = tempfile::tempdir().unwrap();
    let script = storage_init_here(bundle, "s3-init", dir.path());
    let t = run_script(&script, &[], JOB_ENV);
    assert!(
        t.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&t.stderr),
        script
    );
    let mut want = vec![
        argv(&[
            "mc",
            "alias",
            "set",
            "storage",
            "http://s3:9000",
            "root-user-value",
            "root-password-value",
        ]),
        argv(&["mc", "mb", "--ignore-existing", "storage/banatie"]),
        argv(&[
            "mc",
            "admin",
            "user",
            "add",
            "storage",
            "access-key-value",
            "secret-key-value",
        ]),
        argv(&[
            "mc",
            "admin",
            "policy",
            "attach",
            "storage",
            policy,
            "--user",
            "access-key-value",
        ]),
    ];
    let mut out = String::from("storage-init: connecting to http://s3:9000\nstorage-init: bucket banatie\nstorage-init: service account\n");
    if !rules.is_empty() {
        want.push(argv(&["mc", "ilm", "rule", "import", "storage/banatie"]));
        let summary: Vec<String> = rules
            .iter()
            .map(|(id, p, days)| {
                format!(
                    "{id}: {} after {days} days",
                    if p.is_empty() { "(whole bucket)" } else { p }
                )
            })
            .collect();
        out.push_str(&format!(
            "storage-init: lifecycle rules ({})\n",
            summary.join("; ")
        ));
    }
    if let Some(p) = public {
        want.push(vec![
            b"mc".to_vec(),
            b"anonymous".to_vec(),
            b"set".to_vec(),
            b"download".to_vec(),
            format!("storage/banatie/{p}").into_bytes(),
        ]);
        out.push_str(&format!(
            "storage-init: anonymous download of {}\n",
            if p.is_empty() { "(whole bucket)" } else { p }
        ));
    }
    out.push_str("storage-init: done\n");
    assert_eq!(
        t.calls,
        want,
        "calls:\n{}\n--- script ---\n{script}",
        show_calls(&t.calls)
    );
    assert_eq!(
        String::from_utf8_lossy(&t.stdout),
        out,
        "--- script ---\n{script}"
    );
    assert!(t.created.is_empty(), "created {:?}", t.created);
    // The lifecycle file holds the values as JSON strings, exactly.
    let json: serde_json::Value =
        serde_json::from_str(bundle.text("scripts/s3-init/lifecycle.json").unwrap()).unwrap();
    for (i, (id, p, _)) in rules.iter().enumerate() {
        assert_eq!(json["Rules"][i]["ID"], *id);
        assert_eq!(json["Rules"][i]["Filter"]["Prefix"], *p);
    }
}

// ---------------------------------------------------------------------------------------
// docker compose config
// ---------------------------------------------------------------------------------------

/// `docker` with the Compose v2 plugin; panics when missing.
pub fn require_compose() -> PathBuf {
    let docker = require("docker");
    let out = Command::new(&docker)
        .args(["compose", "version", "--short"])
        .output()
        .unwrap_or_else(|e| panic!("cannot run `docker compose version`: {e}: {INSTALL_HINT}"));
    let v = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    assert!(
        out.status.success() && v.trim_start_matches('v').starts_with("2."),
        "`docker compose` v2 is missing ({v:?}): {INSTALL_HINT}"
    );
    docker
}

/// `docker compose config --format json` on `dir/docker-compose.yml`, with an environment
/// of only `PATH` and `HOME` (nothing to interpolate from the shell).
pub fn compose_config(dir: &Path) -> serde_json::Value {
    let docker = require_compose();
    let out = Command::new(docker)
        .args(["compose", "--project-directory"])
        .arg(dir)
        .arg("-f")
        .arg(dir.join("docker-compose.yml"))
        .args(["config", "--format", "json"])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", std::env::var("HOME").unwrap_or_default())
        .output()
        .expect("docker compose runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// A service's environment from `compose_config`, with Compose's `$$` undone.
pub fn service_env(
    config: &serde_json::Value,
    service: &str,
) -> std::collections::BTreeMap<String, String> {
    config["services"][service]["environment"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().replace("$$", "$")))
                .collect()
        })
        .unwrap_or_default()
}

// ---------------------------------------------------------------------------------------
// PostgreSQL 15
// ---------------------------------------------------------------------------------------

fn run(cmd: &mut Command) -> Output {
    cmd.stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"))
}

fn run_ok(cmd: &mut Command) -> Output {
    let out = run(cmd);
    assert!(
        out.status.success(),
        "{cmd:?}: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// A throwaway PostgreSQL 15 cluster (trust authentication, TCP on 127.0.0.1), as
/// tests/conformance.rs starts one; stopped on drop.
pub struct Cluster {
    dir: tempfile::TempDir,
    pub port: u16,
    as_root: bool,
    started: bool,
}

impl Cluster {
    fn server_cmd(&self, bin: &str) -> Command {
        let bin = require(&format!("{PG_BIN}/{bin}"));
        if self.as_root {
            let mut c = Command::new(require("runuser"));
            c.args(["-u", "postgres", "--"]).arg(bin);
            c
        } else {
            Command::new(bin)
        }
    }

    pub fn start() -> Cluster {
        let id = run(Command::new(require("id")).arg("-u"));
        let as_root = String::from_utf8_lossy(&id.stdout).trim() == "0";
        let dir = tempfile::Builder::new()
            .prefix("banatie-pg-")
            .tempdir()
            .unwrap();
        if as_root {
            let n = |flag: &str| -> u32 {
                let out = run_ok(Command::new(require("id")).args([flag, "postgres"]));
                String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
            };
            std::os::unix::fs::chown(dir.path(), Some(n("-u")), Some(n("-g"))).unwrap();
        }
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut c = Cluster {
            dir,
            port,
            as_root,
            started: false,
        };
        let data = c.dir.path().join("data");
        run_ok(c.server_cmd("initdb").arg("-D").arg(&data).args([
            "--auth=trust",
            "--username=postgres",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
        ]));
        let mut pg_ctl = c.server_cmd("pg_ctl");
        pg_ctl
            .arg("-D")
            .arg(&data)
            .arg("-l")
            .arg(c.dir.path().join("server.log"))
            .args(["-w", "-t", "60", "-o"])
            .arg(format!(
                "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
                c.dir.path().display()
            ))
            .arg("start");
        c.started = true;
        run_ok(&mut pg_ctl);
        c
    }

    /// `psql` on `db` as `postgres`, stopping at the first error, not quiet (command tags
    /// are printed), unaligned and tuples only.
    pub fn psql(&self, db: &str) -> Command {
        let mut cmd = Command::new(require("psql"));
        for var in [
            "PGHOST",
            "PGPORT",
            "PGUSER",
            "PGDATABASE",
            "PGSERVICE",
            "PGOPTIONS",
            "PGPASSWORD",
        ] {
            cmd.env_remove(var);
        }
        cmd.args([
            "-X",
            "-A",
            "-t",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            "127.0.0.1",
            "-p",
        ])
        .arg(self.port.to_string())
        .args(["-U", "postgres", "-d", db]);
        cmd
    }

    /// Runs `sql` (from a file: a pipe both ways could fill up and stall) on `db`; stdout,
    /// or a panic with stderr.
    pub fn run_sql(&self, db: &str, sql: &str) -> String {
        let file = tempfile::NamedTempFile::new().unwrap();
        fs::write(file.path(), sql).unwrap();
        fs::set_permissions(file.path(), fs::Permissions::from_mode(0o644)).unwrap();
        let out = self
            .psql(db)
            .arg("-f")
            .arg(file.path())
            .stdin(Stdio::null())
            .output()
            .expect("psql runs");
        assert!(
            out.status.success(),
            "psql failed: {}\n--- sql ---\n{}",
            String::from_utf8_lossy(&out.stderr),
            sql.chars().take(4000).collect::<String>()
        );
        String::from_utf8(out.stdout).unwrap()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if self.started {
            let data = self.dir.path().join("data");
            let _ = run(self.server_cmd("pg_ctl").arg("-D").arg(data).args([
                "-m",
                "immediate",
                "-w",
                "-t",
                "30",
                "stop",
            ]));
        }
    }
}

/// Hex of `s`'s UTF-8 bytes, as PostgreSQL's `encode(convert_to(x, 'UTF8'), 'hex')` prints.
pub fn hex(s: &str) -> String {
    s.bytes().map(|b| format!("{b:02x}")).collect()
}
