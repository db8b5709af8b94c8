//! The start-first rollout of `deploy`: a changed service's new container starts beside
//! the old one and takes traffic only once its own health check passes; the old one then
//! drains and stops with its grace period. A failed health check removes the new container
//! and leaves the old one serving.
//!
//! How traffic moves: the new container starts as `<service>-next`, with the service's name
//! as its network alias on the internal networks but not yet on the proxy network, so
//! Caddy cannot reach it while it starts. Once its own health check passes it is connected
//! to the proxy network again with the service's name (it serves nothing there yet, so
//! nothing is cut), and Docker's embedded DNS answers the name with both addresses while
//! both run (Caddy's `reverse_proxy api:3000` dials whichever it gets; Go's
//! resolver caches nothing). The old container serves until it is stopped: first the drain
//! (`UpOptions::drain`, default 3 s, during which both serve), then `docker stop` with the
//! service's `stop_grace_period` (SIGTERM: a server stops accepting and finishes what it
//! has). The engine drops the stopped container's DNS records, so later dials reach the new
//! one; a dial that races the stop is refused and retried by Caddy within the site's
//! `lb_try_duration`, which the rendered site blocks set for this window. The new container
//! is then renamed to the service's name. (Disconnecting the old container from the proxy
//! network instead would cut the requests it is still answering: its address disappears
//! under them.)
//!
//! Which services roll ([`rollout_blocker`]): an `app`, `worker` or generic `service` that
//! publishes no host port (two containers cannot bind one) and mounts nothing writable (two
//! writers of one directory are not safe to assume). PostgreSQL, MinIO and one-shot jobs
//! are recreated, as `up` does, and the plan says why.

use std::time::{Duration, Instant};

use bollard::query_parameters::RenameContainerOptionsBuilder;

use super::containers::{connect_alias, create_named, remove_container, start_created};
use super::desired::Desired;
use super::readiness::{wait_ready, Ready};
use super::{UpError, UpEvent, UpOptions};
use crate::docker::{DockerError, Engine};
use crate::render::label;
use crate::spec::{Service, ServiceKind, Spec};

/// Why `deploy` recreates `service` instead of rolling it start-first, or `None` when it
/// rolls.
pub fn rollout_blocker(spec: &Spec, service: &str) -> Option<String> {
    let svc = spec.services.iter().find(|(n, _)| n.as_str() == service)?.1;
    let kind = svc.kind();
    match kind {
        ServiceKind::App | ServiceKind::Worker | ServiceKind::Generic => {}
        ServiceKind::Postgres => {
            return Some("a database cannot run twice on one data directory".into())
        }
        ServiceKind::Minio => return Some("MinIO cannot run twice on its drives".into()),
        ServiceKind::Job => {
            return Some("a one-shot job runs to its end, it serves nothing".into())
        }
    }
    if let Some(p) = published_port(svc) {
        return Some(format!(
            "it publishes host port {p}: two containers cannot bind it"
        ));
    }
    if let Some(m) = svc.mounts().0.into_iter().find(|m| !m.read_only) {
        return Some(format!(
            "it mounts `{}` writable: two containers would write it at once",
            m.target
        ));
    }
    None
}

/// The first host port `svc` publishes, if any.
fn published_port(svc: &Service) -> Option<String> {
    svc.publish().first().map(|p| p.host.to_string())
}

/// The temporary name of the new container while both run.
pub(super) fn next_name(service: &str) -> String {
    format!("{service}-next")
}

/// Who is rolled: the stack, its proxy network, the service.
pub(super) struct Names<'a> {
    /// The stack's name (the label a leftover `-next` container must carry).
    pub(super) stack: &'a str,
    /// The shared proxy's network.
    pub(super) proxy: Option<&'a str>,
    /// The service.
    pub(super) service: &'a str,
}

/// Rolls `names.service` onto a new container of `d`, start-first; `old` is the running one.
/// Returns the new container's id (already healthy, renamed to `name`). Errors:
/// [`UpError::RolloutFailed`] when the new container does not become ready (it is removed;
/// the old one was never touched).
pub(super) async fn start_first(
    engine: &Engine,
    names: Names<'_>,
    d: &Desired,
    old: &str,
    opts: &UpOptions,
    events: &(dyn Fn(UpEvent) + Send + Sync),
) -> Result<String, UpError> {
    let Names {
        stack,
        proxy,
        service: name,
    } = names;
    let next = next_name(name);
    clear_leftover(engine, stack, &next).await?;
    // The proxy network gets the service's name only once the new container is ready, so
    // Caddy never reaches one that is still starting (or never becomes healthy). On the
    // internal networks it has the name from the start: its peers are the stack's own.
    let on_proxy = |network: &str| proxy.is_some_and(|p| p == network);
    let id = create_named(engine, &next, name, d, &|n| !on_proxy(n)).await?;
    start_created(engine, &id).await?;
    let target = if d.compose.healthcheck.as_ref().is_some_and(|h| h.runs()) {
        Ready::Healthy
    } else {
        Ready::Started
    };
    let started = Instant::now();
    if let Err(cause) = wait_ready(engine, name, &id, &target, d, opts.timeout).await {
        let _ = remove_container(engine, &id, 0).await;
        return Err(UpError::RolloutFailed {
            service: name.into(),
            cause: Box::new(cause),
        });
    }
    for network in d.networks.iter().filter(|n| on_proxy(n)) {
        if let Err(e) = connect_alias(engine, &id, network, name).await {
            let _ = remove_container(engine, &id, 0).await;
            return Err(UpError::RolloutFailed {
                service: name.into(),
                cause: Box::new(e),
            });
        }
    }
    events(UpEvent::Switched {
        service: name.into(),
        healthy_after: started.elapsed(),
        drain: opts.drain,
    });
    tokio::time::sleep(opts.drain).await;
    let grace = d
        .compose
        .stop_grace_period
        .as_deref()
        .and_then(|g| g.parse::<crate::types::Duration>().ok())
        .map_or(10, |g| g.to_std().as_secs().max(1) as i32);
    remove_container(engine, old, grace).await?;
    engine
        .docker
        .rename_container(
            &id,
            RenameContainerOptionsBuilder::default().name(name).build(),
        )
        .await
        .map_err(DockerError::api)?;
    Ok(id)
}

/// Removes a `<service>-next` container left by an interrupted deploy, when it is this
/// stack's; a foreign container of that name is [`UpError::Foreign`].
async fn clear_leftover(engine: &Engine, stack: &str, next: &str) -> Result<(), UpError> {
    let Some(c) = inspect(engine, next).await? else {
        return Ok(());
    };
    if !owned_by(&c, stack) {
        return Err(UpError::Foreign(next.into(), stack.into()));
    }
    if let Some(id) = c.id {
        remove_container(engine, &id, 0).await?;
    }
    Ok(())
}

/// How long `deploy` lets the old container serve beside the new, healthy one before it
/// stops it: 3 s.
pub const DEFAULT_DRAIN: Duration = Duration::from_secs(3);

/// What [`reconcile_leftovers`] did with a `<service>-next` container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Leftover {
    /// Removed: the service's own container still runs (an interrupted deploy that had not
    /// switched yet, or a `-next` that never became ready).
    Removed(String),
    /// Kept and renamed to the service: the old container was already stopped, so the
    /// `-next` one was the only one serving (a deploy interrupted after its switch).
    Finished(String),
}

/// Settles the `<service>-next` containers of this stack that an interrupted `deploy`
/// left (run under the root's lock, so no deploy is in progress): removed when the
/// service's own container runs, else renamed to the service (the switch finished).
/// Foreign containers of that name are left alone. Called at the start of `up`,
/// `deploy` and `rollback`, and by the CLI when a deploy is interrupted.
pub async fn reconcile_leftovers(engine: &Engine, spec: &Spec) -> Result<Vec<Leftover>, UpError> {
    let stack = spec.stack.name.as_str();
    let mut out = Vec::new();
    for name in spec.services.keys() {
        let name = name.as_str();
        let Some(next) = inspect(engine, &next_name(name)).await? else {
            continue;
        };
        if !owned_by(&next, stack) {
            continue;
        }
        let Some(next_id) = next.id.clone() else {
            continue;
        };
        let running = |c: &bollard::models::ContainerInspectResponse| {
            c.state.as_ref().and_then(|s| s.running).unwrap_or(false)
        };
        let main = inspect(engine, name).await?;
        if main.as_ref().is_some_and(running) || !running(&next) {
            remove_container(engine, &next_id, 0).await?;
            out.push(Leftover::Removed(name.into()));
            continue;
        }
        if let Some(id) = main.and_then(|m| m.id) {
            remove_container(engine, &id, 0).await?;
        }
        engine
            .docker
            .rename_container(
                &next_id,
                RenameContainerOptionsBuilder::default().name(name).build(),
            )
            .await
            .map_err(DockerError::api)?;
        out.push(Leftover::Finished(name.into()));
    }
    Ok(out)
}

/// The container named `name`, if any.
async fn inspect(
    engine: &Engine,
    name: &str,
) -> Result<Option<bollard::models::ContainerInspectResponse>, UpError> {
    match engine
        .docker
        .inspect_container(
            name,
            None::<bollard::query_parameters::InspectContainerOptions>,
        )
        .await
    {
        Ok(c) => Ok(Some(c)),
        Err(bollard::errors::Error::DockerResponseServerError {
            status_code: 404, ..
        }) => Ok(None),
        Err(e) => Err(DockerError::api(e).into()),
    }
}

/// Whether container `c` carries this stack's label.
fn owned_by(c: &bollard::models::ContainerInspectResponse, stack: &str) -> bool {
    c.config
        .as_ref()
        .and_then(|c| c.labels.as_ref())
        .and_then(|l| l.get(label::STACK))
        .is_some_and(|s| s == stack)
}
