//! `Spec`, `Diagnostic`, and the functions that load a spec or describe its format.

use std::fmt;
use std::path::PathBuf;
use std::time::Instant;

use banatie_infra_core::load::{self as core_load, Format, Source};
use banatie_infra_core::{bundle, render, schema, validate, Diagnostic, Spec};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyString, PyType};
use pyo3::IntoPyObjectExt;

use crate::errors::{guard, load_error, render_error, BanatieInfraError};

/// One finding of ``Spec.validate()`` or ``drift()``, or of a ``SpecError``.
///
/// Attributes:
///     code (str): the stable code, for example ``"BI101"`` (``BI1xx`` spec structure,
///         ``BI2xx`` security, ``BI3xx`` Compose, ``BI4xx`` sites, ``BI5xx`` storage and
///         database, ``BI6xx`` drift of the running stack).
///     severity (str): ``"error"`` (stops rendering) or ``"warning"``.
///     path (str): the JSON pointer (RFC 6901) into the spec, for example
///         ``"/services/web/port"``; ``""`` for the whole spec.
///     message (str): what is wrong. Never contains a secret value.
///     help (str | None): how to fix it, when there is a clear fix.
///     file (str | None): the file the spec was loaded from (``"<input>"`` for
///         ``loads``, ``"<value>"`` in the ``SpecError`` of ``Spec.from_dict``);
///         ``None`` for the findings on a spec made by ``Spec.from_dict``.
///     line (int | None): the 1-based line, when known.
///     column (int | None): the 1-based column in characters, when known.
///
/// Diagnostics compare equal by value and are hashable. ``str(d)`` is one line:
/// ``file:line:column: error[CODE]: message (at /pointer; help: ...)``.
///
/// Example:
///     >>> spec = banatie_infra.loads("stack: {name: demo}\nservices: {}\n")
///     >>> for d in spec.validate():
///     ...     print(d.severity, d.code, d.path, d.line, d.message)
#[pyclass(
    frozen,
    eq,
    hash,
    get_all,
    module = "banatie_infra",
    name = "Diagnostic"
)]
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct PyDiagnostic {
    /// The stable code, for example ``"BI101"``.
    pub(crate) code: String,
    /// ``"error"`` or ``"warning"``.
    pub(crate) severity: String,
    /// The JSON pointer (RFC 6901) into the spec; ``""`` for the whole spec.
    pub(crate) path: String,
    /// What is wrong; never contains a secret value.
    pub(crate) message: String,
    /// How to fix it, when there is a clear fix.
    pub(crate) help: Option<String>,
    /// The file the spec was loaded from, when known.
    pub(crate) file: Option<String>,
    /// The 1-based line, when known.
    pub(crate) line: Option<usize>,
    /// The 1-based column in characters, when known.
    pub(crate) column: Option<usize>,
}

impl From<&Diagnostic> for PyDiagnostic {
    fn from(d: &Diagnostic) -> Self {
        // Secret values never reach Python in a diagnostic's fields.
        let d = &d.redacted();
        let span = d.span.as_ref();
        let location = span.and_then(|s| s.location);
        Self {
            code: d.code.0.to_owned(),
            severity: d.severity.to_string(),
            path: d.pointer.clone(),
            message: d.message.clone(),
            help: d.help.clone(),
            file: span.map(|s| s.file.clone()),
            line: location.map(|l| l.line),
            column: location.map(|l| l.column),
        }
    }
}

impl fmt::Display for PyDiagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.file, self.line, self.column) {
            (Some(file), Some(line), Some(column)) => write!(f, "{file}:{line}:{column}: ")?,
            (Some(file), _, _) => write!(f, "{file}: ")?,
            _ => {}
        }
        let at = if self.path.is_empty() {
            "/"
        } else {
            &self.path
        };
        write!(
            f,
            "{}[{}]: {} (at {at}",
            self.severity, self.code, self.message
        )?;
        if let Some(h) = &self.help {
            write!(f, "; help: {h}")?;
        }
        f.write_str(")")
    }
}

fn py_repr<'py, T: IntoPyObject<'py>>(py: Python<'py>, value: T) -> PyResult<String> {
    let obj = value.into_bound_py_any(py)?;
    Ok(obj.repr()?.to_string())
}

#[pymethods]
impl PyDiagnostic {
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        guard(|| {
            Ok(format!(
                "Diagnostic(code={}, severity={}, path={}, message={}, help={}, file={}, line={}, column={})",
                py_repr(py, &self.code)?,
                py_repr(py, &self.severity)?,
                py_repr(py, &self.path)?,
                py_repr(py, &self.message)?,
                py_repr(py, self.help.as_deref())?,
                py_repr(py, self.file.as_deref())?,
                py_repr(py, self.line)?,
                py_repr(py, self.column)?,
            ))
        })
    }

    fn __str__(&self) -> String {
        self.to_string()
    }

    /// The diagnostic as a plain dict, as the CLI's ``--format json`` writes it, but
    /// with every key present (``None`` when unknown) and the pointer under ``"path"``.
    ///
    /// Returns:
    ///     dict[str, str | int | None]: keys ``code``, ``severity``, ``path``,
    ///     ``message``, ``help``, ``file``, ``line``, ``column``.
    ///
    /// Example:
    ///     >>> import json
    ///     >>> print(json.dumps([d.to_dict() for d in spec.validate()]))
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        guard(|| {
            let d = PyDict::new(py);
            d.set_item("code", &self.code)?;
            d.set_item("severity", &self.severity)?;
            d.set_item("path", &self.path)?;
            d.set_item("message", &self.message)?;
            d.set_item("help", &self.help)?;
            d.set_item("file", &self.file)?;
            d.set_item("line", self.line)?;
            d.set_item("column", self.column)?;
            Ok(d)
        })
    }
}

/// Converts core diagnostics to Python ones.
pub(crate) fn diagnostics(diags: &[Diagnostic]) -> Vec<PyDiagnostic> {
    diags.iter().map(PyDiagnostic::from).collect()
}

/// A deployment spec: loaded by ``load``/``loads`` or built by ``Spec.from_dict``.
///
/// Immutable. A spec loaded from text remembers where each value was written, so the
/// diagnostics of ``validate()`` (and of a ``SpecError`` from ``render()``) carry the
/// file, line and column. Specs compare equal when their contents are equal, wherever
/// they came from.
///
/// Example:
///     >>> spec = banatie_infra.load("examples/banatie.yaml")
///     >>> errors = [d for d in spec.validate() if d.severity == "error"]
///     >>> files = spec.render()  # {"docker-compose.yml": b"...", ...}
///     >>> spec.render_to("/opt/banatie")
///     [('docker-compose.yml', 'created'), ('.env', 'created'), ...]
#[pyclass(frozen, module = "banatie_infra", name = "Spec")]
pub struct PySpec {
    pub(crate) spec: Spec,
    pub(crate) source: Option<Source>,
}

impl PySpec {
    /// The spec's validation findings, with positions when it came from text.
    pub(crate) fn findings(&self) -> Vec<Diagnostic> {
        let mut diags = validate::validate(&self.spec);
        if let Some(s) = &self.source {
            s.annotate(&mut diags);
        }
        diags
    }

    fn bundle(&self, py: Python<'_>) -> PyResult<render::Bundle> {
        py.detach(|| render::render(&self.spec))
            .map_err(|e| render_error(py, e, self.source.as_ref()))
    }
}

#[pymethods]
impl PySpec {
    /// The spec as plain Python data (dicts, lists, strings, numbers, booleans, None),
    /// with every default filled in; ``Spec.from_dict`` reads it back.
    ///
    /// Returns:
    ///     dict[str, Any]: the spec, in the shape of ``json_schema()``.
    ///
    /// Example:
    ///     >>> d = spec.to_dict()
    ///     >>> d["stack"]["name"]
    ///     'banatie'
    ///     >>> banatie_infra.Spec.from_dict(d) == spec
    ///     True
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        guard(|| {
            pythonize::pythonize(py, &self.spec).map_err(|e| {
                BanatieInfraError::new_err(format!("internal error: cannot convert the spec: {e}"))
            })
        })
    }

    /// The spec as pretty-printed JSON text (two-space indent, no trailing newline),
    /// with every default filled in; ``loads(text, format="json")`` reads it back.
    ///
    /// Returns:
    ///     str: the JSON text.
    ///
    /// Example:
    ///     >>> text = spec.to_json()
    ///     >>> banatie_infra.loads(text, format="json") == spec
    ///     True
    fn to_json(&self) -> PyResult<String> {
        guard(|| {
            serde_json::to_string_pretty(&self.spec).map_err(|e| {
                BanatieInfraError::new_err(format!(
                    "internal error: cannot serialize the spec: {e}"
                ))
            })
        })
    }

    /// Builds a spec from plain Python data (for example ``json.load``'s result, or
    /// ``Spec.to_dict()``), with the same checks as ``load``.
    ///
    /// Args:
    ///     d (Mapping[str, Any]): the spec as nested dicts, lists, strings, numbers,
    ///         booleans and None.
    ///
    /// Returns:
    ///     Spec: the spec. Its diagnostics have a JSON pointer but no file or line.
    ///
    /// Raises:
    ///     SpecError: the data does not match the spec's types (``BI101`` unknown key,
    ///         ``BI102`` wrong type or value, ``BI103`` missing key).
    ///     TypeError: a value has no JSON equivalent (a set, a datetime, ...).
    ///
    /// Example:
    ///     >>> spec = banatie_infra.Spec.from_dict({"stack": {"name": "demo"}, "services": {}})
    #[classmethod]
    fn from_dict(_cls: &Bound<'_, PyType>, py: Python<'_>, d: &Bound<'_, PyAny>) -> PyResult<Self> {
        guard(|| {
            let value: serde_json::Value = pythonize::depythonize(d).map_err(|e| {
                PyTypeError::new_err(format!("the spec must be plain JSON-like data: {e}"))
            })?;
            let spec = py
                .detach(|| core_load::from_json_value(&value))
                .map_err(|e| load_error(py, e))?;
            Ok(Self { spec, source: None })
        })
    }

    /// Checks the spec: every rule of ``banatie-infra validate``.
    ///
    /// Returns:
    ///     list[Diagnostic]: errors and warnings in rule order; empty when the spec is
    ///     clean. A spec with errors cannot be rendered.
    ///
    /// Example:
    ///     >>> [d.code for d in spec.validate() if d.severity == "error"]
    ///     []
    fn validate(&self, py: Python<'_>) -> PyResult<Vec<PyDiagnostic>> {
        guard(|| Ok(diagnostics(&py.detach(|| self.findings()))))
    }

    /// Renders every file of the deployment, in memory, byte for byte as
    /// ``banatie-infra render`` writes them (``secrets.env`` is never rendered).
    ///
    /// Returns:
    ///     dict[str, bytes]: each file's bytes by its ``/``-separated path relative to
    ///     the deployment root, in the CLI's order (``docker-compose.yml`` first).
    ///
    /// Raises:
    ///     SpecError: the spec has validation errors; ``.diagnostics`` holds all
    ///         findings (warnings too).
    ///
    /// Example:
    ///     >>> files = spec.render()
    ///     >>> b"pg_isready" in files["docker-compose.yml"]
    ///     True
    fn render<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        guard(|| {
            let bundle = self.bundle(py)?;
            let out = PyDict::new(py);
            for f in &bundle.files {
                out.set_item(PyString::new(py, &f.path), PyBytes::new(py, &f.contents))?;
            }
            Ok(out)
        })
    }

    /// Renders the deployment and writes it under ``dir`` like ``banatie-infra render
    /// -o DIR``: each file atomically (temporary file, fsync, rename; its mode set at
    /// creation), unchanged files left alone, ``secrets.env`` never touched. ``dir`` is
    /// created when missing.
    ///
    /// Args:
    ///     dir (str | os.PathLike[str]): the deployment root to write.
    ///     force (bool): also write into a non-empty directory that holds no bundle
    ///         (default ``False``).
    ///
    /// Returns:
    ///     list[tuple[str, str]]: ``(relative path, outcome)`` per file, in bundle order;
    ///     the outcome is ``"created"``, ``"updated"`` or ``"unchanged"``.
    ///
    /// ``force=True`` writes into an existing non-empty directory that is not a bundle
    /// (``render --force``); a system directory (``/``, ``/etc``, ...) is always refused.
    ///
    /// Raises:
    ///     SpecError: the spec has validation errors (nothing is written).
    ///     FileError: a file cannot be written (files written before it stay complete;
    ///         none is partial), or ``dir`` is refused as a root (BI702, BI703: nothing
    ///         is written).
    ///
    /// Example:
    ///     >>> spec.render_to("/tmp/banatie")
    ///     [('docker-compose.yml', 'created'), ('.env', 'created'), ...]
    #[pyo3(signature = (dir, *, force = false))]
    fn render_to(
        &self,
        py: Python<'_>,
        dir: PathBuf,
        force: bool,
    ) -> PyResult<Vec<(String, &'static str)>> {
        guard(|| {
            let bundle = self.bundle(py)?;
            // The spec file it was loaded from may live in its root: it does not count.
            let own = self.source.as_ref().map(|s| std::path::Path::new(&s.name));
            let own: Vec<&std::path::Path> = own.into_iter().collect();
            banatie_infra_core::roots::check_output_root(&dir, force, &own).map_err(
                |e| match e {
                    banatie_infra_core::roots::RootError::Io { path, source } => {
                        crate::errors::file_error(py, &path, &source)
                    }
                    refused => {
                        let code = refused
                            .code()
                            .map(|c| format!(" [{c}]"))
                            .unwrap_or_default();
                        let help = refused.help().map(|h| format!("; {h}")).unwrap_or_default();
                        let io = std::io::Error::new(
                            std::io::ErrorKind::PermissionDenied,
                            format!("{refused}{code}{help}"),
                        );
                        crate::errors::file_error(py, &dir, &io)
                    }
                },
            )?;
            let written = py
                .detach(|| bundle::write(&bundle, &dir))
                .map_err(|e| crate::errors::file_error(py, &e.path, &e.source))?;
            Ok(written
                .into_iter()
                .map(|(path, outcome)| {
                    let what = match outcome {
                        bundle::WriteOutcome::Created => "created",
                        bundle::WriteOutcome::Updated => "updated",
                        bundle::WriteOutcome::Unchanged => "unchanged",
                    };
                    (path, what)
                })
                .collect())
        })
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .cast::<PySpec>()
            .is_ok_and(|o| o.get().spec == self.spec)
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        guard(|| {
            let from = match &self.source {
                Some(s) => format!(" from {}", py_repr(py, s.name.as_str())?),
                None => String::new(),
            };
            Ok(format!(
                "<Spec {}: {} service(s){from}>",
                py_repr(py, self.spec.stack.name.as_str())?,
                self.spec.services.len()
            ))
        })
    }
}

/// Loads the spec at ``path``; the format comes from the extension (``.yaml``/``.yml``,
/// ``.toml``, ``.json``).
///
/// Args:
///     path (str | os.PathLike[str]): the spec file.
///
/// Returns:
///     Spec: the spec, remembering its source for positioned diagnostics.
///
/// Raises:
///     FileError: the file cannot be read (an ``OSError``: ``errno``, ``filename``).
///     SpecError: another extension, not UTF-8, a syntax error (``BI100``), an unknown
///         key (``BI101``, with the closest valid key as help), a wrong type or value
///         (``BI102``), a missing key (``BI103``), a duplicate key (``BI104``);
///         ``.line`` and ``.column`` say where.
///
/// Example:
///     >>> spec = banatie_infra.load("examples/banatie.yaml")
///     >>> spec
///     <Spec 'banatie': 5 service(s) from 'examples/banatie.yaml'>
#[pyfunction]
pub fn load(py: Python<'_>, path: PathBuf) -> PyResult<PySpec> {
    guard(|| {
        let loaded = py
            .detach(|| core_load::load_path(&path))
            .map_err(|e| load_error(py, e))?;
        Ok(PySpec {
            spec: loaded.spec,
            source: Some(loaded.source),
        })
    })
}

/// Loads a spec from text.
///
/// Args:
///     text (str): the spec.
///     format (str): ``"yaml"`` (default; ``"yml"`` too), ``"toml"`` or ``"json"``.
///     name (str): the file name diagnostics show (default ``"<input>"``).
///
/// Returns:
///     Spec: the spec, remembering the text for positioned diagnostics.
///
/// Raises:
///     SpecError: as for ``load``.
///     ValueError: ``format`` is not one of the names above.
///
/// Example:
///     >>> spec = banatie_infra.loads('stack = { name = "demo" }\nservices = {}\n', format="toml")
#[pyfunction]
#[pyo3(signature = (text, format = "yaml", name = "<input>"))]
pub fn loads(py: Python<'_>, text: &str, format: &str, name: &str) -> PyResult<PySpec> {
    guard(|| {
        let format = Format::from_name(format).ok_or_else(|| {
            PyValueError::new_err(format!(
                "unknown format {format:?}: use \"yaml\", \"toml\" or \"json\""
            ))
        })?;
        let loaded = py
            .detach(|| core_load::load_str(text, format, name))
            .map_err(|e| load_error(py, e))?;
        Ok(PySpec {
            spec: loaded.spec,
            source: Some(loaded.source),
        })
    })
}

/// The JSON Schema (draft 2020-12) of the spec, as ``banatie-infra schema`` prints it;
/// descriptions come from the spec types' documentation.
///
/// Returns:
///     dict[str, Any]: the schema (``$id``, ``title``, ``properties``, ``$defs``, ...).
///
/// Example:
///     >>> import json
///     >>> schema = banatie_infra.json_schema()
///     >>> sorted(schema["properties"])[:3]
///     ['backups', 'env', 'monitoring']
#[pyfunction]
pub fn json_schema(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    guard(|| {
        pythonize::pythonize(py, &schema::json_schema()).map_err(|e| {
            BanatieInfraError::new_err(format!("internal error: cannot convert the schema: {e}"))
        })
    })
}

/// Benchmark support: renders ``spec`` ``n`` times inside Rust (no Python in the loop)
/// and returns the total seconds. Not part of the API.
#[pyfunction]
pub fn _bench_render_rust(py: Python<'_>, spec: &Bound<'_, PySpec>, n: u32) -> PyResult<f64> {
    guard(|| {
        let spec = &spec.get().spec;
        py.detach(|| {
            let start = Instant::now();
            for _ in 0..n {
                let bundle = render::render(std::hint::black_box(spec));
                std::hint::black_box(&bundle);
                if let Err(e) = bundle {
                    return Err(e.to_string());
                }
            }
            Ok(start.elapsed().as_secs_f64())
        })
        .map_err(BanatieInfraError::new_err)
    })
}

/// Test support: panics inside Rust with ``message``, to show that a panic reaches
/// Python as ``BanatieInfraError("internal error: ...")``. Not part of the API.
#[pyfunction]
pub fn _panic_for_tests(message: &str) -> PyResult<()> {
    guard(|| panic!("{message}"))
}
