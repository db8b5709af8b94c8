//! BI323 (log rotation), BI324 (memory limits) and BI331 (`no-new-privileges`): what a
//! service may take of the host.
//!
//! Facts: Docker's default log driver is `json-file`, which keeps every line unless
//! `max-size` is set (docker/docs #3924; moby/moby #40207 asks for a default and is
//! open); the `local` driver rotates by default (100 MB in 5 files), and `journald`,
//! `syslog` and the remote drivers keep nothing on Docker's disk. A `log-opts` in
//! `/etc/docker/daemon.json` is host state and applies only to containers created after
//! the daemon restarts, so the Compose file is what is read here. Compose v2 honours both
//! `mem_limit` and `deploy.resources.limits.memory` (docker/compose #4513, #5803).

use super::{at_service, lookup, raw_service};
use crate::audit::{Deployment, Svc};
use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::health::CODE_NO_MEMORY_LIMIT;
use crate::rules::health::CODE_NO_NEW_PRIVILEGES;
use crate::rules::health::CODE_UNBOUNDED_LOGS;

/// Log drivers that keep container logs in Docker's data root without a bound unless
/// `max-size` is given.
const UNBOUNDED_DRIVERS: &[&str] = &["json-file"];

/// Runs BI323, BI324 and BI331 on one service (one-shot jobs are skipped: they end).
pub(crate) fn check(d: &Deployment, s: &Svc, out: &mut Vec<Diagnostic>) {
    if super::one_shot(d, s) {
        return;
    }
    let Some(node) = raw_service(d, &s.name) else {
        return;
    };
    let logging = lookup(node, "logging");
    let driver = logging
        .and_then(|l| l.get("driver"))
        .and_then(|v| v.text())
        .unwrap_or_else(|| "json-file".into());
    let max_size = logging
        .and_then(|l| l.get("options"))
        .and_then(|o| o.get("max-size"))
        .and_then(|v| v.text())
        .is_some_and(|v| !v.trim().is_empty());
    if UNBOUNDED_DRIVERS.contains(&driver.as_str()) && !max_size {
        let what = if logging.is_some() {
            "sets `logging` without `options.max-size`"
        } else {
            "has no `logging` options"
        };
        out.push(at_service(
            d,
            s,
            Severity::Warning,
            CODE_UNBOUNDED_LOGS,
            format!("service `{}` {what}: Docker's json-file driver then keeps every line it prints for the life of the container, until the disk is full (unless /etc/docker/daemon.json sets log-opts and the container was created after that)", s.name),
            "add `logging: {driver: json-file, options: {max-size: \"10m\", max-file: \"3\"}}` (shared through an `x-logging` anchor), or `driver: local`; then recreate the containers".into(),
        ));
    }
    let mem_limit = lookup(node, "mem_limit")
        .and_then(|v| v.text())
        .is_some_and(|v| !v.trim().is_empty() && v.trim() != "0");
    let deploy_limit = lookup(node, "deploy")
        .and_then(|v| v.get("resources"))
        .and_then(|v| v.get("limits"))
        .and_then(|v| v.get("memory"))
        .and_then(|v| v.text())
        .is_some_and(|v| !v.trim().is_empty() && v.trim() != "0");
    let nnp = lookup(node, "security_opt").is_some_and(|v| {
        v.items().iter().filter_map(|i| i.text()).any(|o| {
            let o = o.trim().replace('=', ":");
            o == "no-new-privileges" || o == "no-new-privileges:true"
        })
    });
    if !nnp {
        out.push(at_service(
            d,
            s,
            Severity::Warning,
            CODE_NO_NEW_PRIVILEGES,
            format!("service `{}` has no `security_opt: [no-new-privileges:true]`: a process in it may gain privileges through a setuid or setcap binary of the image", s.name),
            "add `security_opt: [\"no-new-privileges:true\"]` to every long-running service (the images this stack runs need no setuid binary after start)".into(),
        ));
    }
    if !mem_limit && !deploy_limit {
        out.push(at_service(
            d,
            s,
            Severity::Warning,
            CODE_NO_MEMORY_LIMIT,
            format!("service `{}` has no memory limit: a leak or a large request can take all of the host's memory, and the kernel's OOM killer then picks its victim host-wide (PostgreSQL, dockerd or sshd)", s.name),
            "set `mem_limit: 512m` (or `deploy.resources.limits.memory`) on every long-running service, the sum below about 75% of the host's memory; for Node also set NODE_OPTIONS=--max-old-space-size below the limit".into(),
        ));
    }
}
