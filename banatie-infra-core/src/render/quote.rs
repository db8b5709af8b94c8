//! Quoting for each target language the renderer writes. Every value that reaches a
//! rendered text file goes through one of these (the templates use them as filters).

/// Quotes `s` as one POSIX shell word: single quotes, with `'` written as `'\''`.
///
/// ```
/// use banatie_infra_core::render::quote::shell;
/// assert_eq!(shell("it's"), r#"'it'\''s'"#);
/// assert_eq!(shell("plain"), "'plain'");
/// ```
pub fn shell(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

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

/// Writes `s` as one Caddyfile token: bare when it has no whitespace, quotes, braces,
/// backslashes or leading `#`/`@`; otherwise double-quoted with `"` and `\` escaped.
///
/// ```
/// use banatie_infra_core::render::quote::caddy;
/// assert_eq!(caddy("nosniff"), "nosniff");
/// assert_eq!(caddy("max-age=31536000; includeSubDomains"), r#""max-age=31536000; includeSubDomains""#);
/// ```
pub fn caddy(s: &str) -> String {
    let bare = !s.is_empty()
        && !s.starts_with(['#', '@', '{', '}'])
        && !s.contains(|c: char| {
            c.is_whitespace() || matches!(c, '"' | '\'' | '`' | '\\' | '{' | '}')
        });
    if bare {
        s.to_owned()
    } else {
        format!("\"{}\"", s.replace('\\', r"\\").replace('"', "\\\""))
    }
}

/// Writes `s` as an env-file value that Compose v2's env-file parser returns byte for byte:
/// single-quoted (literal: no `$` expansion, no `#` comment) when it holds no `'`, CR or
/// LF; otherwise double-quoted with `\`, `"`, `$`, LF and CR escaped.
///
/// ```
/// use banatie_infra_core::render::quote::env_value;
/// assert_eq!(env_value("$2b$12$abc"), "'$2b$12$abc'");
/// assert_eq!(env_value("abc#def"), "'abc#def'");
/// assert_eq!(env_value("it's $x"), r#""it's \$x""#);
/// ```
pub fn env_value(s: &str) -> String {
    // compose-go reads `\'` inside single quotes as an escaped quote: a value ending in a
    // backslash would never close its single quotes.
    if !s.contains(['\'', '\n', '\r']) && !s.ends_with('\\') {
        return format!("'{s}'");
    }
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '\\' => out.push_str(r"\\"),
            '"' => out.push_str("\\\""),
            '$' => out.push_str("\\$"),
            '\n' => out.push_str(r"\n"),
            '\r' => out.push_str(r"\r"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Escapes `$` as `$$` so Compose's interpolation leaves a string as written (Compose
/// spec, "Interpolation").
///
/// ```
/// use banatie_infra_core::render::quote::compose_literal;
/// assert_eq!(compose_literal("Xy7$Qa9"), "Xy7$$Qa9");
/// ```
pub fn compose_literal(s: &str) -> String {
    s.replace('$', "$$")
}
