//! The containers: creating the networks and the data directories,
//! and creating and starting each service's container in dependency order.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::time::Instant;

use bollard::models::{EndpointSettings, NetworkCreateRequest, NetworkingConfig};
use bollard::query_parameters::{
    CreateContainerOptionsBuilder, InspectNetworkOptions, RemoveContainerOptionsBuilder,
    StartContainerOptions, StopContainerOptionsBuilder,
};
use tokio::sync::watch;

use super::desired::Desired;
use super::readiness::{wait_for_dependencies, wait_ready, Ready};
use super::{Action, Plan, UpError, UpEvent, UpOptions};
use crate::docker::status::find;
use crate::docker::{DockerError, Engine};
use crate::render::label;
use crate::spec::{Condition, Spec};

/// The callback `up` reports progress through.
type Events<'a> = &'a (dyn Fn(UpEvent) + Send + Sync);

/// Creates the spec's own networks the engine lacks (labelled with the stack). An
/// external network that is missing, or an own one with another `internal`, is
/// [`UpError::Network`].
pub(super) async fn ensure_networks(
    engine: &Engine,
    spec: &Spec,
    events: Events<'_>,
) -> Result<(), UpError> {
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
    Ok(())
}

/// Creates the data directories of the plan that do not exist, under `root`, with their
/// modes (and owners, when run as root).
pub(super) fn create_data_dirs(spec: &Spec, root: &Path) -> Result<(), UpError> {
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
    Ok(())
}

/// Creates and starts the containers of `plan`'s steps in dependency order, independent
/// services in parallel, each waiting for its dependencies' conditions, and waits for each
/// to be ready. Reports the root cause: a failure that is not just a failed dependency.
pub(super) async fn start_services(
    engine: &Engine,
    spec: &Spec,
    plan: &Plan,
    want: &BTreeMap<String, Desired>,
    opts: &UpOptions,
    events: Events<'_>,
) -> Result<(), UpError> {
    let actions: HashMap<String, Action> = plan
        .actions
        .iter()
        .filter_map(|a| match a {
            Action::Create { service }
            | Action::Recreate { service, .. }
            | Action::Rollout { service, .. }
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
    let tasks = spec.services.iter().map(|(name, svc)| {
        let name = name.to_string();
        let task = ServiceTask {
            deps: svc
                .depends_on()
                .iter()
                .map(|(d, c)| (d.to_string(), *c, receivers[d.as_str()].clone()))
                .collect(),
            tx: senders.remove(&name).expect("one sender per service"),
            d: &want[&name],
            action: actions[&name].clone(),
            existing: owned.get(&name).and_then(|c| c.id.clone()),
            roots_rx: roots_rx.clone(),
            roots_tx: &roots_tx,
            stack: spec.stack.name.as_str(),
            proxy: Some(spec.proxy.network.as_str()),
            name,
        };
        task.run(engine, opts, events)
    });
    let results = futures_util::future::join_all(tasks).await;
    let mut errors: Vec<UpError> = results.into_iter().filter_map(Result::err).collect();
    let blocked: Vec<String> = errors
        .iter()
        .filter_map(|e| match e {
            UpError::DependencyFailed { service, .. } => Some(service.clone()),
            _ => None,
        })
        .collect();
    if let Some(i) = errors
        .iter()
        .position(|e| !matches!(e, UpError::DependencyFailed { .. }))
    {
        let mut root = errors.swap_remove(i);
        if let UpError::JobFailed { held_back, .. } = &mut root {
            *held_back = spec
                .services
                .keys()
                .map(ToString::to_string)
                .filter(|s| blocked.contains(s))
                .collect();
        }
        return Err(root);
    }
    if let Some(e) = errors.into_iter().next() {
        return Err(e);
    }
    Ok(())
}

/// One service's part of `up`.
struct ServiceTask<'a> {
    name: String,
    /// Its dependencies, with their conditions and readiness.
    deps: Vec<(String, Condition, watch::Receiver<Ready>)>,
    /// Its own readiness, for its dependents.
    tx: watch::Sender<Ready>,
    d: &'a Desired,
    action: Action,
    /// The id of its existing container.
    existing: Option<String>,
    /// How many services that wait for nothing have yet to start.
    roots_rx: watch::Receiver<usize>,
    roots_tx: &'a watch::Sender<usize>,
    /// The stack's name.
    stack: &'a str,
    /// The shared proxy's network, when the spec has a proxy.
    proxy: Option<&'a str>,
}

impl ServiceTask<'_> {
    /// Runs the task, publishing its readiness (or failure) to its dependents.
    async fn run(
        self,
        engine: &Engine,
        opts: &UpOptions,
        events: Events<'_>,
    ) -> Result<(), UpError> {
        let is_root = self.deps.is_empty();
        // A root's start (or failure) is counted once.
        let started_once = std::sync::Once::new();
        let signal = || {
            if is_root {
                started_once.call_once(|| self.roots_tx.send_modify(|n| *n = n.saturating_sub(1)))
            }
        };
        let result = self.bring_up(engine, opts, events, &signal).await;
        signal();
        match result {
            Ok(state) => {
                let _ = self.tx.send(state);
                Ok(())
            }
            Err(e) => {
                let _ = self.tx.send(Ready::Failed);
                Err(e)
            }
        }
    }

    /// Creates (before its dependencies are ready), starts (once they are) and waits for
    /// the service; returns the readiness it reached. `signal` is called once it started.
    async fn bring_up(
        &self,
        engine: &Engine,
        opts: &UpOptions,
        events: Events<'_>,
        signal: &dyn Fn(),
    ) -> Result<Ready, UpError> {
        let (name, d, action) = (&self.name, self.d, &self.action);
        // A missing container is created before its dependencies are ready (not started),
        // in parallel with the others, so only its start waits for them (as Compose
        // does): creating the writable layer is not on the critical path. It waits only
        // for the services that wait for nothing to start.
        if !self.deps.is_empty() {
            let _ = self.roots_rx.clone().wait_for(|n| *n == 0).await;
        }
        let precreated = match (action, &self.existing) {
            (Action::Create { .. }, None) => {
                let id = create(engine, name, d).await?;
                tracing::debug!(service = %name, "created");
                Some(id)
            }
            _ => None,
        };
        wait_for_dependencies(name, self.deps.clone()).await?;
        let start = Instant::now();
        tracing::debug!(service = %name, "dependencies ready");
        if action.changes() {
            events(UpEvent::Step(action.clone()));
        }
        let id = self.start(engine, precreated, opts, events).await?;
        signal();
        tracing::debug!(service = %name, "started");
        let target = if d.compose.restart == "no" {
            Ready::Completed
        } else if d.compose.healthcheck.as_ref().is_some_and(|h| h.runs()) {
            Ready::Healthy
        } else {
            Ready::Started
        };
        if target != Ready::Healthy {
            let _ = self.tx.send(Ready::Started);
        }
        wait_ready(engine, name, &id, &target, d, opts.timeout).await?;
        if action.changes() {
            events(UpEvent::Ready(name.clone(), start.elapsed()));
        }
        Ok(target)
    }

    /// Carries out the step: keeps, starts or restarts the existing container, or starts
    /// the pre-created one, or removes the old one and creates and starts a new one.
    /// Returns the container's id.
    async fn start(
        &self,
        engine: &Engine,
        precreated: Option<String>,
        opts: &UpOptions,
        events: Events<'_>,
    ) -> Result<String, UpError> {
        Ok(match (&self.action, self.existing.clone()) {
            (Action::Keep { .. }, Some(id)) => id,
            (Action::Rollout { .. }, Some(old)) => {
                let names = super::rollout::Names {
                    stack: self.stack,
                    proxy: self.proxy,
                    service: &self.name,
                };
                super::rollout::start_first(engine, names, self.d, &old, opts, events).await?
            }
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
                    let id = create(engine, &self.name, self.d).await?;
                    start_created(engine, &id).await?;
                    id
                }
            },
        })
    }
}

/// Creates the container of `name` (attached to its networks), without starting it.
async fn create(engine: &Engine, name: &str, d: &Desired) -> Result<String, UpError> {
    create_named(engine, name, name, d, &|_| true).await
}

/// Creates a container named `container` for service `alias` without starting it, with
/// `alias` as its network alias on every network for which `aliased` says so: a
/// rollout's new container runs as `<service>-next` beside the old one and is given the
/// service's name on the proxy network only once it is healthy ([`connect_alias`]).
pub(super) async fn create_named(
    engine: &Engine,
    container: &str,
    alias: &str,
    d: &Desired,
    aliased: &(dyn Fn(&str) -> bool + Send + Sync),
) -> Result<String, UpError> {
    let endpoint = |network: &str| EndpointSettings {
        aliases: aliased(network).then(|| vec![alias.to_owned()]),
        ..Default::default()
    };
    let mut body = d.body.clone();
    // API 1.41 attaches one network at creation; the others are connected before start.
    let first = d.networks.first().cloned();
    body.networking_config = first.as_ref().map(|n| NetworkingConfig {
        endpoints_config: Some(HashMap::from([(n.clone(), endpoint(n))])),
    });
    if !engine.supports_start_interval() {
        if let Some(h) = body.healthcheck.as_mut() {
            h.start_interval = None;
        }
    }
    let created = engine
        .docker
        .create_container(
            Some(
                CreateContainerOptionsBuilder::default()
                    .name(container)
                    .build(),
            ),
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
                    endpoint_config: Some(endpoint(n)),
                },
            )
            .await
            .map_err(DockerError::api)?;
    }
    Ok(created.id)
}

/// Gives the running container `id` the network alias `alias` on `network`, by
/// disconnecting and connecting it again (the engine cannot change an endpoint's
/// aliases): only for a container that serves nothing on that network yet.
pub(super) async fn connect_alias(
    engine: &Engine,
    id: &str,
    network: &str,
    alias: &str,
) -> Result<(), UpError> {
    engine
        .docker
        .disconnect_network(
            network,
            bollard::models::NetworkDisconnectRequest {
                container: id.to_owned(),
                force: Some(false),
            },
        )
        .await
        .map_err(DockerError::api)?;
    engine
        .docker
        .connect_network(
            network,
            bollard::models::NetworkConnectRequest {
                container: id.to_owned(),
                endpoint_config: Some(EndpointSettings {
                    aliases: Some(vec![alias.to_owned()]),
                    ..Default::default()
                }),
            },
        )
        .await
        .map_err(DockerError::api)?;
    Ok(())
}

pub(super) async fn start_created(engine: &Engine, id: &str) -> Result<(), UpError> {
    engine
        .docker
        .start_container(id, None::<StartContainerOptions>)
        .await
        .map_err(DockerError::api)?;
    Ok(())
}

pub(super) async fn remove_container(
    engine: &Engine,
    id: &str,
    timeout_secs: i32,
) -> Result<(), DockerError> {
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
