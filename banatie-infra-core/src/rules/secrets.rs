//! BI2xx, secrets and exposure: secrets in public env, placeholders, published ports, the
//! proxy network, `$` in values, secret lengths, env-file modes, URL user-info and secret
//! descriptions.

use super::Rule;
use crate::diagnostic::{Code, Severity};

const FAMILY: &str = "secrets";

/// BI201: a secret in the public environment (by its name, or by a `$` reference to a secret).
pub const CODE_SECRET_IN_PUBLIC_ENV: Code = Code("BI201");
/// BI202: a placeholder value (`<...>`, `your_..._here`, `changeme`, `xxx`, `TODO`, empty).
pub const CODE_PLACEHOLDER: Code = Code("BI202");
/// BI203: a published host port (PostgreSQL never; others only when allowed, on loopback).
pub const CODE_PUBLISHED_PORT: Code = Code("BI203");
/// BI204: the proxy network holds a service no site routes to, or misses one a site routes to.
pub const CODE_PROXY_NETWORK: Code = Code("BI204");
/// BI205: a value contains `$`, which is written literally and never interpolated.
pub const CODE_DOLLAR_IN_VALUE: Code = Code("BI205");
/// BI206: a generated secret's length is outside 16 to 4096 characters.
pub const CODE_SECRET_LENGTH: Code = Code("BI206");
/// BI207: an env file that holds secrets is readable by group or others.
pub const CODE_SECRET_FILE_MODE: Code = Code("BI207");
/// BI208: a connection URL whose user or password is not percent-encoded.
pub const CODE_URL_USERINFO: Code = Code("BI208");
/// BI209: a secret's description that is not one line of text.
pub const CODE_DESCRIPTION: Code = Code("BI209");

/// BI210: a `NEXT_PUBLIC_*` variable a built service gets only at run time.
pub const CODE_NEXT_PUBLIC_RUNTIME: Code = Code("BI210");
/// BI211: an env file, secret file or script with CR (`\r\n`) line endings.
pub const CODE_CRLF: Code = Code("BI211");
/// BI212: secrets handed to a container as environment variables.
pub const CODE_SECRET_IN_ENVIRONMENT: Code = Code("BI212");

/// This family's rules, in code order.
pub(super) const RULES: &[Rule] = &[
    Rule::declare(
        CODE_SECRET_IN_PUBLIC_ENV,
        "secret-in-public-env",
        Severity::Error,
        FAMILY,
        "a secret in public env: a secret-looking name, a secret's name, or a `$` reference to a secret",
    ),
    Rule::declare(
        CODE_PLACEHOLDER,
        "placeholder-value",
        Severity::Error,
        FAMILY,
        "a placeholder value (`<...>`, `your_..._here`, `changeme`, `xxx`, `TODO`, empty)",
    ),
    Rule::declare(
        CODE_PUBLISHED_PORT,
        "published-host-port",
        Severity::Error,
        FAMILY,
        "a published host port: always an error on PostgreSQL, an error unless allowed or when its host address is not an IP address, a warning when not on loopback",
    ),
    Rule::declare(
        CODE_PROXY_NETWORK,
        "proxy-network-exposure",
        Severity::Error,
        FAMILY,
        "PostgreSQL or an unrouted service on the proxy network, or a site's service not on it",
    ),
    Rule::declare(
        CODE_DOLLAR_IN_VALUE,
        "dollar-in-value",
        Severity::Warning,
        FAMILY,
        "a value contains `$`: values are written literally, never interpolated",
    ),
    Rule::declare(
        CODE_SECRET_LENGTH,
        "secret-length-out-of-range",
        Severity::Error,
        FAMILY,
        "a generated secret's length is outside 16 to 4096 characters",
    ),
    Rule::declare(
        CODE_SECRET_FILE_MODE,
        "secret-file-readable",
        Severity::Error,
        FAMILY,
        "an env file that holds secrets can be read by group or others (not mode 0600)",
    ),
    Rule::declare(
        CODE_URL_USERINFO,
        "url-userinfo-not-encoded",
        Severity::Error,
        FAMILY,
        "a connection URL whose user or password is not percent-encoded (a base64 password's `/`, `+`, `=` break it)",
    ),
    Rule::declare(
        CODE_DESCRIPTION,
        "secret-description-not-one-line",
        Severity::Error,
        FAMILY,
        "a secret's description holds a line break or another control character: it is written as a one-line comment",
    ),
    Rule::declare(
        CODE_NEXT_PUBLIC_RUNTIME,
        "next-public-env-runtime-only",
        Severity::Error,
        FAMILY,
        "a `NEXT_PUBLIC_*` variable a built service gets only at run time: Next.js inlines it during `next build`, so the browser bundle never sees it",
    ),
    Rule::declare(
        CODE_CRLF,
        "crlf-line-endings",
        Severity::Error,
        FAMILY,
        "an env file, secret file or shell script with CR line endings: a shell `.`/`source`, `$(< file)` and `*_FILE` secrets keep the `\\r` in every value",
    ),
    Rule::declare(
        CODE_SECRET_IN_ENVIRONMENT,
        "secret-in-environment",
        Severity::Warning,
        FAMILY,
        "secrets handed to a container as environment variables: `docker inspect`, `docker compose config` and /proc/PID/environ show them (use `secrets:` and `*_FILE`)",
    ),
];

/// BI204: the message and help for PostgreSQL `service` on the proxy network `proxy`.
pub fn postgres_on_proxy(service: &str, proxy: &str) -> (String, String) {
    (
        format!("PostgreSQL service `{service}` is on the proxy network `{proxy}`, shared with Caddy and other stacks"),
        "keep the database on the stack's internal network only".to_owned(),
    )
}

/// BI203: the message and help for PostgreSQL `service` publishing host port `host_port`.
pub fn postgres_published(service: &str, host_port: &str) -> (String, String) {
    (
        format!("PostgreSQL service `{service}` publishes host port {host_port}: the database must not be reachable from outside the stack"),
        format!("remove it: services reach the database as `{service}:5432` on their shared network"),
    )
}
