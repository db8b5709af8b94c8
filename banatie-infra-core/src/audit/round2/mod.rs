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

/// BI210: a `NEXT_PUBLIC_*` variable a built service gets only at run time.
pub const CODE_NEXT_PUBLIC_RUNTIME: Code = Code("BI210");
/// BI211: an env file, secret file or script with CR (`\r\n`) line endings.
pub const CODE_CRLF: Code = Code("BI211");
/// BI212: secrets handed to a container as environment variables.
pub const CODE_SECRET_IN_ENVIRONMENT: Code = Code("BI212");
/// BI323: a service logging to `json-file` without `max-size`.
pub const CODE_UNBOUNDED_LOGS: Code = Code("BI323");
/// BI324: a long-running service without a memory limit.
pub const CODE_NO_MEMORY_LIMIT: Code = Code("BI324");
/// BI325: a PID 1 that does not act on SIGTERM, with no init process.
pub const CODE_PID1_SIGNALS: Code = Code("BI325");
/// BI326: migrations at start with a health budget shorter than they may take.
pub const CODE_START_PERIOD: Code = Code("BI326");
/// BI327: a restart policy whose effects nothing can notice.
pub const CODE_UNWATCHED_RESTART: Code = Code("BI327");
/// BI328: `docker compose up --force-recreate` of the whole stack or its stateful services.
pub const CODE_FORCE_RECREATE: Code = Code("BI328");
/// BI414: a `reverse_proxy` with no retry window.
pub const CODE_NO_RETRY_WINDOW: Code = Code("BI414");
/// BI522: a PostgreSQL image whose tag names no major version.
pub const CODE_PG_MAJOR_UNPINNED: Code = Code("BI522");
/// BI523: the PostgreSQL data directory is not where a volume is mounted.
pub const CODE_PG_DATA_MOUNT: Code = Code("BI523");
/// BI524: PostgreSQL with the default 64 MB `/dev/shm`.
pub const CODE_PG_SHM: Code = Code("BI524");
/// BI525: backup retention that deletes old backups even when the new dump failed.
pub const CODE_UNGATED_RETENTION: Code = Code("BI525");

/// The round-2 codes with their severity and one-line summary, in code order, listed by
/// [`crate::rules()`] beside [`super::RULES`] (exported as `audit::ROUND2_RULES`).
pub const RULES: &[(Code, Severity, &str)] = &[
    (CODE_NEXT_PUBLIC_RUNTIME, Severity::Error, "a `NEXT_PUBLIC_*` variable a built service gets only at run time: Next.js inlines it during `next build`, so the browser bundle never sees it"),
    (CODE_CRLF, Severity::Error, "an env file, secret file or shell script with CR line endings: a shell `.`/`source`, `$(< file)` and `*_FILE` secrets keep the `\\r` in every value"),
    (CODE_SECRET_IN_ENVIRONMENT, Severity::Warning, "secrets handed to a container as environment variables: `docker inspect`, `docker compose config` and /proc/PID/environ show them (use `secrets:` and `*_FILE`)"),
    (CODE_UNBOUNDED_LOGS, Severity::Warning, "a service logging to `json-file` (Docker's default) without `max-size`: its log grows until the disk is full"),
    (CODE_NO_MEMORY_LIMIT, Severity::Warning, "a long-running service without a memory limit (`mem_limit` or `deploy.resources.limits.memory`): one leak makes the kernel OOM killer pick any process of the host"),
    (CODE_PID1_SIGNALS, Severity::Warning, "PID 1 is a shell, a package manager (`npm start`) or a runtime that ignores SIGTERM as PID 1, and there is no `init: true`: every stop waits the grace period, then SIGKILL"),
    (CODE_START_PERIOD, Severity::Warning, "a service runs migrations when it starts but its health budget (`start_period` + `retries` x `interval`) is under 2 minutes: a slow migration marks it unhealthy and `up` aborts its dependents"),
    (CODE_UNWATCHED_RESTART, Severity::Warning, "a restart policy nothing can notice: a long-running service restarted without a health check, or a one-shot job restarted after it completes"),
    (CODE_FORCE_RECREATE, Severity::Warning, "`docker compose up --force-recreate` without service names, or naming PostgreSQL, MinIO or Caddy: every deploy restarts the stateful services"),
    (CODE_NO_RETRY_WINDOW, Severity::Warning, "a `reverse_proxy` without `lb_try_duration`: while its upstream is recreated every request gets 502 at once"),
    (CODE_PG_MAJOR_UNPINNED, Severity::Error, "a PostgreSQL image whose tag names no major version (`postgres`, `latest`, `alpine`): the next pull may start a major that refuses the data directory"),
    (CODE_PG_DATA_MOUNT, Severity::Error, "the PostgreSQL data directory is on no mount (it goes to an anonymous volume), or 18+ is mounted at the pre-18 path `/var/lib/postgresql/data`"),
    (CODE_PG_SHM, Severity::Warning, "PostgreSQL without `shm_size`: Docker's 64 MB /dev/shm makes parallel queries fail with \"could not resize shared memory segment\""),
    (CODE_UNGATED_RETENTION, Severity::Error, "a backup script deletes old backups even when the new dump failed (no `set -e`, no `&&`, no check): retention removes the last good copy"),
];

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
