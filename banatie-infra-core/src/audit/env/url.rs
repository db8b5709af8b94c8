//! BI208 on env-file values: the user info of a connection URL (`postgresql://user:pass@`)
//! must be percent-encoded, or the URL does not parse or names another host.

use super::super::interp::{self, Piece};
use super::super::Deployment;
use super::any_value;

/// The character offset and length of the password in a connection URL's user info,
/// if the value is such a URL with a password.
pub(crate) fn url_password(value: &str) -> Option<(usize, usize)> {
    let (scheme, rest) = value.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    const SCHEMES: &[&str] = &[
        "postgres",
        "postgresql",
        "mysql",
        "mariadb",
        "redis",
        "rediss",
        "mongodb",
        "mongodb+srv",
        "amqp",
        "amqps",
        "s3",
        "http",
        "https",
    ];
    if !SCHEMES.contains(&scheme.as_str()) {
        return None;
    }
    let at = rest.rfind('@')?;
    let userinfo = &rest[..at];
    let colon = userinfo.find(':')?;
    let start = scheme.chars().count() + 3 + userinfo[..colon + 1].chars().count();
    Some((start, userinfo[colon + 1..].chars().count()))
}

/// The user info of a database URL: (offset of the user info, user info text), for URLs
/// whose scheme is a database's.
pub(super) fn db_userinfo(value: &str) -> Option<(usize, &str)> {
    let (scheme, rest) = value.split_once("://")?;
    const DB: &[&str] = &[
        "postgres",
        "postgresql",
        "mysql",
        "mariadb",
        "redis",
        "rediss",
        "mongodb",
        "mongodb+srv",
        "amqp",
        "amqps",
    ];
    if !DB.contains(&scheme.to_ascii_lowercase().as_str()) {
        return None;
    }
    let at = rest.rfind('@')?;
    Some((scheme.chars().count() + 3, &rest[..at]))
}

/// Whether a character may appear unencoded in a URL's user info as the generator
/// writes it (RFC 3986 unreserved characters; `%` for an escape).
fn userinfo_safe(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '~' | '%')
}

/// BI208: a database URL whose user info is not percent-encoded, literally or through a
/// `${VAR}` whose known value needs encoding. Calls `report(offset in value, message)`.
pub(crate) fn check_url(
    d: &Deployment,
    key: &str,
    template: &str,
    expands: bool,
    report: &mut dyn FnMut(usize, String),
) {
    let Some((start, userinfo)) = db_userinfo(template) else {
        return;
    };
    let pieces = if expands {
        match interp::parse(userinfo) {
            Ok(p) => p,
            Err(_) => return,
        }
    } else {
        vec![Piece::Lit(userinfo.to_owned())]
    };
    let mut offset = 0;
    let mut literal_bad = false;
    for p in &pieces {
        match p {
            Piece::Lit(s) => {
                // The first `:` separates user and password.
                if s.chars().any(|c| !userinfo_safe(c) && c != ':') || s.matches(':').count() > 1 {
                    literal_bad = true;
                }
                offset += s.chars().count();
            }
            Piece::Ref(r) => {
                if let Some((value, from)) = any_value(d, &r.name) {
                    if value.chars().any(|c| !userinfo_safe(c)) {
                        report(
                            start + r.start,
                            format!("`{key}` inserts `{}` (from {from}) into the URL's user info as it is, but its value holds characters that must be percent-encoded there (such as `/`, `+`, `=`, `@`, `:`): the URL does not parse, or points elsewhere", r.name),
                        );
                    }
                }
                offset += r.len;
            }
        }
    }
    let _ = offset;
    if literal_bad {
        report(
            0,
            format!("the user or password in `{key}` is not percent-encoded: characters such as `/`, `+`, `=`, `@` end the user info early, so the URL does not parse (\"Invalid URL\", \"invalid port\") or names another host"),
        );
    }
}
