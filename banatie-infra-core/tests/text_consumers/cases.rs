//! Generators and the refused-or-kept bookkeeping of tests/properties_text.rs.

use std::collections::BTreeMap;
use std::sync::Mutex;

use banatie_infra_core::diagnostic::{has_errors, Diagnostic};
use proptest::prelude::*;
use proptest::test_runner::Config;
use serde_json::{json, Value};

use super::{cases, load_json};

/// Pieces that mean something to a shell, an env-file reader, SQL, YAML or MinIO.
pub const FRAGMENTS: &[&str] = &[
    "$(touch pwned)",
    "`touch pwned`",
    "\"; touch pwned; echo \"",
    "'",
    "\"",
    "\\",
    "\n",
    "\r",
    "\r\n",
    "\0",
    "${X}",
    "$X",
    "$",
    "$$",
    ";",
    "&",
    "|",
    ">",
    "<",
    "*",
    "?",
    "#",
    " #",
    "=",
    ",",
    " ",
    "\t",
    "%s",
    "%n",
    "-",
    "--",
    "//",
    "./",
    "../",
    "/",
    "\u{2028}",
    "\u{85}",
    "\u{1b}[31m",
    "\u{7f}",
    "\u{feff}",
    "é",
    "🙂",
    "日本",
    "pg_",
    "public",
    "template0",
    ": ",
    "- ",
    "{",
    "}",
    "[",
    "]",
    "!",
    "&a",
    "*a",
    "~",
    "null",
    "no",
    "0x1F",
    "1_000",
];

/// Arbitrary text: mostly short mixes of word characters and [`FRAGMENTS`], sometimes any
/// Unicode string at all.
pub fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::collection::vec(
            prop_oneof![
                4 => "[a-zA-Z0-9/._-]{1,4}",
                3 => prop::sample::select(FRAGMENTS).prop_map(String::from),
                1 => any::<char>().prop_map(String::from),
            ],
            1..10,
        )
        .prop_map(|v| v.concat()),
        1 => any::<String>(),
    ]
}

/// Text that is often a valid path (the path types' alphabet), sometimes not.
pub fn path_text(abs: bool) -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "[a-z0-9._+@-]{1,6}(/[a-z0-9._+@-]{1,6}){0,2}/?",
        1 => text(),
    ]
    .prop_map(move |s| if abs { format!("/{s}") } else { s })
}

pub fn config() -> Config {
    Config {
        cases: cases(),
        failure_persistence: None,
        ..Config::default()
    }
}

/// Sets the value at JSON pointer `at` (parents must exist; `~1` is `/`).
pub fn set(spec: &mut Value, at: &str, v: Value) {
    let (parent, key) = at.rsplit_once('/').unwrap();
    let key = key.replace("~1", "/").replace("~0", "~");
    match spec
        .pointer_mut(parent)
        .unwrap_or_else(|| panic!("no {parent}"))
    {
        Value::Object(m) => {
            m.insert(key, v);
        }
        Value::Array(a) => a[key.parse::<usize>().unwrap()] = v,
        _ => panic!("{parent}"),
    }
}

/// The outcome of a case whose fields `fields` (pointer, value, codes allowed there) were
/// set in `spec`: each field holding a NUL makes the loader refuse the spec with BI109 at
/// it; otherwise every error is one of its field's allowed codes at that field. Returns
/// the spec with the refused fields put back to `defaults`, and which fields were kept.
pub fn settle(
    mut spec: Value,
    fields: &[(&str, Value, &[&str])],
    defaults: &Value,
) -> Result<(banatie_infra_core::Spec, Vec<bool>), TestCaseError> {
    let has_nul = |v: &Value| v.to_string().contains("\\u0000");
    let mut kept = vec![true; fields.len()];
    for (i, (at, v, _)) in fields.iter().enumerate() {
        if has_nul(v) {
            let mut one = defaults.clone();
            set(&mut one, at, v.clone());
            let d = load_json(&one).err();
            prop_assert!(
                d.as_ref()
                    .is_some_and(|d| d.code.0 == "BI109" && d.pointer.starts_with(at)),
                "{at}: a NUL must be BI109 there, got {d:?}"
            );
            kept[i] = false;
        }
    }
    for (i, (at, v, _)) in fields.iter().enumerate() {
        if kept[i] {
            set(&mut spec, at, v.clone());
        } else {
            set(
                &mut spec,
                at,
                defaults.pointer(at).cloned().unwrap_or(json!("ok-value")),
            );
        }
    }
    let loaded = load_json(&spec).map_err(|d| TestCaseError::fail(format!("{d:?}")))?;
    let diags = banatie_infra_core::validate::validate(&loaded);
    let errors: Vec<&Diagnostic> = diags.iter().filter(|d| d.is_error()).collect();
    for e in &errors {
        let field = fields
            .iter()
            .position(|(at, _, codes)| e.pointer.starts_with(at) && codes.contains(&e.code.0));
        prop_assert!(field.is_some(), "unexpected error {e:#?}");
        prop_assert!(e.help.is_some(), "{e:#?}");
        kept[field.unwrap()] = false;
    }
    if errors.is_empty() {
        return Ok((loaded, kept));
    }
    for (i, (at, _, _)) in fields.iter().enumerate() {
        if !kept[i] {
            set(
                &mut spec,
                at,
                defaults.pointer(at).cloned().unwrap_or(json!("ok-value")),
            );
        }
    }
    let loaded = load_json(&spec).map_err(|d| TestCaseError::fail(format!("{d:?}")))?;
    let d = banatie_infra_core::validate::validate(&loaded);
    prop_assert!(!has_errors(&d), "{d:#?}");
    Ok((loaded, kept))
}

/// Counts of kept values per field, to show the property covered accepted values.
pub static KEPT: Mutex<BTreeMap<&'static str, usize>> = Mutex::new(BTreeMap::new());

pub fn count(field: &'static str, kept: bool) {
    if kept {
        *KEPT.lock().unwrap().entry(field).or_default() += 1;
    }
}
