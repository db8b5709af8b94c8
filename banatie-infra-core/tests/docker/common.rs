//! The harness of the Docker integration tests: a test stack per test (unique names, a
//! temporary deployment root, its own proxy network), removed again on drop.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use banatie_infra_core::docker::{self, Engine, Plan, UpOptions};
use banatie_infra_core::{bundle, diagnostic, load, render, secrets, validate, Spec};

/// The test stack's spec, with `@P@` (the unique prefix) and `@ROOT@` (the root).
pub const TEMPLATE: &str = include_str!("../fixtures/docker/stack.yaml");

/// The stack label the renderer puts on every container.
pub const STACK_LABEL: &str = banatie_infra_core::render::label::STACK;

/// Runs a program; never panics on a non-zero exit.
pub fn run(program: &str, args: &[&str]) -> Output {
    Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program}: {e}"))
}

/// Runs a program and returns its trimmed stdout; panics with its stderr on failure.
pub fn run_ok(program: &str, args: &[&str]) -> String {
    let out = run(program, args);
    assert!(
        out.status.success(),
        "`{program} {}` failed ({}): {}{}",
        args.join(" "),
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// `docker ARGS`, stdout trimmed; panics on failure.
pub fn docker_ok(args: &[&str]) -> String {
    run_ok("docker", args)
}

/// Fails loudly when the engine is not there: these tests never skip.
pub fn require_engine() {
    let out = run("docker", &["info", "--format", "{{.ServerVersion}}"]);
    assert!(
        out.status.success(),
        "the Docker integration tests need a running Docker engine (and the images of \
         testimages/build.sh): `docker info` failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    for image in [
        "banatie-test/postgres:15",
        "banatie-test/http:1",
        "banatie-test/job:1",
        "banatie-test/s3:1",
    ] {
        assert!(
            run("docker", &["image", "inspect", image]).status.success(),
            "image {image} is missing: run `sudo testimages/build.sh` first"
        );
    }
}

/// Connects to the engine or fails the test.
pub async fn engine() -> Engine {
    Engine::connect()
        .await
        .unwrap_or_else(|e| panic!("the Docker integration tests need the engine: {e}"))
}

/// A name prefix unique to this test run: `bi-<tag>-<hex>`.
pub fn unique(tag: &str) -> String {
    use std::time::{SystemTime, UNIX_EPOCH};
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let mix = (u64::from(nanos) ^ (u64::from(std::process::id()) << 20)) & 0xff_ffff;
    format!("bi-{tag}-{mix:06x}")
}

/// One test stack: its prefix, root, spec and proxy network. Dropping it removes every
/// container labelled with it or named with its prefix, its networks and its root.
pub struct Stack {
    /// `bi-<tag>-<hex>`: the stack name and the prefix of every service and network.
    pub prefix: String,
    /// The deployment root.
    pub dir: tempfile::TempDir,
    /// The spec as loaded.
    pub spec: Spec,
    /// The spec file (in the root).
    pub spec_path: PathBuf,
    yaml: String,
}

impl Stack {
    /// The fixture stack, unchanged.
    pub fn new(tag: &str) -> Self {
        Self::with(tag, |y| y.to_owned())
    }

    /// The fixture stack with the YAML edited by `edit` (given the text with the prefix
    /// and root already substituted).
    pub fn with(tag: &str, edit: impl FnOnce(&str) -> String) -> Self {
        require_engine();
        let prefix = unique(tag);
        let dir = tempfile::Builder::new()
            .prefix(&format!("{prefix}-"))
            .tempdir_in("/tmp")
            .expect("a temporary root");
        docker_ok(&[
            "network",
            "create",
            "--label",
            &format!("io.banatie-infra.test={prefix}"),
            &format!("{prefix}-proxy"),
        ]);
        let yaml = TEMPLATE
            .replace("@P@", &prefix)
            .replace("@ROOT@", &dir.path().display().to_string());
        let spec_path = dir.path().join("spec.yaml");
        let placeholder = load::load_str(&yaml, load::Format::Yaml, "stack.yaml")
            .expect("the fixture loads")
            .spec;
        let mut s = Stack {
            prefix,
            dir,
            spec: placeholder,
            spec_path,
            yaml: String::new(),
        };
        let edited = edit(&yaml);
        s.set_yaml(edited);
        s
    }

    /// The deployment root.
    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    /// Writes a new spec, checks it validates without errors, renders it into the root and
    /// completes `secrets.env` (the same steps as `render` + `secrets`).
    pub fn set_yaml(&mut self, yaml: String) {
        std::fs::write(&self.spec_path, &yaml).expect("write the spec");
        let loaded = load::load_path(&self.spec_path)
            .unwrap_or_else(|e| panic!("the test spec does not load: {e}\n{yaml}"));
        let findings = validate::validate(&loaded.spec);
        assert!(
            !diagnostic::has_errors(&findings),
            "the test spec must validate: {findings:#?}"
        );
        let b = render::render(&loaded.spec).expect("the test spec renders");
        bundle::write(&b, self.root()).expect("the bundle is written");
        let report = secrets::ensure(&loaded.spec, self.root()).expect("secrets.env");
        assert!(report.missing.is_empty(), "{:?}", report.missing);
        self.spec = loaded.spec;
        self.yaml = yaml;
    }

    /// Edits the spec's YAML text (see [`Stack::set_yaml`]).
    pub fn edit(&mut self, f: impl FnOnce(&str) -> String) {
        let y = f(&self.yaml);
        assert_ne!(y, self.yaml, "the edit changed nothing");
        self.set_yaml(y);
    }

    /// The full name of service `short` (`api`, `web`, `db`, `s3`, `job`).
    pub fn svc(&self, short: &str) -> String {
        format!("{}-{short}", self.prefix)
    }

    /// The proxy network's name.
    pub fn proxy(&self) -> String {
        format!("{}-proxy", self.prefix)
    }

    /// The internal network's name.
    pub fn internal(&self) -> String {
        format!("{}-internal", self.prefix)
    }

    /// `docker inspect -f FORMAT <service>`.
    pub fn inspect(&self, short: &str, format: &str) -> String {
        docker_ok(&["inspect", "-f", format, &self.svc(short)])
    }

    /// The container ID and start time of service `short`.
    pub fn identity(&self, short: &str) -> (String, String) {
        let s = self.inspect(short, "{{.Id}} {{.State.StartedAt}}");
        let (id, at) = s.split_once(' ').expect("id and time");
        (id.to_owned(), at.to_owned())
    }

    /// `up` with a timeout per service; panics with the error.
    pub async fn up(&self, engine: &Engine) -> Plan {
        self.try_up(engine, Duration::from_secs(120))
            .await
            .unwrap_or_else(|e| panic!("up failed: {e}"))
    }

    /// `up` with the given timeout per service.
    pub async fn try_up(
        &self,
        engine: &Engine,
        timeout: Duration,
    ) -> Result<Plan, docker::UpError> {
        let opts = UpOptions {
            timeout,
            build: false,
            pull: docker::PullPolicy::Never,
            ..UpOptions::default()
        };
        docker::up(engine, &self.spec, self.root(), &opts, &|_| {}).await
    }

    /// `psql -At -c SQL` in the database container, as the stack's user.
    pub fn psql(&self, sql: &str) -> String {
        docker_ok(&[
            "exec",
            &self.svc("db"),
            "psql",
            "-v",
            "ON_ERROR_STOP=1",
            "-U",
            "app_user",
            "-d",
            "app_db",
            "-At",
            "-c",
            sql,
        ])
    }

    /// The IDs of every container labelled with this stack.
    pub fn labelled_containers(&self) -> Vec<String> {
        let out = docker_ok(&[
            "ps",
            "-aq",
            "--no-trunc",
            "--filter",
            &format!("label={STACK_LABEL}={}", self.prefix),
        ]);
        out.lines().map(ToOwned::to_owned).collect()
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        let mut ids: Vec<String> = Vec::new();
        for filter in [
            format!("label={STACK_LABEL}={}", self.prefix),
            format!("name=^/{}-", self.prefix),
        ] {
            let out = run("docker", &["ps", "-aq", "--filter", &filter]);
            ids.extend(
                String::from_utf8_lossy(&out.stdout)
                    .lines()
                    .map(ToOwned::to_owned),
            );
        }
        ids.sort();
        ids.dedup();
        if !ids.is_empty() {
            let mut args = vec!["rm", "-f", "-v"];
            args.extend(ids.iter().map(String::as_str));
            run("docker", &args);
        }
        run(
            "docker",
            &["network", "rm", &self.internal(), &self.proxy()],
        );
        // Nothing may stay mounted under the root before it is removed.
        if let Ok(mounts) = std::fs::read_to_string("/proc/self/mounts") {
            let root = self.root().display().to_string();
            for line in mounts.lines() {
                if let Some(point) = line.split(' ').nth(1) {
                    if point.starts_with(&root) {
                        run("umount", &["-l", point]);
                    }
                }
            }
        }
    }
}

/// A tmpfs mounted on a directory for the duration of a check (unmounted on drop).
pub struct TmpfsMount(PathBuf);

impl TmpfsMount {
    /// `mount -t tmpfs -o OPTIONS tmpfs DIR` (creating DIR). Needs root.
    pub fn new(dir: &Path, options: &str) -> Self {
        std::fs::create_dir_all(dir).expect("mount point");
        let d = dir.display().to_string();
        run_ok("mount", &["-t", "tmpfs", "-o", options, "tmpfs", &d]);
        Self(dir.to_owned())
    }
}

impl Drop for TmpfsMount {
    fn drop(&mut self) {
        run("umount", &[&self.0.display().to_string()]);
    }
}

/// The names in a directory, sorted (empty when it does not exist).
pub fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = match std::fs::read_dir(dir) {
        Ok(rd) => rd
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .collect(),
        Err(_) => Vec::new(),
    };
    names.sort();
    names
}

/// Asserts that a backup directory holds only completed backups and their sidecars.
pub fn assert_only_completed(dir: &Path) {
    for n in listing(dir) {
        assert!(
            !n.starts_with('.') && !n.ends_with(".partial"),
            "a leftover temporary file in {}: {n} (all: {:?})",
            dir.display(),
            listing(dir)
        );
        assert!(
            n.ends_with(".dump")
                || n.ends_with(".tar")
                || n.ends_with(".sha256")
                || n == "lost+found",
            "unexpected file {n} in {}",
            dir.display()
        );
    }
}

/// The SHA-256 of a file, lowercase hex.
pub fn sha256_hex(path: &Path) -> String {
    use sha2::{Digest, Sha256};
    let bytes = std::fs::read(path).expect("read");
    Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Fills the stack's database with table `items` until it is at least `bytes` large;
/// returns the row count.
pub fn fill_database(stack: &Stack, bytes: u64) -> u64 {
    stack.psql("CREATE TABLE IF NOT EXISTS items (id bigint NOT NULL, a text, b text)");
    let mut rows: u64 = stack.psql("SELECT count(*) FROM items").parse().unwrap();
    loop {
        let size: u64 = stack
            .psql("SELECT pg_database_size(current_database())")
            .parse()
            .unwrap();
        if size >= bytes {
            return rows;
        }
        // ~108 bytes a row on disk: enough rows for the rest, at most 2 M at a time.
        let batch = ((bytes - size) / 100 + 1000).min(2_000_000);
        stack.psql(&format!(
            "INSERT INTO items SELECT g, md5(g::text), md5((g * 7)::text) \
             FROM generate_series({}, {}) g",
            rows + 1,
            rows + batch
        ));
        rows += batch;
    }
}

/// The fixture's text up to its `services:` (stack, proxy, networks) and the stack's
/// name: the start of a test's own spec.
pub fn fixture_head(fixture: &str) -> (String, String) {
    let head = &fixture[..fixture
        .find("\nservices:")
        .expect("the fixture has services")];
    let prefix = head
        .lines()
        .find_map(|l| l.trim().strip_prefix("name: \""))
        .and_then(|l| l.strip_suffix('"'))
        .expect("the stack's name");
    (head.to_owned(), prefix.to_owned())
}
