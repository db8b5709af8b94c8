//! The deployment root as a jail: every read and write of a bundle path goes through a
//! directory handle of the root and never follows a symbolic link below it.
//!
//! A bundle path (`scripts/prepare-host.sh`) is opened one component at a time with
//! `openat(dir, component, O_DIRECTORY | O_NOFOLLOW)`, starting from a handle of the
//! root; the last component is examined with `fstatat(AT_SYMLINK_NOFOLLOW)` and opened with
//! `O_NOFOLLOW | O_NONBLOCK`, then checked again with `fstat` on the open descriptor. So a
//! symlink, FIFO, device, socket or directory at a bundle path (or a symlink in place of
//! one of its directories) is reported, never followed, never read, never replaced
//! silently; and a component swapped for a symlink between the check and the use cannot
//! redirect the operation (the kernel refuses `O_NOFOLLOW` at open time, and `renameat`
//! replaces a symlink rather than writing through it). Opening a FIFO with `O_NONBLOCK`
//! returns at once, so nothing blocks.
//!
//! The root path itself, as the user gave it (`-o out`, `--dir /opt/app`), is resolved by
//! the operating system like any path the user types: a symlink there (say `/opt/app ->
//! /srv/app`) is followed once, when the root is opened. Everything below the root is not.
//!
//! Why rustix rather than `cap-std`: `cap-std` refuses to leave the root but follows a
//! symlink that stays inside it (`out/.env -> secrets.env`), which would let `--check`
//! print `secrets.env` and let a write land on another bundle file; per-component
//! `O_NOFOLLOW` through rustix's safe `openat` refuses every symlink (`rustix::fs`, the
//! same crate `tempfile` already builds on).
//!
//! Writes are atomic: a temporary file is created in the final directory's handle with
//! `O_CREAT | O_EXCL | O_NOFOLLOW` and mode 0600, set to its final mode with `fchmod`
//! before any byte is written, written, fsynced, renamed over the final name with
//! `renameat` on the same handle, and the directory is fsynced.

use std::io::{Read, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::path::{Path, PathBuf};

use rustix::fs::{AtFlags, FileType, Mode, OFlags};
use rustix::io::Errno;

use crate::bundle::WriteOutcome;
use crate::diagnostic::Code;

pub use crate::rules::files::{
    CODE_FOREIGN_ROOT, CODE_OUTPUT_IS_INPUT, CODE_ROOT_LOCKED, CODE_SYSTEM_ROOT, CODE_UNSAFE_PATH,
};

/// The most bytes read from one bundle file (16 MiB); a larger file is reported as such
/// and not read.
pub const READ_LIMIT: u64 = 16 << 20;

/// Why a bundle path cannot be used. Never holds file contents.
#[derive(Debug, thiserror::Error)]
pub enum JailError {
    /// A symlink at the path or in place of one of its directories.
    #[error("{} is a symlink, not written by banatie-infra: refusing to follow or replace it", .path.display())]
    Symlink {
        /// The symlink (the root joined with the components up to it).
        path: PathBuf,
    },
    /// Something other than what the operation needs (a FIFO, a device, a directory
    /// where a file goes, a file where a directory goes).
    #[error("{} is {what}, not {expected}: refusing to use it", .path.display())]
    NotRegular {
        /// The path.
        path: PathBuf,
        /// What it is (`a FIFO`, `a directory`, ...).
        what: String,
        /// What it should be.
        expected: &'static str,
    },
    /// The relative path has an empty, `.`, `..` or absolute component.
    #[error("{}: not a path inside the root", .path.display())]
    Outside {
        /// The path.
        path: PathBuf,
    },
    /// The operating system refused.
    #[error("{}: {source}", .path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

impl JailError {
    /// The diagnostic code: [`CODE_UNSAFE_PATH`] for a symlink or a non-regular file,
    /// `None` for an operating-system error.
    pub fn code(&self) -> Option<Code> {
        match self {
            Self::Io { .. } => None,
            _ => Some(CODE_UNSAFE_PATH),
        }
    }

    /// How to fix it.
    pub fn help(&self) -> Option<String> {
        match self {
            Self::Symlink { path } | Self::NotRegular { path, .. } => Some(format!(
                "remove {} (the tool never reads or writes through it) and run again",
                path.display()
            )),
            _ => None,
        }
    }
}

impl From<JailError> for std::io::Error {
    fn from(e: JailError) -> Self {
        let kind = match &e {
            JailError::Io { source, .. } => source.kind(),
            JailError::Outside { .. } => std::io::ErrorKind::InvalidInput,
            _ => std::io::ErrorKind::Other,
        };
        std::io::Error::new(kind, e)
    }
}

/// What is at a bundle path, read without following symlinks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    /// Nothing (or one of its directories is missing).
    Missing,
    /// A regular file.
    File {
        /// Its bytes (at most [`READ_LIMIT`]).
        contents: Vec<u8>,
        /// Its mode bits (`& 0o7777`).
        mode: u32,
        /// Its hard-link count (1 for every file the tool writes).
        links: u64,
    },
    /// Something that is not read: a symlink, FIFO, device, socket, directory, or a file
    /// over [`READ_LIMIT`].
    Unsafe {
        /// The offending path (the file, or the directory component in its place).
        path: PathBuf,
        /// What it is, as a phrase: `a symlink`, `a FIFO`, `larger than 16777216 bytes`.
        what: String,
    },
}

/// An open deployment root. See the module docs.
#[derive(Debug)]
pub struct Root {
    fd: OwnedFd,
    path: PathBuf,
}

fn io_at(path: &Path) -> impl Fn(Errno) -> JailError + '_ {
    move |e| JailError::Io {
        path: path.to_owned(),
        source: e.into(),
    }
}

fn describe(t: FileType) -> &'static str {
    match t {
        FileType::RegularFile => "a regular file",
        FileType::Directory => "a directory",
        FileType::Symlink => "a symlink",
        FileType::Fifo => "a FIFO",
        FileType::Socket => "a socket",
        FileType::CharacterDevice => "a character device",
        FileType::BlockDevice => "a block device",
        FileType::Unknown => "a file of unknown type",
    }
}

/// The components of a relative bundle path; `.`, `..`, empty and absolute are refused.
fn components(rel: &str) -> Option<Vec<&str>> {
    let parts: Vec<&str> = rel.split('/').collect();
    let ok = !rel.is_empty()
        && parts
            .iter()
            .all(|c| !c.is_empty() && *c != "." && *c != ".." && !c.contains('\0'));
    ok.then_some(parts)
}

/// Where a walk through the directories of a path ended.
enum Walk {
    Dir(OwnedFd),
    Missing,
    Unsafe(PathBuf, FileType),
}

const DIR_FLAGS: OFlags = OFlags::RDONLY
    .union(OFlags::DIRECTORY)
    .union(OFlags::NOFOLLOW)
    .union(OFlags::CLOEXEC);
const READ_FLAGS: OFlags = OFlags::RDONLY
    .union(OFlags::NOFOLLOW)
    .union(OFlags::NONBLOCK)
    .union(OFlags::NOCTTY)
    .union(OFlags::CLOEXEC);

impl Root {
    /// Opens an existing root directory (the path as given is followed, see the module
    /// docs). Errors: [`JailError::Io`] (`NotFound` when it does not exist),
    /// [`JailError::NotRegular`] when it is not a directory.
    pub fn open(path: &Path) -> Result<Root, JailError> {
        let p = if path.as_os_str().is_empty() {
            Path::new(".")
        } else {
            path
        };
        match rustix::fs::openat(
            rustix::fs::CWD,
            p,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        ) {
            Ok(fd) => Ok(Root {
                fd,
                path: path.to_owned(),
            }),
            Err(Errno::NOTDIR) => Err(JailError::NotRegular {
                path: path.to_owned(),
                what: "not a directory".into(),
                expected: "a directory",
            }),
            Err(e) => Err(io_at(path)(e)),
        }
    }

    /// Creates the root directory and its parents when missing (as `mkdir -p` does with
    /// the path the user gave), then opens it like [`Root::open`].
    pub fn create(path: &Path) -> Result<Root, JailError> {
        if !path.as_os_str().is_empty() {
            std::fs::create_dir_all(path).map_err(|source| JailError::Io {
                path: path.to_owned(),
                source,
            })?;
        }
        Self::open(path)
    }

    /// The root's path as given.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The root's directory handle.
    pub fn fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.fd.as_fd()
    }

    fn split<'a>(&self, rel: &'a str) -> Result<(Vec<&'a str>, &'a str), JailError> {
        let mut parts = components(rel).ok_or_else(|| JailError::Outside {
            path: self.path.join(rel),
        })?;
        let name = parts.pop().expect("at least one component");
        Ok((parts, name))
    }

    /// Opens the directories `dirs` one by one from the root, never following a symlink;
    /// creates missing ones (mode 0755) when `create`.
    fn walk(&self, dirs: &[&str], create: bool) -> Result<Walk, JailError> {
        let mut cur = self.fd.try_clone().map_err(|source| JailError::Io {
            path: self.path.clone(),
            source,
        })?;
        let mut path = self.path.clone();
        for c in dirs {
            path.push(c);
            let mut made = false;
            loop {
                match rustix::fs::openat(&cur, *c, DIR_FLAGS, Mode::empty()) {
                    Ok(fd) => {
                        cur = fd;
                        break;
                    }
                    Err(Errno::NOENT) if create && !made => {
                        match rustix::fs::mkdirat(&cur, *c, Mode::from_raw_mode(0o755)) {
                            Ok(()) | Err(Errno::EXIST) => made = true,
                            Err(e) => return Err(io_at(&path)(e)),
                        }
                    }
                    Err(Errno::NOENT) => return Ok(Walk::Missing),
                    Err(e @ (Errno::LOOP | Errno::NOTDIR)) => {
                        let t = rustix::fs::statat(&cur, *c, AtFlags::SYMLINK_NOFOLLOW)
                            .map(|st| FileType::from_raw_mode(st.st_mode))
                            .map_err(io_at(&path))?;
                        if t == FileType::Directory {
                            return Err(io_at(&path)(e));
                        }
                        return Ok(Walk::Unsafe(path, t));
                    }
                    Err(e) => return Err(io_at(&path)(e)),
                }
            }
        }
        Ok(Walk::Dir(cur))
    }

    /// Reads the bundle path `rel` (relative, `/`-separated) without following symlinks
    /// and without blocking; see [`Node`]. At most `limit` bytes are read: a larger file
    /// is [`Node::Unsafe`]. Errors: [`JailError::Outside`] for a path with `..`,
    /// [`JailError::Io`].
    pub fn read(&self, rel: &str, limit: u64) -> Result<Node, JailError> {
        let (dirs, name) = self.split(rel)?;
        let dir = match self.walk(&dirs, false)? {
            Walk::Dir(fd) => fd,
            Walk::Missing => return Ok(Node::Missing),
            Walk::Unsafe(path, t) => {
                return Ok(Node::Unsafe {
                    path,
                    what: describe(t).into(),
                })
            }
        };
        let path = self.path.join(rel);
        let unsafe_node = |t: FileType| {
            Ok(Node::Unsafe {
                path: path.clone(),
                what: describe(t).into(),
            })
        };
        match rustix::fs::statat(&dir, name, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(st) if FileType::from_raw_mode(st.st_mode) == FileType::RegularFile => {}
            Ok(st) => return unsafe_node(FileType::from_raw_mode(st.st_mode)),
            Err(Errno::NOENT) => return Ok(Node::Missing),
            Err(e) => return Err(io_at(&path)(e)),
        }
        let fd = match rustix::fs::openat(&dir, name, READ_FLAGS, Mode::empty()) {
            Ok(fd) => fd,
            Err(Errno::LOOP) => return unsafe_node(FileType::Symlink),
            Err(Errno::NOENT) => return Ok(Node::Missing),
            Err(e) => return Err(io_at(&path)(e)),
        };
        let st = rustix::fs::fstat(&fd).map_err(io_at(&path))?;
        let t = FileType::from_raw_mode(st.st_mode);
        if t != FileType::RegularFile {
            return unsafe_node(t);
        }
        if st.st_size as u64 > limit {
            return Ok(Node::Unsafe {
                path,
                what: format!("larger than {limit} bytes"),
            });
        }
        let mut contents = Vec::with_capacity(st.st_size as usize);
        std::fs::File::from(fd)
            .take(limit + 1)
            .read_to_end(&mut contents)
            .map_err(|source| JailError::Io {
                path: path.clone(),
                source,
            })?;
        if contents.len() as u64 > limit {
            return Ok(Node::Unsafe {
                path,
                what: format!("larger than {limit} bytes"),
            });
        }
        Ok(Node::File {
            contents,
            mode: st.st_mode & 0o7777,
            links: st.st_nlink as u64,
        })
    }

    /// Refuses a directory path `rel` below the root with a symlink (or a non-directory)
    /// for one of its components; a missing component is fine. For callers that then use
    /// the path by name (the backup directory under the root): it checks, it does not
    /// hold the directory open. Errors: [`JailError::Symlink`], [`JailError::NotRegular`],
    /// [`JailError::Outside`], [`JailError::Io`].
    pub fn check_dir(&self, rel: &str) -> Result<(), JailError> {
        let dirs = components(rel).ok_or_else(|| JailError::Outside {
            path: self.path.join(rel),
        })?;
        match self.walk(&dirs, false)? {
            Walk::Dir(_) | Walk::Missing => Ok(()),
            Walk::Unsafe(path, FileType::Symlink) => Err(JailError::Symlink { path }),
            Walk::Unsafe(path, t) => Err(JailError::NotRegular {
                path,
                what: describe(t).into(),
                expected: "a directory",
            }),
        }
    }

    /// Writes `contents` at the bundle path `rel` with `mode`, atomically (see the module
    /// docs), creating missing directories (0755). A file that already has these contents
    /// and mode is left alone ([`WriteOutcome::Unchanged`]).
    ///
    /// Errors: [`JailError::Symlink`] when the path or one of its directories is a
    /// symlink, [`JailError::NotRegular`] when it is a FIFO, device, directory, ...,
    /// [`JailError::Outside`], [`JailError::Io`]. Nothing is written then.
    pub fn write(&self, rel: &str, contents: &[u8], mode: u32) -> Result<WriteOutcome, JailError> {
        let (dirs, name) = self.split(rel)?;
        let dir = match self.walk(&dirs, true)? {
            Walk::Dir(fd) => fd,
            Walk::Missing => {
                return Err(JailError::Io {
                    path: self.path.join(rel),
                    source: std::io::Error::new(
                        std::io::ErrorKind::NotFound,
                        "a directory was removed while it was being created",
                    ),
                })
            }
            Walk::Unsafe(path, FileType::Symlink) => return Err(JailError::Symlink { path }),
            Walk::Unsafe(path, t) => {
                return Err(JailError::NotRegular {
                    path,
                    what: describe(t).into(),
                    expected: "a directory",
                })
            }
        };
        let path = self.path.join(rel);
        let outcome = match self.read(rel, contents.len() as u64)? {
            Node::Missing => WriteOutcome::Created,
            Node::File {
                contents: old,
                mode: m,
                links,
            } => {
                if old == contents && m == mode && links == 1 {
                    return Ok(WriteOutcome::Unchanged);
                }
                WriteOutcome::Updated
            }
            Node::Unsafe { what, .. } if what.starts_with("larger") => WriteOutcome::Updated,
            Node::Unsafe { path, what } if what == describe(FileType::Symlink) => {
                return Err(JailError::Symlink { path })
            }
            Node::Unsafe { path, what } => {
                return Err(JailError::NotRegular {
                    path,
                    what,
                    expected: "a regular file",
                })
            }
        };
        replace_in(&dir, name, contents, mode).map_err(|source| JailError::Io { path, source })?;
        Ok(outcome)
    }

    /// Removes the file at `rel` (`unlinkat` in its directory, reached without following
    /// a symlink). A missing file or directory is `Ok(false)`; a removed one `Ok(true)`.
    ///
    /// Errors: as [`Root::write`] for the directories; [`JailError::Io`] for the unlink.
    pub fn remove(&self, rel: &str) -> Result<bool, JailError> {
        let (dirs, name) = self.split(rel)?;
        let dir = match self.walk(&dirs, false)? {
            Walk::Dir(fd) => fd,
            Walk::Missing => return Ok(false),
            Walk::Unsafe(path, FileType::Symlink) => return Err(JailError::Symlink { path }),
            Walk::Unsafe(path, t) => {
                return Err(JailError::NotRegular {
                    path,
                    what: describe(t).into(),
                    expected: "a directory",
                })
            }
        };
        match rustix::fs::unlinkat(&dir, name, AtFlags::empty()) {
            Ok(()) => Ok(true),
            Err(rustix::io::Errno::NOENT) => Ok(false),
            Err(e) => Err(JailError::Io {
                path: self.path.join(rel),
                source: e.into(),
            }),
        }
    }
}

/// The temporary-file, fsync, `renameat`, fsync-the-directory sequence in `dir`.
fn replace_in(dir: &OwnedFd, name: &str, contents: &[u8], mode: u32) -> std::io::Result<()> {
    let mut rnd = [0u8; 8];
    getrandom::fill(&mut rnd).map_err(std::io::Error::other)?;
    let tag: String = rnd.iter().map(|b| format!("{b:02x}")).collect();
    let tmp = format!(".{name}.{tag}.tmp");
    let fd = rustix::fs::openat(
        dir,
        tmp.as_str(),
        OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::from_raw_mode(0o600),
    )?;
    let result = (|| -> std::io::Result<()> {
        rustix::fs::fchmod(&fd, Mode::from_raw_mode(mode))?;
        let mut f = std::fs::File::from(fd);
        f.write_all(contents)?;
        f.sync_all()?;
        drop(f);
        rustix::fs::renameat(dir, tmp.as_str(), dir, name)?;
        Ok(())
    })();
    if let Err(e) = result {
        let _ = rustix::fs::unlinkat(dir, tmp.as_str(), AtFlags::empty());
        return Err(e);
    }
    rustix::fs::fsync(dir).ok();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_with_dot_dot_are_outside() {
        for p in ["", "a/../b", "../x", "/etc/passwd", "a//b", "./a", "a/"] {
            assert!(components(p).is_none(), "{p}");
        }
        assert_eq!(components("a/b").unwrap(), ["a", "b"]);
    }

    #[test]
    fn check_dir_refuses_a_symlinked_component() {
        let t = tempfile::tempdir().unwrap();
        std::fs::create_dir(t.path().join("real")).unwrap();
        std::os::unix::fs::symlink("/tmp", t.path().join("backups")).unwrap();
        let root = Root::open(t.path()).unwrap();
        root.check_dir("real").unwrap();
        root.check_dir("real/missing/deeper").unwrap();
        for p in ["backups", "backups/db", "real/../backups"] {
            assert!(root.check_dir(p).is_err(), "{p}");
        }
    }

    #[test]
    fn a_write_refuses_a_symlinked_directory_and_file() {
        let t = tempfile::tempdir().unwrap();
        let elsewhere = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(elsewhere.path(), t.path().join("scripts")).unwrap();
        std::os::unix::fs::symlink("target", t.path().join("x")).unwrap();
        let root = Root::open(t.path()).unwrap();
        let e = root.write("scripts/a.sh", b"x", 0o755).unwrap_err();
        assert!(matches!(e, JailError::Symlink { .. }), "{e}");
        let e = root.write("x", b"x", 0o644).unwrap_err();
        assert!(matches!(e, JailError::Symlink { .. }), "{e}");
        assert_eq!(std::fs::read_dir(elsewhere.path()).unwrap().count(), 0);
        assert!(!t.path().join("target").exists());
        assert_eq!(
            root.write("d/e/f", b"x", 0o640).unwrap(),
            WriteOutcome::Created
        );
        assert_eq!(
            root.write("d/e/f", b"x", 0o640).unwrap(),
            WriteOutcome::Unchanged
        );
        assert_eq!(
            root.read("d/e/f", 10).unwrap(),
            Node::File {
                contents: b"x".to_vec(),
                mode: 0o640,
                links: 1
            }
        );
    }
}
