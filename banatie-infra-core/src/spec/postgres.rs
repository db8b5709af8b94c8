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
    /// Default: read from the image's tag (`postgres:16.4-alpine` runs 16), and 15 when
    /// the tag names no major (`latest`). A `version` that disagrees with the tag is an
    /// error (BI506).
    #[serde(default = "default_pg_version")]
    #[cfg_attr(feature = "schema", schemars(transform = crate::schema::derived_default))]
    pub version: u32,
    /// The database created at first start (`POSTGRES_DB`). Default: the stack's name
    /// with `_db`, `-` written `_` (stack `banatie` gives `banatie_db`, `my-shop` gives
    /// `my_shop_db`). Not `template0`, which accepts no connections (BI515).
    #[serde(default = "default_pg_db")]
    #[cfg_attr(feature = "schema", schemars(transform = crate::schema::derived_default))]
    pub database: SqlIdent,
    /// The role created at first start and owner of the database (`POSTGRES_USER`).
    /// Default: the stack's name with `_user` (`banatie_user`). Not `pg_*`, `public` or
    /// `none`, which PostgreSQL reserves (BI515).
    #[serde(default = "default_pg_user")]
    #[cfg_attr(feature = "schema", schemars(transform = crate::schema::derived_default))]
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
    /// Size of `/dev/shm` (Compose `shm_size`). Docker's default of 64MiB makes parallel
    /// queries and hash joins fail with "could not resize shared memory segment" once
    /// the data grows (docker-library/postgres #416). It counts against `mem_limit`.
    /// Default `256MiB`.
    #[serde(default = "default_pg_shm")]
    pub shm_size: crate::types::ByteSize,
    /// Restart policy. Default `unless-stopped`.
    #[serde(default)]
    pub restart: RestartPolicy,
}
}

fn default_pg_shm() -> crate::types::ByteSize {
    crate::types::ByteSize::from_bytes(256 << 20)
}
fn default_pg_image() -> ImageRef {
    "postgres:15-alpine".parse().expect("valid")
}
/// The version when neither `version` nor the image's tag says (the loader derives it
/// from the tag, see [`crate::load`]).
fn default_pg_version() -> u32 {
    15
}
/// A stand-in the loader replaces with `<stack>_db` when `database` is not written.
fn default_pg_db() -> SqlIdent {
    "app_db".parse().expect("valid")
}
/// A stand-in the loader replaces with `<stack>_user` when `user` is not written.
fn default_pg_user() -> SqlIdent {
    "app_user".parse().expect("valid")
}

/// The PostgreSQL major an official `postgres` image's tag names (`16.4-alpine` gives 16,
/// `15` gives 15), or `None` for another image or a tag without one (`latest`, `alpine`).
///
/// ```
/// use banatie_infra_core::spec::postgres_major;
/// assert_eq!(postgres_major(&"postgres:16.4-alpine".parse().unwrap()), Some(16));
/// assert_eq!(postgres_major(&"docker.io/library/postgres:18".parse().unwrap()), Some(18));
/// assert_eq!(postgres_major(&"postgres:latest".parse().unwrap()), None);
/// assert_eq!(postgres_major(&"example/db:16".parse().unwrap()), None);
/// ```
pub fn postgres_major(image: &ImageRef) -> Option<u32> {
    use crate::images::{family, Family};
    if !matches!(
        family(image),
        Family::PostgresAlpine | Family::PostgresDebian
    ) {
        return None;
    }
    let digits: String = image
        .tag()?
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// `<stack>_<suffix>` as a PostgreSQL name: `-` written `_`, a leading digit prefixed
/// with `_`, the stack part cut so the whole fits 63 characters (what
/// [`SqlIdent`] accepts).
///
/// ```
/// use banatie_infra_core::spec::stack_sql_name;
/// assert_eq!(stack_sql_name("banatie", "db").as_str(), "banatie_db");
/// assert_eq!(stack_sql_name("my-shop", "user").as_str(), "my_shop_user");
/// assert_eq!(stack_sql_name("9lives", "db").as_str(), "_9lives_db");
/// ```
pub fn stack_sql_name(stack: &str, suffix: &str) -> SqlIdent {
    let mut base: String = stack
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    if base.starts_with(|c: char| c.is_ascii_digit()) || base.is_empty() {
        base.insert(0, '_');
    }
    base.truncate(63 - suffix.len() - 1);
    format!("{base}_{suffix}")
        .parse()
        .expect("a valid PostgreSQL name")
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
