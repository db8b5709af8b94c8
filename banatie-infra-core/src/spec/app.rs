//! The `app` service kind: an application built from the source checkout (or a given
//! image), with its build settings, bind mounts and health-check probe.

use std::collections::BTreeMap;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

#[cfg(feature = "schema")]
use schemars::JsonSchema;

use super::{Condition, HealthTiming, PublishedPort, RestartPolicy};
use crate::types::{AbsPath, EnvName, ImageRef, Name, Port, RelPath, UrlPath};

/// A bind mount of a directory under the deployment root into the container.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Mount {
    /// The host directory, relative to the deployment root (for example `logs/api`). Not
    /// the root itself, nor one of the bundle's own files or directories (`secrets.env`,
    /// `.env`, `scripts/`, `caddy/`, ...; BI516).
    pub source: RelPath,
    /// The path in the container; not `/`, nor one of the bundle's own paths under the
    /// deployment root (`<root>/secrets.env`; BI516).
    pub target: AbsPath,
    /// Mount read-only. Default `false`.
    #[serde(default)]
    pub read_only: bool,
}

/// How an app image is built (Compose `build`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Build {
    /// The build context. Default: `stack.source`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<AbsPath>,
    /// The Dockerfile, relative to the context.
    pub dockerfile: RelPath,
    /// The build stage to stop at (`--target`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// Build arguments (Compose `build.args`, `docker build --build-arg`): values for the
    /// Dockerfile's `ARG`s, for example the public settings a framework bakes into its
    /// bundle at build time (Next.js `NEXT_PUBLIC_*`). They are recorded in the image's
    /// history, so never a secret: a value that looks like one is rule BI214. Default:
    /// none.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub args: BTreeMap<EnvName, String>,
}

/// The command an app's health check runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Probe {
    /// Pick from the base image: `node` for `node:*` images, `wget` for Alpine and
    /// BusyBox images, `curl` for images known to ship it. An unknown image is an error.
    #[default]
    Auto,
    /// `node -e "fetch(...)"`: needs Node.js 18 or later in the image.
    Node,
    /// `wget -q --spider`: BusyBox or GNU wget.
    Wget,
    /// `curl -fsS`: only for images that ship curl (not `node:*-alpine`, not MinIO).
    Curl,
}

super::process_kind! {
/// An application service: built from the source checkout, listening on one HTTP port.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct AppService {
    /// How to build the image. Either `build` or `image` is required.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build: Option<Build>,
    /// The image to run (or the tag to give the built image).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<ImageRef>,
    /// The image the final stage is based on (the Dockerfile's last `FROM`); it decides
    /// which binaries a health check may call. Default `node:20-alpine`.
    #[serde(default = "default_app_base")]
    pub base_image: ImageRef,
    /// The non-root UID the process runs as inside the container. Default `1001`.
    #[serde(default = "default_app_uid")]
    pub uid: u32,
    /// The HTTP port the app listens on inside the container. Default `3000`.
    #[serde(default = "default_app_port")]
    pub port: Port,
    /// The path the health check requests; it must answer 2xx. Default `/`.
    #[serde(default = "default_health_path")]
    pub health_path: UrlPath,
    /// The health-check command. Default `auto` (chosen from `base_image`).
    #[serde(default)]
    pub probe: Probe,
    /// The application's log directory, bind-mounted from under the root.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logs: Option<Mount>,
    /// Other bind mounts.
    #[serde(default)]
    pub volumes: Vec<Mount>,
    /// Restart policy. Default `unless-stopped`.
    #[serde(default)]
    pub restart: RestartPolicy,
}
}

fn default_app_base() -> ImageRef {
    "node:20-alpine".parse().expect("valid")
}
fn default_app_uid() -> u32 {
    1001
}
fn default_app_port() -> Port {
    Port::new(3000).expect("valid")
}
fn default_health_path() -> UrlPath {
    "/".parse().expect("valid")
}
