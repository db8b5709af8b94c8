//! The rules registry: every diagnostic code this crate can report, exactly once, with its
//! severity, a one-line summary and a long explanation (why it matters, a failing example,
//! a passing one), as `ruff rule` documents each rule.
//!
//! `banatie-infra rules` lists [`all`]; `banatie-infra rules BI301` prints [`get`]'s
//! explanation. Codes never change meaning once released.
//!
//! This first version gathers the code tables the modules still declare; the families'
//! own files (with the typed message constructors) replace them.

use std::sync::OnceLock;

use serde::Serialize;

use crate::diagnostic::{Code, Severity};

mod docs;

/// One rule of the registry.
#[derive(Debug, Clone, Serialize)]
pub struct Rule {
    /// The stable code, `BI` and three digits (`BI301`).
    pub code: Code,
    /// A short kebab-case name (`healthcheck-binary-missing`), stable like the code.
    pub name: &'static str,
    /// The severity the rule reports at (a few rules report a warning in some cases and
    /// say so in their summary).
    pub severity: Severity,
    /// The family: the hundreds of the code (`spec`, `limits`, `secrets`, `health`,
    /// `sites`, `storage`, `live`, `files`).
    pub family: &'static str,
    /// One line: what the rule finds.
    pub summary: &'static str,
    /// Markdown: why it matters, an example that fails, one that passes.
    pub explanation: &'static str,
}

/// Every rule, in code order.
pub fn all() -> &'static [Rule] {
    static ALL: OnceLock<Vec<Rule>> = OnceLock::new();
    ALL.get_or_init(|| {
        crate::rules()
            .into_iter()
            .map(|(code, severity, summary)| Rule {
                code,
                name: docs::name(code.0),
                severity,
                family: family(code),
                summary,
                explanation: docs::explanation(code.0),
            })
            .collect()
    })
}

/// The rule of `code` (`BI301`; case-insensitive), or `None` for a code no rule has.
pub fn get(code: &str) -> Option<&'static Rule> {
    all().iter().find(|r| r.code.0.eq_ignore_ascii_case(code))
}

/// The family of a code: its hundreds (and `limits` for BI15x).
fn family(code: Code) -> &'static str {
    match code.0.get(2..4).unwrap_or("") {
        "15" => "limits",
        d if d.starts_with('1') => "spec",
        d if d.starts_with('2') => "secrets",
        d if d.starts_with('3') => "health",
        d if d.starts_with('4') => "sites",
        d if d.starts_with('5') => "storage",
        d if d.starts_with('6') => "live",
        _ => "files",
    }
}
