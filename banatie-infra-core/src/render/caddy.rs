//! Caddyfile tokens: the one place where a value becomes Caddyfile text.
//!
//! What Caddy reads, from its own source (`caddyconfig/caddyfile/lexer.go`, `parse.go`,
//! `dispenser.go`, Caddy 2.6.2 as Debian ships it, and Caddy's main branch):
//!
//! - A token is a run of non-space characters (Go's `unicode.IsSpace`: the same set as
//!   Rust's `char::is_whitespace`). `#` at the start of a token starts a comment to the end
//!   of the line. A token starting with `"` runs to the next unescaped `"`: inside, `\"` is
//!   a `"` and a `\` before anything else is kept, so `\\` stays two backslashes and
//!   neither `\` directly before a `"` nor a trailing `\` can be written. A token starting
//!   with `` ` `` runs to the next `` ` `` with no escapes at all. Since Caddy 2.7 a bare
//!   token starting with `<<` opens a heredoc.
//! - Quoting never makes a token literal to the parser of Caddy 2.6.2: it compares the text
//!   of every token with `{` and `}` (blocks) whatever its quotes (Caddy 2.7 and later only
//!   do so for unquoted ones), and takes a line starting with `import` as an import
//!   whatever its quotes (every version).
//! - Before lexing, every `{$NAME}` or `{$NAME:default}` of the whole file (quoted or not,
//!   comments included) is replaced by the environment of the Caddy process.
//! - The HTTP Caddyfile adapter then rewrites placeholder shorthands (`{host}`, `{path}`,
//!   `{header.*}`, …) in every token, and most handlers (`header` among them) replace
//!   `{…}` placeholders at run time (`{env.*}` reads Caddy's environment,
//!   `{http.request.*}` the request).
//!
//! So `{` and `}` cannot be carried literally in any token: [`token`] refuses them, as it
//! refuses the one text no quoting can write (a `` ` `` together with `\"` or a trailing
//! `\`). Everything else is written bare when that is unambiguous, else double-quoted,
//! else backquoted; [`line_start_token`] also refuses `import`. The spec's types
//! ([`crate::header`], [`crate::types`]) refuse the same texts, so a valid spec always
//! renders.

/// Why a text cannot be one literal Caddyfile token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// The text holds `{` or `}`: block delimiters to Caddy 2.6 even when quoted,
    /// `{$NAME}` environment substitution at parse time, and placeholders after it.
    #[error("Caddy reads `{{` and `}}` as blocks, `{{$NAME}}` environment substitutions or placeholders even inside quotes")]
    Brace,
    /// The text holds a `` ` `` (so it cannot be backquoted) and `\"` or a trailing `\`
    /// (so it cannot be double-quoted), and needs quoting.
    #[error("a Caddyfile token cannot hold a backquote together with `\\\"` or a trailing `\\`")]
    Unquotable,
    /// `import` at the start of a line imports a file, whatever its quotes.
    #[error("Caddy reads `import` at the start of a line as an import, even when quoted")]
    Import,
}

/// Whether Caddy reads `s` unquoted as exactly `s`, with no special meaning: not empty, no
/// whitespace, control characters, quotes, `\`, braces, and no leading `#` (comment), `@`
/// (named matcher) or `<` (heredoc).
fn bare(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with(['#', '@', '<'])
        && !s.contains(|c: char| {
            c.is_whitespace() || c.is_control() || matches!(c, '"' | '\'' | '`' | '\\' | '{' | '}')
        })
}

/// Whether `s` can be written between double quotes: `"` is escaped as `\"`, and a `\`
/// is kept as is unless a `"` follows it, so `s` must have no `\` directly before a `"`
/// and no trailing `\`.
fn double_quotable(s: &str) -> bool {
    !s.contains("\\\"") && !s.ends_with('\\')
}

/// Why `s` cannot be one literal Caddyfile token, or `None` when [`token`] writes it.
///
/// ```
/// use banatie_infra_core::render::caddy::{unrepresentable, TokenError};
/// assert_eq!(unrepresentable("max-age=60"), None);
/// assert_eq!(unrepresentable("}"), Some(TokenError::Brace));
/// assert_eq!(unrepresentable("{$HOME}"), Some(TokenError::Brace));
/// assert_eq!(unrepresentable("a` \\"), Some(TokenError::Unquotable));
/// ```
pub fn unrepresentable(s: &str) -> Option<TokenError> {
    if s.contains(['{', '}']) {
        Some(TokenError::Brace)
    } else if !bare(s) && !double_quotable(s) && s.contains('`') {
        Some(TokenError::Unquotable)
    } else {
        None
    }
}

/// Writes `s` as one Caddyfile token that Caddy's lexer reads back as exactly `s`: bare
/// when unambiguous, else between double quotes (`"` written `\"`), else between
/// backquotes. Errors: [`TokenError`] when no token carries `s` (see [`unrepresentable`]).
///
/// ```
/// use banatie_infra_core::render::caddy::token;
/// assert_eq!(token("nosniff").unwrap(), "nosniff");
/// assert_eq!(token("max-age=31536000; includeSubDomains").unwrap(), r#""max-age=31536000; includeSubDomains""#);
/// assert_eq!(token(r#"say "hi""#).unwrap(), r#""say \"hi\"""#);
/// assert_eq!(token(r#"a\"b"#).unwrap(), r#"`a\"b`"#);
/// assert_eq!(token("#x").unwrap(), "\"#x\"");
/// assert!(token("}").is_err());
/// ```
pub fn token(s: &str) -> Result<String, TokenError> {
    if let Some(e) = unrepresentable(s) {
        return Err(e);
    }
    Ok(if bare(s) {
        s.to_owned()
    } else if double_quotable(s) {
        format!("\"{}\"", s.replace('"', "\\\""))
    } else {
        format!("`{s}`")
    })
}

/// [`token`] for the first token of a line (a directive, a subdirective, a header name):
/// also refuses `import`, which Caddy's parser takes as an import whatever its quotes.
///
/// ```
/// use banatie_infra_core::render::caddy::{line_start_token, TokenError};
/// assert_eq!(line_start_token("X-Frame-Options").unwrap(), "X-Frame-Options");
/// assert_eq!(line_start_token("import"), Err(TokenError::Import));
/// ```
pub fn line_start_token(s: &str) -> Result<String, TokenError> {
    if s == "import" {
        return Err(TokenError::Import);
    }
    token(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Caddy 2.6.2's lexer (`caddyconfig/caddyfile/lexer.go`, `next`), ported: the texts
    /// of the tokens of `input` (no comments, no env substitution).
    fn caddy_lex(input: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut chars = input.chars().peekable();
        loop {
            let mut val = String::new();
            let (mut comment, mut quoted, mut bt, mut escaped) = (false, false, false, false);
            let mut started = false;
            let done = loop {
                let Some(ch) = chars.next() else {
                    break true;
                };
                if !escaped && !bt && ch == '\\' {
                    escaped = true;
                    continue;
                }
                if quoted || bt {
                    if quoted && escaped {
                        if ch != '"' {
                            val.push('\\');
                        }
                        escaped = false;
                    } else if (quoted && ch == '"') || (bt && ch == '`') {
                        break false;
                    }
                    val.push(ch);
                    continue;
                }
                if ch.is_whitespace() {
                    if ch == '\n' {
                        escaped = false;
                        comment = false;
                    }
                    if started && !val.is_empty() {
                        break false;
                    }
                    continue;
                }
                if ch == '#' && val.is_empty() {
                    comment = true;
                }
                if comment {
                    continue;
                }
                if val.is_empty() && !started {
                    started = true;
                    if ch == '"' {
                        quoted = true;
                        continue;
                    }
                    if ch == '`' {
                        bt = true;
                        continue;
                    }
                }
                if escaped {
                    val.push('\\');
                    escaped = false;
                }
                val.push(ch);
            };
            if started || !val.is_empty() {
                out.push(val);
            }
            if done {
                return out;
            }
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 4096, failure_persistence: None, ..Default::default() })]
        /// Every token reads back as its text through the ported lexer (the consumer-level
        /// proof is tests/attacks_caddy.rs, with `caddy adapt`).
        #[test]
        fn tokens_lex_back(s in "[ a-z\"`\\\\#@<\t\n\u{a0}é{}$]{0,8}") {
            match token(&s) {
                Ok(t) => proptest::prop_assert_eq!(caddy_lex(&format!("x {t} y")), vec!["x".to_owned(), s, "y".to_owned()]),
                Err(_) => proptest::prop_assert!(unrepresentable(&s).is_some()),
            }
        }
    }
}
