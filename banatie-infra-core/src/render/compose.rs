//! The Compose file, as typed values serialized with serde (never assembled from strings).
//!
//! Every string that Compose would interpolate is escaped (`$` → `$$`, Compose spec
//! "Interpolation"), so nothing in the file depends on the shell or the project `.env`:
//! containers get secrets through `env_file`, each service its own
//! (`secrets/<service>.env`, only the secrets it needs), and shell inside containers sees
//! `$${VAR}`.

use std::collections::BTreeMap;

use indexmap::IndexMap;
use serde::Serialize;

use super::quote::compose_literal as lit;
use super::{label, Layout};
use crate::spec::{
    AppService, GenericService, HealthTiming, JobService, JobTask, MinioService, PostgresService,
    Probe, Service, Spec, WorkerService,
};
use crate::types::{Duration, Name};

/// A Compose file (the subset this renderer writes).
#[derive(Debug, Clone, Serialize)]
pub struct ComposeFile {
    /// The project name.
    pub name: String,
    /// Services by name.
    pub services: IndexMap<String, ComposeService>,
    /// Networks by name.
    pub networks: IndexMap<String, ComposeNetwork>,
}

/// One Compose service.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ComposeService {
    /// The image (or the tag of the built image).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// How to build the image.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub build: Option<ComposeBuild>,
    /// The container name: the service name.
    pub container_name: String,
    /// The restart policy.
    pub restart: String,
    /// Overrides the image's entrypoint (exec form).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entrypoint: Option<Vec<String>>,
    /// Overrides the image's command (exec form).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command: Option<Vec<String>>,
    /// Env files read into the container's environment (not used for interpolation).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub env_file: Vec<String>,
    /// Literal environment values.
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub environment: IndexMap<String, String>,
    /// Bind mounts, short syntax `SOURCE:TARGET[:ro]`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub volumes: Vec<String>,
    /// Published ports, `IP:HOST:CONTAINER`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<String>,
    /// Networks.
    pub networks: Vec<String>,
    /// Dependencies with conditions.
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub depends_on: IndexMap<String, ComposeDependsOn>,
    /// The health check.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub healthcheck: Option<ComposeHealthcheck>,
    /// Labels that mark the container as the stack's.
    pub labels: IndexMap<String, String>,
    /// Docker's init (tini) as PID 1.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub init: bool,
    /// `no-new-privileges:true`, unless the spec turns it off.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub security_opt: Vec<String>,
    /// Memory limit, in Compose's binary units (`512m`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mem_limit: Option<String>,
    /// CPU limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpus: Option<f64>,
    /// Process limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pids_limit: Option<u32>,
    /// Size of `/dev/shm` (PostgreSQL).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shm_size: Option<String>,
    /// Time between SIGTERM and SIGKILL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop_grace_period: Option<String>,
    /// Log driver and rotation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logging: Option<ComposeLogging>,
    /// The user the process runs as (`UID`, `UID:GID` or a name).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// The working directory.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub working_dir: Option<String>,
    /// A read-only root filesystem.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub read_only: bool,
    /// In-memory mounts.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tmpfs: Vec<String>,
    /// Capabilities dropped.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cap_drop: Vec<String>,
    /// Capabilities added.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cap_add: Vec<String>,
}

/// Compose `logging`.
#[derive(Debug, Clone, Serialize)]
pub struct ComposeLogging {
    /// `json-file`, `local` or `journald`.
    pub driver: String,
    /// `max-size` and `max-file` (strings, as Docker's log options are).
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub options: IndexMap<String, String>,
}

/// Compose `build`.
#[derive(Debug, Clone, Serialize)]
pub struct ComposeBuild {
    /// The context directory.
    pub context: String,
    /// The Dockerfile, relative to the context.
    pub dockerfile: String,
    /// The stage to build.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// Build arguments, `$` escaped.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub args: BTreeMap<String, String>,
}

/// Compose `depends_on` long syntax.
#[derive(Debug, Clone, Serialize)]
pub struct ComposeDependsOn {
    /// `service_started`, `service_healthy` or `service_completed_successfully`.
    pub condition: String,
}

/// Compose `healthcheck`: a check (`test` and its timing), or `disable: true` (the
/// spec's `health.none`, which also turns off a `HEALTHCHECK` the image declares).
#[derive(Debug, Clone, Serialize)]
pub struct ComposeHealthcheck {
    /// Turns off any health check, the image's included (Compose spec `disable`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub disable: bool,
    /// `["CMD", ...]` or `["CMD-SHELL", "..."]`; empty when disabled.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub test: Vec<String>,
    /// Time between checks.
    pub interval: String,
    /// Time a check may take.
    pub timeout: String,
    /// Failures before unhealthy.
    pub retries: u32,
    /// Grace period after start.
    pub start_period: String,
    /// Check interval during the start period (Compose 2.20.2+, Engine API 1.44+).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_interval: Option<String>,
}

/// Compose top-level `networks` entry.
#[derive(Debug, Clone, Serialize)]
pub struct ComposeNetwork {
    /// The engine's name for the network.
    pub name: String,
    /// `bridge` for the stack's own networks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub driver: Option<String>,
    /// No route to the outside.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub internal: bool,
    /// Created outside the stack.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub external: bool,
    /// Labels (own networks only).
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub labels: IndexMap<String, String>,
}

impl ComposeHealthcheck {
    /// Whether a check runs (not `disable: true`): only then can the service become
    /// `healthy`.
    pub fn runs(&self) -> bool {
        !self.disable
    }
}

/// The health check of a service of kind `kind` whose own check is `own`: `health.none`
/// disables it, `health.exec` replaces it, else `own` runs (none when `own` is `None`).
fn health_for(
    own: Option<Vec<String>>,
    h: &HealthTiming,
    kind: crate::spec::ServiceKind,
) -> Option<ComposeHealthcheck> {
    if h.none.is_some() {
        return Some(ComposeHealthcheck {
            disable: true,
            ..healthcheck(Vec::new(), h, kind.default_start_period())
        });
    }
    let test = match &h.exec {
        Some(argv) => std::iter::once("CMD".to_owned())
            .chain(argv.iter().cloned())
            .collect(),
        None => own?,
    };
    Some(healthcheck(test, h, kind.default_start_period()))
}

fn healthcheck(test: Vec<String>, h: &HealthTiming, start_period: Duration) -> ComposeHealthcheck {
    ComposeHealthcheck {
        disable: false,
        test: test.iter().map(|s| lit(s)).collect(),
        interval: h.interval().to_string(),
        timeout: h.timeout().to_string(),
        retries: h.retries(),
        start_period: h.start_period.unwrap_or(start_period).to_string(),
        start_interval: h.start_interval.map(|d| d.to_string()),
    }
}

/// The probe an app's health check runs, resolved from `auto` by the base image.
pub(crate) fn app_probe(probe: Probe, base: &crate::types::ImageRef) -> Probe {
    use crate::images::{family, Family};
    match probe {
        Probe::Auto => match family(base) {
            Family::NodeAlpine | Family::NodeSlim | Family::NodeFull => Probe::Node,
            Family::BusyBox | Family::PostgresAlpine => Probe::Wget,
            _ => Probe::Curl,
        },
        p => p,
    }
}

/// The health-check command of an app: a request to `http://127.0.0.1:PORT/PATH` (never
/// `localhost`: BusyBox `wget` tries `::1` first) with a program the image ships.
pub fn app_health_test(
    probe: Probe,
    base: &crate::types::ImageRef,
    port: u16,
    path: &str,
) -> Vec<String> {
    let url = format!("http://127.0.0.1:{port}{path}");
    match app_probe(probe, base) {
        Probe::Node | Probe::Auto => vec![
            "CMD".into(),
            "node".into(),
            "-e".into(),
            format!("fetch('{url}').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"),
        ],
        Probe::Wget => vec![
            "CMD".into(),
            "wget".into(),
            "-q".into(),
            "--spider".into(),
            url,
        ],
        Probe::Curl => vec![
            "CMD".into(),
            "curl".into(),
            "-fsS".into(),
            "-o".into(),
            "/dev/null".into(),
            url,
        ],
    }
}

pub(crate) fn build(spec: &Spec, layout: &Layout) -> ComposeFile {
    let stack = spec.stack.name.as_str();
    let mut services = IndexMap::new();
    for (name, svc) in &spec.services {
        services.insert(name.to_string(), service(spec, layout, name, svc));
    }
    ComposeFile {
        name: stack.to_owned(),
        services,
        networks: networks(spec),
    }
}

/// One service: what every kind has (container name, networks, dependencies, labels,
/// published ports), then its kind's settings, then its own environment (which may
/// override a variable the kind set, in the kind's position).
fn service(spec: &Spec, layout: &Layout, name: &Name, svc: &Service) -> ComposeService {
    let stack = spec.stack.name.as_str();
    let mut c = ComposeService {
        container_name: name.to_string(),
        networks: svc.networks().iter().map(ToString::to_string).collect(),
        ..Default::default()
    };
    for (dep, cond) in svc.depends_on() {
        c.depends_on.insert(
            dep.to_string(),
            ComposeDependsOn {
                condition: cond.compose_name().into(),
            },
        );
    }
    c.labels.insert(label::STACK.into(), lit(stack));
    c.labels.insert(label::SERVICE.into(), lit(name.as_str()));
    c.labels
        .insert(label::KIND.into(), svc.kind().as_str().into());
    for p in svc.publish() {
        c.ports.push(p.compose_short());
    }
    match svc {
        Service::App(app) => app_service(&mut c, spec, app),
        Service::Postgres(pg) => postgres_service(&mut c, layout, name, pg),
        Service::Minio(m) => minio_service(&mut c, spec, name, m),
        Service::Job(job) => job_service(&mut c, spec, layout, name, job),
        Service::Worker(w) => worker_service(&mut c, spec, w),
        Service::Generic(g) => generic_service(&mut c, g),
    }
    // Only this service's secrets, from its own file (least privilege).
    if !crate::environment::service_secrets(spec, name.as_str()).is_empty() {
        c.env_file.push(format!(
            "./{}",
            crate::environment::service_secrets_file(name.as_str())
        ));
    }
    for (k, v) in svc.environment() {
        c.environment.insert(k.to_string(), lit(v));
    }
    runtime(&mut c, svc);
    process(&mut c, svc);
    c
}

/// The process settings of `app`, `worker` and `service` (`spec/process.rs`).
fn process(c: &mut ComposeService, svc: &Service) {
    let Some(p) = svc.process() else {
        return;
    };
    if let Some(e) = p.entrypoint {
        c.entrypoint = Some(e.iter().map(|s| lit(s)).collect());
    }
    if let Some(cmd) = p.command {
        c.command = Some(cmd.iter().map(|s| lit(s)).collect());
    }
    c.user = p.user.map(lit);
    c.working_dir = p.working_dir.map(|d| lit(d.as_str()));
    c.read_only = p.read_only;
    c.tmpfs = p.tmpfs.iter().map(|t| lit(t.as_str())).collect();
    c.cap_drop = p.cap_drop.iter().map(|x| x.as_str().to_owned()).collect();
    c.cap_add = p.cap_add.iter().map(|x| x.as_str().to_owned()).collect();
}

/// The `build` of a service built from the source checkout.
fn compose_build(spec: &Spec, b: &crate::spec::Build) -> ComposeBuild {
    ComposeBuild {
        context: lit(b
            .context
            .as_ref()
            .or(spec.stack.source.as_ref())
            .map_or(".", |p| p.as_str())),
        dockerfile: lit(b.dockerfile.as_str()),
        target: b.target.as_deref().map(lit),
        args: b
            .args
            .iter()
            .map(|(k, v)| (k.to_string(), lit(v)))
            .collect(),
    }
}

/// A worker: its image or build, the project `.env`, its mounts, its `health.exec`.
fn worker_service(c: &mut ComposeService, spec: &Spec, w: &WorkerService) {
    c.image = w.image.as_ref().map(|i| lit(i.as_str()));
    c.build = w.build.as_ref().map(|b| compose_build(spec, b));
    c.restart = w.restart.as_str().into();
    c.env_file = vec![format!("./{}", super::ENV_FILE)];
    for m in &w.volumes {
        c.volumes
            .push(mount(m.source.as_str(), m.target.as_str(), m.read_only));
    }
    c.healthcheck = health_for(None, &w.health, crate::spec::ServiceKind::Worker);
}

/// A generic service: its image, its mounts, and `health.exec`, `health.none` or an HTTP
/// probe of `health_path` with the client its image ships.
fn generic_service(c: &mut ComposeService, g: &GenericService) {
    c.image = Some(lit(g.image.as_str()));
    c.restart = g.restart.as_str().into();
    for m in &g.volumes {
        c.volumes
            .push(mount(m.source.as_str(), m.target.as_str(), m.read_only));
    }
    let http = g
        .port
        .zip(g.health_path.as_ref())
        .map(|(port, path)| app_health_test(Probe::Auto, &g.image, port.get(), path.as_str()));
    c.healthcheck = health_for(http, &g.health, crate::spec::ServiceKind::Generic);
}

/// What every container runs with: its limits, log rotation, `no-new-privileges` and
/// init (the production defaults of [`crate::spec::Logging`] and
/// [`crate::spec::ServiceKind`]).
fn runtime(c: &mut ComposeService, svc: &Service) {
    use crate::spec::compose_bytes;
    c.init = svc.init();
    if svc.no_new_privileges() {
        c.security_opt.push("no-new-privileges:true".into());
    }
    c.mem_limit = Some(compose_bytes(svc.mem_limit()));
    c.cpus = svc.cpus();
    c.pids_limit = svc.pids_limit();
    c.stop_grace_period = svc.stop_grace_period().map(|d| d.to_string());
    let log = svc.logging();
    let mut options = IndexMap::new();
    if log.driver.rotates_itself() {
        options.insert("max-size".into(), compose_bytes(log.max_size));
        options.insert("max-file".into(), log.max_file.to_string());
    }
    c.logging = Some(ComposeLogging {
        driver: log.driver.as_str().into(),
        options,
    });
}

/// An app: its image or build, both env files, `HOSTNAME`, its mounts and its probe.
fn app_service(c: &mut ComposeService, spec: &Spec, app: &AppService) {
    c.image = app.image.as_ref().map(|i| lit(i.as_str()));
    c.build = app.build.as_ref().map(|b| compose_build(spec, b));
    c.restart = app.restart.as_str().into();
    c.env_file = vec![format!("./{}", super::ENV_FILE)];
    // Next.js standalone binds to $HOSTNAME, which Docker sets to the
    // container ID; 0.0.0.0 makes the 127.0.0.1 probe reachable.
    if !app.environment.contains_key("HOSTNAME") {
        c.environment.insert("HOSTNAME".into(), "0.0.0.0".into());
    }
    for m in app.logs.iter().chain(&app.volumes) {
        c.volumes
            .push(mount(m.source.as_str(), m.target.as_str(), m.read_only));
    }
    let probe = app_health_test(
        app.probe,
        &app.base_image,
        app.port.get(),
        app.health_path.as_str(),
    );
    c.healthcheck = health_for(Some(probe), &app.health, crate::spec::ServiceKind::App);
}

/// PostgreSQL: the database and role, the data directory, the init SQL, `pg_isready`.
fn postgres_service(c: &mut ComposeService, layout: &Layout, name: &Name, pg: &PostgresService) {
    c.image = Some(lit(pg.image.as_str()));
    c.restart = pg.restart.as_str().into();
    c.environment
        .insert("POSTGRES_DB".into(), lit(pg.database.as_str()));
    c.environment
        .insert("POSTGRES_USER".into(), lit(pg.user.as_str()));
    c.shm_size = Some(crate::spec::compose_bytes(pg.shm_size));
    c.volumes
        .push(mount(pg.data.as_str(), "/var/lib/postgresql/data", false));
    c.volumes.push(mount(
        &layout.init_sql(name),
        "/docker-entrypoint-initdb.d/01-init.sql",
        true,
    ));
    // -h 127.0.0.1: the entrypoint's temporary init server listens on the
    // socket only, so a TCP probe passes only once the real server is up.
    let own = vec![
        "CMD-SHELL".into(),
        "pg_isready -h 127.0.0.1 -U \"${POSTGRES_USER}\" -d \"${POSTGRES_DB}\"".into(),
    ];
    c.healthcheck = health_for(Some(own), &pg.health, crate::spec::ServiceKind::Postgres);
}

/// MinIO: the server command over its drives, one mount per drive, the public URLs of
/// the sites in front of it, `mc ready local`.
fn minio_service(c: &mut ComposeService, spec: &Spec, name: &Name, m: &MinioService) {
    c.image = Some(lit(m.image.as_str()));
    c.restart = m.restart.as_str().into();
    let cmd = [
        "server".to_string(),
        format!("/data{{1...{}}}", m.drives),
        "--address".into(),
        format!(":{}", m.api_port),
        "--console-address".into(),
        format!(":{}", m.console_port),
    ];
    c.command = Some(cmd.iter().map(|s| lit(s)).collect());
    for i in 1..=m.drives {
        c.volumes.push(mount(
            &format!("{}/drive{i}", m.data),
            &format!("/data{i}"),
            false,
        ));
    }
    if let Some(d) = site_domain(spec, name.as_str(), m.console_port.get()) {
        c.environment
            .insert("MINIO_BROWSER_REDIRECT_URL".into(), format!("https://{d}"));
    }
    // The console signs in through `MINIO_SERVER_URL` with a POST: behind a site that
    // passes read methods only it could never log in (BI415), and MinIO's maintainers
    // advise leaving it unset behind a proxy (minio/object-browser#2166,
    // minio/minio#19941). Set only for an API site that passes writes.
    if let Some(d) = api_site_passing_writes(spec, name.as_str(), m.api_port.get()) {
        c.environment
            .insert("MINIO_SERVER_URL".into(), format!("https://{d}"));
    }
    let own = vec!["CMD".into(), "mc".into(), "ready".into(), "local".into()];
    c.healthcheck = health_for(Some(own), &m.health, crate::spec::ServiceKind::Minio);
}

/// A job: restart `no`, and either the storage init script (mounted), its argv, or (a
/// migration) its argv in the app's image, built as the app's is, as the app's `user` in
/// its `working_dir`, with the app's project env file and environment (its own
/// `environment` after, so it may override). Not the app's mounts, tmpfs or
/// capabilities: a migration writes no app data and may need a writable root.
fn job_service(
    c: &mut ComposeService,
    spec: &Spec,
    layout: &Layout,
    name: &Name,
    job: &JobService,
) {
    let default_image = || lit(crate::spec::DEFAULT_JOB_IMAGE);
    c.image = Some(
        job.image
            .as_ref()
            .map_or_else(default_image, |i| lit(i.as_str())),
    );
    c.restart = "no".into();
    match &job.task {
        JobTask::StorageInit { .. } => {
            c.entrypoint = Some(vec![
                "/bin/sh".into(),
                "-eu".into(),
                format!("{}/init.sh", super::JOB_MOUNT),
            ]);
            c.volumes
                .push(mount(&layout.job_dir(name), super::JOB_MOUNT, true));
        }
        JobTask::Command { argv } => {
            c.entrypoint = Some(argv.iter().map(|s| lit(s)).collect());
        }
        JobTask::Migrate { app, argv } => {
            c.entrypoint = Some(argv.iter().map(|s| lit(s)).collect());
            if let Some(target) = spec.services.get(app) {
                migration_image(c, spec, app, target);
                // Who it runs as and where, as the app: files it writes, relative paths.
                if let Some(p) = target.process() {
                    c.user = p.user.map(lit);
                    c.working_dir = p.working_dir.map(|d| lit(d.as_str()));
                }
                for (k, v) in target.environment() {
                    c.environment.insert(k.to_string(), lit(v));
                }
            }
        }
    }
}

/// A migration's image: its app's `image`, and its `build` when the app builds (the
/// same context and tag, so Compose and `up` build it once, for the app).
fn migration_image(c: &mut ComposeService, spec: &Spec, app: &Name, target: &Service) {
    let (image, build) = match target {
        Service::App(a) => (a.image.as_ref(), a.build.as_ref()),
        Service::Worker(w) => (w.image.as_ref(), w.build.as_ref()),
        other => (other.image(), None),
    };
    c.image = Some(match image {
        Some(i) => lit(i.as_str()),
        // Compose's name of an image it builds without a tag: `<project>-<service>`.
        None => lit(&format!("{}-{app}", spec.stack.name)),
    });
    c.build = build.map(|b| compose_build(spec, b));
    if matches!(target, Service::App(_) | Service::Worker(_)) {
        c.env_file = vec![format!("./{}", super::ENV_FILE)];
    }
}

/// The top-level networks: the stack's own as labelled bridges, external ones as such.
fn networks(spec: &Spec) -> IndexMap<String, ComposeNetwork> {
    let stack = spec.stack.name.as_str();
    let mut networks = IndexMap::new();
    for (name, n) in &spec.networks {
        let mut labels = IndexMap::new();
        if !n.external {
            labels.insert(label::STACK.to_string(), lit(stack));
        }
        networks.insert(
            name.to_string(),
            ComposeNetwork {
                name: name.to_string(),
                driver: (!n.external).then(|| "bridge".into()),
                internal: n.internal,
                external: n.external,
                labels,
            },
        );
    }
    networks
}

fn mount(source: &str, target: &str, read_only: bool) -> String {
    let ro = if read_only { ":ro" } else { "" };
    lit(&format!("./{source}:{target}{ro}"))
}

/// The first domain of the site routing to port `port` of `service` when that site passes
/// methods that write (no `methods` list, or one with a method other than GET, HEAD and
/// OPTIONS).
fn api_site_passing_writes<'a>(spec: &'a Spec, service: &str, port: u16) -> Option<&'a str> {
    let site = site_for(spec, service, port)?;
    site.methods
        .as_ref()
        .is_none_or(|ms| ms.iter().any(|m| !m.is_read_only()))
        .then(|| site.domains.first().map(|d| d.as_str()))
        .flatten()
}

/// The first site that routes to `service:port`.
fn site_for<'a>(spec: &'a Spec, service: &str, port: u16) -> Option<&'a crate::spec::Site> {
    spec.sites.iter().find(|s| {
        s.service.as_str() == service
            && s.port
                .or_else(|| spec.services.get(service).and_then(Service::main_port))
                .map(|p| p.get())
                == Some(port)
    })
}

/// The first domain of the first site that routes to `service:port`.
pub(crate) fn site_domain<'a>(spec: &'a Spec, service: &str, port: u16) -> Option<&'a str> {
    site_for(spec, service, port)
        .and_then(|s| s.domains.first())
        .map(|d| d.as_str())
}
