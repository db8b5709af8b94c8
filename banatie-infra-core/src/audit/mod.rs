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

pub(crate) mod caddy_adapt;
pub(crate) mod caddy_grammar;
pub(crate) mod caddy_imports;
pub(crate) mod caddy_tables;
pub(crate) mod caddyfile;
pub(crate) mod compose;
pub(crate) mod dockerfile;
pub(crate) mod env;
pub(crate) mod import_facts;
pub(crate) mod interp;
pub(crate) mod round2;
pub(crate) mod rules;
pub(crate) mod s3json;
pub(crate) mod s3json_lifecycle;
pub(crate) mod s3json_policy;
pub(crate) mod shell;
pub(crate) mod sql;
pub(crate) mod tree;

use std::collections::{HashMap, HashSet};
use std::os::unix::fs::PermissionsExt;
use std::path::{Component, Path, PathBuf};

use indexmap::IndexMap;

use crate::diagnostic::{Code, Diagnostic, Location, Severity, Span};
use crate::load::Format;
use crate::types::ImageRef;

pub use caddy_adapt::caddy_binary;
pub(crate) use compose::{At, Project, Svc};
pub(crate) use env::EnvFile;
pub(crate) use tree::FileId;

pub use crate::rules::health::{
    CODE_DOLLAR_NEEDS_ESCAPE, CODE_ENV_FILE_QUOTING, CODE_INIT_NOT_AWAITED, CODE_JOB_RACE,
    CODE_MASKED_FAILURE, CODE_RETYPED_VALUE, CODE_SHELL_SYNTAX, CODE_UNKNOWN_BUILD_BASE,
    CODE_UNPARSABLE, CODE_UNSET_INTERPOLATION,
};
pub use crate::rules::secrets::{CODE_SECRET_FILE_MODE, CODE_URL_USERINFO};
pub use crate::rules::storage::{
    CODE_BACKUP_DIRECTORY, CODE_DRIVE_NOT_MOUNTED, CODE_HARDCODED_NAME, CODE_RETIRED_MC,
    CODE_SCHEMA_PUBLIC_CREATE, CODE_UNSAFE_BACKUP,
};

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

/// A file read by the audit.
#[derive(Debug, Clone)]
pub(crate) struct SrcFile {
    /// The path as shown.
    pub(crate) name: String,
    /// The local path.
    pub(crate) path: PathBuf,
    /// The text.
    pub(crate) text: String,
    /// The Unix mode bits.
    pub(crate) mode: u32,
    /// What it is.
    pub(crate) kind: FileKind,
    /// Secret ranges to hide when showing the file: (line, first column, last column + 1),
    /// 1-based, in characters.
    pub(crate) redact: Vec<(usize, usize, usize)>,
    /// The byte offset where each line starts, built on the first [`SrcFile::line`]: a
    /// lookup per line is then constant time (the audit stays linear in lines).
    pub(crate) line_starts: std::sync::OnceLock<Vec<usize>>,
}

impl SrcFile {
    /// The text of 1-based line `n`, without its line ending.
    pub(crate) fn line(&self, n: usize) -> &str {
        let starts = self.line_starts.get_or_init(|| {
            std::iter::once(0)
                .chain(self.text.match_indices('\n').map(|(i, _)| i + 1))
                .collect()
        });
        let Some(&start) = n.checked_sub(1).and_then(|i| starts.get(i)) else {
            return "";
        };
        let end = starts.get(n).map_or(self.text.len(), |&e| e - 1);
        self.text[start..end].trim_end_matches('\r')
    }

    /// The text as shown: the secret ranges found while reading it replaced, then
    /// everything [`crate::redact`] hides.
    fn redacted(&self) -> String {
        let masked = self.masked();
        crate::redact::show(&self.name, &masked, false).text
    }

    fn masked(&self) -> String {
        if self.redact.is_empty() {
            return self.text.clone();
        }
        let mut out = String::with_capacity(self.text.len());
        // Line -> first column -> the first range written for it (as a scan of the
        // list would find), built once: linear in lines and ranges.
        let mut by_line: HashMap<usize, HashMap<usize, &(usize, usize, usize)>> = HashMap::new();
        for r in &self.redact {
            by_line.entry(r.0).or_default().entry(r.1).or_insert(r);
        }
        for (i, line) in self.text.split_inclusive('\n').enumerate() {
            let Some(ranges) = by_line.get(&(i + 1)) else {
                out.push_str(line);
                continue;
            };
            let mut skip_until = 0;
            for (k, c) in line.chars().enumerate() {
                let col = k + 1;
                if let Some(r) = ranges.get(&col) {
                    out.push_str(crate::redact::MARKER);
                    skip_until = r.2;
                }
                if col < skip_until && c != '\n' && c != '\r' {
                    continue;
                }
                out.push(c);
            }
        }
        out
    }
}

/// How a shell script is reached.
#[derive(Debug, Clone)]
pub(crate) struct ScriptRef {
    /// The file the text is in (a script file, or the Compose file for inline scripts).
    pub(crate) file: FileId,
    /// The script text.
    pub(crate) text: String,
    /// For inline scripts: how script positions map to the file.
    pub(crate) inline: Option<InlineMap>,
    /// How it is run.
    pub(crate) run: shell::RunAs,
    /// The service that runs it, if any.
    pub(crate) service: Option<String>,
}

/// Where an inline script (a YAML scalar) is in its file.
#[derive(Debug, Clone)]
pub(crate) struct InlineMap {
    /// The scalar's position (for a block scalar, its indicator).
    pub(crate) loc: Option<Location>,
    /// For a literal block scalar (`|`): the file line of script line 1 and the
    /// indentation of its lines.
    pub(crate) literal: Option<(usize, usize)>,
    /// The pointer of the scalar (or its key).
    pub(crate) pointer: String,
}

impl InlineMap {
    fn map(&self, at: Location) -> Option<Location> {
        match self.literal {
            Some((first, indent)) => Some(Location {
                line: first + at.line - 1,
                column: indent + at.column,
            }),
            None => self.loc,
        }
    }
}

/// An init SQL file of a PostgreSQL service (or given).
#[derive(Debug, Clone)]
pub(crate) struct SqlRef {
    /// The file.
    pub(crate) file: FileId,
    /// The PostgreSQL service, if mounted into one.
    pub(crate) service: Option<String>,
}

/// Everything read from a deployment.
#[derive(Debug, Clone, Default)]
pub(crate) struct Deployment {
    /// Every file read.
    pub(crate) files: Vec<SrcFile>,
    /// What interpolation may still insert (env files and the Compose file together).
    pub(crate) interp_budget: interp::Budget,
    /// The project directory (where relative Compose paths start).
    pub(crate) project_dir: PathBuf,
    /// The deployment root, when `dir` is a copy of it.
    pub(crate) root: Option<String>,
    /// The Compose file (the base).
    pub(crate) compose_file: Option<FileId>,
    /// The Compose project, if there is a Compose file that parses.
    pub(crate) project: Option<Project>,
    /// The raw (not interpolated) merged tree.
    pub(crate) raw: Option<tree::Y>,
    /// The project env file.
    pub(crate) project_env: Option<usize>,
    /// Every env file (the project one included), parsed.
    pub(crate) env_files: Vec<EnvFile>,
    /// The interpolation environment: shell over project env file.
    pub(crate) interp_env: IndexMap<String, String>,
    /// The shell environment given.
    pub(crate) shell_env: IndexMap<String, String>,
    /// Caddy sites by file.
    pub(crate) sites: Vec<(FileId, caddyfile::Site)>,
    /// Shell scripts.
    pub(crate) scripts: Vec<ScriptRef>,
    /// SQL scripts.
    pub(crate) sql: Vec<SqlRef>,
    /// The image each service's build is based on, or runs (overrides included).
    pub(crate) images: IndexMap<String, ImageRef>,
    /// Services whose build base could not be read: (service, Dockerfile path).
    pub(crate) unknown_builds: Vec<(String, String)>,
    /// Services whose image (Dockerfile) defines a HEALTHCHECK.
    pub(crate) image_healthchecks: HashSet<String>,
    /// Findings made while reading (syntax, interpolation).
    pub(crate) diags: Vec<Diagnostic>,
    /// The env files of each service (local paths), by service name.
    pub(crate) service_env_files: IndexMap<String, Vec<PathBuf>>,
}

impl Deployment {
    /// Adds a file (or returns the existing one with the same path).
    fn add_file(&mut self, name: String, path: PathBuf, text: String, kind: FileKind) -> FileId {
        let canon = std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
        if let Some(i) = self.files.iter().position(|f| {
            std::fs::canonicalize(&f.path).unwrap_or_else(|_| f.path.clone()) == canon
        }) {
            return i;
        }
        let mode = std::fs::metadata(&path)
            .map(|m| m.permissions().mode() & 0o7777)
            .unwrap_or(0o644);
        self.files.push(SrcFile {
            name,
            path,
            text,
            mode,
            kind,
            redact: vec![],
            line_starts: std::sync::OnceLock::new(),
        });
        self.files.len() - 1
    }

    /// A diagnostic located in `file`.
    // Every located finding is built here; a struct for the place would only move the
    // arguments around.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn diag(
        &self,
        severity: Severity,
        code: Code,
        file: FileId,
        loc: Option<Location>,
        pointer: &str,
        message: String,
        help: String,
    ) -> Diagnostic {
        let mut d = match severity {
            Severity::Error => Diagnostic::error(code, pointer, message),
            Severity::Warning => Diagnostic::warning(code, pointer, message),
        };
        d.help = Some(help);
        d.span = Some(Span {
            file: self.files[file].name.clone(),
            location: loc,
        });
        d
    }

    /// A diagnostic at `at`.
    pub(crate) fn diag_at(
        &self,
        severity: Severity,
        code: Code,
        at: &At,
        message: String,
        help: String,
    ) -> Diagnostic {
        self.diag(severity, code, at.file, at.loc, &at.pointer, message, help)
    }

    /// The local path of a host path written in the Compose file (relative to the
    /// project directory; absolute paths under the deployment root read from under it).
    pub(crate) fn local(&self, p: &str) -> PathBuf {
        let p = p.trim();
        if let Some(rest) = p.strip_prefix("~/") {
            if let Some(home) = std::env::var_os("HOME") {
                return PathBuf::from(home).join(rest);
            }
        }
        if p.starts_with('/') {
            if let Some(root) = &self.root {
                if let Some(rest) = p.strip_prefix(root.as_str()) {
                    let rest = rest.trim_start_matches('/');
                    return self.project_dir.join(rest);
                }
            }
            return PathBuf::from(p);
        }
        let joined = self.project_dir.join(p);
        normalize(&joined)
    }

    /// The name to show for a local path: relative paths as joined.
    fn shown(&self, local: &Path) -> String {
        local.display().to_string()
    }

    /// The PostgreSQL environment of a service (`POSTGRES_USER`, ...) as the container
    /// gets it: `environment` over its env files.
    pub(crate) fn container_env(&self, svc: &Svc) -> IndexMap<String, (String, String)> {
        let mut out: IndexMap<String, (String, String)> = IndexMap::new();
        for (p, _) in &svc.env_files {
            let local = self.local(p);
            if let Some(ef) = self
                .env_files
                .iter()
                .find(|e| same_file(&self.files[e.file].path, &local))
            {
                for (i, e) in ef.entries.iter().enumerate() {
                    if let Some(v) = &ef.values[i] {
                        out.insert(
                            e.key.clone(),
                            (
                                v.clone(),
                                format!("{} line {}", self.files[ef.file].name, e.location.line),
                            ),
                        );
                    }
                }
            }
        }
        for e in &svc.environment {
            if let Some(v) = &e.value {
                let mut from = format!("services.{}.environment.{}", svc.name, e.name);
                // `NAME: ${VAR}` takes the value from the project env file: name that line.
                if let Some(Ok([interp::Piece::Ref(r)])) = e
                    .raw
                    .as_deref()
                    .map(interp::parse)
                    .as_ref()
                    .map(|p| p.as_ref().map(Vec::as_slice))
                {
                    if let Some(ef) = self.project_env.map(|i| &self.env_files[i]) {
                        if let Some((i, _)) = ef.get(&r.name) {
                            from = format!(
                                "`{}` line {}, through `{from}`",
                                self.files[ef.file].name, ef.entries[i].location.line
                            );
                        }
                    }
                }
                out.insert(e.name.clone(), (v.clone(), from));
            }
        }
        out
    }
}

/// Whether two paths name the same file.
pub(crate) fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => normalize(a) == normalize(b),
    }
}

/// Removes `.` and `..` components lexically.
fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            c => out.push(c),
        }
    }
    out
}

/// Reads a file the audit was given or found, with the input bound
/// ([`crate::input::read_text_lossy`]).
fn read(path: &Path) -> Result<String, AuditError> {
    crate::input::read_text_lossy(path).map_err(|e| match e {
        crate::input::InputError::Io { path, source } => AuditError::Io { path, source },
        e => AuditError::Input(e),
    })
}

const COMPOSE_NAMES: &[&str] = &[
    "compose.yaml",
    "compose.yml",
    "docker-compose.yaml",
    "docker-compose.yml",
];

/// The deployment root: the prefix of an absolute path written in the Compose file
/// whose tail exists under `dir`.
fn infer_root(dir: &Path, paths: &[String]) -> Option<String> {
    for p in paths {
        if !p.starts_with('/') || Path::new(p).exists() {
            continue;
        }
        let comps: Vec<&str> = p.split('/').filter(|c| !c.is_empty()).collect();
        for k in 1..comps.len() {
            let tail: PathBuf = comps[k..].iter().collect();
            if dir.join(&tail).exists() {
                return Some(format!("/{}", comps[..k].join("/")));
            }
        }
    }
    None
}

/// Reads a deployment; problems inside files become diagnostics.
pub(crate) fn read_deployment(input: &AuditInput) -> Result<Deployment, AuditError> {
    let mut d = Deployment {
        shell_env: input.shell_env.clone(),
        ..Default::default()
    };
    let dir = input.dir.clone();
    if let Some(dir) = &dir {
        if !dir.is_dir() {
            return Err(AuditError::Io {
                path: dir.display().to_string(),
                source: std::io::Error::new(std::io::ErrorKind::NotFound, "not a directory"),
            });
        }
    }
    // Compose files.
    let mut compose_paths = input.compose.clone();
    if compose_paths.is_empty() {
        if let Some(dir) = &dir {
            if let Some(base) = COMPOSE_NAMES
                .iter()
                .map(|n| dir.join(n))
                .find(|p| p.is_file())
            {
                compose_paths.push(base.clone());
                let stem = base
                    .file_name()
                    .and_then(|n| n.to_str())
                    .and_then(|n| n.rsplit_once('.'))
                    .map(|(s, e)| format!("{s}.override.{e}"));
                if let Some(o) = stem.map(|s| dir.join(s)).filter(|p| p.is_file()) {
                    compose_paths.push(o);
                }
            }
        }
    }
    d.project_dir = compose_paths
        .first()
        .and_then(|p| p.parent().map(Path::to_path_buf))
        .or_else(|| dir.clone())
        .unwrap_or_else(|| PathBuf::from("."));
    if d.project_dir.as_os_str().is_empty() {
        d.project_dir = PathBuf::from(".");
    }
    let mut trees = Vec::new();
    for p in &compose_paths {
        let text = read(p)?;
        let id = d.add_file(
            p.display().to_string(),
            p.clone(),
            text.clone(),
            FileKind::Compose,
        );
        d.compose_file.get_or_insert(id);
        match crate::load::parse_tree(&text, Format::Yaml, &d.files[id].name) {
            Ok(node) => trees.push(tree::Y::from_node(&node, id)),
            Err(e) => d.diags.push(e.to_diagnostic()),
        }
    }
    let mut raw: Option<tree::Y> = None;
    for t in trees {
        match &mut raw {
            None => raw = Some(t),
            Some(r) => r.merge(&t, ""),
        }
    }
    // The deployment root, from absolute paths that are not on this machine.
    d.root = input
        .root
        .clone()
        .map(|r| r.trim_end_matches('/').to_owned());
    if d.root.is_none() {
        if let (Some(dir), Some(r)) = (&dir, &raw) {
            let mut paths = Vec::new();
            if let Some(services) = r.get("services") {
                for (_, s) in services.entries() {
                    if let Some(ef) = s.get("env_file") {
                        paths.extend(ef.text());
                        paths.extend(ef.items().iter().filter_map(|i| {
                            i.text().or_else(|| i.get("path").and_then(tree::Y::text))
                        }));
                    }
                    if let Some(v) = s.get("volumes") {
                        paths.extend(v.items().iter().filter_map(|i| {
                            i.text()
                                .map(|t| t.split(':').next().unwrap_or("").to_owned())
                                .or_else(|| i.get("source").and_then(tree::Y::text))
                        }));
                    }
                }
            }
            d.root = infer_root(dir, &paths);
        }
    }
    // The project env file.
    let project_env = input.env_file.clone().or_else(|| {
        let p = d.project_dir.join(".env");
        p.is_file().then_some(p)
    });
    if let Some(p) = project_env {
        let text = read(&p)?;
        let id = d.add_file(d.shown(&p), p, text, FileKind::EnvFile);
        env::load(&mut d, id, true);
        d.project_env = Some(d.env_files.len() - 1);
    }
    d.interp_env = env::interpolation_env(&d);
    // env_file files, found in the raw tree (their paths are rarely interpolated).
    if let Some(r) = &raw {
        // (path, file, position, pointer, required)
        let mut env_paths: Vec<(String, FileId, Option<Location>, String, bool)> = Vec::new();
        if let Some(services) = r.get("services") {
            for (k, s) in services.entries() {
                let Some(ef) = s.get("env_file") else {
                    continue;
                };
                let base = format!(
                    "/services/{}/env_file",
                    crate::diagnostic::escape_token(&k.text)
                );
                let svc_files = d.service_env_files.entry(k.text.clone()).or_default();
                for y in ef.items().iter().chain(std::iter::once(ef)) {
                    if let Some(p) = y.text().or_else(|| y.get("path").and_then(tree::Y::text)) {
                        svc_files.push(p.into());
                    }
                }
                let one = |y: &tree::Y, ptr: String| {
                    let path = y.text().or_else(|| y.get("path").and_then(tree::Y::text))?;
                    let required = y
                        .get("required")
                        .is_none_or(|r| r.kind != tree::Kind::Bool(false));
                    Some((path, y.file, y.loc, ptr, required))
                };
                match &ef.kind {
                    tree::Kind::Seq(items) => env_paths.extend(
                        items
                            .iter()
                            .enumerate()
                            .filter_map(|(i, it)| one(it, format!("{base}/{i}"))),
                    ),
                    _ => env_paths.extend(one(ef, base)),
                }
            }
        }
        let locals: IndexMap<String, Vec<PathBuf>> = d
            .service_env_files
            .iter()
            .map(|(k, v)| {
                (
                    k.clone(),
                    v.iter().map(|p| d.local(&p.to_string_lossy())).collect(),
                )
            })
            .collect();
        d.service_env_files = locals;
        let mut missing: Vec<PathBuf> = Vec::new();
        for (p, file, loc, pointer, required) in env_paths {
            let local = d.local(&p);
            if d.env_files
                .iter()
                .any(|e| same_file(&d.files[e.file].path, &local))
            {
                continue;
            }
            match crate::input::read_text_lossy(&local) {
                Ok(text) => {
                    let id = d.add_file(d.shown(&local), local, text, FileKind::EnvFile);
                    env::load(&mut d, id, false);
                }
                Err(e) if e.code().is_some() => {
                    // Not a regular file, or too large: not read, whether required or not.
                    let mut dg = d.diag(
                        Severity::Error,
                        e.code().unwrap_or(CODE_UNPARSABLE),
                        file,
                        loc,
                        &pointer,
                        format!("env file `{p}` is not read: {e}"),
                        "name a regular env file of a sensible size".into(),
                    );
                    dg.help = e.to_diagnostic().help;
                    d.diags.push(dg);
                }
                Err(e) if required && !missing.contains(&local) => {
                    // Compose refuses to start without it: report at the reference.
                    missing.push(local.clone());
                    let dg = d.diag(
                        Severity::Error,
                        CODE_UNPARSABLE,
                        file,
                        loc,
                        &pointer,
                        format!("env file `{p}` cannot be read ({e}): Compose refuses to start the services that name it"),
                        "create it (for a rendered bundle: `banatie-infra secrets SPEC --dir DIR`), or pass the deployment root with `--root` when auditing a copy".into(),
                    );
                    d.diags.push(dg);
                }
                Err(_) => {}
            }
        }
        // Interpolate, with findings.
        let interpolated = env::interpolate_compose(&mut d, r);
        let mut project = compose::project(&interpolated);
        fill_raw(&mut project, r);
        d.project = Some(project);
    }
    d.raw = raw;
    resolve_images(&mut d, input);
    find_scripts(&mut d, dir.as_deref(), input)?;
    // Caddyfiles.
    let mut caddy_paths = input.caddyfiles.clone();
    if caddy_paths.is_empty() {
        if let Some(dir) = &dir {
            for c in ["Caddyfile", "caddy/Caddyfile"] {
                let p = dir.join(c);
                if p.is_file() {
                    caddy_paths.push(p);
                }
            }
        }
    }
    for p in caddy_paths {
        let text = read(&p)?;
        let id = d.add_file(d.shown(&p), p.clone(), text.clone(), FileKind::Caddyfile);
        caddy_imports::check(&mut d, id, &p, &text);
        match caddyfile::parse(&text) {
            Ok(blocks) => {
                for (at, message) in caddyfile::import_problems(&blocks) {
                    let dg = d.diag(
                        Severity::Error,
                        CODE_UNPARSABLE,
                        id,
                        Some(at),
                        "",
                        message,
                        "import each snippet where it is used, without cycles; `caddy adapt --config FILE` shows what Caddy reads".into(),
                    );
                    d.diags.push(dg);
                }
                caddy_grammar::report(&mut d, id, &blocks);
                for s in caddyfile::sites(&blocks) {
                    d.sites.push((id, s));
                }
            }
            Err(e) => {
                let dg = d.diag(
                    Severity::Error,
                    CODE_UNPARSABLE,
                    id,
                    Some(e.at),
                    "",
                    format!("the Caddyfile does not parse: {}", e.message),
                    "fix the syntax; `caddy adapt --config FILE` shows what Caddy reads".into(),
                );
                d.diags.push(dg);
            }
        }
    }
    s3json::read(&mut d, dir.as_deref());
    if d.files.is_empty() {
        return Err(AuditError::Nothing(match &dir {
            Some(dir) => format!(
                "{} holds no Compose file, env file, Caddyfile or script",
                dir.display()
            ),
            None => "give a directory or files to audit".into(),
        }));
    }
    Ok(d)
}

/// Copies the values as written (before interpolation) into the environment entries.
fn fill_raw(project: &mut Project, raw: &tree::Y) {
    let Some(services) = raw.get("services") else {
        return;
    };
    for s in &mut project.services {
        let Some(env) = services.get(&s.name).and_then(|v| v.get("environment")) else {
            continue;
        };
        for e in &mut s.environment {
            e.raw = match &env.kind {
                tree::Kind::Map(_) => env.get(&e.name).and_then(tree::Y::text),
                tree::Kind::Seq(items) => items.iter().filter_map(tree::Y::text).find_map(|t| {
                    let (k, v) = t.split_once('=')?;
                    (k == e.name).then(|| v.to_owned())
                }),
                _ => None,
            };
        }
    }
}

/// The image each service runs or is built from: `--base-image`, else the Dockerfile's
/// final (or target) stage, else `image`.
fn resolve_images(d: &mut Deployment, input: &AuditInput) {
    let Some(project) = d.project.clone() else {
        return;
    };
    for s in &project.services {
        if let Some(img) = input.base_images.get(&s.name) {
            d.images.insert(s.name.clone(), img.clone());
            continue;
        }
        if let Some(b) = &s.build {
            let ctx = d.local(&b.context);
            let df = ctx.join(&b.dockerfile);
            match crate::input::read_text_lossy(&df) {
                Ok(text) => {
                    dockerfile::report(d, &df, &text, b.target.as_deref(), &b.args);
                    let (base, healthcheck) = dockerfile_base(&text, b.target.as_deref(), &b.args);
                    if healthcheck {
                        d.image_healthchecks.insert(s.name.clone());
                    }
                    match base.and_then(|b| b.parse::<ImageRef>().ok()) {
                        Some(img) => {
                            d.images.insert(s.name.clone(), img);
                        }
                        None => d
                            .unknown_builds
                            .push((s.name.clone(), df.display().to_string())),
                    }
                }
                Err(_) => d
                    .unknown_builds
                    .push((s.name.clone(), df.display().to_string())),
            }
            continue;
        }
        if let Some(img) = s
            .image
            .as_ref()
            .and_then(|(i, _)| i.parse::<ImageRef>().ok())
        {
            d.images.insert(s.name.clone(), img);
        }
    }
}

/// The image the chosen stage of a Dockerfile is based on (following `FROM stage`), and
/// whether that stage (or one it is based on) has a `HEALTHCHECK` other than `NONE`.
pub(crate) fn dockerfile_base(
    text: &str,
    target: Option<&str>,
    build_args: &[(String, String)],
) -> (Option<String>, bool) {
    // Join continuation lines, drop comments.
    let mut lines = Vec::new();
    let mut cur = String::new();
    for l in text.lines() {
        let t = l.trim();
        if t.starts_with('#') && cur.is_empty() {
            continue;
        }
        if let Some(s) = t.strip_suffix('\\') {
            cur.push_str(s);
            cur.push(' ');
        } else {
            cur.push_str(t);
            lines.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        lines.push(cur);
    }
    let mut args: IndexMap<String, String> = IndexMap::new();
    // (stage name, base, healthcheck)
    let mut stages: Vec<(Option<String>, String, bool)> = Vec::new();
    for l in &lines {
        let mut words = l.split_whitespace();
        let Some(instr) = words.next() else { continue };
        match instr.to_ascii_uppercase().as_str() {
            "ARG" if stages.is_empty() => {
                for w in words {
                    let (k, v) = w.split_once('=').unwrap_or((w, ""));
                    let v = build_args
                        .iter()
                        .find(|(a, _)| a == k)
                        .map_or(v, |(_, b)| b.as_str());
                    args.insert(k.to_owned(), v.trim_matches('"').to_owned());
                }
            }
            "FROM" => {
                let rest: Vec<&str> = words.filter(|w| !w.starts_with("--")).collect();
                let image = rest.first().map_or(String::new(), |i| {
                    let lookup = |k: &str| args.get(k).map(String::as_str);
                    match interp::parse(i) {
                        Ok(p) => interp::expand(&p, &lookup, &interp::Budget::default())
                            .unwrap_or_else(|_| (*i).to_owned()),
                        Err(_) => (*i).to_owned(),
                    }
                });
                let name = match rest.as_slice() {
                    [_, kw, n, ..] if kw.eq_ignore_ascii_case("as") => Some(n.to_ascii_lowercase()),
                    _ => None,
                };
                stages.push((name, image, false));
            }
            "HEALTHCHECK" => {
                let none = words.next().is_some_and(|w| w.eq_ignore_ascii_case("NONE"));
                if let Some(last) = stages.last_mut() {
                    last.2 = !none;
                }
            }
            _ => {}
        }
    }
    let mut idx = match target {
        Some(t) => stages
            .iter()
            .position(|s| s.0.as_deref() == Some(&t.to_ascii_lowercase())),
        None => stages.len().checked_sub(1),
    };
    let mut healthcheck = false;
    for _ in 0..stages.len() {
        let Some(i) = idx else { break };
        let (_, base, hc) = &stages[i];
        healthcheck |= *hc;
        match stages[..i]
            .iter()
            .position(|s| s.0.as_deref() == Some(&base.to_ascii_lowercase()))
        {
            Some(j) => idx = Some(j),
            None => return (Some(base.clone()), healthcheck),
        }
    }
    (None, healthcheck)
}

/// Whether `argv` runs an inline shell script: `sh -c SCRIPT` (or bash, ash, dash) with
/// the interpreter's own flags; returns (index of the script, flags).
fn inline_script(argv: &[String]) -> Option<(usize, Vec<String>)> {
    let shell = argv.first()?;
    let base = shell.rsplit('/').next().unwrap_or(shell);
    if !matches!(base, "sh" | "bash" | "ash" | "dash") {
        return None;
    }
    let mut flags = Vec::new();
    for (i, a) in argv.iter().enumerate().skip(1) {
        if a == "-c" {
            return (i + 1 < argv.len()).then_some((i + 1, flags));
        }
        match a.strip_prefix('-') {
            Some(f) if f.contains('c') => {
                flags.push(a.replace('c', ""));
                return (i + 1 < argv.len()).then_some((i + 1, flags));
            }
            Some(_) => flags.push(a.clone()),
            None => return None,
        }
    }
    None
}

/// The script file an argv runs (`sh /init/init.sh`, `/init/init.sh`), in the container.
fn script_path(argv: &[String]) -> Option<(String, Vec<String>)> {
    let first = argv.first()?;
    let base = first.rsplit('/').next().unwrap_or(first);
    if matches!(base, "sh" | "bash" | "ash" | "dash") {
        let mut flags = Vec::new();
        for a in &argv[1..] {
            if a.starts_with('-') {
                flags.push(a.clone());
            } else {
                return a.ends_with(".sh").then(|| (a.clone(), flags));
            }
        }
        return None;
    }
    first.ends_with(".sh").then(|| (first.clone(), vec![]))
}

/// Whether a service is a one-shot job: the MinIO client image, or `restart: "no"`.
pub(crate) fn is_job(d: &Deployment, s: &Svc) -> bool {
    s.restart.as_deref() == Some("no")
        || d.images
            .get(&s.name)
            .is_some_and(|i| crate::images::family(i) == crate::images::Family::MinioClient)
}

fn find_scripts(
    d: &mut Deployment,
    dir: Option<&Path>,
    input: &AuditInput,
) -> Result<(), AuditError> {
    let mut seen: Vec<PathBuf> = Vec::new();
    if let Some(project) = d.project.clone() {
        let compose_file = d.compose_file.unwrap_or(0);
        for s in &project.services {
            let job = is_job(d, s);
            let family = d.images.get(&s.name).map(crate::images::family);
            let postgres = matches!(
                family,
                Some(crate::images::Family::PostgresAlpine | crate::images::Family::PostgresDebian)
            );
            // Inline scripts and script files run by entrypoint + command.
            let mut argv: Vec<String> = Vec::new();
            let mut locs: Vec<Option<Location>> = Vec::new();
            let mut pointer = String::new();
            if let Some(e) = &s.entrypoint {
                argv.extend(e.argv.iter().cloned());
                locs.extend(e.locs.iter().copied());
                pointer.clone_from(&e.at.pointer);
            }
            if let Some(c) = &s.command {
                if pointer.is_empty() {
                    pointer.clone_from(&c.at.pointer);
                }
                argv.extend(c.argv.iter().cloned());
                locs.extend(c.locs.iter().copied());
            }
            let key_loc = s
                .entrypoint
                .as_ref()
                .or(s.command.as_ref())
                .and_then(|c| c.at.loc);
            if let Some((k, flags)) = inline_script(&argv) {
                // Scan the script as written (before interpolation), so positions match
                // the file; `$$` reads as a plain word character either way.
                let text = raw_argv(d, s)
                    .and_then(|r| r.get(k).cloned())
                    .unwrap_or_else(|| argv[k].clone());
                let loc = locs.get(k).copied().flatten();
                let own_file = s.entrypoint.as_ref().map_or(compose_file, |e| e.at.file);
                let literal = loc.and_then(|l| literal_block(&d.files[own_file], l));
                d.scripts.push(ScriptRef {
                    file: own_file,
                    text,
                    inline: Some(InlineMap {
                        loc: if literal.is_some() { loc } else { key_loc },
                        literal,
                        pointer: pointer.clone(),
                    }),
                    run: shell::RunAs {
                        errexit: shell::flags_errexit(flags.iter().map(String::as_str)),
                        exit_status_matters: job,
                    },
                    service: Some(s.name.clone()),
                });
            } else if let Some((path, flags)) = script_path(&argv) {
                if let Some(local) = container_to_host(d, s, &path) {
                    if let Ok(text) = crate::input::read_text_lossy(&local) {
                        let id = d.add_file(
                            d.shown(&local),
                            local.clone(),
                            text.clone(),
                            FileKind::Shell,
                        );
                        seen.push(local);
                        d.scripts.push(ScriptRef {
                            file: id,
                            text,
                            inline: None,
                            run: shell::RunAs {
                                errexit: shell::flags_errexit(flags.iter().map(String::as_str)),
                                exit_status_matters: job,
                            },
                            service: Some(s.name.clone()),
                        });
                    }
                }
            }
            // Init scripts of PostgreSQL, and mounted shell scripts.
            for v in s.volumes.iter().filter(|v| v.bind) {
                let local = d.local(&v.source);
                let initdb = v.target.starts_with("/docker-entrypoint-initdb.d");
                let mut files: Vec<(PathBuf, String)> = Vec::new();
                if local.is_dir() && initdb {
                    let mut entries: Vec<PathBuf> = std::fs::read_dir(&local)
                        .map(|r| r.filter_map(|e| e.ok().map(|e| e.path())).collect())
                        .unwrap_or_default();
                    entries.sort();
                    for e in entries {
                        files.push((
                            e.clone(),
                            format!(
                                "{}/{}",
                                v.target,
                                e.file_name().and_then(|n| n.to_str()).unwrap_or("")
                            ),
                        ));
                    }
                } else if local.is_file() {
                    files.push((local.clone(), v.target.clone()));
                }
                for (f, target) in files {
                    if seen.contains(&f) || !f.is_file() {
                        continue;
                    }
                    if initdb && postgres && target.ends_with(".sql") {
                        let text = read(&f)?;
                        let id = d.add_file(d.shown(&f), f.clone(), text, FileKind::Sql);
                        d.sql.push(SqlRef {
                            file: id,
                            service: Some(s.name.clone()),
                        });
                        seen.push(f);
                    } else if target.ends_with(".sh") {
                        let text = read(&f)?;
                        let id = d.add_file(d.shown(&f), f.clone(), text.clone(), FileKind::Shell);
                        d.scripts.push(ScriptRef {
                            file: id,
                            text,
                            inline: None,
                            run: shell::RunAs {
                                // The PostgreSQL entrypoint sources them under its own `set -e`.
                                errexit: initdb,
                                exit_status_matters: job,
                            },
                            service: Some(s.name.clone()),
                        });
                        seen.push(f);
                    }
                }
            }
        }
    }
    // Operator scripts in the directory, and those given.
    let mut extra: Vec<PathBuf> = Vec::new();
    if let Some(dir) = dir {
        for sub in [dir.to_path_buf(), dir.join("scripts")] {
            let mut entries: Vec<PathBuf> = std::fs::read_dir(&sub)
                .map(|r| r.filter_map(|e| e.ok().map(|e| e.path())).collect())
                .unwrap_or_default();
            entries.sort();
            extra.extend(
                entries
                    .into_iter()
                    .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "sh")),
            );
        }
    }
    extra.extend(input.scripts.iter().cloned());
    for p in extra {
        if seen.iter().any(|s| same_file(s, &p)) {
            continue;
        }
        let text = read(&p)?;
        seen.push(p.clone());
        if p.extension().is_some_and(|e| e == "sql") {
            let id = d.add_file(d.shown(&p), p, text, FileKind::Sql);
            d.sql.push(SqlRef {
                file: id,
                service: None,
            });
        } else {
            let id = d.add_file(d.shown(&p), p, text.clone(), FileKind::Shell);
            d.scripts.push(ScriptRef {
                file: id,
                text,
                inline: None,
                run: shell::RunAs {
                    errexit: false,
                    exit_status_matters: true,
                },
                service: None,
            });
        }
    }
    Ok(())
}

/// `entrypoint` then `command` of `svc` as written (before interpolation).
fn raw_argv(d: &Deployment, svc: &Svc) -> Option<Vec<String>> {
    let raw = d.raw.as_ref()?.get("services")?.get(&svc.name)?;
    let mut out = Vec::new();
    for field in ["entrypoint", "command"] {
        match raw.get(field).map(|y| &y.kind) {
            Some(tree::Kind::Str(s)) => out.extend(compose::shell_split(s)),
            Some(tree::Kind::Seq(items)) => {
                out.extend(items.iter().map(|i| i.text().unwrap_or_default()));
            }
            _ => {}
        }
    }
    Some(out)
}

/// The host file a container path of `svc` comes from, through its bind mounts.
fn container_to_host(d: &Deployment, svc: &Svc, path: &str) -> Option<PathBuf> {
    let mut best: Option<(&compose::Volume, &str)> = None;
    for v in svc.volumes.iter().filter(|v| v.bind) {
        let t = v.target.trim_end_matches('/');
        let rest = if path == t {
            Some("")
        } else {
            path.strip_prefix(&format!("{t}/"))
        };
        if let Some(rest) = rest {
            if best.is_none_or(|(b, _)| b.target.len() < v.target.len()) {
                best = Some((v, rest));
            }
        }
    }
    let (v, rest) = best?;
    let local = d.local(&v.source);
    Some(if rest.is_empty() {
        local
    } else {
        local.join(rest)
    })
}

/// For a literal block scalar (`|`) whose content starts at `loc` (where the YAML parser
/// marks a block scalar): (file line of the scalar's first line, indentation). `None` for
/// other scalars.
pub(crate) fn literal_block(file: &SrcFile, loc: Location) -> Option<(usize, usize)> {
    let mut n = loc.line.checked_sub(1)?;
    while n > 0 && file.line(n).trim().is_empty() {
        n -= 1;
    }
    let indicator = file.line(n).trim_end().rsplit(' ').next().unwrap_or("");
    let literal = indicator.starts_with('|')
        && indicator[1..]
            .chars()
            .all(|c| c == '-' || c == '+' || c.is_ascii_digit());
    literal.then_some((n + 1, loc.column - 1))
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
            let _ = dockerfile_base(&text, Some("x"), &[]);
        }
    }

    #[test]
    fn dockerfile_final_stage_and_target() {
        let df = "ARG NODE=20\nFROM node:${NODE}-alpine AS base\nHEALTHCHECK CMD wget -q http://127.0.0.1/\nFROM base AS production\nRUN true\nFROM busybox:1.36 AS debug\n";
        assert_eq!(
            dockerfile_base(df, None, &[]),
            (Some("busybox:1.36".into()), false)
        );
        assert_eq!(
            dockerfile_base(df, Some("production"), &[]),
            (Some("node:20-alpine".into()), true)
        );
        assert_eq!(
            dockerfile_base(df, Some("production"), &[("NODE".into(), "22".into())]).0,
            Some("node:22-alpine".into())
        );
    }

    #[test]
    fn inline_scripts_and_script_files() {
        let v = |s: &[&str]| s.iter().map(|x| (*x).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            inline_script(&v(&["/bin/sh", "-c", "x"])),
            Some((2, vec![]))
        );
        assert_eq!(
            inline_script(&v(&["sh", "-ec", "x"])),
            Some((2, vec!["-e".into()]))
        );
        assert_eq!(inline_script(&v(&["node", "-c", "x"])), None);
        assert_eq!(
            script_path(&v(&["/bin/sh", "-eu", "/init/init.sh"])),
            Some(("/init/init.sh".into(), vec!["-eu".into()]))
        );
    }
}
