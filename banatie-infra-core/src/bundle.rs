//! Writing a rendered [`Bundle`] to disk, atomically, and checking a directory against one.
//!
//! Each file is written to a temporary file in its final directory, created with its final
//! mode, fsynced, then renamed over the final path: a reader sees the old file or the new
//! one, never a partial file. Unchanged files are not rewritten. `secrets.env` is never
//! part of a bundle, so writing one never touches secrets.

use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::render::{Bundle, File, SECRETS_FILE};

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

/// Writes every file of `bundle` under `dir` (created if missing). Returns each file's
/// relative path and outcome, in bundle order.
///
/// Errors: [`WriteError`] on the first file that cannot be written; a bundle that names
/// `secrets.env` is refused with `PermissionDenied`.
pub fn write(bundle: &Bundle, dir: &Path) -> Result<Vec<(String, WriteOutcome)>, WriteError> {
    let mut out = Vec::new();
    for f in &bundle.files {
        let path = dir.join(&f.path);
        if f.path == SECRETS_FILE {
            return Err(WriteError {
                path,
                source: std::io::Error::new(
                    std::io::ErrorKind::PermissionDenied,
                    "a bundle never writes secrets.env",
                ),
            });
        }
        let outcome = write_file(&path, f).map_err(|source| WriteError {
            path: path.clone(),
            source,
        })?;
        out.push((f.path.clone(), outcome));
    }
    Ok(out)
}

fn write_file(path: &Path, f: &File) -> std::io::Result<WriteOutcome> {
    let outcome = match fs::symlink_metadata(path) {
        Ok(meta) => {
            if meta.file_type().is_file()
                && meta.permissions().mode() & 0o7777 == f.mode
                && fs::read(path)? == f.contents
            {
                return Ok(WriteOutcome::Unchanged);
            }
            WriteOutcome::Updated
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => WriteOutcome::Created,
        Err(e) => return Err(e),
    };
    let parent = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(parent)?;
    atomic_write(path, &f.contents, f.mode)?;
    Ok(outcome)
}

/// Writes `contents` to `path` atomically: a temporary file in the same directory, created
/// with `mode` (never wider at any moment), written, fsynced, renamed over `path`, and the
/// directory fsynced. On error the temporary file is removed and `path` is unchanged.
pub fn atomic_write(path: &Path, contents: &[u8], mode: u32) -> std::io::Result<()> {
    let parent = path.parent().unwrap_or(Path::new("."));
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    // tempfile creates the file with mode 0600 (O_EXCL); narrowing or widening to `mode`
    // happens before any byte is written.
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".tmp")
        .permissions(fs::Permissions::from_mode(0o600))
        .tempfile_in(parent)?;
    tmp.as_file()
        .set_permissions(fs::Permissions::from_mode(mode))?;
    tmp.write_all(contents)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    if let Ok(d) = fs::File::open(parent) {
        d.sync_all().ok();
    }
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
/// compared (`secrets.env` is never read). Returns the differences, empty when the
/// directory is up to date.
pub fn check(bundle: &Bundle, dir: &Path) -> std::io::Result<Vec<Difference>> {
    let mut out = Vec::new();
    for f in &bundle.files {
        let path = dir.join(&f.path);
        let on_disk = match fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                out.push(Difference::Missing {
                    path: f.path.clone(),
                });
                continue;
            }
            Err(e) => return Err(e),
        };
        if on_disk != f.contents {
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
        let mode = fs::metadata(&path)?.permissions().mode() & 0o7777;
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
