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
    /// The image. Default `minio/mc:latest` (the seed's; pin a release) for
    /// `storage_init` and `command`; a `migrate` job runs its app's image (built or
    /// pulled for the app, the same release) and sets none (BI119).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<ImageRef>,
    /// What the job does.
    pub task: JobTask,
}
}

/// The image of a job that names none: `minio/mc:latest`, the seed's.
pub const DEFAULT_JOB_IMAGE: &str = "minio/mc:latest";

/// A job's argv: at least one word, the first (the program) not blank (BI102 otherwise).
fn argv<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    use serde::de::Error;
    let v = Vec::<String>::deserialize(d)?;
    match v.first() {
        None => Err(D::Error::custom(
            "an empty argv: give the program and its arguments, for example [\"npm\", \"run\", \"db:push\"]",
        )),
        Some(p) if p.trim().is_empty() => Err(D::Error::custom(
            "the argv's first word, the program, is empty",
        )),
        Some(_) => Ok(v),
    }
}

impl JobService {
    /// The app whose migration this job is (`task: migrate`), if it is one.
    pub fn migrates(&self) -> Option<&Name> {
        match &self.task {
            JobTask::Migrate { app, .. } => Some(app),
            _ => None,
        }
    }
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
        /// The argv, for example `["/app/notify", "--yes"]`: at least the program, not
        /// empty.
        #[serde(deserialize_with = "argv")]
        #[cfg_attr(feature = "schema", schemars(length(min = 1)))]
        argv: Vec<String>,
    },
    /// The migration of an app: its argv runs in the app's image (the new release's,
    /// built or pulled for the app) with the app's environment and secrets, after this
    /// job's own dependencies (the database, `service_healthy`) and before the app, which
    /// must depend on it with `service_completed_successfully` (BI119). `up` and `deploy`
    /// run it again whenever its configuration or the app's image changes, and a
    /// non-zero exit stops them before the app is touched: on `deploy` the old release
    /// keeps serving. A rollback runs the older release's migration, it undoes nothing.
    Migrate {
        /// The app (an `app`, `worker` or `service`) whose image and environment it uses.
        app: Name,
        /// The argv (exec form, no shell; a shell is `["sh", "-c", "..."]`), for example
        /// `["npm", "run", "db:push"]`: at least the program, not empty. (An empty argv
        /// would run the app's own start command as the "migration".)
        #[serde(deserialize_with = "argv")]
        #[cfg_attr(feature = "schema", schemars(length(min = 1)))]
        argv: Vec<String>,
    },
}
