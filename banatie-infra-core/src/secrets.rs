//! Creating and completing `secrets.env`.
//!
//! [`ensure`] keeps every existing value byte for byte, generates each missing generated
//! secret from the OS random source, recomputes derived values (connection URLs, fixed user
//! names), and lists operator-supplied secrets that are missing or still placeholders
//! rather than inventing them. The file is mode 0600 from the moment it exists, written
//! atomically, and a file that is group- or world-readable is refused. No function here
//! returns a secret value unless asked for it by name ([`read_value`]).

use std::collections::HashMap;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::envfile;
use crate::environment::{database_url, secret_vars, SecretKind};
use crate::render::quote::env_value;
use crate::render::SECRETS_FILE;
use crate::spec::{Alphabet, Service, Spec};

/// Why `secrets.env` could not be created or completed. Never holds a secret value.
#[derive(Debug, thiserror::Error)]
pub enum SecretsError {
    /// The file exists and group or others may read or write it.
    #[error("{} has mode {mode:04o}: group or others can access it; run `chmod 600 {}` and check who read it", path.display(), path.display())]
    InsecureMode {
        /// The file.
        path: PathBuf,
        /// Its mode bits.
        mode: u32,
    },
    /// The path exists but is not a regular file (a symlink, a directory).
    #[error("{} is not a regular file; refusing to write through it", .0.display())]
    NotAFile(PathBuf),
    /// The existing file does not parse.
    #[error("{}:{}: {}", path.display(), source.location.line, source.message)]
    Parse {
        /// The file.
        path: PathBuf,
        /// The parse error (position and message, no value).
        source: envfile::ParseError,
    },
    /// A variable is defined twice in the existing file.
    #[error("{}:{line}: `{key}` is defined again (first at line {first}); remove one", path.display())]
    Duplicate {
        /// The file.
        path: PathBuf,
        /// The variable.
        key: String,
        /// The first definition's line.
        first: usize,
        /// The second's.
        line: usize,
    },
    /// Reading or writing failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

/// What [`ensure`] did, by variable name. Names only, never values.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// The path of `secrets.env`.
    pub path: PathBuf,
    /// Whether the file was created.
    pub created: bool,
    /// Whether the file was rewritten (false when nothing changed).
    pub written: bool,
    /// Secrets generated now.
    pub generated: Vec<String>,
    /// Derived values written or recomputed to a new value.
    pub derived: Vec<String>,
    /// Values kept as they were.
    pub kept: Vec<String>,
    /// Operator-supplied secrets that are missing or placeholders, with their description.
    pub missing: Vec<(String, Option<String>)>,
    /// Variables in the file that the spec does not name (kept as they are).
    pub unknown: Vec<String>,
}

/// Creates or completes `dir/secrets.env` for `spec`. See the module docs.
pub fn ensure(spec: &Spec, dir: &Path) -> Result<Report, SecretsError> {
    let path = dir.join(SECRETS_FILE);
    let io = |source| SecretsError::Io {
        path: path.clone(),
        source,
    };
    let existing = match fs::symlink_metadata(&path) {
        Ok(meta) => {
            if !meta.file_type().is_file() {
                return Err(SecretsError::NotAFile(path));
            }
            let mode = meta.permissions().mode() & 0o7777;
            if mode & 0o077 != 0 {
                return Err(SecretsError::InsecureMode { path, mode });
            }
            Some(crate::input::read_to_string(&path).map_err(io)?)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(io(e)),
    };
    let text = existing.clone().unwrap_or_default();
    let entries = envfile::parse(&text).map_err(|source| SecretsError::Parse {
        path: path.clone(),
        source,
    })?;
    let mut first: HashMap<&str, usize> = HashMap::new();
    for e in &entries {
        if let Some(&line) = first.get(e.key.as_str()) {
            return Err(SecretsError::Duplicate {
                path,
                key: e.key.clone(),
                first: line,
                line: e.location.line,
            });
        }
        first.insert(&e.key, e.location.line);
    }
    let by_key: HashMap<&str, &envfile::Entry> =
        entries.iter().map(|e| (e.key.as_str(), e)).collect();

    let mut report = Report {
        path: path.clone(),
        created: existing.is_none(),
        ..Report::default()
    };
    // Values after this run, for deriving.
    let mut values: HashMap<String, String> = entries
        .iter()
        .map(|e| (e.key.clone(), e.value.clone()))
        .collect();
    // Lines to replace (entry line range -> new line) and lines to append.
    let mut replace: Vec<((usize, usize), String)> = Vec::new();
    let mut append: Vec<String> = Vec::new();
    let vars = secret_vars(spec);
    // Generated and supplied first, then derived (which may use them).
    for v in vars.iter().filter(|v| !v.kind.is_derived()) {
        let name = v.name.as_str();
        let present = by_key.get(name).filter(|e| !e.value.is_empty());
        match (&v.kind, present) {
            (SecretKind::Supplied, Some(e)) if crate::validate::is_placeholder(&e.value) => {
                report.missing.push((name.into(), v.description.clone()));
            }
            (_, Some(_)) => report.kept.push(name.into()),
            (SecretKind::Generated { length, alphabet }, None) => {
                let value = generate(*length, *alphabet).map_err(io)?;
                let line = format!("{name}={}", env_value(&value));
                match by_key.get(name) {
                    Some(e) => replace.push((e.lines, line)),
                    None => append.push(line),
                }
                values.insert(name.into(), value);
                report.generated.push(name.into());
            }
            (SecretKind::Supplied, None) => {
                report.missing.push((name.into(), v.description.clone()));
                if !by_key.contains_key(name) {
                    append.push(format!(
                        "# {name}: supplied by the operator{}; set it here\n{name}=",
                        v.description
                            .as_deref()
                            .map(|d| format!(" ({d})"))
                            .unwrap_or_default()
                    ));
                }
            }
            _ => {}
        }
    }
    for v in vars.iter().filter(|v| v.kind.is_derived()) {
        let name = v.name.as_str();
        let value = match &v.kind {
            SecretKind::Fixed { value } => Some(value.clone()),
            SecretKind::DatabaseUrl { service } => match spec.services.get(service) {
                Some(Service::Postgres(pg)) => values
                    .get(crate::spec::POSTGRES_PASSWORD)
                    .filter(|p| !p.is_empty())
                    .map(|p| {
                        database_url(
                            pg.user.as_str(),
                            p,
                            service.as_str(),
                            5432,
                            pg.database.as_str(),
                        )
                    }),
                _ => None,
            },
            _ => None,
        };
        let Some(value) = value else {
            report.missing.push((name.into(), v.description.clone()));
            continue;
        };
        let line = format!("{name}={}", env_value(&value));
        match by_key.get(name) {
            Some(e) if e.value == value => report.kept.push(name.into()),
            Some(e) => {
                replace.push((e.lines, line));
                report.derived.push(name.into());
            }
            None => {
                append.push(line);
                report.derived.push(name.into());
            }
        }
        values.insert(name.into(), value);
    }
    let known: std::collections::HashSet<&str> = vars.iter().map(|v| v.name.as_str()).collect();
    report.unknown = entries
        .iter()
        .filter(|e| !known.contains(e.key.as_str()))
        .map(|e| e.key.clone())
        .collect();

    if replace.is_empty() && append.is_empty() && existing.is_some() {
        return Ok(report);
    }
    let mut lines: Vec<String> = text.split('\n').map(ToOwned::to_owned).collect();
    if lines.last().is_some_and(String::is_empty) {
        lines.pop();
    }
    replace.sort_by_key(|r| std::cmp::Reverse(r.0));
    for ((start, end), line) in replace {
        lines.splice(start..end, [line]);
    }
    if existing.is_none() {
        lines.push(format!(
            "# Secrets of stack `{}`, managed by banatie-infra (mode 0600). Never commit this file.",
            spec.stack.name
        ));
    }
    lines.extend(append);
    let mut out = lines.join("\n");
    out.push('\n');
    fs::create_dir_all(dir).map_err(io)?;
    crate::bundle::atomic_write(&path, out.as_bytes(), 0o600).map_err(io)?;
    report.written = true;
    Ok(report)
}

/// Reads one variable's value from `dir/secrets.env`, for callers that need it by name
/// (for example to connect to the database). `Ok(None)` when the file or the variable is
/// missing. Refuses a group- or world-readable file like [`ensure`].
pub fn read_value(dir: &Path, name: &str) -> Result<Option<String>, SecretsError> {
    let path = dir.join(SECRETS_FILE);
    let meta = match fs::symlink_metadata(&path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(SecretsError::Io { path, source }),
    };
    let mode = meta.permissions().mode() & 0o7777;
    if mode & 0o077 != 0 {
        return Err(SecretsError::InsecureMode { path, mode });
    }
    let text = crate::input::read_to_string(&path).map_err(|source| SecretsError::Io {
        path: path.clone(),
        source,
    })?;
    let entries = envfile::parse(&text).map_err(|source| SecretsError::Parse { path, source })?;
    Ok(entries.into_iter().find(|e| e.key == name).map(|e| e.value))
}

/// A random string of `length` characters of `alphabet`, from the OS random source
/// (`getrandom`), by rejection sampling (no modulo bias).
pub fn generate(length: u32, alphabet: Alphabet) -> std::io::Result<String> {
    let symbols: &[u8] = match alphabet {
        Alphabet::Alphanumeric => b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
        Alphabet::Hex => b"0123456789abcdef",
        Alphabet::UrlSafe => b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
    };
    // The largest multiple of the alphabet size that fits in a byte.
    let limit = 256 - (256 % symbols.len());
    let mut out = String::with_capacity(length as usize);
    let mut buf = [0u8; 64];
    while out.len() < length as usize {
        getrandom::fill(&mut buf).map_err(std::io::Error::other)?;
        for &b in &buf {
            if (b as usize) < limit && out.len() < length as usize {
                out.push(symbols[b as usize % symbols.len()] as char);
            }
        }
    }
    Ok(out)
}
