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
//! Reading is here (parsing, expanding, the lookups the checks share) and in
//! [`interpolate`] (the Compose file's interpolation, with what it finds on the way). The
//! rules on env files are in [`check`](mod@check): BI309 (quoting), BI307 (a reference
//! that is empty), BI208 (a URL's user info, with [`url`]), BI114 (a variable defined
//! twice), BI202 (placeholders), BI207 (mode).

mod check;
mod interpolate;
mod url;

pub(crate) use check::check;
pub(crate) use interpolate::interpolate_compose;
pub(crate) use url::{check_url, url_password};

use indexmap::IndexMap;

use super::interp;
use super::tree::FileId;
use super::Deployment;
use crate::diagnostic::{Location, Severity};
use crate::envfile::{self, Entry, Quoting};
use crate::input::CODE_INTERPOLATION_BOUND;
use crate::rules::health::CODE_UNPARSABLE;
use crate::validate::looks_secret;

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
