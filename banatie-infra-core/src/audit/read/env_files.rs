//! Reading the `env_file`s of the services: found in the raw (not interpolated) tree,
//! since their paths are rarely interpolated, read as Compose reads them
//! ([`super::super::env::load`]). A required file that cannot be read is a finding at
//! the reference (Compose refuses to start without it), as is one that is not a regular
//! file or too large (not read, required or not).

use std::path::PathBuf;

use indexmap::IndexMap;

use super::super::tree::{self, FileId};
use super::super::{env, same_file, Deployment, FileKind};
use crate::diagnostic::{Location, Severity};
use crate::rules::health::CODE_UNPARSABLE;

/// A reference to an env file: (path, file, position, pointer, required).
type EnvRef = (String, FileId, Option<Location>, String, bool);

/// Reads every `env_file` the services of raw tree `r` name, and records which files
/// each service reads ([`Deployment::service_env_files`]).
pub(crate) fn read(d: &mut Deployment, r: &tree::Y) {
    let env_paths = references(d, r);
    load(d, env_paths);
}

/// The `env_file` references of every service, in order; fills
/// [`Deployment::service_env_files`] with the local paths.
fn references(d: &mut Deployment, r: &tree::Y) -> Vec<EnvRef> {
    let mut env_paths: Vec<EnvRef> = Vec::new();
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
    env_paths
}

/// Reads each referenced env file once (one already read is skipped).
fn load(d: &mut Deployment, env_paths: Vec<EnvRef>) {
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
                env::load(d, id, false);
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
                    "create it (for a rendered bundle: `banatie-infra secrets SPEC --root DIR`), or pass the deployment root with `--root` when auditing a copy".into(),
                );
                d.diags.push(dg);
            }
            Err(_) => {}
        }
    }
}
