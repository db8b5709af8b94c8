//! Conformance: every rendered artifact is checked by the real program that consumes it
//! (DESIGN.md, "Real consumers check every artifact"):
//!
//! | artifact | checked by |
//! | --- | --- |
//! | `docker-compose.yml` | the Compose JSON Schema (`check-jsonschema`), `docker compose config` |
//! | `caddy/Caddyfile` | `caddy adapt --validate`, `caddy fmt` |
//! | `scripts/init-db.sql` | a real PostgreSQL 15 cluster (`initdb`, `pg_ctl`, `psql`) |
//! | `scripts/**/*.sh` | `shellcheck -s sh`, `sh -n` |
//! | `.env`, `secrets.env` | Compose's own env-file parser, through `docker compose config` |
//! | `envfile::parse` (how `secrets` reads `secrets.env` back) | the same parser |
//!
//! The artifact tests run against the bundle of every spec in `examples/` (found by
//! listing the directory, skipping nothing); the env round trips use specs and env files
//! written here, with values chosen to break naive quoting. A test whose tool is missing
//! fails with a message naming the install script: it never passes silently. The tools
//! are installed by `scripts/install-test-deps.sh` (CI runs it before the tests).
//!
//! Failures print the tool's command line, exit status, stdout and stderr.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::net::TcpListener;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use banatie_infra_core::diagnostic::render_json;
use banatie_infra_core::load::{self, Format};
use banatie_infra_core::render::{self, quote, Bundle, RenderError};
use banatie_infra_core::secrets;
use banatie_infra_core::spec::{self, HeaderPreset, JobTask, Service, Spec};
use serde_json::Value;
use tempfile::TempDir;

const EXAMPLES_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples");
const PG_BIN: &str = "/usr/lib/postgresql/15/bin";
const INSTALL_HINT: &str = "install it with scripts/install-test-deps.sh";

// ---------------------------------------------------------------------------------------
// Tools
// ---------------------------------------------------------------------------------------

/// The path of `tool` (a name looked up in `PATH`, or an absolute path). Panics when it is
/// missing: a conformance test never passes without its consumer.
fn require(tool: &str) -> PathBuf {
    let executable = |p: &Path| {
        fs::metadata(p)
            .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
            .unwrap_or(false)
    };
    if tool.contains('/') {
        let p = PathBuf::from(tool);
        assert!(
            executable(&p),
            "required tool `{tool}` is missing or not executable: {INSTALL_HINT}"
        );
        return p;
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&path) {
        let p = dir.join(tool);
        if executable(&p) {
            return p;
        }
    }
    panic!(
        "required tool `{tool}` is not in PATH ({}): {INSTALL_HINT}",
        path.to_string_lossy()
    );
}

/// `docker` with the Compose v2 plugin (`docker compose`, not the v1 `docker-compose`).
fn require_compose_v2() -> PathBuf {
    let docker = require("docker");
    let out = Command::new(&docker)
        .args(["compose", "version", "--short"])
        .output()
        .unwrap_or_else(|e| panic!("cannot run `docker compose version`: {e}: {INSTALL_HINT}"));
    let version = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    assert!(
        out.status.success() && version.trim_start_matches('v').starts_with("2."),
        "required tool `docker compose` (Compose v2 CLI plugin) is missing or not v2 \
         (version output {version:?}, stderr {:?}): {INSTALL_HINT}",
        String::from_utf8_lossy(&out.stderr)
    );
    docker
}

/// Runs `cmd` to completion with stdin closed, capturing its output.
fn run(cmd: &mut Command) -> Output {
    cmd.stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"))
}

/// A command and its outcome, for failure messages.
fn describe(cmd: &Command, out: &Output) -> String {
    format!(
        "command: {cmd:?}\nstatus: {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Runs `cmd` and panics with its output unless it exits 0.
fn run_ok(cmd: &mut Command) -> Output {
    let out = run(cmd);
    assert!(out.status.success(), "{}", describe(cmd, &out));
    out
}

/// Failures gathered over every spec of a test, reported together so one bad example
/// does not hide another.
#[derive(Default)]
struct Failures(Vec<String>);

impl Failures {
    fn check(&mut self, ok: bool, msg: impl FnOnce() -> String) {
        if !ok {
            self.0.push(msg());
        }
    }

    fn push(&mut self, msg: String) {
        self.0.push(msg);
    }

    fn finish(self, test: &str) {
        assert!(
            self.0.is_empty(),
            "{test}: {} failure(s):\n\n{}",
            self.0.len(),
            self.0.join("\n\n")
        );
    }
}

// ---------------------------------------------------------------------------------------
// Specs and bundles
// ---------------------------------------------------------------------------------------

/// Every spec file in `examples/` (`*.yaml`, `*.yml`, `*.toml`, `*.json`), sorted.
fn examples() -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = fs::read_dir(EXAMPLES_DIR)
        .unwrap_or_else(|e| panic!("cannot list {EXAMPLES_DIR}: {e}"))
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.is_file() && Format::from_path(p).is_some())
        .collect();
    out.sort();
    assert!(!out.is_empty(), "no spec files in {EXAMPLES_DIR}");
    out
}

fn short(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

fn load_file(path: &Path) -> Spec {
    match load::load_path(path) {
        Ok(l) => l.spec,
        Err(e) => panic!(
            "{}: cannot load: {e}\n{:#?}",
            path.display(),
            e.to_diagnostic()
        ),
    }
}

fn load_yaml(text: &str, name: &str) -> Spec {
    match load::load_str(text, Format::Yaml, name) {
        Ok(l) => l.spec,
        Err(e) => panic!(
            "{name}: cannot load: {e}\n{:#?}\n--- spec ---\n{text}",
            e.to_diagnostic()
        ),
    }
}

fn render_spec(spec: &Spec, name: &str) -> Bundle {
    match render::render(spec) {
        Ok(b) => b,
        Err(RenderError::Invalid(diags)) => {
            panic!(
                "{name}: the spec does not validate:\n{}",
                render_json(&diags)
            )
        }
        Err(e) => panic!("{name}: render failed: {e}"),
    }
}

/// Every example, loaded and rendered: (file name, spec, bundle).
fn rendered_examples() -> Vec<(String, Spec, Bundle)> {
    examples()
        .into_iter()
        .map(|p| {
            let name = short(&p);
            let spec = load_file(&p);
            let bundle = render_spec(&spec, &name);
            (name, spec, bundle)
        })
        .collect()
}

/// Writes `bundle` to a new temporary directory with the library's own writer.
fn write_bundle(bundle: &Bundle) -> TempDir {
    let dir = tempfile::Builder::new()
        .prefix("banatie-conformance-")
        .tempdir()
        .expect("temporary directory");
    banatie_infra_core::bundle::write(bundle, dir.path()).expect("bundle writes");
    dir
}

fn text<'a>(bundle: &'a Bundle, path: &str, spec: &str) -> &'a str {
    bundle
        .text(path)
        .unwrap_or_else(|| panic!("{spec}: the bundle has no UTF-8 file {path}"))
}

// ---------------------------------------------------------------------------------------
// Compose
// ---------------------------------------------------------------------------------------

/// `docker compose config --format json` of the deployment in `dir`, in a clean
/// environment (no `COMPOSE_*` or secret variables leak in from the caller). Panics on a
/// non-zero exit or on any warning, in particular an unset variable
/// ("The \"X\" variable is not set. Defaulting to a blank string.").
fn compose_config(dir: &Path, what: &str) -> Value {
    try_compose_config(dir).unwrap_or_else(|e| panic!("{what}: {e}"))
}

/// [`compose_config`], returning the failure instead of panicking.
fn try_compose_config(dir: &Path) -> Result<Value, String> {
    let docker = require_compose_v2();
    let mut cmd = Command::new(docker);
    cmd.env_clear();
    for keep in ["PATH", "HOME", "DOCKER_CONFIG", "DOCKER_HOST"] {
        if let Some(v) = std::env::var_os(keep) {
            cmd.env(keep, v);
        }
    }
    cmd.arg("compose")
        .arg("--project-directory")
        .arg(dir)
        .arg("-f")
        .arg(dir.join(render::COMPOSE_FILE))
        .args(["config", "--format", "json"]);
    let out = run(&mut cmd);
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        return Err(format!(
            "docker compose config failed\n{}",
            describe(&cmd, &out)
        ));
    }
    for bad in [
        "is not set",
        "Defaulting to a blank string",
        "WARN",
        "level=warning",
    ] {
        if stderr.contains(bad) {
            return Err(format!(
                "docker compose config warns ({bad:?})\n{}",
                describe(&cmd, &out)
            ));
        }
    }
    serde_json::from_slice(&out.stdout).map_err(|e| {
        format!(
            "docker compose config printed no JSON: {e}\n{}",
            describe(&cmd, &out)
        )
    })
}

/// Undoes the one transformation `docker compose config` applies to values in its
/// output: it writes the model back as a Compose file, so every literal `$` of a value is
/// escaped as `$$` (measured with Compose 2.26: the value `a$b` read from an env file is
/// printed as `"a$$b"`, `$$` as `"$$$$"`, `${X}` as `"$${X}"`). A lone `$` in the output
/// would mean Compose left an interpolation in the value: that is an error, not undone.
fn undo_compose_dollar(s: &str) -> Result<String, String> {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '$' && chars.next() != Some('$') {
            return Err(format!("lone `$` in compose output {s:?}"));
        }
        out.push(c);
    }
    Ok(out)
}

/// The effective environment of `service` in `docker compose config` JSON, with `$`
/// unescaped. A variable without a value (JSON null) maps to `None`.
fn service_env(config: &Value, service: &str, what: &str) -> BTreeMap<String, Option<String>> {
    let svc = config
        .pointer(&format!(
            "/services/{}",
            service.replace('~', "~0").replace('/', "~1")
        ))
        .unwrap_or_else(|| panic!("{what}: no service `{service}` in compose config"));
    let Some(env) = svc.get("environment") else {
        return BTreeMap::new();
    };
    env.as_object()
        .unwrap_or_else(|| panic!("{what}: services.{service}.environment is not a map: {env}"))
        .iter()
        .map(|(k, v)| {
            let v =
                match v {
                    Value::Null => None,
                    Value::String(s) => Some(undo_compose_dollar(s).unwrap_or_else(|e| {
                        panic!("{what}: services.{service}.environment.{k}: {e}")
                    })),
                    other => panic!("{what}: services.{service}.environment.{k} is {other}"),
                };
            (k.clone(), v)
        })
        .collect()
}

/// Reads one variable of `dir/secrets.env` with the library's reader.
fn secret(dir: &Path, name: &str) -> Option<String> {
    secrets::read_value(dir, name).unwrap_or_else(|e| panic!("reading {name}: {e}"))
}

/// Sets `name` in `dir/secrets.env` to `value` (quoted with `quote::env_value`): replaces
/// its line (`ensure` writes `NAME=` for a missing supplied secret) or appends one. The
/// file keeps its mode 0600.
fn set_secret(dir: &Path, name: &str, value: &str) {
    let path = dir.join(render::SECRETS_FILE);
    let old = fs::read_to_string(&path).unwrap_or_default();
    let line = format!("{name}={}", quote::env_value(value));
    let prefix = format!("{name}=");
    let mut replaced = false;
    let mut lines: Vec<String> = old
        .lines()
        .map(|l| {
            if l.starts_with(&prefix) && !replaced {
                replaced = true;
                line.clone()
            } else {
                l.to_owned()
            }
        })
        .collect();
    if !replaced {
        lines.push(line);
    }
    let mut new = lines.join("\n");
    new.push('\n');
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    f.write_all(new.as_bytes()).expect("write secrets.env");
    let mode = fs::metadata(&path)
        .expect("secrets.env")
        .permissions()
        .mode()
        & 0o7777;
    assert_eq!(mode, 0o600, "{} lost its mode 0600", path.display());
}

/// `secrets::ensure`, then a test value for every supplied secret it reports missing,
/// then `ensure` again so derived values are computed from them. Returns the test values.
fn complete_secrets(spec: &Spec, dir: &Path, what: &str) -> BTreeMap<String, String> {
    let first = secrets::ensure(spec, dir).unwrap_or_else(|e| panic!("{what}: ensure: {e}"));
    let mut supplied = BTreeMap::new();
    for (name, _) in &first.missing {
        // Deliberately awkward: quotes, `$`, `#`, a backslash, spaces.
        let value = format!("supplied {name} it's $HOME \"q\" #x \\ end");
        set_secret(dir, name, &value);
        supplied.insert(name.clone(), value);
    }
    let second = secrets::ensure(spec, dir).unwrap_or_else(|e| panic!("{what}: ensure: {e}"));
    assert!(
        second.missing.is_empty(),
        "{what}: secrets still missing after filling them: {:?}",
        second.missing
    );
    let mode = fs::metadata(dir.join(render::SECRETS_FILE))
        .expect("secrets.env exists")
        .permissions()
        .mode()
        & 0o7777;
    assert_eq!(mode, 0o600, "{what}: secrets.env has mode {mode:o}");
    supplied
}

/// RFC 3986 unreserved characters: the only ones a percent-encoded password may keep.
fn unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

/// Percent-encodes every byte but the unreserved ones (independent of the library's
/// encoder).
fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if unreserved(b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn percent_decode(s: &str) -> Result<String, String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s
                .get(i + 1..i + 3)
                .ok_or_else(|| format!("truncated escape at {i}"))?;
            out.push(u8::from_str_radix(hex, 16).map_err(|e| format!("bad escape %{hex}: {e}"))?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|e| e.to_string())
}

/// Checks that `url` is `postgresql://USER:PASSWORD@HOST:5432/DATABASE` with the password
/// percent-encoded.
fn check_database_url(
    url: &str,
    user: &str,
    password: &str,
    host: &str,
    database: &str,
) -> Result<(), String> {
    let rest = url
        .strip_prefix("postgresql://")
        .ok_or("does not start with postgresql://")?;
    let (authority, path) = rest.split_once('/').ok_or("no path")?;
    let (userinfo, hostport) = authority
        .rsplit_once('@')
        .ok_or("no `@` between userinfo and host")?;
    if userinfo.contains('@') {
        return Err("a raw `@` in the userinfo".into());
    }
    let (u, p) = userinfo.split_once(':').ok_or("no `:` in the userinfo")?;
    if p.contains(':') {
        return Err("a raw `:` in the password".into());
    }
    if let Some(c) = p
        .chars()
        .find(|c| matches!(c, '/' | '+' | '=' | '?' | '#' | ' '))
    {
        return Err(format!("a raw `{c}` in the password part"));
    }
    if let Some(b) = p.bytes().find(|&b| !(unreserved(b) || b == b'%')) {
        return Err(format!(
            "a byte {:?} that is neither unreserved nor an escape",
            b as char
        ));
    }
    if u != user {
        return Err(format!("user {u:?}, expected {user:?}"));
    }
    let decoded = percent_decode(p)?;
    if decoded != password {
        return Err("the password decodes to a different value than the secret".into());
    }
    if p != percent_encode(password) {
        return Err("the password part is not the percent-encoding of the secret".into());
    }
    if hostport != format!("{host}:5432") {
        return Err(format!("host {hostport:?}, expected {host}:5432"));
    }
    if path != database {
        return Err(format!("database {path:?}, expected {database:?}"));
    }
    Ok(())
}

/// The checks of [`compose_config_has_no_unset_variable_warning`] on one deployment
/// directory whose `secrets.env` is complete.
fn check_compose_environment(spec: &Spec, dir: &Path, what: &str, f: &mut Failures) {
    let config = compose_config(dir, what);
    let get = |env: &BTreeMap<String, Option<String>>, k: &str| env.get(k).cloned().flatten();
    let mut envs = BTreeMap::new();
    for name in spec.services.keys() {
        let env = service_env(&config, name.as_str(), what);
        for (k, v) in &env {
            f.check(v.as_deref().is_some_and(|v| !v.is_empty()), || {
                format!("{what}: services.{name}.environment.{k} is empty or unset ({v:?})")
            });
        }
        envs.insert(name.to_string(), env);
    }
    for (name, svc) in &spec.services {
        let env = &envs[name.as_str()];
        match svc {
            Service::Postgres(pg) => {
                let expected = secret(dir, spec::POSTGRES_PASSWORD);
                f.check(expected.as_deref().is_some_and(|v| !v.is_empty()), || {
                    format!(
                        "{what}: secrets.env has no value for {}",
                        spec::POSTGRES_PASSWORD
                    )
                });
                // The official image reads exactly POSTGRES_PASSWORD (docker-entrypoint.sh).
                f.check(
                    get(env, "POSTGRES_PASSWORD").is_some() && get(env, "POSTGRES_PASSWORD") == expected,
                    || {
                        format!(
                            "{what}: service `{name}` gets no POSTGRES_PASSWORD equal to secrets.env's {} \
                             (the image refuses to initialise without it); its variables: {:?}",
                            spec::POSTGRES_PASSWORD,
                            env.keys().collect::<Vec<_>>()
                        )
                    },
                );
                f.check(
                    get(env, "POSTGRES_USER").as_deref() == Some(pg.user.as_str()),
                    || {
                        format!(
                            "{what}: service `{name}` POSTGRES_USER is {:?}",
                            get(env, "POSTGRES_USER")
                        )
                    },
                );
                f.check(
                    get(env, "POSTGRES_DB").as_deref() == Some(pg.database.as_str()),
                    || {
                        format!(
                            "{what}: service `{name}` POSTGRES_DB is {:?}",
                            get(env, "POSTGRES_DB")
                        )
                    },
                );
            }
            Service::Minio(m) => {
                let expected = secret(dir, spec::MINIO_ROOT_PASSWORD);
                // MinIO reads exactly MINIO_ROOT_USER and MINIO_ROOT_PASSWORD.
                f.check(
                    get(env, "MINIO_ROOT_PASSWORD").is_some() && get(env, "MINIO_ROOT_PASSWORD") == expected,
                    || {
                        format!(
                            "{what}: service `{name}` gets no MINIO_ROOT_PASSWORD equal to secrets.env's {}; \
                             its variables: {:?}",
                            spec::MINIO_ROOT_PASSWORD,
                            env.keys().collect::<Vec<_>>()
                        )
                    },
                );
                f.check(
                    get(env, "MINIO_ROOT_USER").as_deref() == Some(m.root_user.as_str()),
                    || {
                        format!(
                            "{what}: service `{name}` MINIO_ROOT_USER is {:?}",
                            get(env, "MINIO_ROOT_USER")
                        )
                    },
                );
            }
            Service::Job(job) => {
                if let JobTask::StorageInit { minio } = &job.task {
                    if let Some(Service::Minio(m)) = spec.services.get(minio) {
                        // init.sh runs under `sh -eu` and reads these by name.
                        for var in [
                            "MINIO_ROOT_USER",
                            spec::MINIO_ROOT_PASSWORD,
                            m.service_account.access_key_env.as_str(),
                            m.service_account.secret_key_secret.as_str(),
                        ] {
                            f.check(get(env, var).is_some_and(|v| !v.is_empty()), || {
                                format!(
                                    "{what}: job `{name}` (init.sh under `sh -eu`) has no {var}"
                                )
                            });
                        }
                        f.check(
                            get(env, m.service_account.access_key_env.as_str()).as_deref()
                                == Some(m.service_account.access_key.as_str()),
                            || format!("{what}: job `{name}` has the wrong access key"),
                        );
                    }
                }
            }
            // The services running the user's program get the database URL they name
            // under `secrets`, and it reaches the database.
            Service::App(_) | Service::Worker(_) | Service::Generic(_) => {
                for (pg_name, pg_svc) in &spec.services {
                    let Service::Postgres(pg) = pg_svc else {
                        continue;
                    };
                    if !svc.secrets().contains(&pg.url_env) {
                        continue;
                    }
                    let Some(url) = get(env, pg.url_env.as_str()) else {
                        f.push(format!("{what}: app `{name}` has no {}", pg.url_env));
                        continue;
                    };
                    let password = secret(dir, spec::POSTGRES_PASSWORD).unwrap_or_default();
                    if let Err(e) = check_database_url(
                        &url,
                        pg.user.as_str(),
                        &password,
                        pg_name.as_str(),
                        pg.database.as_str(),
                    ) {
                        // The URL holds a secret: say what is wrong, not the value.
                        f.push(format!("{what}: app `{name}` {}: {e}", pg.url_env));
                    }
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// 1. Compose schema
// ---------------------------------------------------------------------------------------

/// `docker-compose.yml` of every example validates against the Compose specification's
/// JSON Schema (the copy shipped inside `check-jsonschema`).
#[test]
fn compose_validates_against_the_compose_schema() {
    let tool = require("check-jsonschema");
    let mut f = Failures::default();
    for (name, _, bundle) in rendered_examples() {
        let dir = write_bundle(&bundle);
        let mut cmd = Command::new(&tool);
        cmd.args(["--builtin-schema", "vendor.compose-spec"])
            .arg(dir.path().join(render::COMPOSE_FILE));
        let out = run(&mut cmd);
        f.check(out.status.success(), || {
            format!(
                "{name}: docker-compose.yml does not validate\n{}",
                describe(&cmd, &out)
            )
        });
    }
    f.finish("compose_validates_against_the_compose_schema");
}

// ---------------------------------------------------------------------------------------
// 2. docker compose config
// ---------------------------------------------------------------------------------------

/// `docker compose config` reads the rendered stack with a completed `secrets.env`
/// without a warning; each image gets the variables it reads by name (PostgreSQL's
/// `POSTGRES_PASSWORD`, MinIO's `MINIO_ROOT_*`, the storage job's), every database URL
/// carries the percent-encoded password, and no variable is empty. Run twice per example:
/// with generated passwords, and with PostgreSQL passwords full of URL-special characters.
#[test]
fn compose_config_has_no_unset_variable_warning() {
    let mut f = Failures::default();
    for (name, spec, bundle) in rendered_examples() {
        // All generated.
        let dir = write_bundle(&bundle);
        complete_secrets(&spec, dir.path(), &name);
        check_compose_environment(
            &spec,
            dir.path(),
            &format!("{name} (generated secrets)"),
            &mut f,
        );

        // PostgreSQL passwords an operator might set by hand, kept by `ensure`.
        let has_pg = spec
            .services
            .values()
            .any(|s| matches!(s, Service::Postgres(_)));
        if has_pg {
            let dir = write_bundle(&bundle);
            set_secret(
                dir.path(),
                spec::POSTGRES_PASSWORD,
                "pa/ss+w=rd@host:1?x#y%20 'q' \"d\" $V \\ é",
            );
            complete_secrets(&spec, dir.path(), &name);
            check_compose_environment(
                &spec,
                dir.path(),
                &format!("{name} (URL-special password)"),
                &mut f,
            );
        }
    }
    f.finish("compose_config_has_no_unset_variable_warning");
}

// ---------------------------------------------------------------------------------------
// 3. Caddy
// ---------------------------------------------------------------------------------------

/// Every JSON object in `v`, depth first.
fn objects(v: &Value) -> Vec<&serde_json::Map<String, Value>> {
    let mut out = Vec::new();
    let mut stack = vec![v];
    while let Some(v) = stack.pop() {
        match v {
            Value::Object(m) => {
                out.push(m);
                stack.extend(m.values());
            }
            Value::Array(a) => stack.extend(a),
            _ => {}
        }
    }
    out
}

fn strings(v: Option<&Value>) -> Vec<String> {
    let mut out: Vec<String> = v
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

/// The top-level route of the adapted config whose host matcher is exactly `domains`.
fn site_route<'a>(config: &'a Value, domains: &[String]) -> Option<&'a Value> {
    let mut want: Vec<String> = domains.to_vec();
    want.sort();
    let servers = config.pointer("/apps/http/servers")?.as_object()?;
    servers
        .values()
        .filter_map(|s| s.get("routes")?.as_array())
        .flatten()
        .find(|r| {
            r.get("match")
                .and_then(Value::as_array)
                .is_some_and(|ms| ms.iter().any(|m| strings(m.get("host")) == want))
        })
}

/// Whether `route` (recursively) holds a route that answers 405 to every method but
/// `methods`: a matcher `not: [{method: METHODS}]` with a `static_response` 405 handler.
fn rejects_other_methods(route: &Value, methods: &[String]) -> bool {
    let mut want = methods.to_vec();
    want.sort();
    objects(route).into_iter().any(|r| {
        let negated = r.get("match").and_then(Value::as_array).is_some_and(|ms| {
            ms.iter().any(|m| {
                m.get("not")
                    .and_then(Value::as_array)
                    .is_some_and(|nots| nots.iter().any(|n| strings(n.get("method")) == want))
            })
        });
        let answers_405 = r.get("handle").and_then(Value::as_array).is_some_and(|hs| {
            hs.iter().any(|h| {
                h.get("handler").and_then(Value::as_str) == Some("static_response")
                    && match h.get("status_code") {
                        Some(Value::Number(n)) => n.as_u64() == Some(405),
                        Some(Value::String(s)) => s == "405",
                        _ => false,
                    }
            })
        });
        negated && answers_405
    })
}

/// The values of response header `name` set anywhere in `route`.
fn response_header(route: &Value, name: &str) -> Vec<String> {
    objects(route)
        .into_iter()
        .filter(|o| o.get("handler").and_then(Value::as_str) == Some("headers"))
        .filter_map(|o| o.get("response")?.get("set")?.get(name))
        .flat_map(|v| strings(Some(v)))
        .collect()
}

fn dials(route: &Value) -> Vec<String> {
    objects(route)
        .into_iter()
        .filter(|o| o.get("handler").and_then(Value::as_str) == Some("reverse_proxy"))
        .filter_map(|o| o.get("upstreams")?.as_array())
        .flatten()
        .filter_map(|u| u.get("dial")?.as_str().map(str::to_owned))
        .collect()
}

/// `caddy/Caddyfile` adapts (and validates) on Caddy, alone and imported from a main
/// Caddyfile as the shared Caddy does; `caddy fmt` leaves it unchanged; the adapted JSON
/// routes each site to its upstream, answers 405 to methods a site does not allow, and
/// sends HSTS with `preload` on `web` sites.
#[test]
fn caddyfile_adapts_and_is_formatted() {
    let caddy = require("caddy");
    let home = TempDir::new().expect("temporary directory");
    let caddy_cmd = || {
        let mut c = Command::new(&caddy);
        // Caddy's storage and autosave go to a throwaway home.
        c.env("HOME", home.path())
            .env("XDG_DATA_HOME", home.path().join("data"))
            .env("XDG_CONFIG_HOME", home.path().join("config"));
        c
    };
    let mut f = Failures::default();
    let (mut method_checks, mut preload_checks) = (0, 0);
    for (name, spec, bundle) in rendered_examples() {
        let dir = write_bundle(&bundle);
        let file = dir.path().join(render::CADDYFILE);

        let mut fmt = caddy_cmd();
        fmt.arg("fmt").arg(&file);
        let out = run(&mut fmt);
        if !out.status.success() {
            f.push(format!(
                "{name}: caddy fmt failed\n{}",
                describe(&fmt, &out)
            ));
        } else if out.stdout != bundle.get(render::CADDYFILE).expect("Caddyfile").contents {
            let diff = similar::TextDiff::from_lines(
                text(&bundle, render::CADDYFILE, &name),
                &*String::from_utf8_lossy(&out.stdout),
            )
            .unified_diff()
            .header("rendered", "caddy fmt")
            .to_string();
            f.push(format!("{name}: caddy fmt changes the Caddyfile:\n{diff}"));
        }

        // Imported from a main Caddyfile, as the shared Caddy uses it.
        let main = dir.path().join("Caddyfile.main");
        fs::write(
            &main,
            format!(
                "{{\n\temail ops@example.invalid\n}}\n\nimport {}\n",
                file.display()
            ),
        )
        .expect("write main Caddyfile");
        for (label, config) in [("alone", &file), ("imported", &main)] {
            let mut adapt = caddy_cmd();
            adapt
                .args(["adapt", "--adapter", "caddyfile", "--validate", "--config"])
                .arg(config);
            let out = run(&mut adapt);
            let stderr = String::from_utf8_lossy(&out.stderr);
            if !out.status.success()
                || stderr.contains("\"level\":\"warn\"")
                || stderr.contains("\"level\":\"error\"")
            {
                f.push(format!(
                    "{name}: caddy adapt ({label}) failed or warned\n{}",
                    describe(&adapt, &out)
                ));
                continue;
            }
            if label == "imported" {
                continue;
            }
            let json: Value = match serde_json::from_slice(&out.stdout) {
                Ok(v) => v,
                Err(e) => {
                    f.push(format!(
                        "{name}: caddy adapt printed no JSON: {e}\n{}",
                        describe(&adapt, &out)
                    ));
                    continue;
                }
            };
            for site in &spec.sites {
                let domains: Vec<String> = site.domains.iter().map(ToString::to_string).collect();
                let Some(route) = site_route(&json, &domains) else {
                    f.push(format!(
                        "{name}: no route matches hosts {domains:?} in the adapted config"
                    ));
                    continue;
                };
                let port = site
                    .port
                    .or_else(|| {
                        spec.services
                            .get(&site.service)
                            .and_then(Service::main_port)
                    })
                    .map_or(80, |p| p.get());
                let upstream = format!("{}:{port}", site.service);
                f.check(dials(route) == [upstream.clone()], || {
                    format!(
                        "{name}: site {domains:?} proxies to {:?}, expected [{upstream}]",
                        dials(route)
                    )
                });
                if let Some(methods) = &site.methods {
                    method_checks += 1;
                    let methods: Vec<String> =
                        methods.iter().map(|m| m.as_str().to_owned()).collect();
                    f.check(rejects_other_methods(route, &methods), || {
                        format!(
                            "{name}: site {domains:?} does not answer 405 to methods other than {methods:?}; route:\n{}",
                            serde_json::to_string_pretty(route).unwrap_or_default()
                        )
                    });
                }
                if site.security_headers == HeaderPreset::Web {
                    preload_checks += 1;
                    let hsts = response_header(route, "Strict-Transport-Security");
                    f.check(hsts.len() == 1 && hsts[0].contains("preload"), || {
                        format!("{name}: web site {domains:?} sends Strict-Transport-Security {hsts:?}, expected one value with `preload`")
                    });
                }
            }
            if name == "banatie.yaml" {
                let cdn = site_route(&json, &["cdn.banatie.app".to_owned()]);
                f.check(
                    cdn.is_some_and(|r| {
                        rejects_other_methods(r, &["GET".into(), "HEAD".into(), "OPTIONS".into()])
                    }),
                    || format!("{name}: cdn.banatie.app does not reject methods other than GET, HEAD, OPTIONS"),
                );
                let landing = site_route(
                    &json,
                    &["banatie.app".to_owned(), "www.banatie.app".to_owned()],
                );
                f.check(
                    landing.is_some_and(|r| {
                        response_header(r, "Strict-Transport-Security")
                            .iter()
                            .any(|v| v.contains("preload"))
                    }),
                    || format!("{name}: the landing site does not send HSTS with preload"),
                );
            }
        }
    }
    f.check(method_checks > 0 && preload_checks > 0, || {
        format!("no example exercises `methods` ({method_checks}) or `security_headers: web` ({preload_checks})")
    });
    f.finish("caddyfile_adapts_and_is_formatted");
}

// ---------------------------------------------------------------------------------------
// 4. PostgreSQL
// ---------------------------------------------------------------------------------------

fn is_root() -> bool {
    let out = run(Command::new(require("id")).arg("-u"));
    String::from_utf8_lossy(&out.stdout).trim() == "0"
}

/// A throwaway PostgreSQL 15 cluster: data and socket directory in a temporary directory,
/// TCP on 127.0.0.1 at a free port, trust authentication. Stopped on drop (also when the
/// test panics), before the directory is removed.
struct Cluster {
    dir: TempDir,
    port: u16,
    as_root: bool,
    started: bool,
}

impl Cluster {
    /// A command for a server binary, run as `postgres` when we are root (initdb refuses
    /// root).
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

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn log(&self) -> String {
        fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }

    fn start() -> Cluster {
        let as_root = is_root();
        let dir = tempfile::Builder::new()
            .prefix("banatie-pg-")
            .tempdir()
            .expect("temporary directory");
        if as_root {
            let id = |flag: &str| -> u32 {
                let out = run_ok(Command::new(require("id")).args([flag, "postgres"]));
                String::from_utf8_lossy(&out.stdout)
                    .trim()
                    .parse()
                    .expect("numeric id")
            };
            std::os::unix::fs::chown(dir.path(), Some(id("-u")), Some(id("-g")))
                .expect("chown the cluster directory to postgres");
        }
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let mut c = Cluster {
            dir,
            port,
            as_root,
            started: false,
        };
        let mut initdb = c.server_cmd("initdb");
        initdb.arg("-D").arg(c.data()).args([
            "--auth=trust",
            "--username=postgres",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
        ]);
        run_ok(&mut initdb);
        let mut pg_ctl = c.server_cmd("pg_ctl");
        pg_ctl
            .arg("-D")
            .arg(c.data())
            .arg("-l")
            .arg(c.dir.path().join("server.log"))
            .args(["-w", "-t", "60", "-o"])
            .arg(format!(
                "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
                c.dir.path().display()
            ))
            .arg("start");
        let out = run(&mut pg_ctl);
        // From here on, stop it on drop even if start reported a failure half way.
        c.started = true;
        assert!(
            out.status.success(),
            "pg_ctl start failed\n{}\n--- server.log ---\n{}",
            describe(&pg_ctl, &out),
            c.log()
        );
        c
    }

    /// `psql` as `user` on `db` over TCP, `sql` through `-c`, stopping at the first error.
    fn psql(&self, user: &str, db: &str, sql: &str) -> (Command, Output) {
        let mut cmd = self.psql_cmd(user, db);
        cmd.arg("-c").arg(sql);
        let out = run(&mut cmd);
        (cmd, out)
    }

    fn psql_cmd(&self, user: &str, db: &str) -> Command {
        let mut cmd = Command::new(require("psql"));
        for var in [
            "PGHOST",
            "PGPORT",
            "PGUSER",
            "PGDATABASE",
            "PGSERVICE",
            "PGOPTIONS",
            "PGPASSWORD",
            "PGSSLMODE",
        ] {
            cmd.env_remove(var);
        }
        cmd.args([
            "-X",
            "-q",
            "-A",
            "-t",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            "127.0.0.1",
            "-p",
        ])
        .arg(self.port.to_string())
        .args(["-U", user, "-d", db]);
        cmd
    }

    /// The single value `sql` returns; panics (with the server log) on failure.
    fn query(&self, user: &str, db: &str, sql: &str) -> String {
        let (cmd, out) = self.psql(user, db, sql);
        assert!(
            out.status.success(),
            "{}\n--- server.log ---\n{}",
            describe(&cmd, &out),
            self.log()
        );
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if self.started {
            let mut stop = self.server_cmd("pg_ctl");
            stop.arg("-D")
                .arg(self.data())
                .args(["-m", "immediate", "-w", "-t", "30", "stop"]);
            let out = run(&mut stop);
            if !out.status.success() {
                eprintln!(
                    "stopping the test cluster failed\n{}",
                    describe(&stop, &out)
                );
            }
        }
    }
}

/// The path (relative to the deployment root) that the Compose file mounts at
/// `/docker-entrypoint-initdb.d/` of `service`: the init script the image really runs.
fn mounted_init_sql(bundle: &Bundle, service: &str, spec_name: &str) -> String {
    let compose: serde_yaml::Value =
        serde_yaml::from_str(text(bundle, render::COMPOSE_FILE, spec_name))
            .unwrap_or_else(|e| panic!("{spec_name}: docker-compose.yml is not YAML: {e}"));
    let volumes = compose["services"][service]["volumes"]
        .as_sequence()
        .unwrap_or_else(|| panic!("{spec_name}: service `{service}` has no volumes"));
    let mounts: Vec<&str> = volumes
        .iter()
        .filter_map(serde_yaml::Value::as_str)
        .filter(|v| v.contains(":/docker-entrypoint-initdb.d/"))
        .collect();
    assert_eq!(
        mounts.len(),
        1,
        "{spec_name}: service `{service}` should mount exactly one init script, found {mounts:?}"
    );
    let source = mounts[0].split(':').next().expect("source");
    source.strip_prefix("./").unwrap_or(source).to_owned()
}

/// The init SQL of every example's PostgreSQL service runs on a real PostgreSQL 15 cluster
/// the way the official image runs it (`psql -v ON_ERROR_STOP=1` on the database, as a
/// superuser) and lets the application role, which is not a superuser and did not create
/// the database, create tables in schema `public`. A negative control on the same cluster
/// shows that without it PostgreSQL 15 refuses exactly that.
#[test]
fn init_sql_runs_on_postgres_15() {
    for bin in ["initdb", "pg_ctl", "postgres"] {
        require(&format!("{PG_BIN}/{bin}"));
    }
    require("psql");
    if is_root() {
        require("runuser");
    }
    let mut clusters = 0;
    for (name, spec, bundle) in rendered_examples() {
        for (svc_name, svc) in &spec.services {
            let Service::Postgres(pg) = svc else { continue };
            clusters += 1;
            let what = format!("{name}: service `{svc_name}`");
            let user = pg.user.as_str();
            let db = pg.database.as_str();
            let control = "conformance_control_db";
            assert_ne!(db, control, "{what}: pick another control database name");

            let sql_path = mounted_init_sql(&bundle, svc_name.as_str(), &name);
            let deploy = write_bundle(&bundle);
            let sql_file = deploy.path().join(&sql_path);
            assert!(
                sql_file.is_file(),
                "{what}: the compose file mounts {sql_path}, which the bundle lacks"
            );

            let cluster = Cluster::start();
            let version = cluster.query("postgres", "postgres", "SHOW server_version_num");
            assert!(
                version.starts_with("15"),
                "{what}: the test cluster is not PostgreSQL 15 (server_version_num {version})"
            );

            // What the image's entrypoint does, in the harder variant: the role is not a
            // superuser and the database is created (and owned) by the admin.
            cluster.query(
                "postgres",
                "postgres",
                &format!(
                    "CREATE ROLE {} LOGIN PASSWORD {}",
                    quote::sql_ident(user),
                    quote::sql_literal("conformance-test-password")
                ),
            );
            cluster.query(
                "postgres",
                "postgres",
                &format!("CREATE DATABASE {}", quote::sql_ident(db)),
            );
            cluster.query(
                "postgres",
                "postgres",
                &format!("CREATE DATABASE {}", quote::sql_ident(control)),
            );

            // Negative controls: PostgreSQL 15 semantics, so the test can fail.
            for target in [control, db] {
                let (cmd, out) = cluster.psql(user, target, "CREATE TABLE t (id int)");
                assert!(
                    !out.status.success()
                        && String::from_utf8_lossy(&out.stderr).contains("permission denied for schema public"),
                    "{what}: negative control: without the init SQL, `{user}` should not create tables \
                     in {target}.public on PostgreSQL 15\n{}",
                    describe(&cmd, &out)
                );
            }

            // The rendered script, as the entrypoint runs /docker-entrypoint-initdb.d/*.sql.
            let mut init = cluster.psql_cmd("postgres", db);
            init.arg("-f").arg(&sql_file);
            let out = run(&mut init);
            assert!(
                out.status.success() && !String::from_utf8_lossy(&out.stderr).contains("ERROR"),
                "{what}: {sql_path} fails on PostgreSQL 15\n{}\n--- {sql_path} ---\n{}\n--- server.log ---\n{}",
                describe(&init, &out),
                text(&bundle, &sql_path, &name),
                cluster.log()
            );

            // The application role can now run its migrations.
            cluster.query(
                user,
                db,
                "CREATE TABLE t (id int); INSERT INTO t VALUES (1); DROP TABLE t",
            );
            cluster.query(user, db, "CREATE TABLE public.t2 (id int)");
            let can_create = cluster.query(
                "postgres",
                db,
                &format!(
                    "SELECT has_schema_privilege({}, 'public', 'CREATE')",
                    quote::sql_literal(user)
                ),
            );
            assert_eq!(
                can_create, "t",
                "{what}: `{user}` lacks CREATE on schema public"
            );
            // As the script's own comment states: the role owns its database and `public`.
            let db_owner = cluster.query(
                "postgres",
                db,
                "SELECT pg_catalog.pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()",
            );
            assert_eq!(
                db_owner, user,
                "{what}: database {db} is owned by {db_owner}"
            );
            let schema_owner = cluster.query(
                "postgres",
                db,
                "SELECT pg_catalog.pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = 'public'",
            );
            assert_eq!(
                schema_owner, user,
                "{what}: schema public is owned by {schema_owner}"
            );
            // The script changed nothing outside its database.
            let (cmd, out) = cluster.psql(user, control, "CREATE TABLE t (id int)");
            assert!(
                !out.status.success(),
                "{what}: after the init SQL, `{user}` can create tables in an unrelated database\n{}",
                describe(&cmd, &out)
            );
            drop(cluster);
        }
    }
    // Only meaningful while some example has a database; the seed does.
    assert!(
        clusters > 0,
        "no example has a postgres service: nothing was checked"
    );
}

// ---------------------------------------------------------------------------------------
// 5. Shell
// ---------------------------------------------------------------------------------------

/// Every rendered `*.sh` passes `shellcheck -s sh` and `sh -n`, starts with `#!/bin/sh`
/// and is executable.
#[test]
fn scripts_pass_shellcheck() {
    let shellcheck = require("shellcheck");
    let sh = require("sh");
    let mut f = Failures::default();
    let mut scripts = 0;
    for (name, _, bundle) in rendered_examples() {
        let dir = write_bundle(&bundle);
        for file in bundle.files.iter().filter(|f| f.path.ends_with(".sh")) {
            scripts += 1;
            let path = dir.path().join(&file.path);
            let what = format!("{name}: {}", file.path);
            f.check(file.contents.starts_with(b"#!/bin/sh\n"), || {
                format!("{what}: does not start with #!/bin/sh")
            });
            f.check(file.mode & 0o111 != 0, || {
                format!("{what}: mode {:o} is not executable", file.mode)
            });
            let mut check = Command::new(&shellcheck);
            check.args(["--norc", "-s", "sh"]).arg(&path);
            let out = run(&mut check);
            f.check(out.status.success(), || {
                format!("{what}: shellcheck\n{}", describe(&check, &out))
            });
            let mut parse = Command::new(&sh);
            parse.arg("-n").arg(&path);
            let out = run(&mut parse);
            f.check(out.status.success(), || {
                format!("{what}: sh -n\n{}", describe(&parse, &out))
            });
        }
    }
    f.check(scripts > 0, || "no example renders a shell script".into());
    f.finish("scripts_pass_shellcheck");
}

// ---------------------------------------------------------------------------------------
// 6. Env values through Compose
// ---------------------------------------------------------------------------------------

/// Values that break naive env files, shells or Compose interpolation.
const TRICKY: &[(&str, &str)] = &[
    ("DOLLAR", "a$b"),
    ("DOLLAR_END", "price$"),
    ("DOUBLE_DOLLAR", "a$$b"),
    ("BRACED", "${X}"),
    ("BRACED_DEFAULT", "${X:-fallback}"),
    ("BARE_VAR", "$HOME"),
    ("SUBSHELL", "$(id) `id`"),
    ("HASH", "a#b"),
    ("SPACE_HASH", "a #b"),
    ("LEADING_HASH", "#a"),
    ("SINGLE_QUOTE", "it's"),
    ("DOUBLE_QUOTE", "say \"hi\""),
    ("QUOTES_ONLY", "'\"'\""),
    ("BACKSLASHES", "C:\\dir\\n\\t\\\\x"),
    ("BACKSLASH_END", "ends\\"),
    ("BACKSLASH_DOLLAR", "\\$X"),
    ("SPACES", "a b  c"),
    ("LEAD_TRAIL", "  both sides  "),
    ("EQUALS", "=a=b==c="),
    ("UNICODE", "ünïcödé € 日本 🚀"),
    ("ZERO", "0"),
    ("FALSE", "false"),
    ("NULLISH", "null"),
    ("YAML_NO", "no"),
    ("MIXED", "it's $X and \"${Y}\" #z \\ end"),
    ("SHELL_META", "a;b&c|d>e<f*?[g]~"),
    ("NEWLINE", "line 1\nline 2"),
    ("NEWLINE_QUOTE", "it's\n$X"),
    ("CR_LF_END", "end\r\n"),
    ("TAB", "a\tb"),
    ("BACKSLASH_QUOTE", "a\\'b\\\"c"),
];

fn prefixed(values: &[(&str, &str)], prefix: &str) -> BTreeMap<String, String> {
    values
        .iter()
        .map(|(k, v)| (format!("{prefix}{k}"), (*v).to_owned()))
        .collect()
}

/// Renders a one-app stack whose spec `env` holds `values` (as `V_*`) and whose app
/// `environment` holds them too (as `E_*`), writes a `secrets.env` with them (as `S_*`,
/// quoted by `quote::env_value`), and compares the app's environment as Compose resolves
/// it with what was written. Returns the differences.
fn round_trip(values: &[(&str, &str)]) -> Vec<String> {
    let public = prefixed(values, "V_");
    let own = prefixed(values, "E_");
    let secret_values = prefixed(values, "S_");
    // JSON strings are YAML 1.2 double-quoted scalars: the values go in escaped exactly.
    let yaml_map = |m: &BTreeMap<String, String>, indent: &str| -> String {
        m.iter()
            .map(|(k, v)| {
                format!(
                    "{indent}{k}: {}\n",
                    serde_json::to_string(v).expect("string")
                )
            })
            .collect()
    };
    // The app names every S_ secret (least privilege: it receives only what it names).
    let secret_names: Vec<&str> = secret_values.keys().map(String::as_str).collect();
    let declared: String = secret_values
        .keys()
        .map(|k| format!("  {k}: {{ source: supplied }}\n"))
        .collect();
    let spec_text = format!(
        "stack: {{ name: roundtrip }}\n\
         networks:\n  net: {{ internal: true }}\n\
         services:\n  app:\n    kind: app\n    image: example/app:1.0\n    probe: wget\n    \
         base_image: alpine:3.20\n    networks: [net]\n    secrets: [{}]\n    environment:\n{}\
         env:\n{}secrets:\n{}",
        secret_names.join(", "),
        yaml_map(&own, "      "),
        yaml_map(&public, "  "),
        declared,
    );
    let spec = load_yaml(&spec_text, "roundtrip.yaml");
    assert_eq!(
        spec.env
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect::<BTreeMap<_, _>>(),
        public,
        "the YAML loader changed a value (a test bug, not a renderer one)"
    );
    let bundle = render_spec(&spec, "roundtrip.yaml");
    let dir = write_bundle(&bundle);

    // secrets.env with the same values, quoted the way `secrets` writes them.
    let mut secrets_text = String::from("# round-trip test\n");
    for (k, v) in &secret_values {
        secrets_text.push_str(&format!("{k}={}\n", quote::env_value(v)));
    }
    fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(dir.path().join(render::SECRETS_FILE))
        .and_then(|mut file| file.write_all(secrets_text.as_bytes()))
        .expect("write secrets.env");
    // `secrets` copies each value into the app's own file, the one its container reads.
    banatie_infra_core::secrets::ensure(&spec, dir.path()).expect("secrets copies the values");

    // The lines that carry value `base` (`V_base`, `E_base`, `S_base`), for messages.
    let lines = |base: &str| {
        let grep = |path: &str, key: String| {
            fs::read_to_string(dir.path().join(path))
                .unwrap_or_default()
                .lines()
                .filter(|l| l.trim_start().starts_with(&key))
                .collect::<Vec<_>>()
                .join(" | ")
        };
        format!(
            "  .env: {}\n  docker-compose.yml: {}\n  secrets.env: {}",
            grep(render::ENV_FILE, format!("V_{base}=")),
            grep(render::COMPOSE_FILE, format!("E_{base}:")),
            grep(render::SECRETS_FILE, format!("S_{base}=")),
        )
    };
    let config = match try_compose_config(dir.path()) {
        Ok(c) => c,
        Err(e) => {
            let keys: Vec<&str> = values.iter().map(|(k, _)| *k).collect();
            let mut msg = format!("values {keys:?}: {e}");
            if let [(base, _)] = values {
                msg.push_str(&format!("\n{}", lines(base)));
            }
            return vec![msg];
        }
    };
    let env = service_env(&config, "app", "roundtrip.yaml");

    let mut expected: BTreeMap<String, Option<String>> = BTreeMap::new();
    for m in [&public, &own, &secret_values] {
        expected.extend(m.iter().map(|(k, v)| (k.clone(), Some(v.clone()))));
    }
    // Added by the renderer (Next.js binds to $HOSTNAME).
    expected.insert("HOSTNAME".into(), Some("0.0.0.0".into()));

    let mut f = Vec::new();
    for (k, want) in &expected {
        let got = env.get(k);
        if got != Some(want) {
            let source = match k.split('_').next() {
                Some("V") => ".env (spec `env`)",
                Some("E") => "docker-compose.yml (service `environment`)",
                Some("S") => "secrets.env (quote::env_value)",
                _ => "the renderer",
            };
            f.push(format!(
                "{k} from {source}: expected {want:?}, compose gives {got:?}\n{}",
                lines(k.split_once('_').map_or(k.as_str(), |(_, base)| base))
            ));
        }
    }
    for k in env.keys().filter(|k| !expected.contains_key(*k)) {
        f.push(format!(
            "unexpected variable {k} = {:?} in the app's environment",
            env[k]
        ));
    }
    f
}

/// The spec's `env` and an app's `environment`, with every tricky value, reach the
/// container exactly as written (as Compose resolves them: `.env` through its env-file
/// parser, `environment` through Compose interpolation); and a `secrets.env` written with
/// `quote::env_value` reads back the same through Compose's env-file parser. On failure,
/// each value is tried alone to name the culprits.
#[test]
fn env_values_round_trip_through_compose() {
    let all = round_trip(TRICKY);
    if all.is_empty() {
        return;
    }
    let mut f = Failures::default();
    f.push(format!("all values together:\n{}", all.join("\n")));
    for &(k, v) in TRICKY {
        let alone = round_trip(&[(k, v)]);
        f.check(alone.is_empty(), || {
            format!("value {k} = {v:?} alone:\n{}", alone.join("\n"))
        });
    }
    f.finish("env_values_round_trip_through_compose");
}

/// Env-file texts whose reading by Compose was measured (Compose 2.26, compose-go's
/// dotenv parser). `$` in unquoted and double-quoted values is left out on purpose:
/// `envfile` does not expand (it reports `Entry::expands` instead).
const ENV_FILE_CASES: &[&str] = &[
    "A=plain",
    "A='single $x #c'",
    "A=\"double \\$x \\\"q\\\" \\\\ end\"",
    "A=unquoted # comment",
    "A=unquoted#not-a-comment",
    "A=  spaced  ",
    "export A=exported",
    "A = around",
    "A= 'quoted after space'",
    "A=it's",
    "A='x' # comment",
    "A=",
    "A=crlf\r",
    "A='a\\\\b'",
    "A='a\\qb'",
    "A=\"tab\\there\"",
    "A=\"it's \\\\\"",
    "A=\"l1\nl2\"",
    "A='l1\nl2'",
    "A=\"esc\\nnewline\"",
    "A=\"unknown \\q \\c escapes\"",
    // compose-go: inside single quotes `\'` is an escaped quote (unescaped to `'`), so a
    // single-quoted value cannot end with a backslash.
    "A='it\\'s'",
    "A='ends\\'",
    // compose-go: `\a \b \f \v` and octal `\0NNN` are escapes in double quotes.
    "A=\"ctl \\a\\b\\f\\v\"",
    "A=\"octal \\0101\"",
    // compose-go: an inline comment starts at ` #` (space, not tab).
    "A=x\t#tab",
    // compose-go: a key ends at `=` or, YAML-style, at `:` (dotenv/parser.go).
    "A: colon form",
    "A:tight",
    "export A: exported colon",
    "A: 'quoted colon'",
    "A:b=c",
    "A=b:c",
];

/// What Compose makes of env file `text`: the variables of a service that reads it with
/// `env_file`, or Compose's error.
fn compose_reads_env_file(text: &str) -> Result<BTreeMap<String, String>, String> {
    let dir = TempDir::new().expect("temporary directory");
    fs::write(
        dir.path().join(render::COMPOSE_FILE),
        "name: envfile\nservices:\n  app:\n    image: example/app:1.0\n    env_file: [./test.env]\n",
    )
    .expect("write compose file");
    fs::write(dir.path().join("test.env"), text).expect("write env file");
    let config = try_compose_config(dir.path())?;
    Ok(service_env(&config, "app", "envfile")
        .into_iter()
        .map(|(k, v)| (k, v.unwrap_or_default()))
        .collect())
}

/// `envfile::parse`, which `secrets` uses to keep the operator's values and to derive the
/// database URL from `POSTGRES_PASSWORD`, reads every case like Compose does (which is
/// what the containers get): the same values, and an error exactly when Compose fails.
#[test]
fn envfile_parser_reads_like_compose() {
    let mut f = Failures::default();
    for case in ENV_FILE_CASES {
        let text = format!("{case}\n");
        let compose = compose_reads_env_file(&text);
        let ours = banatie_infra_core::envfile::parse(&text)
            .map(|es| {
                es.into_iter()
                    .map(|e| (e.key, e.value))
                    .collect::<BTreeMap<_, _>>()
            })
            .map_err(|e| e.to_string());
        let same = match (&compose, &ours) {
            (Ok(a), Ok(b)) => a == b,
            (Err(_), Err(_)) => true,
            _ => false,
        };
        f.check(same, || {
            let show = |r: &Result<BTreeMap<String, String>, String>| match r {
                Ok(m) => format!("{m:?}"),
                Err(e) => format!(
                    "error: {}",
                    e.lines()
                        .find(|l| l.contains("failed to read") || l.starts_with("line"))
                        .unwrap_or(e)
                ),
            };
            format!(
                "env file {text:?}:\n  compose reads   {}\n  envfile::parse  {}",
                show(&compose),
                show(&ours)
            )
        });
    }
    f.finish("envfile_parser_reads_like_compose");
}

// ---------------------------------------------------------------------------------------
// 7. Determinism
// ---------------------------------------------------------------------------------------

fn first_difference(a: &Bundle, b: &Bundle) -> String {
    let paths = |x: &Bundle| {
        x.files
            .iter()
            .map(|f| (f.path.clone(), f.mode))
            .collect::<Vec<_>>()
    };
    if paths(a) != paths(b) {
        return format!("different files or modes: {:?} vs {:?}", paths(a), paths(b));
    }
    for (x, y) in a.files.iter().zip(&b.files) {
        if x.contents != y.contents {
            let diff = similar::TextDiff::from_lines(
                &*String::from_utf8_lossy(&x.contents),
                &*String::from_utf8_lossy(&y.contents),
            )
            .unified_diff()
            .header("first", "second")
            .to_string();
            return format!("{} differs:\n{diff}", x.path);
        }
    }
    "no difference".into()
}

/// Rendering the same spec twice, and a fresh load of the same file, gives the same
/// bundle byte for byte (files, order, modes).
#[test]
fn rendering_is_deterministic() {
    let mut f = Failures::default();
    for path in examples() {
        let name = short(&path);
        let spec = load_file(&path);
        let first = render_spec(&spec, &name);
        let second = render_spec(&spec, &name);
        let reloaded = render_spec(&load_file(&path), &name);
        let text = fs::read_to_string(&path).expect("read example");
        let from_str = match load::load_str(&text, Format::from_path(&path).expect("format"), &name)
        {
            Ok(l) => render_spec(&l.spec, &name),
            Err(e) => panic!("{name}: {e}"),
        };
        for (label, other) in [
            ("second render", &second),
            ("fresh load_path", &reloaded),
            ("load_str", &from_str),
        ] {
            f.check(&first == other, || {
                format!(
                    "{name}: {label} differs: {}",
                    first_difference(&first, other)
                )
            });
        }
    }
    f.finish("rendering_is_deterministic");
}
