//! Audit of hand-written deployments: the Compose file (and its override), the project
//! `.env`, every `env_file`, the Caddyfile, and the shell and SQL scripts the services
//! mount or the operator runs, checked with the same [`Diagnostic`]s, codes and output
//! formats as [`crate::validate`].
//!
//! ```no_run
//! use banatie_infra_core::audit::{audit, AuditInput};
//! let input = AuditInput { dir: Some("/opt/banatie".into()), ..Default::default() };
//! let report = audit(&input).expect("the files can be read");
//! print!("{}", banatie_infra_core::diagnostic::render_human(&report.diagnostics, &report.sources(), false));
//! ```
//!
//! What is read, from `dir` unless given explicitly:
//! - the Compose file (`compose.yaml`, `compose.yml`, `docker-compose.yaml`,
//!   `docker-compose.yml`, the first that exists) and its override file
//!   (`compose.override.yaml`, ..., `docker-compose.override.yml`), merged like Compose;
//! - the project env file `.env` beside it (Compose reads it, and the shell environment,
//!   to interpolate `${VAR}` in the Compose file; see [`AuditInput::shell_env`]);
//! - every `env_file` of every service;
//! - every bind-mounted file a container runs: `*.sql` and `*.sh` under
//!   `/docker-entrypoint-initdb.d` of a PostgreSQL service (a mounted directory is
//!   listed), and the scripts an `entrypoint` or `command` runs (`sh -c '...'` inline, or a
//!   mounted `*.sh`);
//! - the Dockerfile of each `build`, for the image its final stage is based on;
//! - `Caddyfile` and `caddy/Caddyfile`, and every `*.sh` in the directory and in `scripts/`;
//! - the lifecycle and policy JSON the scripts hand to `mc`, and every `*.json` of the
//!   directory that looks like one (`audit/s3json.rs`).
//!
//! Each is read as its consumer reads it: the Caddyfile by Caddy's grammar
//! (`audit/caddy_grammar.rs`) and, when `caddy` is on `PATH`, by `caddy adapt` itself
//! (`audit/caddy_adapt.rs`); Dockerfiles as BuildKit parses them (`audit/dockerfile.rs`); the JSON by the
//! schema `mc` decodes (`audit/s3json_lifecycle.rs`, `audit/s3json_policy.rs`).
//!
//! Absolute host paths in the Compose file that do not exist on this machine are read
//! from under `dir` when `dir` is a copy of the deployment root: the root is given
//! ([`AuditInput::root`]) or inferred from the first such path whose tail exists under
//! `dir` (`/opt/banatie/.env` and `dir/.env`: root `/opt/banatie`).
//!
//! Findings are located in the file where the problem is: `span.file` is that file's path
//! (as reached from `dir`), the position is 1-based, and the pointer is the JSON pointer in
//! the Compose file's structure (`/services/storage/healthcheck/test`) or empty for
//! line-based files (env files, scripts, the Caddyfile). No message contains a secret
//! value, and [`Audit::sources`] gives the files' text with secret values redacted, for
//! printing the offending lines.
//!
//! Inside, reading and checking are kept apart. Reading (`read` and its submodules: which
//! files, in which order) fills a `Deployment` (`deployment.rs`), each file read by the
//! module of its kind (`compose`, `env`, `caddyfile`, `shell`, `sql`, `dockerfile`,
//! `s3json`); the checks (`rules` and its submodules, `round2`, `caddy_adapt`) then run
//! over it. What a consumer refuses while reading a file (interpolation, a Caddyfile's
//! grammar and imports, a Dockerfile, the `mc` JSON) is reported as that file is read.

// Reading: which files make the deployment (`read`), what reading them produces
// (`deployment`), and each kind of file read as its consumer reads it (the Dockerfile and
// the `mc` JSON report what their consumer refuses as they are read).
pub(crate) mod caddyfile;
pub(crate) mod compose;
pub(crate) mod deployment;
pub(crate) mod dockerfile;
pub(crate) mod env;
pub(crate) mod interp;
pub(crate) mod read;
pub(crate) mod s3json;
pub(crate) mod s3json_lifecycle;
pub(crate) mod s3json_policy;
pub(crate) mod shell;
pub(crate) mod sql;
pub(crate) mod tree;

// Checks: the rules over what was read.
pub(crate) mod caddy_adapt;
pub(crate) mod caddy_grammar;
pub(crate) mod caddy_imports;
pub(crate) mod caddy_tables;
pub(crate) mod round2;
pub(crate) mod rules;

// What the importer reads of the audit.
pub(crate) mod import_facts;

use std::collections::HashSet;
use std::path::PathBuf;

use indexmap::IndexMap;

use crate::diagnostic::Diagnostic;
use crate::types::ImageRef;

pub use caddy_adapt::caddy_binary;
pub(crate) use compose::{At, Project, Svc};
pub(crate) use deployment::{is_job, literal_block, same_file};
pub(crate) use deployment::{Deployment, InlineMap, ScriptRef, SqlRef, SrcFile};
pub(crate) use env::EnvFile;
pub(crate) use read::read_deployment;
pub(crate) use tree::FileId;

/// What to audit. Every path may be relative to the working directory.
#[derive(Debug, Clone, Default)]
pub struct AuditInput {
    /// The deployment directory: files are looked for here (see the module docs).
    pub dir: Option<PathBuf>,
    /// Compose files, base first, overrides after. Default: found in `dir`.
    pub compose: Vec<PathBuf>,
    /// The project env file Compose interpolates from (Compose's `--env-file`). Default:
    /// `.env` beside the first Compose file, if it exists.
    pub env_file: Option<PathBuf>,
    /// Caddyfiles. Default: `Caddyfile` and `caddy/Caddyfile` in `dir`, if they exist.
    pub caddyfiles: Vec<PathBuf>,
    /// More scripts: `*.sql` (init SQL, PostgreSQL 15 assumed) or shell scripts (run by
    /// the operator: their exit status matters). Added to those found.
    pub scripts: Vec<PathBuf>,
    /// The image a service's final build stage is based on, by service name, for builds
    /// whose Dockerfile is not on this machine (also overrides what the Dockerfile says).
    pub base_images: IndexMap<String, ImageRef>,
    /// The shell environment Compose would interpolate from, besides the project env file
    /// (which it overrides). Default: empty, so the audit does not depend on who runs it.
    pub shell_env: IndexMap<String, String>,
    /// The deployment root the files were written for (for example `/opt/banatie`), when
    /// `dir` is a copy of it: absolute paths under it are read from `dir`. Default:
    /// inferred.
    pub root: Option<String>,
}

/// The kind of an audited file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// A Compose file.
    Compose,
    /// An env file (the project `.env` or an `env_file`).
    EnvFile,
    /// A Caddyfile.
    Caddyfile,
    /// A shell script.
    Shell,
    /// An SQL script.
    Sql,
    /// A lifecycle or policy JSON handed to `mc`.
    Json,
    /// A Dockerfile of a build context.
    Dockerfile,
}

/// One file the audit read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditedFile {
    /// The path, as used in diagnostics.
    pub path: String,
    /// What it is.
    pub kind: FileKind,
    /// Its text with secret values replaced by `<redacted>`, for showing lines.
    pub redacted: String,
}

/// The result of an audit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Audit {
    /// Every finding, grouped by file in the order the files were read, then by line.
    pub diagnostics: Vec<Diagnostic>,
    /// Every file read, in order.
    pub files: Vec<AuditedFile>,
}

impl Audit {
    /// `(path, redacted text)` of every file, for [`crate::diagnostic::render_human`].
    pub fn sources(&self) -> Vec<(&str, &str)> {
        self.files
            .iter()
            .map(|f| (f.path.as_str(), f.redacted.as_str()))
            .collect()
    }

    /// Whether any finding is an error.
    pub fn has_errors(&self) -> bool {
        crate::diagnostic::has_errors(&self.diagnostics)
    }
}

/// Why an audit could not run at all (exit code 2 in the CLI). Problems inside files are
/// diagnostics, not errors.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// A file that was named or found cannot be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The path.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// A file that was named or found is not a regular file, or is larger than the input
    /// size limit (`BI150`, `BI151`; see [`crate::input`]).
    #[error("{code}: {0}", code = .0.code().map_or("", |c| c.0))]
    Input(crate::input::InputError),
    /// Neither a directory nor any file to audit was given, or the directory holds none.
    #[error("nothing to audit: {0}")]
    Nothing(String),
}

/// Audits a deployment.
///
/// Errors: [`AuditError::Io`] when a named or found file cannot be read (a missing
/// `env_file` is a finding instead), [`AuditError::Nothing`] when there is nothing to
/// audit.
pub fn audit(input: &AuditInput) -> Result<Audit, AuditError> {
    let mut d = read_deployment(input)?;
    let mut diags = std::mem::take(&mut d.diags);
    rules::run(&mut d, &mut diags);
    caddy_adapt::report(&d, &mut diags);
    redact_secret_values(&mut d);
    // Order: by file (in reading order), then position; keep the rule order otherwise.
    let order = |name: &str| {
        d.files
            .iter()
            .position(|f| f.name == name)
            .unwrap_or(usize::MAX)
    };
    diags.sort_by_key(|x| {
        let (f, l) = x
            .span
            .as_ref()
            .map_or((usize::MAX, None), |s| (order(&s.file), s.location));
        (f, l.map(|l| (l.line, l.column)))
    });
    let mut seen = HashSet::new();
    diags.retain(|x| seen.insert(x.clone()));
    Ok(Audit {
        diagnostics: diags,
        files: d
            .files
            .iter()
            .map(|f| AuditedFile {
                path: f.name.clone(),
                kind: f.kind,
                redacted: f.redacted(),
            })
            .collect(),
    })
}

/// Every secret value the audit has read (the values of secret env files, and of
/// secret-looking variables in any env file or in the Compose file's `environment`) is
/// redacted wherever it occurs in any file shown, not only where it is defined: a secret
/// pasted into a script or a URL never reaches the output.
fn redact_secret_values(d: &mut Deployment) {
    let mut secrets: Vec<String> = Vec::new();
    for ef in &d.env_files {
        let secret_file = env::secret_file_name(&d.files[ef.file].name);
        for (e, v) in ef.entries.iter().zip(&ef.values) {
            if secret_file || crate::validate::looks_secret(&e.key) {
                secrets.push(e.value.clone());
                if let Some(v) = v {
                    secrets.push(v.clone());
                }
            }
        }
    }
    if let Some(p) = &d.project {
        for svc in &p.services {
            for e in svc
                .environment
                .iter()
                .filter(|e| crate::validate::looks_secret(&e.name))
            {
                secrets.extend(e.raw.iter().cloned());
                secrets.extend(e.value.iter().cloned());
            }
        }
    }
    // The one redaction set of this run ([`crate::redact`]): every output redacts them.
    for v in &secrets {
        crate::redact::register(v);
    }
    for ef in &d.env_files {
        let name = &d.files[ef.file].name;
        if env::secret_file_name(name) {
            crate::redact::register_file(name);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The scanners never panic, whatever the text (a deterministic pseudo-random sweep
    /// over the characters that matter to them).
    #[test]
    fn scanners_never_panic() {
        const ALPHABET: &[&str] = &[
            "$",
            "{",
            "}",
            "(",
            ")",
            "'",
            "\"",
            "`",
            "\\",
            "\n",
            " ",
            "#",
            "|",
            "&",
            ";",
            "<<",
            ">",
            "<",
            "-",
            "--",
            "EOF",
            "mc",
            "policy",
            "pg_dump",
            "docker",
            "exec",
            "-t",
            "=",
            "@",
            ":",
            "/",
            "é",
            "…",
            "GRANT",
            "ON",
            "DATABASE",
            "TO",
            "CREATE",
            "ROLE",
            "$$",
            "*",
            "/*",
            "--",
            "method",
            "not",
            "respond",
            "reverse_proxy",
            "405",
            "x",
            "1...4",
        ];
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..3000 {
            let len = (next() % 40) as usize;
            let text: String = (0..len)
                .map(|_| ALPHABET[(next() % ALPHABET.len() as u64) as usize])
                .collect();
            let script = shell::scan(&text);
            let mut f = Vec::new();
            let run = shell::RunAs {
                errexit: false,
                exit_status_matters: true,
            };
            shell::masked_failures(&script, run, &mut f);
            shell::retired_mc(&script, &mut f);
            shell::backups(&script, &mut f);
            let _ = shell::anonymous_targets(&script);
            let stmts = sql::scan(&text);
            let e = sql::effects(&stmts);
            let _ = sql::roles_without_schema_create(&e, Some("postgres"));
            if let Ok(blocks) = caddyfile::parse(&text) {
                let _ = caddyfile::sites(&blocks);
            }
            if let Ok(p) = interp::parse(&text) {
                let _ = interp::expand(&p, &|_| None, &interp::Budget::default());
            }
            let _ = env::url_password(&text);
            let _ = compose::shell_split(&text);
            let _ = read::images::dockerfile_base(&text, Some("x"), &[]);
        }
    }
}
