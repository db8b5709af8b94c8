//! The verbs that operate the running stack, one async function each (one module per
//! verb). [`run`] loads the spec, connects to the engine and awaits the verb on a small
//! runtime; each verb converts its arguments, calls `banatie_infra_core::docker` and
//! prints. An engine that cannot be reached is exit 2 (stderr), before anything runs.
//!
//! `logs` and `exec` stream the container's own output and have no JSON form.

use banatie_infra_core::docker::Engine;
use banatie_infra_core::load::Loaded;
use clap::Subcommand;

use crate::failure::Failure;
use crate::printer::OutputFormat;
use crate::spec_arg::SpecArg;

pub(crate) mod backup;
pub(crate) mod doctor;
pub(crate) mod down;
pub(crate) mod drift;
pub(crate) mod exec;
pub(crate) mod logs;
pub(crate) mod plan;
pub(crate) mod releases;
pub(crate) mod restore;
pub(crate) mod rotate;
pub(crate) mod status;
pub(crate) mod up;
pub(crate) mod wait;

/// The Docker verbs.
#[derive(Subcommand)]
pub(crate) enum DockerCommand {
    /// Show every container of the stack: state, health, restarts, uptime, image, networks.
    /// Exit 1 when a service is missing, unhealthy or stopped (`starting` is not a failure).
    Status(status::Args),
    /// Block until the services (default: all) are healthy or completed.
    Wait(wait::Args),
    /// Print a service's logs.
    Logs(logs::Args),
    /// Run a command in a service's container; stdin and stdout are streamed and its exit
    /// code becomes ours.
    Exec(exec::Args),
    /// Compare the running engine with the spec. Exit 1 on any error-level difference.
    Drift(drift::Args),
    /// Back up the database (`backup db`) or the object storage (`backup storage`).
    Backup(backup::Args),
    /// Restore the database from a dump made by `backup db` (checksum verified first).
    Restore(restore::Args),
    /// Check userns-remap and the owners of bind-mounted data directories; print the exact
    /// `chown` needed (never run it).
    Doctor(doctor::Args),
    /// Show what `up` would do, each step with its reason. Changes nothing.
    Plan(plan::Args),
    /// Bring the stack to its spec and wait until every service is ready.
    ///
    /// Ready: a service's own health-check command passes (run through exec every 250 ms,
    /// so dependents start at once), a service without one runs, a job exited 0. The
    /// engine's health status turns `healthy` at its next scheduled check; run `wait`
    /// after `up` when a script reads `status` or `docker ps` next.
    Up(up::Args),
    /// Update the stack without dropping requests: `up`, with each changed app, worker or
    /// service rolled start-first (the new container starts beside the old one, takes
    /// traffic once its own health check passes, then the old one drains and stops). A
    /// new container that fails its check is removed and the old one keeps serving (exit
    /// 1). Databases, MinIO, jobs and services with a host port or a writable mount are
    /// recreated as `up` does; `plan --deploy` says which and why.
    Deploy(up::DeployArgs),
    /// List the releases recorded under the root (each `up`, `deploy` or `rollback` that
    /// changed something), newest first: id, verb, age, who, each service's image.
    Releases(releases::Args),
    /// Return to a recorded release (default: the one before the newest) through
    /// `deploy`'s start-first path: its spec rendered into the root again, each service on
    /// the image tag the release kept. Records a release of its own.
    Rollback(releases::RollbackArgs),
    /// Stop and remove the stack's containers (never data, never foreign containers).
    Down(down::Args),
}

/// What every Docker verb works on: the loaded spec and the engine.
pub(crate) struct Ctx {
    /// The spec, with its source for positions.
    pub(crate) loaded: Loaded,
    /// The connected engine.
    pub(crate) engine: Engine,
}

impl DockerCommand {
    /// Whether the verb plans or changes the running stack from the spec (`plan`, `up`,
    /// `deploy`, `rollback`, `restore`): those refuse a spec with validation errors. The
    /// others read (`status`, `logs`, `drift`, ...) or clean up (`down`) as it is.
    fn changes_stack(&self) -> bool {
        matches!(
            self,
            Self::Plan(_) | Self::Up(_) | Self::Deploy(_) | Self::Rollback(_) | Self::Restore(_)
        )
    }

    /// The spec argument and output format of the verb.
    fn spec_and_format(&self) -> (&SpecArg, OutputFormat) {
        let human = OutputFormat::Human;
        match self {
            Self::Status(a) => (&a.spec, a.format.format),
            Self::Wait(a) => (&a.spec, a.format.format),
            Self::Logs(a) => (&a.spec, human),
            Self::Exec(a) => (&a.spec, human),
            Self::Drift(a) => (&a.spec, a.format.format),
            Self::Backup(a) => (&a.spec, a.format.format),
            Self::Restore(a) => (&a.spec, a.format.format),
            Self::Doctor(a) => (&a.spec, a.format.format),
            Self::Plan(a) => (&a.spec, a.format.format),
            Self::Up(a) => (&a.spec, a.format.format),
            Self::Deploy(a) => (&a.up.spec, a.up.format.format),
            Self::Releases(a) => (&a.spec, a.format.format),
            Self::Rollback(a) => (&a.spec, a.format.format),
            Self::Down(a) => (&a.spec, a.format.format),
        }
    }
}

/// Loads the spec, connects, runs the verb.
pub(crate) fn run(cmd: DockerCommand) -> Result<(), Failure> {
    let (spec, format) = cmd.spec_and_format();
    let spec = spec.clone();
    let check = cmd.changes_stack();
    with_engine(&spec, format, check, |ctx| async move {
        let ctx = &ctx;
        match cmd {
            DockerCommand::Status(a) => status::run(ctx, a).await,
            DockerCommand::Wait(a) => wait::run(ctx, a).await,
            DockerCommand::Logs(a) => logs::run(ctx, a).await,
            DockerCommand::Exec(a) => exec::run(ctx, a).await,
            DockerCommand::Drift(a) => drift::run(ctx, a).await,
            DockerCommand::Backup(a) => backup::run(ctx, a).await,
            DockerCommand::Restore(a) => restore::run(ctx, a).await,
            DockerCommand::Doctor(a) => doctor::run(ctx, a).await,
            DockerCommand::Plan(a) => plan::run(ctx, a).await,
            DockerCommand::Up(a) => up::run(ctx, a).await,
            DockerCommand::Deploy(a) => up::deploy(ctx, a).await,
            DockerCommand::Releases(a) => releases::run(ctx, a).await,
            DockerCommand::Rollback(a) => releases::rollback(ctx, a).await,
            DockerCommand::Down(a) => down::run(ctx, a).await,
        }
    })
}

/// Loads `spec` (with `check`, a spec with validation errors is its diagnostics, as
/// `validate` prints them, and exit 1: nothing is planned or changed from it), connects
/// to the engine and awaits `verb` with them on a small runtime: what every Docker verb
/// (and `secrets rotate`) starts with.
pub(crate) fn with_engine<F, Fut>(
    spec: &SpecArg,
    format: OutputFormat,
    check: bool,
    verb: F,
) -> Result<(), Failure>
where
    F: FnOnce(Ctx) -> Fut,
    Fut: std::future::Future<Output = Result<(), Failure>>,
{
    let loaded = spec.load(format)?;
    if check {
        let mut diags = banatie_infra_core::validate::validate(&loaded.spec);
        if banatie_infra_core::diagnostic::has_errors(&diags) {
            loaded.source.annotate(&mut diags);
            let sources = [(loaded.source.name.as_str(), loaded.source.text.as_str())];
            crate::printer::print_diagnostics(&diags, &sources, format, true);
            return Err(Failure::Findings);
        }
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Failure::Input(format!("cannot start the async runtime: {e}")))?;
    rt.block_on(async move {
        let engine = Engine::connect().await.map_err(docker_err)?;
        verb(Ctx { loaded, engine }).await
    })
}

/// An engine error as an input failure (exit 2).
pub(crate) fn docker_err(e: impl std::fmt::Display) -> Failure {
    Failure::Input(e.to_string())
}

/// `--lock-wait DURATION` of the verbs that change the running stack (`up`, `down`,
/// `restore`).
#[derive(clap::Args)]
pub(crate) struct LockArg {
    /// How long to wait for another run's lock on the deployment root (seconds, or a
    /// duration: `30s`, `2m`; `0` fails at once). Default: `BANATIE_LOCK_WAIT`, else 60 s.
    #[arg(long, value_name = "DURATION", value_parser = banatie_infra_core::lock::parse_wait)]
    lock_wait: Option<std::time::Duration>,
}

impl LockArg {
    /// Takes the root's lock and the stack's engine-wide lock for `verb` (both held until
    /// dropped). A root that does not exist yet holds nothing to protect: no root lock. A
    /// lock held by another run for the whole wait is BI705, naming the holder (pid, host,
    /// verb, since when), exit 2.
    pub(crate) fn hold(
        &self,
        root: &std::path::Path,
        stack: &str,
        verb: &str,
    ) -> Result<banatie_infra_core::lock::StackLocks, Failure> {
        use banatie_infra_core::lock::{default_wait, hold};
        let wait = self.lock_wait.unwrap_or_else(default_wait);
        hold(root, stack, verb, wait).map_err(|e| match e.code() {
            Some(code) => Failure::Coded {
                code,
                message: e.to_string(),
                help: e.help(),
            },
            None => Failure::Input(e.to_string()),
        })
    }
}

/// The deployment root of a verb: `--root`, else the spec's `stack.root`.
pub(crate) fn root_or_spec(root: Option<std::path::PathBuf>, ctx: &Ctx) -> std::path::PathBuf {
    root.unwrap_or_else(|| std::path::PathBuf::from(ctx.loaded.spec.stack.root().as_str()))
}

/// Writes a chunk of a container's output to our stdout or stderr, unchanged (a closed
/// stdout ends the program quietly).
pub(crate) fn write_chunk(stream: banatie_infra_core::docker::ExecOutput, chunk: &[u8]) {
    use banatie_infra_core::docker::ExecOutput;
    use std::io::Write;
    match stream {
        ExecOutput::Stdout => {
            let mut o = std::io::stdout().lock();
            if o.write_all(chunk).and_then(|()| o.flush()).is_err() {
                std::process::exit(0);
            }
        }
        ExecOutput::Stderr => {
            let _ = std::io::stderr().write_all(chunk);
        }
    }
}
