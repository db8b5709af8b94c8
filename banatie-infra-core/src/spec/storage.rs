//! The `minio` service kind: object storage (MinIO in single-node multi-drive mode), its
//! bucket's service account and lifecycle rules, and the variables its image reads for
//! the root user.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

#[cfg(feature = "schema")]
use schemars::JsonSchema;

use super::services::service_kind;
use super::{Condition, HealthTiming, PublishedPort, RestartPolicy};
use crate::types::{BucketName, EnvName, ImageRef, Name, Port, RelPath};

/// The secret variable the MinIO image reads for the root password.
pub const MINIO_ROOT_PASSWORD: &str = "MINIO_ROOT_PASSWORD";
/// The variable the MinIO image reads for the root user (derived from `root_user`).
pub const MINIO_ROOT_USER: &str = "MINIO_ROOT_USER";

service_kind! {
/// A MinIO server in single-node multi-drive (SNMD) mode: one erasure set over `drives`
/// directories.
///
/// The root password is the secret [`MINIO_ROOT_PASSWORD`], the variable the image reads,
/// declared under `secrets`; one MinIO service per stack.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct MinioService {
    /// The image. Default `quay.io/minio/minio:latest` (the seed's; pin a release).
    #[serde(default = "default_minio_image")]
    pub image: ImageRef,
    /// Number of drives in the erasure set, 2 to 16 (MinIO erasure coding). Default `4`.
    #[serde(default = "default_drives")]
    pub drives: u32,
    /// The directory under the root that holds `drive1` .. `driveN`. Default `data/minio`.
    #[serde(default = "default_minio_data")]
    pub data: RelPath,
    /// The S3 API port. Default `9000`.
    #[serde(default = "default_s3_port")]
    pub api_port: Port,
    /// The web console port. Default `9001`.
    #[serde(default = "default_console_port")]
    pub console_port: Port,
    /// The UID of the server process inside the container. Default `1000`.
    #[serde(default = "default_minio_uid")]
    pub uid: u32,
    /// The root user name (`MINIO_ROOT_USER`). Default `banatie_admin`. At least 3
    /// characters, no `=`, `,`, `/`, whitespace or control characters, no leading `-` (BI514).
    #[serde(default = "default_root_user")]
    pub root_user: String,
    /// The application's bucket. Default `banatie`.
    #[serde(default = "default_bucket")]
    pub bucket: BucketName,
    /// The service account the application uses.
    #[serde(default)]
    pub service_account: ServiceAccount,
    /// Lifecycle rules of the bucket. Default: objects under `temp/` expire after 7 days.
    #[serde(default = "default_lifecycle")]
    pub lifecycle: Vec<LifecycleRule>,
    /// A key prefix readers may GET anonymously (`mc anonymous set download`), for
    /// example `public/`. Default: none (nothing is public). A literal object key prefix:
    /// no `*`, `?` or `$`, which the bucket policy would read as wildcards (BI513).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_read_prefix: Option<String>,
    /// Restart policy. Default `unless-stopped`.
    #[serde(default)]
    pub restart: RestartPolicy,
}
}

fn default_minio_image() -> ImageRef {
    "quay.io/minio/minio:latest".parse().expect("valid")
}
fn default_drives() -> u32 {
    4
}
fn default_minio_data() -> RelPath {
    "data/minio".parse().expect("valid")
}
fn default_s3_port() -> Port {
    Port::new(9000).expect("valid")
}
fn default_console_port() -> Port {
    Port::new(9001).expect("valid")
}
fn default_minio_uid() -> u32 {
    1000
}
fn default_root_user() -> String {
    "banatie_admin".into()
}
fn default_bucket() -> BucketName {
    "banatie".parse().expect("valid")
}
fn default_lifecycle() -> Vec<LifecycleRule> {
    vec![LifecycleRule {
        id: "temp-cleanup".into(),
        prefix: "temp/".into(),
        expire_days: 7,
        whole_bucket: false,
    }]
}

/// The MinIO service account the application uses (an access key with a policy).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ServiceAccount {
    /// The access key (user name). Default `banatie_service`. The same rule as
    /// `root_user` (BI514).
    #[serde(default = "default_access_key")]
    pub access_key: String,
    /// The variable that receives the access key in `secrets.env`. Default `MINIO_ACCESS_KEY`.
    #[serde(default = "default_access_key_env")]
    pub access_key_env: EnvName,
    /// The secret holding the secret key. Default `MINIO_SECRET_KEY`.
    #[serde(default = "default_secret_key")]
    pub secret_key_secret: EnvName,
    /// The built-in policy attached to it (`mc admin policy attach`). Default `readwrite`.
    /// One policy name: no `,`, whitespace or leading `-` (BI514).
    #[serde(default = "default_policy")]
    pub policy: String,
}

impl Default for ServiceAccount {
    fn default() -> Self {
        Self {
            access_key: default_access_key(),
            access_key_env: default_access_key_env(),
            secret_key_secret: default_secret_key(),
            policy: default_policy(),
        }
    }
}

fn default_access_key() -> String {
    "banatie_service".into()
}
fn default_access_key_env() -> EnvName {
    "MINIO_ACCESS_KEY".parse().expect("valid")
}
fn default_secret_key() -> EnvName {
    "MINIO_SECRET_KEY".parse().expect("valid")
}
fn default_policy() -> String {
    "readwrite".into()
}

/// A bucket lifecycle rule that expires objects under a prefix (S3 lifecycle
/// configuration, `Expiration.Days`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct LifecycleRule {
    /// The rule's ID, unique in the bucket: 1 to 255 bytes of one-line text (S3
    /// lifecycle `Rule.ID`; BI513).
    pub id: String,
    /// The key prefix the rule applies to, for example `temp/`. An empty prefix matches
    /// every object in the bucket and is refused unless `whole_bucket` is true. At most
    /// 1024 bytes of one-line text, no leading `/`, `//` or `.`/`..` component (BI513).
    pub prefix: String,
    /// Days after creation when objects expire; at least 1.
    pub expire_days: u32,
    /// Confirms that an empty prefix is meant (expire the whole bucket). Default `false`.
    #[serde(default)]
    pub whole_bucket: bool,
}
