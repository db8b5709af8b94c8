//! The deployment spec: plain serde + schemars types whose defaults equal the seed
//! deployment (`/opt/banatie`, PostgreSQL 15 on Alpine, MinIO on four drives, and so on).
//!
//! Every struct rejects unknown keys. The doc comment of each field is its description in
//! the JSON Schema (`schema/banatie-infra.schema.json`). Load a spec with
//! [`crate::load::load_path`] or [`crate::load::load_str`]; check it with
//! [`crate::validate::validate`].
//!
//! One file per part of the spec, re-exported here: `stack.rs` (the stack, the proxy,
//! networks), `services.rs` (what every service kind shares: the `kind` tag, published
//! ports, `depends_on` conditions, health timing, restart policies), one file per kind
//! (`app.rs`, `postgres.rs`, `storage.rs` for MinIO, `job.rs`), `runtime.rs` (what
//! every container runs with: its secrets, limits, log rotation), `secrets.rs`,
//! `sites.rs` (sites, their headers, CORS, caching and logs, and monitoring endpoints)
//! and `backups.rs`. This file holds [`Spec`] itself.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

#[cfg(feature = "schema")]
use schemars::JsonSchema;

use crate::types::{EnvName, Name};

mod app;
mod backups;
mod job;
mod postgres;
mod process;
mod runtime;
mod secrets;
mod services;
mod sites;
mod stack;
mod storage;

pub use app::{AppService, Build, Mount, Probe};
pub use backups::Backups;
pub use job::{JobService, JobTask, DEFAULT_JOB_IMAGE};
pub use postgres::{postgres_major, stack_sql_name, PostgresService, POSTGRES_PASSWORD};
pub(crate) use process::process_kind;
pub use process::{
    Capability, GenericService, ProcessSettings, ProcessUser, WorkerService, CAPABILITIES,
};
pub use runtime::{compose_bytes, LogDriver, Logging, MIN_MEM_LIMIT};
pub use secrets::{Alphabet, Secret, SecretSource};
pub(crate) use services::{parse_host_ip, TAG_FIRST};
pub use services::{Condition, HealthTiming, PublishedPort, RestartPolicy, Service, ServiceKind};
pub use sites::{
    read_methods, AccessLog, CacheRule, Cors, HeaderPreset, Method, MonitoringEndpoint, Site,
};
pub use stack::{Network, Proxy, Stack, UsernsRemap};
pub use storage::{
    LifecycleRule, MinioService, ServiceAccount, MINIO_ROOT_PASSWORD, MINIO_ROOT_USER,
};

/// A whole deployment: one stack of services on one host behind a shared Caddy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// The stack: its name, deployment root, source checkout and host settings.
    pub stack: Stack,
    /// The shared reverse proxy (Caddy) this stack sits behind.
    #[serde(default)]
    pub proxy: Proxy,
    /// Docker networks, by name. A network with `internal: true` has no route to the
    /// internet; one with `external: true` exists outside the stack (the proxy's network).
    #[serde(default)]
    pub networks: IndexMap<Name, Network>,
    /// The services, by name. The name is also the container name and the DNS name on the
    /// stack's networks.
    pub services: IndexMap<Name, Service>,
    /// Public sites served by the shared Caddy: domains routed to a service's port.
    #[serde(default)]
    pub sites: Vec<Site>,
    /// Public environment for app services, written to `.env` as literal values (single
    /// quoted: no interpolation, no `#` comments). Never put secrets here.
    #[serde(default)]
    pub env: IndexMap<EnvName, String>,
    /// Secrets, by variable name, written to `secrets.env` (mode 0600) by
    /// `banatie-infra secrets`; their values never appear in the spec or in any rendered file.
    #[serde(default)]
    pub secrets: IndexMap<EnvName, Secret>,
    /// Backups of the database and the object storage.
    #[serde(default)]
    pub backups: Backups,
    /// Extra health endpoints for monitoring, besides the ones derived from the sites.
    #[serde(default)]
    pub monitoring: Vec<MonitoringEndpoint>,
}

fn yes() -> bool {
    true
}
