//! BI6xx, drift of the live engine from the spec (`banatie-infra doctor`), reported by
//! `crate::docker` (feature `docker`); declared here so the registry lists them in every
//! build.

use super::Rule;
use crate::diagnostic::{Code, Severity};

const FAMILY: &str = "live";

/// BI601: a container of the spec does not exist.
pub const CODE_DRIFT_MISSING: Code = Code("BI601");
/// BI602: a network that should be internal is not (or the reverse), or is missing.
pub const CODE_DRIFT_NETWORK_INTERNAL: Code = Code("BI602");
/// BI603: a container is attached to a network the spec does not give it, or lacks one.
pub const CODE_DRIFT_NETWORK: Code = Code("BI603");
/// BI604: a container publishes host ports the spec does not.
pub const CODE_DRIFT_PORTS: Code = Code("BI604");
/// BI605: a container runs a different image.
pub const CODE_DRIFT_IMAGE: Code = Code("BI605");
/// BI606: a container lacks environment variables the spec gives it, or has extra ones
/// (names only, never values).
pub const CODE_DRIFT_ENV: Code = Code("BI606");
/// BI607: a container labelled as the stack's that the spec does not know.
pub const CODE_DRIFT_EXTRA: Code = Code("BI607");

/// This family's rules, in code order.
pub(super) const RULES: &[Rule] = &[
    Rule::declare(
        CODE_DRIFT_MISSING,
        "live-container-missing",
        Severity::Error,
        FAMILY,
        "live: a service of the spec has no container",
    ),
    Rule::declare(
        CODE_DRIFT_NETWORK_INTERNAL,
        "live-network-not-internal",
        Severity::Error,
        FAMILY,
        "live: a network that should be internal is not (or is missing)",
    ),
    Rule::declare(
        CODE_DRIFT_NETWORK,
        "live-network-mismatch",
        Severity::Error,
        FAMILY,
        "live: a container on a network the spec does not give it (PostgreSQL on the proxy network), or missing one",
    ),
    Rule::declare(
        CODE_DRIFT_PORTS,
        "live-ports-mismatch",
        Severity::Error,
        FAMILY,
        "live: a container publishes host ports the spec does not",
    ),
    Rule::declare(
        CODE_DRIFT_IMAGE,
        "live-image-mismatch",
        Severity::Error,
        FAMILY,
        "live: a container runs a different image than the spec names",
    ),
    Rule::declare(
        CODE_DRIFT_ENV,
        "live-env-mismatch",
        Severity::Warning,
        FAMILY,
        "live: environment variable names missing from or extra to the spec (names only)",
    ),
    Rule::declare(
        CODE_DRIFT_EXTRA,
        "live-extra-container",
        Severity::Warning,
        FAMILY,
        "live: a container labelled as the stack's that the spec does not know",
    ),
];
