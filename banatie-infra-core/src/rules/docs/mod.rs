//! The long explanation of every rule (why it matters, a failing example, a passing one),
//! one markdown file per code. This placeholder returns no text; the rule documents replace
//! it.

/// The markdown explanation of `code`, or `""` when the code has none yet.
pub(crate) fn explanation(code: &str) -> &'static str {
    let _ = code;
    ""
}
