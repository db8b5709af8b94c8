//! `rules()` and `rule(code)`: the rules registry (`banatie_infra_core::rules`), as
//! `banatie-infra rules [CODE]` prints it, as frozen `Rule` objects.

use banatie_infra_core::rules::{self as registry, Rule};
use pyo3::exceptions::PyKeyError;
use pyo3::prelude::*;

use crate::errors::guard;

/// One rule of the registry, as ``banatie-infra rules CODE`` prints it. Frozen;
/// rules compare equal by value and are hashable. ``str(r)`` is the whole rule as one
/// Markdown document.
///
/// Attributes:
///     code (str): the stable code, for example ``"BI301"``.
///     name (str): the stable kebab-case name, ``"healthcheck-binary-missing"``.
///     severity (str): ``"error"`` or ``"warning"``.
///     family (str): ``"spec"``, ``"limits"``, ``"secrets"``, ``"health"``,
///         ``"sites"``, ``"storage"``, ``"live"`` or ``"files"``.
///     summary (str): one line: what the rule finds.
///     explanation (str): Markdown: what it finds, why it matters, an example that
///         fails and one that passes.
///     markdown (str): the heading, severity, family, summary and explanation together.
///
/// Example:
///     >>> r = banatie_infra.rule("bi301")
///     >>> r.code, r.name, r.severity
///     ('BI301', 'healthcheck-binary-missing', 'error')
#[pyclass(frozen, eq, hash, get_all, module = "banatie_infra", name = "Rule")]
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PyRule {
    /// The stable code, for example ``"BI301"``.
    code: String,
    /// The stable kebab-case name.
    name: String,
    /// The severity the rule reports at.
    severity: String,
    /// The family: the hundreds of the code.
    family: String,
    /// One line: what the rule finds.
    summary: String,
    /// Markdown: why it matters, a failing example, a passing one.
    explanation: String,
    /// The whole rule as one Markdown document.
    markdown: String,
}

impl From<&Rule> for PyRule {
    fn from(r: &Rule) -> Self {
        Self {
            code: r.code.0.to_owned(),
            name: r.name.to_owned(),
            severity: r.severity.to_string(),
            family: r.family.to_owned(),
            summary: r.summary.to_owned(),
            explanation: r.explanation.to_owned(),
            markdown: r.to_markdown(),
        }
    }
}

#[pymethods]
impl PyRule {
    fn __repr__(&self) -> String {
        format!(
            "Rule(code={:?}, name={:?}, severity={:?}, family={:?})",
            self.code, self.name, self.severity, self.family
        )
    }

    fn __str__(&self) -> String {
        self.markdown.clone()
    }
}

/// Every rule of the registry, in code order, like ``banatie-infra rules``.
///
/// Returns:
///     list[Rule]: one per code (``BI100`` ... ``BI7xx``).
///
/// Example:
///     >>> errors = [r.code for r in banatie_infra.rules() if r.severity == "error"]
#[pyfunction]
pub(crate) fn rules() -> PyResult<Vec<PyRule>> {
    guard(|| Ok(registry::all().iter().map(PyRule::from).collect()))
}

/// One rule, like ``banatie-infra rules CODE``.
///
/// Args:
///     code (str): the code, case-insensitive (``"BI301"``, ``"bi301"``).
///
/// Returns:
///     Rule: the rule, with its explanation.
///
/// Raises:
///     KeyError: no rule has the code; the message names the closest code.
///
/// Example:
///     >>> print(banatie_infra.rule("BI301").summary)
///     a health check calls a binary the image does not ship
#[pyfunction]
pub(crate) fn rule(code: &str) -> PyResult<PyRule> {
    guard(|| {
        registry::lookup(code)
            .map(PyRule::from)
            .map_err(|e| PyKeyError::new_err(e.to_string()))
    })
}
