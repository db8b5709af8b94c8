//! The `job` service kind: a one-shot container that must exit 0, and the tasks it runs.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

#[cfg(feature = "schema")]
use schemars::JsonSchema;

use super::services::service_kind;
use super::{Condition, HealthTiming, PublishedPort};
use crate::types::{EnvName, ImageRef, Name};

service_kind! {
/// A one-shot job: runs to completion with restart "no" and must exit 0.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct JobService {
    /// The image. Default `minio/mc:latest` (the seed's; pin a release).
    #[serde(default = "default_mc_image")]
    pub image: ImageRef,
    /// What the job does.
    pub task: JobTask,
}
}

fn default_mc_image() -> ImageRef {
    "minio/mc:latest".parse().expect("valid")
}

/// What a one-shot job does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum JobTask {
    /// Initialise a MinIO service: bucket, service account and policy, lifecycle rules,
    /// anonymous read on the public prefix. Idempotent; any failure fails the job.
    StorageInit {
        /// The `minio` service to initialise.
        minio: Name,
    },
    /// Run a command (exec form, no shell) that must exit 0.
    Command {
        /// The argv, for example `["/app/migrate", "--yes"]`.
        argv: Vec<String>,
    },
}
