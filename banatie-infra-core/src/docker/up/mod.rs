//! `plan`, `up` and `down`: bring the stack described by the spec to a healthy state
//! through the Engine API, idempotently, and take it down again.
//!
//! The container of each service is derived from the same typed Compose model that
//! `render` writes ([`crate::render::compose`]), with the env files of the deployment root
//! read in, so `up` and `docker compose up` on the rendered bundle run the same thing. A
//! hash of that configuration is stored in a label; a container whose hash matches is
//! never recreated.
//!
//! The modules, in the order `up` uses them: [`desired`] derives each service's container
//! from the spec and the env files; [`plan`] compares it with the engine; [`containers`]
//! creates networks, images, data directories and containers; [`readiness`] waits for a
//! started service to be ready and for a service's dependencies; [`mod@down`] removes
//! the stack again.

mod containers;
mod context;
mod desired;
mod down;
mod images;
mod plan;
mod readiness;
mod rollout;

use std::path::{Path, PathBuf};
use std::time::Duration;

pub(crate) use desired::image_refs;
pub use down::{down, DownReport};
pub use images::{PullPolicy, PullProgress};
pub(crate) use plan::is_job;
pub use plan::{plan, Action, Plan};
pub use rollout::{reconcile_leftovers, rollout_blocker, Leftover, DEFAULT_DRAIN};

use super::{DockerError, Engine};
use crate::spec::Spec;

/// The label holding the hash of a container's configuration.
pub const CONFIG_HASH_LABEL: &str = "io.banatie-infra.config-hash";
/// The label holding the public part of a container's configuration (the Compose
/// service, JSON), so `plan` can name the fields that changed. No env-file values.
pub const CONFIG_LABEL: &str = "io.banatie-infra.config";

/// Why `plan`, `up` or `down` failed.
#[derive(Debug, thiserror::Error)]
pub enum UpError {
    /// The spec has validation errors ([`crate::validate::validate`]): nothing was
    /// planned or changed. The diagnostics (errors and warnings) are included.
    #[error("the spec has {} error(s); first: {}", .0.iter().filter(|d| d.is_error()).count(), .0.iter().find(|d| d.is_error()).map_or(String::new(), |d| format!("{} {}", d.code, d.message)))]
    Invalid(Vec<crate::diagnostic::Diagnostic>),
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
    /// An image is missing, has no build, and may not be pulled (`--pull never`).
    #[error("image `{image}` of `{service}` is not on this engine: {hint}")]
    MissingImage {
        /// The service.
        service: String,
        /// The image.
        image: String,
        /// What to do.
        hint: String,
    },
    /// Pulling an image failed: the registry refused (credentials, a missing tag) or
    /// could not be reached. Never holds a credential.
    #[error("pulling `{image}` of `{service}` from {registry} failed: {reason}\n  hint: {hint}")]
    Pull {
        /// The service.
        service: String,
        /// The image reference.
        image: String,
        /// The registry host (`docker.io` for Docker Hub).
        registry: String,
        /// The engine's (or the credential helper's) reason.
        reason: String,
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
    /// A one-shot job exited non-zero; its logs are included. The services that wait for
    /// it were neither started nor changed (a running container of theirs still serves).
    #[error("job `{service}` exited with code {code}{}; its output:\n{logs}", if held_back.is_empty() { String::new() } else { format!("; not started or changed, so their running containers still serve: {}", held_back.join(", ")) })]
    JobFailed {
        /// The job.
        service: String,
        /// Its exit code.
        code: i64,
        /// The end of its logs.
        logs: String,
        /// The services held back because they wait for it (directly or not).
        held_back: Vec<String>,
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
    /// The engine marked a service `unhealthy`: its health check failed `retries` times
    /// in a row after its start period.
    #[error("`{service}` is unhealthy: its health check failed its retries in a row after its start period{}", output.as_deref().map(|o| format!("; last health-check output: {o}")).unwrap_or_default())]
    Unhealthy {
        /// The service.
        service: String,
        /// The last health-check output.
        output: Option<String>,
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
    #[error("a container named `{0}` exists and is not part of stack `{1}`: it was left alone; rename or remove it yourself, then run the command again")]
    Foreign(String, String),
    /// `deploy`'s new container of a service did not become ready: it was removed and the
    /// old one, never stopped, still serves.
    #[error("`{service}`: the new container did not become ready, so it was removed and the old one still serves: {cause}")]
    RolloutFailed {
        /// The service.
        service: String,
        /// Why the new container failed.
        cause: Box<UpError>,
    },
    /// A dependency failed, so this service was not started.
    #[error("`{service}` was not started: dependency `{dependency}` failed")]
    DependencyFailed {
        /// The service.
        service: String,
        /// The dependency.
        dependency: String,
    },
}

/// An event of `up`, for a caller that shows progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UpEvent {
    /// A step started.
    Step(Action),
    /// A line of build output.
    BuildOutput(String, String),
    /// Progress of one layer of a pull.
    Pull(PullProgress),
    /// A `<service>-next` container an interrupted deploy left was settled.
    Leftover(Leftover),
    /// A release was recorded (its id), after a run that changed something.
    Recorded(String),
    /// `deploy`: the new container of a service is ready beside the old one, which now
    /// drains for `drain` and then stops.
    Switched {
        /// The service.
        service: String,
        /// How long the new container took to become ready.
        healthy_after: Duration,
        /// How long the old one keeps serving.
        drain: Duration,
    },
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
    /// When to pull the images that are not built here. Default: [`PullPolicy::Missing`].
    pub pull: PullPolicy,
    /// Roll changed services start-first ([`deploy`] sets it). Default `false`.
    pub start_first: bool,
    /// How long a rolled service's old container serves beside the new, healthy one
    /// before it stops. Default [`DEFAULT_DRAIN`] (3 s).
    pub drain: Duration,
    /// Services that run this image reference instead of the spec's (no build, no pull
    /// beyond what the policy says): `rollback` pins a release's tags. Default: none.
    pub pins: std::collections::BTreeMap<String, String>,
    /// Record a release after a run that changed something (`rollback` records its own).
    /// Default `true`.
    pub record: bool,
    /// How many releases to keep. Default [`crate::docker::releases::DEFAULT_KEEP`] (5).
    pub keep_releases: usize,
}

impl Default for UpOptions {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(300),
            build: false,
            pull: PullPolicy::Missing,
            start_first: false,
            drain: DEFAULT_DRAIN,
            pins: Default::default(),
            record: true,
            keep_releases: crate::docker::releases::DEFAULT_KEEP,
        }
    }
}

/// Brings the stack to its spec: creates the networks (internal ones internal), builds
/// missing images through the engine's build API (the context streamed, `.dockerignore`
/// applied, build args passed) and pulls the others as `opts.pull` says (with the Docker
/// client's credentials), then plans each service against the images it now has (a
/// container of an older image is recreated), creates the data directories, and
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
/// Errors: [`UpError`]; a spec with validation errors is [`UpError::Invalid`] before
/// anything is done; a failing job stops `up` with its logs; a service that never
/// becomes healthy stops it at `opts.timeout` with its last health output.
pub async fn up(
    engine: &Engine,
    spec: &Spec,
    root: &Path,
    opts: &UpOptions,
    events: &(dyn Fn(UpEvent) + Send + Sync),
) -> Result<Plan, UpError> {
    refuse_invalid(spec)?;
    let want = desired::desired_pinned(spec, root, &opts.pins)?;
    for l in rollout::reconcile_leftovers(engine, spec).await? {
        events(UpEvent::Leftover(l));
    }
    let mut actions = plan::network_actions(engine, spec).await?;
    // Images first: a pull or build that fails leaves nothing created.
    let image_actions = images::ensure_images(engine, &want, opts, events).await?;
    containers::ensure_networks(engine, spec, events).await?;
    actions.extend(image_actions);
    actions.extend(plan::service_actions(engine, spec, &want).await?);
    let mut plan = Plan { actions };
    if opts.start_first {
        plan = plan.for_deploy(spec);
    }
    containers::create_data_dirs(spec, root)?;
    containers::start_services(engine, spec, &plan, &want, opts, events).await?;
    if opts.record && !plan.is_noop() {
        let verb = if opts.start_first { "deploy" } else { "up" };
        let r = crate::docker::releases::record(engine, spec, root, verb, None, opts.keep_releases)
            .await?;
        events(UpEvent::Recorded(r.id));
    }
    Ok(plan)
}

/// [`UpError::Invalid`] when `spec` has validation errors: nothing is planned or run
/// from a spec that `validate` rejects (a dependency on no service, a migration its app
/// does not wait for).
pub(super) fn refuse_invalid(spec: &Spec) -> Result<(), UpError> {
    let found = crate::validate::validate(spec);
    if crate::diagnostic::has_errors(&found) {
        return Err(UpError::Invalid(found));
    }
    Ok(())
}

/// `deploy`: [`up`] with every changed service that can run twice rolled start-first
/// ([`Plan::for_deploy`], the sequence in `rollout`'s module doc), so the shared Caddy
/// keeps answering through the update. A new container that fails its health check is
/// removed and the old one keeps serving ([`UpError::RolloutFailed`]); services that
/// cannot run twice are recreated as `up` recreates them. `opts.start_first` is set.
pub async fn deploy(
    engine: &Engine,
    spec: &Spec,
    root: &Path,
    opts: &UpOptions,
    events: &(dyn Fn(UpEvent) + Send + Sync),
) -> Result<Plan, UpError> {
    let opts = UpOptions {
        start_first: true,
        ..opts.clone()
    };
    up(engine, spec, root, &opts, events).await
}
