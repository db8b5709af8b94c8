//! The error of backups and restores (of the database and of the storage).

use std::path::PathBuf;

use super::DockerError;

/// Why a backup or restore failed. Nothing was left at a final path.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// The engine failed, or the container is missing.
    #[error(transparent)]
    Docker(#[from] DockerError),
    /// The spec has no service of the needed kind.
    #[error("the spec has no {0} service")]
    NoService(&'static str),
    /// Writing or reading a local file failed (a full disk, an unwritable directory).
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The tool in the container failed: its exit code and what it printed on stderr.
    #[error("{tool} failed (exit code {code}): {stderr}")]
    ToolFailed {
        /// `pg_dump`, `pg_restore`, ...
        tool: &'static str,
        /// The exit code (-1 when the container went away).
        code: i64,
        /// The end of its standard error.
        stderr: String,
    },
    /// The file is not what it should be (bad header, checksum mismatch).
    #[error("{}: {reason}", path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A restore replaces data and was not confirmed.
    #[error("restoring replaces the database `{0}`: confirm with --yes")]
    NotConfirmed(String),
    /// The object storage could not be read.
    #[error("object storage: {0}")]
    Storage(String),
}
