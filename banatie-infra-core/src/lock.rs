//! The deployment root's lock: one run at a time writes under a root.
//!
//! [`RootLock::acquire`] opens (creating, mode 0600) `<root>/.banatie-infra.lock` through
//! the root's directory handle without following a symlink ([`crate::jail`]) and takes an
//! exclusive `flock(2)` on it (rustix's safe `flock`). The lock belongs to the open file,
//! so the kernel releases it when the holder exits, however it exits: a crashed run never
//! leaves a stale lock. The holder writes its pid, host, verb and start time into the file
//! so that a run that waits, or gives up, can name it. A run waits for the lock, polling,
//! for at most [`default_wait`] (60 s, or `BANATIE_LOCK_WAIT` seconds), then fails with
//! [`LockError::Busy`] naming the holder.
//!
//! `banatie-infra render -o`, `secrets` (so [`crate::bundle::write`] and
//! [`crate::secrets::ensure`]) and `backup` take it, and `up`, `deploy`, `rollback`, `down`
//! and `restore` hold it for their whole run ([`RootLock::acquire_wait`], `--lock-wait`),
//! with the stack's engine-wide lock ([`RootLock::acquire_stack`]); a command that only
//! reads the root does not.

use std::fmt;
use std::io::{Seek, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rustix::fs::{FileType, FlockOperation, Mode, OFlags};
use rustix::io::Errno;

use crate::diagnostic::Code;
use crate::jail::{JailError, Root, CODE_ROOT_LOCKED};

/// The lock file's name in the root.
pub const LOCK_FILE: &str = ".banatie-infra.lock";

/// Where the engine-wide lock of each stack lives ([`RootLock::acquire_stack`]).
pub const STACK_LOCK_DIR: &str = "/run/lock/banatie-infra";

/// How long [`RootLock::acquire`] waits: `BANATIE_LOCK_WAIT` seconds (a number, `0`
/// for not at all) when set and valid, else 60 seconds.
pub fn default_wait() -> Duration {
    std::env::var("BANATIE_LOCK_WAIT")
        .ok()
        .and_then(|s| s.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0 && *s <= 86_400.0)
        .map_or(Duration::from_secs(60), Duration::from_secs_f64)
}

/// Reads a lock wait as `--lock-wait` takes it: a duration with units (`30s`, `2m`,
/// `1m30s`, as [`crate::types::Duration`]) or a number of seconds (`0` for not at all);
/// at most a day.
///
/// ```
/// use banatie_infra_core::lock::parse_wait;
/// assert_eq!(parse_wait("90").unwrap().as_secs(), 90);
/// assert_eq!(parse_wait("1m30s").unwrap().as_secs(), 90);
/// assert_eq!(parse_wait("0").unwrap().as_secs(), 0);
/// assert!(parse_wait("soon").is_err());
/// assert!(parse_wait("1e30").is_err());
/// assert!(parse_wait("99999999999999999999").is_err());
/// ```
pub fn parse_wait(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let wait = match s.parse::<f64>() {
        Ok(secs) if secs.is_finite() && secs >= 0.0 => {
            if secs > 86_400.0 {
                return Err(format!("`{s}` is more than a day"));
            }
            Duration::from_secs_f64(secs)
        }
        Ok(_) => {
            return Err(format!(
                "`{s}` is not a wait: give seconds (30) or a duration (2m)"
            ))
        }
        Err(_) => s
            .parse::<crate::types::Duration>()
            .map_err(|_| {
                format!("`{s}` is not a wait: give seconds (30) or a duration (2m, 1m30s)")
            })?
            .to_std(),
    };
    if wait > Duration::from_secs(86_400) {
        return Err(format!("`{s}` is more than a day"));
    }
    Ok(wait)
}

/// This machine's host name (the kernel's), or `unknown host`.
pub(crate) fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unknown host".into())
}

/// Who holds a lock, as its holder recorded it (text from the file, cleaned to printable
/// ASCII, at most 64 characters a field).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    /// Its process id.
    pub pid: String,
    /// Its host name.
    pub host: String,
    /// The verb it runs (`render`, `secrets`, `backup`, `up`, `down`, `restore`).
    pub verb: String,
    /// When it took the lock, seconds since the Unix epoch.
    pub started: u64,
}

impl fmt::Display for Holder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        write!(
            f,
            "`banatie-infra {}` (pid {} on {}, started {} s ago)",
            self.verb,
            self.pid,
            self.host,
            now.saturating_sub(self.started)
        )
    }
}

impl Holder {
    fn parse(text: &str) -> Option<Holder> {
        let mut h = Holder {
            pid: String::new(),
            host: String::new(),
            verb: String::new(),
            started: 0,
        };
        for line in text.lines() {
            let (k, v) = line.split_once('=')?;
            let v: String = v
                .chars()
                .filter(|c| c.is_ascii_graphic())
                .take(64)
                .collect();
            match k {
                "pid" => h.pid = v,
                "host" => h.host = v,
                "verb" => h.verb = v,
                "started" => h.started = v.parse().unwrap_or(0),
                _ => {}
            }
        }
        (!h.pid.is_empty()).then_some(h)
    }

    fn me(verb: &str) -> Holder {
        let host = host_name();
        Holder {
            pid: std::process::id().to_string(),
            host,
            verb: verb.into(),
            started: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
        }
    }

    fn record(&self) -> String {
        format!(
            "pid={}\nhost={}\nverb={}\nstarted={}\n",
            self.pid, self.host, self.verb, self.started
        )
    }
}

/// Why the lock could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another run held it for the whole wait.
    #[error("{} is held by {} (waited {} s)", .path.display(), .holder.as_ref().map_or_else(|| "another run".to_owned(), ToString::to_string), .waited.as_secs())]
    Busy {
        /// The lock file.
        path: PathBuf,
        /// Its holder, when it recorded itself.
        holder: Option<Holder>,
        /// How long this run waited.
        waited: Duration,
    },
    /// The lock path is a symlink or not a regular file, or the root cannot be opened.
    #[error(transparent)]
    Jail(#[from] JailError),
    /// The root is `/`, a system directory or the home directory (BI702): no lock file is
    /// written there, and nothing else either.
    #[error(transparent)]
    Root(#[from] crate::roots::RootError),
}

impl LockError {
    /// The diagnostic code: [`CODE_ROOT_LOCKED`] when busy, the jail's code otherwise.
    pub fn code(&self) -> Option<Code> {
        match self {
            Self::Busy { .. } => Some(CODE_ROOT_LOCKED),
            Self::Jail(e) => e.code(),
            Self::Root(e) => e.code(),
        }
    }

    /// How to fix it.
    pub fn help(&self) -> Option<String> {
        match self {
            Self::Busy { .. } => Some(
                "wait for that run to finish (or stop it), then run again; `--lock-wait DURATION` (or BANATIE_LOCK_WAIT, seconds) waits longer".into(),
            ),
            Self::Jail(e) => e.help(),
            Self::Root(e) => e.help(),
        }
    }
}

/// What a verb that changes the running stack holds for its whole run (`up`, `deploy`,
/// `rollback`, `down`, `restore`, `secrets rotate`): the root's lock (when the root
/// exists: a missing root holds nothing to protect) and the stack's engine-wide lock
/// ([`RootLock::acquire_stack`]), both released when this drops.
#[derive(Debug)]
pub struct StackLocks {
    _held: Vec<RootLock>,
}

/// Takes [`StackLocks`] of `root` and `stack` for `verb`, waiting at most `wait` for each.
/// Errors: [`LockError::Root`] for `/`, a system directory or the home directory
/// (BI702, before anything is written), [`LockError::Busy`] naming the holder (pid, host,
/// verb, since when; BI705), [`LockError::Jail`] when the root or the lock path is unsafe.
pub fn hold(root: &Path, stack: &str, verb: &str, wait: Duration) -> Result<StackLocks, LockError> {
    crate::roots::refuse_system_root(root)?;
    let mut held = Vec::new();
    if root.is_dir() {
        held.push(RootLock::acquire_wait(root, verb, wait)?);
    }
    held.extend(RootLock::acquire_stack(stack, verb, wait)?);
    Ok(StackLocks { _held: held })
}

/// A held root lock; released when dropped (or when the process exits).
#[derive(Debug)]
pub struct RootLock {
    file: std::fs::File,
    path: PathBuf,
}

impl RootLock {
    /// Takes the lock of the existing directory `root` for `verb`, waiting at most
    /// [`default_wait`]. Errors: [`LockError::Busy`] naming the holder,
    /// [`LockError::Jail`] when the root cannot be opened or the lock path is unsafe.
    pub fn acquire(root: &Path, verb: &str) -> Result<RootLock, LockError> {
        let r = Root::open(root)?;
        Self::acquire_in(&r, verb, default_wait())
    }

    /// Takes the lock of the existing directory `root` for `verb`, waiting at most `wait`
    /// (`up`, `down` and `restore` take it for their whole run, so two of them, or one and
    /// a `render`, never interleave). Errors as [`RootLock::acquire`].
    pub fn acquire_wait(root: &Path, verb: &str, wait: Duration) -> Result<RootLock, LockError> {
        let r = Root::open(root)?;
        Self::acquire_in(&r, verb, wait)
    }

    /// Takes the lock of an open root, waiting at most `wait`.
    pub fn acquire_in(root: &Root, verb: &str, wait: Duration) -> Result<RootLock, LockError> {
        Self::acquire_file(root, LOCK_FILE, verb, wait)
    }

    /// Takes the engine-wide lock of stack `stack` for `verb`, waiting at most `wait`:
    /// `/run/lock/banatie-infra/<stack>.lock`. Containers and networks are the engine's,
    /// not a root's, so two runs of one stack from two roots are serialized too. `Ok(None)`
    /// where this user cannot create the lock directory or file (the root's lock still
    /// holds).
    pub fn acquire_stack(
        stack: &str,
        verb: &str,
        wait: Duration,
    ) -> Result<Option<RootLock>, LockError> {
        let dir = Path::new(STACK_LOCK_DIR);
        if !dir.is_dir() {
            use std::os::unix::fs::DirBuilderExt;
            let _ = std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o1777)
                .create(dir);
        }
        let Ok(root) = Root::open(dir) else {
            return Ok(None);
        };
        match Self::acquire_file(&root, &format!("{stack}.lock"), verb, wait) {
            Ok(l) => Ok(Some(l)),
            Err(LockError::Jail(JailError::Io { source, .. }))
                if source.kind() == std::io::ErrorKind::PermissionDenied
                    || source.kind() == std::io::ErrorKind::ReadOnlyFilesystem =>
            {
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    /// Takes the lock file `name` of an open directory, waiting at most `wait`.
    fn acquire_file(
        root: &Root,
        name: &str,
        verb: &str,
        wait: Duration,
    ) -> Result<RootLock, LockError> {
        let path = root.path().join(name);
        let io = |e: Errno| JailError::Io {
            path: path.clone(),
            source: e.into(),
        };
        let fd = match rustix::fs::openat(
            root.fd(),
            name,
            OFlags::RDWR | OFlags::CREATE | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC,
            Mode::from_raw_mode(0o600),
        ) {
            Ok(fd) => fd,
            Err(Errno::LOOP) => return Err(JailError::Symlink { path }.into()),
            Err(e) => return Err(io(e).into()),
        };
        let st = rustix::fs::fstat(&fd).map_err(io)?;
        if FileType::from_raw_mode(st.st_mode) != FileType::RegularFile {
            return Err(JailError::NotRegular {
                path,
                what: "not a regular file".into(),
                expected: "a regular file",
            }
            .into());
        }
        let start = Instant::now();
        loop {
            match rustix::fs::flock(&fd, FlockOperation::NonBlockingLockExclusive) {
                Ok(()) => break,
                Err(Errno::WOULDBLOCK) | Err(Errno::INTR) => {}
                Err(e) => return Err(io(e).into()),
            }
            if start.elapsed() >= wait {
                let mut buf = vec![0u8; 1024];
                let n = std::fs::File::from(fd).read_at(&mut buf, 0).unwrap_or(0);
                let holder = Holder::parse(&String::from_utf8_lossy(&buf[..n]));
                return Err(LockError::Busy {
                    path,
                    holder,
                    waited: start.elapsed(),
                });
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let mut file = std::fs::File::from(fd);
        let record = Holder::me(verb).record();
        (|| -> std::io::Result<()> {
            file.set_len(0)?;
            file.rewind()?;
            file.write_all(record.as_bytes())
        })()
        .map_err(|source| JailError::Io {
            path: path.clone(),
            source,
        })?;
        Ok(RootLock { file, path })
    }

    /// Like [`RootLock::acquire_in`], but `Ok(None)` when the lock file cannot be created
    /// because the root is read-only or not writable by this user: then no run of this
    /// user can write under the root either (every write is a rename in a directory of
    /// it), so there is nothing to serialize, and an up-to-date root can still be checked
    /// and reported on.
    pub fn acquire_if_writable(
        root: &Root,
        verb: &str,
        wait: Duration,
    ) -> Result<Option<RootLock>, LockError> {
        match Self::acquire_in(root, verb, wait) {
            Ok(l) => Ok(Some(l)),
            Err(LockError::Jail(JailError::Io { source, .. }))
                if source.kind() == std::io::ErrorKind::ReadOnlyFilesystem
                    || (source.kind() == std::io::ErrorKind::PermissionDenied
                        // A lock file we may not open in a directory we may write (say,
                        // another user's) is no reason to go on unlocked.
                        && rustix::fs::accessat(
                            root.fd(),
                            ".",
                            rustix::fs::Access::WRITE_OK,
                            rustix::fs::AtFlags::empty(),
                        )
                        .is_err()) =>
            {
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for RootLock {
    fn drop(&mut self) {
        // Still holding the lock: clear the record so a later reader sees no holder.
        let _ = self.file.set_len(0);
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn hold_writes_no_lock_into_a_system_directory() {
        let before = std::path::Path::new("/etc/.banatie-infra.lock").exists();
        let e = super::hold(
            std::path::Path::new("/etc"),
            "t",
            "up",
            std::time::Duration::ZERO,
        )
        .expect_err("a system directory");
        assert!(matches!(e, super::LockError::Root(_)), "{e}");
        assert_eq!(e.code().map(|c| c.0), Some("BI702"));
        assert_eq!(
            std::path::Path::new("/etc/.banatie-infra.lock").exists(),
            before
        );
    }

    use super::*;

    #[test]
    fn a_second_lock_waits_then_names_the_holder() {
        let t = tempfile::tempdir().unwrap();
        let root = Root::open(t.path()).unwrap();
        let held = RootLock::acquire_in(&root, "render", Duration::ZERO).unwrap();
        let e = RootLock::acquire_in(&root, "secrets", Duration::from_millis(100)).unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("banatie-infra render"), "{msg}");
        assert!(msg.contains(&std::process::id().to_string()), "{msg}");
        assert_eq!(e.code(), Some(CODE_ROOT_LOCKED));
        drop(held);
        RootLock::acquire_in(&root, "secrets", Duration::ZERO).unwrap();
    }

    #[test]
    fn a_symlinked_lock_file_is_refused() {
        let t = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink("/etc/passwd", t.path().join(LOCK_FILE)).unwrap();
        let e = RootLock::acquire(t.path(), "render").unwrap_err();
        assert!(
            matches!(e, LockError::Jail(JailError::Symlink { .. })),
            "{e}"
        );
    }
}
