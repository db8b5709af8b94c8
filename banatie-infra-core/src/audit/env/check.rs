//! The rules on one env file, as Compose reads it: BI114 (a variable defined twice),
//! BI309 (a value cut at `#`, an invalid `${`, a `$` the parser expands), BI307 (a
//! reference that is empty where it is expanded), BI208 (a URL's user info), BI202
//! (placeholders) and BI207 (the mode of a file that holds secrets).

use std::collections::{HashMap, HashSet};

use indexmap::IndexMap;

use super::super::interp::{self, Op, Piece};
use super::super::Deployment;
use super::{check_url, defined_in_env_file, literal_looking, secret_file_name, template_text};
use super::{url_password, value_pos, EnvFile};
use crate::diagnostic::{Diagnostic, Location, Severity};
use crate::envfile::{Entry, Quoting};
use crate::rules::health::CODE_ENV_FILE_QUOTING;
use crate::rules::health::CODE_UNSET_INTERPOLATION;
use crate::rules::secrets::CODE_SECRET_FILE_MODE;
use crate::rules::secrets::CODE_URL_USERINFO;
use crate::validate::{is_placeholder, looks_secret};

/// Runs the rules on one env file.
pub(crate) fn check(d: &Deployment, ef: &EnvFile, out: &mut Vec<Diagnostic>) {
    let file = &d.files[ef.file];
    let mut first_def: IndexMap<&str, usize> = IndexMap::new();
    let mut so_far: HashSet<&str> = HashSet::new();
    // Key -> the indices of its entries, in order (for "defined later").
    let mut defs: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, e) in ef.entries.iter().enumerate() {
        defs.entry(e.key.as_str()).or_default().push(i);
    }
    let mut secret_line: Option<(usize, &str)> = None;
    for (i, e) in ef.entries.iter().enumerate() {
        let line = file.line(e.location.line);
        let at = Some(e.location);
        // BI114: defined twice.
        match first_def.get(e.key.as_str()) {
            Some(_) => {
                // The file by its name, as a spec's findings name `.env` and `secrets.env`
                // (the span gives its path).
                let name = std::path::Path::new(&file.name)
                    .file_name()
                    .map_or(file.name.clone(), |n| n.to_string_lossy().into_owned());
                let finding = crate::rules::spec::defined_twice(&e.key, &name, &name, false);
                out.push(d.finding(finding, ef.file, at, ""));
            }
            None => {
                first_def.insert(&e.key, i);
            }
        }
        // BI309: cut at `#`.
        if e.quoting == Quoting::Unquoted {
            hash_in_value(d, ef, e, line, out);
        }
        // BI309 and BI307: `$` in an expanding value.
        if let Some(t) = template_text(e) {
            dollars(d, ef, i, &t, &so_far, &defs, out);
        }
        // BI208: a URL's user info.
        url_userinfo(d, ef, e, out);
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
    placeholders(d, ef, out);
    // BI207: mode.
    secret_mode(d, ef, secret_line, out);
}

/// Whether values of `key` in `ef` may be shown: neither the file nor the key is secret.
fn shown(d: &Deployment, ef: &EnvFile, key: &str) -> bool {
    !(secret_file_name(&d.files[ef.file].name) || looks_secret(key))
}

/// BI309: an unquoted value (line `line`) that holds `#`, where Compose or other readers
/// cut it.
fn hash_in_value(d: &Deployment, ef: &EnvFile, e: &Entry, line: &str, out: &mut Vec<Diagnostic>) {
    let at = Some(e.location);
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
                quote_help(e, shown(d, ef, &e.key), rest),
            ));
        }
    }
}

/// BI309 and BI307 on the `$` of entry `i`, whose template text is `t`: an invalid `${`,
/// references that are empty here (`so_far`: the keys defined above; `defs`: the entries
/// of each key), and a `$` that looks literal.
fn dollars(
    d: &Deployment,
    ef: &EnvFile,
    i: usize,
    t: &str,
    so_far: &HashSet<&str>,
    defs: &HashMap<&str, Vec<usize>>,
    out: &mut Vec<Diagnostic>,
) {
    let e = &ef.entries[i];
    let at = Some(e.location);
    match interp::parse(t) {
        Err(interp::Invalid(off)) => out.push(d.diag(
            Severity::Error,
            CODE_ENV_FILE_QUOTING,
            ef.file,
            Some(value_pos(e, off)),
            "",
            format!("the value of `{}` holds `${{` that is not a variable reference: Compose refuses the file", e.key),
            quote_help(e, shown(d, ef, &e.key), &e.raw_value),
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
                out.push(unset_reference(d, ef, i, r, defs));
            }
            if literal {
                out.push(d.diag(
                    Severity::Error,
                    CODE_ENV_FILE_QUOTING,
                    ef.file,
                    at,
                    "",
                    format!("the value of `{}` holds `$`, which Compose's env-file parser expands: the text after it is read as a variable name and replaced by an empty string", e.key),
                    quote_help(e, shown(d, ef, &e.key), &e.raw_value),
                ));
            }
        }
    }
}

/// BI307: reference `r` in the value of entry `i` is empty there: defined later in the
/// file, only in another env file, or nowhere.
fn unset_reference(
    d: &Deployment,
    ef: &EnvFile,
    i: usize,
    r: &interp::Ref,
    defs: &HashMap<&str, Vec<usize>>,
) -> Diagnostic {
    let e = &ef.entries[i];
    let file = &d.files[ef.file];
    let later = defs.get(r.name.as_str()).and_then(|v| {
        v.get(v.partition_point(|&j| j <= i))
            .map(|&j| &ef.entries[j])
    });
    let elsewhere = defined_in_env_file(d, &r.name).filter(|(f, _)| *f != file.name);
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
    d.diag(
        Severity::Error,
        CODE_UNSET_INTERPOLATION,
        ef.file,
        Some(value_pos(e, r.start)),
        "",
        message,
        help,
    )
}

/// BI208 on the value of `e`: a connection URL whose user info is not percent-encoded.
fn url_userinfo(d: &Deployment, ef: &EnvFile, e: &Entry, out: &mut Vec<Diagnostic>) {
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
}

/// BI202: a placeholder (or an empty secret) in the definition of each key that wins.
fn placeholders(d: &Deployment, ef: &EnvFile, out: &mut Vec<Diagnostic>) {
    for (i, e) in ef.entries.iter().enumerate() {
        if ef.last.get(&e.key) != Some(&i) || e.quoting == Quoting::NoValue {
            continue;
        }
        let v = ef.values[i].as_deref().unwrap_or("");
        let empty = v.trim().is_empty();
        if is_placeholder(v) && (!empty || looks_secret(&e.key)) {
            let secret_file = secret_file_name(&d.files[ef.file].name);
            let finding = crate::rules::secrets::placeholder(&e.key, None, v, secret_file);
            out.push(d.finding(finding, ef.file, Some(e.location), ""));
        }
    }
}

/// BI207: a file that holds secrets (the first at `secret_line`) readable by group or
/// others.
fn secret_mode(
    d: &Deployment,
    ef: &EnvFile,
    secret_line: Option<(usize, &str)>,
    out: &mut Vec<Diagnostic>,
) {
    let file = &d.files[ef.file];
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

/// How to quote the value of `e` (`raw` as written) so that Compose reads it as written;
/// `show`: whether the value may be repeated.
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
