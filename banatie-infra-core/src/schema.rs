//! The JSON Schema of the spec, generated from the types (descriptions from their doc
//! comments). The committed copy is `schema/banatie-infra.schema.json`; a test fails when
//! it is stale.

/// The `$id` of the schema.
pub const SCHEMA_ID: &str = "https://banatie-infra.invalid/schema/banatie-infra.schema.json";

/// The JSON Schema (draft 2020-12) of [`crate::Spec`] as a JSON value.
pub fn json_schema() -> serde_json::Value {
    let mut schema = schemars::schema_for!(crate::Spec).to_value();
    if let Some(o) = schema.as_object_mut() {
        o.insert("$id".into(), SCHEMA_ID.into());
        o.insert("title".into(), "banatie-infra spec".into());
    }
    schema
}

/// The schema as pretty-printed JSON text with a trailing newline, exactly as committed.
///
/// ```
/// let text = banatie_infra_core::schema::json_schema_text();
/// assert!(text.contains("\"services\""));
/// ```
pub fn json_schema_text() -> String {
    let mut s = serde_json::to_string_pretty(&json_schema()).expect("a schema serializes");
    s.push('\n');
    s
}

/// The example of a service's `secrets`: what an API typically receives.
pub(crate) fn example_secrets() -> Vec<&'static str> {
    vec!["DATABASE_URL", "JWT_SECRET"]
}

/// The example of `health.exec`.
pub(crate) fn example_health_exec() -> Vec<&'static str> {
    vec!["redis-cli", "ping"]
}

/// Drops the `default` of a field whose default the loader derives from other fields (a
/// PostgreSQL service's `version`, `database`, `user`): the constant schemars would show
/// is not what a spec gets. The field's description says how it is derived.
pub(crate) fn derived_default(schema: &mut schemars::Schema) {
    if let Some(o) = schema.as_object_mut() {
        o.remove("default");
    }
}
