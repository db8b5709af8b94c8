//! The `postgres` service kind: a dedicated PostgreSQL server, and the secret variable
//! its image reads for the role's password.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

#[cfg(feature = "schema")]
use schemars::JsonSchema;

use super::services::service_kind;
use super::{Condition, HealthTiming, PublishedPort, RestartPolicy};
use crate::types::{EnvName, ImageRef, Name, RelPath, SqlIdent};

/// The secret variable the PostgreSQL image reads for the role's password.
pub const POSTGRES_PASSWORD: &str = "POSTGRES_PASSWORD";

service_kind! {
/// A dedicated PostgreSQL server (the official image's environment and entrypoint).
///
/// The role's password is the secret [`POSTGRES_PASSWORD`], the variable the image reads,
/// declared under `secrets`. One PostgreSQL service per stack: every container reads the
/// same `secrets.env`, so two servers would read the same variable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct PostgresService {
    /// The image. Default `postgres:15-alpine`.
    #[serde(default = "default_pg_image")]
    pub image: ImageRef,
    /// The major version the image runs; decides which init fixes apply (15 and later
    /// no longer let every role CREATE in schema `public`: PostgreSQL 15 release notes).
    /// Default `15`.
    #[serde(default = "default_pg_version")]
    pub version: u32,
    /// The database created at first start (`POSTGRES_DB`). Default `banatie_db`. Not
    /// `template0`, which accepts no connections (BI515).
    #[serde(default = "default_pg_db")]
    pub database: SqlIdent,
    /// The role created at first start and owner of the database (`POSTGRES_USER`).
    /// Default `banatie_user`. Not `pg_*`, `public` or `none`, which PostgreSQL reserves
    /// (BI515).
    #[serde(default = "default_pg_user")]
    pub user: SqlIdent,
    /// The variable that receives the derived connection URL (written to `secrets.env`,
    /// password percent-encoded). Default `DATABASE_URL`.
    #[serde(default = "default_pg_url")]
    pub url_env: EnvName,
    /// The data directory under the root. Default `data/postgres`.
    #[serde(default = "default_pg_data")]
    pub data: RelPath,
    /// The UID of the server process inside the container: `70` on Alpine images, `999`
    /// on Debian ones. Default `70`.
    #[serde(default = "default_pg_uid")]
    pub uid: u32,
    /// Restart policy. Default `unless-stopped`.
    #[serde(default)]
    pub restart: RestartPolicy,
}
}

fn default_pg_image() -> ImageRef {
    "postgres:15-alpine".parse().expect("valid")
}
fn default_pg_version() -> u32 {
    15
}
fn default_pg_db() -> SqlIdent {
    "banatie_db".parse().expect("valid")
}
fn default_pg_user() -> SqlIdent {
    "banatie_user".parse().expect("valid")
}
fn default_pg_url() -> EnvName {
    "DATABASE_URL".parse().expect("valid")
}
fn default_pg_data() -> RelPath {
    "data/postgres".parse().expect("valid")
}
fn default_pg_uid() -> u32 {
    70
}
