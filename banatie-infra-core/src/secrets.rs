//! Creating and completing `secrets.env`, and copying each service's subset of it to
//! the service's own `secrets/<service>.env`.
//!
//! [`ensure`] keeps every existing value byte for byte, generates each missing generated
//! secret from the OS random source, recomputes derived values (connection URLs, fixed user
//! names), and lists operator-supplied secrets that are missing or still placeholders
//! rather than inventing them. The file is mode 0600 from the moment it exists, written
//! atomically, and a file that is group- or world-readable is refused. No function here
//! returns a secret value unless asked for it by name ([`read_value`]).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::envfile;
use crate::environment::{database_url, secret_vars, SecretKind, SecretVar};
use crate::jail::{JailError, Node, Root};
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
    /// The directory is `/`, a system directory or the home directory (BI702).
    #[error(transparent)]
    Root(crate::roots::RootError),
    /// Another run held the root's lock for the whole wait (BI705).
    #[error(transparent)]
    Locked(crate::lock::LockError),
    /// Reading or writing failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

impl SecretsError {
    /// The diagnostic code, when the error has one: BI701 for a secrets.env that is not a
    /// regular file (a symlink, a FIFO), BI702 for a system directory, BI705 for a lock
    /// held too long.
    pub fn code(&self) -> Option<crate::Code> {
        match self {
            Self::NotAFile(_) => Some(crate::jail::CODE_UNSAFE_PATH),
            Self::Root(e) => e.code(),
            Self::Locked(e) => e.code(),
            _ => None,
        }
    }

    /// How to fix it, when there is a clear fix.
    pub fn help(&self) -> Option<String> {
        match self {
            Self::NotAFile(p) => Some(format!(
                "remove {} (the tool never reads or writes through a symlink) and run again",
                p.display()
            )),
            Self::Root(e) => e.help(),
            Self::Locked(e) => e.help(),
            _ => None,
        }
    }
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
    /// The per-service secret env files (`secrets/<service>.env`) created or updated now.
    pub service_files: Vec<String>,
    /// The secret given a new value on purpose (`secrets rotate`); empty for [`ensure`].
    pub rotated: Vec<String>,
}

/// Creates or completes `dir/secrets.env` for `spec`. See the module docs.
///
/// `dir` (created when missing) must not be a system directory
/// ([`crate::roots::refuse_system_root`]). The whole read-complete-write runs under the
/// root's lock ([`crate::lock::RootLock`], waiting at most
/// [`crate::lock::default_wait`]), and the file is read again under it: concurrent runs
/// serialize, and a value one run generated and reported is kept by every later run.
/// The file is read and written through [`crate::jail::Root`]: a symlink there is
/// [`SecretsError::NotAFile`], never followed.
pub fn ensure(spec: &Spec, dir: &Path) -> Result<Report, SecretsError> {
    let (root, _lock) = open_locked(dir, "secrets")?;
    complete(spec, &root, None)
}

/// `secrets rotate`'s write: [`ensure`] on `root` (whose lock the caller holds) with
/// `name`'s value replaced by `value` (the one existing secret a call changes, on
/// purpose), the values derived from it recomputed (a connection URL from the
/// password), and the per-service files rewritten. `name` is in the report's `rotated`.
#[cfg(feature = "docker")]
pub(crate) fn replace_in(
    spec: &Spec,
    root: &Root,
    name: &str,
    value: &str,
) -> Result<Report, SecretsError> {
    complete(spec, root, Some((name, value)))
}

/// The text of `root`'s `secrets.env` (`None` when missing), refused like [`ensure`]
/// refuses it; every value registered for redaction.
#[cfg(feature = "docker")]
pub(crate) fn read_text(root: &Root) -> Result<Option<String>, SecretsError> {
    let path = root.path().join(SECRETS_FILE);
    let text = read_checked(root, &path)?.map(|(t, _)| t);
    if let Some(t) = &text {
        parse_unique(t, &path)?;
    }
    Ok(text)
}

/// Puts `text` (what [`read_text`] returned before a rotation) back as `secrets.env` and
/// rewrites the per-service files from it: the state before the rotation.
#[cfg(feature = "docker")]
pub(crate) fn restore_text(spec: &Spec, root: &Root, text: &str) -> Result<(), SecretsError> {
    let path = root.path().join(SECRETS_FILE);
    root.write(SECRETS_FILE, text.as_bytes(), 0o600)
        .map_err(|e| jail_error(&path, e))?;
    complete(spec, root, None).map(|_| ())
}

/// [`ensure`]'s work on an open root whose lock is held, with one value replaced when
/// `rotate` is given (variable, new value).
fn complete(
    spec: &Spec,
    root: &Root,
    rotate: Option<(&str, &str)>,
) -> Result<Report, SecretsError> {
    let path = root.path().join(SECRETS_FILE);
    let existing = read_checked(root, &path)?.map(|(text, _)| text);
    let io = |source| SecretsError::Io {
        path: path.clone(),
        source,
    };
    let text = existing.clone().unwrap_or_default();
    let entries = parse_unique(&text, &path)?;
    let by_key: HashMap<&str, &envfile::Entry> =
        entries.iter().map(|e| (e.key.as_str(), e)).collect();

    let mut report = Report {
        path: path.clone(),
        created: existing.is_none(),
        ..Report::default()
    };
    let mut edits = Edits {
        values: entries
            .iter()
            .map(|e| (e.key.clone(), e.value.clone()))
            .collect(),
        replace: Vec::new(),
        append: Vec::new(),
    };
    let vars = secret_vars(spec);
    // Generated and supplied first, then derived (which may use them).
    for v in vars.iter().filter(|v| !v.kind.is_derived()) {
        match rotate {
            Some((name, value)) if name == v.name.as_str() => {
                crate::redact::register(value);
                let line = format!("{name}={}", env_value(value));
                match by_key.get(name) {
                    Some(e) => edits.replace.push((e.lines, line)),
                    None => edits.append.push(line),
                }
                edits.values.insert(name.into(), value.into());
                report.rotated.push(name.into());
            }
            _ => ensure_primary(v, &by_key, &mut edits, &mut report).map_err(io)?,
        }
    }
    for v in vars.iter().filter(|v| v.kind.is_derived()) {
        ensure_derived(spec, v, &by_key, &mut edits, &mut report);
    }
    edits
        .values
        .values()
        .for_each(|v| crate::redact::register(v));
    let known: std::collections::HashSet<&str> = vars.iter().map(|v| v.name.as_str()).collect();
    report.unknown = entries
        .iter()
        .filter(|e| !known.contains(e.key.as_str()))
        .map(|e| e.key.clone())
        .collect();

    let values = edits.values.clone();
    if !(edits.replace.is_empty() && edits.append.is_empty() && existing.is_some()) {
        let out = rewrite(&text, existing.is_none(), spec, edits);
        root.write(SECRETS_FILE, out.as_bytes(), 0o600)
            .map_err(|e| jail_error(&path, e))?;
        report.written = true;
    }
    report.service_files = write_service_files(spec, root, &values)?;
    Ok(report)
}

/// Writes each service's own secret env file, `secrets/<service>.env` (mode 0600), with
/// the values of `secrets.env` it receives ([`crate::environment::service_secrets`]); a
/// value still missing is left out (and is in the report's `missing`). Derived copies:
/// rewritten whenever `secrets.env` changes, never edited by hand. Returns the files
/// written or updated now.
fn write_service_files(
    spec: &Spec,
    root: &Root,
    values: &HashMap<String, String>,
) -> Result<Vec<String>, SecretsError> {
    use crate::environment::{service_secrets, service_secrets_file};
    let mut written = Vec::new();
    for name in spec.services.keys() {
        let names = service_secrets(spec, name.as_str());
        if names.is_empty() {
            continue;
        }
        let mut out = format!(
            "# Secrets of service `{name}` only, copied by banatie-infra from secrets.env (mode 0600).\n# Do not edit: `banatie-infra secrets` rewrites this file.\n"
        );
        for n in &names {
            if let Some(v) = values.get(n.as_str()).filter(|v| !v.is_empty()) {
                out.push_str(&format!("{n}={}\n", env_value(v)));
            }
        }
        let rel = service_secrets_file(name.as_str());
        let outcome = root
            .write(&rel, out.as_bytes(), 0o600)
            .map_err(|e| jail_error(&root.path().join(&rel), e))?;
        if outcome != crate::bundle::WriteOutcome::Unchanged {
            written.push(rel);
        }
    }
    Ok(written)
}

/// What one run of [`ensure`] changes in the file, and the values after it.
struct Edits {
    /// Values after this run, for deriving.
    values: HashMap<String, String>,
    /// Lines to replace: an entry's line range (from [`envfile::Entry::lines`]) and its
    /// new line.
    replace: Vec<((usize, usize), String)>,
    /// Lines to append.
    append: Vec<String>,
}

/// The entries of the existing file's `text`, each value registered for redaction;
/// [`SecretsError::Duplicate`] for a variable defined twice.
fn parse_unique(text: &str, path: &Path) -> Result<Vec<envfile::Entry>, SecretsError> {
    let entries = envfile::parse(text).map_err(|source| SecretsError::Parse {
        path: path.to_owned(),
        source,
    })?;
    let mut first: HashMap<&str, usize> = HashMap::new();
    for e in &entries {
        crate::redact::register(&e.value);
        if let Some(&line) = first.get(e.key.as_str()) {
            return Err(SecretsError::Duplicate {
                path: path.to_owned(),
                key: e.key.clone(),
                first: line,
                line: e.location.line,
            });
        }
        first.insert(&e.key, e.location.line);
    }
    Ok(entries)
}

/// A generated or supplied secret `v`: kept when the file has a value (a supplied one
/// that is a placeholder counts as missing), generated when missing, or listed as
/// missing with a commented, empty line appended for the operator to fill.
fn ensure_primary(
    v: &SecretVar,
    by_key: &HashMap<&str, &envfile::Entry>,
    edits: &mut Edits,
    report: &mut Report,
) -> std::io::Result<()> {
    let name = v.name.as_str();
    let present = by_key.get(name).filter(|e| !e.value.is_empty());
    match (&v.kind, present) {
        (SecretKind::Supplied, Some(e)) if crate::validate::is_placeholder(&e.value) => {
            report.missing.push((name.into(), v.description.clone()));
        }
        (_, Some(_)) => report.kept.push(name.into()),
        (SecretKind::Generated { length, alphabet }, None) => {
            let value = generate(*length, *alphabet)?;
            let line = format!("{name}={}", env_value(&value));
            match by_key.get(name) {
                Some(e) => edits.replace.push((e.lines, line)),
                None => edits.append.push(line),
            }
            edits.values.insert(name.into(), value);
            report.generated.push(name.into());
        }
        (SecretKind::Supplied, None) => {
            report.missing.push((name.into(), v.description.clone()));
            if !by_key.contains_key(name) {
                edits.append.push(format!(
                    "# {name}: supplied by the operator{}; set it here\n{name}=",
                    v.description
                        .as_deref()
                        .map(|d| format!(" ({})", crate::render::quote::comment(d)))
                        .unwrap_or_default()
                ));
            }
        }
        _ => {}
    }
    Ok(())
}

/// A derived value `v` (a fixed user name, a connection URL from the password generated
/// or kept before): kept when the file has it, else written; missing when what it is
/// derived from is.
fn ensure_derived(
    spec: &Spec,
    v: &SecretVar,
    by_key: &HashMap<&str, &envfile::Entry>,
    edits: &mut Edits,
    report: &mut Report,
) {
    let name = v.name.as_str();
    let value = match &v.kind {
        SecretKind::Fixed { value } => Some(value.clone()),
        SecretKind::DatabaseUrl { service } => match spec.services.get(service) {
            Some(Service::Postgres(pg)) => edits
                .values
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
        return;
    };
    let line = format!("{name}={}", env_value(&value));
    match by_key.get(name) {
        Some(e) if e.value == value => report.kept.push(name.into()),
        Some(e) => {
            edits.replace.push((e.lines, line));
            report.derived.push(name.into());
        }
        None => {
            edits.append.push(line);
            report.derived.push(name.into());
        }
    }
    edits.values.insert(name.into(), value);
}

/// The new file: the existing `text` with the replaced lines (from the last, so the
/// ranges stay valid), a header when the file is `created`, the appended lines, and a
/// final newline.
fn rewrite(text: &str, created: bool, spec: &Spec, edits: Edits) -> String {
    let Edits {
        mut replace,
        append,
        ..
    } = edits;
    let mut lines: Vec<String> = text.split('\n').map(ToOwned::to_owned).collect();
    if lines.last().is_some_and(String::is_empty) {
        lines.pop();
    }
    replace.sort_by_key(|r| std::cmp::Reverse(r.0));
    for ((start, end), line) in replace {
        lines.splice(start..end, [line]);
    }
    if created {
        lines.push(format!(
            "# Secrets of stack `{}`, managed by banatie-infra (mode 0600). Never commit this file.",
            spec.stack.name
        ));
    }
    lines.extend(append);
    let mut out = lines.join("\n");
    out.push('\n');
    out
}

/// Reads one variable's value from `dir/secrets.env`, for callers that need it by name
/// (for example to connect to the database). `Ok(None)` when the file or the variable is
/// missing. Refuses a group- or world-readable file like [`ensure`].
pub fn read_value(dir: &Path, name: &str) -> Result<Option<String>, SecretsError> {
    let path = dir.join(SECRETS_FILE);
    let root = match Root::open(dir) {
        Ok(r) => r,
        Err(JailError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
            return Ok(None)
        }
        Err(e) => return Err(jail_error(&path, e)),
    };
    let Some((text, _)) = read_checked(&root, &path)? else {
        return Ok(None);
    };
    let entries = envfile::parse(&text).map_err(|source| SecretsError::Parse { path, source })?;
    entries
        .iter()
        .for_each(|e| crate::redact::register(&e.value));
    Ok(entries.into_iter().find(|e| e.key == name).map(|e| e.value))
}

/// Reads `secrets.env` of `root` without following a symlink or blocking on a FIFO:
/// `None` when missing; [`SecretsError::NotAFile`] for anything but a regular file,
/// [`SecretsError::InsecureMode`] when group or others may access it.
/// Registers every value of `root`'s `secrets.env` with [`crate::redact::register`], so
/// that output about the other files of the root (a `render --check` diff of a file
/// someone pasted a password into) hides them wherever they appear. A file that cannot
/// be read safely (missing, a symlink, readable by others, not UTF-8, unparsable lines)
/// registers what can be read of it, and nothing when nothing can.
pub(crate) fn register_values(root: &Root) {
    let Ok(Node::File { contents, .. }) = root.read(SECRETS_FILE, crate::jail::READ_LIMIT) else {
        return;
    };
    let text = String::from_utf8_lossy(&contents);
    if let Ok(entries) = envfile::parse(&text) {
        entries
            .iter()
            .for_each(|e| crate::redact::register(&e.value));
    }
    // Read as the redaction reads a secrets file (every value of every line, in every
    // form Compose reads, parsable or not), which registers them.
    let _ = crate::redact::show(SECRETS_FILE, &text, false);
}

/// `dir` opened as a root (created when missing; never a system directory) and its lock,
/// held by `verb` until the returned guard drops (`None` on a read-only file system, where
/// nothing can be written either): every read-complete-write of `secrets.env` runs
/// under it.
fn open_locked(
    dir: &Path,
    verb: &str,
) -> Result<(Root, Option<crate::lock::RootLock>), SecretsError> {
    crate::roots::refuse_system_root(dir).map_err(SecretsError::Root)?;
    let root = Root::create(dir).map_err(|e| SecretsError::Io {
        path: dir.to_owned(),
        source: e.into(),
    })?;
    let lock = crate::lock::RootLock::acquire_if_writable(&root, verb, crate::lock::default_wait())
        .map_err(SecretsError::Locked)?;
    Ok((root, lock))
}

fn read_checked(root: &Root, path: &Path) -> Result<Option<(String, u32)>, SecretsError> {
    match root
        .read(SECRETS_FILE, crate::jail::READ_LIMIT)
        .map_err(|e| jail_error(path, e))?
    {
        Node::Missing => Ok(None),
        Node::Unsafe { .. } => Err(SecretsError::NotAFile(path.to_owned())),
        Node::File { contents, mode, .. } => {
            if mode & 0o077 != 0 {
                return Err(SecretsError::InsecureMode {
                    path: path.to_owned(),
                    mode,
                });
            }
            let text = String::from_utf8(contents).map_err(|_| SecretsError::Io {
                path: path.to_owned(),
                source: std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    "stream did not contain valid UTF-8",
                ),
            })?;
            Ok(Some((text, mode)))
        }
    }
}

fn jail_error(path: &Path, e: JailError) -> SecretsError {
    match e {
        JailError::Symlink { .. } | JailError::NotRegular { .. } => {
            SecretsError::NotAFile(path.to_owned())
        }
        e => SecretsError::Io {
            path: path.to_owned(),
            source: e.into(),
        },
    }
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

/// What [`store`] did, by variable name. Names only, never values.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoreReport {
    /// The path of `secrets.env`.
    pub path: PathBuf,
    /// Variables added to the file.
    pub added: Vec<String>,
    /// Variables already in the file with the same value.
    pub kept: Vec<String>,
    /// Variables already in the file with another value: the file's value is kept.
    pub conflicting: Vec<String>,
    /// Names that are not variable names ([`crate::types::EnvName`]): not written.
    pub refused: Vec<String>,
}

/// Adds `values` (variable, value) to `dir/secrets.env`: created mode 0600, or completed
/// with the variables it does not define yet (an existing value is never changed), written
/// atomically like [`ensure`], which refuses the same files (group- or world-readable, not
/// a regular file, unparsable, a variable twice). Used by `import` to move the secret
/// values it read out of the spec.
pub fn store(dir: &Path, values: &[(String, String)]) -> Result<StoreReport, SecretsError> {
    let path = dir.join(SECRETS_FILE);
    let (root, _lock) = open_locked(dir, "import")?;
    let existing = read_checked(&root, &path)?.map(|(text, _)| text);
    let text = existing.clone().unwrap_or_default();
    let entries = envfile::parse(&text).map_err(|source| SecretsError::Parse {
        path: path.clone(),
        source,
    })?;
    let mut report = StoreReport {
        path: path.clone(),
        ..StoreReport::default()
    };
    let mut out = text.clone();
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
    if existing.is_none() {
        out.push_str(
            "# Secrets moved here by `banatie-infra import` (mode 0600). Never commit this file.\n",
        );
    }
    for (name, value) in values {
        crate::redact::register(value);
        if name.parse::<crate::types::EnvName>().is_err() {
            report.refused.push(name.clone());
            continue;
        }
        match entries.iter().find(|e| e.key == *name) {
            Some(e) if e.value == *value => report.kept.push(name.clone()),
            Some(_) => report.conflicting.push(name.clone()),
            None if report.added.contains(name) => {}
            None => {
                out.push_str(&format!("{name}={}\n", env_value(value)));
                report.added.push(name.clone());
            }
        }
    }
    if report.added.is_empty() {
        return Ok(report);
    }
    root.write(SECRETS_FILE, out.as_bytes(), 0o600)
        .map_err(|e| jail_error(&path, e))?;
    Ok(report)
}
