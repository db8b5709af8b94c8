//! The deployment spec: plain serde + schemars types whose defaults equal the seed
//! deployment (`/opt/banatie`, PostgreSQL 15 on Alpine, MinIO on four drives, and so on).
//!
//! Every struct rejects unknown keys. The doc comment of each field is its description in
//! the JSON Schema (`schema/banatie-infra.schema.json`). Load a spec with
//! [`crate::load::load_path`] or [`crate::load::load_str`]; check it with
//! [`crate::validate::validate`].

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use crate::header::{HeaderName, HeaderValue};
use crate::types::{
    AbsPath, BucketName, ByteSize, Domain, Duration, EnvName, ImageRef, Name, Port, RelPath,
    SqlIdent, UrlPath,
};

#[cfg(feature = "schema")]
use schemars::JsonSchema;

/// The struct name under which a tagged enum asks for its tag key first; see
/// [`Service`]'s `Deserialize`; the loader's deserializer ([`crate::load`]) honours it.
pub(crate) const TAG_FIRST: &str = "$banatie_infra::tag_first";

/// The secret variable the PostgreSQL image reads for the role's password.
pub const POSTGRES_PASSWORD: &str = "POSTGRES_PASSWORD";
/// The secret variable the MinIO image reads for the root password.
pub const MINIO_ROOT_PASSWORD: &str = "MINIO_ROOT_PASSWORD";
/// The variable the MinIO image reads for the root user (derived from `root_user`).
pub const MINIO_ROOT_USER: &str = "MINIO_ROOT_USER";

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

/// The stack's identity and host settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Stack {
    /// The Compose project name; also the prefix of labels on containers.
    pub name: Name,
    /// The deployment root on the host, where every rendered file goes. Default: `/opt/<name>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root: Option<AbsPath>,
    /// The source checkout that app images are built from (their default build context).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<AbsPath>,
    /// Docker's user-namespace remapping (`"userns-remap"` in `/etc/docker/daemon.json`).
    #[serde(default)]
    pub userns_remap: UsernsRemap,
    /// Allow `publish` entries (host ports) on services. Default `false`: all public access
    /// goes through the proxy.
    #[serde(default)]
    pub allow_published_ports: bool,
}

impl Stack {
    /// The deployment root: `root` if set, else `/opt/<name>`.
    pub fn root(&self) -> AbsPath {
        self.root.clone().unwrap_or_else(|| {
            format!("/opt/{}", self.name)
                .parse()
                .expect("a valid name makes a valid path")
        })
    }
}

/// User-namespace remapping of the Docker daemon: container UID `u` is host UID `base + u`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct UsernsRemap {
    /// Whether the daemon remaps user namespaces. Default `true` (the seed VPS does).
    #[serde(default = "yes")]
    pub enabled: bool,
    /// The first subordinate UID of the `dockremap` user in `/etc/subuid`. Default `165536`.
    #[serde(default = "default_userns_base")]
    pub base: u32,
}

impl Default for UsernsRemap {
    fn default() -> Self {
        Self {
            enabled: true,
            base: default_userns_base(),
        }
    }
}

impl UsernsRemap {
    /// The host UID that container UID `uid` maps to: `base + uid` when enabled, else `uid`.
    ///
    /// ```
    /// use banatie_infra_core::spec::UsernsRemap;
    /// assert_eq!(UsernsRemap::default().host_uid(70), 165_606);
    /// ```
    pub fn host_uid(&self, uid: u32) -> u32 {
        if self.enabled {
            self.base.saturating_add(uid)
        } else {
            uid
        }
    }
}

fn yes() -> bool {
    true
}
fn default_userns_base() -> u32 {
    165_536
}

/// The shared Caddy reverse proxy that serves the stack's sites.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Proxy {
    /// The external network Caddy and the public services share. Default `proxy-network`.
    #[serde(default = "default_proxy_network")]
    pub network: Name,
    /// Where Caddy writes the stack's access logs (bind-mounted into Caddy at the same
    /// path). Default `<root>/logs`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_dir: Option<AbsPath>,
}

impl Default for Proxy {
    fn default() -> Self {
        Self {
            network: default_proxy_network(),
            log_dir: None,
        }
    }
}

fn default_proxy_network() -> Name {
    "proxy-network".parse().expect("valid")
}

/// A Docker network.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Network {
    /// No route to the outside (`internal: true` in Compose). Default `false`.
    #[serde(default)]
    pub internal: bool,
    /// Created outside the stack (for example the proxy's network); never created or
    /// removed by this tool. Default `false`.
    #[serde(default)]
    pub external: bool,
}

/// A service, by kind. The `kind` key selects the variant and, in YAML, comes first.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Service {
    /// A long-running application built from the source checkout (or a given image).
    App(AppService),
    /// A dedicated PostgreSQL server.
    Postgres(PostgresService),
    /// A MinIO object storage server in single-node multi-drive mode.
    Minio(MinioService),
    /// A one-shot job: restart "no", must exit 0.
    Job(JobService),
}

impl<'de> Deserialize<'de> for Service {
    /// Reads the `kind` key first, then the rest of the mapping as that kind's struct,
    /// streaming (no buffering), so every error inside keeps its position. The loader of
    /// this crate hands `kind` first wherever it was written; other deserializers must
    /// put it first.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Service;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a service mapping with a `kind` key")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Service, A::Error> {
                use serde::de::value::MapAccessDeserializer;
                use serde::de::Error;
                match map.next_key::<String>()?.as_deref() {
                    Some("kind") => {}
                    _ => return Err(A::Error::missing_field("kind")),
                }
                let kind: KindTag = map.next_value()?;
                let rest = MapAccessDeserializer::new(map);
                Ok(match kind {
                    KindTag::App => Service::App(AppService::deserialize(rest)?),
                    KindTag::Postgres => Service::Postgres(PostgresService::deserialize(rest)?),
                    KindTag::Minio => Service::Minio(MinioService::deserialize(rest)?),
                    KindTag::Job => Service::Job(JobService::deserialize(rest)?),
                })
            }
        }
        d.deserialize_struct(TAG_FIRST, &["kind"], V)
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum KindTag {
    App,
    Postgres,
    Minio,
    Job,
}

/// The kinds of [`Service`], as written in the `kind` key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ServiceKind {
    /// `app`
    App,
    /// `postgres`
    Postgres,
    /// `minio`
    Minio,
    /// `job`
    Job,
}

impl ServiceKind {
    /// Every kind, in the order the docs list them.
    pub const ALL: [ServiceKind; 4] = [Self::App, Self::Postgres, Self::Minio, Self::Job];

    /// The kind as written in the spec.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::App => "app",
            Self::Postgres => "postgres",
            Self::Minio => "minio",
            Self::Job => "job",
        }
    }
}

impl Service {
    /// This service's kind.
    pub fn kind(&self) -> ServiceKind {
        match self {
            Self::App(_) => ServiceKind::App,
            Self::Postgres(_) => ServiceKind::Postgres,
            Self::Minio(_) => ServiceKind::Minio,
            Self::Job(_) => ServiceKind::Job,
        }
    }

    /// The networks this service is attached to.
    pub fn networks(&self) -> &[Name] {
        match self {
            Self::App(s) => &s.networks,
            Self::Postgres(s) => &s.networks,
            Self::Minio(s) => &s.networks,
            Self::Job(s) => &s.networks,
        }
    }

    /// The services this one waits for, with their conditions.
    pub fn depends_on(&self) -> &IndexMap<Name, Condition> {
        match self {
            Self::App(s) => &s.depends_on,
            Self::Postgres(s) => &s.depends_on,
            Self::Minio(s) => &s.depends_on,
            Self::Job(s) => &s.depends_on,
        }
    }

    /// The service's own extra environment.
    pub fn environment(&self) -> &IndexMap<EnvName, String> {
        match self {
            Self::App(s) => &s.environment,
            Self::Postgres(s) => &s.environment,
            Self::Minio(s) => &s.environment,
            Self::Job(s) => &s.environment,
        }
    }

    /// The host ports it publishes.
    pub fn publish(&self) -> &[PublishedPort] {
        match self {
            Self::App(s) => &s.publish,
            Self::Postgres(s) => &s.publish,
            Self::Minio(s) => &s.publish,
            Self::Job(s) => &s.publish,
        }
    }

    /// Its health-check timing overrides.
    pub fn health(&self) -> &HealthTiming {
        match self {
            Self::App(s) => &s.health,
            Self::Postgres(s) => &s.health,
            Self::Minio(s) => &s.health,
            Self::Job(s) => &s.health,
        }
    }

    /// The image it runs, if known before building: `image` (apps may leave it unset).
    pub fn image(&self) -> Option<&ImageRef> {
        match self {
            Self::App(s) => s.image.as_ref(),
            Self::Postgres(s) => Some(&s.image),
            Self::Minio(s) => Some(&s.image),
            Self::Job(s) => Some(&s.image),
        }
    }

    /// The port a site reaches by default: an app's `port`, MinIO's `api_port`, none for
    /// PostgreSQL and jobs.
    pub fn main_port(&self) -> Option<Port> {
        match self {
            Self::App(s) => Some(s.port),
            Self::Minio(s) => Some(s.api_port),
            Self::Postgres(_) | Self::Job(_) => None,
        }
    }

    /// The ports it listens on inside the container.
    pub fn ports(&self) -> Vec<Port> {
        match self {
            Self::App(s) => vec![s.port],
            Self::Minio(s) => vec![s.api_port, s.console_port],
            Self::Postgres(_) => vec![Port::new(5432).expect("valid")],
            Self::Job(_) => vec![],
        }
    }

    /// Whether this service has a health check (every kind but `job`).
    pub fn has_healthcheck(&self) -> bool {
        !matches!(self, Self::Job(_))
    }
}

/// Appends the settings every service kind has to a kind's struct, so that each kind is
/// one flat mapping in the spec (serde's `flatten` would lose positions and cannot reject
/// unknown keys).
macro_rules! service_kind {
    ($(#[$m:meta])* pub struct $name:ident { $($(#[$fm:meta])* pub $f:ident : $t:ty,)* }) => {
        $(#[$m])*
        pub struct $name {
            $($(#[$fm])* pub $f: $t,)*
            /// Networks this service is attached to (names from `networks`).
            #[serde(default)]
            pub networks: Vec<Name>,
            /// Services that must reach a condition before this one starts.
            #[serde(default)]
            pub depends_on: IndexMap<Name, Condition>,
            /// Extra environment for this service only, literal values (no interpolation).
            #[serde(default)]
            pub environment: IndexMap<EnvName, String>,
            /// Host ports to publish. Refused unless `stack.allow_published_ports` is true,
            /// and always refused for PostgreSQL.
            #[serde(default)]
            pub publish: Vec<PublishedPort>,
            /// Health-check timing overrides.
            #[serde(default)]
            pub health: HealthTiming,
        }
    };
}

/// A host port published by a service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct PublishedPort {
    /// The port on the host.
    pub host: Port,
    /// The port in the container.
    pub container: Port,
    /// The host address to bind. Default `127.0.0.1` (loopback only).
    #[serde(default = "loopback")]
    pub host_ip: String,
}

fn loopback() -> String {
    "127.0.0.1".into()
}

/// A published port's host address as an IP address: IPv4, or IPv6 with or without
/// brackets (`[::1]`, `::1`); `None` for anything else (`localhost`, `1`).
pub(crate) fn parse_host_ip(ip: &str) -> Option<std::net::IpAddr> {
    let ip = ip
        .strip_prefix('[')
        .and_then(|s| s.strip_suffix(']'))
        .unwrap_or(ip);
    ip.parse().ok()
}

impl PublishedPort {
    /// The host address as an IP address (an IPv6 address with or without brackets), or
    /// `None` when `host_ip` is not one (validation reports it, BI203: Compose refuses
    /// the file with "Invalid ip address").
    pub fn host_addr(&self) -> Option<std::net::IpAddr> {
        parse_host_ip(&self.host_ip)
    }

    /// The Compose short syntax `HOST_IP:HOST:CONTAINER`, an IPv6 address in brackets
    /// (`[::1]:8080:80`; Compose reads `::1:8080:80` as "too many colons").
    pub fn compose_short(&self) -> String {
        match self.host_addr() {
            Some(std::net::IpAddr::V6(a)) => format!("[{a}]:{}:{}", self.host, self.container),
            Some(a) => format!("{a}:{}:{}", self.host, self.container),
            None => format!("{}:{}:{}", self.host_ip, self.host, self.container),
        }
    }
}

/// A `depends_on` condition (Compose spec, `depends_on` long syntax).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Condition {
    /// `service_started`: the dependency's container has started.
    Started,
    /// `service_healthy`: the dependency's health check passes. It must have one.
    Healthy,
    /// `service_completed_successfully`: the dependency ran to completion with exit 0.
    /// It must be a `job`.
    Completed,
}

impl Condition {
    /// The Compose spelling: `service_started`, `service_healthy`,
    /// `service_completed_successfully`.
    pub fn compose_name(self) -> &'static str {
        match self {
            Self::Started => "service_started",
            Self::Healthy => "service_healthy",
            Self::Completed => "service_completed_successfully",
        }
    }
}

/// Health-check timing (Compose `healthcheck` fields). Unset fields take the defaults of
/// the service kind: interval `30s`, timeout `10s`, retries `3`, and a start period of
/// `60s` for apps and `40s` for PostgreSQL and MinIO (the seed's values).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct HealthTiming {
    /// Time between checks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval: Option<Duration>,
    /// Time one check may take before it counts as failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<Duration>,
    /// Consecutive failures before the container is unhealthy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retries: Option<u32>,
    /// Grace period after start during which failures do not count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_period: Option<Duration>,
    /// Time between checks during the start period. Needs Docker Engine API 1.44
    /// (Docker 25) and Compose 2.20.2; older engines ignore or reject it. Not emitted unless set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_interval: Option<Duration>,
}

impl HealthTiming {
    /// The default interval between checks: 30s (the seed's).
    pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(30);
    /// The default timeout of one check: 10s (the seed's).
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
    /// The default number of retries: 3 (the seed's).
    pub const DEFAULT_RETRIES: u32 = 3;

    /// `interval`, or 30s.
    pub fn interval(&self) -> Duration {
        self.interval.unwrap_or(Self::DEFAULT_INTERVAL)
    }

    /// `timeout`, or 10s.
    pub fn timeout(&self) -> Duration {
        self.timeout.unwrap_or(Self::DEFAULT_TIMEOUT)
    }

    /// `retries`, or 3.
    pub fn retries(&self) -> u32 {
        self.retries.unwrap_or(Self::DEFAULT_RETRIES)
    }
}

impl ServiceKind {
    /// The default start period of the kind's health check: 60s for apps, 40s for
    /// PostgreSQL and MinIO (the seed's values), 0s for jobs (which have none).
    pub fn default_start_period(self) -> Duration {
        match self {
            Self::App => Duration::from_secs(60),
            Self::Postgres | Self::Minio => Duration::from_secs(40),
            Self::Job => Duration::from_secs(0),
        }
    }
}

/// A restart policy (Compose `restart`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub enum RestartPolicy {
    /// Restart unless stopped by the operator (the default for long-running services).
    #[default]
    UnlessStopped,
    /// Always restart.
    Always,
    /// Restart when the process exits non-zero.
    OnFailure,
}

impl RestartPolicy {
    /// The Compose spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::UnlessStopped => "unless-stopped",
            Self::Always => "always",
            Self::OnFailure => "on-failure",
        }
    }
}

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

service_kind! {
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

/// What a secret's value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum SecretSource {
    /// Generated from the OS random source by `banatie-infra secrets`.
    #[default]
    Generated,
    /// Supplied by the operator (an API key from a provider); never invented.
    Supplied,
}

/// The characters a generated secret is drawn from. Every alphabet is safe unquoted in an
/// env file, in a shell word and in a URL's userinfo.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Alphabet {
    /// `A-Z a-z 0-9` (62 symbols, 5.95 bits each). The default.
    #[default]
    Alphanumeric,
    /// `0-9 a-f` (4 bits each).
    Hex,
    /// `A-Z a-z 0-9 - _` (RFC 4648 base64url symbols, 6 bits each).
    UrlSafe,
}

/// A secret variable.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Secret {
    /// Where the value comes from. Default `generated`.
    #[serde(default)]
    pub source: SecretSource,
    /// Length of a generated value, in characters, 16 to 4096. Default `32`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub length: Option<u32>,
    /// Alphabet of a generated value. Default `alphanumeric`.
    #[serde(default)]
    pub alphabet: Alphabet,
    /// What the secret is for; shown in `secrets.env.example` and when it is missing.
    /// One line of text: no line breaks or other control characters (BI209).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl Secret {
    /// The length of a generated value: `length` or 32.
    pub fn length(&self) -> u32 {
        self.length.unwrap_or(32)
    }
}

/// A public site: domains that Caddy routes to one service port.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Site {
    /// The domains of the site block; the first is the canonical one.
    pub domains: Vec<Domain>,
    /// The service this site proxies to.
    pub service: Name,
    /// The service port. Default: the service's main port (an app's `port`, MinIO's
    /// `api_port`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<Port>,
    /// A preset of security headers. Default `none`.
    #[serde(default)]
    pub security_headers: HeaderPreset,
    /// More response headers, set after the preset's and the CORS ones (which they may
    /// override): names are RFC 9110 tokens, each set once in any case (BI407), values
    /// have no control characters and no `{` or `}` (Caddy placeholders).
    #[serde(default)]
    pub headers: IndexMap<HeaderName, HeaderValue>,
    /// Cross-origin access for browsers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cors: Option<Cors>,
    /// `Cache-Control` by path.
    #[serde(default)]
    pub cache: Vec<CacheRule>,
    /// The HTTP methods passed upstream; others get 405. Default: all. A site in front of
    /// an S3 API must list only read methods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub methods: Option<Vec<Method>>,
    /// The JSON access log.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_log: Option<AccessLog>,
    /// The path monitoring requests on this site; it must answer 200. Default: the
    /// service's health path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_path: Option<UrlPath>,
}

/// Security-header presets, from the seed's site blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum HeaderPreset {
    /// No security headers.
    #[default]
    None,
    /// A public web page: HSTS with `includeSubDomains; preload`, `nosniff`, frames
    /// denied, `X-XSS-Protection`, `Referrer-Policy: strict-origin-when-cross-origin`.
    Web,
    /// An API: HSTS with `includeSubDomains`, `nosniff`, frames denied, `X-XSS-Protection`.
    Api,
    /// An admin console: HSTS, `nosniff`, frames from the same origin only.
    Console,
}

/// CORS response headers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Cors {
    /// Allowed origin: `*` or one origin. Default `*`.
    #[serde(default = "star")]
    pub origin: String,
    /// Allowed methods. Default `GET, HEAD, OPTIONS`.
    #[serde(default = "read_methods")]
    pub methods: Vec<Method>,
    /// Allowed request headers (header names, or `*`).
    #[serde(default)]
    pub allow_headers: Vec<HeaderName>,
    /// Response headers exposed to scripts (header names, or `*`).
    #[serde(default)]
    pub expose_headers: Vec<HeaderName>,
}

fn star() -> String {
    "*".into()
}

/// The read-only methods: `GET`, `HEAD`, `OPTIONS`.
pub fn read_methods() -> Vec<Method> {
    vec![Method::Get, Method::Head, Method::Options]
}

/// An HTTP method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[serde(rename_all = "UPPERCASE")]
#[allow(missing_docs)]
pub enum Method {
    Get,
    Head,
    Options,
    Post,
    Put,
    Patch,
    Delete,
}

impl Method {
    /// The method as sent on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Head => "HEAD",
            Self::Options => "OPTIONS",
            Self::Post => "POST",
            Self::Put => "PUT",
            Self::Patch => "PATCH",
            Self::Delete => "DELETE",
        }
    }

    /// Whether the method cannot change state (`GET`, `HEAD`, `OPTIONS`).
    pub fn is_read_only(self) -> bool {
        matches!(self, Self::Get | Self::Head | Self::Options)
    }
}

/// A `Cache-Control` header for responses under a path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct CacheRule {
    /// The path matcher, for example `/banatie/*`.
    pub path: UrlPath,
    /// The header value, for example `public, max-age=31536000, immutable`.
    pub cache_control: HeaderValue,
}

/// A rolled JSON access log written by Caddy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct AccessLog {
    /// The file name in the proxy's log directory, for example `api-access.log`.
    pub file: RelPath,
    /// Size at which the file is rolled. Default `10MiB`.
    #[serde(default = "default_roll_size")]
    pub roll_size: ByteSize,
    /// Rolled files kept. Default `5`.
    #[serde(default = "default_roll_keep")]
    pub roll_keep: u32,
}

fn default_roll_size() -> ByteSize {
    "10MiB".parse().expect("valid")
}
fn default_roll_keep() -> u32 {
    5
}

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

/// An HTTPS endpoint monitoring requests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct MonitoringEndpoint {
    /// The URL, for example `https://api.banatie.app/health`.
    pub url: String,
    /// The expected HTTP status. Default `200`.
    #[serde(default = "default_status")]
    pub expect: u16,
}

fn default_status() -> u16 {
    200
}
