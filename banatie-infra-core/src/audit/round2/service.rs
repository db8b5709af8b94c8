//! Rules on what a service is given and how it is watched: BI210 (`NEXT_PUBLIC_*` only
//! at run time), BI212 (secrets as environment), BI326 (a health budget shorter than the
//! migrations run at start), BI327 (restart policies nothing notices).
//!
//! Facts: Next.js replaces `process.env.NEXT_PUBLIC_*` by its value during `next build`
//! (vercel/next.js #51575, #61580), so only a build argument reaches the browser bundle.
//! `environment` and `env_file` values are part of the container's config, shown by
//! `docker inspect` and `docker compose config` (docker/compose #1235, goharbor/harbor
//! #16557); Compose `secrets:` are files under `/run/secrets`. Failures during
//! `start_period` do not count, after it `retries` failures `interval` apart mark the
//! container unhealthy (moby/moby PR #28938); Docker's defaults are interval 30s,
//! retries 3, start_period 0s. The restart policy ignores the health status (moby/moby
//! #28400), and `always`/`unless-stopped` also restart a container that exited 0.

use super::{at_service, duration_secs};
use crate::audit::{env::secret_file_name, is_job, same_file, Deployment, Project, Svc};
use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::health::CODE_START_PERIOD;
use crate::rules::health::CODE_UNWATCHED_RESTART;
use crate::rules::secrets::CODE_NEXT_PUBLIC_RUNTIME;
use crate::rules::secrets::CODE_SECRET_IN_ENVIRONMENT;
use crate::validate::looks_secret;

/// The health budget (seconds) under which migrations at start are reported.
pub(crate) const MIGRATION_BUDGET_SECS: f64 = 120.0;

/// Runs BI210, BI212, BI326 and BI327 on one service.
pub(crate) fn check(d: &Deployment, project: &Project, s: &Svc, out: &mut Vec<Diagnostic>) {
    next_public(d, s, out);
    secrets_in_environment(d, s, out);
    start_period(d, project, s, out);
    restart(d, project, s, out);
}

/// The env files of a service, parsed, with where each is named.
fn env_files<'a>(
    d: &'a Deployment,
    s: &'a Svc,
) -> impl Iterator<Item = (&'a crate::audit::EnvFile, &'a crate::audit::At)> + 'a {
    s.env_files.iter().filter_map(move |(p, at)| {
        let local = d.local(p);
        d.env_files
            .iter()
            .find(|e| same_file(&d.files[e.file].path, &local))
            .map(|ef| (ef, at))
    })
}

fn names(list: &[String]) -> String {
    let shown: Vec<String> = list.iter().take(6).map(|n| format!("`{n}`")).collect();
    match list.len() {
        n if n > 6 => format!("{} and {} more", shown.join(", "), n - 6),
        _ => shown.join(", "),
    }
}

/// BI210.
fn next_public(d: &Deployment, s: &Svc, out: &mut Vec<Diagnostic>) {
    let Some(b) = &s.build else { return };
    let facts = super::pid1::dockerfile_facts(d, s);
    let has_arg = |n: &str| b.args.iter().any(|(k, _)| k == n);
    let declared = |n: &str| {
        facts
            .as_ref()
            .is_none_or(|(f, _)| f.args.iter().any(|a| a == n))
    };
    let mut seen: Vec<String> = Vec::new();
    let mut report = |name: &str, diag: &dyn Fn(String, String) -> Diagnostic| {
        if seen.iter().any(|x| x == name) {
            return;
        }
        seen.push(name.to_owned());
        if has_arg(name) && declared(name) {
            return;
        }
        let why = if has_arg(name) {
            let df = facts.as_ref().map_or(String::new(), |(_, n)| n.clone());
            format!("`build.args` passes it, but {df} declares no `ARG {name}`, so `next build` does not see it")
        } else {
            "`build.args` does not pass it".to_owned()
        };
        out.push(diag(
            format!("service `{}` gets `{name}` only at run time and {why}: Next.js inlines `NEXT_PUBLIC_*` during `next build`, so the browser bundle has `undefined` (or a stale value) whatever the container's environment says", s.name),
            format!("pass it at build time: `build: {{args: {{{name}: \"${{{name}}}\"}}}}` with `ARG {name}` and `ENV {name}=${name}` in the builder stage, the value from the project .env; rebuild when it changes, and keep secrets out of `NEXT_PUBLIC_*`"),
        ));
    };
    for e in &s.environment {
        if e.name.starts_with("NEXT_PUBLIC_") && e.value.is_some() {
            report(&e.name, &|m, h| {
                d.diag_at(Severity::Error, CODE_NEXT_PUBLIC_RUNTIME, &e.at, m, h)
            });
        }
    }
    for (ef, _) in env_files(d, s) {
        for e in &ef.entries {
            if e.key.starts_with("NEXT_PUBLIC_") {
                report(&e.key, &|m, h| {
                    d.diag(
                        Severity::Error,
                        CODE_NEXT_PUBLIC_RUNTIME,
                        ef.file,
                        Some(e.location),
                        "",
                        m,
                        h,
                    )
                });
            }
        }
    }
}

/// Whether an environment variable holds a secret itself (not the path to one).
fn secret_name(name: &str, secret_file: bool) -> bool {
    !name.ends_with("_FILE") && (secret_file || looks_secret(name))
}

/// BI212.
fn secrets_in_environment(d: &Deployment, s: &Svc, out: &mut Vec<Diagnostic>) {
    for (ef, at) in env_files(d, s) {
        let secret_file = secret_file_name(&d.files[ef.file].name);
        // In file order, each name once (a set: a secrets file may hold many thousands).
        let mut found: Vec<String> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for (e, v) in ef.entries.iter().zip(&ef.values) {
            let set = v.as_deref().is_some_and(|v| !v.is_empty());
            if set && secret_name(&e.key, secret_file) && seen.insert(e.key.as_str()) {
                found.push(e.key.clone());
            }
        }
        if found.is_empty() {
            continue;
        }
        out.push(d.diag_at(
            Severity::Warning,
            CODE_SECRET_IN_ENVIRONMENT,
            at,
            format!("`{}` hands {} secret(s) to service `{}` as environment variables ({}): anyone with the Docker socket reads them in `docker inspect`, they are printed by `docker compose config` and kept in /proc/1/environ, and an app that logs its environment leaks them", d.files[ef.file].name, found.len(), s.name, names(&found)),
            "declare top-level `secrets:` (one file each, mode 0400) and give the service only those it uses, read as files (`POSTGRES_PASSWORD_FILE=/run/secrets/pg_password`; in the app, read the file at start)".into(),
        ));
    }
    let found: Vec<&crate::audit::compose::EnvVar> = s
        .environment
        .iter()
        .filter(|e| {
            secret_name(&e.name, false) && e.value.as_deref().is_some_and(|v| !v.is_empty())
        })
        .collect();
    if let Some(first) = found.first() {
        let list: Vec<String> = found.iter().map(|e| e.name.clone()).collect();
        out.push(d.diag_at(
            Severity::Warning,
            CODE_SECRET_IN_ENVIRONMENT,
            &first.at,
            format!("service `{}` gets {} secret(s) in `environment` ({}): `docker inspect`, `docker compose config` and /proc/1/environ show their values", s.name, list.len(), names(&list)),
            "use top-level `secrets:` and the `*_FILE` variant of the variable (`POSTGRES_PASSWORD_FILE=/run/secrets/pg_password`), or read the file in the app".into(),
        ));
    }
}

/// Whether a command line runs database migrations.
pub(crate) fn runs_migrations(text: &str) -> bool {
    let t = text.to_ascii_lowercase();
    [
        "migrat",
        "alembic upgrade",
        "db push",
        "flyway",
        "liquibase",
        "goose up",
    ]
    .iter()
    .any(|k| t.contains(k))
}

/// BI326.
fn start_period(d: &Deployment, project: &Project, s: &Svc, out: &mut Vec<Diagnostic>) {
    if super::one_shot(d, s) {
        return;
    }
    let Some(h) = s.healthcheck.as_ref().filter(|h| !h.disabled) else {
        return;
    };
    let mut text = String::new();
    for c in [&s.entrypoint, &s.command].into_iter().flatten() {
        text.push_str(&c.argv.join(" "));
        text.push(' ');
    }
    if s.command.is_none() && s.entrypoint.is_none() {
        if let Some((f, _)) = super::pid1::dockerfile_facts(d, s) {
            for (form, _) in [f.entrypoint, f.cmd].into_iter().flatten() {
                match form {
                    super::pid1::Form::Exec(v) => text.push_str(&v.join(" ")),
                    super::pid1::Form::Shell(t) => text.push_str(&t),
                }
                text.push(' ');
            }
        }
    }
    if !runs_migrations(&text) {
        return;
    }
    let get = |k: &str, default: f64| {
        h.timing
            .iter()
            .find(|(n, _, _)| n == k)
            .and_then(|(_, v, _)| duration_secs(v))
            .unwrap_or(default)
    };
    let retries = h
        .timing
        .iter()
        .find(|(n, _, _)| n == "retries")
        .and_then(|(_, v, _)| v.trim().parse::<f64>().ok())
        .unwrap_or(3.0);
    let budget = get("start_period", 0.0) + retries * get("interval", 30.0);
    if budget >= MIGRATION_BUDGET_SECS {
        return;
    }
    let dependents: Vec<String> = project
        .services
        .iter()
        .filter(|t| {
            t.depends_on
                .iter()
                .any(|x| x.name == s.name && x.condition.as_deref() == Some("service_healthy"))
        })
        .map(|t| t.name.clone())
        .collect();
    let aborts = if dependents.is_empty() {
        "`up --wait` fails".to_owned()
    } else {
        format!("`up` aborts its dependents ({})", names(&dependents))
    };
    out.push(d.diag_at(
        Severity::Warning,
        CODE_START_PERIOD,
        &h.test_at,
        format!("service `{}` runs migrations when it starts, but its health budget is about {budget:.0}s (start_period + retries x interval): a migration that takes longer marks it unhealthy and {aborts}", s.name),
        "set `start_period: 300s` (failures during it do not count; the first success ends it), or run the migrations in a one-shot `migrate` service the app depends on with `condition: service_completed_successfully`".into(),
    ));
}

/// BI327.
fn restart(d: &Deployment, project: &Project, s: &Svc, out: &mut Vec<Diagnostic>) {
    let policy = s.restart.as_deref().unwrap_or("no");
    let restarts_after_success = matches!(policy, "always" | "unless-stopped");
    let awaited_as_job = project.services.iter().any(|t| {
        t.depends_on.iter().any(|x| {
            x.name == s.name && x.condition.as_deref() == Some("service_completed_successfully")
        })
    });
    let mc = d
        .images
        .get(&s.name)
        .is_some_and(|i| crate::images::family(i) == crate::images::Family::MinioClient);
    if restarts_after_success && (awaited_as_job || mc) {
        out.push(at_service(
            d,
            s,
            Severity::Warning,
            CODE_UNWATCHED_RESTART,
            format!("one-shot service `{}` has `restart: {policy}`: it runs again every time it completes, for ever, and a failure looks like the next run", s.name),
            "set `restart: \"no\"` (or `on-failure:3`) on one-shot jobs".into(),
        ));
        return;
    }
    if policy == "no" || is_job(d, s) || awaited_as_job {
        return;
    }
    let checked = s.healthcheck.as_ref().is_some_and(|h| !h.disabled)
        || (s.healthcheck.is_none() && d.image_healthchecks.contains(&s.name));
    if checked {
        return;
    }
    out.push(at_service(
        d,
        s,
        Severity::Warning,
        CODE_UNWATCHED_RESTART,
        format!("service `{}` has `restart: {policy}` and no health check: a crash loop restarts it for ever while `docker ps` shows it up, and a hung process is never seen (the restart policy ignores health, and there is no health state to alert on)", s.name),
        "add a `healthcheck` that exercises the service, and watch RestartCount and `health_status` events (a timer running `docker events --filter event=health_status` or a RestartCount check that posts to a webhook)".into(),
    ));
}
