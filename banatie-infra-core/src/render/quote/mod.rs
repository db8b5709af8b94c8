//! Quoting for each target language the renderer writes. Every value that reaches a
//! rendered text file goes through one of these (the templates use them as filters).
//!
//! One file per consumer, re-exported here: `shell.rs` (POSIX shell words and
//! parameter expansions), `sql.rs` (PostgreSQL identifiers and literals), `env.rs`
//! (env-file values as Compose's dotenv parser reads them), `compose.rs` (Compose's
//! interpolation, and what Compose v2's YAML parser makes of a plain `environment`
//! value) and `yaml.rs` (which plain YAML scalars some reader types, and the requoting
//! of emitted YAML). This file holds the one-line comment text every `#` comment shares
//! and the Caddyfile token, which delegates to the escaper in `render/caddy.rs`.

mod compose;
mod env;
mod shell;
mod sql;
mod yaml;

pub use compose::{compose_env_reading, compose_literal};
pub use env::env_value;
pub use shell::{shell, shell_param};
pub use sql::{sql_ident, sql_literal};
pub(crate) use yaml::requote_ambiguous_yaml;
pub use yaml::yaml_plain_is_ambiguous;

/// Writes `s` as the text of a one-line `#` comment (env files, shell, SQL `--`): every
/// character that could end the line or reach a terminal as a control sequence (Unicode
/// category Cc: C0 controls with LF and CR, DEL, C1 controls; and U+2028, U+2029) becomes
/// `\u{..}`, so no value can start a new line, and with it a new variable or command.
/// Descriptions are refused with such characters (BI209); this is the renderer's own
/// guarantee for specs that were not validated.
///
/// ```
/// use banatie_infra_core::render::quote::comment;
/// assert_eq!(comment("API key\nNODE_OPTIONS=x"), r"API key\u{a}NODE_OPTIONS=x");
/// assert_eq!(comment("plain — text"), "plain — text");
/// ```
pub fn comment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') {
            out.push_str(&c.escape_unicode().to_string());
        } else {
            out.push(c);
        }
    }
    out
}

/// Writes `s` as one Caddyfile token that Caddy reads back as exactly `s`, or says why no
/// token can (`{`, `}`, and a few texts no quoting writes): [`super::caddy::token`], the one
/// Caddyfile escaper, whose documentation gives Caddy's lexing rules.
///
/// ```
/// use banatie_infra_core::render::quote::caddy;
/// assert_eq!(caddy("nosniff").unwrap(), "nosniff");
/// assert_eq!(caddy("max-age=31536000; includeSubDomains").unwrap(), r#""max-age=31536000; includeSubDomains""#);
/// assert!(caddy("}").is_err());
/// ```
pub fn caddy(s: &str) -> Result<String, super::caddy::TokenError> {
    super::caddy::token(s)
}
