//! Validation rules over a loaded [`Spec`]. See [`validate`].
//!
//! Each rule is a small function that pushes [`Diagnostic`]s with a stable code (listed,
//! one line each, in [`crate::rules::all`]), a JSON pointer to the most specific value at fault, a
//! message that names the offending value and a help line saying how to fix it. The spec
//! holds no secret values, so no message can print one.
//!
//! Every rule is linear in the size of the spec (hash maps and sets, no pairwise loops),
//! so a spec with ten thousand services validates in milliseconds.
//!
//! The rules live by family, as in the registry ([`rules`](mod@crate::rules)): `spec`
//! and `dependencies` (BI11x), `secrets` (BI2xx), `health` (BI3xx), `sites` (BI4xx) and
//! `storage` (BI5xx); the free-text rules are [`crate::values`]'s and BI407 is
//! [`crate::header`]'s. This module holds the entry point, the order the rules run in
//! and the helpers more than one family uses; the items other modules use keep their
//! paths here.
//!
//! ```
//! use banatie_infra_core::load::{load_str, Format};
//! use banatie_infra_core::validate::validate;
//!
//! let text = "stack: { name: demo }\nservices:\n  db: { kind: postgres, networks: [nope] }\n";
//! let spec = load_str(text, Format::Yaml, "demo.yaml").unwrap().spec;
//! let diags = validate(&spec);
//! let d = diags.iter().find(|d| d.code.0 == "BI110").unwrap();
//! assert_eq!(d.pointer, "/services/db/networks/0");
//! ```

use crate::diagnostic::Diagnostic;
use crate::spec::Spec;
use crate::types::RelPath;

/// Builds a JSON pointer from tokens of any displayable type.
macro_rules! ptr {
    ($($t:expr),* $(,)?) => {{
        let mut p = String::new();
        $(crate::diagnostic::push_token(&mut p, &$t);)*
        p
    }};
}

mod dependencies;
mod health;
mod runtime;
mod secrets;
mod sites;
mod spec;
mod storage;
#[cfg(test)]
mod tests;

pub use crate::values::{
    CODE_DESCRIPTION, CODE_HOST_PATH, CODE_MINIO_NAME, CODE_OBJECT_KEY, CODE_POSTGRES_NAME,
};

pub use self::secrets::is_placeholder;

// The conditions the audit shares with the rules (their findings are built in
// `crate::rules`).
pub(crate) use self::dependencies::cycles;
pub(crate) use self::secrets::is_loopback;
pub(crate) use self::sites::is_cors_origin;

/// Runs every rule on `spec` and returns the findings, errors and warnings, in rule order
/// (the order of the rule functions) and, within a rule, in spec order. An empty result means the
/// spec is valid; [`crate::diagnostic::has_errors`] tells whether rendering may go on.
/// Pointers are JSON pointers into the spec; [`crate::load::Source::annotate`] adds the
/// source positions.
pub fn validate(spec: &Spec) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for rule in RULE_FNS {
        rule(spec, &mut out);
    }
    out
}

type Rule = fn(&Spec, &mut Vec<Diagnostic>);

const RULE_FNS: &[Rule] = &[
    spec::unresolved_references,
    spec::site_ports,
    dependencies::dependency_cycles,
    spec::app_image_source,
    spec::env_definitions,
    dependencies::healthy_without_healthcheck,
    dependencies::completed_not_job,
    dependencies::migrations,
    spec::network_layout,
    spec::single_servers,
    runtime::service_secrets_resolve,
    runtime::limits_in_range,
    runtime::memory_fits_host,
    runtime::mount_points,
    secrets::secret_in_public_env,
    secrets::secret_in_build_args,
    secrets::placeholders,
    secrets::published_ports,
    secrets::proxy_network,
    secrets::dollar_in_values,
    secrets::secret_lengths,
    crate::values::descriptions,
    health::probe_binaries,
    health::exec_binaries,
    health::health_stated,
    health::generic_probe_image,
    health::unpinned_images,
    health::published_on_internal,
    health::probe_unknown_image,
    health::health_timing,
    sites::duplicate_domains,
    sites::s3_write_methods,
    sites::public_site_private_bucket,
    sites::site_structure,
    sites::console_without_headers,
    sites::cors,
    crate::header::duplicate_headers,
    storage::minio_drives,
    storage::lifecycle_whole_bucket,
    storage::lifecycle_rules,
    storage::overlapping_mounts,
    storage::public_prefix,
    storage::postgres_version,
    crate::values::object_keys,
    crate::values::minio_names,
    crate::values::postgres_names,
    crate::values::host_paths,
];

/// Whether a variable name looks like it holds a secret: [`crate::redact::looks_secret`],
/// the one predicate shared by validation, the audit, the import and redaction.
pub(crate) fn looks_secret(name: &str) -> bool {
    crate::redact::looks_secret(name)
}

/// The components of a relative path, without empty and `.` components, so that
/// `data/minio`, `data//minio/` and `./data/minio` compare equal.
fn path_components(p: &RelPath) -> Vec<&str> {
    p.as_str()
        .split('/')
        .filter(|c| !c.is_empty() && *c != ".")
        .collect()
}

/// A relative path in canonical form (see [`path_components`]).
fn normalized(p: &RelPath) -> String {
    path_components(p).join("/")
}
