//! Validated newtypes for the values a spec holds: names, domains, ports, byte sizes,
//! durations, paths, bucket names, environment variable names and image references.
//!
//! Each type has one constructor that checks its input (`FromStr`/`TryFrom`), and serde
//! goes through that constructor, so a [`crate::Spec`] can only hold valid values. Each
//! error names what is allowed.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A value that failed its newtype's check: which type, the rejected input and the rule.
///
/// The input is kept so the message can quote it; none of these types ever holds a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {kind} `{input}`: {reason}")]
pub struct InvalidValue {
    /// The kind of value, for example `"domain"`.
    pub kind: &'static str,
    /// The rejected input, as written.
    pub input: String,
    /// What is allowed, for example `"labels are 1 to 63 characters of a-z, 0-9 and -"`.
    pub reason: String,
}

pub(crate) fn invalid(kind: &'static str, input: &str, reason: impl Into<String>) -> InvalidValue {
    InvalidValue {
        kind,
        input: input.to_owned(),
        reason: reason.into(),
    }
}

/// Declares a string newtype whose only constructor is `$check`.
macro_rules! string_newtype {
    ($(#[$meta:meta])* $name:ident, $kind:literal, $check:path, $schema_pattern:expr, $schema_desc:literal) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(String);

        impl $name {
            /// The value as written in the spec.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl FromStr for $name {
            type Err = InvalidValue;
            fn from_str(s: &str) -> Result<Self, InvalidValue> {
                $check(s).map_err(|reason| invalid($kind, s, reason))?;
                Ok(Self(s.to_owned()))
            }
        }

        impl TryFrom<&str> for $name {
            type Error = InvalidValue;
            fn try_from(s: &str) -> Result<Self, InvalidValue> {
                s.parse()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl std::borrow::Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }

        #[cfg(feature = "schema")]
        impl schemars::JsonSchema for $name {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }
            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                let pattern: Option<&str> = $schema_pattern;
                match pattern {
                    Some(p) => schemars::json_schema!({
                        "type": "string",
                        "pattern": p,
                        "description": $schema_desc,
                    }),
                    None => schemars::json_schema!({
                        "type": "string",
                        "description": $schema_desc,
                    }),
                }
            }
        }
    };
}

pub(crate) use string_newtype;

fn check_name(s: &str) -> Result<(), String> {
    const RULE: &str =
        "names are 1 to 63 characters of a-z, 0-9, `-` and `_`, starting with a letter or digit";
    let ok = !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .next()
            .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(RULE.into())
    }
}

string_newtype!(
    /// A stack, service or network name: 1 to 63 characters of `a-z`, `0-9`, `-` and `_`,
    /// starting with a letter or digit.
    ///
    /// Service names become container names and DNS names on Docker networks, and the stack
    /// name becomes the Compose project name (the Compose spec allows lowercase letters,
    /// digits, dashes and underscores there), so the rule is the intersection of both.
    ///
    /// ```
    /// use banatie_infra_core::types::Name;
    /// assert!("banatie-api".parse::<Name>().is_ok());
    /// assert!("Banatie API".parse::<Name>().is_err());
    /// ```
    Name,
    "name",
    check_name,
    Some("^[a-z0-9][a-z0-9_-]{0,62}$"),
    "A name: 1 to 63 characters of a-z, 0-9, `-` and `_`, starting with a letter or digit."
);

fn check_domain(s: &str) -> Result<(), String> {
    if s.len() > 253 {
        return Err("a domain name is at most 253 characters".into());
    }
    let labels: Vec<&str> = s.split('.').collect();
    if labels.len() < 2 {
        return Err("a public domain has at least two labels, like `example.com`".into());
    }
    for label in &labels {
        let ok = !label.is_empty()
            && label.len() <= 63
            && label
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !label.starts_with('-')
            && !label.ends_with('-');
        if !ok {
            return Err(format!(
                "label `{label}`: labels are 1 to 63 characters of lowercase a-z, 0-9 and `-`, not starting or ending with `-` (RFC 1123)"
            ));
        }
    }
    if labels
        .last()
        .is_some_and(|tld| tld.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(
            "the last label cannot be all digits (that is an IP address, not a domain)".into(),
        );
    }
    Ok(())
}

string_newtype!(
    /// A fully qualified DNS name served by a site, checked against RFC 1123: at most 253
    /// characters, at least two labels, each 1 to 63 characters of lowercase `a-z`, `0-9`
    /// and `-`, not starting or ending with `-`.
    ///
    /// ```
    /// use banatie_infra_core::types::Domain;
    /// assert!("cdn.banatie.app".parse::<Domain>().is_ok());
    /// assert!("-bad.example".parse::<Domain>().is_err());
    /// ```
    Domain,
    "domain",
    check_domain,
    Some("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$"),
    "A DNS name (RFC 1123), lowercase, at least two labels."
);

fn check_bucket(s: &str) -> Result<(), String> {
    // Amazon S3 general purpose bucket naming rules, which MinIO follows.
    let rule = "S3 bucket names are 3 to 63 characters of lowercase a-z, 0-9, `.` and `-`, begin and end with a letter or digit, have no `..`, are not an IP address and do not start with `xn--` or end with `-s3alias` (Amazon S3 bucket naming rules)";
    let ok = (3..=63).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
        && s.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
        && s.bytes().last().is_some_and(|b| b.is_ascii_alphanumeric())
        && !s.contains("..")
        && !s.starts_with("xn--")
        && !s.ends_with("-s3alias")
        && s.parse::<std::net::Ipv4Addr>().is_err();
    if ok {
        Ok(())
    } else {
        Err(rule.into())
    }
}

string_newtype!(
    /// An S3 bucket name, checked against the Amazon S3 general purpose bucket naming rules
    /// that MinIO follows: 3 to 63 characters of `a-z`, `0-9`, `.` and `-`, starting and
    /// ending with a letter or digit, no `..`, not an IPv4 address, no `xn--` prefix and no
    /// `-s3alias` suffix.
    ///
    /// ```
    /// use banatie_infra_core::types::BucketName;
    /// assert!("banatie".parse::<BucketName>().is_ok());
    /// assert!("My_Bucket".parse::<BucketName>().is_err());
    /// ```
    BucketName,
    "bucket name",
    check_bucket,
    Some("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$"),
    "An S3 bucket name (Amazon S3 bucket naming rules)."
);

fn check_env_name(s: &str) -> Result<(), String> {
    let ok = s
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if ok {
        Ok(())
    } else {
        Err("environment variable names are letters, digits and `_`, not starting with a digit (POSIX; the only names Compose interpolation can reference)".into())
    }
}

string_newtype!(
    /// An environment variable name: letters, digits and `_`, not starting with a digit.
    ///
    /// This is the POSIX portable form, and the only form Compose's `${NAME}`
    /// interpolation and env-file parser accept as a reference.
    ///
    /// ```
    /// use banatie_infra_core::types::EnvName;
    /// assert!("DATABASE_URL".parse::<EnvName>().is_ok());
    /// assert!("1PASSWORD".parse::<EnvName>().is_err());
    /// ```
    EnvName,
    "environment variable name",
    check_env_name,
    Some("^[A-Za-z_][A-Za-z0-9_]*$"),
    "An environment variable name: letters, digits and `_`, not starting with a digit."
);

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

fn check_image(s: &str) -> Result<(), String> {
    let rule = "an image reference is [registry/]name[:tag][@digest]: lowercase name components of a-z, 0-9, `.`, `_`, `-` separated by `/`; a tag of up to 128 characters of A-Z, a-z, 0-9, `_`, `.`, `-` (Docker distribution reference grammar)";
    let (rest, digest) = match s.split_once('@') {
        Some((r, d)) => (r, Some(d)),
        None => (s, None),
    };
    if let Some(d) = digest {
        let ok = d.split_once(':').is_some_and(|(alg, hex)| {
            !alg.is_empty() && hex.len() >= 32 && hex.bytes().all(|b| b.is_ascii_hexdigit())
        });
        if !ok {
            return Err(rule.into());
        }
    }
    // A tag is after the last `:` that follows the last `/`.
    let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
    let (name, tag) = match rest[last_slash..].rfind(':') {
        Some(i) => (&rest[..last_slash + i], Some(&rest[last_slash + i + 1..])),
        None => (rest, None),
    };
    if let Some(t) = tag {
        let ok = !t.is_empty()
            && t.len() <= 128
            && t.bytes()
                .next()
                .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_')
            && t.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b == b'-');
        if !ok {
            return Err(rule.into());
        }
    }
    let mut components = name.split('/').peekable();
    let mut first = true;
    while let Some(c) = components.next() {
        // The first component may be a registry host with a port.
        let is_host = first
            && components.peek().is_some()
            && (c.contains('.') || c.contains(':') || c == "localhost");
        first = false;
        let ok = if is_host {
            !c.is_empty()
                && c.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-' || b == b':')
        } else {
            !c.is_empty()
                && c.bytes().all(|b| {
                    b.is_ascii_lowercase()
                        || b.is_ascii_digit()
                        || b == b'.'
                        || b == b'_'
                        || b == b'-'
                })
                && c.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
                && c.bytes().last().is_some_and(|b| b.is_ascii_alphanumeric())
        };
        if !ok {
            return Err(rule.into());
        }
    }
    Ok(())
}

string_newtype!(
    /// A container image reference, `[registry/]name[:tag][@digest]`, checked against the
    /// Docker distribution reference grammar (lowercase name components, a tag of at most
    /// 128 characters).
    ///
    /// ```
    /// use banatie_infra_core::types::ImageRef;
    /// let img: ImageRef = "quay.io/minio/minio:RELEASE.2025-04-22T22-12-26Z".parse().unwrap();
    /// assert_eq!(img.repository(), "quay.io/minio/minio");
    /// assert_eq!(img.tag(), Some("RELEASE.2025-04-22T22-12-26Z"));
    /// assert!("Node:20".parse::<ImageRef>().is_err());
    /// ```
    ImageRef,
    "image reference",
    check_image,
    None,
    "A container image reference: [registry/]name[:tag][@digest]."
);

impl ImageRef {
    /// The reference without tag and digest, for example `quay.io/minio/minio`.
    pub fn repository(&self) -> &str {
        let rest = self.0.split('@').next().unwrap_or(&self.0);
        let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
        match rest[last_slash..].rfind(':') {
            Some(i) => &rest[..last_slash + i],
            None => rest,
        }
    }

    /// The tag, if one is written; `None` means Docker's implicit `latest`.
    pub fn tag(&self) -> Option<&str> {
        let rest = self.0.split('@').next().unwrap_or(&self.0);
        let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
        rest[last_slash..]
            .rfind(':')
            .map(|i| &rest[last_slash + i + 1..])
    }

    /// Whether the image is pinned by a digest (`@sha256:...`).
    pub fn has_digest(&self) -> bool {
        self.0.contains('@')
    }

    /// The last path component of the repository, for example `minio` for
    /// `quay.io/minio/minio` and `node` for `node:20-alpine`.
    pub fn short_name(&self) -> &str {
        let repo = self.repository();
        repo.rsplit('/').next().unwrap_or(repo)
    }
}

fn check_sql_ident(s: &str) -> Result<(), String> {
    let ok = (1..=63).contains(&s.len())
        && s.bytes()
            .next()
            .is_some_and(|b| b.is_ascii_lowercase() || b == b'_')
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if ok {
        Ok(())
    } else {
        Err("PostgreSQL names here are 1 to 63 characters of lowercase a-z, 0-9 and `_`, starting with a letter or `_` (NAMEDATALEN - 1; lowercase so they never need quoting in psql or URLs)".into())
    }
}

string_newtype!(
    /// A PostgreSQL role or database name: 1 to 63 characters (PostgreSQL's `NAMEDATALEN`
    /// less one) of lowercase `a-z`, `0-9` and `_`, starting with a letter or `_`.
    ///
    /// Lowercase only, so the name means the same quoted or unquoted in SQL and needs no
    /// encoding in a connection URL.
    ///
    /// ```
    /// use banatie_infra_core::types::SqlIdent;
    /// assert!("banatie_user".parse::<SqlIdent>().is_ok());
    /// assert!("Banatie-User".parse::<SqlIdent>().is_err());
    /// ```
    SqlIdent,
    "PostgreSQL name",
    check_sql_ident,
    Some("^[a-z_][a-z0-9_]{0,62}$"),
    "A PostgreSQL role or database name: lowercase a-z, 0-9 and `_`, at most 63 characters."
);

/// A TCP port number, 1 to 65535. Written as an integer in the spec.
///
/// ```
/// use banatie_infra_core::types::Port;
/// assert_eq!(Port::new(3000).unwrap().get(), 3000);
/// assert!(Port::new(0).is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Port(u16);

impl Port {
    /// Checks `n`: fails with [`InvalidValue`] for 0, the only u16 that is not a port.
    pub fn new(n: u16) -> Result<Self, InvalidValue> {
        if n == 0 {
            Err(invalid("port", "0", "ports are 1 to 65535"))
        } else {
            Ok(Self(n))
        }
    }

    /// The port number.
    pub fn get(self) -> u16 {
        self.0
    }
}

impl fmt::Display for Port {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl<'de> Deserialize<'de> for Port {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let n = u64::deserialize(d)?;
        let n = u16::try_from(n)
            .map_err(|_| invalid("port", &n.to_string(), "ports are 1 to 65535"))
            .and_then(Port::new)
            .map_err(serde::de::Error::custom)?;
        Ok(n)
    }
}

#[cfg(feature = "schema")]
impl schemars::JsonSchema for Port {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Port".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "integer",
            "minimum": 1,
            "maximum": 65535,
            "description": "A TCP port, 1 to 65535.",
        })
    }
}

/// Declares a newtype over a parsed number that keeps its canonical text form.
macro_rules! text_number_newtype {
    ($(#[$meta:meta])* $name:ident, $inner:ty, $parse:path, $pattern:literal, $desc:literal) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name($inner);

        impl FromStr for $name {
            type Err = InvalidValue;
            fn from_str(s: &str) -> Result<Self, InvalidValue> {
                $parse(s).map(Self)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }

        #[cfg(feature = "schema")]
        impl schemars::JsonSchema for $name {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }
            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                schemars::json_schema!({
                    "type": "string",
                    "pattern": $pattern,
                    "description": $desc,
                })
            }
        }
    };
}

const BYTE_UNITS: &[(&str, u64)] = &[
    ("GiB", 1 << 30),
    ("MiB", 1 << 20),
    ("KiB", 1 << 10),
    ("GB", 1_000_000_000),
    ("MB", 1_000_000),
    ("KB", 1_000),
    ("B", 1),
];

fn parse_byte_size(s: &str) -> Result<u64, InvalidValue> {
    let reason =
        "a byte size is a whole number followed by B, KB, MB, GB, KiB, MiB or GiB, like `10MiB`";
    let digits = s.bytes().take_while(u8::is_ascii_digit).count();
    let (num, unit) = s.split_at(digits);
    let factor = BYTE_UNITS
        .iter()
        .find(|(u, _)| *u == unit)
        .map(|(_, f)| *f)
        .ok_or_else(|| invalid("byte size", s, reason))?;
    let n: u64 = num.parse().map_err(|_| invalid("byte size", s, reason))?;
    if n == 0 {
        return Err(invalid(
            "byte size",
            s,
            "a byte size must be more than zero",
        ));
    }
    n.checked_mul(factor)
        .ok_or_else(|| invalid("byte size", s, "the size does not fit in 64 bits"))
}

text_number_newtype!(
    /// A size in bytes, written as a whole number and a unit: `B`, `KB`, `MB`, `GB`
    /// (powers of 1000) or `KiB`, `MiB`, `GiB` (powers of 1024), like `10MiB`.
    /// Displayed in the largest binary unit that divides it exactly, which is the form
    /// Caddy's `roll_size` reads.
    ///
    /// ```
    /// use banatie_infra_core::types::ByteSize;
    /// let s: ByteSize = "10MiB".parse().unwrap();
    /// assert_eq!(s.bytes(), 10 * 1024 * 1024);
    /// assert_eq!(s.to_string(), "10MiB");
    /// assert!("10 MB".parse::<ByteSize>().is_err());
    /// ```
    ByteSize,
    u64,
    parse_byte_size,
    "^[0-9]+(B|KB|MB|GB|KiB|MiB|GiB)$",
    "A byte size: a whole number and B, KB, MB, GB, KiB, MiB or GiB, like `10MiB`."
);

impl ByteSize {
    /// The size in bytes.
    pub fn bytes(self) -> u64 {
        self.0
    }
}

impl fmt::Display for ByteSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (unit, factor) in [("GiB", 1u64 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)] {
            if self.0 % factor == 0 {
                return write!(f, "{}{unit}", self.0 / factor);
            }
        }
        write!(f, "{}B", self.0)
    }
}

fn parse_duration(s: &str) -> Result<u64, InvalidValue> {
    let reason = "a duration is one or more whole numbers with a unit, h, m, s or ms, like `30s` or `1m30s` (Go duration syntax, as Compose reads it)";
    if s.is_empty() {
        return Err(invalid("duration", s, reason));
    }
    let mut total: u64 = 0;
    let mut rest = s;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(invalid("duration", s, reason));
        }
        let n: u64 = rest[..digits]
            .parse()
            .map_err(|_| invalid("duration", s, reason))?;
        rest = &rest[digits..];
        let (factor, len) = if rest.starts_with("ms") {
            (1, 2)
        } else if rest.starts_with('h') {
            (3_600_000, 1)
        } else if rest.starts_with('m') {
            (60_000, 1)
        } else if rest.starts_with('s') {
            (1_000, 1)
        } else {
            return Err(invalid("duration", s, reason));
        };
        rest = &rest[len..];
        total = n
            .checked_mul(factor)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(|| invalid("duration", s, "the duration is too long"))?;
    }
    Ok(total)
}

text_number_newtype!(
    /// A duration in whole milliseconds, written in Go's duration syntax as Compose reads it:
    /// numbers with units `h`, `m`, `s`, `ms`, like `30s` or `1m30s`. Displayed in the same
    /// syntax, canonical form (`90s` displays as `1m30s`).
    ///
    /// ```
    /// use banatie_infra_core::types::Duration;
    /// let d: Duration = "1m30s".parse().unwrap();
    /// assert_eq!(d.as_millis(), 90_000);
    /// assert_eq!("90s".parse::<Duration>().unwrap().to_string(), "1m30s");
    /// assert!("30".parse::<Duration>().is_err());
    /// ```
    Duration,
    u64,
    parse_duration,
    "^([0-9]+(h|m|s|ms))+$",
    "A duration: numbers with units h, m, s or ms, like `30s` or `1m30s`."
);

impl Duration {
    /// A duration of `secs` seconds.
    pub const fn from_secs(secs: u64) -> Self {
        Self(secs * 1000)
    }

    /// The duration in milliseconds.
    pub fn as_millis(self) -> u64 {
        self.0
    }

    /// The duration as a [`std::time::Duration`].
    pub fn to_std(self) -> std::time::Duration {
        std::time::Duration::from_millis(self.0)
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut ms = self.0;
        if ms == 0 {
            return f.write_str("0s");
        }
        for (unit, factor) in [("h", 3_600_000u64), ("m", 60_000), ("s", 1_000), ("ms", 1)] {
            if ms >= factor {
                write!(f, "{}{unit}", ms / factor)?;
                ms %= factor;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for ok in ["banatie", "banatie-api", "a", "db_1", "0x"] {
            assert!(ok.parse::<Name>().is_ok(), "{ok}");
        }
        for bad in ["", "-a", "_a", "A", "a b", "a.b", &"a".repeat(64)] {
            assert!(bad.parse::<Name>().is_err(), "{bad}");
        }
    }

    #[test]
    fn domains() {
        for ok in [
            "banatie.app",
            "www.banatie.app",
            "a-b.c0.io",
            "xn--bcher-kva.example",
        ] {
            assert!(ok.parse::<Domain>().is_ok(), "{ok}");
        }
        for bad in [
            "localhost",
            "Banatie.app",
            "a..b",
            "-a.com",
            "a-.com",
            "a_b.com",
            "1.2.3.4",
            "a.com.",
            &format!("{}.com", "a".repeat(64)),
        ] {
            assert!(bad.parse::<Domain>().is_err(), "{bad}");
        }
    }

    #[test]
    fn buckets() {
        for ok in ["banatie", "my.bucket-1", "abc"] {
            assert!(ok.parse::<BucketName>().is_ok(), "{ok}");
        }
        for bad in [
            "ab",
            "My",
            "a..b",
            "-ab",
            "ab-",
            "192.168.1.1",
            "xn--abc",
            "abc-s3alias",
            "a_b",
        ] {
            assert!(bad.parse::<BucketName>().is_err(), "{bad}");
        }
    }

    #[test]
    fn images() {
        let cases = [
            ("node:20-alpine", "node", Some("20-alpine")),
            ("postgres:15-alpine", "postgres", Some("15-alpine")),
            (
                "quay.io/minio/minio:latest",
                "quay.io/minio/minio",
                Some("latest"),
            ),
            ("minio/mc", "minio/mc", None),
            ("localhost:5000/app:1.0", "localhost:5000/app", Some("1.0")),
        ];
        for (s, repo, tag) in cases {
            let i: ImageRef = s.parse().unwrap();
            assert_eq!(i.repository(), repo, "{s}");
            assert_eq!(i.tag(), tag, "{s}");
        }
        for bad in ["Node:20", "node:", "node:-x", "a b", "node@sha256:zz"] {
            assert!(bad.parse::<ImageRef>().is_err(), "{bad}");
        }
    }

    #[test]
    fn byte_sizes_round_trip() {
        for (s, n, shown) in [
            ("10MiB", 10 << 20, "10MiB"),
            ("50MiB", 50 << 20, "50MiB"),
            ("1024KiB", 1 << 20, "1MiB"),
            ("1000B", 1000, "1000B"),
            ("1GB", 1_000_000_000, "1000000000B"),
        ] {
            let b: ByteSize = s.parse().unwrap();
            assert_eq!(b.bytes(), n);
            assert_eq!(b.to_string(), shown);
        }
        for bad in [
            "",
            "10",
            "MiB",
            "10mib",
            "0MiB",
            "-1MiB",
            "99999999999999999999GiB",
        ] {
            assert!(bad.parse::<ByteSize>().is_err(), "{bad}");
        }
    }

    #[test]
    fn durations_like_go() {
        for (s, ms, shown) in [
            ("30s", 30_000, "30s"),
            ("1m30s", 90_000, "1m30s"),
            ("90s", 90_000, "1m30s"),
            ("1h", 3_600_000, "1h"),
            ("500ms", 500, "500ms"),
            ("1s500ms", 1_500, "1s500ms"),
        ] {
            let d: Duration = s.parse().unwrap();
            assert_eq!(d.as_millis(), ms);
            assert_eq!(d.to_string(), shown);
        }
        for bad in ["", "30", "s", "1.5s", "1d", "-1s"] {
            assert!(bad.parse::<Duration>().is_err(), "{bad}");
        }
    }

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
