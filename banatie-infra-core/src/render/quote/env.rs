//! Env files: a value that Compose v2's env-file parser (compose-go's dotenv) returns byte
//! for byte (`.env`, `secrets.env`).

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
