//! Paths: absolute ([`AbsPath`]) and relative ([`RelPath`]) file-system paths, restricted
//! to characters no consumer needs quoted, and HTTP request paths ([`UrlPath`]).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{invalid, string_newtype, InvalidValue};

fn check_abs_path(s: &str) -> Result<(), String> {
    if !s.starts_with('/') {
        return Err("an absolute path starts with `/`".into());
    }
    check_path_chars(s)?;
    if s.split('/').any(|c| c == "..") {
        return Err("a path cannot contain `..`".into());
    }
    Ok(())
}

fn check_path_chars(s: &str) -> Result<(), String> {
    if s.bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'+' | b'@' | b'/'))
    {
        Ok(())
    } else {
        Err("paths hold only A-Z, a-z, 0-9, `.`, `_`, `-`, `+`, `@` and `/` (so they need no quoting in Compose volume syntax, shell or Caddyfiles)".into())
    }
}

string_newtype!(
    /// An absolute path on the host or in a container: starts with `/`, no `..` component,
    /// no whitespace, control characters, `:` or `,`.
    ///
    /// ```
    /// use banatie_infra_core::types::AbsPath;
    /// assert!("/opt/banatie".parse::<AbsPath>().is_ok());
    /// assert!("opt/banatie".parse::<AbsPath>().is_err());
    /// ```
    AbsPath,
    "absolute path",
    check_abs_path,
    Some("^/[A-Za-z0-9._+@/-]*$"),
    "An absolute path: starts with `/`; A-Z, a-z, 0-9, `.`, `_`, `-`, `+`, `@`, `/`; no `..`."
);

fn check_rel_path(s: &str) -> Result<(), String> {
    if s.is_empty() {
        return Err("a relative path cannot be empty".into());
    }
    if s.starts_with('/') {
        return Err("a relative path does not start with `/`".into());
    }
    check_path_chars(s)?;
    if s.split('/').any(|c| c == "..") {
        return Err("a relative path cannot leave its base with `..`".into());
    }
    Ok(())
}

string_newtype!(
    /// A path relative to a base directory (the source checkout, the deployment root):
    /// not empty, no leading `/`, no `..` component, only `A-Z a-z 0-9 . _ - + @ /`.
    ///
    /// ```
    /// use banatie_infra_core::types::RelPath;
    /// assert!("apps/api-service/Dockerfile".parse::<RelPath>().is_ok());
    /// assert!("../etc/passwd".parse::<RelPath>().is_err());
    /// ```
    RelPath,
    "relative path",
    check_rel_path,
    Some("^[A-Za-z0-9._+@-][A-Za-z0-9._+@/-]*$"),
    "A relative path: A-Z, a-z, 0-9, `.`, `_`, `-`, `+`, `@`, `/`; no leading `/`, no `..`."
);

fn check_url_path(s: &str) -> Result<(), String> {
    let ok = s.starts_with('/')
        && s.bytes().all(|b| b.is_ascii_graphic())
        && !s.contains(['"', '\'', '`', '\\', '{', '}', '#', '$']);
    if ok {
        Ok(())
    } else {
        Err("an HTTP path starts with `/` and holds printable ASCII without quotes, `\\`, `{`, `}`, `#` or `$`; `*` at the end matches any suffix".into())
    }
}

string_newtype!(
    /// An HTTP request path or path pattern, as used by health checks and Caddy path
    /// matchers: starts with `/`, printable ASCII, no quotes, `\`, `{`, `}`, `#` or `$`.
    /// A trailing `*` (for example `/banatie/*`) matches any suffix in Caddy.
    ///
    /// ```
    /// use banatie_infra_core::types::UrlPath;
    /// assert!("/health".parse::<UrlPath>().is_ok());
    /// assert!("health".parse::<UrlPath>().is_err());
    /// ```
    UrlPath,
    "HTTP path",
    check_url_path,
    Some("^/[!%&(-\\[\\]-z|~]*$"),
    "An HTTP path starting with `/`; a trailing `*` matches any suffix."
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        assert!("/opt/banatie".parse::<AbsPath>().is_ok());
        for bad in ["relative", "/a/../b", "/a b", "/a:b", "/a\nb"] {
            assert!(bad.parse::<AbsPath>().is_err(), "{bad:?}");
        }
        assert!("apps/api/Dockerfile".parse::<RelPath>().is_ok());
        for bad in ["", "/abs", "a/../b", "a b"] {
            assert!(bad.parse::<RelPath>().is_err(), "{bad:?}");
        }
    }
}
