//! What every service kind shares: the [`Service`] enum and its `kind` tag (read first,
//! streaming), [`ServiceKind`], the accessors over the kinds, the macro that appends the
//! common settings to each kind's struct, and those settings' types (published ports,
//! `depends_on` conditions, health-check timing, restart policies).

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

#[cfg(feature = "schema")]
use schemars::JsonSchema;

use super::{AppService, GenericService, JobService, MinioService, PostgresService, WorkerService};
use crate::types::{Duration, EnvName, ImageRef, Name, Port};

/// [`super::job::DEFAULT_JOB_IMAGE`], parsed once.
static DEFAULT_JOB_IMAGE_REF: std::sync::LazyLock<ImageRef> =
    std::sync::LazyLock::new(|| super::job::DEFAULT_JOB_IMAGE.parse().expect("valid"));

/// The struct name under which a tagged enum asks for its tag key first; see
/// [`Service`]'s `Deserialize`; the loader's deserializer ([`crate::load`]) honours it.
pub(crate) const TAG_FIRST: &str = "$banatie_infra::tag_first";

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
    /// A background process: no port, no site.
    Worker(WorkerService),
    /// Any other long-running image.
    #[serde(rename = "service")]
    Generic(GenericService),
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
                    KindTag::Worker => Service::Worker(WorkerService::deserialize(rest)?),
                    KindTag::Service => Service::Generic(GenericService::deserialize(rest)?),
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
    Worker,
    Service,
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
    /// `worker`
    Worker,
    /// `service`
    Generic,
}

impl ServiceKind {
    /// Every kind, in the order the docs list them.
    pub const ALL: [ServiceKind; 6] = [
        Self::App,
        Self::Postgres,
        Self::Minio,
        Self::Job,
        Self::Worker,
        Self::Generic,
    ];

    /// The kind as written in the spec.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::App => "app",
            Self::Postgres => "postgres",
            Self::Minio => "minio",
            Self::Job => "job",
            Self::Worker => "worker",
            Self::Generic => "service",
        }
    }
}

/// `$body` with `$s` bound to the kind's struct, for any variant of [`Service`].
macro_rules! each_kind {
    ($svc:expr, $s:ident => $body:expr) => {
        match $svc {
            Service::App($s) => $body,
            Service::Postgres($s) => $body,
            Service::Minio($s) => $body,
            Service::Job($s) => $body,
            Service::Worker($s) => $body,
            Service::Generic($s) => $body,
        }
    };
}

impl Service {
    /// This service's kind.
    pub fn kind(&self) -> ServiceKind {
        match self {
            Self::App(_) => ServiceKind::App,
            Self::Postgres(_) => ServiceKind::Postgres,
            Self::Minio(_) => ServiceKind::Minio,
            Self::Job(_) => ServiceKind::Job,
            Self::Worker(_) => ServiceKind::Worker,
            Self::Generic(_) => ServiceKind::Generic,
        }
    }

    /// The networks this service is attached to.
    pub fn networks(&self) -> &[Name] {
        each_kind!(self, s => &s.networks)
    }

    /// The services this one waits for, with their conditions.
    pub fn depends_on(&self) -> &IndexMap<Name, Condition> {
        each_kind!(self, s => &s.depends_on)
    }

    /// The service's own extra environment.
    pub fn environment(&self) -> &IndexMap<EnvName, String> {
        each_kind!(self, s => &s.environment)
    }

    /// The host ports it publishes.
    pub fn publish(&self) -> &[PublishedPort] {
        each_kind!(self, s => &s.publish)
    }

    /// Its health check's settings (command, timing).
    pub fn health(&self) -> &HealthTiming {
        each_kind!(self, s => &s.health)
    }

    /// The image it runs, if known before building: `image` (apps and workers may leave
    /// it unset; a migration job runs its app's, unknown here).
    pub fn image(&self) -> Option<&ImageRef> {
        match self {
            Self::App(s) => s.image.as_ref(),
            Self::Worker(s) => s.image.as_ref(),
            Self::Postgres(s) => Some(&s.image),
            Self::Minio(s) => Some(&s.image),
            Self::Job(s) => match (&s.image, &s.task) {
                (Some(i), _) => Some(i),
                (None, super::JobTask::Migrate { .. }) => None,
                (None, _) => Some(&DEFAULT_JOB_IMAGE_REF),
            },
            Self::Generic(s) => Some(&s.image),
        }
    }

    /// Its process settings (`entrypoint`, `command`, `user`, ...), for the kinds that
    /// run the user's program: `app`, `worker` and `service`.
    pub fn process(&self) -> Option<super::ProcessSettings<'_>> {
        match self {
            Self::App(s) => Some(super::process::process_settings!(s)),
            Self::Worker(s) => Some(super::process::process_settings!(s)),
            Self::Generic(s) => Some(super::process::process_settings!(s)),
            _ => None,
        }
    }

    /// How its image is built, for the kinds built from the source checkout.
    pub fn build(&self) -> Option<&super::Build> {
        match self {
            Self::App(s) => s.build.as_ref(),
            Self::Worker(s) => s.build.as_ref(),
            _ => None,
        }
    }

    /// The image that decides which binaries it may call: an app's `base_image`, a
    /// worker's `base_image` (or its `image` when not built), the image of the others.
    pub fn runtime_image(&self) -> Option<&ImageRef> {
        match self {
            Self::App(s) => Some(&s.base_image),
            Self::Worker(s) => s
                .base_image
                .as_ref()
                .or(s.image.as_ref().filter(|_| s.build.is_none())),
            _ => self.image(),
        }
    }

    /// The bind mounts under the deployment root its process writes to, with the UID
    /// that owns them (apps: `logs` and `volumes`; workers and generic services:
    /// `volumes`, owned by `uid` when given).
    pub fn mounts(&self) -> (Vec<&super::Mount>, Option<u32>) {
        match self {
            Self::App(a) => (a.logs.iter().chain(&a.volumes).collect(), Some(a.uid)),
            Self::Worker(w) => (w.volumes.iter().collect(), w.uid),
            Self::Generic(g) => (g.volumes.iter().collect(), g.uid),
            _ => (Vec::new(), None),
        }
    }

    /// The port a site reaches by default: an app's `port`, MinIO's `api_port`, a
    /// generic service's `port`; none for PostgreSQL, jobs and workers.
    pub fn main_port(&self) -> Option<Port> {
        match self {
            Self::App(s) => Some(s.port),
            Self::Minio(s) => Some(s.api_port),
            Self::Generic(s) => s.port,
            Self::Postgres(_) | Self::Job(_) | Self::Worker(_) => None,
        }
    }

    /// The ports it listens on inside the container.
    pub fn ports(&self) -> Vec<Port> {
        match self {
            Self::App(s) => vec![s.port],
            Self::Minio(s) => vec![s.api_port, s.console_port],
            Self::Postgres(_) => vec![Port::new(5432).expect("valid")],
            Self::Generic(s) => s.port.into_iter().collect(),
            Self::Job(_) | Self::Worker(_) => vec![],
        }
    }

    /// Whether this service has a health check: every kind but `job`, unless
    /// `health.none` turns it off. (A worker or generic service that says neither
    /// `health.exec` nor `health.none` is an error, BI332.)
    pub fn has_healthcheck(&self) -> bool {
        !matches!(self, Self::Job(_)) && self.health().none.is_none()
    }

    /// The secrets it names (`secrets`), not counting what its kind needs itself
    /// ([`crate::environment::service_secrets`] has both).
    pub fn secrets(&self) -> &[EnvName] {
        each_kind!(self, s => &s.secrets)
    }

    /// The secrets it names, to change them.
    pub fn secrets_mut(&mut self) -> &mut Vec<EnvName> {
        each_kind!(self, s => &mut s.secrets)
    }

    /// Its memory limit: `mem_limit`, or its kind's default
    /// ([`ServiceKind::default_mem_limit`]).
    pub fn mem_limit(&self) -> crate::types::ByteSize {
        each_kind!(self, s => s.mem_limit).unwrap_or_else(|| self.kind().default_mem_limit())
    }

    /// Its CPU limit, when set.
    pub fn cpus(&self) -> Option<f64> {
        each_kind!(self, s => s.cpus)
    }

    /// Its process limit, when set.
    pub fn pids_limit(&self) -> Option<u32> {
        each_kind!(self, s => s.pids_limit)
    }

    /// Its log rotation.
    pub fn logging(&self) -> super::Logging {
        each_kind!(self, s => s.logging)
    }

    /// Whether it runs an init process as PID 1: `init`, or its kind's default
    /// ([`ServiceKind::default_init`]).
    pub fn init(&self) -> bool {
        each_kind!(self, s => s.init).unwrap_or_else(|| self.kind().default_init())
    }

    /// Whether `no-new-privileges` is set (default true).
    pub fn no_new_privileges(&self) -> bool {
        each_kind!(self, s => s.no_new_privileges)
    }

    /// Its stop grace period, when set.
    pub fn stop_grace_period(&self) -> Option<crate::types::Duration> {
        each_kind!(self, s => s.stop_grace_period)
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
            /// The secrets this service receives, by variable name (names under `secrets`,
            /// or derived ones such as a PostgreSQL service's `url_env`). `banatie-infra
            /// secrets` writes them, from `secrets.env`, to the service's own env file
            /// `secrets/<service>.env` (mode 0600); the service receives no other secret
            /// except what its kind needs itself (PostgreSQL its password, MinIO its root
            /// credentials, a storage-init job the root and service-account credentials).
            #[serde(default)]
            #[cfg_attr(feature = "schema", schemars(example = crate::schema::example_secrets()))]
            pub secrets: Vec<EnvName>,
            /// Memory limit (Compose `mem_limit`), at least 6MiB. Default: 1GiB for
            /// PostgreSQL and MinIO, 512MiB for other kinds.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            #[cfg_attr(feature = "schema", schemars(example = "768MiB"))]
            pub mem_limit: Option<crate::types::ByteSize>,
            /// CPUs the service may use (Compose `cpus`, for example `1.5`). Default: no limit.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub cpus: Option<f64>,
            /// Most processes and threads the container may run (Compose `pids_limit`):
            /// a fork bomb or a thread leak stops there. Default: no limit.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub pids_limit: Option<u32>,
            /// Log rotation. Default `json-file`, 10MiB files, 3 kept.
            #[serde(default)]
            pub logging: super::Logging,
            /// Run Docker's init (tini) as PID 1 (Compose `init`): it forwards signals and
            /// reaps zombies. Default: `true` for apps, `false` for PostgreSQL, MinIO and jobs.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub init: Option<bool>,
            /// Forbid gaining privileges through setuid binaries (Compose `security_opt:
            /// [no-new-privileges:true]`). Default `true`.
            #[serde(default = "super::services::yes")]
            pub no_new_privileges: bool,
            /// Time between SIGTERM and SIGKILL when the container stops (Compose
            /// `stop_grace_period`). Default `10s` (Docker's).
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub stop_grace_period: Option<crate::types::Duration>,
        }
    };
}

pub(crate) use service_kind;

pub(crate) fn yes() -> bool {
    true
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

/// The health check (Compose `healthcheck`): what it runs and its timing. By default the
/// kind's own check runs (an HTTP probe for apps, `pg_isready`, `mc ready local`);
/// `exec` replaces it with a command, `none` turns it off. Unset timing fields take the
/// kind's defaults: interval `30s`, timeout `10s`, retries `3`, and a start period of
/// `60s` for apps and workers and `40s` for the servers (the seed's values).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct HealthTiming {
    /// A command, exec form, that exits 0 when the service is healthy, for example
    /// `["redis-cli", "ping"]` or `["/app/server", "-healthcheck"]`; its program must be
    /// one the image ships (BI301). Replaces the kind's own check.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schema", schemars(example = crate::schema::example_health_exec()))]
    pub exec: Option<Vec<String>>,
    /// No health check, with the reason (for example "a batch consumer with no way to
    /// ask it"). Nothing may then wait for it to be `healthy` (BI115).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub none: Option<String>,
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
    /// Whether the kind's own check runs: neither `exec` nor `none` replaces it.
    pub fn runs_own_check(&self) -> bool {
        self.exec.is_none() && self.none.is_none()
    }

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
    /// The default start period of the kind's health check: 60s for apps and workers,
    /// 40s for PostgreSQL, MinIO and generic services (the seed's values), 0s for jobs
    /// (which have none).
    pub fn default_start_period(self) -> Duration {
        match self {
            Self::App | Self::Worker => Duration::from_secs(60),
            Self::Postgres | Self::Minio | Self::Generic => Duration::from_secs(40),
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
