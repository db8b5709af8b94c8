//! The operations on the running stack (core `docker`): `status`, `wait`, `drift`,
//! `backup_db`.
//!
//! Each call connects to the engine like the CLI (`DOCKER_HOST`, else the local socket),
//! releases the GIL, and runs on one tokio runtime shared by the whole process. While it
//! runs, pending signals are checked every 100 ms, so Ctrl-C interrupts a long `wait`
//! or backup (the operation is cancelled; a backup leaves no partial file).

use std::future::Future;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

use banatie_infra_core::docker::{self, Engine};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use crate::errors::{backup_error, docker_error, guard, wait_error, BanatieInfraError};
use crate::spec::{diagnostics, PyDiagnostic, PySpec};

static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();

/// The process's tokio runtime (two worker threads, as the CLI), started on first use.
fn runtime() -> PyResult<&'static tokio::runtime::Runtime> {
    if let Some(rt) = RUNTIME.get() {
        return Ok(rt);
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("banatie-infra")
        .enable_all()
        .build()
        .map_err(|e| BanatieInfraError::new_err(format!("cannot start the async runtime: {e}")))?;
    // Another thread may have won the race: its runtime is used, ours dropped.
    let _ = RUNTIME.set(rt);
    RUNTIME
        .get()
        .ok_or_else(|| BanatieInfraError::new_err("internal error: no async runtime"))
}

/// Runs the future made by `make` to completion with the GIL released, checking for
/// signals (Ctrl-C) every 100 ms; the future is dropped (cancelled) when one is raised.
pub(crate) fn block_on<F, Fut, T>(py: Python<'_>, make: F) -> PyResult<T>
where
    F: FnOnce() -> Fut + Send,
    Fut: Future<Output = PyResult<T>>,
    T: Send,
{
    let rt = runtime()?;
    py.detach(|| {
        rt.block_on(async {
            let work = make();
            tokio::pin!(work);
            let mut tick = tokio::time::interval(Duration::from_millis(100));
            loop {
                tokio::select! {
                    out = &mut work => return out,
                    _ = tick.tick() => Python::attach(|py| py.check_signals())?,
                }
            }
        })
    })
}

pub(crate) async fn connect() -> PyResult<Engine> {
    Engine::connect().await.map_err(docker_error)
}

/// Converts serializable values (statuses) to Python data.
pub(crate) fn to_python<'py, T: serde::Serialize>(
    py: Python<'py>,
    value: &T,
) -> PyResult<Bound<'py, PyAny>> {
    pythonize::pythonize(py, value)
        .map_err(|e| BanatieInfraError::new_err(format!("internal error: cannot convert: {e}")))
}

/// The state of every service of ``spec`` on the local Docker engine, like
/// ``banatie-infra status --format json``. Containers are found by the labels the
/// rendered Compose file sets (or by the service name).
///
/// Args:
///     spec (Spec): the spec.
///
/// Returns:
///     list[dict[str, Any]]: one dict per service, in spec order: ``service`` (str),
///     ``kind`` (``"app"``, ``"postgres"``, ``"minio"``, ``"job"``, ``"worker"``, ``"service"``), ``verdict``
///     (``"ok"``, ``"starting"``, ``"unhealthy"``, ``"missing"``, ``"down"``,
///     ``"crash_loop"``), ``detail`` (str, only with ``"down"`` and ``"crash_loop"``:
///     why), ``container`` (None, or a dict: ``id``, ``name``, ``state``, ``health``,
///     ``last_health_output``, ``restart_count``, ``last_start_secs``,
///     ``unhealthy_since_secs``, ``failing_streak``, ``uptime_secs``, ``image``,
///     ``networks``, ``exit_code``).
///
/// Raises:
///     DockerError: no engine, permission denied, API older than 1.41, or an engine
///         error.
///
/// Example:
///     >>> for s in banatie_infra.status(spec):
///     ...     print(s["service"], s["verdict"], s["container"] and s["container"]["health"])
///     banatie-postgres ok healthy
#[pyfunction]
pub fn status<'py>(py: Python<'py>, spec: &Bound<'py, PySpec>) -> PyResult<Bound<'py, PyAny>> {
    guard(|| {
        let spec = &spec.get().spec;
        let all = block_on(py, || async {
            let engine = connect().await?;
            docker::status(&engine, spec).await.map_err(docker_error)
        })?;
        to_python(py, &all)
    })
}

/// Blocks until the services are ready, like ``banatie-infra wait``, polling every
/// 500 ms: a service with a health check is ``healthy``, one without is running, a job
/// has exited 0. Raises as soon as a service cannot become ready by itself.
///
/// Args:
///     spec (Spec): the spec.
///     services (Sequence[str] | None): the services to wait for; ``None`` (default)
///         for all.
///     timeout (float): give up after this many seconds (default 300).
///
/// Returns:
///     list[dict[str, Any]]: the status of every service when all wanted ones are
///     ready, as ``status`` returns it.
///
/// Raises:
///     WaitError: a job exited non-zero, a container exited or is unhealthy
///         (``timed_out`` False), or the timeout passed (``timed_out`` True);
///         ``.service`` names it and ``.output`` has its last health-check output.
///     DockerError: the engine failed, or a service name is not in the spec.
///     ValueError: ``timeout`` is negative or not finite.
///
/// Example:
///     >>> banatie_infra.wait(spec, services=["banatie-postgres"], timeout=60)
#[pyfunction]
#[pyo3(signature = (spec, services = None, timeout = 300.0))]
pub fn wait<'py>(
    py: Python<'py>,
    spec: &Bound<'py, PySpec>,
    services: Option<Vec<String>>,
    timeout: f64,
) -> PyResult<Bound<'py, PyAny>> {
    guard(|| {
        let timeout = Duration::try_from_secs_f64(timeout).map_err(|_| {
            PyValueError::new_err(format!(
                "timeout must be a finite number of seconds >= 0, not {timeout}"
            ))
        })?;
        let services = services.unwrap_or_default();
        let spec = &spec.get().spec;
        let result = block_on(py, || async {
            let engine = connect().await?;
            Ok(docker::wait(&engine, spec, &services, timeout).await)
        })?;
        let all = result.map_err(|e| wait_error(py, e))?;
        to_python(py, &all)
    })
}

/// Compares the running engine with the spec, like ``banatie-infra drift``: missing or
/// extra containers, images, networks (and whether they are internal), published ports,
/// environment variable names (never values).
///
/// Args:
///     spec (Spec): the spec.
///
/// Returns:
///     list[Diagnostic]: one per difference (codes ``BI601``-``BI607``), with the
///     spec's file and line when it was loaded from text; empty when the stack matches.
///
/// Raises:
///     DockerError: the engine failed.
///
/// Example:
///     >>> [d.code for d in banatie_infra.drift(spec) if d.severity == "error"]
///     []
#[pyfunction]
pub fn drift(py: Python<'_>, spec: &Bound<'_, PySpec>) -> PyResult<Vec<PyDiagnostic>> {
    guard(|| {
        let this = spec.get();
        let spec = &this.spec;
        let mut found = block_on(py, || async {
            let engine = connect().await?;
            docker::drift(&engine, spec).await.map_err(docker_error)
        })?;
        if let Some(source) = &this.source {
            source.annotate(&mut found);
        }
        Ok(diagnostics(&found))
    })
}

/// Dumps the stack's PostgreSQL database, like ``banatie-infra backup db --dir``:
/// ``pg_dump --format=custom`` in its container, streamed to a temporary file in
/// ``dest_dir``, checked (exit code, stderr, ``pg_restore --list``), fsynced, renamed to
/// ``<database>_<UTC stamp>.dump`` with a ``.sha256`` sidecar; the oldest dumps beyond
/// ``backups.keep`` are removed. ``dest_dir`` is created (mode 0700) when missing.
///
/// Args:
///     spec (Spec): the spec (it must have a PostgreSQL service, running).
///     dest_dir (str | os.PathLike[str]): the backup directory.
///
/// Returns:
///     tuple[str, str]: the dump's path and its SHA-256 (lowercase hex).
///
/// Raises:
///     BackupError: no PostgreSQL service in the spec, ``dest_dir`` cannot be written,
///         ``pg_dump`` failed, or the dump does not verify. No partial file remains.
///     DockerError: the engine failed, or the container is missing or stopped.
///
/// Example:
///     >>> path, sha256 = banatie_infra.backup_db(spec, "/var/backups/banatie")
///     >>> path
///     '/var/backups/banatie/banatie_db_20260101T030000Z.dump'
#[pyfunction]
pub fn backup_db(
    py: Python<'_>,
    spec: &Bound<'_, PySpec>,
    dest_dir: PathBuf,
) -> PyResult<(String, String)> {
    guard(|| {
        let spec = &spec.get().spec;
        let result = block_on(py, || async {
            let engine = connect().await?;
            Ok(docker::backup_db(&engine, spec, &dest_dir, &|_| {}).await)
        })?;
        let done = result.map_err(backup_error)?;
        Ok((done.path.display().to_string(), done.sha256))
    })
}
