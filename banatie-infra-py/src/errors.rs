//! The exception hierarchy, the conversion of every core error into it, and the guard
//! that turns a Rust panic into `BanatieInfraError("internal error: ...")`.
//!
//! ```text
//! BanatieInfraError(Exception)
//! ├── SpecError(BanatieInfraError, ValueError)   the spec is wrong: .diagnostics, .code, ...
//! ├── FileError(BanatieInfraError, OSError)      a local file cannot be read or written
//! ├── SecretsError(BanatieInfraError)            secrets.env is unsafe or malformed
//! ├── DockerError(BanatieInfraError)             the engine failed or is unreachable
//! │   ├── WaitError(DockerError)                 a service failed or did not get ready
//! │   └── UpError(DockerError)                   up/deploy/rollback: a service failed
//! ├── LockError(BanatieInfraError)               another run holds the root's lock
//! ├── RotateError(BanatieInfraError)             a rotation was refused or failed
//! └── BackupError(BanatieInfraError)             a backup failed (nothing left behind)
//! ```

use std::panic::{catch_unwind, AssertUnwindSafe};

use banatie_infra_core::docker::releases::ReleaseError;
use banatie_infra_core::docker::rotate::RotateError as CoreRotateError;
use banatie_infra_core::docker::UpError as CoreUpError;
use banatie_infra_core::docker::WaitError as CoreWaitError;
use banatie_infra_core::docker::{BackupError as CoreBackupError, DockerError as CoreDockerError};
use banatie_infra_core::load::{LoadError, Source};
use banatie_infra_core::redact::redact;
use banatie_infra_core::render::RenderError;
use banatie_infra_core::secrets::SecretsError as CoreSecretsError;
use banatie_infra_core::Diagnostic;
use pyo3::exceptions::{PyException, PyOSError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyType};

use crate::spec::PyDiagnostic;

pyo3::create_exception!(
    banatie_infra,
    BanatieInfraError,
    PyException,
    "The root of every exception this module raises.\n\n\
     A panic inside the Rust core (a bug: please report it) is raised as\n\
     ``BanatieInfraError(\"internal error: ...\")``.\n\n\
     Example::\n\n\
     \x20   try:\n\
     \x20       banatie_infra.load(\"stack.yaml\").render()\n\
     \x20   except banatie_infra.BanatieInfraError as e:\n\
     \x20       print(f\"cannot render: {e}\")\n"
);

pyo3::create_exception!(
    banatie_infra,
    SecretsError,
    BanatieInfraError,
    "``secrets.env`` cannot be used: group or others may read it (mode wider than\n\
     0600), it is not a regular file (a symlink, a directory), it does not parse, or it\n\
     defines a variable twice. The message names the file and line, never a value.\n\n\
     Example::\n\n\
     \x20   try:\n\
     \x20       banatie_infra.generate_secrets(spec, \"/opt/banatie\")\n\
     \x20   except banatie_infra.SecretsError as e:\n\
     \x20       print(e)  # /opt/banatie/secrets.env has mode 0644: ...\n"
);

pyo3::create_exception!(
    banatie_infra,
    DockerError,
    BanatieInfraError,
    "The Docker engine is unreachable (``DOCKER_HOST``, default\n\
     ``unix:///var/run/docker.sock``), refuses access, speaks an API older than 1.41,\n\
     or fails a request; or a service has no container.\n\n\
     Example::\n\n\
     \x20   try:\n\
     \x20       banatie_infra.status(spec)\n\
     \x20   except banatie_infra.DockerError as e:\n\
     \x20       print(e)  # no Docker engine at unix:///var/run/docker.sock: ...\n"
);

pyo3::create_exception!(
    banatie_infra,
    WaitError,
    DockerError,
    "``wait`` gave up: a service reached a state it cannot leave by itself (a job\n\
     exited non-zero, a container exited or is unhealthy), or the timeout passed first.\n\n\
     Attributes: ``service`` (str, the service), ``timed_out`` (bool), ``output``\n\
     (str or None: the last health-check output).\n\n\
     Example::\n\n\
     \x20   try:\n\
     \x20       banatie_infra.wait(spec, timeout=60)\n\
     \x20   except banatie_infra.WaitError as e:\n\
     \x20       print(e.service, e.timed_out, e.output)\n"
);

pyo3::create_exception!(
    banatie_infra,
    UpError,
    DockerError,
    "``up``, ``deploy`` or ``rollback`` stopped: a service failed (a job exited\n\
     non-zero, a container stopped or is unhealthy, a health check timed out, a new\n\
     container of a rollout failed while the old one still serves), an image could not\n\
     be pulled or built, or a file of the root is missing.\n\n\
     Attributes: ``service`` (str or None: the service that failed).\n\n\
     Example::\n\n\
     \x20   try:\n\
     \x20       banatie_infra.deploy(spec, build=True)\n\
     \x20   except banatie_infra.UpError as e:\n\
     \x20       print(e.service, e)\n"
);

pyo3::create_exception!(
    banatie_infra,
    LockError,
    BanatieInfraError,
    "Another run held the deployment root's lock (or the stack's engine-wide lock) for\n\
     the whole ``lock_wait``; the message names it (pid, host, verb, since when; BI705).\n\n\
     Example::\n\n\
     \x20   try:\n\
     \x20       banatie_infra.up(spec, lock_wait=0)\n\
     \x20   except banatie_infra.LockError as e:\n\
     \x20       print(e)  # /opt/shop/.banatie-infra.lock is held by `banatie-infra deploy` ...\n"
);

pyo3::create_exception!(
    banatie_infra,
    RotateError,
    BanatieInfraError,
    "``rotate_secret`` refused (nothing changed) or failed at a step.\n\n\
     Attributes: ``step`` (str or None: ``\"files\"``, ``\"database\"`` or ``\"deploy\"``\n\
     for a failed step, None for a refusal), ``restored`` (bool or None: whether the old\n\
     value was put back after a failed step).\n\n\
     Example::\n\n\
     \x20   try:\n\
     \x20       banatie_infra.rotate_secret(spec, \"POSTGRES_PASSWORD\")\n\
     \x20   except banatie_infra.RotateError as e:\n\
     \x20       print(e.step, e.restored)\n"
);

pyo3::create_exception!(
    banatie_infra,
    BackupError,
    BanatieInfraError,
    "A backup failed: the spec has no PostgreSQL service, the destination cannot be\n\
     written, ``pg_dump`` failed (its stderr is in the message), or the dump does not\n\
     verify. No partial file is left at a final path. An engine failure raises\n\
     ``DockerError`` instead.\n\n\
     Example::\n\n\
     \x20   try:\n\
     \x20       banatie_infra.backup_db(spec, \"/var/backups/banatie\")\n\
     \x20   except banatie_infra.BackupError as e:\n\
     \x20       print(e)\n"
);

const SPEC_ERROR_DOC: &str = "\
The spec is wrong: it does not parse, does not match the spec's types (an unknown key,
a wrong type, a missing key), has an unknown file extension, or has validation errors
(raised by ``render``, ``render_to`` and ``generate_secrets``). A ``ValueError``.

Attributes:
    diagnostics (list[Diagnostic]): every finding (for ``render``: warnings too).
    code (str): the first error's stable code, for example ``\"BI101\"``.
    path (str): the first error's JSON pointer into the spec.
    line (int | None): the first error's 1-based line, when known.
    column (int | None): the first error's 1-based column, when known.

Example::

    try:
        banatie_infra.loads(\"stack: {nmae: demo}\\nservices: {}\\n\")
    except banatie_infra.SpecError as e:
        print(e.code, e.line, e.column)  # BI101 1 9
";

const FILE_ERROR_DOC: &str = "\
A local file cannot be read or written: the spec file given to ``load``, a file of the
bundle written by ``render_to``, ``secrets.env``. An ``OSError``: ``errno``,
``strerror`` and ``filename`` are set when the operating system gave an error number.

Example::

    try:
        banatie_infra.load(\"missing.yaml\")
    except banatie_infra.FileError as e:
        print(e.errno, e.filename)  # 2 missing.yaml
";

static SPEC_ERROR: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static FILE_ERROR: PyOnceLock<Py<PyType>> = PyOnceLock::new();

/// Creates a class with several bases (Python's `type(name, bases, dict)`), as the module's.
fn new_class<'py>(
    py: Python<'py>,
    name: &str,
    bases: (Bound<'py, PyType>, Bound<'py, PyType>),
    doc: &str,
) -> PyResult<Py<PyType>> {
    let dict = PyDict::new(py);
    dict.set_item("__module__", "banatie_infra")?;
    dict.set_item("__doc__", doc)?;
    let ty = py
        .get_type::<PyType>()
        .call1((name, bases, dict))?
        .cast_into::<PyType>()?;
    Ok(ty.unbind())
}

/// Adds every exception class to the module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    let root = py.get_type::<BanatieInfraError>();
    let spec = SPEC_ERROR.get_or_try_init(py, || {
        new_class(
            py,
            "SpecError",
            (root.clone(), py.get_type::<PyValueError>()),
            SPEC_ERROR_DOC,
        )
    })?;
    let file = FILE_ERROR.get_or_try_init(py, || {
        new_class(
            py,
            "FileError",
            (root.clone(), py.get_type::<PyOSError>()),
            FILE_ERROR_DOC,
        )
    })?;
    m.add("BanatieInfraError", root)?;
    m.add("SpecError", spec.bind(py))?;
    m.add("FileError", file.bind(py))?;
    m.add("SecretsError", py.get_type::<SecretsError>())?;
    m.add("DockerError", py.get_type::<DockerError>())?;
    m.add("WaitError", py.get_type::<WaitError>())?;
    m.add("BackupError", py.get_type::<BackupError>())?;
    m.add("UpError", py.get_type::<UpError>())?;
    m.add("LockError", py.get_type::<LockError>())?;
    m.add("RotateError", py.get_type::<RotateError>())?;
    Ok(())
}

/// Runs `f`, turning a panic into `BanatieInfraError("internal error: ...")` so that no
/// panic reaches Python as a `PanicException` (a `BaseException`).
pub(crate) fn guard<T>(f: impl FnOnce() -> PyResult<T>) -> PyResult<T> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(result) => result,
        Err(payload) => {
            let what = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic without a message".to_owned());
            Err(BanatieInfraError::new_err(format!(
                "internal error: {what} (a bug of banatie-infra: please report it)"
            )))
        }
    }
}

/// A `PyErr` from an exception built by `build`, or the error met while building it.
fn raise<'py>(build: impl FnOnce() -> PyResult<Bound<'py, PyAny>>) -> PyErr {
    match build() {
        Ok(exc) => PyErr::from_value(exc),
        Err(e) => e,
    }
}

/// `SpecError` with `diags` (at least one), the first error's details as attributes.
pub(crate) fn spec_error(py: Python<'_>, message: String, diags: Vec<Diagnostic>) -> PyErr {
    raise(|| {
        let first = diags
            .iter()
            .find(|d| d.is_error())
            .or_else(|| diags.first())
            .map(PyDiagnostic::from);
        let ty = SPEC_ERROR.get(py).ok_or_else(|| {
            BanatieInfraError::new_err("internal error: the module was not initialised")
        })?;
        let exc = ty.bind(py).call1((message,))?;
        let list: Vec<PyDiagnostic> = diags.iter().map(PyDiagnostic::from).collect();
        exc.setattr("diagnostics", list)?;
        let first = first.unwrap_or_default();
        exc.setattr("code", first.code)?;
        exc.setattr("path", first.path)?;
        exc.setattr("line", first.line)?;
        exc.setattr("column", first.column)?;
        Ok(exc)
    })
}

/// `FileError` for an I/O error on `path`: `OSError(errno, strerror, filename)` when the
/// operating system gave an error number, `OSError(message)` otherwise.
pub(crate) fn file_error(py: Python<'_>, path: &std::path::Path, e: &std::io::Error) -> PyErr {
    raise(|| {
        let ty = FILE_ERROR.get(py).ok_or_else(|| {
            BanatieInfraError::new_err("internal error: the module was not initialised")
        })?;
        let filename = path.display().to_string();
        match e.raw_os_error() {
            Some(errno) => {
                let text = e.to_string();
                let strerror = text
                    .rsplit_once(" (os error ")
                    .map_or(text.as_str(), |(s, _)| s)
                    .to_owned();
                ty.bind(py).call1((errno, strerror, filename))
            }
            None => ty.bind(py).call1((redact(&format!("{filename}: {e}")),)),
        }
    })
}

/// A load failure: an unreadable file is a `FileError`; everything else (unknown
/// extension, not UTF-8, syntax, unknown key, wrong type, missing key) a `SpecError` with
/// the loader's diagnostic.
pub(crate) fn load_error(py: Python<'_>, e: LoadError) -> PyErr {
    use banatie_infra_core::input::InputError;
    match &e {
        LoadError::Io { path, source } => file_error(py, path.as_ref(), source),
        // A file that is not read (not a regular file, over the size limit) is a file
        // problem, not a spec one: `FileError`, with `EISDIR` for a directory.
        LoadError::Input(InputError::Io { path, source }) => {
            file_error(py, std::path::Path::new(path), source)
        }
        LoadError::Input(input) => {
            let path = match input {
                InputError::NotRegular { path, .. } | InputError::TooLarge { path, .. } => path,
                InputError::Io { path, .. } => path,
            };
            let code = input.code().map(|c| format!(" [{c}]")).unwrap_or_default();
            let io = match input {
                InputError::NotRegular {
                    kind: "a directory",
                    ..
                } => std::io::Error::from_raw_os_error(21), // EISDIR
                _ => std::io::Error::other(format!("{input}{code}")),
            };
            file_error(py, std::path::Path::new(path), &io)
        }
        _ => {
            let d = e.to_diagnostic();
            spec_error(py, one_line(&d), vec![d])
        }
    }
}

/// A render failure: validation errors are a `SpecError` with every diagnostic (with
/// positions when the spec came from a file); a template failure is a bug.
pub(crate) fn render_error(py: Python<'_>, e: RenderError, source: Option<&Source>) -> PyErr {
    match e {
        RenderError::Invalid(mut diags) => {
            if let Some(s) = source {
                s.annotate(&mut diags);
            }
            spec_error(py, invalid_message(&diags), diags)
        }
        other => BanatieInfraError::new_err(redact(&format!("internal error: {other}"))),
    }
}

/// The message of a `SpecError` for validation errors: the count and the first error.
pub(crate) fn invalid_message(diags: &[Diagnostic]) -> String {
    let errors = diags.iter().filter(|d| d.is_error()).count();
    let first = diags
        .iter()
        .find(|d| d.is_error())
        .map(|d| format!("; first: {}", one_line(d)))
        .unwrap_or_default();
    format!("the spec has {errors} error(s){first}")
}

/// `file:line:column: error[CODE]: message (at /pointer; help: ...)`.
pub(crate) fn one_line(d: &Diagnostic) -> String {
    PyDiagnostic::from(d).to_string()
}

pub(crate) fn secrets_error(py: Python<'_>, e: CoreSecretsError) -> PyErr {
    match &e {
        CoreSecretsError::Io { path, source } => file_error(py, path, source),
        _ => SecretsError::new_err(redact(&e.to_string())),
    }
}

pub(crate) fn docker_error(e: CoreDockerError) -> PyErr {
    DockerError::new_err(redact(&e.to_string()))
}

pub(crate) fn wait_error(py: Python<'_>, e: CoreWaitError) -> PyErr {
    let message = redact(&e.to_string());
    let (service, output, timed_out) = match e {
        CoreWaitError::Docker(d) => return docker_error(d),
        CoreWaitError::Failed {
            service, output, ..
        } => (service, output, false),
        CoreWaitError::Timeout {
            service, output, ..
        } => (service, output, true),
    };
    raise(|| {
        let exc = py.get_type::<WaitError>().call1((message,))?;
        exc.setattr("service", service)?;
        exc.setattr("output", output.as_deref().map(redact))?;
        exc.setattr("timed_out", timed_out)?;
        Ok(exc)
    })
}

pub(crate) fn backup_error(e: CoreBackupError) -> PyErr {
    match e {
        CoreBackupError::Docker(d) => docker_error(d),
        other => BackupError::new_err(redact(&other.to_string())),
    }
}

/// The service an `up` failure is about, when it is about one.
fn failed_service(e: &CoreUpError) -> Option<String> {
    use CoreUpError as E;
    match e {
        E::MissingImage { service, .. }
        | E::Pull { service, .. }
        | E::Build { service, .. }
        | E::JobFailed { service, .. }
        | E::Timeout { service, .. }
        | E::Unhealthy { service, .. }
        | E::Stopped { service, .. }
        | E::RolloutFailed { service, .. }
        | E::DependencyFailed { service, .. } => Some(service.clone()),
        E::Foreign(service, _) => Some(service.clone()),
        _ => None,
    }
}

pub(crate) fn up_error(py: Python<'_>, e: CoreUpError) -> PyErr {
    let e = match e {
        CoreUpError::Docker(d) => return docker_error(d),
        CoreUpError::Invalid(diags) => return spec_error(py, invalid_message(&diags), diags),
        other => other,
    };
    let service = failed_service(&e);
    let message = redact(&e.to_string());
    raise(|| {
        let exc = py.get_type::<UpError>().call1((message,))?;
        exc.setattr("service", service)?;
        Ok(exc)
    })
}

pub(crate) fn lock_error(e: banatie_infra_core::lock::LockError) -> PyErr {
    let code = e.code().map(|c| format!(" [{c}]")).unwrap_or_default();
    LockError::new_err(redact(&format!("{e}{code}")))
}

pub(crate) fn release_error(py: Python<'_>, e: ReleaseError) -> PyErr {
    match e {
        ReleaseError::Up(u) => up_error(py, u),
        ReleaseError::Invalid { path, reason } => file_error(
            py,
            std::path::Path::new(&path),
            &std::io::Error::other(reason),
        ),
        other => file_error(
            py,
            std::path::Path::new("releases"),
            &std::io::Error::other(other.to_string()),
        ),
    }
}

pub(crate) fn rotate_error(py: Python<'_>, e: CoreRotateError) -> PyErr {
    let (step, restored) = match &e {
        CoreRotateError::Up(_) | CoreRotateError::Secrets(_) => (None, None),
        CoreRotateError::Failed { step, restored, .. } => {
            (Some(step.to_string()), Some(restored.is_none()))
        }
        _ => (None, None),
    };
    match e {
        CoreRotateError::Up(u) => up_error(py, u),
        CoreRotateError::Secrets(s) => secrets_error(py, s),
        other => {
            let message = redact(&other.to_string());
            raise(|| {
                let exc = py.get_type::<RotateError>().call1((message,))?;
                exc.setattr("step", step)?;
                exc.setattr("restored", restored)?;
                Ok(exc)
            })
        }
    }
}
