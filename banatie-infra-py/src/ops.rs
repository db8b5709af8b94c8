//! The verbs that change the running stack (core `docker::up`, `releases`, `rotate`):
//! `plan`, `up`, `deploy`, `releases`, `rollback`, `rotate_secret`.
//!
//! Each takes the root's and the stack's locks for its whole run as the CLI does
//! (`lock_wait` seconds, default `BANATIE_LOCK_WAIT` else 60), releases the GIL, honours
//! Ctrl-C (see `docker::block_on`), and reports progress to an optional `on_event`
//! callback with one dict per event (the GIL taken for each call). A callback that is not
//! callable is a `TypeError` before anything runs; an exception the callback raises is
//! raised once the operation has ended, with a note saying whether the operation itself
//! completed (it is not cut short: a deploy half done is worse than a late error).

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use banatie_infra_core::docker::releases as core_releases;
use banatie_infra_core::docker::rotate::RotateOptions;
use banatie_infra_core::docker::{self, Engine, Leftover, PullPolicy, UpEvent, UpOptions};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::docker::{block_on, connect, to_python};
use crate::errors::{guard, lock_error, release_error, rotate_error, up_error};
use crate::spec::PySpec;

/// Seconds as a `Duration`; `ValueError` naming `what` when negative or not finite.
fn seconds(what: &str, s: f64) -> PyResult<Duration> {
    Duration::try_from_secs_f64(s).map_err(|_| {
        PyValueError::new_err(format!(
            "{what} must be a finite number of seconds >= 0, not {s}"
        ))
    })
}

/// The deployment root: `root`, else the spec's `stack.root`.
fn root_of(spec: &PySpec, root: Option<PathBuf>) -> PathBuf {
    root.unwrap_or_else(|| PathBuf::from(spec.spec.stack.root().as_str()))
}

/// One event as the dict `on_event` receives: ``{"event": ..., ...}``.
fn event_dict<'py>(py: Python<'py>, e: &UpEvent) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    match e {
        UpEvent::Step(a) => {
            d.set_item("event", "step")?;
            d.set_item("step", to_python(py, a)?)?;
        }
        UpEvent::BuildOutput(service, line) => {
            d.set_item("event", "build_output")?;
            d.set_item("service", service)?;
            d.set_item("line", line)?;
        }
        UpEvent::Pull(p) => {
            d.set_item("event", "pull")?;
            d.set_item("service", &p.service)?;
            d.set_item("image", &p.image)?;
            d.set_item("layer", &p.layer)?;
            d.set_item("status", &p.status)?;
            d.set_item("current", p.current)?;
            d.set_item("total", p.total)?;
        }
        UpEvent::Leftover(l) => {
            let (what, name) = match l {
                Leftover::Removed(n) => ("removed", n),
                Leftover::Finished(n) => ("finished", n),
            };
            d.set_item("event", "leftover")?;
            d.set_item("outcome", what)?;
            d.set_item("container", name)?;
        }
        UpEvent::Recorded(id) => {
            d.set_item("event", "recorded")?;
            d.set_item("release", id)?;
        }
        UpEvent::Switched {
            service,
            healthy_after,
            drain,
        } => {
            d.set_item("event", "switched")?;
            d.set_item("service", service)?;
            d.set_item("healthy_after", healthy_after.as_secs_f64())?;
            d.set_item("drain", drain.as_secs_f64())?;
        }
        UpEvent::Ready(service, t) => {
            d.set_item("event", "ready")?;
            d.set_item("service", service)?;
            d.set_item("seconds", t.as_secs_f64())?;
        }
    }
    Ok(d)
}

/// Delivers events to the callback and remembers the release recorded and the first
/// exception the callback raised.
struct Events {
    callback: Option<Py<PyAny>>,
    release: Mutex<Option<String>>,
    raised: Mutex<Option<PyErr>>,
}

impl Events {
    /// The events of one call; `TypeError` when `callback` is given and not callable
    /// (checked before anything runs).
    fn new(py: Python<'_>, callback: Option<Py<PyAny>>) -> PyResult<Self> {
        if let Some(cb) = &callback {
            if !cb.bind(py).is_callable() {
                return Err(pyo3::exceptions::PyTypeError::new_err(format!(
                    "on_event must be callable, not {}",
                    cb.bind(py).get_type().name()?
                )));
            }
        }
        Ok(Self {
            callback,
            release: Mutex::new(None),
            raised: Mutex::new(None),
        })
    }

    fn on(&self, e: UpEvent) {
        if let UpEvent::Recorded(id) = &e {
            if let Ok(mut r) = self.release.lock() {
                *r = Some(id.clone());
            }
        }
        let Some(cb) = &self.callback else { return };
        Python::attach(|py| {
            let result = event_dict(py, &e).and_then(|d| cb.call1(py, (d,)).map(|_| ()));
            if let Err(err) = result {
                if let Ok(mut slot) = self.raised.lock() {
                    slot.get_or_insert(err);
                }
            }
        });
    }

    /// The callback's first exception, if it raised one, with a note (Python 3.11+)
    /// saying whether the operation itself succeeded: it ran to its end either way.
    fn take_raised(&self, py: Python<'_>, succeeded: bool) -> PyResult<()> {
        match self.raised.lock().ok().and_then(|mut s| s.take()) {
            Some(e) => {
                let note = if succeeded {
                    "banatie_infra: the on_event callback raised; the operation itself completed"
                } else {
                    "banatie_infra: the on_event callback raised; the operation itself failed too"
                };
                let _ = e.value(py).call_method1("add_note", (note,));
                Err(e)
            }
            None => Ok(()),
        }
    }

    fn release(&self) -> Option<String> {
        self.release.lock().ok().and_then(|r| r.clone())
    }
}

fn lock_wait(wait: Option<f64>) -> PyResult<Duration> {
    match wait {
        Some(s) => seconds("lock_wait", s),
        None => Ok(banatie_infra_core::lock::default_wait()),
    }
}

/// What ``up`` or ``deploy`` would do, each step with its reason, like ``banatie-infra
/// plan --format json``. Changes nothing.
///
/// Args:
///     spec (Spec): the spec.
///     root (str | os.PathLike[str] | None): the deployment root (default: the spec's
///         ``stack.root``).
///     deploy (bool): the plan of ``deploy`` (changed services rolled start-first, the
///         others' reasons saying why not). Default False.
///
/// Returns:
///     list[PlanStep]: one dict per step, networks first, then services in spec order:
///     ``action`` (``"create_network"``, ``"pull"``, ``"build"``, ``"create"``,
///     ``"recreate"``, ``"rollout"``, ``"start"``, ``"restart"``, ``"keep"``), and
///     ``service``, ``network``, ``internal``, ``image``, ``reason`` or ``because`` as
///     the action has them.
///
/// Raises:
///     DockerError: the engine failed, or a file of the root is missing (run ``render``
///         and ``generate_secrets`` first).
///
/// Example:
///     >>> [s["action"] for s in banatie_infra.plan(spec, "/opt/shop")]
///     ['keep', 'rollout', 'keep']
#[pyfunction]
#[pyo3(signature = (spec, root = None, deploy = false))]
pub fn plan<'py>(
    py: Python<'py>,
    spec: &Bound<'py, PySpec>,
    root: Option<PathBuf>,
    deploy: bool,
) -> PyResult<Bound<'py, PyAny>> {
    guard(|| {
        let this = spec.get();
        let root = root_of(this, root);
        let spec = &this.spec;
        let p = block_on(py, || async {
            let engine = connect().await?;
            Ok(docker::plan(&engine, spec, &root).await)
        })?
        .map_err(|e| up_error(py, e))?;
        let p = if deploy { p.for_deploy(spec) } else { p };
        to_python(py, &p.actions)
    })
}

/// The options both `up` and `deploy` take.
struct UpArgs {
    root: PathBuf,
    opts: UpOptions,
    wait: Duration,
}

#[allow(clippy::too_many_arguments)]
fn up_args(
    spec: &PySpec,
    root: Option<PathBuf>,
    timeout: f64,
    build: bool,
    pull: &str,
    drain: f64,
    start_first: bool,
    wait: Option<f64>,
) -> PyResult<UpArgs> {
    let pull: PullPolicy = pull.parse().map_err(PyValueError::new_err)?;
    let timeout = seconds("timeout", timeout)?;
    if timeout.is_zero() {
        // Nothing can become ready in no time: a job would be left running unwatched.
        return Err(PyValueError::new_err("timeout must be more than 0 seconds"));
    }
    Ok(UpArgs {
        root: root_of(spec, root),
        opts: UpOptions {
            timeout,
            build,
            pull,
            start_first,
            drain: seconds("drain", drain)?,
            ..UpOptions::default()
        },
        wait: lock_wait(wait)?,
    })
}

/// Runs `op` on the engine for `verb`, the way every function here does: `on_event`
/// checked, the root's and the stack's locks taken, the GIL released while it runs,
/// events delivered to the callback, the callback's exception (if any) raised after.
/// Returns the operation's own result and the release it recorded.
fn run_locked<T: Send, E: Send>(
    py: Python<'_>,
    stack: &str,
    args: &UpArgs,
    verb: &str,
    on_event: Option<Py<PyAny>>,
    op: impl AsyncFnOnce(&Engine, &(dyn Fn(UpEvent) + Send + Sync)) -> Result<T, E> + Send,
) -> PyResult<(Result<T, E>, Option<String>)> {
    let events = Events::new(py, on_event)?;
    let _locks =
        banatie_infra_core::lock::hold(&args.root, stack, verb, args.wait).map_err(lock_error)?;
    let result = block_on(py, || async {
        let engine = connect().await?;
        let sink = |e: UpEvent| events.on(e);
        Ok(op(&engine, &sink).await)
    })?;
    events.take_raised(py, result.is_ok())?;
    Ok((result, events.release()))
}

/// `up` or `deploy` with `args`.
fn run_up<'py>(
    py: Python<'py>,
    spec: &PySpec,
    args: UpArgs,
    on_event: Option<Py<PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let verb = if args.opts.start_first {
        "deploy"
    } else {
        "up"
    };
    let (spec, opts, root) = (&spec.spec, &args.opts, &args.root);
    let (result, release) = run_locked(
        py,
        spec.stack.name.as_str(),
        &args,
        verb,
        on_event,
        async |engine, sink| docker::up(engine, spec, root, opts, sink).await,
    )?;
    let p = result.map_err(|e| up_error(py, e))?;
    let out = PyDict::new(py);
    out.set_item("noop", p.is_noop())?;
    out.set_item("actions", to_python(py, &p.actions)?)?;
    out.set_item("release", release)?;
    Ok(out.into_any())
}

/// Brings the stack to its spec and waits until every service is ready, like
/// ``banatie-infra up --format json``: networks, images (built, or pulled with the
/// Docker client's credentials as ``pull`` says), containers in dependency order,
/// each ``depends_on`` condition honoured. Idempotent: a second run changes nothing.
/// Holds the root's lock.
///
/// Args:
///     spec (Spec): the spec.
///     root (str | os.PathLike[str] | None): the deployment root (default: the spec's).
///     timeout (float): seconds one service may take to become ready (default 300;
///         more than 0).
///     build (bool): build images even when they exist (default False).
///     pull (str): ``"missing"`` (default), ``"always"`` or ``"never"``.
///     lock_wait (float | None): seconds to wait for another run's lock (default
///         ``BANATIE_LOCK_WAIT``, else 60).
///     on_event (Callable[[UpEvent], object] | None): called with one dict per event:
///         ``{"event": "step", "step": PlanStep}``, ``"build_output"`` (``service``,
///         ``line``), ``"pull"`` (``service``, ``image``, ``layer``, ``status``,
///         ``current``, ``total``), ``"ready"`` (``service``, ``seconds``),
///         ``"switched"`` (``service``, ``healthy_after``, ``drain``), ``"leftover"``
///         (``outcome``, ``container``), ``"recorded"`` (``release``). An exception it
///         raises is raised when the operation has ended, noting whether it completed.
///
/// Returns:
///     UpResult: ``{"noop": bool, "actions": list[PlanStep], "release": str | None}``
///     (the release recorded when something changed).
///
/// Raises:
///     UpError: a service failed (a job exited non-zero, a container stopped, a health
///         check failed or timed out, a pull or build failed); ``.service`` names it.
///     DockerError: the engine failed.
///     LockError: another run held the root's lock for ``lock_wait`` (``BI705``).
///     ValueError: a bad ``pull``, ``timeout`` or ``lock_wait``.
///     TypeError: ``on_event`` is not callable (before anything runs).
///
/// Example:
///     >>> r = banatie_infra.up(spec, "/opt/shop", on_event=print)
///     >>> r["noop"], r["release"]
///     (False, '20261204T185303Z')
#[pyfunction]
#[pyo3(signature = (spec, root = None, timeout = 300.0, build = false, pull = "missing", lock_wait = None, on_event = None))]
#[allow(clippy::too_many_arguments)]
pub fn up<'py>(
    py: Python<'py>,
    spec: &Bound<'py, PySpec>,
    root: Option<PathBuf>,
    timeout: f64,
    build: bool,
    pull: &str,
    lock_wait: Option<f64>,
    on_event: Option<Py<PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    guard(|| {
        let this = spec.get();
        let args = up_args(this, root, timeout, build, pull, 3.0, false, lock_wait)?;
        run_up(py, this, args, on_event)
    })
}

/// Updates the stack without dropping requests, like ``banatie-infra deploy``: ``up``
/// with each changed ``app``, ``worker`` or ``service`` rolled start-first (the new
/// container starts beside the old one, takes traffic once its own health check
/// passes, then the old one drains for ``drain`` seconds and stops). A new container
/// that fails its check is removed and the old one keeps serving (``UpError``).
///
/// Args:
///     spec (Spec): the spec.
///     root (str | os.PathLike[str] | None): the deployment root (default: the spec's).
///     timeout (float): seconds one service may take to become ready (default 300;
///         more than 0).
///     build (bool): build images even when they exist (default False).
///     pull (str): ``"missing"`` (default), ``"always"`` or ``"never"``.
///     drain (float): seconds the old container serves beside the new one (default 3).
///     lock_wait (float | None): as ``up``.
///     on_event (Callable[[UpEvent], object] | None): as ``up``.
///
/// Returns:
///     UpResult: as ``up``.
///
/// Raises:
///     UpError: as ``up``; a rollout whose new container failed says the old one
///         still serves.
///     DockerError: the engine failed.
///     LockError: another run held the root's lock for ``lock_wait``.
///     ValueError: a bad ``pull``, ``timeout``, ``drain`` or ``lock_wait``.
///     TypeError: ``on_event`` is not callable (before anything runs).
///
/// Example:
///     >>> banatie_infra.deploy(spec, "/opt/shop", build=True, drain=1.0)["actions"][0]
///     {'action': 'rollout', 'service': 'shop-api', 'reason': 'config changed: image'}
#[pyfunction]
#[pyo3(signature = (spec, root = None, timeout = 300.0, build = false, pull = "missing", drain = 3.0, lock_wait = None, on_event = None))]
#[allow(clippy::too_many_arguments)]
pub fn deploy<'py>(
    py: Python<'py>,
    spec: &Bound<'py, PySpec>,
    root: Option<PathBuf>,
    timeout: f64,
    build: bool,
    pull: &str,
    drain: f64,
    lock_wait: Option<f64>,
    on_event: Option<Py<PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    guard(|| {
        let this = spec.get();
        let args = up_args(this, root, timeout, build, pull, drain, true, lock_wait)?;
        run_up(py, this, args, on_event)
    })
}

/// The releases recorded under the root, newest first, like ``banatie-infra releases
/// --format json`` (each ``up``, ``deploy``, ``rollback`` or rotation that changed
/// something records one).
///
/// Args:
///     root (str | os.PathLike[str]): the deployment root.
///
/// Returns:
///     list[Release]: ``id``, ``created`` (Unix seconds), ``who``, ``host``, ``verb``,
///     ``rollback_of`` (only on a rollback), ``spec_hash`` and ``services``
///     (``{name: {"image", "image_id", "digests", "pin"}}``); the spec itself is left
///     out.
///
/// Raises:
///     FileError: a release file is unreadable or not a release.
///
/// Example:
///     >>> [r["verb"] for r in banatie_infra.releases("/opt/shop")]
///     ['rollback', 'deploy', 'deploy']
#[pyfunction]
pub fn releases(py: Python<'_>, root: PathBuf) -> PyResult<Bound<'_, PyAny>> {
    guard(|| {
        let mut all = core_releases::releases(&root).map_err(|e| release_error(py, e))?;
        all.reverse();
        let mut rows: Vec<serde_json::Value> = Vec::new();
        for r in &all {
            let mut v = serde_json::to_value(r).unwrap_or_default();
            if let Some(o) = v.as_object_mut() {
                o.remove("spec");
            }
            rows.push(v);
        }
        to_python(py, &rows)
    })
}

/// Returns the stack to a recorded release, like ``banatie-infra rollback``: its spec
/// rendered into the root again (never ``secrets.env``), each service rolled onto the
/// image tag the release kept, through ``deploy``'s start-first path. Records a
/// release of its own. Holds the root's lock.
///
/// Args:
///     spec (Spec): the spec (for the stack's name and default root).
///     release (str | None): the release id (default: the one before the newest).
///     root (str | os.PathLike[str] | None): the deployment root (default: the spec's).
///     timeout (float): seconds one service may take to become ready (default 300;
///         more than 0).
///     drain (float): seconds the old container serves beside the new one (default 3).
///     lock_wait (float | None): as ``up``.
///     on_event (Callable[[UpEvent], object] | None): as ``up``.
///
/// Returns:
///     RollbackResult: ``{"target": str, "release": str | None, "actions":
///     list[PlanStep]}`` (``release``: the one recorded for the rollback, None when
///     nothing changed).
///
/// Raises:
///     FileError: no such release, or none before the newest.
///     UpError: a service failed on the way back (the old containers still serve).
///     DockerError: the engine failed.
///     LockError: another run held the root's lock for ``lock_wait``.
///
/// Example:
///     >>> banatie_infra.rollback(spec)["target"]
///     '20261204T020711Z'
#[pyfunction]
#[pyo3(signature = (spec, release = None, root = None, timeout = 300.0, drain = 3.0, lock_wait = None, on_event = None))]
#[allow(clippy::too_many_arguments)]
pub fn rollback<'py>(
    py: Python<'py>,
    spec: &Bound<'py, PySpec>,
    release: Option<String>,
    root: Option<PathBuf>,
    timeout: f64,
    drain: f64,
    lock_wait: Option<f64>,
    on_event: Option<Py<PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    guard(|| {
        let this = spec.get();
        let args = up_args(
            this, root, timeout, false, "missing", drain, true, lock_wait,
        )?;
        let (opts, root) = (&args.opts, &args.root);
        let (result, _) = run_locked(
            py,
            this.spec.stack.name.as_str(),
            &args,
            "rollback",
            on_event,
            async |engine, sink| {
                core_releases::rollback(engine, root, release.as_deref(), opts, sink).await
            },
        )?;
        let r = result.map_err(|e| release_error(py, e))?;
        let out = PyDict::new(py);
        out.set_item("target", &r.target.id)?;
        out.set_item("release", r.recorded.as_ref().map(|x| x.id.clone()))?;
        out.set_item("actions", to_python(py, &r.plan.actions)?)?;
        Ok(out.into_any())
    })
}

/// Gives one secret of the running stack a new value without downtime, like
/// ``banatie-infra secrets rotate NAME``: a PostgreSQL password is set with ``ALTER
/// ROLE`` (a SCRAM verifier, never the password, reaches the server), a MinIO service
/// account's key by its storage-init job, then every service that receives the
/// secret (or a URL derived from it) rolls start-first. The old ``secrets.env`` is kept
/// until the switch is confirmed and put back when a step fails. Holds the root's lock.
///
/// Args:
///     spec (Spec): the spec.
///     name (str): the secret, a variable under the spec's ``secrets``.
///     root (str | os.PathLike[str] | None): the deployment root (default: the spec's).
///     value (str | None): the new value (required for a supplied secret; default: a
///         new random value of the spec's length and alphabet).
///     allow_recreate (bool): go on when a service that receives it cannot roll and is
///         recreated (default False: refused).
///     timeout (float): seconds one service may take to become ready (default 300;
///         more than 0).
///     drain (float): seconds an old container serves beside its new one (default 3).
///     lock_wait (float | None): as ``up``.
///     on_event (Callable[[UpEvent], object] | None): as ``up``.
///
/// Returns:
///     RotateResult: ``{"secret": str, "rotation": {"kind": "database_password",
///     "service", "role"} | {"kind": "service_account_key", "service", "jobs"} |
///     {"kind": "value", "supplied"}, "derived": list[str], "redeployed": list[str],
///     "actions": list[PlanStep], "reverted": str | None}`` (``reverted``: an earlier
///     rotation that did not finish, put back first). Names only, never a value.
///
/// Raises:
///     RotateError: refused (nothing changed: an unknown or derived secret, MinIO's
///         root password, a stack with changes to deploy first, a service that cannot
///         roll) or failed at a step (``.step``: ``"files"``, ``"database"``,
///         ``"deploy"``; ``.restored``: whether the old value was put back).
///     DockerError: the engine failed.
///     LockError: another run held the root's lock for ``lock_wait``.
///     SecretsError: ``secrets.env`` is unsafe or malformed.
///
/// Example:
///     >>> banatie_infra.rotate_secret(spec, "POSTGRES_PASSWORD")["redeployed"]
///     ['shop-api', 'shop-migrate']
#[pyfunction]
#[pyo3(signature = (spec, name, root = None, value = None, allow_recreate = false, timeout = 300.0, drain = 3.0, lock_wait = None, on_event = None))]
#[allow(clippy::too_many_arguments)]
pub fn rotate_secret<'py>(
    py: Python<'py>,
    spec: &Bound<'py, PySpec>,
    name: &str,
    root: Option<PathBuf>,
    value: Option<String>,
    allow_recreate: bool,
    timeout: f64,
    drain: f64,
    lock_wait: Option<f64>,
    on_event: Option<Py<PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    guard(|| {
        let this = spec.get();
        if let Some(v) = &value {
            banatie_infra_core::redact::register(v);
        }
        let args = up_args(
            this, root, timeout, false, "missing", drain, true, lock_wait,
        )?;
        let opts = RotateOptions {
            value,
            allow_recreate,
            up: args.opts.clone(),
        };
        let (spec, root) = (&this.spec, &args.root);
        let (result, _) = run_locked(
            py,
            spec.stack.name.as_str(),
            &args,
            "rotate",
            on_event,
            async |engine, sink| {
                docker::rotate::rotate(engine, spec, root, name, &opts, sink).await
            },
        )?;
        let r = result.map_err(|e| rotate_error(py, e))?;
        let out = PyDict::new(py);
        out.set_item("secret", &r.secret)?;
        out.set_item("rotation", to_python(py, &r.rotation)?)?;
        out.set_item("derived", &r.derived)?;
        out.set_item("redeployed", &r.redeployed)?;
        out.set_item("actions", to_python(py, &r.plan.actions)?)?;
        out.set_item("reverted", &r.reverted)?;
        Ok(out.into_any())
    })
}
