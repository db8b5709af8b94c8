//! `banatie_infra`: the Python extension module over `banatie-infra-core`.
//!
//! Thin by design: each function converts its arguments, calls the core (with the GIL
//! released) and converts the result or the error. The Python API, its types and its
//! exceptions are documented in `banatie_infra.pyi` and `README.md` beside this crate.

use pyo3::prelude::*;

/// The allocator of the module's own (Rust) memory: mimalloc, as the `banatie-infra`
/// binary (and as pydantic-core does). Python's objects keep Python's allocator.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod docker;
mod errors;
mod ops;
mod rules;
mod secrets;
mod spec;

/// The public names (`from banatie_infra import *`, and what the package re-exports);
/// `_bench_render_rust` and `_panic_for_tests` stay in the extension module
/// `banatie_infra.banatie_infra`.
const PUBLIC: [&str; 31] = [
    "__version__",
    "BackupError",
    "BanatieInfraError",
    "Diagnostic",
    "DockerError",
    "FileError",
    "LockError",
    "RotateError",
    "Rule",
    "SecretsError",
    "Spec",
    "SpecError",
    "UpError",
    "WaitError",
    "backup_db",
    "deploy",
    "drift",
    "generate_secrets",
    "json_schema",
    "load",
    "loads",
    "plan",
    "read_secret",
    "releases",
    "rollback",
    "rotate_secret",
    "rule",
    "rules",
    "status",
    "up",
    "wait",
];

/// A single-VPS Docker deployment as a typed, validated spec: load it, check it, render
/// every file of the deployment, generate its secrets, and operate the running stack.
///
/// The Python face of ``banatie-infra-core`` (the engine of the ``banatie-infra`` CLI):
/// the same checks, the same bytes, the same guarantees.
///
/// Example:
///     >>> import banatie_infra
///     >>> spec = banatie_infra.load("examples/banatie.yaml")
///     >>> [d for d in spec.validate() if d.severity == "error"]
///     []
///     >>> files = spec.render()
///     >>> sorted(files)[:2]
///     ['.env', 'caddy/Caddyfile']
#[pymodule]
fn banatie_infra(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    errors::register(m)?;
    m.add_class::<spec::PySpec>()?;
    m.add_class::<spec::PyDiagnostic>()?;
    m.add_class::<rules::PyRule>()?;
    m.add_function(wrap_pyfunction!(rules::rules, m)?)?;
    m.add_function(wrap_pyfunction!(rules::rule, m)?)?;
    m.add_function(wrap_pyfunction!(spec::load, m)?)?;
    m.add_function(wrap_pyfunction!(spec::loads, m)?)?;
    m.add_function(wrap_pyfunction!(spec::json_schema, m)?)?;
    m.add_function(wrap_pyfunction!(secrets::generate_secrets, m)?)?;
    m.add_function(wrap_pyfunction!(secrets::read_secret, m)?)?;
    m.add_function(wrap_pyfunction!(docker::status, m)?)?;
    m.add_function(wrap_pyfunction!(docker::wait, m)?)?;
    m.add_function(wrap_pyfunction!(docker::drift, m)?)?;
    m.add_function(wrap_pyfunction!(docker::backup_db, m)?)?;
    m.add_function(wrap_pyfunction!(ops::plan, m)?)?;
    m.add_function(wrap_pyfunction!(ops::up, m)?)?;
    m.add_function(wrap_pyfunction!(ops::deploy, m)?)?;
    m.add_function(wrap_pyfunction!(ops::releases, m)?)?;
    m.add_function(wrap_pyfunction!(ops::rollback, m)?)?;
    m.add_function(wrap_pyfunction!(ops::rotate_secret, m)?)?;
    m.add_function(wrap_pyfunction!(spec::_bench_render_rust, m)?)?;
    m.add_function(wrap_pyfunction!(spec::_panic_for_tests, m)?)?;
    // `add` appended every name to `__all__`; keep the public ones only.
    m.setattr("__all__", PUBLIC)?;
    Ok(())
}
