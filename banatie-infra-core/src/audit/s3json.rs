//! Lifecycle and bucket-policy JSON, found the way `mc` finds them and read by the
//! schema `mc` imports.
//!
//! Found: (1) the files the audited scripts hand to `mc`: `mc ilm rule import
//! ALIAS/BUCKET < FILE` (and the retired `mc ilm import`), `cat FILE | mc ilm rule
//! import ...`, `mc anonymous set-json FILE ALIAS/BUCKET` (and the retired `mc policy
//! set-json`), `mc admin policy create ALIAS NAME FILE` (and the retired `... add`); a
//! container path is mapped to the host through the service's bind mounts, a relative
//! one from the script's directory, then the project's; (2) every `*.json` in the
//! deployment directory and its subdirectories (three levels, no hidden ones) whose top
//! level has `Rules` (a lifecycle) or `Statement` (a policy).
//!
//! Read by the schema of minio-go's `pkg/lifecycle` (the `Configuration` `mc ilm rule
//! import` decodes: `Rules[]` of `ID`, `Status`, `Filter`, `Expiration`, ...) and of
//! MinIO's policy language (`Version`, `Statement[]` of `Sid`, `Effect`, `Principal`,
//! `Action`, `Resource`, `Condition`). Go's JSON decoder ignores keys it does not know,
//! so a misspelt key is a rule that silently does nothing: it is a finding. Codes:
//! BI502 and BI503 (as `validate` reports them for a spec's lifecycle), [`CODE_LIFECYCLE_SCHEMA`]
//! (BI517), [`CODE_POLICY_SCHEMA`] (BI518), [`CODE_POLICY_PUBLIC_WRITE`] (BI519),
//! [`CODE_POLICY_RESOURCE`] (BI520), [`CODE_S3_JSON_UNREAD`] (BI521).

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crate::diagnostic::{Code, Location, Severity};
use crate::load::{Format, Node, NodeKind};

use super::{Deployment, FileKind};
pub use crate::rules::storage::{
    CODE_LIFECYCLE_SCHEMA, CODE_POLICY_PUBLIC_WRITE, CODE_POLICY_RESOURCE, CODE_POLICY_SCHEMA,
    CODE_S3_JSON_UNREAD,
};

/// What a file is for `mc`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `mc ilm rule import`.
    Lifecycle,
    /// `mc anonymous set-json` (a bucket policy, with `Principal`).
    Anonymous,
    /// `mc admin policy create` (an IAM policy, without `Principal`).
    Iam,
}

/// A reference from a script: kind, the path as written, the bucket (for `ALIAS/BUCKET`),
/// the script file and line.
#[derive(Debug, Clone)]
pub(crate) struct Ref {
    pub(crate) kind: Kind,
    pub(crate) path: String,
    pub(crate) bucket: Option<String>,
    pub(crate) at: Location,
}

/// The words of each command of a script line (continuations joined, quotes removed,
/// split at `;`, `&&`, `||`, `|`): (line, words, the file after `<`).
fn commands(text: &str) -> Vec<(usize, Vec<String>, Option<String>)> {
    let mut out = Vec::new();
    let mut joined = String::new();
    let mut start = 0;
    for (i, l) in text.lines().enumerate() {
        if joined.is_empty() {
            start = i + 1;
        }
        let t = l.trim();
        if t.starts_with('#') && joined.is_empty() {
            continue;
        }
        if let Some(s) = t.strip_suffix('\\') {
            joined.push_str(s);
            joined.push(' ');
            continue;
        }
        joined.push_str(t);
        let line = std::mem::take(&mut joined);
        // `cat FILE | mc ilm rule import T`: the file of the pipe's first command.
        let mut piped: Option<String> = None;
        for seg in line.split(&[';', '&'][..]).flat_map(|s| s.split("||")) {
            for part in seg.split('|') {
                let words = super::compose::shell_split(part);
                let mut redirect = None;
                let mut plain = Vec::new();
                let mut it = words.into_iter();
                while let Some(w) = it.next() {
                    if w == "<" {
                        redirect = it.next();
                    } else if let Some(f) = w
                        .strip_prefix('<')
                        .filter(|f| !f.is_empty() && !f.starts_with('<'))
                    {
                        redirect = Some(f.to_owned());
                    } else {
                        plain.push(w);
                    }
                }
                let input = if plain.first().is_some_and(|w| w == "cat") && plain.len() == 2 {
                    piped = plain.get(1).cloned();
                    None
                } else {
                    redirect.or_else(|| piped.take())
                };
                out.push((start, plain, input));
            }
        }
    }
    out
}

/// The `mc` JSON references of a script.
pub(crate) fn references(text: &str) -> Vec<Ref> {
    let mut out = Vec::new();
    for (line, words, input) in commands(text) {
        let Some(mc) = words.iter().position(|w| w == "mc" || w.ends_with("/mc")) else {
            continue;
        };
        // Flags (`--json`, `-q`) are not positional.
        let w: Vec<&str> = words[mc + 1..]
            .iter()
            .map(String::as_str)
            .filter(|w| !w.starts_with('-'))
            .collect();
        let at = Location { line, column: 1 };
        let bucket_of = |t: &str| {
            t.split_once('/').map(|(_, b)| {
                b.trim_end_matches('/')
                    .split('/')
                    .next()
                    .unwrap_or("")
                    .to_owned()
            })
        };
        let r = match w.as_slice() {
            ["ilm", "rule", "import", target, ..] | ["ilm", "import", target, ..] => {
                input.map(|p| (Kind::Lifecycle, p, bucket_of(target)))
            }
            ["anonymous", "set-json", file, target, ..]
            | ["policy", "set-json", file, target, ..] => {
                Some((Kind::Anonymous, (*file).to_owned(), bucket_of(target)))
            }
            ["admin", "policy", "create" | "add", _, _, file, ..] => {
                Some((Kind::Iam, (*file).to_owned(), None))
            }
            _ => None,
        };
        if let Some((kind, path, bucket)) = r {
            out.push(Ref {
                kind,
                path,
                bucket: bucket.filter(|b| !b.is_empty()),
                at,
            });
        }
    }
    out
}

/// Finds and reads the deployment's lifecycle and policy JSON (see the module docs).
pub(crate) fn read(d: &mut Deployment, dir: Option<&Path>) {
    let mut done: Vec<PathBuf> = Vec::new();
    for i in 0..d.scripts.len() {
        let script = d.scripts[i].clone();
        let script_dir = d.files[script.file].path.parent().map(Path::to_path_buf);
        for r in references(&script.text) {
            if r.path.contains('$') || r.path.contains('`') {
                // Named through a variable: not followed.
                continue;
            }
            let local = resolve(d, script.service.as_deref(), script_dir.as_deref(), &r.path);
            let at = match &script.inline {
                Some(m) => m.map(r.at),
                None => Some(r.at),
            };
            let Some(local) = local.filter(|p| p.is_file()) else {
                if script.text.matches(r.path.as_str()).count() > 1 {
                    // The script names it elsewhere too (writes it with a here-document,
                    // downloads or copies it): made at run time, not read here.
                    continue;
                }
                let dg = d.diag(
                    Severity::Error,
                    CODE_S3_JSON_UNREAD,
                    script.file,
                    at,
                    script.inline.as_ref().map_or("", |m| m.pointer.as_str()),
                    format!("`mc` is given `{}`, which is not a file here: the command fails", r.path),
                    "keep the JSON beside the script (or mount it into the job's container) under the name the command uses".into(),
                );
                d.diags.push(dg);
                continue;
            };
            if done.iter().any(|p| super::same_file(p, &local)) {
                continue;
            }
            done.push(local.clone());
            read_one(d, &local, Some(r.kind), r.bucket.as_deref());
        }
    }
    if let Some(dir) = dir {
        let mut found = Vec::new();
        walk(dir, 0, &mut found);
        found.sort();
        for p in found {
            if !done.iter().any(|q| super::same_file(q, &p)) {
                read_one(d, &p, None, None);
            }
        }
    }
}

/// `*.json` files under `dir`, three levels deep, hidden directories and
/// `node_modules` skipped, at most 1,000.
fn walk(dir: &Path, depth: usize, out: &mut Vec<PathBuf>) {
    if depth > 3 || out.len() >= 1000 {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        let name = e.file_name().to_string_lossy().into_owned();
        let Ok(t) = e.file_type() else { continue };
        if t.is_dir() && !name.starts_with('.') && name != "node_modules" {
            walk(&p, depth + 1, out);
        } else if t.is_file() && name.ends_with(".json") && out.len() < 1000 {
            out.push(p);
        }
    }
}

/// The host path of a path a script names.
fn resolve(
    d: &Deployment,
    service: Option<&str>,
    script_dir: Option<&Path>,
    p: &str,
) -> Option<PathBuf> {
    if let (Some(svc), Some(project)) = (service, d.project.as_ref()) {
        if p.starts_with('/') {
            let s = project.services.iter().find(|s| s.name == svc)?;
            return super::read::scripts::container_to_host(d, s, p);
        }
    }
    if p.starts_with('/') {
        return Some(d.local(p));
    }
    let from_script = script_dir.map(|s| super::deployment::normalize(&s.join(p)));
    match from_script {
        Some(f) if f.is_file() => Some(f),
        _ => Some(super::deployment::normalize(&d.project_dir.join(p))),
    }
}

/// Reads one file: `kind` when a script says what it is, else by its top level.
fn read_one(d: &mut Deployment, path: &Path, kind: Option<Kind>, bucket: Option<&str>) {
    let Ok(text) = crate::input::read_text_lossy(path) else {
        return;
    };
    let shown = d.shown(path);
    let node = match crate::load::parse_tree(&text, Format::Json, &shown) {
        Ok(n) => n,
        Err(e) => {
            if kind.is_some() {
                let id = d.add_file(shown, path.to_path_buf(), text, FileKind::Json);
                let src = e.to_diagnostic();
                let dg = d.diag(
                    Severity::Error,
                    CODE_S3_JSON_UNREAD,
                    id,
                    src.span.and_then(|s| s.location),
                    "",
                    format!("`mc` cannot read this file: {}", src.message),
                    "write strict JSON (no comments, no trailing commas); `jq . FILE` shows where it breaks".into(),
                );
                d.diags.push(dg);
            }
            return;
        }
    };
    let has = |k: &str| matches!(&node.kind, NodeKind::Map(e) if e.iter().any(|(key, _)| str_of(key) == Some(k)));
    let kind = match kind {
        Some(k) => k,
        None if has("Rules") => Kind::Lifecycle,
        None if has("Statement") && text.contains("\"Principal\"") => Kind::Anonymous,
        None if has("Statement") => Kind::Iam,
        None => return,
    };
    let id = d.add_file(shown, path.to_path_buf(), text, FileKind::Json);
    let mut out = Vec::new();
    match kind {
        Kind::Lifecycle => super::s3json_lifecycle::check(&node, bucket, &mut out),
        Kind::Anonymous | Kind::Iam => super::s3json_policy::check(&node, kind, bucket, &mut out),
    }
    for f in out {
        let dg = d.diag(f.severity, f.code, id, f.at, &f.pointer, f.message, f.help);
        d.diags.push(dg);
    }
}

/// A finding in a JSON file.
pub(crate) struct Finding {
    pub(crate) severity: Severity,
    pub(crate) code: Code,
    pub(crate) at: Option<Location>,
    pub(crate) pointer: String,
    pub(crate) message: String,
    pub(crate) help: String,
}

impl Finding {
    /// A shared rule's finding (see [`crate::rules::Finding`]) at `node`, `pointer` the
    /// path in the JSON.
    pub(crate) fn shared(f: crate::rules::Finding, node: &Node, pointer: &str) -> Self {
        Self {
            severity: f.severity,
            code: f.code,
            at: node.loc,
            pointer: pointer.to_owned(),
            message: f.message,
            help: f.help,
        }
    }

    pub(crate) fn error(
        code: Code,
        node: &Node,
        pointer: &str,
        message: String,
        help: &str,
    ) -> Self {
        Self {
            severity: Severity::Error,
            code,
            at: node.loc,
            pointer: pointer.to_owned(),
            message,
            help: help.to_owned(),
        }
    }
}

/// A node's string, if it is one (a JSON string: the YAML parser that gives positions
/// reads JSON's numbers, booleans and null as plain scalars, [`kind`]).
pub(crate) fn str_of(n: &Node) -> Option<&str> {
    match &n.kind {
        NodeKind::Str(s) => Some(s),
        _ => None,
    }
}

/// A node's value with a plain scalar's resolution applied (`7` is `Int(7)`).
pub(crate) fn kind(n: &Node) -> &NodeKind {
    match &n.kind {
        NodeKind::Plain(k, _) => k,
        k => k,
    }
}

/// A JSON type's name, for messages.
pub(crate) fn type_name(n: &Node) -> &'static str {
    match kind(n) {
        NodeKind::Null => "null",
        NodeKind::Bool(_) => "a boolean",
        NodeKind::Int(_) | NodeKind::Float(_) => "a number",
        NodeKind::Str(_) => "a string",
        NodeKind::Plain(..) => "a value",
        NodeKind::Seq(_) => "an array",
        NodeKind::Map(_) => "an object",
    }
}

/// Whether `name` is likely a misspelling of `known`: close in edit distance, or
/// sharing its first four letters (`Expiry` for `Expiration`).
fn similar(known: &str, name: &str) -> bool {
    let (k, n) = (known.to_ascii_lowercase(), name.to_ascii_lowercase());
    strsim::levenshtein(&k, &n) <= 2
        || (n.len() >= 4 && n.is_char_boundary(4) && k.starts_with(&n[..4]))
}

/// Checks an object's keys against `known` (Go's decoder matches them case-insensitively
/// and ignores the rest); returns the entries by their canonical name.
pub(crate) fn keys<'n>(
    node: &'n Node,
    pointer: &str,
    known: &[&'static str],
    code: Code,
    what: &str,
    out: &mut Vec<Finding>,
) -> Vec<(&'static str, &'n Node, &'n Node)> {
    let NodeKind::Map(entries) = &node.kind else {
        out.push(Finding::error(
            code,
            node,
            pointer,
            format!("{what} is {}, not an object", type_name(node)),
            "write it as a JSON object, as the S3 documentation shows",
        ));
        return vec![];
    };
    let mut seen = HashSet::new();
    let mut found = Vec::new();
    for (k, v) in entries {
        let name = str_of(k).unwrap_or("");
        match known.iter().find(|c| c.eq_ignore_ascii_case(name)) {
            Some(c) if seen.insert(*c) => found.push((*c, k, v)),
            Some(c) => out.push(Finding::error(
                code,
                k,
                pointer,
                format!("`{c}` is written twice in {what}: only the last one counts"),
                "write each key once",
            )),
            None => out.push(Finding::error(
                code,
                k,
                pointer,
                format!(
                    "unknown key `{name}` in {what}: `mc` ignores it{}",
                    known
                        .iter()
                        .find(|c| similar(c, name))
                        .map(|c| format!(" (did you mean `{c}`?)"))
                        .unwrap_or_default()
                ),
                &format!("the keys of {what} are {}", known.join(", ")),
            )),
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_references() {
        let s = "set -e\nmc ilm rule import local/media < /config/lifecycle.json\ncat ./ilm.json | mc ilm rule import local/tmp\nmc anonymous set-json ./public.json local/media\nmc admin policy create local app-rw \\\n  ./app-policy.json\nmc ls local\n";
        let r = references(s);
        let got: Vec<(Kind, &str, Option<&str>, usize)> = r
            .iter()
            .map(|r| (r.kind, r.path.as_str(), r.bucket.as_deref(), r.at.line))
            .collect();
        assert_eq!(
            got,
            vec![
                (Kind::Lifecycle, "/config/lifecycle.json", Some("media"), 2),
                (Kind::Lifecycle, "./ilm.json", Some("tmp"), 3),
                (Kind::Anonymous, "./public.json", Some("media"), 4),
                (Kind::Iam, "./app-policy.json", None, 5),
            ]
        );
    }
}
