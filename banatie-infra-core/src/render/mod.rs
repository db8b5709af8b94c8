//! Rendering: the spec becomes every file of the deployment, as a [`Bundle`].
//!
//! [`render`] is a pure function: the same spec gives the same bytes, and nothing is read
//! or written. Structured files (the Compose file, the lifecycle JSON, the directory plan)
//! are serialized from typed values; text formats with no serde model (Caddyfile, SQL,
//! shell, env files) go through minijinja templates (strict undefined) whose values pass
//! through a quoting filter for the target language ([`quote`]).
//!
//! Files of a bundle, relative to the deployment root:
//!
//! | path | what |
//! | --- | --- |
//! | `docker-compose.yml` | the stack |
//! | `.env` | public variables (mode 0644) |
//! | `secrets.env.example` | every secret's name and how it is produced, no values |
//! | `scripts/init-db.sql` | PostgreSQL init: the user owns the database and schema `public` |
//! | `scripts/<job>/init.sh`, `scripts/<job>/lifecycle.json` | the storage init job |
//! | `scripts/prepare-host.sh` | creates the directory plan with its owners (run as root) |
//! | `caddy/Caddyfile` | the site blocks for the shared Caddy |
//! | `caddy/volumes.yml` | the volume line the Caddy service needs for the access logs |
//! | `directories.json` | the directory plan: path, owner under userns-remap, mode |
//! | `monitoring.json` | the health endpoints to watch |
//!
//! `secrets.env` itself is never rendered: `banatie-infra secrets` creates it.

pub mod caddy;
pub mod compose;
pub mod quote;
mod text;

use indexmap::IndexMap;
use serde::Serialize;

use crate::diagnostic::{has_errors, Diagnostic};
use crate::spec::{JobTask, Service, Spec};
use crate::types::Name;

/// The public env file's name; Compose also reads it for interpolation (harmless: the
/// rendered Compose file interpolates nothing).
pub const ENV_FILE: &str = ".env";
/// The secrets env file's name (mode 0600, created by `banatie-infra secrets`).
pub const SECRETS_FILE: &str = "secrets.env";
/// The secrets example file's name.
pub const SECRETS_EXAMPLE: &str = "secrets.env.example";
/// The Compose file's name.
pub const COMPOSE_FILE: &str = "docker-compose.yml";
/// The Caddyfile's path.
pub const CADDYFILE: &str = "caddy/Caddyfile";
/// The Caddy volume snippet's path.
pub const CADDY_VOLUMES: &str = "caddy/volumes.yml";
/// The directory plan's path.
pub const DIRECTORIES: &str = "directories.json";
/// The host preparation script's path.
pub const PREPARE_HOST: &str = "scripts/prepare-host.sh";
/// The monitoring endpoints' path.
pub const MONITORING: &str = "monitoring.json";
/// Where a storage init job's directory is mounted in its container.
pub const JOB_MOUNT: &str = "/init";

/// Labels the renderer puts on every container and on the stack's own networks; `status`,
/// `drift` and `down` find the stack's objects by them.
pub mod label {
    /// The stack (Compose project) name.
    pub const STACK: &str = "io.banatie-infra.stack";
    /// The service name in the spec.
    pub const SERVICE: &str = "io.banatie-infra.service";
    /// The service kind (`app`, `postgres`, `minio`, `job`).
    pub const KIND: &str = "io.banatie-infra.kind";
}

/// One rendered file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct File {
    /// The path relative to the deployment root, `/`-separated.
    pub path: String,
    /// The bytes.
    pub contents: Vec<u8>,
    /// The Unix permission bits the file gets at creation (for example `0o644`).
    pub mode: u32,
}

/// Every file of a deployment, in a fixed order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Bundle {
    /// The files.
    pub files: Vec<File>,
}

impl Bundle {
    /// The file at `path`, if rendered.
    pub fn get(&self, path: &str) -> Option<&File> {
        self.files.iter().find(|f| f.path == path)
    }

    /// The file at `path` as UTF-8 text, if rendered.
    pub fn text(&self, path: &str) -> Option<&str> {
        self.get(path)
            .and_then(|f| std::str::from_utf8(&f.contents).ok())
    }

    fn push(&mut self, path: impl Into<String>, contents: impl Into<Vec<u8>>, mode: u32) {
        self.files.push(File {
            path: path.into(),
            contents: contents.into(),
            mode,
        });
    }
}

/// Why a spec could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// The spec has validation errors (all diagnostics are included, warnings too).
    #[error("the spec has {} error(s); run `banatie-infra validate`", .0.iter().filter(|d| d.is_error()).count())]
    Invalid(Vec<Diagnostic>),
    /// A template failed (a bug of this crate: please report it).
    #[error("template {name}: {message}")]
    Template {
        /// The template.
        name: String,
        /// minijinja's message.
        message: String,
    },
}

/// Where things go under the deployment root.
pub(crate) struct Layout {
    postgres_count: usize,
}

impl Layout {
    /// The layout of `spec`'s deployment root.
    #[cfg(feature = "docker")]
    pub(crate) fn for_spec(spec: &Spec) -> Self {
        Self::new(spec)
    }

    fn new(spec: &Spec) -> Self {
        Self {
            postgres_count: spec
                .services
                .values()
                .filter(|s| matches!(s, Service::Postgres(_)))
                .count(),
        }
    }

    /// `scripts/init-db.sql`, or `scripts/init-db-<service>.sql` with several databases.
    pub(crate) fn init_sql(&self, service: &Name) -> String {
        if self.postgres_count <= 1 {
            "scripts/init-db.sql".into()
        } else {
            format!("scripts/init-db-{service}.sql")
        }
    }

    /// `scripts/<job>`.
    pub(crate) fn job_dir(&self, job: &Name) -> String {
        format!("scripts/{job}")
    }
}

/// One directory of the plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlannedDir {
    /// The absolute path on the host.
    pub path: String,
    /// The owner's UID on the host (the container UID plus the userns-remap base).
    pub uid: u32,
    /// The owner's GID on the host.
    pub gid: u32,
    /// The UID inside the container that writes here, if a container does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub container_uid: Option<u32>,
    /// Permission bits.
    pub mode: u32,
    /// The services that mount it.
    pub services: Vec<String>,
    /// What it holds.
    pub purpose: String,
}

/// The directory plan: every directory the stack needs on the host, with the owner each
/// gets under userns-remap (container UID + `base`; host root for the operator's own
/// directories). Sorted by path; parents come before children.
pub fn directory_plan(spec: &Spec) -> Vec<PlannedDir> {
    let root = spec.stack.root();
    let remap = &spec.stack.userns_remap;
    let mut dirs: IndexMap<String, PlannedDir> = IndexMap::new();
    let mut add =
        |rel: &str, container_uid: Option<u32>, mode: u32, service: Option<&str>, purpose: &str| {
            // Parents first, owned by the host's root.
            let mut parent = String::new();
            let parts: Vec<&str> = rel.split('/').collect();
            for p in &parts[..parts.len() - 1] {
                if !parent.is_empty() {
                    parent.push('/');
                }
                parent.push_str(p);
                dirs.entry(parent.clone()).or_insert_with(|| PlannedDir {
                    path: format!("{root}/{parent}"),
                    uid: 0,
                    gid: 0,
                    container_uid: None,
                    mode: 0o755,
                    services: vec![],
                    purpose: "parent directory".into(),
                });
            }
            let host = container_uid.map_or(0, |u| remap.host_uid(u));
            let e = dirs.entry(rel.to_owned()).or_insert_with(|| PlannedDir {
                path: format!("{root}/{rel}"),
                uid: host,
                gid: host,
                container_uid,
                mode,
                services: vec![],
                purpose: purpose.into(),
            });
            e.uid = host;
            e.gid = host;
            e.container_uid = container_uid;
            e.mode = mode;
            e.purpose = purpose.into();
            if let Some(s) = service {
                e.services.push(s.into());
            }
        };
    add(
        "scripts",
        None,
        0o755,
        None,
        "rendered init scripts (read-only mounts)",
    );
    // Caddy runs as root in its container: under userns-remap that is the base UID.
    let log_dir_under_root = spec
        .proxy
        .log_dir
        .as_ref()
        .map_or(Some("logs".to_string()), |d| {
            d.as_str()
                .strip_prefix(&format!("{root}/"))
                .map(ToOwned::to_owned)
        });
    if let Some(rel) = &log_dir_under_root {
        if spec.sites.iter().any(|s| s.access_log.is_some()) {
            add(
                rel,
                Some(0),
                0o755,
                None,
                "Caddy access logs (written by the shared Caddy)",
            );
        }
    }
    for (name, svc) in &spec.services {
        match svc {
            Service::App(_) | Service::Worker(_) | Service::Generic(_) => {
                let (mounts, uid) = svc.mounts();
                for m in mounts {
                    add(
                        m.source.as_str(),
                        uid,
                        0o750,
                        Some(name.as_str()),
                        "application data",
                    );
                }
            }
            Service::Postgres(p) => add(
                p.data.as_str(),
                Some(p.uid),
                0o700,
                Some(name.as_str()),
                "PostgreSQL data directory",
            ),
            Service::Minio(m) => {
                for i in 1..=m.drives {
                    add(
                        &format!("{}/drive{i}", m.data),
                        Some(m.uid),
                        0o750,
                        Some(name.as_str()),
                        &format!("MinIO drive {i} of {}", m.drives),
                    );
                }
            }
            Service::Job(_) => {}
        }
    }
    add(
        spec.backups.dir.as_str(),
        None,
        0o700,
        None,
        "backups (written by banatie-infra as the operator)",
    );
    let mut out: Vec<PlannedDir> = dirs.into_values().collect();
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

/// An endpoint to watch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Endpoint {
    /// The URL.
    pub url: String,
    /// The expected HTTP status.
    pub expect: u16,
}

/// The health endpoints of the deployment: for each site, `https://<first domain><path>`
/// where the path is the site's `health_path`, else the service's (an app's
/// `health_path`, `/minio/health/live` for MinIO's S3 API, `/` for its console); then the
/// spec's `monitoring` entries.
pub fn monitoring_endpoints(spec: &Spec) -> Vec<Endpoint> {
    let mut out = Vec::new();
    for site in &spec.sites {
        let Some(domain) = site.domains.first() else {
            continue;
        };
        let path = site
            .health_path
            .as_ref()
            .map(|p| p.as_str().to_owned())
            .or_else(|| match spec.services.get(&site.service)? {
                Service::App(a) => Some(a.health_path.as_str().to_owned()),
                Service::Generic(g) => g.health_path.as_ref().map(|p| p.as_str().to_owned()),
                Service::Minio(m) => {
                    let port = site.port.unwrap_or(m.api_port);
                    Some(if port == m.api_port {
                        "/minio/health/live".into()
                    } else {
                        "/".into()
                    })
                }
                _ => None,
            });
        out.push(Endpoint {
            url: format!("https://{domain}{}", path.unwrap_or_else(|| "/".into())),
            expect: 200,
        });
    }
    for m in &spec.monitoring {
        out.push(Endpoint {
            url: m.url.clone(),
            expect: m.expect,
        });
    }
    out
}

/// Validates `spec` and renders every file of the deployment.
///
/// Errors: [`RenderError::Invalid`] with all diagnostics when validation finds an error
/// (warnings alone do not stop rendering).
///
/// ```
/// let text = include_str!("../../../examples/banatie.yaml");
/// let spec = banatie_infra_core::load::load_str(text, banatie_infra_core::load::Format::Yaml, "banatie.yaml")
///     .unwrap()
///     .spec;
/// let a = banatie_infra_core::render::render(&spec).unwrap();
/// let b = banatie_infra_core::render::render(&spec).unwrap();
/// assert_eq!(a, b); // same spec, same bytes
/// assert!(a.text("docker-compose.yml").unwrap().contains("service_completed_successfully"));
/// ```
pub fn render(spec: &Spec) -> Result<Bundle, RenderError> {
    let diags = crate::validate::validate(spec);
    if has_errors(&diags) {
        return Err(RenderError::Invalid(diags));
    }
    render_unchecked(spec)
}

/// Renders without validating first. The output of an invalid spec is unspecified (but
/// rendering never panics); use [`render`].
pub fn render_unchecked(spec: &Spec) -> Result<Bundle, RenderError> {
    let layout = Layout::new(spec);
    let mut b = Bundle::default();
    let compose = compose::build(spec, &layout);
    let header = format!(
        "# Generated by banatie-infra from the spec of stack `{}`. Do not edit:\n# change the spec and render again.\n",
        spec.stack.name
    );
    // The YAML is written after the header in one buffer (about 700 bytes per service),
    // not copied behind it.
    let mut yaml = Vec::with_capacity(header.len() + 1024 + 768 * spec.services.len());
    yaml.extend_from_slice(header.as_bytes());
    serde_yaml::to_writer(&mut yaml, &compose).map_err(|e| RenderError::Template {
        name: COMPOSE_FILE.into(),
        message: e.to_string(),
    })?;
    drop(compose);
    let yaml = quote::requote_ambiguous_yaml(
        String::from_utf8(yaml).expect("the YAML emitter writes UTF-8"),
    );
    b.push(COMPOSE_FILE, yaml, 0o644);
    let t = text::Templates::new();
    b.push(ENV_FILE, t.env_file(spec)?, 0o644);
    b.push(SECRETS_EXAMPLE, t.secrets_example(spec)?, 0o644);
    for (name, svc) in &spec.services {
        if let Service::Postgres(pg) = svc {
            b.push(layout.init_sql(name), t.init_sql(spec, name, pg)?, 0o644);
        }
    }
    for (name, svc) in &spec.services {
        if let Service::Job(job) = svc {
            if let JobTask::StorageInit { minio } = &job.task {
                if let Some(Service::Minio(m)) = spec.services.get(minio) {
                    let dir = layout.job_dir(name);
                    b.push(
                        format!("{dir}/init.sh"),
                        t.storage_init(spec, minio, m)?,
                        0o755,
                    );
                    b.push(format!("{dir}/lifecycle.json"), lifecycle_json(m), 0o644);
                }
            }
        }
    }
    let plan = directory_plan(spec);
    b.push(PREPARE_HOST, t.prepare_host(spec, &plan)?, 0o755);
    b.push(CADDYFILE, t.caddyfile(spec)?, 0o644);
    b.push(CADDY_VOLUMES, caddy_volumes(spec, &header), 0o644);
    b.push(DIRECTORIES, json_pretty(&plan), 0o644);
    b.push(MONITORING, json_pretty(&monitoring_endpoints(spec)), 0o644);
    Ok(b)
}

fn json_pretty<T: Serialize>(v: &T) -> String {
    let mut s = serde_json::to_string_pretty(v).expect("plain data serializes");
    s.push('\n');
    s
}

/// The S3 lifecycle configuration of a MinIO service's bucket, as `mc ilm rule import`
/// reads it.
fn lifecycle_json(m: &crate::spec::MinioService) -> String {
    #[derive(Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct Config {
        rules: Vec<Rule>,
    }
    #[derive(Serialize)]
    struct Rule {
        #[serde(rename = "ID")]
        id: String,
        #[serde(rename = "Status")]
        status: &'static str,
        #[serde(rename = "Filter")]
        filter: Filter,
        #[serde(rename = "Expiration")]
        expiration: Expiration,
    }
    #[derive(Serialize)]
    struct Filter {
        #[serde(rename = "Prefix")]
        prefix: String,
    }
    #[derive(Serialize)]
    struct Expiration {
        #[serde(rename = "Days")]
        days: u32,
    }
    json_pretty(&Config {
        rules: m
            .lifecycle
            .iter()
            .map(|r| Rule {
                id: r.id.clone(),
                status: "Enabled",
                filter: Filter {
                    prefix: r.prefix.clone(),
                },
                expiration: Expiration {
                    days: r.expire_days,
                },
            })
            .collect(),
    })
}

fn caddy_volumes(spec: &Spec, header: &str) -> String {
    let dir = spec.proxy.log_dir.as_ref().map_or_else(
        || format!("{}/logs", spec.stack.root()),
        ToString::to_string,
    );
    let lines = vec![format!("{dir}:{dir}")];
    format!(
        "{header}# Add to the `volumes:` of the shared Caddy service, so it can write the access logs\n# at the paths the Caddyfile names:\n{}",
        quote::requote_ambiguous_yaml(serde_yaml::to_string(&lines).expect("strings serialize"))
    )
}
