//! SQL: PostgreSQL identifiers and string literals (the init SQL the renderer writes).

/// Quotes `s` as a PostgreSQL identifier: double quotes, `"` doubled.
///
/// ```
/// use banatie_infra_core::render::quote::sql_ident;
/// assert_eq!(sql_ident("banatie_user"), r#""banatie_user""#);
/// assert_eq!(sql_ident(r#"a"b"#), r#""a""b""#);
/// ```
pub fn sql_ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// Quotes `s` as a PostgreSQL string literal (standard-conforming strings): single quotes,
/// `'` doubled.
///
/// ```
/// use banatie_infra_core::render::quote::sql_literal;
/// assert_eq!(sql_literal("it's"), "'it''s'");
/// ```
pub fn sql_literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}
