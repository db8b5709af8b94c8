//! BI1xx, the spec's structure: syntax, keys and values (the loader's BI100-BI109, declared
//! in [`crate::load`] beside the code that reports them), references, dependencies, images,
//! environment definitions and the network layout.

use super::Rule;
use crate::diagnostic::{Code, Severity};
use crate::load::{
    CODE_BAD_VALUE, CODE_DUPLICATE_KEY, CODE_MISSING_KEY, CODE_NUL, CODE_SYNTAX, CODE_UNKNOWN_KEY,
};

const FAMILY: &str = "spec";

/// BI110: a reference (network, dependency, site service, job target) names nothing.
pub const CODE_UNRESOLVED_REFERENCE: Code = Code("BI110");
/// BI111: a site routes to a port its service does not listen on, or to a service with no port.
pub const CODE_SITE_PORT: Code = Code("BI111");
/// BI112: services depend on each other in a cycle.
pub const CODE_DEPENDENCY_CYCLE: Code = Code("BI112");
/// BI113: an app has neither `build` nor `image`, or a build with no context.
pub const CODE_APP_IMAGE_SOURCE: Code = Code("BI113");
/// BI114: a variable is defined twice, or a secret a service needs is not declared.
pub const CODE_ENV_DEFINITION: Code = Code("BI114");
/// BI115: a `healthy` dependency on a service without a health check.
pub const CODE_HEALTHY_WITHOUT_HEALTHCHECK: Code = Code("BI115");
/// BI116: a `completed` dependency on a service that is not a job.
pub const CODE_COMPLETED_NOT_JOB: Code = Code("BI116");
/// BI117: a network layout error: a service on no network, an unused or contradictory network.
pub const CODE_NETWORK_LAYOUT: Code = Code("BI117");
/// BI118: more than one PostgreSQL or MinIO service in one stack.
pub const CODE_SINGLE_SERVER: Code = Code("BI118");

/// This family's rules, in code order.
pub(super) const RULES: &[Rule] = &[
    Rule::declare(
        CODE_SYNTAX,
        "syntax-error",
        Severity::Error,
        FAMILY,
        "the file is not valid YAML, TOML or JSON (or not UTF-8)",
    ),
    Rule::declare(
        CODE_UNKNOWN_KEY,
        "unknown-key",
        Severity::Error,
        FAMILY,
        "a key the spec does not have (the closest valid key is suggested)",
    ),
    Rule::declare(
        CODE_BAD_VALUE,
        "invalid-value",
        Severity::Error,
        FAMILY,
        "a value of the wrong type, or one its type's rule rejects",
    ),
    Rule::declare(
        CODE_MISSING_KEY,
        "missing-key",
        Severity::Error,
        FAMILY,
        "a required key is missing",
    ),
    Rule::declare(
        CODE_DUPLICATE_KEY,
        "duplicate-key",
        Severity::Error,
        FAMILY,
        "a key written twice in one mapping",
    ),
    Rule::declare(
        CODE_NUL,
        "nul-character",
        Severity::Error,
        FAMILY,
        "a string holds a NUL character, which no generated file, environment or argument can carry",
    ),
    Rule::declare(
        CODE_UNRESOLVED_REFERENCE,
        "unresolved-reference",
        Severity::Error,
        FAMILY,
        "a reference (network, dependency, site service, job target) names nothing, or a service depends on itself",
    ),
    Rule::declare(
        CODE_SITE_PORT,
        "site-port-not-served",
        Severity::Error,
        FAMILY,
        "a site routes to a port its service does not listen on, or to a service with no HTTP port (postgres, job)",
    ),
    Rule::declare(
        CODE_DEPENDENCY_CYCLE,
        "dependency-cycle",
        Severity::Error,
        FAMILY,
        "services depend on each other in a cycle, so none of them can start",
    ),
    Rule::declare(
        CODE_APP_IMAGE_SOURCE,
        "app-without-image-source",
        Severity::Error,
        FAMILY,
        "an app has neither `build` nor `image`, or a `build` with no context and no `stack.source`",
    ),
    Rule::declare(
        CODE_ENV_DEFINITION,
        "env-definition-conflict",
        Severity::Error,
        FAMILY,
        "a variable is defined twice across env, secrets and derived values, or a secret a service needs is not declared",
    ),
    Rule::declare(
        CODE_HEALTHY_WITHOUT_HEALTHCHECK,
        "healthy-without-healthcheck",
        Severity::Error,
        FAMILY,
        "a `healthy` dependency on a service without a health check (a job)",
    ),
    Rule::declare(
        CODE_COMPLETED_NOT_JOB,
        "completed-not-job",
        Severity::Error,
        FAMILY,
        "a `completed` dependency on a service that is not a job",
    ),
    Rule::declare(
        CODE_NETWORK_LAYOUT,
        "network-layout",
        Severity::Error,
        FAMILY,
        "a service on no network, a network both external and internal, a non-external proxy network; an unused network is a warning",
    ),
    Rule::declare(
        CODE_SINGLE_SERVER,
        "one-server-per-kind",
        Severity::Error,
        FAMILY,
        "more than one PostgreSQL or MinIO service in a stack (each image reads fixed variable names from the shared secrets.env)",
    ),
];

/// BI110: `service` is attached to `network`, which is not declared; `declared` are the
/// declared networks (the closest one is suggested).
pub fn unknown_network<'a>(
    service: &str,
    network: &str,
    declared: impl Iterator<Item = &'a str>,
) -> super::Text {
    (
        format!("service `{service}` is attached to network `{network}`, which is not declared under `networks`"),
        super::closest(
            network,
            declared,
            format!("declare it under the top-level `networks` (`{network}: {{}}`, or `external: true` for a network made elsewhere)"),
        ),
    )
}

/// BI110: `service` depends on itself.
pub fn self_dependency(service: &str) -> super::Text {
    (
        format!("service `{service}` depends on itself"),
        format!("remove `{service}` from its `depends_on`"),
    )
}

/// BI110: `service` depends on `dependency`, which is not a service; `services` are the
/// services there are (the closest one is suggested).
pub fn unknown_dependency<'a>(
    service: &str,
    dependency: &str,
    services: impl Iterator<Item = &'a str>,
) -> super::Text {
    (
        format!("service `{service}` depends on `{dependency}`, which is not a service"),
        super::closest(
            dependency,
            services,
            "name a service defined under `services`".into(),
        ),
    )
}

/// BI112: the services of a dependency cycle, in order (the first again at the end).
pub fn dependency_cycle(services: &[&str]) -> super::Text {
    (
        format!("dependency cycle: {}", services.join(" -> ")),
        "remove one of these dependencies: Compose cannot start any service of a cycle".into(),
    )
}
