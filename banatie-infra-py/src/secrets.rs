//! `generate_secrets` and `read_secret`: `secrets.env`, through the core's `secrets`.

use std::path::PathBuf;

use banatie_infra_core::diagnostic::has_errors;
use banatie_infra_core::secrets;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::errors::{guard, invalid_message, secrets_error, spec_error};
use crate::spec::PySpec;

/// Creates or completes ``dir/secrets.env`` for ``spec``, like ``banatie-infra secrets``:
/// mode 0600 from the moment the file exists (written atomically), every existing value
/// kept byte for byte, each missing generated secret drawn from the OS random source,
/// derived values (``DATABASE_URL``, with the password percent-encoded) recomputed, and
/// operator-supplied secrets listed as missing, never invented. A file that group or
/// others can read is refused. ``dir`` is created when missing.
///
/// No value is ever returned: use ``read_secret`` to read one by name.
///
/// Args:
///     spec (Spec): the spec; it must have no validation errors.
///     dir (str | os.PathLike[str]): the directory of ``secrets.env`` (the deployment
///         root).
///
/// Returns:
///     dict[str, list[str]]: variable names by what happened to them: ``"generated"``
///     (drawn now), ``"derived"`` (written or recomputed to a new value), ``"kept"``
///     (already there, unchanged), ``"missing"`` (supplied by the operator and still
///     missing or a placeholder: set them in the file), ``"unknown"`` (in the file, not
///     in the spec; kept as they are), ``"service_files"`` (the per-service files
///     ``secrets/<service>.env``, mode 0600, written or updated now: each service receives
///     only its own).
///
/// Raises:
///     SpecError: the spec has validation errors (nothing is written).
///     SecretsError: the existing file is readable by group or others, is not a regular
///         file, does not parse, or defines a variable twice.
///     FileError: the file or directory cannot be read or written.
///
/// Example:
///     >>> report = banatie_infra.generate_secrets(spec, "/opt/banatie")
///     >>> report["generated"]
///     ['POSTGRES_PASSWORD', 'MINIO_ROOT_PASSWORD', ...]
///     >>> report["missing"]
///     ['GEMINI_API_KEY']
#[pyfunction]
pub fn generate_secrets<'py>(
    py: Python<'py>,
    spec: &Bound<'py, PySpec>,
    dir: PathBuf,
) -> PyResult<Bound<'py, PyDict>> {
    guard(|| {
        let spec = spec.get();
        let findings = py.detach(|| spec.findings());
        if has_errors(&findings) {
            return Err(spec_error(py, invalid_message(&findings), findings));
        }
        let report = py
            .detach(|| secrets::ensure(&spec.spec, &dir))
            .map_err(|e| secrets_error(py, e))?;
        let out = PyDict::new(py);
        out.set_item("generated", report.generated)?;
        out.set_item("derived", report.derived)?;
        out.set_item("kept", report.kept)?;
        let missing: Vec<String> = report.missing.into_iter().map(|(name, _)| name).collect();
        out.set_item("missing", missing)?;
        out.set_item("unknown", report.unknown)?;
        out.set_item("service_files", report.service_files)?;
        Ok(out)
    })
}

/// Reads one value from ``dir/secrets.env``, by name: the only function that returns a
/// secret value.
///
/// Args:
///     dir (str | os.PathLike[str]): the directory of ``secrets.env``.
///     name (str): the variable, for example ``"POSTGRES_PASSWORD"``.
///
/// Returns:
///     str | None: the value, or ``None`` when the file or the variable is missing.
///
/// Raises:
///     SecretsError: the file is readable by group or others, or does not parse.
///     FileError: the file cannot be read.
///
/// Example:
///     >>> password = banatie_infra.read_secret("/opt/banatie", "POSTGRES_PASSWORD")
#[pyfunction]
pub fn read_secret(py: Python<'_>, dir: PathBuf, name: &str) -> PyResult<Option<String>> {
    guard(|| {
        py.detach(|| secrets::read_value(&dir, name))
            .map_err(|e| secrets_error(py, e))
    })
}
