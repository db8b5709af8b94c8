//! The audit rules of round 2 (`shared/cases/round2.md`): failures people reported
//! publicly with stacks like ours, each written for its kind and read from the files
//! alone (the Compose file and its overrides, env and secret files, the Caddyfile, the
//! Dockerfiles of builds, operator scripts).
//!
//! | code  | kind | file |
//! |-------|------|------|
//! | BI210 | `NEXT_PUBLIC_*` given only at run time (Next.js inlines it at build) | [`service`] |
//! | BI211 | CR line endings in env files, secret files and scripts | [`files`] |
//! | BI212 | secrets handed to containers as environment (`docker inspect` shows them) | [`service`] |
//! | BI323 | `json-file` logs without `max-size` | [`resources`] |
//! | BI324 | no memory limit | [`resources`] |
//! | BI325 | a PID 1 that ignores SIGTERM, no `init: true` | [`pid1`] |
//! | BI326 | migrations at start, a health budget that cannot cover them | [`service`] |
//! | BI327 | a restart policy nothing can notice (no health check; a one-shot restarted) | [`service`] |
//! | BI328 | `up --force-recreate` of the whole stack or its stateful services | [`files`] |
//! | BI414 | `reverse_proxy` without a retry window (`lb_try_duration`) | [`caddy`] |
//! | BI522 | a PostgreSQL image with no major version | [`postgres`] |
//! | BI523 | the PostgreSQL data directory not on a mount, or 18+ mounted at the old path | [`postgres`] |
//! | BI524 | PostgreSQL with Docker's 64 MB `/dev/shm` | [`postgres`] |
//! | BI525 | backup retention that runs when the dump failed | [`files`] |
//!
//! What only the host or the engine can tell (the firewall chains, `daemon.json`, free
//! space, `RestartCount`, the `PG_VERSION` in a volume, the time a stop takes) is not
//! guessed here: those are for the Docker verbs.

pub(crate) mod caddy;
pub(crate) mod files;
pub(crate) mod pid1;
pub(crate) mod postgres;
pub(crate) mod resources;
pub(crate) mod service;

use crate::diagnostic::{Code, Diagnostic, Severity};

use super::tree::{Kind, Y};
use super::{Deployment, Svc};

/// Runs every round-2 rule.
pub(crate) fn run(d: &Deployment, out: &mut Vec<Diagnostic>) {
    files::check(d, out);
    caddy::check(d, out);
    let Some(project) = d.project.as_ref() else {
        return;
    };
    for s in &project.services {
        resources::check(d, s, out);
        pid1::check(d, s, out);
        postgres::check(d, s, out);
        service::check(d, project, s, out);
    }
}

/// The service's node in the merged Compose tree as written (before interpolation).
pub(crate) fn raw_service<'a>(d: &'a Deployment, name: &str) -> Option<&'a Y> {
    d.raw.as_ref()?.get("services")?.get(name)
}

/// The value of `key` in a mapping, also through YAML merge keys (`<<: *anchor`, or a
/// list of anchors) when the loader keeps them as entries.
pub(crate) fn lookup<'a>(y: &'a Y, key: &str) -> Option<&'a Y> {
    if let Some(v) = y.get(key) {
        return Some(v);
    }
    let merged = y.get("<<")?;
    match &merged.kind {
        Kind::Map(_) => lookup(merged, key),
        Kind::Seq(items) => items.iter().find_map(|i| lookup(i, key)),
        _ => None,
    }
}

/// A Compose duration (Go's `time.ParseDuration` units `h`, `m`, `s`, `ms`, `us`, `ns`,
/// combined: `1m30s`), in seconds. `None` when it does not parse.
pub(crate) fn duration_secs(s: &str) -> Option<f64> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if let Ok(n) = s.parse::<f64>() {
        // Compose reads a bare number as seconds for the healthcheck fields.
        return Some(n);
    }
    let mut total = 0.0;
    let mut rest = s;
    while !rest.is_empty() {
        let n = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if n == 0 {
            return None;
        }
        let value: f64 = rest[..n].parse().ok()?;
        rest = &rest[n..];
        let u = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let factor = match &rest[..u] {
            "h" => 3600.0,
            "m" => 60.0,
            "s" => 1.0,
            "ms" => 1e-3,
            "us" | "µs" => 1e-6,
            "ns" => 1e-9,
            _ => return None,
        };
        total += value * factor;
        rest = &rest[u..];
    }
    Some(total)
}

/// Whether `s` is a one-shot job: [`crate::audit::is_job`] (`restart: "no"`, a MinIO
/// client), or awaited by another service with `service_completed_successfully`.
pub(crate) fn one_shot(d: &Deployment, s: &Svc) -> bool {
    crate::audit::is_job(d, s)
        || d.project.as_ref().is_some_and(|p| {
            p.services.iter().any(|t| {
                t.depends_on.iter().any(|x| {
                    x.name == s.name
                        && x.condition.as_deref() == Some("service_completed_successfully")
                })
            })
        })
}

/// A warning or error located at the service's key.
pub(crate) fn at_service(
    d: &Deployment,
    s: &Svc,
    severity: Severity,
    code: Code,
    message: String,
    help: String,
) -> Diagnostic {
    d.diag_at(severity, code, &s.at, message, help)
}

#[cfg(test)]
mod tests {
    use super::duration_secs;

    #[test]
    fn durations() {
        assert_eq!(duration_secs("10s"), Some(10.0));
        assert_eq!(duration_secs("1m30s"), Some(90.0));
        assert_eq!(duration_secs("1h"), Some(3600.0));
        assert_eq!(duration_secs("250ms"), Some(0.25));
        assert_eq!(duration_secs("5"), Some(5.0));
        assert_eq!(duration_secs("ten"), None);
        assert_eq!(duration_secs("1x"), None);
        assert_eq!(duration_secs(""), None);
    }
}
