//! The environment: public values (`env`) and secrets (`secrets`) of the env files, the
//! variables the spec derives dropped.

use std::collections::HashSet;

use indexmap::IndexMap;

use super::{facts, holds_secret, supplied, Ctx, NoteKind};
use crate::spec::{Secret, SecretSource};
use crate::types::EnvName;

/// The public values and the secrets of the env files (the last definition of a variable
/// wins), with the secrets the Compose file's `environment` declared; `derived` are left
/// out.
pub(super) fn read(
    d: &facts::Deployment,
    derived: &HashSet<String>,
    c: &mut Ctx,
) -> (IndexMap<EnvName, String>, IndexMap<EnvName, Secret>) {
    let mut env_out: IndexMap<EnvName, String> = IndexMap::new();
    let mut secrets: IndexMap<EnvName, Secret> = IndexMap::new();
    let mut dropped: HashSet<String> = HashSet::new();
    for ef in &d.env_files {
        let file = &d.files[ef.file];
        let secret_file = facts::secret_file_name(&file.name) || file.mode & 0o077 == 0;
        for (i, e) in ef.entries.iter().enumerate() {
            if ef.entries[i + 1..].iter().any(|x| x.key == e.key) {
                continue;
            }
            if derived.contains(&e.key) {
                if dropped.insert(e.key.clone()) {
                    c.note(
                    NoteKind::Changed,
                    format!("{} line {}", file.name, e.location.line),
                    format!("`{}` is derived from the services (a connection URL with the password percent-encoded, a user name): written by `banatie-infra secrets` or into .env, never typed", e.key),
                );
                }
                continue;
            }
            let Ok(name) = e.key.parse::<EnvName>() else {
                c.note(
                    NoteKind::NotMapped,
                    format!("{} line {}", file.name, e.location.line),
                    "not a variable name",
                );
                continue;
            };
            let v = ef.values[i].clone().unwrap_or_default();
            if !secret_file && !crate::validate::looks_secret(&e.key) && holds_secret(&v) {
                // A public variable with a password in it (`REDIS_URL=redis://:pw@...`).
                c.keep_secret(&e.key, &v);
                c.note(
                NoteKind::Changed,
                format!("{} line {}", file.name, e.location.line),
                format!("`{}` holds a password (a URL's user info, `password=`): moved to secrets.env (mode 0600) and declared under `secrets` (supplied)", e.key),
            );
                secrets.entry(name).or_insert_with(supplied);
                continue;
            }
            if secret_file || crate::validate::looks_secret(&e.key) {
                if !secret_file {
                    c.note(
                    NoteKind::Changed,
                    format!("{} line {}", file.name, e.location.line),
                    format!("`{}` is a secret in a public file: its value moved to secrets.env (mode 0600)", e.key),
                );
                }
                c.keep_secret(&e.key, &v);
                if secrets.contains_key(&name) {
                    continue;
                }
                let first = ef
                    .entries
                    .iter()
                    .find(|x| x.key == e.key)
                    .map_or(e.location.line, |x| x.location.line);
                secrets.insert(name, secret_from(ef, i, comment_above(file, first)));
            } else if e.raw_value.contains('$') {
                c.note(
                    NoteKind::NotMapped,
                    format!("{} line {}", file.name, e.location.line),
                    format!(
                        "`{}` is built from other variables: values in the spec are literal",
                        e.key
                    ),
                );
            } else if !env_out.contains_key(&name) {
                env_out.insert(name, v);
            }
        }
    }
    for (n, sec) in std::mem::take(&mut c.env_secrets) {
        if !env_out.contains_key(&n) {
            secrets.entry(n).or_insert(sec);
        }
    }
    (env_out, secrets)
}

/// The comment right above line `line` of an env file, in the same paragraph (no blank
/// line between): the description of the variable defined there.
fn comment_above(file: &facts::SrcFile, line: usize) -> Option<String> {
    let mut n = line.checked_sub(1)?;
    while n > 0 {
        let l = file.line(n).trim();
        if l.is_empty() {
            return None;
        }
        if let Some(c) = l.strip_prefix('#') {
            let c = c.trim().trim_matches('=').trim();
            return (!c.is_empty()).then(|| c.to_owned());
        }
        n -= 1;
    }
    None
}

/// A secret from its definitions in an env file: generated unless its value is a
/// placeholder (then supplied by the operator); the length from a placeholder that says
/// it (`<generated_64_char_secret>`), else from the value; the description from the
/// comment above its first definition.
fn secret_from(ef: &facts::EnvFile, last: usize, comment: Option<String>) -> Secret {
    let key = &ef.entries[last].key;
    let value = ef.values[last].as_deref().unwrap_or("");
    let supplied = crate::validate::is_placeholder(value);
    let said = ef.entries.iter().filter(|e| e.key == *key).find_map(|e| {
        let v = e.value.to_ascii_lowercase();
        let i = v.find("_char")?;
        let digits: String = v[..i]
            .chars()
            .rev()
            .take_while(char::is_ascii_digit)
            .collect();
        digits.chars().rev().collect::<String>().parse::<u32>().ok()
    });
    let length = said
        .or_else(|| u32::try_from(value.chars().count()).ok())
        .filter(|l| (16..=4096).contains(l) && !supplied);
    Secret {
        source: if supplied {
            SecretSource::Supplied
        } else {
            SecretSource::Generated
        },
        length,
        alphabet: Default::default(),
        // A comment may quote the value (`# the password: ...`).
        description: comment.map(|c| crate::redact::redact(&c)),
    }
}
