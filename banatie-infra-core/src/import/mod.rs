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
//!
//! The stages, in the order [`import`] runs them, one module each: `stack` (name, root,
//! source), `networks`, `services` (one module per kind), `sites` (the Caddyfile)
//! and `env` (public values and secrets of the env files). Everything read of the
//! deployment comes through `audit::import_facts`.

mod env;
mod networks;
mod services;
mod sites;
mod stack;

use std::collections::HashSet;

use indexmap::IndexMap;

use crate::audit::import_facts as facts;
use crate::audit::{AuditError, AuditInput};
use crate::diagnostic::Diagnostic;
use crate::spec::{Backups, Proxy, Secret, SecretSource, ServiceKind, Spec, Stack, UsernsRemap};
use crate::types::{EnvName, Name, RelPath};

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
/// Reads a deployment and builds a spec from it.
///
/// Errors: as [`crate::audit::audit`] (a file that cannot be read, nothing to import).
pub fn import(input: &AuditInput) -> Result<Imported, AuditError> {
    let d = facts::read_deployment(input)?;
    // Every secret value first, so that a public variable holding one is recognised.
    for ef in &d.env_files {
        let file = &d.files[ef.file];
        let secret_file = facts::secret_file_name(&file.name) || file.mode & 0o077 == 0;
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
    let stack = stack::read(&d, &project, &mut c);
    let networks = networks::read(&project, &mut c);
    let proxy_network = networks::proxy_network(&project);
    // Derived variables (dropped from env and secrets).
    let mut derived: HashSet<String> = HashSet::new();
    let services = services::read(&d, &project, stack.source.as_ref(), &mut derived, &mut c);
    let (sites, proxy_log_dir) = sites::read(&d, &project, &services, stack.root.as_ref(), &mut c);
    let unread: Vec<Diagnostic> = d
        .diags
        .iter()
        .filter(|x| UNREAD_CODES.contains(&x.code))
        .cloned()
        .collect();
    // A file or value that could not be read makes the spec incomplete (it is not
    // written): its env values are not scanned for secrets, which for a value cut at its
    // interpolation bound would cost seconds for nothing.
    let (env_out, secrets) = if unread.is_empty() {
        env::read(&d, &derived, &mut c)
    } else {
        Default::default()
    };
    let mut spec = Spec {
        stack: Stack {
            name: stack.name,
            root: stack.root,
            source: stack.source,
            userns_remap: UsernsRemap::default(),
            allow_published_ports: services
                .values()
                .any(|s| !s.publish().is_empty() && s.kind() != ServiceKind::Postgres),
            host_memory: None,
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
    services::assign_secrets(&d, &project, &mut spec);
    let diagnostics = crate::validate::validate(&spec);
    Ok(Imported {
        spec,
        notes: c.notes,
        secrets: c.moved,
        diagnostics,
        unread,
    })
}

/// The findings that mean part of the files could not be read ([`Imported::unread`]).
const UNREAD_CODES: [crate::diagnostic::Code; 5] = [
    crate::load::CODE_SYNTAX,
    crate::input::CODE_NOT_REGULAR,
    crate::input::CODE_TOO_LARGE,
    crate::input::CODE_ALIAS_EXPANSION,
    crate::input::CODE_INTERPOLATION_BOUND,
];
