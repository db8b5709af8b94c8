//! Writing a rendered [`Bundle`] to disk, atomically, and checking a directory against one.
//!
//! Each file is written to a temporary file in its final directory, created with its final
//! mode, fsynced, then renamed over the final path: a reader sees the old file or the new
//! one, never a partial file. Unchanged files are not rewritten. `secrets.env` is never
//! part of a bundle, so writing one never touches secrets.

use std::path::{Path, PathBuf};

use crate::jail::{JailError, Node, Root};
use crate::render::{Bundle, SECRETS_FILE};

/// What happened to one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteOutcome {
    /// It did not exist.
    Created,
    /// It existed with other contents or mode.
    Updated,
    /// It already had these contents and mode.
    Unchanged,
}

/// A failure to write a bundle: which path, and the operating system's error. Files
/// written before the failure stay (each is complete); none is partial.
#[derive(Debug, thiserror::Error)]
#[error("cannot write {}: {source}", path.display())]
pub struct WriteError {
    /// The path being written.
    pub path: PathBuf,
    /// The cause.
    pub source: std::io::Error,
}

/// Writes every file of `bundle` under `dir` (created if missing), under the root's lock
/// ([`crate::lock::RootLock`], waiting at most [`crate::lock::default_wait`]), through
/// [`crate::jail::Root`]: no symlink below `dir` is followed. Returns each file's relative
/// path and outcome, in bundle order.
///
/// Errors: [`WriteError`] on the first file that cannot be written; its `source` wraps a
/// [`crate::jail::JailError`] (a symlink or FIFO at a bundle path, BI701), a
/// [`crate::roots::RootError`] (`dir` is `/` or a system directory, BI702) or a
/// [`crate::lock::LockError`] (BI705), reachable with `source.get_ref()` and
/// `downcast_ref`. A bundle that names `secrets.env` is refused with `PermissionDenied`.
pub fn write(bundle: &Bundle, dir: &Path) -> Result<Vec<(String, WriteOutcome)>, WriteError> {
    let err = |path: &Path, source: std::io::Error| WriteError {
        path: path.to_owned(),
        source,
    };
    if let Some(f) = bundle.files.iter().find(|f| f.path == SECRETS_FILE) {
        return Err(err(
            &dir.join(&f.path),
            std::io::Error::new(
                std::io::ErrorKind::PermissionDenied,
                "a bundle never writes secrets.env",
            ),
        ));
    }
    crate::roots::refuse_system_root(dir).map_err(|e| {
        err(
            dir,
            std::io::Error::new(std::io::ErrorKind::PermissionDenied, e),
        )
    })?;
    let root = Root::create(dir).map_err(|e| err(dir, e.into()))?;
    let lock =
        crate::lock::RootLock::acquire_if_writable(&root, "render", crate::lock::default_wait())
            .map_err(|e| err(&dir.join(crate::lock::LOCK_FILE), std::io::Error::other(e)))?;
    let out = write_in(bundle, &root)?;
    drop(lock);
    Ok(out)
}

/// [`write`]'s writing part, for a caller that holds the root's lock already (`rollback`):
/// every file of `bundle` through the open root, never `secrets.env`.
pub(crate) fn write_in(
    bundle: &Bundle,
    root: &Root,
) -> Result<Vec<(String, WriteOutcome)>, WriteError> {
    if bundle.files.iter().any(|f| f.path == SECRETS_FILE) {
        return Err(WriteError {
            path: root.path().join(SECRETS_FILE),
            source: std::io::Error::new(
                std::io::ErrorKind::PermissionDenied,
                "a bundle never writes secrets.env",
            ),
        });
    }
    let mut out = Vec::new();
    for f in &bundle.files {
        let path = root.path().join(&f.path);
        let outcome = root
            .write(&f.path, &f.contents, f.mode)
            .map_err(|e| WriteError {
                path,
                source: e.into(),
            })?;
        out.push((f.path.clone(), outcome));
    }
    Ok(out)
}

/// Writes `contents` to `path` atomically: a temporary file in the same directory, created
/// with `mode` (never wider at any moment), written, fsynced, renamed over `path`, and the
/// directory fsynced; through [`crate::jail::Root`] opened on the parent directory, so a
/// symlink (or FIFO, directory, ...) at `path` is refused rather than replaced or written
/// through. On error the temporary file is removed and `path` is unchanged.
pub fn atomic_write(path: &Path, contents: &[u8], mode: u32) -> std::io::Result<()> {
    let parent = path.parent().unwrap_or(Path::new("."));
    let name = path.file_name().and_then(|n| n.to_str()).ok_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("{}: not a file name", path.display()),
        )
    })?;
    let root = Root::open(parent)?;
    root.write(name, contents, mode)?;
    Ok(())
}

/// A difference between a directory and a bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Difference {
    /// The file is not on disk.
    Missing {
        /// Relative path.
        path: String,
    },
    /// The contents differ; `diff` is a unified diff (disk → rendered), or a note for
    /// files whose contents must not be shown.
    Changed {
        /// Relative path.
        path: String,
        /// The unified diff.
        diff: String,
    },
    /// The path is not a regular file the tool wrote: a symlink (or one of its
    /// directories is), a FIFO, device, socket, directory, a hard link to another file,
    /// or a file over [`crate::jail::READ_LIMIT`]. Its contents are never read or shown.
    NotRegular {
        /// Relative path.
        path: String,
        /// What is there, for example `scripts is a symlink, not written by banatie-infra`.
        found: String,
    },
    /// The mode differs.
    Mode {
        /// Relative path.
        path: String,
        /// On disk.
        actual: u32,
        /// Rendered.
        expected: u32,
    },
}

/// Compares the files of `bundle` with those under `dir`. Only the bundle's files are
/// compared (`secrets.env` is never read), each read through [`crate::jail::Root`]: a
/// symlink, FIFO, device or hard link at a bundle path is a [`Difference::NotRegular`],
/// never followed, opened for reading or shown (a FIFO never blocks). Returns the
/// differences, empty when the directory is up to date; a missing `dir` has every file
/// missing.
pub fn check(bundle: &Bundle, dir: &Path) -> std::io::Result<Vec<Difference>> {
    let root = match Root::open(dir) {
        Ok(r) => Some(r),
        Err(JailError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(e.into()),
    };
    // A difference shows a file's lines: no value of the root's secrets may be among them.
    if let Some(r) = &root {
        crate::secrets::register_values(r);
    }
    let mut out = Vec::new();
    for f in &bundle.files {
        let node = match &root {
            Some(r) => r.read(&f.path, crate::jail::READ_LIMIT)?,
            None => Node::Missing,
        };
        let (on_disk, mode) = match node {
            Node::Missing => {
                out.push(Difference::Missing {
                    path: f.path.clone(),
                });
                continue;
            }
            Node::Unsafe { path, what } => {
                let rel = path
                    .strip_prefix(dir)
                    .unwrap_or(&path)
                    .display()
                    .to_string();
                out.push(Difference::NotRegular {
                    path: f.path.clone(),
                    found: format!("{rel} is {what}, not written by banatie-infra"),
                });
                continue;
            }
            Node::File { links, .. } if links > 1 => {
                out.push(Difference::NotRegular {
                    path: f.path.clone(),
                    found: format!(
                        "{} is a hard link ({links} names), not written by banatie-infra",
                        f.path
                    ),
                });
                continue;
            }
            Node::File { contents, mode, .. } => (contents, mode),
        };
        if on_disk != f.contents && !written_by_tool(&on_disk, &f.contents) {
            out.push(Difference::Changed {
                path: f.path.clone(),
                diff: format!(
                    "{}: differs; it lacks the banatie-infra header, so it was not written by banatie-infra and is not shown\n",
                    f.path
                ),
            });
        } else if on_disk != f.contents {
            let old = String::from_utf8_lossy(&on_disk);
            let new = String::from_utf8_lossy(&f.contents);
            let diff = similar::TextDiff::from_lines(old.as_ref(), new.as_ref())
                .unified_diff()
                .header(
                    &format!("{} (on disk)", f.path),
                    &format!("{} (rendered)", f.path),
                )
                .to_string();
            out.push(Difference::Changed {
                path: f.path.clone(),
                diff,
            });
        }
        if mode != f.mode {
            out.push(Difference::Mode {
                path: f.path.clone(),
                actual: mode,
                expected: f.mode,
            });
        }
    }
    Ok(out)
}

/// Whether a file on disk may be shown in a diff: when one of the rendered file's first
/// three lines names banatie-infra (its header), the file on disk must have that same
/// line at the same place, so a copy of another file (`cp secrets.env .env`, whose first
/// line names banatie-infra too) is never printed.
fn written_by_tool(on_disk: &[u8], rendered: &[u8]) -> bool {
    let lines = |b: &[u8]| -> Vec<Vec<u8>> {
        b.split(|&c| c == b'\n')
            .take(3)
            .map(<[u8]>::to_vec)
            .collect()
    };
    let (disk, ours) = (lines(on_disk), lines(rendered));
    match ours
        .iter()
        .position(|l| String::from_utf8_lossy(l).contains("banatie-infra"))
    {
        Some(k) => disk.get(k) == ours.get(k),
        None => true,
    }
}
