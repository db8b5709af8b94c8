//! HTTP header names and values, as a site's spec sets them in the Caddyfile.
//!
//! Both types accept only what HTTP allows and what Caddy can carry literally, so a spec
//! that loads never makes Caddy read anything else than the header it sets (see
//! [`crate::render::caddy`] for Caddy's lexing rules). A rejected value is a `BI102` load
//! error at its path, with the rule in the message.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::types::{invalid, string_newtype, InvalidValue};

/// RFC 9110 section 5.6.2 `tchar`: the characters of a token (a field name).
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// The words of Caddy's `header` directive block that are not header names there:
/// `defer` (Caddy 2.6.2 and later) and `match` (Caddy 2.7 and later), from
/// `modules/caddyhttp/headers/caddyfile.go`, and `import`, which Caddy's parser takes as an
/// import at the start of any line (`caddyconfig/caddyfile/parse.go`).
pub const RESERVED_HEADER_NAMES: &[&str] = &["defer", "match", "import"];

fn check_header_name(s: &str) -> Result<(), String> {
    if s.is_empty() || !s.bytes().all(is_tchar) {
        return Err("a header name is a token of RFC 9110: 1 or more of A-Z, a-z, 0-9 and ! # $ % & ' * + - . ^ _ ` | ~ (no spaces, `:`, quotes, braces or control characters)".into());
    }
    if s.starts_with(['+', '-']) {
        return Err("a header name cannot start with `+` or `-`: Caddy's `header` directive reads them as \"append\" and \"delete\"".into());
    }
    if RESERVED_HEADER_NAMES.contains(&s) {
        return Err(format!("`{s}` is a keyword of Caddy's `header` block or parser, not a header name there (write it with a capital letter: header names are case-insensitive)"));
    }
    Ok(())
}

string_newtype!(
    /// An HTTP header (field) name: an RFC 9110 token (`A-Z a-z 0-9` and
    /// ``!#$%&'*+-.^_`|~``), not starting with `+` or `-` (Caddy's append and delete
    /// operators) and not one of [`RESERVED_HEADER_NAMES`] (`defer`, `match`, `import`,
    /// lowercase as Caddy compares them).
    ///
    /// Caddy sets a header under Go's canonical form of its name
    /// (`textproto.CanonicalMIMEHeaderKey`: `x-frame-options` is sent as
    /// `X-Frame-Options`); names are case-insensitive in HTTP.
    ///
    /// ```
    /// use banatie_infra_core::header::HeaderName;
    /// assert!("X-Frame-Options".parse::<HeaderName>().is_ok());
    /// for bad in ["", "X Frame", "X:", "}", "import", "-Server", "X-{a}"] {
    ///     assert!(bad.parse::<HeaderName>().is_err(), "{bad}");
    /// }
    /// ```
    HeaderName,
    "header name",
    check_header_name,
    Some("^[A-Za-z0-9!#$%&'*.^_`|~][A-Za-z0-9!#$%&'*+.^_`|~-]*$"),
    "An HTTP header name (RFC 9110 token), not starting with `+` or `-`, not `defer`, `match` or `import`."
);

impl HeaderName {
    /// The name as Caddy sets it: Go's `textproto.CanonicalMIMEHeaderKey` (the first letter
    /// and every letter after a `-` upper case, the other letters lower case).
    ///
    /// ```
    /// use banatie_infra_core::header::HeaderName;
    /// let n: HeaderName = "x-FRAME-options".parse().unwrap();
    /// assert_eq!(n.canonical(), "X-Frame-Options");
    /// ```
    pub fn canonical(&self) -> String {
        let mut upper = true;
        self.0
            .chars()
            .map(|c| {
                let out = if upper {
                    c.to_ascii_uppercase()
                } else {
                    c.to_ascii_lowercase()
                };
                upper = c == '-';
                out
            })
            .collect()
    }
}

fn check_header_value(s: &str) -> Result<(), String> {
    if s.is_empty() {
        return Err("a header value cannot be empty".into());
    }
    if s.contains(char::is_control) {
        return Err("a header value cannot hold control characters (newlines, tabs, NUL, DEL; RFC 9110 section 5.5)".into());
    }
    if s.starts_with(' ') || s.ends_with(' ') {
        return Err(
            "a header value cannot start or end with a space: HTTP drops it (RFC 9110 section 5.5)"
                .into(),
        );
    }
    if s.contains(['{', '}']) {
        return Err("a header value cannot hold `{` or `}`: Caddy reads them as blocks, `{$NAME}` environment substitutions or `{...}` placeholders (`{env.*}` would send Caddy's environment), even inside quotes".into());
    }
    match crate::render::caddy::unrepresentable(s) {
        Some(e) => Err(e.to_string()),
        None => Ok(()),
    }
}

string_newtype!(
    /// An HTTP header (field) value as Caddy sends it: not empty, no control characters
    /// (RFC 9110 section 5.5; tabs included), no leading or trailing space, no `{` or `}`
    /// (Caddy reads them as blocks, parse-time `{$NAME}` substitutions or run-time
    /// placeholders whatever the quoting), and not both a `` ` `` and `\"` or a trailing
    /// `\` (no Caddyfile quoting writes those; [`crate::render::caddy`]). Any other text,
    /// quotes, `#`, `\` and non-ASCII included, reaches the response byte for byte.
    ///
    /// ```
    /// use banatie_infra_core::header::HeaderValue;
    /// assert!("max-age=31536000; includeSubDomains".parse::<HeaderValue>().is_ok());
    /// assert!(r#"default-src 'self'; a "b" \c #d"#.parse::<HeaderValue>().is_ok());
    /// for bad in ["", "}", "a\nb", " x", "{env.HOME}", "{$HOME}"] {
    ///     assert!(bad.parse::<HeaderValue>().is_err(), "{bad:?}");
    /// }
    /// ```
    HeaderValue,
    "header value",
    check_header_value,
    Some("^[^\\u0000-\\u001f\\u007f-\\u009f {}]([^\\u0000-\\u001f\\u007f-\\u009f{}]*[^\\u0000-\\u001f\\u007f-\\u009f {}])?$"),
    "An HTTP header value: no control characters, `{` or `}`, no leading or trailing space."
);

/// BI407: a site's `headers` name one header twice, in any case. Caddy sets each under
/// its canonical name (`http.Header.Set`), so the earlier value is silently dropped.
pub(crate) fn duplicate_headers(spec: &crate::spec::Spec, out: &mut Vec<crate::Diagnostic>) {
    for (i, site) in spec.sites.iter().enumerate() {
        let mut seen: std::collections::HashMap<String, &HeaderName> =
            std::collections::HashMap::new();
        for name in site.headers.keys() {
            if let Some(first) = seen.insert(name.canonical(), name) {
                let mut at = String::new();
                for t in ["sites", &i.to_string(), "headers", name.as_str()] {
                    crate::diagnostic::push_token(&mut at, &t);
                }
                out.push(
                    crate::Diagnostic::error(
                        crate::rules::sites::CODE_DUPLICATE_HEADER,
                        at,
                        format!("header `{name}` is also set as `{first}`: HTTP header names are case-insensitive, so Caddy sends only this value"),
                    )
                    .with_help("set each header once"),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for ok in ["X-Frame-Options", "x", "*", "Defer", "X_Y", "a#b", "Import"] {
            assert!(ok.parse::<HeaderName>().is_ok(), "{ok}");
        }
        for bad in [
            "", "a b", "a:", ":a", "a\n", "é", "{", "}", "(a)", "@a", "\"a\"", "+a", "-a", "defer",
            "match", "import", "a/b", "a,b", "a;b",
        ] {
            assert!(bad.parse::<HeaderName>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn values() {
        for ok in [
            "x",
            "a b",
            "\"",
            "a\\",
            "`x`",
            "#",
            "<<EOF",
            "(snip)",
            "é 日本",
            "import",
            "a\\\"b",
        ] {
            assert!(ok.parse::<HeaderValue>().is_ok(), "{ok:?}");
        }
        for bad in [
            "", " ", "a ", " a", "a\tb", "a\rb", "a\u{0}", "a\u{7f}", "a\u{85}", "{", "}", "{}",
            "{$X}", "{env.X}", "`a\\\"b", "` a\\",
        ] {
            assert!(bad.parse::<HeaderValue>().is_err(), "{bad:?}");
        }
    }
}
