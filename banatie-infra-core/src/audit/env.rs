//! Env files and interpolation, as Compose v2 does them (compose-go):
//!
//! - The project env file (`.env`) is read top to bottom; a `${VAR}` in it is looked up in
//!   the shell environment, then in the lines above. Its values, under the shell's, are the
//!   interpolation environment of the Compose file.
//! - Each `env_file` is read the same way, looking up the interpolation environment first,
//!   then its own lines above. Its values go into containers only: Compose never
//!   interpolates the Compose file from them.
//! - Unquoted and double-quoted values are expanded at `$`; single-quoted ones are literal.
//!   An unquoted value ends at ` #` (a comment); Compose 2.0 to 2.5 (docker/compose#9327)
//!   and dotenv libraries cut it at any `#`.
//!
//! The rules on env files: BI309 (quoting), BI307 (a reference that is empty), BI208 (a
//! URL's user info), BI114 (a variable defined twice), BI202 (placeholders), BI207 (mode).

use indexmap::IndexMap;

use super::interp::{self, Op, Piece};
use super::tree::{FileId, Kind, Y};
use super::{Deployment, CODE_DOLLAR_NEEDS_ESCAPE, CODE_ENV_FILE_QUOTING, CODE_SECRET_FILE_MODE};
use super::{CODE_UNPARSABLE, CODE_UNSET_INTERPOLATION, CODE_URL_USERINFO};
use crate::diagnostic::{Diagnostic, Location, Severity};
use crate::envfile::{self, Entry, Quoting};
use crate::input::CODE_INTERPOLATION_BOUND;
use crate::validate::{
    is_placeholder, looks_secret, CODE_ENV_DEFINITION, CODE_PLACEHOLDER, CODE_SECRET_IN_PUBLIC_ENV,
};

/// A parsed env file.
#[derive(Debug, Clone)]
pub(crate) struct EnvFile {
    /// The file.
    pub(crate) file: FileId,
    /// Its entries in order.
    pub(crate) entries: Vec<Entry>,
    /// Each entry's value as Compose reads it (expanded); `None` for `KEY` alone.
    pub(crate) values: Vec<Option<String>>,
    /// Whether it is the project env file.
    pub(crate) project: bool,
    /// Key -> index of its last entry (lookups in constant time).
    last: std::collections::HashMap<String, usize>,
}

impl EnvFile {
    /// The last definition of `key`: (entry index, value).
    pub(crate) fn get(&self, key: &str) -> Option<(usize, Option<&str>)> {
        let &i = self.last.get(key)?;
        Some((i, self.values[i].as_deref()))
    }
}

/// Whether a file name says it holds secrets.
pub(crate) fn secret_file_name(name: &str) -> bool {
    let base = name.rsplit('/').next().unwrap_or(name).to_ascii_lowercase();
    base.contains("secret") || base.contains("credential") || base.contains("password")
}

/// The template text of an entry whose value Compose expands: the raw value, with `\$`
/// of a double-quoted value turned into the escape `$$` (same length).
fn template_text(e: &Entry) -> Option<String> {
    match e.quoting {
        Quoting::Unquoted => Some(e.raw_value.clone()),
        Quoting::Double => {
            let mut out = String::new();
            let mut chars = e.raw_value.chars().peekable();
            while let Some(c) = chars.next() {
                if c == '\\' {
                    match chars.next() {
                        Some('$') => out.push_str("$$"),
                        Some(n) => {
                            out.push('\\');
                            out.push(n);
                        }
                        None => out.push('\\'),
                    }
                } else {
                    out.push(c);
                }
            }
            Some(out)
        }
        Quoting::Single | Quoting::NoValue => None,
    }
}

/// The position of character `offset` of an entry's raw value.
fn value_pos(e: &Entry, offset: usize) -> Location {
    let before: String = e.raw_value.chars().take(offset).collect();
    match before.rfind('\n') {
        Some(nl) => Location {
            line: e.location.line + before.matches('\n').count(),
            column: before[nl + 1..].chars().count() + 1,
        },
        None => Location {
            line: e.location.line,
            column: e.value_column + offset,
        },
    }
}

/// Reads env file `id` into the deployment: parses it, expands its values, marks its
/// secrets for redaction, reports a parse error.
pub(crate) fn load(d: &mut Deployment, id: FileId, project: bool) {
    let text = d.files[id].text.clone();
    let entries = match envfile::parse(&text) {
        Ok(e) => e,
        Err(e) => {
            let dg = d.diag(
                Severity::Error,
                CODE_UNPARSABLE,
                id,
                Some(e.location),
                "",
                format!("the env file does not parse: {}", e.message),
                "write one `NAME=value` per line; quote values with spaces or special characters in single quotes".into(),
            );
            d.diags.push(dg);
            Vec::new()
        }
    };
    let outer: IndexMap<String, String> = if project {
        d.shell_env.clone()
    } else {
        d.interp_env.clone()
    };
    let mut so_far: IndexMap<String, String> = IndexMap::new();
    let mut values = Vec::new();
    let secret_file = secret_file_name(&d.files[id].name);
    let budget = std::mem::take(&mut d.interp_budget);
    for e in &entries {
        let v = match e.quoting {
            Quoting::NoValue => None,
            _ => Some(match template_text(e).map(|t| interp::parse(&t)) {
                Some(Ok(pieces)) => {
                    let lookup =
                        |k: &str| outer.get(k).or_else(|| so_far.get(k)).map(String::as_str);
                    match interp::expand(&pieces, &lookup, &budget) {
                        Ok(v) => v,
                        Err(o) if !budget.report(o) => e.value.clone(),
                        Err(o) => {
                            let dg = d.diag(
                                Severity::Error,
                                CODE_INTERPOLATION_BOUND,
                                id,
                                Some(e.location),
                                "",
                                format!("`{}` is not expanded: {}", e.key, o.describe()),
                                "write the value out, or single-quote it so that it is not expanded".into(),
                            );
                            d.diags.push(dg);
                            // Read as written: later references see the raw text.
                            e.value.clone()
                        }
                    }
                }
                _ => e.value.clone(),
            }),
        };
        if let Some(v) = &v {
            so_far.insert(e.key.clone(), v.clone());
        }
        values.push(v);
        // Redact secret values when showing the file.
        let start = e.value_column;
        if (secret_file || looks_secret(&e.key)) && !e.raw_value.is_empty() {
            let first_line_len = e.raw_value.split('\n').next().unwrap_or("").chars().count();
            d.files[id]
                .redact
                .push((e.location.line, start, start + first_line_len));
        } else if let Some((off, len)) = url_password(&e.raw_value)
            .filter(|(off, len)| !e.raw_value.chars().skip(*off).take(*len).any(|c| c == '$'))
        {
            let p = value_pos(e, off);
            d.files[id].redact.push((p.line, p.column, p.column + len));
        }
    }
    d.interp_budget = budget;
    let last = entries
        .iter()
        .enumerate()
        .map(|(i, e)| (e.key.clone(), i))
        .collect();
    d.env_files.push(EnvFile {
        file: id,
        entries,
        values,
        project,
        last,
    });
}

/// The interpolation environment: the project env file's values under the shell's.
pub(crate) fn interpolation_env(d: &Deployment) -> IndexMap<String, String> {
    let mut out = IndexMap::new();
    if let Some(p) = d.project_env {
        let ef = &d.env_files[p];
        for (i, e) in ef.entries.iter().enumerate() {
            if let Some(v) = &ef.values[i] {
                out.insert(e.key.clone(), v.clone());
            }
        }
    }
    for (k, v) in &d.shell_env {
        out.insert(k.clone(), v.clone());
    }
    out
}

/// Where else a variable is defined: the first env file (not the project one) with it.
fn defined_in_env_file(d: &Deployment, name: &str) -> Option<(String, usize)> {
    defined_in(d, name).map(|(f, l, _)| (f, l))
}

/// [`defined_in_env_file`], with the file's local path.
fn defined_in(d: &Deployment, name: &str) -> Option<(String, usize, std::path::PathBuf)> {
    d.env_files.iter().filter(|e| !e.project).find_map(|ef| {
        let (i, _) = ef.get(name)?;
        let f = &d.files[ef.file];
        Some((f.name.clone(), ef.entries[i].location.line, f.path.clone()))
    })
}

/// The value a variable has anywhere (shell, project env, env files), for checks that
/// need it (a URL's password).
pub(crate) fn any_value(d: &Deployment, name: &str) -> Option<(String, String)> {
    if let Some(v) = d.interp_env.get(name) {
        if !v.is_empty() {
            return Some((v.clone(), "the interpolation environment".into()));
        }
    }
    d.env_files.iter().find_map(|ef| {
        let (i, v) = ef.get(name)?;
        let v = v?;
        (!v.is_empty()).then(|| {
            (
                v.to_owned(),
                format!(
                    "{} line {}",
                    d.files[ef.file].name, ef.entries[i].location.line
                ),
            )
        })
    })
}

/// Whether a bare `$name` looks like a literal `$` rather than a reference: the name
/// has lower-case letters and is defined nowhere.
pub(crate) fn literal_looking(d: &Deployment, r: &interp::Ref) -> bool {
    !r.braced
        && r.name.bytes().any(|b| b.is_ascii_lowercase())
        && !d.interp_env.contains_key(&r.name)
        && defined_in_env_file(d, &r.name).is_none()
}

/// The position of character `offset` of a YAML scalar whose text is `text` and that the
/// parser marks at `loc` (a quote, the first character of a plain scalar, the first
/// content line of a block scalar). Inside a literal block scalar the line is exact;
/// in other multi-line scalars `loc` is returned.
fn scalar_pos(
    d: &Deployment,
    file: FileId,
    loc: Option<Location>,
    text: &str,
    offset: usize,
) -> Option<Location> {
    let loc = loc?;
    let before: String = text.chars().take(offset).collect();
    if let Some(nl) = before.rfind('\n') {
        return Some(match super::literal_block(&d.files[file], loc) {
            Some((first, indent)) => Location {
                line: first + before.matches('\n').count(),
                column: indent + before[nl + 1..].chars().count() + 1,
            },
            None => loc,
        });
    }
    let line = d.files[file].line(loc.line);
    let quoted = matches!(line.chars().nth(loc.column - 1), Some('"' | '\''));
    Some(Location {
        line: loc.line,
        column: loc.column + usize::from(quoted) + offset,
    })
}

/// The environment variable a Compose value belongs to, from its pointer and text:
/// `/services/S/environment/KEY` (map form) or `/services/S/environment/N` with
/// `KEY=value` (list form). Returns (key, offset of the value in the scalar).
fn env_key(pointer: &str, text: &str) -> Option<(String, usize)> {
    let parts: Vec<&str> = pointer.split('/').collect();
    if parts.len() == 5 && parts[1] == "services" && parts[3] == "environment" {
        if parts[4].bytes().all(|b| b.is_ascii_digit()) {
            let (k, _) = text.split_once('=')?;
            return Some((k.to_owned(), k.chars().count() + 1));
        }
        return Some((parts[4].replace("~1", "/").replace("~0", "~"), 0));
    }
    None
}

/// Interpolates the merged Compose tree like Compose, reporting: BI307 (a reference
/// that is empty or fails), BI308 (a literal `$` that needs `$$`, an invalid `${`), BI201
/// (a secret interpolated into the Compose file). Returns the interpolated tree.
pub(crate) fn interpolate_compose(d: &mut Deployment, raw: &Y) -> Y {
    let mut out = Vec::new();
    let y = walk(d, raw, String::new(), &mut out);
    d.diags.extend(out);
    y
}

fn walk(d: &Deployment, y: &Y, pointer: String, out: &mut Vec<Diagnostic>) -> Y {
    let kind = match &y.kind {
        Kind::Str(s) => Kind::Str(interpolate_value(d, y, s, &pointer, out)),
        Kind::Seq(items) => Kind::Seq(
            items
                .iter()
                .enumerate()
                .map(|(i, it)| walk(d, it, format!("{pointer}/{i}"), out))
                .collect(),
        ),
        Kind::Map(entries) => Kind::Map(
            entries
                .iter()
                .map(|(k, v)| {
                    let p = format!("{pointer}/{}", crate::diagnostic::escape_token(&k.text));
                    (k.clone(), walk(d, v, p, out))
                })
                .collect(),
        ),
        other => other.clone(),
    };
    Y {
        kind,
        loc: y.loc,
        file: y.file,
        plain: y.plain.clone(),
    }
}

fn interpolate_value(
    d: &Deployment,
    y: &Y,
    s: &str,
    pointer: &str,
    out: &mut Vec<Diagnostic>,
) -> String {
    if !s.contains('$') {
        return s.to_owned();
    }
    let env_ctx = env_key(pointer, s);
    let secret_key = env_ctx.as_ref().is_some_and(|(k, _)| looks_secret(k));
    let pieces = match interp::parse(s) {
        Ok(p) => p,
        Err(interp::Invalid(off)) => {
            out.push(d.diag(
                Severity::Error,
                CODE_DOLLAR_NEEDS_ESCAPE,
                y.file,
                scalar_pos(d, y.file, y.loc, s, off),
                pointer,
                "invalid interpolation: a `${` that is not closed or holds no variable name; Compose refuses the file".into(),
                "write `$$` for a literal `$`, or `${NAME}` for a variable".into(),
            ));
            return s.to_owned();
        }
    };
    let in_command = pointer.contains("/command")
        || pointer.contains("/entrypoint")
        || pointer.contains("/healthcheck/");
    let mut literal_dollars = false;
    for p in &pieces {
        let Piece::Ref(r) = p else { continue };
        let pos = scalar_pos(d, y.file, y.loc, s, r.start);
        if looks_secret(&r.name) {
            out.push(d.diag(
                Severity::Error,
                CODE_SECRET_IN_PUBLIC_ENV,
                y.file,
                pos,
                pointer,
                format!("`${{{}}}` interpolates a secret into the Compose file: Compose writes its value into the resolved configuration (`docker compose config`), and it must sit in the project .env or the shell to be found", r.name),
                "pass the secret to the container with `env_file:` (a 0600 file) and remove it here; a value that embeds a secret (a URL) goes into that file whole".into(),
            ));
        }
        if d.interp_env.contains_key(&r.name) {
            continue;
        }
        match r.op {
            Op::Default { .. } | Op::Alternative { .. } => continue,
            Op::Plain | Op::Required { .. } => {}
        }
        if literal_looking(d, r) {
            literal_dollars = true;
            continue;
        }
        let required = matches!(r.op, Op::Required { .. });
        let effect = if required {
            "Compose stops with \"required variable is missing a value\"".to_owned()
        } else {
            "it is interpolated as an empty string".to_owned()
        };
        // Whether this service reads the file that defines the variable.
        let service = pointer
            .split('/')
            .nth(2)
            .map(|t| t.replace("~1", "/").replace("~0", "~"));
        let reads = |path: &std::path::Path| {
            service
                .as_ref()
                .and_then(|s| d.service_env_files.get(s))
                .is_some_and(|files| files.iter().any(|f| super::same_file(f, path)))
        };
        let (message, help) = match defined_in(d, &r.name) {
            Some((file, line, path)) => {
                // The file as a Compose file would name it: relative to the project.
                let rel = path
                    .strip_prefix(&d.project_dir)
                    .map_or_else(|_| file.clone(), |r| format!("./{}", r.display()));
                (
                format!("`{}` is defined only in `{file}` (line {line}), an env_file: Compose interpolates the Compose file from the shell and the project .env only, so {effect}", r.name),
                match (in_command, reads(&path)) {
                    (true, true) => format!("write `$${{{}}}` so the container's shell expands it at run time from its env_file", r.name),
                    (true, false) => format!("give the service `env_file: [{rel}]` and write `$${{{}}}`, so its shell expands it at run time", r.name),
                    (false, true) => format!("remove this line: the container already gets `{}` from `{file}` through `env_file`", r.name),
                    (false, false) => format!("give the service `env_file: [{rel}]` and remove this line: the container then gets `{}` from it", r.name),
                },
            )
            }
            None => (
                format!(
                    "`{}` is not set in the shell or the project .env: {effect}",
                    r.name
                ),
                if in_command {
                    format!("define `{0}` in the project .env, or write `$${{{0}}}` if the container's shell should expand it", r.name)
                } else {
                    format!(
                        "define `{}` in the project .env, or give a default: `${{{}:-value}}`",
                        r.name, r.name
                    )
                },
            ),
        };
        out.push(d.diag(
            Severity::Error,
            CODE_UNSET_INTERPOLATION,
            y.file,
            pos,
            pointer,
            message,
            help,
        ));
    }
    if literal_dollars {
        let first = pieces.iter().find_map(|p| match p {
            Piece::Ref(r) if literal_looking(d, r) => Some(r.start),
            _ => None,
        });
        let what = env_ctx
            .as_ref()
            .map_or_else(|| "this value".to_owned(), |(k, _)| format!("`{k}`"));
        let help = if secret_key {
            "write every literal `$` of the value as `$$` (the value is not shown: it is a secret); better, move it to a 0600 env_file, written in single quotes".to_owned()
        } else {
            let value = env_ctx.as_ref().map_or(s, |(_, off)| {
                &s[s.char_indices().nth(*off).map_or(0, |(i, _)| i)..]
            });
            format!("write it as `{}`", value.replace('$', "$$"))
        };
        out.push(d.diag(
            Severity::Error,
            CODE_DOLLAR_NEEDS_ESCAPE,
            y.file,
            scalar_pos(d, y.file, y.loc, s, first.unwrap_or(0)),
            pointer,
            format!("{what} holds a `$` that Compose interpolates: the text after it is read as a variable name and replaced by an empty string, so the value is cut"),
            help,
        ));
    }
    let lookup = |k: &str| d.interp_env.get(k).map(String::as_str);
    match interp::expand(&pieces, &lookup, &d.interp_budget) {
        Ok(v) => v,
        Err(o) if !d.interp_budget.report(o) => s.to_owned(),
        Err(o) => {
            out.push(d.diag(
                Severity::Error,
                CODE_INTERPOLATION_BOUND,
                y.file,
                scalar_pos(d, y.file, y.loc, s, 0),
                pointer,
                format!("this value is not expanded: {}", o.describe()),
                "write the value out, or `$$` for a literal `$`".into(),
            ));
            s.to_owned()
        }
    }
}

mod url;
pub(crate) use url::{check_url, url_password};

/// Runs the rules on one env file.
pub(crate) fn check(d: &Deployment, ef: &EnvFile, out: &mut Vec<Diagnostic>) {
    let file = &d.files[ef.file];
    let secret_file = secret_file_name(&file.name);
    let shown = |key: &str| !(secret_file || looks_secret(key));
    let mut first_def: IndexMap<&str, usize> = IndexMap::new();
    let mut so_far: std::collections::HashSet<&str> = std::collections::HashSet::new();
    // Key -> the indices of its entries, in order (for "defined later").
    let mut defs: std::collections::HashMap<&str, Vec<usize>> = std::collections::HashMap::new();
    for (i, e) in ef.entries.iter().enumerate() {
        defs.entry(e.key.as_str()).or_default().push(i);
    }
    let mut secret_line: Option<(usize, &str)> = None;
    for (i, e) in ef.entries.iter().enumerate() {
        let line = file.line(e.location.line);
        let at = Some(e.location);
        // BI114: defined twice.
        match first_def.get(e.key.as_str()) {
            Some(&first) => out.push(d.diag(
                Severity::Error,
                CODE_ENV_DEFINITION,
                ef.file,
                at,
                "",
                format!("`{}` is defined again (first at line {}): the last definition wins, and the file no longer says which value is meant", e.key, ef.entries[first].location.line),
                "keep one definition: edit the value in place instead of appending (`>>`) a new line".into(),
            )),
            None => {
                first_def.insert(&e.key, i);
            }
        }
        // BI309: cut at `#`.
        if e.quoting == Quoting::Unquoted {
            let eq = line.find('=').map_or(0, |i| i + 1);
            let rest = line[eq..].trim();
            if let Some(h) = rest.find('#') {
                let after_space = h > 0 && rest[..h].ends_with([' ', '\t']);
                let comment = after_space && rest[h + 1..].starts_with([' ', '\t']);
                if !comment {
                    let how = if after_space {
                        "Compose cuts the value at ` #`: the rest is read as a comment"
                    } else {
                        "Compose 2.0 to 2.5 (docker/compose#9327) and dotenv libraries cut the value at `#`: the rest is read as a comment"
                    };
                    out.push(d.diag(
                        Severity::Error,
                        CODE_ENV_FILE_QUOTING,
                        ef.file,
                        at,
                        "",
                        format!("the value of `{}` holds `#` unquoted; {how}", e.key),
                        quote_help(e, shown(&e.key), rest),
                    ));
                }
            }
        }
        // BI309 and BI307: `$` in an expanding value.
        if let Some(t) = template_text(e) {
            match interp::parse(&t) {
                Err(interp::Invalid(off)) => out.push(d.diag(
                    Severity::Error,
                    CODE_ENV_FILE_QUOTING,
                    ef.file,
                    Some(value_pos(e, off)),
                    "",
                    format!("the value of `{}` holds `${{` that is not a variable reference: Compose refuses the file", e.key),
                    quote_help(e, shown(&e.key), &e.raw_value),
                )),
                Ok(pieces) => {
                    let mut literal = false;
                    for p in &pieces {
                        let Piece::Ref(r) = p else { continue };
                        let outer = if ef.project { &d.shell_env } else { &d.interp_env };
                        if outer.contains_key(&r.name) || so_far.contains(&r.name.as_str()) {
                            continue;
                        }
                        if matches!(r.op, Op::Default { .. } | Op::Alternative { .. }) {
                            continue;
                        }
                        if literal_looking(d, r) {
                            literal = true;
                            continue;
                        }
                        let later = defs.get(r.name.as_str()).and_then(|v| {
                            v.get(v.partition_point(|&j| j <= i)).map(|&j| &ef.entries[j])
                        });
                        let elsewhere = defined_in_env_file(d, &r.name)
                            .filter(|(f, _)| *f != file.name);
                        let message = match (later, elsewhere) {
                            (Some(l), _) => format!("`{}` is defined later in this file (line {}): Compose reads an env file top to bottom, so `${{{}}}` is empty here", r.name, l.location.line, r.name),
                            (None, Some((f, l))) => format!("`{}` is defined only in `{f}` (line {l}), which Compose never uses to expand this file: `${{{}}}` is empty here", r.name, r.name),
                            (None, None) => format!("`{}` is not set in the shell or above this line: `${{{}}}` is empty here", r.name, r.name),
                        };
                        let help = match later {
                            Some(_) => format!("move the definition of `{}` above this line", r.name),
                            None if looks_secret(&r.name) => format!("a value that embeds the secret `{}` belongs in the secrets file, written out in full (percent-encoded in a URL)", r.name),
                            None => format!("define `{}` above this line", r.name),
                        };
                        out.push(d.diag(
                            Severity::Error,
                            CODE_UNSET_INTERPOLATION,
                            ef.file,
                            Some(value_pos(e, r.start)),
                            "",
                            message,
                            help,
                        ));
                    }
                    if literal {
                        out.push(d.diag(
                            Severity::Error,
                            CODE_ENV_FILE_QUOTING,
                            ef.file,
                            at,
                            "",
                            format!("the value of `{}` holds `$`, which Compose's env-file parser expands: the text after it is read as a variable name and replaced by an empty string", e.key),
                            quote_help(e, shown(&e.key), &e.raw_value),
                        ));
                    }
                }
            }
        }
        // BI208: a URL's user info.
        let template = template_text(e).unwrap_or_else(|| e.value.clone());
        let mut found = Vec::new();
        check_url(d, &e.key, &template, e.expands(), &mut |off, msg| {
            found.push((off, msg))
        });
        for (off, msg) in found {
            let pos = if off == 0 {
                e.location
            } else {
                value_pos(e, off)
            };
            out.push(d.diag(
                Severity::Error,
                CODE_URL_USERINFO,
                ef.file,
                Some(pos),
                "",
                msg,
                "percent-encode the user and password in the URL (`/` as `%2F`, `+` as `%2B`, `=` as `%3D`); the variable the server reads keeps the raw password".into(),
            ));
        }
        so_far.insert(&e.key);
        if secret_line.is_none() {
            let v = ef.values[i].as_deref().unwrap_or("");
            let holds = (looks_secret(&e.key) && !v.is_empty() && !is_placeholder(v))
                || url_password(&e.value).is_some_and(|(_, len)| len > 0 && !e.value.contains('$'));
            if holds {
                secret_line = Some((e.location.line, &e.key));
            }
        }
    }
    // BI202: placeholders, on the definition that wins.
    for (i, e) in ef.entries.iter().enumerate() {
        if ef.last.get(&e.key) != Some(&i) || e.quoting == Quoting::NoValue {
            continue;
        }
        let v = ef.values[i].as_deref().unwrap_or("");
        let empty = v.trim().is_empty();
        if is_placeholder(v) && (!empty || looks_secret(&e.key)) {
            let what = if empty {
                "is empty".to_owned()
            } else if shown(&e.key) {
                format!("holds the placeholder `{v}`")
            } else {
                "holds a placeholder, not a real value".to_owned()
            };
            out.push(d.diag(
                Severity::Error,
                CODE_PLACEHOLDER,
                ef.file,
                Some(e.location),
                "",
                format!("`{}` {what}: the service starts with it and fails later", e.key),
                "write the real value (an operator-supplied key from its provider), or remove the variable".into(),
            ));
        }
    }
    // BI207: mode.
    if let Some((line, key)) = secret_line {
        if file.mode & 0o077 != 0 {
            out.push(d.diag(
                Severity::Error,
                CODE_SECRET_FILE_MODE,
                ef.file,
                Some(Location { line, column: 1 }),
                "",
                format!("`{}` has mode {:04o}: group and others can read the secrets in it (`{key}` first)", file.name, file.mode),
                format!("`chmod 600 {}`, and check who may have read it", file.name),
            ));
        }
    }
}

fn quote_help(e: &Entry, show: bool, raw: &str) -> String {
    if !show {
        return format!("write the value in single quotes, unchanged: `{}='...'` (single-quoted values are literal: no `$` expansion, no `#` comment)", e.key);
    }
    if raw.contains('\'') {
        return format!(
            "write the value in double quotes with `\\$` for each `$`: `{}=\"...\"`",
            e.key
        );
    }
    format!(
        "write `{}='{}'` (single-quoted values are literal: no `$` expansion, no `#` comment)",
        e.key, raw
    )
}

#[cfg(test)]
mod tests {
    use super::url::db_userinfo;
    use super::*;

    #[test]
    fn url_parts() {
        let v = "postgresql://app_user:a/b+c=@db:5432/app";
        let (off, len) = url_password(v).unwrap();
        assert_eq!(&v[off..off + len], "a/b+c=");
        assert_eq!(db_userinfo(v), Some((13, "app_user:a/b+c=")));
        assert!(url_password("postgresql://db:5432/app").is_none());
    }

    #[test]
    fn secret_file_names() {
        assert!(secret_file_name("a/secrets.env"));
        assert!(!secret_file_name("a/.env"));
    }
}
