//! Reading a deployment: which files, in which order, into a [`Deployment`]. The Compose
//! files (base and override, merged), the deployment root they were written for, the
//! project `.env`, every `env_file` ([`env_files`]), the images the services run or are
//! built from ([`images`]), the scripts they run and the operator's ([`scripts`]), the
//! Caddyfiles, and the JSON handed to `mc` ([`super::s3json`]). Each file is read as its
//! consumer reads it by its own module ([`super::compose`], [`super::env`],
//! [`super::caddyfile`], ...); problems inside files become diagnostics in
//! [`Deployment::diags`], and only a file that cannot be read at all is an error.

pub(crate) mod env_files;
pub(crate) mod images;
pub(crate) mod scripts;

use std::path::{Path, PathBuf};

use super::tree;
use super::{caddy_grammar, caddy_imports, caddyfile, compose, env, s3json};
use super::{AuditError, AuditInput, Deployment, FileKind, Project};
use crate::diagnostic::Severity;
use crate::load::Format;
use crate::rules::health::CODE_UNPARSABLE;

/// Reads a file the audit was given or found, with the input bound
/// ([`crate::input::read_text_lossy`]).
pub(crate) fn read(path: &Path) -> Result<String, AuditError> {
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
    let compose_paths = compose_paths(input, dir.as_deref());
    d.project_dir = project_dir(&compose_paths, dir.as_deref());
    let raw = read_compose(&mut d, &compose_paths)?;
    d.root = deployment_root(input, dir.as_deref(), raw.as_ref());
    read_project_env(&mut d, input)?;
    d.interp_env = env::interpolation_env(&d);
    if let Some(r) = &raw {
        env_files::read(&mut d, r);
        // Interpolate, with findings.
        let interpolated = env::interpolate_compose(&mut d, r);
        let mut project = compose::project(&interpolated);
        fill_raw(&mut project, r);
        d.project = Some(project);
    }
    d.raw = raw;
    images::resolve(&mut d, input);
    scripts::find(&mut d, dir.as_deref(), input)?;
    read_caddyfiles(&mut d, input, dir.as_deref())?;
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

/// The Compose files: those given, else the first of [`COMPOSE_NAMES`] in `dir` and its
/// override file (`compose.override.yaml` for `compose.yaml`, ...), if they exist.
fn compose_paths(input: &AuditInput, dir: Option<&Path>) -> Vec<PathBuf> {
    let mut compose_paths = input.compose.clone();
    if compose_paths.is_empty() {
        if let Some(dir) = dir {
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
    compose_paths
}

/// The project directory (where relative Compose paths start): the first Compose file's,
/// else `dir`, else `.`.
fn project_dir(compose_paths: &[PathBuf], dir: Option<&Path>) -> PathBuf {
    let project_dir = compose_paths
        .first()
        .and_then(|p| p.parent().map(Path::to_path_buf))
        .or_else(|| dir.map(Path::to_path_buf))
        .unwrap_or_else(|| PathBuf::from("."));
    if project_dir.as_os_str().is_empty() {
        return PathBuf::from(".");
    }
    project_dir
}

/// Reads and parses the Compose files (a parse error is a finding) and merges their trees
/// like Compose: the raw tree, not yet interpolated.
fn read_compose(
    d: &mut Deployment,
    compose_paths: &[PathBuf],
) -> Result<Option<tree::Y>, AuditError> {
    let mut trees = Vec::new();
    for p in compose_paths {
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
    Ok(raw)
}

/// The deployment root: the one given, else inferred from the absolute paths written in
/// the Compose files that are not on this machine ([`infer_root`]).
fn deployment_root(
    input: &AuditInput,
    dir: Option<&Path>,
    raw: Option<&tree::Y>,
) -> Option<String> {
    let root = input
        .root
        .clone()
        .map(|r| r.trim_end_matches('/').to_owned());
    if root.is_some() {
        return root;
    }
    let (Some(dir), Some(r)) = (dir, raw) else {
        return None;
    };
    let mut paths = Vec::new();
    if let Some(services) = r.get("services") {
        for (_, s) in services.entries() {
            if let Some(ef) = s.get("env_file") {
                paths.extend(ef.text());
                paths.extend(
                    ef.items()
                        .iter()
                        .filter_map(|i| i.text().or_else(|| i.get("path").and_then(tree::Y::text))),
                );
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
    infer_root(dir, &paths)
}

/// Reads the project env file: the one given, else `.env` in the project directory.
fn read_project_env(d: &mut Deployment, input: &AuditInput) -> Result<(), AuditError> {
    let project_env = input.env_file.clone().or_else(|| {
        let p = d.project_dir.join(".env");
        p.is_file().then_some(p)
    });
    if let Some(p) = project_env {
        let text = read(&p)?;
        let id = d.add_file(d.shown(&p), p, text, FileKind::EnvFile);
        env::load(d, id, true);
        d.project_env = Some(d.env_files.len() - 1);
    }
    Ok(())
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

/// Reads the Caddyfiles (those given, else `Caddyfile` and `caddy/Caddyfile` in `dir`):
/// follows their file imports ([`caddy_imports`]), parses them (a parse error and a
/// snippet import problem are findings), checks their grammar ([`caddy_grammar`]), and
/// keeps their sites.
fn read_caddyfiles(
    d: &mut Deployment,
    input: &AuditInput,
    dir: Option<&Path>,
) -> Result<(), AuditError> {
    let mut caddy_paths = input.caddyfiles.clone();
    if caddy_paths.is_empty() {
        if let Some(dir) = dir {
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
        caddy_imports::check(d, id, &p, &text);
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
                caddy_grammar::report(d, id, &blocks);
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
    Ok(())
}
