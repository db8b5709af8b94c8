//! BI1xx, the spec's structure: syntax, keys and values (the loader's BI100-BI109, declared
//! in [`crate::load`] beside the code that reports them), references, dependencies, images,
//! environment definitions and the network layout.

use super::{Finding, Rule};
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
/// BI119: a migration job its app does not wait for, one that names an image of its own,
/// or one that does not wait for its app's database.
pub const CODE_MIGRATION: Code = Code("BI119");

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
    Rule::declare(
        CODE_MIGRATION,
        "migration-order",
        Severity::Error,
        FAMILY,
        "a migration job its app does not wait for (`service_completed_successfully`), that names an image of its own, or that does not wait for the app's database",
    ),
];

/// BI110: `service` is attached to `network`, which is not declared; `declared` are the
/// declared networks (the closest one is suggested).
pub(crate) fn unknown_network<'a>(
    service: &str,
    network: &str,
    declared: impl Iterator<Item = &'a str>,
) -> Finding {
    Finding::new(
        CODE_UNRESOLVED_REFERENCE,
        format!("service `{service}` is attached to network `{network}`, which is not declared under `networks`"),
        super::closest(
            network,
            declared,
            format!("declare it under the top-level `networks` (`{network}: {{}}`, or `external: true` for a network made elsewhere)"),
        ),
    )
}

/// BI110: `service` names `secret` in its `secrets`, which is neither declared under
/// `secrets` nor derived; `known` are the stack's secret variables.
pub(crate) fn unknown_service_secret<'a>(
    service: &str,
    secret: &str,
    known: impl Iterator<Item = &'a str>,
) -> Finding {
    Finding::new(
        CODE_UNRESOLVED_REFERENCE,
        format!("service `{service}` receives secret `{secret}`, which is neither declared under `secrets` nor derived (a PostgreSQL service's `url_env`, MinIO's root user and service-account key)"),
        super::closest(
            secret,
            known,
            format!("declare it under the top-level `secrets` (`{secret}: {{}}` to generate it, `{{source: supplied}}` for a provider's key)"),
        ),
    )
}

/// BI110: `service` depends on itself.
pub(crate) fn self_dependency(service: &str) -> Finding {
    Finding::new(
        CODE_UNRESOLVED_REFERENCE,
        format!("service `{service}` depends on itself"),
        format!("remove `{service}` from its `depends_on`"),
    )
}

/// BI110: `service` depends on `dependency`, which is not a service; `services` are the
/// services there are (the closest one is suggested).
pub(crate) fn unknown_dependency<'a>(
    service: &str,
    dependency: &str,
    services: impl Iterator<Item = &'a str>,
) -> Finding {
    Finding::new(
        CODE_UNRESOLVED_REFERENCE,
        format!("service `{service}` depends on `{dependency}`, which is not a service"),
        super::closest(
            dependency,
            services,
            "name a service defined under `services`".into(),
        ),
    )
}

/// BI110 (a spec's sites only): a site routes to `service`, which is not a service;
/// `services` are the services there are (the closest one is suggested).
pub(crate) fn unknown_site_service<'a>(
    service: &str,
    services: impl Iterator<Item = &'a str>,
) -> Finding {
    Finding::new(
        CODE_UNRESOLVED_REFERENCE,
        format!("the site routes to `{service}`, which is not a service"),
        super::closest(
            service,
            services,
            "name a service defined under `services`".into(),
        ),
    )
}

/// BI110 (a spec's storage-init jobs only): job `job` initialises `target`, a service of
/// kind `kind` rather than MinIO.
pub(crate) fn storage_init_not_minio(job: &str, target: &str, kind: &str) -> Finding {
    Finding::new(
        CODE_UNRESOLVED_REFERENCE,
        format!("job `{job}` initialises `{target}`, a service of kind `{kind}`, not `minio`"),
        "name a service of `kind: minio`",
    )
}

/// BI110 (a spec's storage-init jobs only): job `job` initialises `target`, which is not a
/// service; `minio` are the MinIO services there are (the closest one is suggested).
pub(crate) fn storage_init_unknown<'a>(
    job: &str,
    target: &str,
    minio: impl Iterator<Item = &'a str>,
) -> Finding {
    Finding::new(
        CODE_UNRESOLVED_REFERENCE,
        format!("job `{job}` initialises `{target}`, which is not a service"),
        super::closest(target, minio, "name a service of `kind: minio`".into()),
    )
}

/// BI110 (a spec's migration jobs only): job `job` migrates `target`, which is not a
/// service; `apps` are the services that could be migrated (the closest is suggested).
pub(crate) fn migration_target_unknown<'a>(
    job: &str,
    target: &str,
    apps: impl Iterator<Item = &'a str>,
) -> Finding {
    Finding::new(
        CODE_UNRESOLVED_REFERENCE,
        format!("job `{job}` is the migration of `{target}`, which is not a service"),
        super::closest(
            target,
            apps,
            "name a service of kind `app`, `worker` or `service`".into(),
        ),
    )
}

/// BI110 (a spec's migration jobs only): job `job` migrates `target`, a service of kind
/// `kind`, which runs no program of the user's.
pub(crate) fn migration_target_kind(job: &str, target: &str, kind: &str) -> Finding {
    Finding::new(
        CODE_UNRESOLVED_REFERENCE,
        format!("job `{job}` is the migration of `{target}`, a service of kind `{kind}`: a migration runs in the image of an `app`, `worker` or `service`"),
        "name the app whose image holds the migration; for a command in another image use `task: { command: { argv: [...] } }`",
    )
}

/// BI112: the services of a dependency cycle, in order (the first again at the end).
///
/// Which cycles are reported is the same from a spec and from a Compose file (both run
/// `validate`'s `dependency_cycles` over the services in file order): every cycle, not
/// one per strongly connected component. Each edge that lies on a cycle and is not yet
/// part of a reported one gives the shortest cycle through it, reported at that edge; so
/// fixing one cycle never uncovers another that was there all along.
pub(crate) fn dependency_cycle(services: &[&str]) -> Finding {
    Finding::new(
        CODE_DEPENDENCY_CYCLE,
        format!("dependency cycle: {}", services.join(" -> ")),
        "remove one of these dependencies: Compose cannot start any service of a cycle",
    )
}

/// BI114: `var` is defined twice, in env file `first` and in env file `second` (the same
/// name when one file holds it twice). `both_derived`: both definitions are values a spec
/// derives from its services (only a spec knows).
pub(crate) fn defined_twice(var: &str, first: &str, second: &str, both_derived: bool) -> Finding {
    let message = if first == second {
        format!("variable `{var}` is defined twice in `{first}`: the last definition wins, and nothing says which value is meant")
    } else {
        format!("variable `{var}` is defined twice, in `{first}` and in `{second}`: a service that reads both gets the last one, and nothing says which value is meant")
    };
    let help = if both_derived {
        "two services derive the same variable: give each its own (`url_env` of a postgres service, `service_account.access_key_env` of a minio service), or keep one such service per stack".to_owned()
    } else {
        format!("define `{var}` once: in a spec, under `secrets` if it is secret, else under `env`, and not at all when a service derives it (a postgres `url_env`, MinIO's root user and access key); in an env file, edit the value in place instead of appending (`>>`) a second line")
    };
    Finding::new(CODE_ENV_DEFINITION, message, help)
}

/// BI114 (a spec only): `env` sets `var` to another value than `field: value` of PostgreSQL
/// service `service`, which the server is created with.
pub(crate) fn env_disagrees_with_postgres(
    var: &str,
    field: &str,
    value: &str,
    service: &str,
) -> Finding {
    Finding::new(
        CODE_ENV_DEFINITION,
        format!("`env.{var}` disagrees with `{field}: {value}` of PostgreSQL service `{service}`, which the server is created with"),
        format!("remove `{var}` from `env`: it is derived from `services.{service}.{field}`"),
    )
}

/// BI114 (a spec only): secret `var`, which service `service` reads itself, is not
/// declared under `secrets`.
pub(crate) fn undeclared_secret(var: &str, service: &str) -> Finding {
    Finding::new(
        CODE_ENV_DEFINITION,
        format!("secret `{var}`, which service `{service}` reads, is not declared under `secrets`"),
        format!("add `{var}: {{}}` under `secrets`"),
    )
}

/// Why a `healthy` dependency cannot hold (BI115).
#[derive(Debug, Clone, Copy)]
pub(crate) enum NoHealthcheck<'a> {
    /// The dependency is a one-shot job, which has no health check.
    Job,
    /// Its health check is disabled.
    Disabled,
    /// It has no health check, and its image (named) defines none.
    NoneInImage(&'a str),
    /// It has no health check, and its image is unknown (it may define one: a warning).
    Unknown,
}

/// BI115: `service` waits for `dependency` to be healthy, which it never is (`why`);
/// `probe` is a health check its image supports, when one is known.
pub(crate) fn healthy_without_healthcheck(
    service: &str,
    dependency: &str,
    why: NoHealthcheck<'_>,
    probe: Option<&str>,
) -> Finding {
    let because = match why {
        NoHealthcheck::Job => format!("`{dependency}` is a one-shot job, with no health check"),
        NoHealthcheck::Disabled => format!("the health check of `{dependency}` is disabled (`health.none` in a spec, `disable: true` in a Compose file)"),
        NoHealthcheck::NoneInImage(image) => {
            format!("`{dependency}` has no health check, and its image (`{image}`) defines none")
        }
        NoHealthcheck::Unknown => {
            format!("`{dependency}` has no health check (unless its image defines one)")
        }
    };
    let help = match (why, probe) {
        (NoHealthcheck::Job, _) => format!("wait for `{dependency}` to complete instead: `{dependency}: completed` in a spec; `condition: service_completed_successfully` in a Compose file"),
        (_, Some(p)) => format!("give `{dependency}` a health check: `test: {p}`, with a `start_period`"),
        (_, None) => format!("give `{dependency}` a health check, or wait for it to start: `{dependency}: started` in a spec; `condition: service_started` in a Compose file"),
    };
    let finding = Finding::new(
        CODE_HEALTHY_WITHOUT_HEALTHCHECK,
        format!("`{service}` waits for `{dependency}` to be healthy, but {because}: Compose refuses to start `{service}` (\"has no healthcheck configured\")"),
        help,
    );
    match why {
        NoHealthcheck::Unknown => finding.warning(),
        _ => finding,
    }
}

/// BI116: `service` waits for `dependency` to complete, but it is a long-running service.
pub(crate) fn completed_not_job(service: &str, dependency: &str) -> Finding {
    Finding::new(
        CODE_COMPLETED_NOT_JOB,
        format!("`{service}` waits for `{dependency}` to complete, but `{dependency}` is a long-running service that never exits: `{service}` never starts"),
        format!("wait for `{dependency}` to be healthy (or started) instead: `{dependency}: healthy` in a spec; `condition: service_healthy` in a Compose file"),
    )
}
