//! BI2xx, secrets and exposure: secrets in public env, placeholders, published ports, the
//! proxy network, `$` in values, secret lengths, env-file modes, URL user-info and secret
//! descriptions.

use super::{Finding, Rule};
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
/// BI213: a secret no service receives.
pub const CODE_SECRET_UNUSED: Code = Code("BI213");
/// BI214: a secret handed to an image build as a build argument.
pub const CODE_SECRET_IN_BUILD_ARG: Code = Code("BI214");

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
    Rule::declare(
        CODE_SECRET_UNUSED,
        "secret-reaches-no-service",
        Severity::Warning,
        FAMILY,
        "a secret no service receives: no service names it in its `secrets` and no kind needs it, so the application that reads it starts without it",
    ),
    Rule::declare(
        CODE_SECRET_IN_BUILD_ARG,
        "secret-in-build-arg",
        Severity::Error,
        FAMILY,
        "a secret as a build argument (a secret-looking name or a secret's name in `build.args`): build arguments are kept in the image's history, readable by anyone who can pull it",
    ),
];

/// How a finding names an environment variable: `` `NAME` `` of the public env (a spec's
/// `env`, an env file), `` `NAME` of service `S` `` in a service's own environment.
fn variable(name: &str, service: Option<&str>) -> String {
    match service {
        None => format!("`{name}`"),
        Some(s) => format!("`{name}` of service `{s}`"),
    }
}

/// BI201: variable `name` (of `service`'s environment, or of the public env) looks like a
/// secret, and its value is written in plain text.
pub(crate) fn secret_looking_variable(name: &str, service: Option<&str>) -> Finding {
    Finding::new(
        CODE_SECRET_IN_PUBLIC_ENV,
        format!(
            "{} looks like a secret, but its value is written in plain text: world-readable, committed, and printed by `docker compose config`",
            variable(name, service)
        ),
        format!("keep it with the secrets and remove it here: in a spec, declare it under `secrets` (`{name}: {{}}`, or `{{ source: supplied }}` for a provider's key); in a Compose file, move it to an env_file with mode 0600 (like secrets.env, single-quoted)"),
    )
}

/// BI201 (a spec only): `service`'s environment sets `name`, a variable of secrets.env, to
/// a literal value.
pub(crate) fn secret_overridden(name: &str, service: &str) -> Finding {
    Finding::new(
        CODE_SECRET_IN_PUBLIC_ENV,
        format!("service `{service}` sets the secret `{name}` to a literal value in its environment, over the one in secrets.env"),
        format!("remove it: the service reads `{name}` from secrets.env"),
    )
}

/// BI201 (a spec only): the value of `name` (of `service`'s environment, or of the public
/// env) references the secret `secret` with `$`.
pub(crate) fn secret_referenced(name: &str, service: Option<&str>, secret: &str) -> Finding {
    Finding::new(
        CODE_SECRET_IN_PUBLIC_ENV,
        format!("{} references the secret `{secret}`; values are written literally, so it would never be substituted, and a substituted secret would be public", variable(name, service)),
        format!("declare `{name}` under `secrets` instead, or read `{secret}` from secrets.env directly; values that embed a secret (like a database URL) are derived"),
    )
}

/// BI201 (a Compose file only): `${secret}` interpolates a secret-looking variable into
/// the Compose file.
pub(crate) fn secret_interpolated(secret: &str) -> Finding {
    Finding::new(
        CODE_SECRET_IN_PUBLIC_ENV,
        format!("`${{{secret}}}` interpolates a secret into the Compose file: Compose writes its value into the resolved configuration (`docker compose config`), and it must sit in the project .env or the shell to be found"),
        "pass the secret to the container with `env_file:` (a 0600 file) and remove it here; a value that embeds a secret (a URL) goes into that file whole",
    )
}

/// BI202: variable `name` (of `service`'s environment, or of the public env) holds the
/// placeholder `value` (empty or blank: no value). The value is not shown when the name
/// looks secret or `secret_file` (it stands in a file of secrets).
pub(crate) fn placeholder(
    name: &str,
    service: Option<&str>,
    value: &str,
    secret_file: bool,
) -> Finding {
    let what = if value.trim().is_empty() {
        "is empty".to_owned()
    } else if secret_file || crate::redact::looks_secret(name) {
        "holds a placeholder, not a real value".to_owned()
    } else {
        format!("holds the placeholder `{value}`")
    };
    Finding::new(
        CODE_PLACEHOLDER,
        format!(
            "{} {what}: a service that reads it starts with it and fails later",
            variable(name, service)
        ),
        "write the real value (for a provider's key, the one it issued), or remove the variable",
    )
}

/// BI203: PostgreSQL `service` publishes host port `host_port`.
pub(crate) fn postgres_published(service: &str, host_port: &str) -> Finding {
    Finding::new(
        CODE_PUBLISHED_PORT,
        format!("PostgreSQL service `{service}` publishes host port {host_port}: the database must not be reachable from outside the stack"),
        format!("remove it: services reach the database as `{service}:5432` on their shared network"),
    )
}

/// BI203, a warning: `service` publishes host port `host_port` (of container port
/// `container`) on `host_ip`, which is not a loopback address.
pub(crate) fn published_not_loopback(
    service: &str,
    host_port: &str,
    container: &str,
    host_ip: &str,
) -> Finding {
    Finding::new(
        CODE_PUBLISHED_PORT,
        format!("service `{service}` publishes host port {host_port} on `{host_ip}`, reachable from other hosts and past the firewall (Docker writes its own iptables rules)"),
        format!("bind it to loopback (`host_ip: 127.0.0.1`, the default, in a spec; `127.0.0.1:{host_port}:{container}` in a Compose file) and reach it through an SSH tunnel or a site"),
    )
    .warning()
}

/// BI203 (a spec only): `service` publishes host port `host_port` on `host_ip`, which is
/// not an IP address.
pub(crate) fn host_ip_not_an_address(service: &str, host_port: &str, host_ip: &str) -> Finding {
    Finding::new(
        CODE_PUBLISHED_PORT,
        format!("service `{service}` publishes host port {host_port} on `{host_ip}`, which is not an IP address: Compose refuses the file (\"Invalid ip address\")"),
        "write an IPv4 or IPv6 address: `127.0.0.1` (the default) or `::1` for loopback only",
    )
}

/// BI203 (a spec only): `service` publishes host port `host_port`, and the stack does not
/// allow published ports.
pub(crate) fn published_not_allowed(service: &str, host_port: &str) -> Finding {
    Finding::new(
        CODE_PUBLISHED_PORT,
        format!("service `{service}` publishes host port {host_port}, but published ports are not allowed"),
        "route public traffic through a site (the shared Caddy), or set `stack.allow_published_ports: true`",
    )
}

/// BI204: PostgreSQL `service` is on the proxy network `proxy` (in a Compose file: an
/// external network).
pub(crate) fn postgres_on_proxy(service: &str, proxy: &str) -> Finding {
    Finding::new(
        CODE_PROXY_NETWORK,
        format!("PostgreSQL service `{service}` is on the proxy network `{proxy}`, shared with Caddy and other stacks"),
        "keep the database on the stack's internal network only",
    )
}

/// BI204 (a spec only): `service` is on the proxy network `proxy`, but no site routes to
/// it.
pub(crate) fn unrouted_on_proxy(service: &str, proxy: &str) -> Finding {
    Finding::new(
        CODE_PROXY_NETWORK,
        format!("service `{service}` is on the proxy network but no site routes to it (`{proxy}` is shared with Caddy and other stacks)"),
        "remove the proxy network from its `networks`, or add a site for it",
    )
}

/// BI204 (a spec only): a site routes to `service`, which is not on the proxy network
/// `proxy`.
pub(crate) fn site_service_off_proxy(service: &str, proxy: &str) -> Finding {
    Finding::new(
        CODE_PROXY_NETWORK,
        format!("the site routes to `{service}`, which is not on the proxy network `{proxy}`: Caddy cannot reach it"),
        format!("add `{proxy}` to the networks of `{service}`"),
    )
}
