//! Import: a [`Spec`] built from a hand-written deployment, the same files the audit
//! reads ([`crate::audit`]).
//!
//! What is mapped:
//! - services, by image: `postgres*` → `postgres` (database and user from the container's
//!   `POSTGRES_DB`/`POSTGRES_USER`, the connection-URL variable, the data directory); a
//!   MinIO server → `minio` (drives from `/data{1...N}`, their parent directory, ports,
//!   root user, bucket, service account and policy, lifecycle rules and public prefix from
//!   the init job's script); `minio/mc` (or any one-shot job) → `job` with task
//!   `storage_init` when its script works on a MinIO service, else `command`; anything
//!   else → `app` (build, image, the image its build is based on, port, health path,
//!   mounts, environment);
//! - networks (internal, external) and dependencies with their conditions;
//! - environment: public values (`env`) from the project `.env` and other env files, and
//!   secrets (`secrets`) by name (secret-looking) and by file (`secrets.env`); values the
//!   spec derives (`POSTGRES_DB`, `DATABASE_URL`, `MINIO_ROOT_USER`, ...) are dropped;
//! - sites from the Caddyfile: domains → service:port, security headers → the closest
//!   preset (the rest kept as headers), CORS, cache rules, allowed methods, the access log.
//!
//! Defects the audit reports are not carried over: health checks are chosen from the
//! image (`probe: auto`), a CDN in front of the S3 API passes read methods only, a
//! service that uses the storage waits for its init job. Every such change, and
//! everything that could not be mapped, is listed in [`Imported::notes`].

use std::collections::HashSet;

use indexmap::IndexMap;

use crate::audit::compose::{Svc, Volume};
use crate::audit::{self, env, rules, shell, AuditError, AuditInput, Deployment};
use crate::diagnostic::Diagnostic;
use crate::header::{HeaderName, HeaderValue};
use crate::images::{self, Family};
use crate::spec::{
    AccessLog, AppService, Backups, Build, CacheRule, Condition, Cors, HeaderPreset, HealthTiming,
    JobService, JobTask, LifecycleRule, Method, MinioService, Mount, Network, PostgresService,
    Probe, Proxy, RestartPolicy, Secret, SecretSource, Service, ServiceAccount, ServiceKind, Site,
    Spec, Stack, UsernsRemap,
};
use crate::types::{AbsPath, Duration, EnvName, ImageRef, Name, Port, RelPath};

/// What a note is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoteKind {
    /// Something in the files that the spec cannot hold: dropped.
    NotMapped,
    /// Something changed on purpose: a defect of the hand-written files fixed.
    Changed,
    /// A value the files do not say, taken from the spec's defaults.
    Assumed,
}

/// One thing the import could not map, changed, or assumed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// What kind of note.
    pub kind: NoteKind,
    /// Where it comes from, for example `services.banatie-api.healthcheck`.
    pub at: String,
    /// What happened.
    pub message: String,
}

impl std::fmt::Display for Note {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self.kind {
            NoteKind::NotMapped => "not mapped",
            NoteKind::Changed => "changed",
            NoteKind::Assumed => "assumed",
        };
        write!(f, "{kind}: {}: {}", self.at, self.message)
    }
}

/// A secret value the import read from the files: it belongs in `secrets.env` (mode
/// 0600, [`crate::secrets::store`]) and never in the spec. `Debug` shows the name only.
#[derive(Clone, PartialEq, Eq)]
pub struct MovedSecret {
    /// The variable.
    pub name: String,
    /// Its value as Compose reads it.
    pub value: String,
}

impl std::fmt::Debug for MovedSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MovedSecret({}: {})", self.name, crate::redact::MARKER)
    }
}

/// The result of an import.
#[derive(Debug, Clone)]
pub struct Imported {
    /// The spec. It holds no value that is a secret by its name or by its place (a URL's
    /// password, `password=` of a connection string): those are in [`Self::secrets`].
    pub spec: Spec,
    /// The secret values read from the files, by variable, first definition kept: the
    /// values of secrets files, of secret-looking variables of env files and of the
    /// Compose file's `environment`, and whole values that hold a secret in place (a
    /// `REDIS_URL` with a password), which the spec declares as `supplied` secrets. Write
    /// them with [`crate::secrets::store`]; the notes name each one moved out of a
    /// public place, never its value.
    pub secrets: Vec<MovedSecret>,
    /// What could not be mapped, what was changed, what was assumed, in file order.
    pub notes: Vec<Note>,
    /// The validation of the spec ([`crate::validate::validate`]), errors and warnings.
    pub diagnostics: Vec<Diagnostic>,
    /// What could not be read, so the spec is incomplete: a Compose file that is not
    /// YAML or whose aliases expand past their bound (`BI100`, `BI152`), an env file
    /// that is not a regular file or too large (`BI150`, `BI151`), a value whose
    /// interpolation exceeds its bound (`BI153`). The CLI refuses to write a spec when
    /// there is any.
    pub unread: Vec<Diagnostic>,
}

/// The 1-based lines of `yaml` (an imported spec, [`to_yaml`]) that hold, anywhere and
/// not only in `env`, the value of a moved secret whose name says it is one
/// ([`crate::redact::looks_secret`]: a `webhookSecret` reused in a health-check path, a
/// `STRIPE_SK` in a command). Values shorter than [`crate::redact::MIN_REGISTERED`] are
/// not looked for (they would match ordinary text), nor values of secrets-file entries
/// whose names are not secret (`MINIO_ROOT_USER=admin` is also the spec's user name).
/// The import moves what it recognises by name or place into [`Imported::secrets`];
/// these are values it cannot take out without changing what the spec means, so the
/// CLI writes no spec while there is one (a spec is meant to be committed).
pub fn lines_with_secrets(yaml: &str, secrets: &[MovedSecret]) -> Vec<usize> {
    let values: Vec<&str> = secrets
        .iter()
        .filter(|m| {
            crate::redact::looks_secret(&m.name)
                && m.value.chars().count() >= crate::redact::MIN_REGISTERED
        })
        .map(|m| m.value.as_str())
        .collect();
    let Ok(ac) = aho_corasick::AhoCorasick::new(&values) else {
        return Vec::new();
    };
    // Matches come in order: count the line breaks once along the text.
    let (mut lines, mut at, mut line) = (Vec::new(), 0, 1);
    for m in ac.find_iter(yaml) {
        line += yaml[at..m.start()].matches('\n').count();
        at = m.start();
        if lines.last() != Some(&line) {
            lines.push(line);
        }
    }
    lines
}

/// The first line of an imported spec file: the JSON Schema for editors.
pub const SCHEMA_LINE: &str = concat!(
    "# yaml-language-server: $schema=",
    env!("CARGO_PKG_REPOSITORY"),
    "/schema/banatie-infra.schema.json"
);

/// The spec as YAML, with [`SCHEMA_LINE`] first: the JSON form of the spec (enums as
/// `{variant: ...}`, which the loader reads), without empty lists and maps and `false`
/// flags whose default is `false`. [`crate::load::load_str`] reads it back to the same
/// spec.
pub fn to_yaml(spec: &Spec) -> String {
    fn prune(v: &mut serde_json::Value) {
        const REQUIRED: &[&str] = &["domains", "argv", "services"];
        const FALSE_BY_DEFAULT: &[&str] = &[
            "internal",
            "external",
            "read_only",
            "allow_published_ports",
            "whole_bucket",
        ];
        match v {
            serde_json::Value::Object(m) => {
                m.retain(|k, x| {
                    let empty = match x {
                        serde_json::Value::Array(a) => a.is_empty(),
                        serde_json::Value::Object(o) => o.is_empty(),
                        serde_json::Value::Bool(false) => FALSE_BY_DEFAULT.contains(&k.as_str()),
                        _ => false,
                    };
                    !empty || REQUIRED.contains(&k.as_str())
                });
                m.values_mut().for_each(prune);
            }
            serde_json::Value::Array(a) => a.iter_mut().for_each(prune),
            _ => {}
        }
    }
    let mut v = serde_json::to_value(spec).expect("a spec serializes");
    prune(&mut v);
    let body = serde_yaml::to_string(&v).expect("JSON serializes as YAML");
    format!("{SCHEMA_LINE}\n{body}")
}

struct Ctx {
    notes: Vec<Note>,
    root: Option<String>,
    /// Secret values read, for secrets.env.
    moved: Vec<MovedSecret>,
    /// Secrets declared from the Compose file's `environment`.
    env_secrets: IndexMap<EnvName, Secret>,
}

/// Whether `value` holds a secret by its place: a URL's password, `password=...` of a
/// connection string, `PGPASSWORD=...` ([`crate::redact::secret_spans`]).
fn holds_secret(value: &str) -> bool {
    !crate::redact::secret_spans(value, false).is_empty() || crate::redact::holds_registered(value)
}

/// A secret the operator supplies (its value is moved into secrets.env by the import).
fn supplied() -> Secret {
    Secret {
        source: SecretSource::Supplied,
        length: None,
        alphabet: Default::default(),
        description: None,
    }
}

impl Ctx {
    /// Keeps a secret value for secrets.env (the first definition wins).
    fn keep_secret(&mut self, name: &str, value: &str) {
        crate::redact::register(value);
        if value.is_empty()
            || crate::validate::is_placeholder(value)
            || self.moved.iter().any(|m| m.name == name)
        {
            return;
        }
        self.moved.push(MovedSecret {
            name: name.to_owned(),
            value: value.to_owned(),
        });
    }

    fn note(&mut self, kind: NoteKind, at: impl Into<String>, message: impl Into<String>) {
        self.notes.push(Note {
            kind,
            at: at.into(),
            message: message.into(),
        });
    }

    /// A host path written in the Compose file, relative to the deployment root.
    fn rel(&self, p: &str) -> Option<RelPath> {
        let p = p.trim_end_matches('/');
        let rel = if let Some(r) = p.strip_prefix("./") {
            r.to_owned()
        } else if p.starts_with('/') {
            let root = self.root.as_deref()?;
            p.strip_prefix(&format!("{root}/"))?.to_owned()
        } else if p.starts_with('.') || p.starts_with('~') {
            return None;
        } else {
            p.to_owned()
        };
        rel.parse().ok()
    }
}

/// Makes a valid [`Name`] of `s`: lower case, other characters as `-`.
fn name_of(s: &str) -> Option<Name> {
    let n: String = s
        .to_ascii_lowercase()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let n = n.trim_start_matches(['-', '_']).to_owned();
    n.parse().ok()
}

fn family(d: &Deployment, s: &Svc) -> Family {
    d.images
        .get(&s.name)
        .map_or(Family::Unknown, images::family)
}

/// Health timing from a Compose health check; values equal to the kind's defaults are
/// left unset.
fn health(s: &Svc, kind: ServiceKind, c: &mut Ctx) -> HealthTiming {
    let mut h = HealthTiming::default();
    let Some(hc) = &s.healthcheck else { return h };
    for (k, v, _) in &hc.timing {
        let at = format!("services.{}.healthcheck.{k}", s.name);
        if k == "retries" {
            match v.parse::<u32>() {
                Ok(n) if n != HealthTiming::DEFAULT_RETRIES => h.retries = Some(n),
                Ok(_) => {}
                Err(_) => c.note(NoteKind::NotMapped, at, format!("`{v}` is not a number")),
            }
            continue;
        }
        let Ok(dur) = v.parse::<Duration>() else {
            c.note(NoteKind::NotMapped, at, format!("`{v}` is not a duration"));
            continue;
        };
        match k.as_str() {
            "interval" if dur != HealthTiming::DEFAULT_INTERVAL => h.interval = Some(dur),
            "timeout" if dur != HealthTiming::DEFAULT_TIMEOUT => h.timeout = Some(dur),
            "start_period" if dur != kind.default_start_period() => h.start_period = Some(dur),
            "start_interval" => h.start_interval = Some(dur),
            _ => {}
        }
    }
    h
}

fn restart(s: &Svc, c: &mut Ctx) -> RestartPolicy {
    match s.restart.as_deref() {
        None | Some("unless-stopped") => RestartPolicy::UnlessStopped,
        Some("always") => RestartPolicy::Always,
        Some("on-failure") => RestartPolicy::OnFailure,
        Some(other) => {
            c.note(
                NoteKind::Changed,
                format!("services.{}.restart", s.name),
                format!("`{other}` for a long-running service: `unless-stopped`"),
            );
            RestartPolicy::UnlessStopped
        }
    }
}

/// Reads a deployment and builds a spec from it.
///
/// Errors: as [`crate::audit::audit`] (a file that cannot be read, nothing to import).
pub fn import(input: &AuditInput) -> Result<Imported, AuditError> {
    let d = audit::read_deployment(input)?;
    // Every secret value first, so that a public variable holding one is recognised.
    for ef in &d.env_files {
        let file = &d.files[ef.file];
        let secret_file = env::secret_file_name(&file.name) || file.mode & 0o077 == 0;
        for (e, v) in ef.entries.iter().zip(&ef.values) {
            if secret_file || crate::validate::looks_secret(&e.key) {
                crate::redact::register(v.as_deref().unwrap_or(&e.value));
            }
        }
    }
    let mut c = Ctx {
        notes: Vec::new(),
        root: d.root.clone(),
        moved: Vec::new(),
        env_secrets: IndexMap::new(),
    };
    let project = d.project.clone().unwrap_or_default();
    // Stack.
    let stack_name = project
        .name
        .as_deref()
        .and_then(name_of)
        .or_else(|| {
            d.root
                .as_deref()
                .and_then(|r| r.rsplit('/').next())
                .and_then(name_of)
        })
        .or_else(|| {
            std::fs::canonicalize(&d.project_dir)
                .ok()?
                .file_name()?
                .to_str()
                .and_then(name_of)
        })
        .unwrap_or_else(|| "stack".parse().expect("valid"));
    if c.root.is_none() {
        c.note(
            NoteKind::Assumed,
            "stack.root",
            format!("the files name no absolute path under a deployment root: `/opt/{stack_name}`"),
        );
    }
    let root: Option<AbsPath> = c.root.as_deref().and_then(|r| r.parse().ok());
    c.note(
        NoteKind::Assumed,
        "stack.userns_remap",
        "user-namespace remapping is a setting of the Docker daemon, not of these files: enabled, base 165536 (the spec's default)",
    );
    let contexts: Vec<String> = project
        .services
        .iter()
        .filter_map(|s| s.build.as_ref().map(|b| b.context.clone()))
        .filter(|ctx| ctx.starts_with('/'))
        .collect();
    let source: Option<AbsPath> = contexts.first().and_then(|s| s.parse().ok());
    // Networks.
    let mut networks: IndexMap<Name, Network> = IndexMap::new();
    for n in &project.networks {
        let Some(name) = name_of(&n.name) else {
            c.note(
                NoteKind::NotMapped,
                format!("networks.{}", n.name),
                "not a valid network name",
            );
            continue;
        };
        if n.external {
            if let Some(e) = n.engine_name.as_deref().filter(|e| *e != n.name) {
                c.note(NoteKind::NotMapped, format!("networks.{}.name", n.name), format!("the external network is `{e}` on the engine; the spec names networks by their key"));
            }
        }
        networks.insert(
            name,
            Network {
                internal: n.internal,
                external: n.external,
            },
        );
    }
    let proxy_network = project
        .networks
        .iter()
        .find(|n| n.external)
        .and_then(|n| name_of(&n.name))
        .unwrap_or_else(|| "proxy-network".parse().expect("valid"));
    // Which service each site routes to, for ports.
    let mut site_ports: IndexMap<String, Vec<u16>> = IndexMap::new();
    for (_, site) in &d.sites {
        for p in &site.proxies {
            for u in &p.upstreams {
                if let Some((h, port)) = u.rsplit_once(':') {
                    if let (Some(s), Ok(port)) = (project.service(h), port.parse::<u16>()) {
                        site_ports.entry(s.name.clone()).or_default().push(port);
                    }
                }
            }
        }
    }
    // Values known anywhere.
    let value = |name: &str| env::any_value(&d, name).map(|v| v.0);
    // Derived variables (dropped from env and secrets).
    let mut derived: HashSet<String> = HashSet::new();
    // Services.
    let mut services: IndexMap<Name, Service> = IndexMap::new();
    let storage_jobs: Vec<(String, Vec<String>)> = project
        .services
        .iter()
        .filter(|s| audit::is_job(&d, s))
        .map(|s| (s.name.clone(), rules::init_targets(&d, &project, s)))
        .collect();
    for s in &project.services {
        let Some(name) = name_of(&s.name) else {
            c.note(
                NoteKind::NotMapped,
                format!("services.{}", s.name),
                "not a valid service name",
            );
            continue;
        };
        let at = format!("services.{}", s.name);
        if s.container_name.as_deref().is_some_and(|n| n != s.name) {
            c.note(
                NoteKind::NotMapped,
                format!("{at}.container_name"),
                "the spec names containers after their service",
            );
        }
        let mut nets: Vec<Name> = s.networks.iter().filter_map(|(n, _)| name_of(n)).collect();
        if s.networks.is_empty() {
            c.note(
                NoteKind::NotMapped,
                format!("{at}.networks"),
                "on Compose's default network; the spec lists networks explicitly",
            );
            nets.clear();
        }
        let mut depends: IndexMap<Name, Condition> = IndexMap::new();
        let job = audit::is_job(&d, s);
        for dep in &s.depends_on {
            let Some(dn) = name_of(&dep.name) else {
                continue;
            };
            let cond = match dep.condition.as_deref() {
                Some("service_healthy") => Condition::Healthy,
                Some("service_completed_successfully") => Condition::Completed,
                _ => {
                    let target = project.service(&dep.name);
                    if job && target.is_some_and(|t| !audit::is_job(&d, t)) {
                        c.note(NoteKind::Changed, format!("{at}.depends_on.{}", dep.name), "the one-shot job waits for the server to be healthy, not only started (BI310)");
                        Condition::Healthy
                    } else {
                        Condition::Started
                    }
                }
            };
            depends.insert(dn, cond);
        }
        // A service that uses the storage waits for its init job.
        if !job {
            for (j, targets) in &storage_jobs {
                if s.depends_on.iter().any(|x| targets.contains(&x.name)) {
                    if let Some(jn) = name_of(j) {
                        if depends.get(&jn) != Some(&Condition::Completed) {
                            c.note(
                                NoteKind::Changed,
                                format!("{at}.depends_on"),
                                format!(
                                    "waits for the init job `{j}` to complete successfully (BI311)"
                                ),
                            );
                            depends.insert(jn, Condition::Completed);
                        }
                    }
                }
            }
        }
        let container_env = d.container_env(s);
        let mut environment: IndexMap<EnvName, String> = IndexMap::new();
        let fam = family(&d, s);
        let minio_argv = rules::minio_argv(&d, s);
        let kind = if matches!(fam, Family::PostgresAlpine | Family::PostgresDebian) {
            ServiceKind::Postgres
        } else if minio_argv.is_some() {
            ServiceKind::Minio
        } else if job {
            ServiceKind::Job
        } else {
            ServiceKind::App
        };
        // Environment literal values that are not secrets and not fixed by the kind.
        let fixed: &[&str] = match kind {
            ServiceKind::Postgres => &["POSTGRES_DB", "POSTGRES_USER", "POSTGRES_PASSWORD"],
            ServiceKind::Minio => &[
                "MINIO_ROOT_USER",
                "MINIO_ROOT_PASSWORD",
                "MINIO_BROWSER_REDIRECT_URL",
                "MINIO_SERVER_URL",
            ],
            _ => &[],
        };
        for e in &s.environment {
            let raw = e
                .raw
                .clone()
                .or_else(|| e.value.clone())
                .unwrap_or_default();
            let secret = crate::validate::looks_secret(&e.name) || holds_secret(&raw);
            if fixed.contains(&e.name.as_str()) {
                // The kind's own secret (POSTGRES_PASSWORD, ...): its value goes to
                // secrets.env, where the spec's service reads it.
                if let (true, Some(v)) = (secret, &e.value) {
                    if !raw.contains('$') {
                        c.keep_secret(&e.name, v);
                        c.note(NoteKind::Changed, format!("{at}.environment.{}", e.name), "a secret written in the Compose file: moved to secrets.env (mode 0600)");
                    }
                }
                continue;
            }
            let ok_name = e.name.parse::<EnvName>();
            if secret && !raw.contains("${") && !raw.starts_with('$') {
                if let (Ok(n), Some(v)) = (&ok_name, &e.value) {
                    if !derived.contains(&e.name) {
                        c.env_secrets.entry(n.clone()).or_insert_with(supplied);
                    }
                    c.keep_secret(&e.name, v);
                    c.note(
                        NoteKind::Changed,
                        format!("{at}.environment.{}", e.name),
                        "holds a secret (by its name or a password in it): moved to secrets.env (mode 0600) and declared under `secrets` (supplied)",
                    );
                    continue;
                }
            }
            if secret || raw.contains('$') {
                c.note(
                    NoteKind::NotMapped,
                    format!("{at}.environment.{}", e.name),
                    "a secret or an interpolated value: services get secrets from secrets.env",
                );
                continue;
            }
            match (ok_name, &e.value) {
                (Ok(n), Some(v)) => {
                    environment.insert(n, v.clone());
                }
                _ => c.note(
                    NoteKind::NotMapped,
                    format!("{at}.environment.{}", e.name),
                    "no value, or not a variable name",
                ),
            }
        }
        let image: Option<ImageRef> = s.image.as_ref().and_then(|(i, _)| i.parse().ok());
        let h = health(s, kind, &mut c);
        let publish = s
            .ports
            .iter()
            .filter_map(|p| {
                Some(crate::spec::PublishedPort {
                    host: Port::new(p.host.as_deref()?.parse().ok()?).ok()?,
                    container: Port::new(p.container.parse().ok()?).ok()?,
                    host_ip: p.host_ip.clone().unwrap_or_else(|| "127.0.0.1".into()),
                })
            })
            .collect::<Vec<_>>();
        if publish.len() != s.ports.len() {
            c.note(
                NoteKind::NotMapped,
                format!("{at}.ports"),
                "a port without a fixed host port, or a range",
            );
        }
        let svc = match kind {
            ServiceKind::Postgres => {
                let image = image.unwrap_or_else(|| "postgres:15-alpine".parse().expect("valid"));
                let version = d
                    .images
                    .get(&s.name)
                    .and_then(rules::pg_version)
                    .unwrap_or(15);
                let user = container_env
                    .get("POSTGRES_USER")
                    .map_or("postgres", |v| v.0.as_str());
                let database = container_env
                    .get("POSTGRES_DB")
                    .map_or(user, |v| v.0.as_str());
                derived.insert("POSTGRES_USER".into());
                derived.insert("POSTGRES_DB".into());
                // The variable holding this server's connection URL.
                let url_env = d
                    .env_files
                    .iter()
                    .flat_map(|ef| ef.entries.iter())
                    .find(|e| {
                        e.raw_value.starts_with("postgres")
                            && (e.raw_value.contains(&format!("@{}:", s.name))
                                || e.raw_value.contains(&format!("@{}/", s.name)))
                    })
                    .map(|e| e.key.clone())
                    .unwrap_or_else(|| "DATABASE_URL".into());
                derived.insert(url_env.clone());
                let data = s
                    .volumes
                    .iter()
                    .find(|v| v.target.trim_end_matches('/') == "/var/lib/postgresql/data")
                    .and_then(|v| c.rel(&v.source));
                let uid = if fam == Family::PostgresDebian {
                    999
                } else {
                    70
                };
                for v in &s.volumes {
                    if v.target.starts_with("/docker-entrypoint-initdb.d") {
                        c.note(NoteKind::Changed, format!("{at}.volumes"), format!("`{}` is replaced by the generated init SQL (the role owns its database and schema public)", v.source));
                    } else if v.target.trim_end_matches('/') != "/var/lib/postgresql/data" {
                        c.note(
                            NoteKind::NotMapped,
                            format!("{at}.volumes"),
                            format!("`{}:{}`", v.source, v.target),
                        );
                    }
                }
                let (Ok(database), Ok(user)) = (database.parse(), user.parse()) else {
                    c.note(
                        NoteKind::NotMapped,
                        &at,
                        "POSTGRES_DB or POSTGRES_USER is not a plain lower-case name",
                    );
                    continue;
                };
                Service::Postgres(PostgresService {
                    image,
                    version,
                    database,
                    user,
                    url_env: url_env
                        .parse()
                        .unwrap_or_else(|_| "DATABASE_URL".parse().expect("valid")),
                    data: data.unwrap_or_else(|| "data/postgres".parse().expect("valid")),
                    uid,
                    restart: restart(s, &mut c),
                    networks: nets,
                    depends_on: depends,
                    environment,
                    publish,
                    health: h,
                })
            }
            ServiceKind::Minio => {
                let argv = minio_argv.clone().unwrap_or_default();
                let (drives, _) = rules::minio_drives(&argv);
                let (api_port, console_port) = rules::minio_ports(&argv);
                // The data directory: the common parent of `<data>/driveN` mounts.
                let mounts: Vec<&Volume> = drives
                    .iter()
                    .filter_map(|p| {
                        s.volumes
                            .iter()
                            .find(|v| v.target.trim_end_matches('/') == p)
                    })
                    .collect();
                let parents: HashSet<String> = mounts
                    .iter()
                    .filter_map(|v| c.rel(&v.source))
                    .filter_map(|r| r.as_str().rsplit_once('/').map(|(a, _)| a.to_owned()))
                    .collect();
                let data = (parents.len() == 1)
                    .then(|| parents.into_iter().next())
                    .flatten()
                    .and_then(|p| p.parse().ok());
                if data.is_none() || mounts.len() != drives.len() {
                    c.note(
                        NoteKind::Changed,
                        format!("{at}.volumes"),
                        "drives are mounted from `data/minio/driveN` under the root",
                    );
                }
                if console_port.is_none() {
                    c.note(
                        NoteKind::Assumed,
                        format!("{at}.command"),
                        "no `--console-address`: console port 9001",
                    );
                }
                let root_user = value("MINIO_ROOT_USER").unwrap_or_else(|| "banatie_admin".into());
                derived.insert("MINIO_ROOT_USER".into());
                let scripts: Vec<&audit::ScriptRef> = d
                    .scripts
                    .iter()
                    .filter(|sc| {
                        sc.service.as_deref().is_some_and(|j| {
                            storage_jobs
                                .iter()
                                .any(|(n, t)| n == j && t.contains(&s.name))
                        })
                    })
                    .collect();
                let scanned: Vec<shell::Script> =
                    scripts.iter().map(|sc| shell::scan(&sc.text)).collect();
                let bucket = scanned
                    .iter()
                    .find_map(shell::made_bucket)
                    .map(|b| b.1)
                    .or_else(|| value("MINIO_BUCKET_NAME"))
                    .and_then(|b| b.parse().ok())
                    .unwrap_or_else(|| "banatie".parse().expect("valid"));
                let mut account = ServiceAccount::default();
                if let Some(k) = value("MINIO_ACCESS_KEY") {
                    account.access_key = k;
                }
                derived.insert(account.access_key_env.to_string());
                if let Some(p) = scanned.iter().find_map(attached_policy) {
                    account.policy = p;
                }
                let lifecycle = scripts.iter().find_map(|sc| lifecycle_rules(&sc.text));
                if lifecycle.is_none() {
                    c.note(NoteKind::Assumed, &at, "no lifecycle rules found in an init script: the default (temp/ after 7 days)");
                }
                let public = scanned
                    .iter()
                    .find_map(shell::anonymous_read)
                    .map(|target| {
                        target
                            .split_once('/')
                            .map(|(_, rest)| rest.split_once('/').map_or("", |(_, p)| p).to_owned())
                            .unwrap_or_default()
                    });
                if public.is_none()
                    && site_ports
                        .get(&s.name)
                        .is_some_and(|p| p.contains(&api_port))
                {
                    c.note(NoteKind::NotMapped, &at, "a site serves the S3 API, but no init script makes anything anonymously readable: `public_read_prefix` is left unset (BI406); set it to the prefix public URLs use");
                }
                for e in &s.environment {
                    if let (Some(v), "MINIO_BROWSER_REDIRECT_URL" | "MINIO_SERVER_URL") =
                        (&e.value, e.name.as_str())
                    {
                        let matches = d.sites.iter().any(|(_, site)| {
                            site.domains.iter().any(|dm| *v == format!("https://{dm}"))
                        });
                        if !matches {
                            c.note(
                                NoteKind::Changed,
                                format!("{at}.environment.{}", e.name),
                                "derived from the sites that route to the service",
                            );
                        }
                    }
                }
                Service::Minio(MinioService {
                    image: image
                        .unwrap_or_else(|| "quay.io/minio/minio:latest".parse().expect("valid")),
                    drives: u32::try_from(drives.len()).unwrap_or(4),
                    data: data.unwrap_or_else(|| "data/minio".parse().expect("valid")),
                    api_port: Port::new(api_port)
                        .unwrap_or_else(|_| Port::new(9000).expect("valid")),
                    console_port: Port::new(console_port.unwrap_or(9001)).expect("valid"),
                    uid: 1000,
                    root_user,
                    bucket,
                    service_account: account,
                    lifecycle: lifecycle.unwrap_or_else(|| {
                        vec![LifecycleRule {
                            id: "temp-cleanup".into(),
                            prefix: "temp/".into(),
                            expire_days: 7,
                            whole_bucket: false,
                        }]
                    }),
                    public_read_prefix: public,
                    restart: restart(s, &mut c),
                    networks: nets,
                    depends_on: depends,
                    environment,
                    publish,
                    health: h,
                })
            }
            ServiceKind::Job => {
                let image = image.unwrap_or_else(|| "minio/mc:latest".parse().expect("valid"));
                let targets = storage_jobs
                    .iter()
                    .find(|(n, _)| *n == s.name)
                    .map(|(_, t)| t.clone())
                    .unwrap_or_default();
                let task = match targets.first().and_then(|t| name_of(t)) {
                    Some(minio) => {
                        c.note(NoteKind::Changed, format!("{at}.entrypoint"), "the init script is generated: `sh -eu`, idempotent, current `mc` syntax, no masked failures");
                        JobTask::StorageInit { minio }
                    }
                    None => {
                        let mut argv: Vec<String> = Vec::new();
                        if let Some(e) = &s.entrypoint {
                            argv.extend(e.argv.iter().cloned());
                        }
                        if let Some(cmd) = &s.command {
                            argv.extend(cmd.argv.iter().cloned());
                        }
                        // A secret in the command (`PGPASSWORD=...`, `-u user:pass`) is
                        // not copied: the spec would publish it.
                        let joined = argv.join(" ");
                        if holds_secret(&joined) {
                            for a in &mut argv {
                                *a = crate::redact::redact(a);
                            }
                            if argv.join(" ") == joined {
                                argv = vec![crate::redact::MARKER.to_owned()];
                            }
                            c.note(NoteKind::NotMapped, format!("{at}.command"), "the command holds a secret; it is replaced by `<redacted>`: have the job read it from secrets.env");
                        }
                        JobTask::Command { argv }
                    }
                };
                Service::Job(JobService {
                    image,
                    task,
                    networks: nets,
                    depends_on: depends,
                    environment,
                    publish,
                    health: h,
                })
            }
            ServiceKind::App => {
                let build = s.build.as_ref().and_then(|b| {
                    let context = (b.context.starts_with('/')
                        && Some(b.context.as_str()) != source.as_ref().map(|p| p.as_str()))
                    .then(|| b.context.parse().ok())
                    .flatten();
                    if !b.context.starts_with('/') {
                        c.note(
                            NoteKind::Changed,
                            format!("{at}.build.context"),
                            format!(
                                "`{}` is relative: the spec builds from `stack.source`",
                                b.context
                            ),
                        );
                    }
                    Some(Build {
                        context,
                        dockerfile: b.dockerfile.parse().ok()?,
                        target: b.target.clone(),
                    })
                });
                let base_image = match d.images.get(&s.name) {
                    Some(i) if s.build.is_some() || images::family(i) != Family::Unknown => {
                        i.clone()
                    }
                    _ => {
                        c.note(NoteKind::Assumed, format!("{at}.base_image"), "the image its final stage is based on is not known here: `node:20-alpine` (pass --base-image)");
                        "node:20-alpine".parse().expect("valid")
                    }
                };
                let (probe_port, probe_path) = s
                    .healthcheck
                    .as_ref()
                    .and_then(|hc| rules::probe_url(&rules::probe_programs(&hc.test).1))
                    .unwrap_or_default();
                let port = site_ports
                    .get(&s.name)
                    .and_then(|p| p.first().copied())
                    .or_else(|| probe_port.parse().ok())
                    .or_else(|| container_env.get("PORT").and_then(|p| p.0.parse().ok()));
                if port.is_none() {
                    c.note(
                        NoteKind::Assumed,
                        &at,
                        "no site, health check or PORT says its port: 3000",
                    );
                }
                if let Some(hc) = &s.healthcheck {
                    let (programs, _) = rules::probe_programs(&hc.test);
                    c.note(NoteKind::Changed, format!("{at}.healthcheck.test"), format!("`{}` is replaced by a probe the image ships, against 127.0.0.1 (`probe: auto`)", programs.join(" ")));
                }
                let mut logs = None;
                let mut volumes = Vec::new();
                for v in &s.volumes {
                    let (Some(source), Ok(target)) =
                        (c.rel(&v.source), v.target.parse::<AbsPath>())
                    else {
                        c.note(
                            NoteKind::NotMapped,
                            format!("{at}.volumes"),
                            format!(
                                "`{}:{}` is not a directory under the deployment root",
                                v.source, v.target
                            ),
                        );
                        continue;
                    };
                    let m = Mount {
                        source,
                        target,
                        read_only: v.read_only,
                    };
                    if logs.is_none() && v.target.contains("log") && !v.target.contains("waitlist")
                    {
                        logs = Some(m);
                    } else {
                        volumes.push(m);
                    }
                }
                let uid = match s
                    .user
                    .as_deref()
                    .and_then(|u| u.split(':').next()?.parse().ok())
                {
                    Some(u) => u,
                    None => {
                        c.note(
                            NoteKind::Assumed,
                            format!("{at}.user"),
                            "the UID the image runs as is not in these files: 1001",
                        );
                        1001
                    }
                };
                Service::App(AppService {
                    build,
                    image: if s.build.is_some() { None } else { image },
                    base_image,
                    uid,
                    port: Port::new(port.unwrap_or(3000))
                        .unwrap_or_else(|_| Port::new(3000).expect("valid")),
                    health_path: probe_path
                        .parse()
                        .unwrap_or_else(|_| "/".parse().expect("valid")),
                    probe: Probe::Auto,
                    logs,
                    volumes,
                    restart: restart(s, &mut c),
                    networks: nets,
                    depends_on: depends,
                    environment,
                    publish,
                    health: h,
                })
            }
        };
        services.insert(name, svc);
    }
    // Sites.
    let log_dir = root.as_ref().map(|r| format!("{r}/logs"));
    let mut proxy_log_dir: Option<AbsPath> = None;
    let mut sites = Vec::new();
    for (_, site) in &d.sites {
        let at = format!("Caddyfile site {}", site.domains.join(", "));
        let Some(proxy) = site.proxies.first() else {
            c.note(NoteKind::NotMapped, at, "no `reverse_proxy`");
            continue;
        };
        if site.proxies.len() > 1 {
            c.note(
                NoteKind::NotMapped,
                &at,
                "only the first `reverse_proxy` is kept",
            );
        }
        let Some((host, port)) = proxy.upstreams.first().and_then(|u| u.rsplit_once(':')) else {
            continue;
        };
        let Some(svc) = project.service(host).and_then(|s| name_of(&s.name)) else {
            c.note(
                NoteKind::NotMapped,
                at,
                format!("`{host}` is not a service of the Compose file"),
            );
            continue;
        };
        let domains: Vec<_> = site
            .domains
            .iter()
            .filter_map(|dm| dm.parse().ok())
            .collect();
        let port: Option<Port> = port.parse().ok().and_then(|p| Port::new(p).ok());
        let spec_svc = services.get(&svc);
        let is_minio = matches!(spec_svc, Some(Service::Minio(_)));
        let s3 = match spec_svc {
            Some(Service::Minio(m)) => port == Some(m.api_port),
            _ => false,
        };
        // Headers: CORS, cache rules, the closest preset, the rest.
        let mut cors: Option<Cors> = None;
        let mut cache = Vec::new();
        let mut plain: Vec<(String, String)> = Vec::new();
        for (path, k, v) in &site.headers {
            if let Some(p) = path {
                match (k.as_str(), p.parse(), v.parse::<HeaderValue>()) {
                    ("Cache-Control", Ok(path), Ok(cache_control)) => cache.push(CacheRule {
                        path,
                        cache_control,
                    }),
                    (_, _, Err(e)) => c.note(
                        NoteKind::NotMapped,
                        &at,
                        format!(
                            "header `{}` on `{}`: {}",
                            k.escape_debug(),
                            p.escape_debug(),
                            e.reason
                        ),
                    ),
                    _ => c.note(NoteKind::NotMapped, &at, format!("header `{k}` on `{p}`")),
                }
                continue;
            }
            let lower = k.to_ascii_lowercase();
            if lower.starts_with("access-control-") {
                let cr = cors.get_or_insert_with(|| Cors {
                    origin: "*".into(),
                    methods: crate::spec::read_methods(),
                    allow_headers: vec![],
                    expose_headers: vec![],
                });
                let list = || {
                    v.split(',')
                        .map(|x| x.trim().to_owned())
                        .filter(|x| !x.is_empty())
                        .collect::<Vec<_>>()
                };
                // Header names for the spec; what is not one is reported, not kept.
                let names = |c: &mut Ctx| {
                    list()
                        .iter()
                        .filter_map(|x| match x.parse::<HeaderName>() {
                            Ok(n) => Some(n),
                            Err(e) => {
                                c.note(
                                    NoteKind::NotMapped,
                                    &at,
                                    format!("header `{}`: {}", k.escape_debug(), e.reason),
                                );
                                None
                            }
                        })
                        .collect::<Vec<_>>()
                };
                match lower.as_str() {
                    "access-control-allow-origin" => cr.origin = v.clone(),
                    "access-control-allow-methods" => {
                        cr.methods = list().iter().filter_map(|m| parse_method(m)).collect()
                    }
                    "access-control-allow-headers" => cr.allow_headers = names(&mut c),
                    "access-control-expose-headers" => cr.expose_headers = names(&mut c),
                    _ => c.note(NoteKind::NotMapped, &at, format!("header `{k}`")),
                }
                continue;
            }
            if crate::validate::looks_secret(k) || holds_secret(&format!("{k}: {v}")) {
                c.note(NoteKind::NotMapped, &at, format!("header `{k}` holds a secret: a spec is public, set it by hand in the Caddyfile"));
                continue;
            }
            plain.push((k.clone(), v.clone()));
        }
        let (preset, extra) = closest_preset(&plain);
        if preset != HeaderPreset::None {
            let missing: Vec<String> = preset_headers(preset)
                .into_iter()
                .filter(|(k, v)| !plain.iter().any(|(a, b)| a == k && b == v))
                .map(|(k, _)| k)
                .collect();
            if !missing.is_empty() {
                c.note(
                    NoteKind::Changed,
                    &at,
                    format!(
                        "security headers: the closest preset also sets {}",
                        missing.join(", ")
                    ),
                );
            }
        }
        let mut headers: IndexMap<HeaderName, HeaderValue> = IndexMap::new();
        for (k, v) in extra {
            match (k.parse::<HeaderName>(), v.parse::<HeaderValue>()) {
                (Ok(k), Ok(v)) => {
                    headers.insert(k, v);
                }
                (Err(e), _) | (_, Err(e)) => c.note(
                    NoteKind::NotMapped,
                    &at,
                    format!("header `{}`: {}", k.escape_debug(), e.reason),
                ),
            }
        }
        let methods = match proxy.methods.as_list() {
            Some(list) => Some(
                list.iter()
                    .filter_map(|m| parse_method(m))
                    .collect::<Vec<_>>(),
            ),
            None if s3 => {
                c.note(
                    NoteKind::Changed,
                    &at,
                    "the site exposes the S3 API: it passes GET, HEAD and OPTIONS only (BI402)",
                );
                Some(crate::spec::read_methods())
            }
            None => None,
        };
        let access_log = site.log.as_ref().and_then(|l| {
            let file = l.file.as_deref()?;
            let (dir, name) = file.rsplit_once('/')?;
            if log_dir.as_deref() != Some(dir) {
                proxy_log_dir = dir.parse().ok();
            }
            if l.format.as_deref().is_some_and(|f| f != "json") {
                c.note(NoteKind::Changed, &at, "access logs are written as JSON");
            }
            Some(AccessLog {
                file: name.parse().ok()?,
                roll_size: l
                    .roll_size
                    .as_deref()
                    .and_then(|r| r.parse().ok())
                    .unwrap_or_else(|| "10MiB".parse().expect("valid")),
                roll_keep: l
                    .roll_keep
                    .as_deref()
                    .and_then(|r| r.parse().ok())
                    .unwrap_or(5),
            })
        });
        for (other, _) in &site.other {
            if other != "header" && other != "log" && other != "import" {
                c.note(NoteKind::NotMapped, &at, format!("directive `{other}`"));
            }
        }
        sites.push(Site {
            domains,
            service: svc,
            port: if is_minio { port } else { None },
            security_headers: preset,
            headers,
            cors,
            cache,
            methods,
            access_log,
            health_path: None,
        });
    }
    // Environment: public values and secrets.
    let mut env_out: IndexMap<EnvName, String> = IndexMap::new();
    let mut secrets: IndexMap<EnvName, Secret> = IndexMap::new();
    let mut dropped: HashSet<String> = HashSet::new();
    for ef in &d.env_files {
        let file = &d.files[ef.file];
        let secret_file = env::secret_file_name(&file.name) || file.mode & 0o077 == 0;
        for (i, e) in ef.entries.iter().enumerate() {
            if ef.entries[i + 1..].iter().any(|x| x.key == e.key) {
                continue;
            }
            if derived.contains(&e.key) {
                if dropped.insert(e.key.clone()) {
                    c.note(
                        NoteKind::Changed,
                        format!("{} line {}", file.name, e.location.line),
                        format!("`{}` is derived from the services (a connection URL with the password percent-encoded, a user name): written by `banatie-infra secrets` or into .env, never typed", e.key),
                    );
                }
                continue;
            }
            let Ok(name) = e.key.parse::<EnvName>() else {
                c.note(
                    NoteKind::NotMapped,
                    format!("{} line {}", file.name, e.location.line),
                    "not a variable name",
                );
                continue;
            };
            let v = ef.values[i].clone().unwrap_or_default();
            if !secret_file && !crate::validate::looks_secret(&e.key) && holds_secret(&v) {
                // A public variable with a password in it (`REDIS_URL=redis://:pw@...`).
                c.keep_secret(&e.key, &v);
                c.note(
                    NoteKind::Changed,
                    format!("{} line {}", file.name, e.location.line),
                    format!("`{}` holds a password (a URL's user info, `password=`): moved to secrets.env (mode 0600) and declared under `secrets` (supplied)", e.key),
                );
                secrets.entry(name).or_insert_with(supplied);
                continue;
            }
            if secret_file || crate::validate::looks_secret(&e.key) {
                if !secret_file {
                    c.note(
                        NoteKind::Changed,
                        format!("{} line {}", file.name, e.location.line),
                        format!("`{}` is a secret in a public file: its value moved to secrets.env (mode 0600)", e.key),
                    );
                }
                c.keep_secret(&e.key, &v);
                if secrets.contains_key(&name) {
                    continue;
                }
                let first = ef
                    .entries
                    .iter()
                    .find(|x| x.key == e.key)
                    .map_or(e.location.line, |x| x.location.line);
                secrets.insert(name, secret_from(ef, i, comment_above(file, first)));
            } else if e.raw_value.contains('$') {
                c.note(
                    NoteKind::NotMapped,
                    format!("{} line {}", file.name, e.location.line),
                    format!(
                        "`{}` is built from other variables: values in the spec are literal",
                        e.key
                    ),
                );
            } else if !env_out.contains_key(&name) {
                env_out.insert(name, v);
            }
        }
    }
    for (n, sec) in std::mem::take(&mut c.env_secrets) {
        if !env_out.contains_key(&n) {
            secrets.entry(n).or_insert(sec);
        }
    }
    let spec = Spec {
        stack: Stack {
            name: stack_name,
            root,
            source,
            userns_remap: UsernsRemap::default(),
            allow_published_ports: services
                .values()
                .any(|s| !s.publish().is_empty() && s.kind() != ServiceKind::Postgres),
        },
        proxy: Proxy {
            network: proxy_network,
            log_dir: proxy_log_dir,
        },
        networks,
        services,
        sites,
        env: env_out,
        secrets,
        backups: Backups::default(),
        monitoring: vec![],
    };
    let diagnostics = crate::validate::validate(&spec);
    let unread_codes = [
        crate::load::CODE_SYNTAX,
        crate::input::CODE_NOT_REGULAR,
        crate::input::CODE_TOO_LARGE,
        crate::input::CODE_ALIAS_EXPANSION,
        crate::input::CODE_INTERPOLATION_BOUND,
    ];
    Ok(Imported {
        spec,
        notes: c.notes,
        secrets: c.moved,
        diagnostics,
        unread: d
            .diags
            .iter()
            .filter(|x| unread_codes.contains(&x.code))
            .cloned()
            .collect(),
    })
}

fn parse_method(m: &str) -> Option<Method> {
    serde_json::from_value(serde_json::Value::String(m.trim().to_ascii_uppercase())).ok()
}

/// The headers of a security-header preset, as the renderer writes them: a one-site spec
/// is rendered and its Caddyfile read back, so the table exists once, in the renderer.
fn preset_headers(p: HeaderPreset) -> Vec<(String, String)> {
    let preset = serde_json::to_value(p).ok();
    let preset = preset.as_ref().and_then(|v| v.as_str()).unwrap_or("none");
    let text = format!(
        "stack: {{ name: p }}\nnetworks: {{ proxy-network: {{ external: true }} }}\nservices:\n  web: {{ kind: app, image: \"example/web:1\", networks: [proxy-network] }}\nsites:\n  - {{ domains: [p.example.org], service: web, security_headers: {preset} }}\n"
    );
    let Ok(loaded) = crate::load::load_str(&text, crate::load::Format::Yaml, "<preset>") else {
        return vec![];
    };
    let Ok(bundle) = crate::render::render_unchecked(&loaded.spec) else {
        return vec![];
    };
    let caddy = bundle.text(crate::render::CADDYFILE).unwrap_or("");
    let Ok(blocks) = audit::caddyfile::parse(caddy) else {
        return vec![];
    };
    audit::caddyfile::sites(&blocks)
        .into_iter()
        .flat_map(|s| s.headers)
        .filter(|(path, _, _)| path.is_none())
        .map(|(_, k, v)| (k, v))
        .collect()
}

/// The comment right above line `line` of an env file, in the same paragraph (no blank
/// line between): the description of the variable defined there.
fn comment_above(file: &audit::SrcFile, line: usize) -> Option<String> {
    let mut n = line.checked_sub(1)?;
    while n > 0 {
        let l = file.line(n).trim();
        if l.is_empty() {
            return None;
        }
        if let Some(c) = l.strip_prefix('#') {
            let c = c.trim().trim_matches('=').trim();
            return (!c.is_empty()).then(|| c.to_owned());
        }
        n -= 1;
    }
    None
}

/// The preset whose headers the site's headers match best (exact name and value), and
/// the site's headers that the preset does not set.
fn closest_preset(headers: &[(String, String)]) -> (HeaderPreset, Vec<(String, String)>) {
    let mut best = (HeaderPreset::None, 0usize, usize::MAX);
    for p in [HeaderPreset::Web, HeaderPreset::Api, HeaderPreset::Console] {
        let set = preset_headers(p);
        let hits = set
            .iter()
            .filter(|(k, v)| headers.iter().any(|(a, b)| a == k && b == v))
            .count();
        let misses = set.len() - hits;
        if hits > best.1 || (hits == best.1 && hits > 0 && misses < best.2) {
            best = (p, hits, misses);
        }
    }
    let set = preset_headers(best.0);
    let extra = headers
        .iter()
        .filter(|(k, v)| !set.iter().any(|(a, b)| a == k && b == v))
        .cloned()
        .collect();
    (best.0, extra)
}

/// `mc admin policy attach ALIAS POLICY ...`: the policy.
fn attached_policy(s: &shell::Script) -> Option<String> {
    s.cmds.iter().find_map(|c| {
        if c.name() != Some("mc") {
            return None;
        }
        let sub: Vec<&str> = c.argv()[1..]
            .iter()
            .map(|w| w.text.as_str())
            .filter(|w| !w.starts_with('-'))
            .collect();
        match sub.as_slice() {
            ["admin", "policy", "attach", _, policy, ..] => Some((*policy).to_owned()),
            _ => None,
        }
    })
}

/// Lifecycle rules from an S3 lifecycle configuration written in a script (a here-document
/// holding `{"Rules": [...]}`).
fn lifecycle_rules(script: &str) -> Option<Vec<LifecycleRule>> {
    let start = script.find("\"Rules\"")?;
    let open = script[..start].rfind('{')?;
    let mut depth = 0;
    let mut end = None;
    for (i, ch) in script[open..].char_indices() {
        match ch {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    end = Some(open + i + 1);
                    break;
                }
            }
            _ => {}
        }
    }
    let json: serde_json::Value = serde_json::from_str(&script[open..end?]).ok()?;
    let rules = json.get("Rules")?.as_array()?;
    let out: Vec<LifecycleRule> = rules
        .iter()
        .filter_map(|r| {
            let prefix = r
                .pointer("/Filter/Prefix")
                .or_else(|| r.get("Prefix"))
                .and_then(|p| p.as_str())
                .unwrap_or("")
                .to_owned();
            Some(LifecycleRule {
                id: r.get("ID")?.as_str()?.to_owned(),
                whole_bucket: prefix.is_empty(),
                prefix,
                expire_days: u32::try_from(r.pointer("/Expiration/Days")?.as_u64()?).ok()?,
            })
        })
        .collect();
    (!out.is_empty()).then_some(out)
}

/// A secret from its definitions in an env file: generated unless its value is a
/// placeholder (then supplied by the operator); the length from a placeholder that says
/// it (`<generated_64_char_secret>`), else from the value; the description from the
/// comment above its first definition.
fn secret_from(ef: &audit::EnvFile, last: usize, comment: Option<String>) -> Secret {
    let key = &ef.entries[last].key;
    let value = ef.values[last].as_deref().unwrap_or("");
    let supplied = crate::validate::is_placeholder(value);
    let said = ef.entries.iter().filter(|e| e.key == *key).find_map(|e| {
        let v = e.value.to_ascii_lowercase();
        let i = v.find("_char")?;
        let digits: String = v[..i]
            .chars()
            .rev()
            .take_while(char::is_ascii_digit)
            .collect();
        digits.chars().rev().collect::<String>().parse::<u32>().ok()
    });
    let length = said
        .or_else(|| u32::try_from(value.chars().count()).ok())
        .filter(|l| (16..=4096).contains(l) && !supplied);
    Secret {
        source: if supplied {
            SecretSource::Supplied
        } else {
            SecretSource::Generated
        },
        length,
        alphabet: Default::default(),
        // A comment may quote the value (`# the password: ...`).
        description: comment.map(|c| crate::redact::redact(&c)),
    }
}
