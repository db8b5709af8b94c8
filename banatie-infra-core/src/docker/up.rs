//! `plan`, `up` and `down`: bring the stack described by the spec to a healthy state
//! through the Engine API, idempotently, and take it down again.
//!
//! The container of each service is derived from the same typed Compose model that
//! `render` writes ([`crate::render::compose`]), with the env files of the deployment root
//! read in, so `up` and `docker compose up` on the rendered bundle run the same thing. A
//! hash of that configuration is stored in a label; a container whose hash matches is
//! never recreated.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use bollard::models::{
    ContainerCreateBody, EndpointSettings, HealthConfig, HostConfig, NetworkCreateRequest,
    NetworkingConfig, PortBinding, RestartPolicy, RestartPolicyNameEnum,
};
use bollard::query_parameters::{
    CreateContainerOptionsBuilder, InspectContainerOptions, InspectNetworkOptions,
    ListNetworksOptionsBuilder, RemoveContainerOptionsBuilder, StartContainerOptions,
    StopContainerOptionsBuilder,
};
use futures_util::StreamExt;
use sha2::{Digest, Sha256};
use tokio::sync::watch;

use super::exec::exec_in;
use super::status::find;
use super::{DockerError, Engine};
use crate::envfile;
use crate::render::compose::{ComposeFile, ComposeService};
use crate::render::label;
use crate::spec::{Condition, Spec};

/// The label holding the hash of a container's configuration.
pub const CONFIG_HASH_LABEL: &str = "io.banatie-infra.config-hash";
/// The label holding the public part of a container's configuration (the Compose
/// service, JSON), so `plan` can name the fields that changed. No env-file values.
pub const CONFIG_LABEL: &str = "io.banatie-infra.config";

/// Why `plan`, `up` or `down` failed.
#[derive(Debug, thiserror::Error)]
pub enum UpError {
    /// The engine failed.
    #[error(transparent)]
    Docker(#[from] DockerError),
    /// A file of the deployment root is missing or unreadable.
    #[error("{}: {reason}", path.display())]
    Root {
        /// The file.
        path: PathBuf,
        /// What is wrong and what to run.
        reason: String,
    },
    /// An image is neither present nor buildable (no registry is used).
    #[error("image `{image}` of `{service}` is not on this engine: {hint}")]
    MissingImage {
        /// The service.
        service: String,
        /// The image.
        image: String,
        /// What to do.
        hint: String,
    },
    /// A build failed; the build's output is included.
    #[error("building `{service}` failed: {message}\n{output}")]
    Build {
        /// The service.
        service: String,
        /// The engine's error.
        message: String,
        /// The last lines of the build output.
        output: String,
    },
    /// A network exists with other settings, or an external one is missing.
    #[error("network `{0}`: {1}")]
    Network(String, String),
    /// A one-shot job exited non-zero; its logs are included.
    #[error("job `{service}` exited with code {code}; its output:\n{logs}")]
    JobFailed {
        /// The job.
        service: String,
        /// Its exit code.
        code: i64,
        /// The end of its logs.
        logs: String,
    },
    /// A service never became ready.
    #[error("`{service}` did not become {wanted} within {}s ({state}){}", timeout.as_secs(), output.as_deref().map(|o| format!("; last health-check output: {o}")).unwrap_or_default())]
    Timeout {
        /// The service.
        service: String,
        /// `healthy`, `running`, `completed`.
        wanted: &'static str,
        /// Its state then.
        state: String,
        /// The last health-check output.
        output: Option<String>,
        /// The timeout.
        timeout: Duration,
    },
    /// A service stopped while it should run.
    #[error("`{service}` stopped: {reason}")]
    Stopped {
        /// The service.
        service: String,
        /// Exit code and logs.
        reason: String,
    },
    /// A container has a service's name but is not labelled as this stack's: `up` never
    /// removes a container the spec does not own.
    #[error("a container named `{0}` exists and is not part of stack `{1}`: it was left alone; rename or remove it yourself, then run `up` again")]
    Foreign(String, String),
    /// A dependency failed, so this service was not started.
    #[error("`{service}` was not started: dependency `{dependency}` failed")]
    DependencyFailed {
        /// The service.
        service: String,
        /// The dependency.
        dependency: String,
    },
}

/// One step of a plan, with its reason.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    /// Create a network.
    CreateNetwork {
        /// The network.
        network: String,
        /// Internal.
        internal: bool,
    },
    /// Build an image.
    Build {
        /// The service.
        service: String,
        /// The image tag.
        image: String,
    },
    /// Create and start a container.
    Create {
        /// The service.
        service: String,
    },
    /// Remove and create the container again.
    Recreate {
        /// The service.
        service: String,
        /// Why: the fields that changed.
        reason: String,
    },
    /// Start an existing container (stopped, or a job to run again).
    Start {
        /// The service.
        service: String,
        /// Why.
        reason: String,
    },
    /// Restart a container because a dependency is recreated.
    Restart {
        /// The service.
        service: String,
        /// The dependency.
        because: String,
    },
    /// Nothing to do.
    Keep {
        /// The service.
        service: String,
    },
}

impl Action {
    /// Whether this step changes anything.
    pub fn changes(&self) -> bool {
        !matches!(self, Action::Keep { .. })
    }
}

/// What `up` will do (or did).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Plan {
    /// The steps, networks first, then services in spec order.
    pub actions: Vec<Action>,
}

impl Plan {
    /// Whether `up` has nothing to do.
    pub fn is_noop(&self) -> bool {
        self.actions.iter().all(|a| !a.changes())
    }
}

/// An event of `up`, for a caller that shows progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UpEvent {
    /// A step started.
    Step(Action),
    /// A line of build output.
    BuildOutput(String, String),
    /// A service that `up` created, recreated, started or restarted is ready (healthy,
    /// running, or completed), with the time since its start. (A kept service is waited
    /// for too, without an event.)
    Ready(String, Duration),
}

/// Options of [`up`].
#[derive(Debug, Clone)]
pub struct UpOptions {
    /// How long one service may take to become ready.
    pub timeout: Duration,
    /// Build images even when they exist.
    pub build: bool,
}

impl Default for UpOptions {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(300),
            build: false,
        }
    }
}

/// The desired container of one service.
struct Desired {
    body: ContainerCreateBody,
    networks: Vec<String>,
    hash: String,
    compose: ComposeService,
    build: Option<(PathBuf, String, Option<String>)>,
    image: String,
}

fn unlit(s: &str) -> String {
    s.replace("$$", "$")
}

fn parse_dur(s: &str) -> i64 {
    s.parse::<crate::types::Duration>()
        .map_or(0, |d| d.as_millis() as i64 * 1_000_000)
}

fn read_env(root: &Path, name: &str) -> Result<Vec<(String, String)>, UpError> {
    let path = root.join(name);
    if name == crate::render::SECRETS_FILE {
        // Refused like `banatie-infra secrets` refuses it: the file holds every password.
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = std::fs::symlink_metadata(&path) {
            let mode = meta.permissions().mode() & 0o7777;
            if mode & 0o077 != 0 {
                return Err(UpError::Root {
                    path: path.clone(),
                    reason: format!("mode {mode:04o}: group or others can access it; run `chmod 600 {}` and check who read it", path.display()),
                });
            }
        }
    }
    let text = crate::input::read_to_string(&path).map_err(|e| UpError::Root {
        path: path.clone(),
        reason: format!("{e}: run `banatie-infra render SPEC -o {0}` and `banatie-infra secrets SPEC --dir {0}` first", root.display()),
    })?;
    let entries = envfile::parse(&text).map_err(|e| UpError::Root {
        path,
        reason: e.to_string(),
    })?;
    Ok(entries.into_iter().map(|e| (e.key, e.value)).collect())
}

fn desired(spec: &Spec, root: &Path) -> Result<BTreeMap<String, Desired>, UpError> {
    // Bind mounts need absolute host paths.
    let root = &std::path::absolute(root).map_err(|e| UpError::Root {
        path: root.to_owned(),
        reason: e.to_string(),
    })?;
    let layout = crate::render::Layout::for_spec(spec);
    let compose: ComposeFile = crate::render::compose::build(spec, &layout);
    let mut files: HashMap<String, Vec<(String, String)>> = HashMap::new();
    let mut out = BTreeMap::new();
    for (name, c) in &compose.services {
        let mut env: Vec<(String, String)> = Vec::new();
        for f in &c.env_file {
            let f = f.trim_start_matches("./").to_owned();
            if !files.contains_key(&f) {
                files.insert(f.clone(), read_env(root, &f)?);
            }
            env.extend(files[&f].iter().cloned());
        }
        for (k, v) in &c.environment {
            env.retain(|(n, _)| n != k);
            env.push((k.clone(), unlit(v)));
        }
        let binds: Vec<String> = c
            .volumes
            .iter()
            .map(|v| {
                let v = unlit(v);
                match v.strip_prefix("./") {
                    Some(rest) => format!("{}/{rest}", root.display()),
                    None => v,
                }
            })
            .collect();
        let mut port_bindings: HashMap<String, Option<Vec<PortBinding>>> = HashMap::new();
        for p in &c.ports {
            if let Some((ip, host, container)) = split_port(p) {
                port_bindings.insert(
                    format!("{container}/tcp"),
                    Some(vec![PortBinding {
                        host_ip: Some(ip.into()),
                        host_port: Some(host.into()),
                    }]),
                );
            }
        }
        let image = c
            .image
            .as_deref()
            .map(unlit)
            .unwrap_or_else(|| format!("{}-{name}", compose.name));
        let build = c.build.as_ref().map(|b| {
            (
                PathBuf::from(unlit(&b.context)),
                unlit(&b.dockerfile),
                b.target.as_deref().map(unlit),
            )
        });
        let mut labels: HashMap<String, String> = c
            .labels
            .iter()
            .map(|(k, v)| (k.clone(), unlit(v)))
            .collect();
        let config_json = serde_json::to_string(c).expect("plain data");
        labels.insert(CONFIG_LABEL.into(), config_json);
        let restart = match c.restart.as_str() {
            "no" => RestartPolicyNameEnum::NO,
            "always" => RestartPolicyNameEnum::ALWAYS,
            "on-failure" => RestartPolicyNameEnum::ON_FAILURE,
            _ => RestartPolicyNameEnum::UNLESS_STOPPED,
        };
        let mut body = ContainerCreateBody {
            image: Some(image.clone()),
            env: Some(env.iter().map(|(k, v)| format!("{k}={v}")).collect()),
            entrypoint: c
                .entrypoint
                .as_ref()
                .map(|e| e.iter().map(|s| unlit(s)).collect()),
            cmd: c
                .command
                .as_ref()
                .map(|e| e.iter().map(|s| unlit(s)).collect()),
            labels: Some(labels),
            healthcheck: c.healthcheck.as_ref().map(|h| HealthConfig {
                test: Some(h.test.iter().map(|s| unlit(s)).collect()),
                interval: Some(parse_dur(&h.interval)),
                timeout: Some(parse_dur(&h.timeout)),
                retries: Some(i64::from(h.retries)),
                start_period: Some(parse_dur(&h.start_period)),
                start_interval: h.start_interval.as_deref().map(parse_dur),
            }),
            host_config: Some(HostConfig {
                binds: Some(binds),
                port_bindings: (!port_bindings.is_empty()).then_some(port_bindings),
                restart_policy: Some(RestartPolicy {
                    name: Some(restart),
                    maximum_retry_count: None,
                }),
                network_mode: c.networks.first().cloned(),
                ..Default::default()
            }),
            ..Default::default()
        };
        let mut h = Sha256::new();
        // Hash a canonical form: the body holds `HashMap`s (labels, port bindings) whose
        // serialization order changes from one map to the next.
        let canonical = canonical_json(serde_json::to_value(&body).expect("plain data"));
        h.update(serde_json::to_vec(&canonical).expect("plain data"));
        h.update(serde_json::to_vec(&c.networks).expect("plain data"));
        let hash: String = h
            .finalize()
            .iter()
            .take(16)
            .map(|b| format!("{b:02x}"))
            .collect();
        if let Some(l) = body.labels.as_mut() {
            l.insert(CONFIG_HASH_LABEL.into(), hash.clone());
        }
        out.insert(
            name.clone(),
            Desired {
                body,
                networks: c.networks.clone(),
                hash,
                compose: c.clone(),
                build,
                image,
            },
        );
    }
    Ok(out)
}

/// `v` with the keys of every object sorted, so equal values serialize to equal bytes.
fn canonical_json(v: serde_json::Value) -> serde_json::Value {
    match v {
        serde_json::Value::Object(m) => {
            let mut entries: Vec<(String, serde_json::Value)> = m.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            serde_json::Value::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k, canonical_json(v)))
                    .collect(),
            )
        }
        serde_json::Value::Array(a) => {
            serde_json::Value::Array(a.into_iter().map(canonical_json).collect())
        }
        other => other,
    }
}

/// The fields of two Compose services that differ, by name.
fn changed_fields(a: &serde_json::Value, b: &serde_json::Value) -> Vec<String> {
    let (Some(a), Some(b)) = (a.as_object(), b.as_object()) else {
        return vec!["configuration".into()];
    };
    let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    let mut out = Vec::new();
    for k in keys {
        if a.get(k) != b.get(k) {
            if k == "environment" {
                let (ea, eb) = (
                    a.get(k).and_then(|v| v.as_object()),
                    b.get(k).and_then(|v| v.as_object()),
                );
                let names: std::collections::BTreeSet<&String> = ea
                    .into_iter()
                    .flat_map(|m| m.keys())
                    .chain(eb.into_iter().flat_map(|m| m.keys()))
                    .collect();
                for n in names {
                    if ea.and_then(|m| m.get(n)) != eb.and_then(|m| m.get(n)) {
                        out.push(format!("environment.{n}"));
                    }
                }
            } else {
                out.push(k.clone());
            }
        }
    }
    out
}

/// Compares the spec (and the env files under `root`) with the engine and returns what
/// [`up`] would do, each step with its reason. Changes nothing.
pub async fn plan(engine: &Engine, spec: &Spec, root: &Path) -> Result<Plan, UpError> {
    let want = desired(spec, root)?;
    let mut actions = Vec::new();
    for (name, n) in &spec.networks {
        if n.external {
            continue;
        }
        match engine
            .docker
            .inspect_network(name.as_str(), None::<InspectNetworkOptions>)
            .await
        {
            Ok(_) => {}
            Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 404, ..
            }) => actions.push(Action::CreateNetwork {
                network: name.to_string(),
                internal: n.internal,
            }),
            Err(e) => return Err(DockerError::api(e).into()),
        }
    }
    let (owned, _) = find(engine, spec).await?;
    let mut recreated: HashSet<String> = HashSet::new();
    let mut per_service: BTreeMap<String, Action> = BTreeMap::new();
    for (name, d) in &want {
        if d.build.is_some() && engine.docker.inspect_image(&d.image).await.is_err() {
            actions.push(Action::Build {
                service: name.clone(),
                image: d.image.clone(),
            });
        }
        let action = match owned.get(name) {
            None => {
                recreated.insert(name.clone());
                Action::Create {
                    service: name.clone(),
                }
            }
            Some(c) => {
                let labels = c
                    .config
                    .as_ref()
                    .and_then(|c| c.labels.clone())
                    .unwrap_or_default();
                if labels.get(label::STACK).map(String::as_str) != Some(spec.stack.name.as_str()) {
                    return Err(UpError::Foreign(name.clone(), spec.stack.name.to_string()));
                }
                if labels.get(CONFIG_HASH_LABEL) != Some(&d.hash) {
                    let reason = match labels
                        .get(CONFIG_LABEL)
                        .and_then(|j| serde_json::from_str::<serde_json::Value>(j).ok())
                    {
                        Some(old) => {
                            let new_v = serde_json::to_value(&d.compose).unwrap_or_default();
                            let fields = if old == new_v {
                                vec!["env file values".to_owned()]
                            } else {
                                changed_fields(&old, &new_v)
                            };
                            format!("config changed: {}", fields.join(", "))
                        }
                        None => "not created by this tool (no config label)".to_owned(),
                    };
                    recreated.insert(name.clone());
                    Action::Recreate {
                        service: name.clone(),
                        reason,
                    }
                } else {
                    let st = c.state.clone().unwrap_or_default();
                    let running = st.running.unwrap_or(false);
                    let is_job = d.compose.restart == "no";
                    if running
                        || (is_job
                            && st.exit_code == Some(0)
                            && st.status.map(|s| s.to_string()) == Some("exited".into()))
                    {
                        Action::Keep {
                            service: name.clone(),
                        }
                    } else if is_job {
                        Action::Start {
                            service: name.clone(),
                            reason: format!(
                                "job last exited with code {}",
                                st.exit_code.unwrap_or(-1)
                            ),
                        }
                    } else {
                        Action::Start {
                            service: name.clone(),
                            reason: "stopped".into(),
                        }
                    }
                }
            }
        };
        per_service.insert(name.clone(), action);
    }
    // Dependents of a recreated service restart (transitively).
    let mut changed = true;
    while changed {
        changed = false;
        for (name, svc) in &spec.services {
            let n = name.to_string();
            if !matches!(per_service.get(&n), Some(Action::Keep { .. })) {
                continue;
            }
            if let Some(dep) = svc.depends_on().keys().find(|d| {
                recreated.contains(d.as_str())
                    || matches!(per_service.get(d.as_str()), Some(Action::Restart { .. }))
            }) {
                per_service.insert(
                    n.clone(),
                    Action::Restart {
                        service: n.clone(),
                        because: dep.to_string(),
                    },
                );
                changed = true;
            }
        }
    }
    for name in spec.services.keys() {
        if let Some(a) = per_service.remove(name.as_str()) {
            actions.push(a);
        }
    }
    Ok(Plan { actions })
}

/// Readiness of a service during `up`.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Ready {
    Pending,
    Started,
    Healthy,
    Completed,
    Failed,
}

/// Brings the stack to its spec: creates the networks (internal ones internal), builds
/// missing images through the engine's build API, creates the data directories, and
/// creates/starts the containers in dependency order, independent services in parallel,
/// honouring each `depends_on` condition. `up` returns when every service is ready
/// (healthy, running, or a job completed with exit 0). Running it twice changes nothing
/// the second time (the returned plan is then a no-op).
///
/// Health: a service with a health check is ready when the engine says `healthy` or when
/// its own health-check command (the same `test`, run through exec with the check's
/// `timeout`) exits 0; the command is run every 250 ms while waiting, because engines
/// before API 1.44 have no `start_interval` and would otherwise report the first result
/// only one `interval` after the start (30 s with the seed's timings). So a ready service
/// is noticed within a second, its dependents start at once, and `up` returns when the
/// last service is ready. The engine's own status then turns `healthy` at that
/// service's next scheduled check; `banatie-infra wait` ([`super::wait`]) blocks until it
/// has, for scripts that read `docker ps` or `status` right after `up`.
///
/// Errors: [`UpError`]; a failing job stops `up` with its logs; a service that never
/// becomes healthy stops it at `opts.timeout` with its last health output.
pub async fn up(
    engine: &Engine,
    spec: &Spec,
    root: &Path,
    opts: &UpOptions,
    events: &(dyn Fn(UpEvent) + Send + Sync),
) -> Result<Plan, UpError> {
    let plan = plan(engine, spec, root).await?;
    let want = desired(spec, root)?;
    // Networks.
    for (name, n) in &spec.networks {
        if n.external {
            match engine.docker.inspect_network(name.as_str(), None::<InspectNetworkOptions>).await {
                Ok(_) => {}
                Err(_) => return Err(UpError::Network(name.to_string(), format!("external network is missing: create it with `docker network create {name}`"))),
            }
            continue;
        }
        match engine
            .docker
            .inspect_network(name.as_str(), None::<InspectNetworkOptions>)
            .await
        {
            Ok(live) => {
                if live.internal.unwrap_or(false) != n.internal {
                    return Err(UpError::Network(name.to_string(), format!("exists with internal={}, the spec says {}: run `banatie-infra down --networks` first", live.internal.unwrap_or(false), n.internal)));
                }
            }
            Err(_) => {
                events(UpEvent::Step(Action::CreateNetwork {
                    network: name.to_string(),
                    internal: n.internal,
                }));
                let labels =
                    HashMap::from([(label::STACK.to_owned(), spec.stack.name.to_string())]);
                engine
                    .docker
                    .create_network(NetworkCreateRequest {
                        name: name.to_string(),
                        driver: Some("bridge".into()),
                        internal: Some(n.internal),
                        labels: Some(labels),
                        ..Default::default()
                    })
                    .await
                    .map_err(DockerError::api)?;
            }
        }
    }
    // Images.
    for (name, d) in &want {
        let exists = engine.docker.inspect_image(&d.image).await.is_ok();
        match (&d.build, exists) {
            (Some(b), false) | (Some(b), true) if !exists || opts.build => {
                build_image(engine, name, &d.image, b, events).await?
            }
            (None, false) => {
                return Err(UpError::MissingImage {
                    service: name.clone(),
                    image: d.image.clone(),
                    hint: "no registry is used: build it, or load it with `docker load`".into(),
                });
            }
            _ => {}
        }
    }
    // Data directories.
    for dir in crate::render::directory_plan(spec) {
        let rel = dir
            .path
            .strip_prefix(&format!("{}/", spec.stack.root()))
            .unwrap_or(&dir.path)
            .to_owned();
        let path = root.join(rel);
        if !path.exists() {
            use std::os::unix::fs::DirBuilderExt;
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(dir.mode)
                .create(&path)
                .map_err(|e| UpError::Root {
                    path: path.clone(),
                    reason: e.to_string(),
                })?;
            // A directory a container writes gets the owner of the plan (as
            // `prepare-host.sh` does). Only root may chown: otherwise `doctor` names the fix.
            if dir.container_uid.is_some() {
                let _ = std::os::unix::fs::chown(&path, Some(dir.uid), Some(dir.gid));
            }
        }
    }
    // Containers.
    let actions: HashMap<String, Action> = plan
        .actions
        .iter()
        .filter_map(|a| match a {
            Action::Create { service }
            | Action::Recreate { service, .. }
            | Action::Start { service, .. }
            | Action::Restart { service, .. }
            | Action::Keep { service } => Some((service.clone(), a.clone())),
            _ => None,
        })
        .collect();
    let (owned, _) = find(engine, spec).await?;
    let mut senders = HashMap::new();
    let mut receivers = HashMap::new();
    for name in spec.services.keys() {
        let (tx, rx) = watch::channel(Ready::Pending);
        senders.insert(name.to_string(), tx);
        receivers.insert(name.to_string(), rx);
    }
    // Services that wait for nothing are created and started first; the others are
    // pre-created while those start (creating a container is the engine's slowest call on
    // overlay storage, and only the first ones are on the critical path).
    let roots = spec
        .services
        .values()
        .filter(|s| s.depends_on().is_empty())
        .count();
    let (roots_tx, roots_rx) = watch::channel(roots);
    let root_started = || roots_tx.send_modify(|n| *n = n.saturating_sub(1));
    let tasks = spec.services.iter().map(|(name, svc)| {
        let name = name.to_string();
        let deps: Vec<(String, Condition, watch::Receiver<Ready>)> = svc
            .depends_on()
            .iter()
            .map(|(d, c)| (d.to_string(), *c, receivers[d.as_str()].clone()))
            .collect();
        let tx = senders.remove(&name).expect("one sender per service");
        let d = &want[&name];
        let action = actions[&name].clone();
        let existing = owned.get(&name).and_then(|c| c.id.clone());
        let is_job = d.compose.restart == "no";
        let is_root = deps.is_empty();
        let mut roots_rx = roots_rx.clone();
        let root_started = &root_started;
        async move {
            // A root's start (or failure) is counted once.
            let started_once = std::sync::Once::new();
            let signal = || {
                if is_root {
                    started_once.call_once(root_started)
                }
            };
            let result = async {
                // A missing container is created before its dependencies are ready (not
                // started), in parallel with the others, so only its start waits for them
                // (as Compose does): creating the writable layer is not on the critical
                // path. It waits only for the services that wait for nothing to start.
                if !is_root {
                    let _ = roots_rx.wait_for(|n| *n == 0).await;
                }
                let precreated = match (&action, &existing) {
                    (Action::Create { .. }, None) => {
                        let id = create(engine, &name, d).await?;
                        tracing::debug!(service = %name, "created");
                        Some(id)
                    }
                    _ => None,
                };
                for (dep, cond, mut rx) in deps {
                    loop {
                        let state = rx.borrow().clone();
                        let ok = match (cond, &state) {
                            (_, Ready::Failed) => {
                                return Err(UpError::DependencyFailed {
                                    service: name.clone(),
                                    dependency: dep.clone(),
                                })
                            }
                            (
                                Condition::Started,
                                Ready::Started | Ready::Healthy | Ready::Completed,
                            ) => true,
                            (Condition::Healthy, Ready::Healthy) => true,
                            (Condition::Completed, Ready::Completed) => true,
                            _ => false,
                        };
                        if ok {
                            break;
                        }
                        if rx.changed().await.is_err() {
                            return Err(UpError::DependencyFailed {
                                service: name.clone(),
                                dependency: dep.clone(),
                            });
                        }
                    }
                }
                let start = Instant::now();
                tracing::debug!(service = %name, "dependencies ready");
                if action.changes() {
                    events(UpEvent::Step(action.clone()));
                }
                let id = match (&action, existing) {
                    (Action::Keep { .. }, Some(id)) => id,
                    (Action::Start { .. }, Some(id)) => {
                        engine
                            .docker
                            .start_container(&id, None::<StartContainerOptions>)
                            .await
                            .map_err(DockerError::api)?;
                        id
                    }
                    (Action::Restart { .. }, Some(id)) => {
                        engine
                            .docker
                            .restart_container(
                                &id,
                                None::<bollard::query_parameters::RestartContainerOptions>,
                            )
                            .await
                            .map_err(DockerError::api)?;
                        id
                    }
                    (_, existing) => match precreated {
                        Some(id) => {
                            start_created(engine, &id).await?;
                            id
                        }
                        None => {
                            if let Some(old) = existing {
                                remove_container(engine, &old, 10).await?;
                            }
                            let id = create(engine, &name, d).await?;
                            start_created(engine, &id).await?;
                            id
                        }
                    },
                };
                signal();
                tracing::debug!(service = %name, "started");
                let target = if is_job {
                    Ready::Completed
                } else if d.compose.healthcheck.is_some() {
                    Ready::Healthy
                } else {
                    Ready::Started
                };
                if target != Ready::Healthy {
                    let _ = tx.send(Ready::Started);
                }
                wait_ready(engine, &name, &id, &target, d, opts.timeout).await?;
                if action.changes() {
                    events(UpEvent::Ready(name.clone(), start.elapsed()));
                }
                Ok(target)
            }
            .await;
            signal();
            match result {
                Ok(state) => {
                    let _ = tx.send(state);
                    Ok(())
                }
                Err(e) => {
                    let _ = tx.send(Ready::Failed);
                    Err(e)
                }
            }
        }
    });
    let results = futures_util::future::join_all(tasks).await;
    // Report the root cause: a failure that is not just a failed dependency.
    let mut errors: Vec<UpError> = results.into_iter().filter_map(Result::err).collect();
    if let Some(i) = errors
        .iter()
        .position(|e| !matches!(e, UpError::DependencyFailed { .. }))
    {
        return Err(errors.swap_remove(i));
    }
    if let Some(e) = errors.into_iter().next() {
        return Err(e);
    }
    Ok(plan)
}

async fn build_image(
    engine: &Engine,
    service: &str,
    image: &str,
    build: &(PathBuf, String, Option<String>),
    events: &(dyn Fn(UpEvent) + Send + Sync),
) -> Result<(), UpError> {
    let (context, dockerfile, target) = build;
    events(UpEvent::Step(Action::Build {
        service: service.into(),
        image: image.into(),
    }));
    let ctx = context.clone();
    let tar = tokio::task::spawn_blocking(move || -> std::io::Result<Vec<u8>> {
        let mut b = tar::Builder::new(Vec::new());
        b.follow_symlinks(false);
        b.append_dir_all(".", &ctx)?;
        b.into_inner()
    })
    .await
    .map_err(|e| UpError::Build {
        service: service.into(),
        message: e.to_string(),
        output: String::new(),
    })?
    .map_err(|e| UpError::Root {
        path: context.clone(),
        reason: format!("cannot read the build context: {e}"),
    })?;
    let mut opts = bollard::query_parameters::BuildImageOptionsBuilder::default()
        .dockerfile(dockerfile)
        .t(image)
        .rm(true);
    if let Some(t) = target {
        opts = opts.target(t);
    }
    let mut stream =
        engine
            .docker
            .build_image(opts.build(), None, Some(bollard::body_full(tar.into())));
    let mut tail: Vec<String> = Vec::new();
    while let Some(item) = stream.next().await {
        match item {
            Ok(info) => {
                if let Some(s) = info.stream {
                    for line in s.lines().filter(|l| !l.trim().is_empty()) {
                        events(UpEvent::BuildOutput(service.into(), line.to_owned()));
                        tail.push(line.to_owned());
                        if tail.len() > 30 {
                            tail.remove(0);
                        }
                    }
                }
                if let Some(err) = info.error_detail.and_then(|d| d.message) {
                    return Err(UpError::Build {
                        service: service.into(),
                        message: err,
                        output: tail.join("\n"),
                    });
                }
            }
            Err(e) => {
                return Err(UpError::Build {
                    service: service.into(),
                    message: DockerError::api(e).to_string(),
                    output: tail.join("\n"),
                })
            }
        }
    }
    Ok(())
}

/// Creates the container of `name` (attached to its networks), without starting it.
async fn create(engine: &Engine, name: &str, d: &Desired) -> Result<String, UpError> {
    let mut body = d.body.clone();
    // API 1.41 attaches one network at creation; the others are connected before start.
    let first = d.networks.first().cloned();
    body.networking_config = first.as_ref().map(|n| NetworkingConfig {
        endpoints_config: Some(HashMap::from([(
            n.clone(),
            EndpointSettings {
                aliases: Some(vec![name.to_owned()]),
                ..Default::default()
            },
        )])),
    });
    if !engine.supports_start_interval() {
        if let Some(h) = body.healthcheck.as_mut() {
            h.start_interval = None;
        }
    }
    let created = engine
        .docker
        .create_container(
            Some(CreateContainerOptionsBuilder::default().name(name).build()),
            body,
        )
        .await
        .map_err(DockerError::api)?;
    for n in d.networks.iter().skip(1) {
        engine
            .docker
            .connect_network(
                n,
                bollard::models::NetworkConnectRequest {
                    container: created.id.clone(),
                    endpoint_config: Some(EndpointSettings {
                        aliases: Some(vec![name.to_owned()]),
                        ..Default::default()
                    }),
                },
            )
            .await
            .map_err(DockerError::api)?;
    }
    Ok(created.id)
}

async fn start_created(engine: &Engine, id: &str) -> Result<(), UpError> {
    engine
        .docker
        .start_container(id, None::<StartContainerOptions>)
        .await
        .map_err(DockerError::api)?;
    Ok(())
}

async fn remove_container(engine: &Engine, id: &str, timeout_secs: i32) -> Result<(), DockerError> {
    match engine
        .docker
        .stop_container(
            id,
            Some(
                StopContainerOptionsBuilder::default()
                    .t(timeout_secs)
                    .build(),
            ),
        )
        .await
    {
        Ok(())
        | Err(bollard::errors::Error::DockerResponseServerError {
            status_code: 304 | 404,
            ..
        }) => {}
        Err(e) => return Err(DockerError::api(e)),
    }
    match engine
        .docker
        .remove_container(
            id,
            Some(RemoveContainerOptionsBuilder::default().force(true).build()),
        )
        .await
    {
        Ok(())
        | Err(bollard::errors::Error::DockerResponseServerError {
            status_code: 404, ..
        }) => Ok(()),
        Err(e) => Err(DockerError::api(e)),
    }
}

async fn job_logs(engine: &Engine, id: &str) -> String {
    let mut out = Vec::new();
    let mut s = engine.docker.logs(
        id,
        Some(
            bollard::query_parameters::LogsOptionsBuilder::default()
                .stdout(true)
                .stderr(true)
                .tail("50")
                .build(),
        ),
    );
    while let Some(Ok(chunk)) = s.next().await {
        out.extend_from_slice(&chunk.into_bytes());
    }
    String::from_utf8_lossy(&out).trim_end().to_owned()
}

/// How often `up` runs a waiting service's health-check command through exec.
const PROBE_EVERY: Duration = Duration::from_millis(250);
/// How often `up` inspects a container it waits for.
const POLL_EVERY: Duration = Duration::from_millis(50);

/// Waits until the container reaches `target`: completed (exit 0), healthy, or running.
async fn wait_ready(
    engine: &Engine,
    name: &str,
    id: &str,
    target: &Ready,
    d: &Desired,
    timeout: Duration,
) -> Result<(), UpError> {
    let start = Instant::now();
    let probe: Option<Vec<String>> = d
        .body
        .healthcheck
        .as_ref()
        .and_then(|h| h.test.clone())
        .and_then(|t| match t.first().map(String::as_str) {
            Some("CMD") => Some(t[1..].to_vec()),
            Some("CMD-SHELL") => Some(vec!["/bin/sh".into(), "-c".into(), t[1..].join(" ")]),
            _ => None,
        });
    // The engine's own timeout for one check (nanoseconds in the create body; 30 s when
    // unset, the engine's default).
    let probe_timeout = d
        .body
        .healthcheck
        .as_ref()
        .and_then(|h| h.timeout)
        .filter(|ns| *ns > 0)
        .map(|ns| Duration::from_nanos(ns as u64))
        .unwrap_or(Duration::from_secs(30));
    let mut last_output: Option<String> = None;
    let mut last_probe = Instant::now() - PROBE_EVERY;
    loop {
        let c = engine
            .docker
            .inspect_container(id, None::<InspectContainerOptions>)
            .await
            .map_err(DockerError::api)?;
        let st = c.state.unwrap_or_default();
        let status = st.status.map(|s| s.to_string()).unwrap_or_default();
        if let Some(o) = st
            .health
            .as_ref()
            .and_then(|h| h.log.as_ref())
            .and_then(|l| l.last())
            .and_then(|r| r.output.clone())
        {
            last_output = Some(o.trim().to_owned());
        }
        match target {
            Ready::Completed => {
                if status == "exited" || status == "dead" {
                    let code = st.exit_code.unwrap_or(-1);
                    if code == 0 {
                        return Ok(());
                    }
                    return Err(UpError::JobFailed {
                        service: name.into(),
                        code,
                        logs: job_logs(engine, id).await,
                    });
                }
            }
            _ => {
                if status == "exited" || status == "dead" {
                    return Err(UpError::Stopped {
                        service: name.into(),
                        reason: format!(
                            "exited with code {}; its output:\n{}",
                            st.exit_code.unwrap_or(-1),
                            job_logs(engine, id).await
                        ),
                    });
                }
                if status == "running" {
                    if *target == Ready::Started {
                        return Ok(());
                    }
                    let health = st
                        .health
                        .as_ref()
                        .and_then(|h| h.status)
                        .map(|s| s.to_string());
                    if health.as_deref() == Some("healthy") {
                        return Ok(());
                    }
                    if let Some(argv) = &probe {
                        if last_probe.elapsed() >= PROBE_EVERY {
                            last_probe = Instant::now();
                            let mut out = Vec::new();
                            let r = tokio::time::timeout(
                                probe_timeout,
                                exec_in(
                                    engine,
                                    id,
                                    argv,
                                    None,
                                    None::<tokio::io::Empty>,
                                    |_, b: &[u8]| {
                                        if out.len() < 4096 {
                                            out.extend_from_slice(b);
                                        }
                                        Ok(())
                                    },
                                ),
                            )
                            .await;
                            tracing::debug!(service = name, result = ?r.as_ref().map(|r| r.as_ref().ok()), "health-check command run through exec");
                            match r {
                                Ok(Ok(0)) => return Ok(()),
                                Err(_) => {
                                    last_output = Some(format!(
                                        "the health-check command did not finish within {}s",
                                        probe_timeout.as_secs_f64()
                                    ))
                                }
                                _ if !out.is_empty() => {
                                    last_output =
                                        Some(String::from_utf8_lossy(&out).trim().to_owned())
                                }
                                _ => {}
                            }
                        }
                    }
                }
            }
        }
        if start.elapsed() >= timeout {
            let wanted = match target {
                Ready::Completed => "completed",
                Ready::Healthy => "healthy",
                _ => "running",
            };
            return Err(UpError::Timeout {
                service: name.into(),
                wanted,
                state: status,
                output: last_output,
                timeout,
            });
        }
        tokio::time::sleep(POLL_EVERY).await;
    }
}

/// What `down` removed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DownReport {
    /// Containers removed, by name.
    pub containers: Vec<String>,
    /// Networks removed.
    pub networks: Vec<String>,
}

/// Stops (gracefully, `timeout_secs`) and removes the stack's containers: those labelled
/// with the stack's name, plus containers named like a service only when they carry the
/// stack's label (a foreign container with a service's name is never touched). With
/// `networks`, also removes the stack's own networks (labelled, never external ones).
/// Never touches data directories or volumes.
pub async fn down(
    engine: &Engine,
    spec: &Spec,
    networks: bool,
    timeout_secs: i32,
) -> Result<DownReport, DockerError> {
    let (owned, extra) = find(engine, spec).await?;
    let mut report = DownReport::default();
    let ours = |c: &bollard::models::ContainerInspectResponse| {
        c.config
            .as_ref()
            .and_then(|c| c.labels.as_ref())
            .and_then(|l| l.get(label::STACK))
            .map(String::as_str)
            == Some(spec.stack.name.as_str())
    };
    let targets: Vec<(String, String)> = owned
        .values()
        .chain(extra.iter())
        .filter(|c| ours(c))
        .filter_map(|c| {
            Some((
                c.id.clone()?,
                c.name.clone()?.trim_start_matches('/').to_owned(),
            ))
        })
        .collect();
    let removals = futures_util::future::join_all(
        targets
            .iter()
            .map(|(id, _)| remove_container(engine, id, timeout_secs)),
    )
    .await;
    for (r, (_, name)) in removals.into_iter().zip(targets) {
        r?;
        report.containers.push(name);
    }
    report.containers.sort();
    if networks {
        let filters: HashMap<&str, Vec<String>> = HashMap::from([(
            "label",
            vec![format!("{}={}", label::STACK, spec.stack.name)],
        )]);
        let nets = engine
            .docker
            .list_networks(Some(
                ListNetworksOptionsBuilder::default()
                    .filters(&filters)
                    .build(),
            ))
            .await
            .map_err(DockerError::api)?;
        for n in nets {
            let Some(name) = n.name else { continue };
            let external = spec.networks.get(name.as_str()).is_some_and(|x| x.external);
            if external {
                continue;
            }
            match engine.docker.remove_network(&name).await {
                Ok(())
                | Err(bollard::errors::Error::DockerResponseServerError {
                    status_code: 404, ..
                }) => report.networks.push(name),
                Err(e) => return Err(DockerError::api(e)),
            }
        }
    }
    Ok(report)
}

/// Splits the Compose short syntax `HOST_IP:HOST:CONTAINER` the renderer writes
/// ([`crate::spec::PublishedPort::compose_short`]) into (address, host port, container
/// port), an IPv6 address without its brackets (as the engine takes it).
fn split_port(short: &str) -> Option<(&str, &str, &str)> {
    let mut parts = short.rsplitn(3, ':');
    let (container, host, ip) = (parts.next()?, parts.next()?, parts.next()?);
    let ip = ip
        .strip_prefix('[')
        .and_then(|s| s.strip_suffix(']'))
        .unwrap_or(ip);
    Some((ip, host, container))
}

#[cfg(test)]
mod tests {
    use super::split_port;
    use crate::spec::PublishedPort;

    #[test]
    fn published_ports_split_back_ipv6_included() {
        for (ip, want) in [
            ("127.0.0.1", "127.0.0.1"),
            ("::1", "::1"),
            ("[::1]", "::1"),
            ("0.0.0.0", "0.0.0.0"),
            ("fd00::2", "fd00::2"),
        ] {
            let p = PublishedPort {
                host: crate::types::Port::new(8080).unwrap(),
                container: crate::types::Port::new(3000).unwrap(),
                host_ip: ip.into(),
            };
            assert_eq!(
                split_port(&p.compose_short()),
                Some((want, "8080", "3000")),
                "{ip}"
            );
        }
    }
}
