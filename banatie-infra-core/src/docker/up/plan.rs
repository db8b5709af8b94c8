//! The plan: what `up` would do, each step with its reason, from comparing the desired
//! state ([`super::desired`]) with the engine's networks, images and containers.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use bollard::models::ContainerInspectResponse;
use bollard::query_parameters::InspectNetworkOptions;

use super::desired::{desired, Desired};
use super::{UpError, CONFIG_HASH_LABEL, CONFIG_LABEL};
use crate::docker::status::find;
use crate::docker::{DockerError, Engine};
use crate::render::label;
use crate::spec::Spec;

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
    /// Pull an image from its registry.
    Pull {
        /// The service.
        service: String,
        /// The image reference.
        image: String,
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
    /// Roll the service onto a new container start-first (`deploy`): the new one starts
    /// beside the old and takes traffic once healthy; the old one drains and stops.
    Rollout {
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

/// One line: the step, what it is on, and why (`recreate api (config changed: image)`,
/// `pull api <- example/api:1.2`). The CLI aligns the first word in a column.
impl std::fmt::Display for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Action::CreateNetwork { network, internal } => write!(
                f,
                "create network {network}{}",
                if *internal { " (internal)" } else { "" }
            ),
            Action::Pull { service, image } => write!(f, "pull {service} <- {image}"),
            Action::Build { service, image } => write!(f, "build {service} -> {image}"),
            Action::Create { service } => write!(f, "create {service} (missing)"),
            Action::Recreate { service, reason } => write!(f, "recreate {service} ({reason})"),
            Action::Rollout { service, reason } => {
                write!(f, "rollout {service} ({reason}; start-first)")
            }
            Action::Start { service, reason } => write!(f, "start {service} ({reason})"),
            Action::Restart { service, because } => {
                write!(f, "restart {service} (dependency {because} is recreated)")
            }
            Action::Keep { service } => write!(f, "keep {service}"),
        }
    }
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
    /// The plan `deploy` carries out instead of `up`'s: each recreated service that can run
    /// twice ([`super::rollout::rollout_blocker`]) rolls start-first, so its dependents keep
    /// running (they reach the new container by the same name); the others are recreated,
    /// their reason saying why they do not roll.
    pub fn for_deploy(self, spec: &Spec) -> Plan {
        let mut rolled = HashSet::new();
        let mut actions: Vec<Action> = self
            .actions
            .into_iter()
            .map(|a| match a {
                // A job runs again (before its dependents): nothing to roll, nothing to say.
                Action::Recreate { service, reason } if is_job(spec, &service) => {
                    Action::Recreate { service, reason }
                }
                Action::Recreate { service, reason } => {
                    match super::rollout::rollout_blocker(spec, &service) {
                        None => {
                            rolled.insert(service.clone());
                            Action::Rollout { service, reason }
                        }
                        Some(why) => Action::Recreate {
                            reason: format!("{reason}; recreated, not rolled: {why}"),
                            service,
                        },
                    }
                }
                a => a,
            })
            .collect();
        for a in &mut actions {
            if let Action::Restart { service, because } = a {
                if rolled.contains(because.as_str()) {
                    *a = Action::Keep {
                        service: service.clone(),
                    };
                }
            }
        }
        Plan { actions }
    }

    /// Whether `up` has nothing to do.
    pub fn is_noop(&self) -> bool {
        self.actions.iter().all(|a| !a.changes())
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
/// [`up`](super::up) would do, each step with its reason: networks to create, images to
/// build or pull (those the engine lacks, under the default [`super::PullPolicy`]), then
/// one step per service. Changes nothing.
pub async fn plan(engine: &Engine, spec: &Spec, root: &Path) -> Result<Plan, UpError> {
    super::refuse_invalid(spec)?;
    let want = desired(spec, root)?;
    let mut actions = network_actions(engine, spec).await?;
    for (name, d) in super::images::image_owners(&want) {
        if engine.docker.inspect_image(&d.image).await.is_err() {
            let (service, image) = (name.clone(), d.image.clone());
            actions.push(match d.build {
                Some(_) => Action::Build { service, image },
                None => Action::Pull { service, image },
            });
        }
    }
    actions.extend(service_actions(engine, spec, &want).await?);
    Ok(Plan { actions })
}

/// One step per service, in spec order: create, recreate (the configuration or the
/// image changed), start, restart (a dependency is recreated) or keep.
pub(super) async fn service_actions(
    engine: &Engine,
    spec: &Spec,
    want: &BTreeMap<String, Desired>,
) -> Result<Vec<Action>, UpError> {
    let (owned, _) = find(engine, spec).await?;
    let mut recreated: HashSet<String> = HashSet::new();
    let mut per_service: BTreeMap<String, Action> = BTreeMap::new();
    for (name, d) in want {
        let action = match owned.get(name) {
            None => Action::Create {
                service: name.clone(),
            },
            Some(c) => {
                let image_id = engine
                    .docker
                    .inspect_image(&d.image)
                    .await
                    .ok()
                    .and_then(|i| i.id);
                container_action(spec, name, d, c, image_id.as_deref())?
            }
        };
        if matches!(action, Action::Create { .. } | Action::Recreate { .. }) {
            recreated.insert(name.clone());
        }
        per_service.insert(name.clone(), action);
    }
    restart_dependents(spec, &recreated, &mut per_service);
    Ok(spec
        .services
        .keys()
        .filter_map(|name| per_service.remove(name.as_str()))
        .collect())
}

/// A network to create for each of the spec's own networks the engine does not have.
pub(super) async fn network_actions(engine: &Engine, spec: &Spec) -> Result<Vec<Action>, UpError> {
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
    Ok(actions)
}

/// The step for service `name` whose container `c` exists: recreate it when its
/// configuration hash differs (naming the changed fields), start it when it is stopped
/// (or a job that did not complete), keep it otherwise. A container of another stack is
/// [`UpError::Foreign`]. `image_id` is the engine's current image of the reference (when
/// it has one): a container made from another image (a rebuilt or newly pulled tag) is
/// recreated, as Compose recreates it.
fn container_action(
    spec: &Spec,
    name: &str,
    d: &Desired,
    c: &ContainerInspectResponse,
    image_id: Option<&str>,
) -> Result<Action, UpError> {
    let name = name.to_owned();
    let labels = c
        .config
        .as_ref()
        .and_then(|c| c.labels.clone())
        .unwrap_or_default();
    if labels.get(label::STACK).map(String::as_str) != Some(spec.stack.name.as_str()) {
        return Err(UpError::Foreign(name, spec.stack.name.to_string()));
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
        return Ok(Action::Recreate {
            service: name,
            reason,
        });
    }
    if let (Some(now), Some(was)) = (image_id, c.image.as_deref()) {
        if now != was {
            let short = |id: &str| {
                id.trim_start_matches("sha256:")
                    .chars()
                    .take(12)
                    .collect::<String>()
            };
            return Ok(Action::Recreate {
                reason: format!(
                    "image changed: {} is now {} (the container runs {})",
                    d.image,
                    short(now),
                    short(was)
                ),
                service: name,
            });
        }
    }
    let st = c.state.clone().unwrap_or_default();
    let running = st.running.unwrap_or(false);
    let is_job = d.compose.restart == "no";
    Ok(
        if running
            || (is_job
                && st.exit_code == Some(0)
                && st.status.map(|s| s.to_string()) == Some("exited".into()))
        {
            Action::Keep { service: name }
        } else if is_job {
            Action::Start {
                service: name,
                reason: format!("job last exited with code {}", st.exit_code.unwrap_or(-1)),
            }
        } else {
            Action::Start {
                service: name,
                reason: "stopped".into(),
            }
        },
    )
}

/// Whether `service` is a one-shot job.
pub(crate) fn is_job(spec: &Spec, service: &str) -> bool {
    spec.services
        .get(service)
        .is_some_and(|s| s.kind() == crate::spec::ServiceKind::Job)
}

/// Turns the kept dependents of a recreated service into restarts (transitively), except
/// through a `completed` dependency: a job that runs again restarts nothing.
fn restart_dependents(
    spec: &Spec,
    recreated: &HashSet<String>,
    per_service: &mut BTreeMap<String, Action>,
) {
    // Dependents of a recreated service restart (transitively).
    let mut changed = true;
    while changed {
        changed = false;
        for (name, svc) in &spec.services {
            let n = name.to_string();
            if !matches!(per_service.get(&n), Some(Action::Keep { .. })) {
                continue;
            }
            // A job that runs again (a migration, a storage init) leaves its dependents
            // running: they wait for its completion only to start.
            if let Some(dep) = svc
                .depends_on()
                .iter()
                .filter(|(_, c)| **c != crate::spec::Condition::Completed)
                .map(|(d, _)| d)
                .find(|d| {
                    recreated.contains(d.as_str())
                        || matches!(per_service.get(d.as_str()), Some(Action::Restart { .. }))
                })
            {
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
}
