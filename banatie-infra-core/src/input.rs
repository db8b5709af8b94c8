//! Reading the user's files with a bound: the one function every verb reads a spec, a
//! Compose file, an env file, a Caddyfile or a script through.
//!
//! [`read_input`] opens the path with `O_NONBLOCK` (so a FIFO without a writer never
//! blocks the open), checks with `fstat` on the opened handle (no race with a rename)
//! that it is a regular file, and reads at most `limit` bytes: a FIFO, a character
//! device (`/dev/zero`), a directory or a socket is refused with `BI150`, a file larger
//! than the limit (or one that grows past it while it is read) with `BI151`.
//!
//! The limit of the process is [`max_input_size`]: [`DEFAULT_MAX_INPUT`] (16 MiB) unless
//! the environment variable [`MAX_INPUT_ENV`] (`BANATIE_MAX_INPUT`) or
//! [`set_max_input_size`] (the CLI's `--max-input-size`) says otherwise. Sizes are
//! written as bytes or with a binary suffix: `1048576`, `512K`, `16M`, `16MiB`, `1G`.

use std::io::Read;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::diagnostic::{Code, Diagnostic, Span};

pub use crate::rules::limits::{
    CODE_ALIAS_EXPANSION, CODE_INTERPOLATION_BOUND, CODE_NOT_REGULAR, CODE_TOO_LARGE,
};

/// The default input size limit: 16 MiB.
pub const DEFAULT_MAX_INPUT: u64 = 16 * 1024 * 1024;

/// The environment variable that sets the input size limit (a size as
/// [`parse_size`] reads it). An unreadable value is ignored (the default applies).
pub const MAX_INPUT_ENV: &str = "BANATIE_MAX_INPUT";

/// 0: not set yet (read the environment on first use).
static LIMIT: AtomicU64 = AtomicU64::new(0);

/// The input size limit of this process: the last [`set_max_input_size`], else
/// [`MAX_INPUT_ENV`], else [`DEFAULT_MAX_INPUT`].
pub fn max_input_size() -> u64 {
    match LIMIT.load(Ordering::Relaxed) {
        0 => {
            let n = std::env::var(MAX_INPUT_ENV)
                .ok()
                .and_then(|v| parse_size(&v))
                .unwrap_or(DEFAULT_MAX_INPUT);
            LIMIT.store(n, Ordering::Relaxed);
            n
        }
        n => n,
    }
}

/// Sets the input size limit of this process (at least 1 byte).
pub fn set_max_input_size(bytes: u64) {
    LIMIT.store(bytes.max(1), Ordering::Relaxed);
}

/// Parses a size: a number of bytes, optionally followed by `K`, `M` or `G` (binary:
/// 1024, 1024², 1024³; `KiB`, `MiB`, `GiB` and `KB`, `MB`, `GB` mean the same). `None`
/// for anything else, or zero.
///
/// ```
/// use banatie_infra_core::input::parse_size;
/// assert_eq!(parse_size("16MiB"), Some(16 << 20));
/// assert_eq!(parse_size("512k"), Some(512 << 10));
/// assert_eq!(parse_size("100"), Some(100));
/// assert_eq!(parse_size("lots"), None);
/// ```
pub fn parse_size(text: &str) -> Option<u64> {
    let t = text.trim();
    let digits = t.bytes().take_while(u8::is_ascii_digit).count();
    let (num, unit) = t.split_at(digits);
    let n: u64 = num.parse().ok()?;
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        _ => return None,
    };
    n.checked_mul(1 << shift).filter(|&n| n > 0)
}

/// Why an input file was not read.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// The file cannot be opened or read (missing, permission denied, ...).
    #[error("cannot read {path}: {source}")]
    Io {
        /// The path as given.
        path: String,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The path is not a regular file (`BI150`).
    #[error("{path} is {kind}, not a regular file: it is not read")]
    NotRegular {
        /// The path as given.
        path: String,
        /// What it is: `a FIFO`, `a character device`, `a directory`, ...
        kind: &'static str,
    },
    /// The file is larger than the limit (`BI151`).
    #[error("{path} is larger than the input size limit of {limit} bytes")]
    TooLarge {
        /// The path as given.
        path: String,
        /// The limit in bytes.
        limit: u64,
    },
}

impl InputError {
    /// The code: `BI150`, `BI151`, or `None` for an I/O error.
    pub fn code(&self) -> Option<Code> {
        match self {
            Self::Io { .. } => None,
            Self::NotRegular { .. } => Some(CODE_NOT_REGULAR),
            Self::TooLarge { .. } => Some(CODE_TOO_LARGE),
        }
    }

    /// The path as given.
    pub fn path(&self) -> &str {
        match self {
            Self::Io { path, .. } | Self::NotRegular { path, .. } | Self::TooLarge { path, .. } => {
                path
            }
        }
    }

    /// A diagnostic naming the file (no position): the code of [`InputError::code`]
    /// (`BI100` for an I/O error), the message, and a hint.
    pub fn to_diagnostic(&self) -> Diagnostic {
        let code = self.code().unwrap_or(crate::load::CODE_SYNTAX);
        let mut d = Diagnostic::error(code, "", self.to_string());
        d.help = match self {
            Self::Io { .. } => None,
            Self::NotRegular { .. } => Some("give the path of a regular file".into()),
            Self::TooLarge { .. } => Some(format!(
                "no deployment file needs this much; if this one does, raise the limit with --max-input-size or {MAX_INPUT_ENV}"
            )),
        };
        d.span = Some(Span {
            file: self.path().to_owned(),
            location: None,
        });
        d
    }
}

fn kind_of(ft: std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if ft.is_dir() {
        "a directory"
    } else if ft.is_fifo() {
        "a FIFO (named pipe)"
    } else if ft.is_char_device() {
        "a character device"
    } else if ft.is_block_device() {
        "a block device"
    } else if ft.is_socket() {
        "a socket"
    } else {
        "not a regular file"
    }
}

/// Reads the regular file at `path`, at most `limit` bytes (see the module docs).
///
/// Errors: [`InputError::NotRegular`] (`BI150`) for a FIFO, device, directory or socket
/// (nothing is read from it; the open never blocks), [`InputError::TooLarge`] (`BI151`)
/// when the file holds more than `limit` bytes, [`InputError::Io`] otherwise.
pub fn read_input(path: &Path, limit: u64) -> Result<Vec<u8>, InputError> {
    use std::os::unix::fs::OpenOptionsExt;
    let name = || path.display().to_string();
    let io = |source| InputError::Io {
        path: name(),
        source,
    };
    let file = match std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
    {
        Ok(f) => f,
        Err(e) => {
            // A socket cannot be opened at all (ENXIO): say what it is.
            return Err(match std::fs::metadata(path) {
                Ok(m) if !m.is_file() => InputError::NotRegular {
                    path: name(),
                    kind: kind_of(m.file_type()),
                },
                _ => io(e),
            });
        }
    };
    let meta = file.metadata().map_err(io)?;
    if !meta.is_file() {
        return Err(InputError::NotRegular {
            path: name(),
            kind: kind_of(meta.file_type()),
        });
    }
    let too_large = || InputError::TooLarge {
        path: name(),
        limit,
    };
    if meta.len() > limit {
        return Err(too_large());
    }
    let mut buf = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    file.take(limit.saturating_add(1))
        .read_to_end(&mut buf)
        .map_err(io)?;
    if buf.len() as u64 > limit {
        return Err(too_large());
    }
    Ok(buf)
}

/// [`read_input`] with the process's limit ([`max_input_size`]), as text: invalid
/// UTF-8 is replaced by U+FFFD (the audit reads hand-written files this way).
pub fn read_text_lossy(path: &Path) -> Result<String, InputError> {
    let bytes = read_input(path, max_input_size())?;
    Ok(match String::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    })
}

/// A drop-in for `std::fs::read_to_string` with the bound: [`read_input`] with the
/// process's limit, as UTF-8 text. A file that is not regular or too large is an
/// `InvalidInput` error whose message is the [`InputError`] (with its code); text that
/// is not UTF-8 is `InvalidData`.
pub fn read_to_string(path: &Path) -> std::io::Result<String> {
    let bytes = read_input(path, max_input_size()).map_err(|e| match e {
        InputError::Io { source, .. } => source,
        e => std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("{}: {e}", e.code().map_or("", |c| c.0)),
        ),
    })?;
    String::from_utf8(bytes).map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
}

/// Reads at most `limit` bytes from `reader` (standard input, a pipe), named `name` in
/// errors: [`InputError::TooLarge`] when there is more.
pub fn read_bounded(reader: impl Read, name: &str, limit: u64) -> Result<Vec<u8>, InputError> {
    let mut buf = Vec::new();
    reader
        .take(limit.saturating_add(1))
        .read_to_end(&mut buf)
        .map_err(|source| InputError::Io {
            path: name.to_owned(),
            source,
        })?;
    if buf.len() as u64 > limit {
        return Err(InputError::TooLarge {
            path: name.to_owned(),
            limit,
        });
    }
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_what_is_not_a_regular_file() {
        let dir = tempfile::tempdir().unwrap();
        let e = read_input(dir.path(), 100).unwrap_err();
        assert_eq!(e.code(), Some(CODE_NOT_REGULAR), "{e}");
        let e = read_input(Path::new("/dev/zero"), 100).unwrap_err();
        assert_eq!(e.code(), Some(CODE_NOT_REGULAR), "{e}");
        let fifo = dir.path().join("fifo");
        let st = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(st.success());
        let e = read_input(&fifo, 100).unwrap_err();
        assert_eq!(e.code(), Some(CODE_NOT_REGULAR), "{e}");
        let e = read_input(&dir.path().join("missing"), 100).unwrap_err();
        assert_eq!(e.code(), None);
    }

    #[test]
    fn reads_up_to_the_limit_and_no_more() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        std::fs::write(&p, b"12345").unwrap();
        assert_eq!(read_input(&p, 5).unwrap(), b"12345");
        let e = read_input(&p, 4).unwrap_err();
        assert_eq!(e.code(), Some(CODE_TOO_LARGE));
        assert!(read_bounded(&b"12345"[..], "-", 4).is_err());
        assert_eq!(read_bounded(&b"1234"[..], "-", 4).unwrap(), b"1234");
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("1G"), Some(1 << 30));
        assert_eq!(parse_size("2 MiB"), Some(2 << 20));
        assert_eq!(parse_size("0"), None);
        assert_eq!(parse_size("-1"), None);
        assert_eq!(parse_size("99999999999999999999G"), None);
    }
}
