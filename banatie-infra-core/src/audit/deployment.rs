//! What reading a deployment produces, and what every check reads: the files read
//! ([`SrcFile`], with the secret ranges to hide when one is shown), the scripts and init
//! SQL found in them ([`ScriptRef`], [`SqlRef`]), and the [`Deployment`] that holds them
//! with the parsed Compose project, the env files and the Caddy sites. Also the path
//! helpers both sides share (where a host path written in the Compose file is read from,
//! [`same_file`]) and the questions several checks ask of a service ([`is_job`]).
//!
//! Filled by [`super::read`]; nothing here reads a file except [`Deployment::add_file`]
//! (its mode bits) and the path helpers (`canonicalize`).

use std::collections::{HashMap, HashSet};
use std::os::unix::fs::PermissionsExt;
use std::path::{Component, Path, PathBuf};

use indexmap::IndexMap;

use super::compose::{At, Project, Svc};
use super::env::EnvFile;
use super::tree::{self, FileId};
use super::{caddyfile, interp, shell, FileKind};
use crate::diagnostic::{Code, Diagnostic, Location, Severity, Span};
use crate::types::ImageRef;

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
    pub(crate) fn redacted(&self) -> String {
        let masked = self.masked();
        crate::redact::show(&self.name, &masked, false).text
    }

    /// The text with the secret ranges found while reading it replaced by the marker.
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
    /// The file position of script position `at`: exact in a literal block scalar, the
    /// scalar's own position otherwise.
    pub(crate) fn map(&self, at: Location) -> Option<Location> {
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
    pub(crate) fn add_file(
        &mut self,
        name: String,
        path: PathBuf,
        text: String,
        kind: FileKind,
    ) -> FileId {
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

    /// A shared rule's finding (see [`crate::rules::Finding`]) placed in file `file` at
    /// `loc`, with `pointer` the path in that file's own structure.
    pub(crate) fn finding(
        &self,
        f: crate::rules::Finding,
        file: FileId,
        loc: Option<Location>,
        pointer: &str,
    ) -> Diagnostic {
        let mut d = f.at(pointer);
        d.span = Some(Span {
            file: self.files[file].name.clone(),
            location: loc,
        });
        d
    }

    /// A shared rule's finding placed at `at`.
    pub(crate) fn finding_at(&self, f: crate::rules::Finding, at: &At) -> Diagnostic {
        self.finding(f, at.file, at.loc, &at.pointer)
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
    pub(crate) fn shown(&self, local: &Path) -> String {
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
pub(crate) fn normalize(p: &Path) -> PathBuf {
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

/// Whether a service is a one-shot job: the MinIO client image, or `restart: "no"`.
pub(crate) fn is_job(d: &Deployment, s: &Svc) -> bool {
    s.restart.as_deref() == Some("no")
        || d.images
            .get(&s.name)
            .is_some_and(|i| crate::images::family(i) == crate::images::Family::MinioClient)
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
