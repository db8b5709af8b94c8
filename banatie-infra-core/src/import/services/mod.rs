//! The services, one module per kind: what every kind shares (networks, dependencies,
//! environment, published ports, health timing, restart policy) is read here, the rest
//! in [`postgres`], [`minio`], [`job`], [`app`] and [`custom`] (workers and generic
//! services).
//!
//! The kind of a service the tool does not know by its image: the one its
//! `io.banatie-infra.kind` label names (a bundle this tool rendered); else an `app` when
//! a site routes to it, or its health check requests a URL and it is built or its image
//! is one whose probe clients are known; else a `worker` when it is built from source;
//! else a generic `service` (a cache, a search engine, any image).

mod app;
mod custom;
mod job;
mod minio;
mod postgres;
mod process;
mod runtime;

use std::collections::HashSet;

use indexmap::IndexMap;

use super::{facts, holds_secret, name_of, supplied, Ctx, NoteKind};
use crate::images::{self, Family};
use crate::spec::{Condition, HealthTiming, RestartPolicy, Service, ServiceKind};
use crate::types::{AbsPath, Duration, EnvName, ImageRef, Name, Port};

/// What every service's stage may read: the deployment and the facts computed once for
/// all services.
struct Known<'a> {
    d: &'a facts::Deployment,
    project: &'a facts::Project,
    /// Each one-shot job, with the services its script initialises.
    storage_jobs: Vec<(String, Vec<String>)>,
    /// The ports the sites route to, by service.
    site_ports: IndexMap<String, Vec<u16>>,
    /// `stack.source`.
    source: Option<&'a AbsPath>,
}

impl Known<'_> {
    /// The value of a variable known anywhere in the deployment.
    fn value(&self, name: &str) -> Option<String> {
        facts::any_value(self.d, name).map(|v| v.0)
    }
}

/// The parts every kind has, read the same way.
struct Common {
    /// `services.NAME`, where notes are placed.
    at: String,
    networks: Vec<Name>,
    depends_on: IndexMap<Name, Condition>,
    environment: IndexMap<EnvName, String>,
    publish: Vec<crate::spec::PublishedPort>,
    health: HealthTiming,
    /// The image written in the Compose file.
    image: Option<ImageRef>,
    /// The family of the image (or of its build's base).
    family: Family,
    /// The MinIO server's arguments, when the service is one.
    minio_argv: Option<Vec<String>>,
    /// The container's environment, resolved.
    container_env: IndexMap<String, (String, String)>,
    /// Limits, log rotation, init, `no-new-privileges`.
    runtime: runtime::Runtime,
}

/// The services of the Compose file by kind; `derived` collects the variables the spec
/// derives (dropped from `env` and `secrets`).
pub(super) fn read(
    d: &facts::Deployment,
    project: &facts::Project,
    source: Option<&AbsPath>,
    derived: &mut HashSet<String>,
    c: &mut Ctx,
) -> IndexMap<Name, Service> {
    // Which service each site routes to, for ports.
    let mut site_ports: IndexMap<String, Vec<u16>> = IndexMap::new();
    for (_, site) in &d.sites {
        for p in &site.proxies {
            for u in &p.upstreams {
                if let Some((h, port)) = u.rsplit_once(':') {
                    if let (Some(s), Ok(port)) = (project.service(h), port.parse::<u16>()) {
                        site_ports.entry(s.name.clone()).or_default().push(port);
                    }
                }
            }
        }
    }
    let storage_jobs: Vec<(String, Vec<String>)> = project
        .services
        .iter()
        .filter(|s| facts::is_job(d, s))
        .map(|s| (s.name.clone(), facts::init_targets(d, project, s)))
        .collect();
    let k = Known {
        d,
        project,
        storage_jobs,
        site_ports,
        source,
    };
    let mut services: IndexMap<Name, Service> = IndexMap::new();
    for s in &project.services {
        let Some(name) = name_of(&s.name) else {
            c.note(
                NoteKind::NotMapped,
                format!("services.{}", s.name),
                "not a valid service name",
            );
            continue;
        };
        if let Some(svc) = service(&k, s, derived, c) {
            services.insert(name, svc);
        }
    }
    services
}

/// One service: the shared parts, then its kind's. `None` when it cannot be mapped.
fn service(
    k: &Known,
    s: &facts::Svc,
    derived: &mut HashSet<String>,
    c: &mut Ctx,
) -> Option<Service> {
    let at = format!("services.{}", s.name);
    if s.container_name.as_deref().is_some_and(|n| n != s.name) {
        c.note(
            NoteKind::NotMapped,
            format!("{at}.container_name"),
            "the spec names containers after their service",
        );
    }
    let mut nets: Vec<Name> = s.networks.iter().filter_map(|(n, _)| name_of(n)).collect();
    if s.networks.is_empty() {
        c.note(
            NoteKind::NotMapped,
            format!("{at}.networks"),
            "on Compose's default network; the spec lists networks explicitly",
        );
        nets.clear();
    }
    let job = facts::is_job(k.d, s);
    let depends = depends_on(k, s, job, &at, c);
    let container_env = k.d.container_env(s);
    let fam = family(k.d, s);
    let minio_argv = facts::minio_argv(k.d, s);
    let kind = if matches!(fam, Family::PostgresAlpine | Family::PostgresDebian) {
        ServiceKind::Postgres
    } else if minio_argv.is_some() {
        ServiceKind::Minio
    } else if job {
        ServiceKind::Job
    } else if let Some(labelled) = labelled_kind(k.d, s) {
        labelled
    } else if k.site_ports.contains_key(&s.name)
        || (http_probe(s) && (s.build.is_some() || fam != Family::Unknown))
    {
        ServiceKind::App
    } else if s.build.is_some() {
        ServiceKind::Worker
    } else {
        ServiceKind::Generic
    };
    let environment = environment(s, kind, &at, derived, c);
    let image: Option<ImageRef> = s.image.as_ref().and_then(|(i, _)| i.parse().ok());
    let h = health(s, kind, c);
    let publish = s
        .ports
        .iter()
        .filter_map(|p| {
            Some(crate::spec::PublishedPort {
                host: Port::new(p.host.as_deref()?.parse().ok()?).ok()?,
                container: Port::new(p.container.parse().ok()?).ok()?,
                host_ip: p.host_ip.clone().unwrap_or_else(|| "127.0.0.1".into()),
            })
        })
        .collect::<Vec<_>>();
    if publish.len() != s.ports.len() {
        c.note(
            NoteKind::NotMapped,
            format!("{at}.ports"),
            "a port without a fixed host port, or a range",
        );
    }
    let runtime = runtime::read(k.d, s, kind, &at, c);
    let common = Common {
        runtime,
        at,
        networks: nets,
        depends_on: depends,
        environment,
        publish,
        health: h,
        image,
        family: fam,
        minio_argv,
        container_env,
    };
    Some(match kind {
        ServiceKind::Postgres => postgres::service(k, s, common, derived, c)?,
        ServiceKind::Minio => minio::service(k, s, common, derived, c),
        ServiceKind::Job => job::service(k, s, common, c),
        ServiceKind::App => app::service(k, s, common, c),
        ServiceKind::Worker => custom::worker(k, s, common, c),
        ServiceKind::Generic => custom::generic(k, s, common, c),
    })
}

/// The kind a bundle rendered by this tool names in the label `io.banatie-infra.kind`,
/// for the kinds run from the user's program (`app`, `worker`, `service`).
fn labelled_kind(d: &facts::Deployment, s: &facts::Svc) -> Option<ServiceKind> {
    let labels = facts::lookup(facts::raw_service(d, &s.name)?, "labels")?;
    let key = crate::render::label::KIND;
    let value = labels.get(key).and_then(|v| v.text()).or_else(|| {
        labels.items().iter().find_map(|i| {
            let t = i.text()?;
            Some(t.strip_prefix(key)?.strip_prefix('=')?.to_owned())
        })
    })?;
    match value.as_str() {
        "app" => Some(ServiceKind::App),
        "worker" => Some(ServiceKind::Worker),
        "service" => Some(ServiceKind::Generic),
        _ => None,
    }
}

/// Whether the service's health check requests an HTTP URL (an app's probe).
fn http_probe(s: &facts::Svc) -> bool {
    s.healthcheck
        .as_ref()
        .and_then(|hc| facts::probe_url(&facts::probe_programs(&hc.test).1))
        .is_some()
}

/// The service's dependencies with their conditions: a job waits for a server to be
/// healthy (BI310), a service that uses the storage waits for its init job (BI311).
fn depends_on(
    k: &Known,
    s: &facts::Svc,
    job: bool,
    at: &str,
    c: &mut Ctx,
) -> IndexMap<Name, Condition> {
    let mut depends: IndexMap<Name, Condition> = IndexMap::new();
    for dep in &s.depends_on {
        let Some(dn) = name_of(&dep.name) else {
            continue;
        };
        let cond = match dep.condition.as_deref() {
            Some("service_healthy") => Condition::Healthy,
            Some("service_completed_successfully") => Condition::Completed,
            _ => {
                let target = k.project.service(&dep.name);
                if job && target.is_some_and(|t| !facts::is_job(k.d, t)) {
                    c.note(NoteKind::Changed, format!("{at}.depends_on.{}", dep.name), "the one-shot job waits for the server to be healthy, not only started (BI310)");
                    Condition::Healthy
                } else {
                    Condition::Started
                }
            }
        };
        depends.insert(dn, cond);
    }
    // A service that uses the storage waits for its init job.
    if !job {
        for (j, targets) in &k.storage_jobs {
            if s.depends_on.iter().any(|x| targets.contains(&x.name)) {
                if let Some(jn) = name_of(j) {
                    if depends.get(&jn) != Some(&Condition::Completed) {
                        c.note(
                            NoteKind::Changed,
                            format!("{at}.depends_on"),
                            format!(
                                "waits for the init job `{j}` to complete successfully (BI311)"
                            ),
                        );
                        depends.insert(jn, Condition::Completed);
                    }
                }
            }
        }
    }
    depends
}

/// The literal environment values that are not secrets and not fixed by the kind; a
/// secret is moved to secrets.env (and declared under `secrets`).
fn environment(
    s: &facts::Svc,
    kind: ServiceKind,
    at: &str,
    derived: &HashSet<String>,
    c: &mut Ctx,
) -> IndexMap<EnvName, String> {
    let mut environment: IndexMap<EnvName, String> = IndexMap::new();
    // Environment literal values that are not secrets and not fixed by the kind.
    let fixed: &[&str] = match kind {
        ServiceKind::Postgres => &["POSTGRES_DB", "POSTGRES_USER", "POSTGRES_PASSWORD"],
        ServiceKind::Minio => &[
            "MINIO_ROOT_USER",
            "MINIO_ROOT_PASSWORD",
            "MINIO_BROWSER_REDIRECT_URL",
            "MINIO_SERVER_URL",
        ],
        _ => &[],
    };
    for e in &s.environment {
        let raw = e
            .raw
            .clone()
            .or_else(|| e.value.clone())
            .unwrap_or_default();
        let secret = crate::validate::looks_secret(&e.name) || holds_secret(&raw);
        if fixed.contains(&e.name.as_str()) {
            // The kind's own secret (POSTGRES_PASSWORD, ...): its value goes to
            // secrets.env, where the spec's service reads it.
            if let (true, Some(v)) = (secret, &e.value) {
                if !raw.contains('$') {
                    c.keep_secret(&e.name, v);
                    c.note(
                        NoteKind::Changed,
                        format!("{at}.environment.{}", e.name),
                        "a secret written in the Compose file: moved to secrets.env (mode 0600)",
                    );
                }
            }
            continue;
        }
        let ok_name = e.name.parse::<EnvName>();
        if secret && !raw.contains("${") && !raw.starts_with('$') {
            if let (Ok(n), Some(v)) = (&ok_name, &e.value) {
                if !derived.contains(&e.name) {
                    c.env_secrets.entry(n.clone()).or_insert_with(supplied);
                }
                c.keep_secret(&e.name, v);
                c.note(
                NoteKind::Changed,
                format!("{at}.environment.{}", e.name),
                "holds a secret (by its name or a password in it): moved to secrets.env (mode 0600) and declared under `secrets` (supplied)",
            );
                continue;
            }
        }
        if secret || raw.contains('$') {
            c.note(
                NoteKind::NotMapped,
                format!("{at}.environment.{}", e.name),
                "a secret or an interpolated value: services get secrets from secrets.env",
            );
            continue;
        }
        match (ok_name, &e.value) {
            (Ok(n), Some(v)) => {
                environment.insert(n, v.clone());
            }
            _ => c.note(
                NoteKind::NotMapped,
                format!("{at}.environment.{}", e.name),
                "no value, or not a variable name",
            ),
        }
    }
    environment
}

fn family(d: &facts::Deployment, s: &facts::Svc) -> Family {
    d.images
        .get(&s.name)
        .map_or(Family::Unknown, images::family)
}

/// Health timing from a Compose health check; values equal to the kind's defaults are
/// left unset.
fn health(s: &facts::Svc, kind: ServiceKind, c: &mut Ctx) -> HealthTiming {
    let mut h = HealthTiming::default();
    let Some(hc) = &s.healthcheck else { return h };
    for (k, v, _) in &hc.timing {
        let at = format!("services.{}.healthcheck.{k}", s.name);
        if k == "retries" {
            match v.parse::<u32>() {
                Ok(n) if n != HealthTiming::DEFAULT_RETRIES => h.retries = Some(n),
                Ok(_) => {}
                Err(_) => c.note(NoteKind::NotMapped, at, format!("`{v}` is not a number")),
            }
            continue;
        }
        let Ok(dur) = v.parse::<Duration>() else {
            c.note(NoteKind::NotMapped, at, format!("`{v}` is not a duration"));
            continue;
        };
        match k.as_str() {
            "interval" if dur != HealthTiming::DEFAULT_INTERVAL => h.interval = Some(dur),
            "timeout" if dur != HealthTiming::DEFAULT_TIMEOUT => h.timeout = Some(dur),
            "start_period" if dur != kind.default_start_period() => h.start_period = Some(dur),
            "start_interval" => h.start_interval = Some(dur),
            _ => {}
        }
    }
    h
}

fn restart(s: &facts::Svc, c: &mut Ctx) -> RestartPolicy {
    match s.restart.as_deref() {
        None | Some("unless-stopped") => RestartPolicy::UnlessStopped,
        Some("always") => RestartPolicy::Always,
        Some("on-failure") => RestartPolicy::OnFailure,
        Some(other) => {
            c.note(
                NoteKind::Changed,
                format!("services.{}.restart", s.name),
                format!("`{other}` for a long-running service: `unless-stopped`"),
            );
            RestartPolicy::UnlessStopped
        }
    }
}

/// Each service's `secrets`: the secret variables of `spec` its container reads (from its
/// env files or its `environment`), less what its kind receives anyway
/// ([`crate::environment::service_secrets`]). Run once `spec` has its secrets.
pub(super) fn assign_secrets(
    d: &facts::Deployment,
    project: &facts::Project,
    spec: &mut crate::spec::Spec,
) {
    let vars: Vec<EnvName> = crate::environment::secret_vars(spec)
        .into_iter()
        .map(|v| v.name)
        .collect();
    for s in &project.services {
        let Some(name) = name_of(&s.name) else {
            continue;
        };
        let implied = crate::environment::service_secrets(spec, name.as_str());
        let env = d.container_env(s);
        let names: Vec<EnvName> = vars
            .iter()
            .filter(|v| env.contains_key(v.as_str()) && !implied.contains(v))
            .cloned()
            .collect();
        if let Some(svc) = spec.services.get_mut(&name) {
            *svc.secrets_mut() = names;
        }
    }
}
