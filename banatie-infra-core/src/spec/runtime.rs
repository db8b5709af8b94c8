//! What every container runs with besides its kind's settings: the secrets it receives,
//! its memory, CPU and process limits, its log rotation, and the production defaults
//! (`no-new-privileges`, an init process) the rendered Compose file carries unless the
//! spec turns them off.
//!
//! Facts behind the defaults: Docker's default `json-file` log driver keeps every line
//! unless `max-size` is set (docker/docs #3924, moby/moby #40207); without a memory limit
//! the kernel's OOM killer picks its victim host-wide; a process without `no-new-privileges`
//! may gain privileges through setuid binaries (Docker's `security_opt` reference); Node.js
//! and most language runtimes as PID 1 neither forward signals nor reap zombies, which
//! `init: true` (Docker's tini) does.

use serde::{Deserialize, Serialize};

#[cfg(feature = "schema")]
use schemars::JsonSchema;

use super::ServiceKind;
use crate::types::ByteSize;

/// A container's log driver (Compose `logging.driver`). Only drivers that keep the
/// host's disk bounded are offered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub enum LogDriver {
    /// Docker's default driver, rotated by `max_size` and `max_file` (`docker logs` reads it).
    #[default]
    JsonFile,
    /// Docker's `local` driver: compressed, rotated by `max_size` and `max_file`.
    Local,
    /// The host's journal (journald rotates it); `max_size` and `max_file` do not apply.
    Journald,
}

impl LogDriver {
    /// The Docker spelling: `json-file`, `local`, `journald`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::JsonFile => "json-file",
            Self::Local => "local",
            Self::Journald => "journald",
        }
    }

    /// Whether the driver takes `max-size` and `max-file` options.
    pub fn rotates_itself(self) -> bool {
        matches!(self, Self::JsonFile | Self::Local)
    }
}

/// Log rotation of a container (Compose `logging`). Default: `json-file`, files of
/// 10MiB, 3 kept (30MiB per container at most).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Logging {
    /// The log driver. Default `json-file`.
    #[serde(default)]
    pub driver: LogDriver,
    /// Size of one log file before it rotates (`max-size`). Default `10MiB`.
    #[serde(default = "default_max_size")]
    #[cfg_attr(feature = "schema", schemars(example = "50MiB"))]
    pub max_size: ByteSize,
    /// Rotated files kept (`max-file`), at least 1. Default `3`.
    #[serde(default = "default_max_file")]
    pub max_file: u32,
}

impl Default for Logging {
    fn default() -> Self {
        Self {
            driver: LogDriver::default(),
            max_size: default_max_size(),
            max_file: default_max_file(),
        }
    }
}

fn default_max_size() -> ByteSize {
    "10MiB".parse().expect("valid")
}
fn default_max_file() -> u32 {
    3
}

impl ServiceKind {
    /// The memory limit a service of this kind gets when the spec sets none: 1GiB for
    /// PostgreSQL and MinIO (shared buffers, page cache of the erasure set), 512MiB for
    /// everything else.
    pub fn default_mem_limit(self) -> ByteSize {
        match self {
            Self::Postgres | Self::Minio => ByteSize::from_bytes(1 << 30),
            _ => ByteSize::from_bytes(512 << 20),
        }
    }

    /// Whether a service of this kind runs an init process as PID 1 unless the spec says:
    /// yes for apps and workers (Node.js, Python and most runtimes as PID 1 neither
    /// forward SIGTERM to children nor reap zombies), no for PostgreSQL and MinIO (their
    /// servers handle signals), generic services (their image decides) and jobs.
    pub fn default_init(self) -> bool {
        matches!(self, Self::App | Self::Worker)
    }
}

/// Docker's smallest memory limit: 6MiB ("Minimum memory limit allowed is 6MB", the
/// daemon's `verifyPlatformContainerResources`).
pub const MIN_MEM_LIMIT: u64 = 6 << 20;

/// A byte size as Compose and Docker's `units.RAMInBytes` read it (binary units):
/// `1g`, `512m`, `64k` or a plain number of bytes.
///
/// ```
/// use banatie_infra_core::spec::compose_bytes;
/// assert_eq!(compose_bytes("512MiB".parse().unwrap()), "512m");
/// assert_eq!(compose_bytes("1GiB".parse().unwrap()), "1g");
/// assert_eq!(compose_bytes("1000B".parse().unwrap()), "1000b");
/// ```
pub fn compose_bytes(size: ByteSize) -> String {
    let b = size.bytes();
    for (unit, factor) in [("g", 1u64 << 30), ("m", 1 << 20), ("k", 1 << 10)] {
        if b != 0 && b % factor == 0 {
            return format!("{}{unit}", b / factor);
        }
    }
    format!("{b}b")
}
