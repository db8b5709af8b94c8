//! Names: of stacks, services and networks ([`Name`]), DNS names ([`Domain`]), S3
//! buckets ([`BucketName`]), environment variables ([`EnvName`]) and PostgreSQL roles and
//! databases ([`SqlIdent`]), each checked against the rule of the consumer that reads it.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{invalid, string_newtype, InvalidValue};

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
}
