//! Backups (`backups`): where they go, how many are kept, and what is backed up.

use serde::{Deserialize, Serialize};

#[cfg(feature = "schema")]
use schemars::JsonSchema;

use super::yes;
use crate::types::RelPath;

/// Backups. The database is dumped with `pg_dump` in custom format; the object storage is
/// copied through its S3 API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Backups {
    /// The backup directory under the root. Default `backups`.
    #[serde(default = "default_backup_dir")]
    pub dir: RelPath,
    /// How many backups of each kind to keep. Default `7`.
    #[serde(default = "default_keep")]
    pub keep: u32,
    /// Back up the PostgreSQL database. Default `true`.
    #[serde(default = "yes")]
    pub database: bool,
    /// Back up the object storage bucket. Default `true`.
    #[serde(default = "yes")]
    pub storage: bool,
}

impl Default for Backups {
    fn default() -> Self {
        Self {
            dir: default_backup_dir(),
            keep: default_keep(),
            database: true,
            storage: true,
        }
    }
}

fn default_backup_dir() -> RelPath {
    "backups".parse().expect("valid")
}
fn default_keep() -> u32 {
    7
}
