//! The rules that look at the Compose project, and across files (scripts the services
//! run, the Caddy sites in front of them, init SQL). Rules that also exist for specs
//! call the shared condition and message of [`crate::validate`].

use std::collections::HashSet;

use super::compose::{Cmd, Svc};
use super::CODE_URL_USERINFO;
use super::{env, is_job, shell, sql, Deployment, CODE_DRIVE_NOT_MOUNTED, CODE_HARDCODED_NAME};
use super::{At, CODE_RETYPED_VALUE};
use super::{
    CODE_INIT_NOT_AWAITED, CODE_JOB_RACE, CODE_SCHEMA_PUBLIC_CREATE, CODE_UNKNOWN_BUILD_BASE,
};
use crate::diagnostic::{Diagnostic, Severity};
use crate::images::{self, Family};
use crate::types::ImageRef;
use crate::validate::{self as v, is_placeholder, looks_secret};

/// Runs every rule.
pub(crate) fn run(d: &mut Deployment, out: &mut Vec<Diagnostic>) {
    for ef in &d.env_files {
        env::check(d, ef, out);
    }
    if let Some(project) = d.project.clone() {
        references_and_cycles(d, &project, out);
        for s in &project.services {
            environment(d, s, out);
            healthcheck(d, s, out);
            dependencies(d, &project, s, out);
            ports_and_networks(d, &project, s, out);
            image(d, s, out);
            minio(d, s, out);
        }
    }
    scripts(d, out);
    init_sql(d, out);
    sites(d, out);
    site_structure(d, out);
    super::round2::run(d, out);
}

/// BI110 and BI112: networks and dependencies that name nothing, and dependency cycles
/// (Compose refuses all of them).
fn references_and_cycles(d: &Deployment, project: &super::Project, out: &mut Vec<Diagnostic>) {
    for s in &project.services {
        for (n, at) in &s.networks {
            if n != "default" && project.network(n).is_none() {
                let (message, help) = crate::rules::spec::unknown_network(
                    &s.name,
                    n,
                    project.networks.iter().map(|x| x.name.as_str()),
                );
                out.push(d.diag_at(
                    Severity::Error,
                    v::CODE_UNRESOLVED_REFERENCE,
                    at,
                    message,
                    help,
                ));
            }
        }
        for dep in &s.depends_on {
            let (message, help) = if dep.name == s.name {
                crate::rules::spec::self_dependency(&s.name)
            } else if project.services.iter().all(|t| t.name != dep.name) {
                crate::rules::spec::unknown_dependency(
                    &s.name,
                    &dep.name,
                    project.services.iter().map(|t| t.name.as_str()),
                )
            } else {
                continue;
            };
            out.push(d.diag_at(
                Severity::Error,
                v::CODE_UNRESOLVED_REFERENCE,
                &dep.at,
                message,
                help,
            ));
        }
    }
    // Cycles: the shared graph algorithm of `validate`.
    let index = |n: &str| project.services.iter().position(|s| s.name == n);
    let adj: Vec<Vec<usize>> = project
        .services
        .iter()
        .enumerate()
        .map(|(i, s)| {
            s.depends_on
                .iter()
                .filter_map(|x| index(&x.name))
                .filter(|&j| j != i)
                .collect()
        })
        .collect();
    let comp = v::strongly_connected(&adj);
    let mut reported = HashSet::new();
    for (i, s) in project.services.iter().enumerate() {
        for dep in &s.depends_on {
            let Some(j) = index(&dep.name) else { continue };
            if j == i || comp[j] != comp[i] || !reported.insert(comp[i]) {
                continue;
            }
            let mut cycle = vec![i];
            cycle.extend(v::shortest_path(&adj, &comp, j, i));
            let names: Vec<&str> = cycle
                .iter()
                .map(|&k| project.services[k].name.as_str())
                .collect();
            let (message, help) = crate::rules::spec::dependency_cycle(&names);
            out.push(d.diag_at(
                Severity::Error,
                v::CODE_DEPENDENCY_CYCLE,
                &dep.at,
                message,
                help,
            ));
        }
    }
}

/// BI401, BI403, BI404, BI405, BI505: the structure of the Caddy sites, and the public
/// prefix of the bucket.
fn site_structure(d: &Deployment, out: &mut Vec<Diagnostic>) {
    let mut domains: Vec<(&str, usize)> = Vec::new();
    let mut logs: Vec<(&str, usize)> = Vec::new();
    for (k, (file, site)) in d.sites.iter().enumerate() {
        for (j, dm) in site.domains.iter().enumerate() {
            let at = site.domain_at.get(j).copied().unwrap_or(site.at);
            match domains.iter().find(|(x, _)| x == dm) {
                Some((_, other)) => {
                    let other = (*other != k)
                        .then(|| d.sites[*other].1.domains.first().map(String::as_str))
                        .flatten();
                    let (message, help) = crate::rules::sites::duplicate_domain(dm, other);
                    out.push(d.diag(
                        Severity::Error,
                        v::CODE_DUPLICATE_DOMAIN,
                        *file,
                        Some(at),
                        "",
                        message,
                        help,
                    ))
                }
                None => domains.push((dm, k)),
            }
        }
        if let Some(log) = &site.log {
            if let Some(f) = log.file.as_deref() {
                match logs.iter().find(|(x, _)| *x == f) {
                    Some((_, other)) => {
                        let other = &d.sites[*other].1;
                        let upstream = other
                            .proxies
                            .iter()
                            .flat_map(|p| p.upstreams.first())
                            .next()
                            .map_or("?", String::as_str);
                        let (message, help) = crate::rules::sites::shared_access_log(
                            f,
                            other.domains.first().map(String::as_str),
                            upstream,
                        );
                        out.push(d.diag(
                            Severity::Error,
                            v::CODE_SITE_STRUCTURE,
                            *file,
                            Some(site.at),
                            "",
                            message,
                            help,
                        ))
                    }
                    None => logs.push((f, k)),
                }
            }
            if log.roll_keep.as_deref() == Some("0") {
                out.push(d.diag(
                    Severity::Error,
                    v::CODE_SITE_STRUCTURE,
                    *file,
                    Some(site.at),
                    "",
                    crate::rules::sites::roll_keep_zero(log.file.as_deref().unwrap_or("?")).0,
                    crate::rules::sites::roll_keep_zero(log.file.as_deref().unwrap_or("?")).1,
                ));
            }
        }
        // The console of a MinIO server, served without security headers.
        for proxy in &site.proxies {
            let console = proxy.upstreams.iter().find_map(|u| {
                let (host, port) = u.rsplit_once(':')?;
                let svc = d.project.as_ref()?.service(host)?;
                let argv = minio_argv(d, svc)?;
                (minio_ports(&argv).1 == port.parse().ok()).then(|| svc.name.clone())
            });
            let secured = site.headers.iter().any(|(p, k, _)| {
                p.is_none()
                    && [
                        "strict-transport-security",
                        "x-frame-options",
                        "content-security-policy",
                    ]
                    .contains(&k.to_ascii_lowercase().trim_start_matches(['+', '>', '?']))
            });
            if let (Some(svc), false) = (console, secured) {
                out.push(d.diag(
                    Severity::Warning,
                    v::CODE_CONSOLE_WITHOUT_HEADERS,
                    *file,
                    Some(site.at),
                    "",
                    format!("the site serves the admin console of `{svc}` without security headers"),
                    "add `Strict-Transport-Security`, `X-Content-Type-Options nosniff` and `X-Frame-Options SAMEORIGIN` in a `header` block".into(),
                ));
            }
        }
        // CORS that contradicts the methods the site passes, or a malformed origin.
        let header = |name: &str| {
            site.headers
                .iter()
                .find(|(p, k, _)| p.is_none() && k.eq_ignore_ascii_case(name))
                .map(|(_, _, v)| v.as_str())
        };
        if let Some(origin) = header("Access-Control-Allow-Origin") {
            if !v::is_cors_origin(origin) {
                out.push(d.diag(
                    Severity::Error,
                    v::CODE_CORS,
                    *file,
                    Some(site.at),
                    "",
                    format!("CORS origin `{origin}` is neither `*` nor an origin"),
                    "write `*` or one origin: scheme and host, with an optional port and no path or trailing `/`, like `https://banatie.app`".into(),
                ));
            }
        }
        if let Some(methods) = header("Access-Control-Allow-Methods") {
            let read_only = !site.proxies.is_empty()
                && site.proxies.iter().all(|p| {
                    p.methods
                        .as_list()
                        .is_some_and(|l| l.iter().all(|m| v::is_read_method(m)))
                });
            if let Some(w) = methods
                .split(',')
                .map(str::trim)
                .find(|m| !m.is_empty() && !v::is_read_method(m))
                .filter(|_| read_only)
            {
                out.push(d.diag(
                    Severity::Error,
                    v::CODE_CORS,
                    *file,
                    Some(site.at),
                    "",
                    format!("CORS allows `{w}`, but the site passes read methods only"),
                    "allow only the site's methods in CORS: `Access-Control-Allow-Methods \"GET, HEAD, OPTIONS\"`".into(),
                ));
            }
        }
    }
    // A whole bucket made public.
    for sc in &d.scripts {
        for (at, target) in shell::anonymous_targets(&shell::scan(&sc.text)) {
            let prefix = target
                .split_once('/')
                .map_or("", |(_, rest)| rest.split_once('/').map_or("", |(_, p)| p));
            if prefix.is_empty() {
                let (loc, pointer) = match &sc.inline {
                    Some(m) => (m.map(at), m.pointer.clone()),
                    None => (Some(at), String::new()),
                };
                out.push(d.diag(
                    Severity::Warning,
                    v::CODE_PUBLIC_PREFIX,
                    sc.file,
                    loc,
                    &pointer,
                    format!("`mc anonymous set ... {target}` makes every object of the bucket readable by anyone"),
                    "name the public prefix, like `ALIAS/BUCKET/public/`, and keep the rest private".into(),
                ));
            }
        }
    }
}

fn family(d: &Deployment, s: &Svc) -> Family {
    d.images
        .get(&s.name)
        .map_or(Family::Unknown, images::family)
}

fn is_postgres(d: &Deployment, s: &Svc) -> bool {
    matches!(
        family(d, s),
        Family::PostgresAlpine | Family::PostgresDebian
    )
}

/// The argv of a MinIO server (from `server` on), if `s` runs one.
pub(crate) fn minio_argv(d: &Deployment, s: &Svc) -> Option<Vec<String>> {
    let mut argv: Vec<String> = Vec::new();
    if let Some(e) = &s.entrypoint {
        argv.extend(e.argv.iter().cloned());
    }
    if let Some(c) = &s.command {
        argv.extend(c.argv.iter().cloned());
    }
    let i = argv.iter().position(|a| a == "server")?;
    let minio =
        family(d, s) == Family::MinioServer || argv[..i].iter().any(|a| a.ends_with("minio"));
    minio.then(|| argv[i..].to_vec())
}

/// A MinIO server's S3 API port and console port (from `--address`, `--console-address`).
pub(crate) fn minio_ports(argv: &[String]) -> (u16, Option<u16>) {
    let port = |flag: &str| {
        argv.iter().enumerate().find_map(|(i, a)| {
            let v = match a.strip_prefix(&format!("{flag}=")) {
                Some(v) => Some(v.to_owned()),
                None if a == flag => argv.get(i + 1).cloned(),
                None => None,
            }?;
            v.rsplit(':').next()?.parse::<u16>().ok()
        })
    };
    (port("--address").unwrap_or(9000), port("--console-address"))
}

/// The drive arguments of `server ...`, with `{a...b}` expanded; and whether the
/// ellipsis syntax (or more than one path) asks for several drives.
pub(crate) fn minio_drives(argv: &[String]) -> (Vec<String>, bool) {
    let mut paths = Vec::new();
    let mut i = 1;
    while i < argv.len() {
        let a = &argv[i];
        if a.starts_with('-') {
            let takes_value = !a.contains('=')
                && argv.get(i + 1).is_some_and(|n| {
                    !n.starts_with('-') && !n.starts_with('/') && !n.starts_with("http")
                });
            i += if takes_value { 2 } else { 1 };
            continue;
        }
        paths.push(a.clone());
        i += 1;
    }
    let ellipsis = paths.iter().any(|p| p.contains("..."));
    let mut out = Vec::new();
    for p in &paths {
        out.extend(expand_ellipses(p));
    }
    let multi = ellipsis || paths.len() > 1;
    (out, multi)
}

/// Expands MinIO's `{1...4}` ellipses (several in one path multiply).
fn expand_ellipses(p: &str) -> Vec<String> {
    let Some(open) = p.find('{') else {
        return vec![p.to_owned()];
    };
    let Some(close) = p[open..].find('}').map(|c| open + c) else {
        return vec![p.to_owned()];
    };
    let inner = &p[open + 1..close];
    let Some((a, b)) = inner.split_once("...") else {
        return vec![p.to_owned()];
    };
    let (Ok(a), Ok(b)) = (a.parse::<u32>(), b.parse::<u32>()) else {
        return vec![p.to_owned()];
    };
    if b < a || b - a > 1024 {
        return vec![p.to_owned()];
    }
    let mut out = Vec::new();
    for n in a..=b {
        for rest in expand_ellipses(&p[close + 1..]) {
            out.push(format!("{}{n}{rest}", &p[..open]));
        }
    }
    out
}

/// BI201, BI202, BI208 on a service's `environment`.
fn environment(d: &Deployment, s: &Svc, out: &mut Vec<Diagnostic>) {
    for e in &s.environment {
        let raw = e
            .raw
            .clone()
            .or_else(|| e.value.clone())
            .unwrap_or_default();
        let literal = !raw.contains('$');
        // A value with literal text (a `$` that Compose would cut counts as text) holds
        // the secret itself; a value that is only `${VAR}` is reported where it is
        // interpolated.
        let holds_text = match super::interp::parse(&raw) {
            Ok(pieces) => pieces.iter().any(|p| match p {
                super::interp::Piece::Lit(t) => !t.trim().is_empty(),
                super::interp::Piece::Ref(r) => env::literal_looking(d, r),
            }),
            Err(_) => true,
        };
        if looks_secret(&e.name) && holds_text && !is_placeholder(&raw) {
            out.push(d.diag_at(
                Severity::Error,
                v::CODE_SECRET_IN_PUBLIC_ENV,
                &e.at,
                format!("`{}` holds a secret in plain text in the Compose file, which is world-readable, committed, and printed by `docker compose config`", e.name),
                "move it to an env_file with mode 0600 (for example secrets.env, single-quoted) and remove it here".into(),
            ));
        }
        if e.value.is_some()
            && literal
            && is_placeholder(&raw)
            && (!raw.trim().is_empty() || looks_secret(&e.name))
        {
            let what = if raw.trim().is_empty() {
                "is empty".to_owned()
            } else {
                format!("holds the placeholder `{raw}`")
            };
            out.push(d.diag_at(
                Severity::Error,
                v::CODE_PLACEHOLDER,
                &e.at,
                format!("`{}` {what}", e.name),
                "write the real value, or remove the variable".into(),
            ));
        }
        // BI315: a plain value Compose's YAML parser types.
        if let Some(plain) = &e.plain {
            if let Some((what, got)) = crate::render::quote::compose_env_reading(plain) {
                // A secret-looking variable's value is not repeated (BI201 covers it).
                let secret = looks_secret(&e.name);
                out.push(d.diag_at(
                    Severity::Error,
                    CODE_RETYPED_VALUE,
                    &At {
                        file: e.value_file,
                        loc: e.value_loc.or(e.at.loc),
                        pointer: e.at.pointer.clone(),
                    },
                    match (secret, got) {
                        (true, _) => format!("`{}` is written plain, and Compose's YAML parser reads it as {what}: the container gets other text than written", e.name),
                        (false, None) => format!("`{}: {plain}` is written plain, and Compose's YAML parser reads it as {what}", e.name),
                        (false, Some(got)) => format!("`{}: {plain}` is written plain, and Compose's YAML parser reads it as {what}: the container gets `{got}`, not `{plain}`", e.name),
                    },
                    if secret {
                        "quote the value (double quotes)".to_owned()
                    } else {
                        format!("quote the value: `{}: \"{plain}\"`", e.name)
                    },
                ));
            }
        }
        let mut found = Vec::new();
        env::check_url(d, &e.name, &raw, true, &mut |_, msg| found.push(msg));
        for msg in found {
            out.push(d.diag_at(
                Severity::Error,
                CODE_URL_USERINFO,
                &e.at,
                msg,
                "percent-encode the user and password in the URL (`/` as `%2F`, `+` as `%2B`, `=` as `%3D`), in an env_file with mode 0600".into(),
            ));
        }
    }
}

/// Shell builtins and keywords a health check may use that are not programs.
const BUILTINS: &[&str] = &[
    "exit", "test", "[", "echo", "true", "false", "printf", ":", "set", "command", "export",
    "return", "cd", "if", "then", "fi", "!", "[[",
];

/// The programs a health-check test calls, and every argument.
pub(crate) fn probe_programs(test: &[String]) -> (Vec<String>, Vec<String>) {
    let mut programs = Vec::new();
    let mut words = Vec::new();
    let from_script = |script: &str, programs: &mut Vec<String>, words: &mut Vec<String>| {
        for c in shell::scan(script).cmds {
            if let Some(name) = c.name() {
                if !BUILTINS.contains(&name) {
                    programs.push(name.to_owned());
                }
            }
            words.extend(c.argv().iter().map(|w| w.text.clone()));
        }
    };
    match test.first().map(String::as_str) {
        Some("CMD") => {
            let argv = &test[1..];
            if let Some((k, _)) = super::read::scripts::inline_script(argv) {
                programs.push(argv[0].rsplit('/').next().unwrap_or(&argv[0]).to_owned());
                from_script(&argv[k], &mut programs, &mut words);
            } else if let Some(first) = argv.first() {
                programs.push(first.rsplit('/').next().unwrap_or(first).to_owned());
                words.extend(argv.iter().cloned());
            }
        }
        Some("CMD-SHELL") => {
            if let Some(script) = test.get(1) {
                from_script(script, &mut programs, &mut words);
            }
        }
        _ => {}
    }
    (programs, words)
}

/// `(port, path)` of the first `http://host:port/path` among `words`.
pub(crate) fn probe_url(words: &[String]) -> Option<(String, String)> {
    words.iter().find_map(|w| {
        let i = w.find("http://").or_else(|| w.find("https://"))?;
        let rest = &w[i..];
        let rest = rest.split_once("://")?.1;
        let (hostport, path) = match rest.find('/') {
            Some(j) => (&rest[..j], &rest[j..]),
            None => (rest, "/"),
        };
        let port = hostport.rsplit_once(':').map_or("80", |(_, p)| p);
        let path = path.trim_end_matches(['\'', '"', ')']);
        Some((port.to_owned(), path.to_owned()))
    })
}

/// BI301, BI302, BI313 on a service's health check.
fn healthcheck(d: &Deployment, s: &Svc, out: &mut Vec<Diagnostic>) {
    let Some(h) = s
        .healthcheck
        .as_ref()
        .filter(|h| !h.disabled && !h.test.is_empty())
    else {
        return;
    };
    // BI306, on the values written (Docker's defaults otherwise: 30s, 30s, 3; an unwritten
    // timeout is not compared).
    let written = |k: &str| h.timing.iter().find(|(f, _, _)| f == k);
    let dur = |k: &str| written(k).and_then(|(_, v, _)| v.parse::<crate::types::Duration>().ok());
    let interval = dur("interval").unwrap_or(crate::types::Duration::from_secs(30));
    let timeout = dur("timeout").unwrap_or(interval.min(crate::types::Duration::from_secs(30)));
    let retries = written("retries")
        .and_then(|(_, v, _)| v.parse().ok())
        .unwrap_or(3);
    for (field, message, help) in
        v::health_timing_problems(&s.name, interval, timeout, retries, false)
    {
        let at = written(field).map_or(&h.test_at, |(_, _, at)| at);
        out.push(d.diag_at(
            Severity::Error,
            v::CODE_HEALTH_TIMING,
            at,
            message,
            help.into(),
        ));
    }
    if let Some((_, df)) = d.unknown_builds.iter().find(|(n, _)| *n == s.name) {
        if let Some(b) = &s.build {
            out.push(d.diag_at(
                Severity::Warning,
                CODE_UNKNOWN_BUILD_BASE,
                &b.at,
                format!("cannot read `{df}`: the image `{}` is built from is unknown, so its health check is not checked against what the image ships", s.name),
                format!("audit where the build context is, or pass `--base-image {}=IMAGE` (the final stage's `FROM`)", s.name),
            ));
        }
        return;
    }
    let Some(image) = d.images.get(&s.name) else {
        return;
    };
    let (programs, words) = probe_programs(&h.test);
    let url = probe_url(&words);
    let suggestion = |image: &ImageRef| {
        images::suggested_probe(image).map(|p| {
            let (port, path) = url
                .clone()
                .unwrap_or_else(|| ("PORT".into(), "/PATH".into()));
            let p = p.replace("PORT", &port).replace("/PATH", &path);
            format!("use `{p}`")
        })
    };
    let mut seen = HashSet::new();
    for prog in &programs {
        if !seen.insert(prog.as_str()) {
            continue;
        }
        if let Some(message) = v::probe_binary_absent(&s.name, prog, image) {
            let help = suggestion(image).unwrap_or_else(|| {
                format!("call a program `{image}` ships (node, wget, or the server's own client)")
            });
            out.push(d.diag_at(
                Severity::Error,
                v::CODE_PROBE_BINARY_MISSING,
                &h.test_at,
                message,
                help,
            ));
        }
    }
    if images::is_busybox(image) && words.iter().any(|w| w.contains("localhost")) {
        let (port, path) = url
            .clone()
            .unwrap_or_else(|| ("PORT".into(), "/PATH".into()));
        out.push(d.diag_at(
            Severity::Error,
            v::CODE_LOCALHOST_PROBE_BUSYBOX,
            &h.test_at,
            format!("the health check of `{}` probes `localhost` on `{image}`, a BusyBox image: BusyBox `wget` tries `::1` first, and a server bound to IPv4 only (Next.js standalone binds to `$HOSTNAME`) never answers there", s.name),
            format!("probe `http://127.0.0.1:{port}{path}` (and set `HOSTNAME=0.0.0.0` for Next.js standalone)"),
        ));
    }
}

/// Whether `t` is a long-running service (a server), which never completes.
fn long_running(d: &Deployment, t: &Svc) -> bool {
    matches!(t.restart.as_deref(), Some("always" | "unless-stopped"))
        || matches!(
            family(d, t),
            Family::PostgresAlpine | Family::PostgresDebian | Family::MinioServer
        )
}

/// The MinIO servers an init job works on: those it depends on, and those its scripts
/// address (`http://NAME:PORT`).
pub(crate) fn init_targets(d: &Deployment, project: &super::Project, j: &Svc) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for t in &project.services {
        if t.name == j.name || minio_argv(d, t).is_none() {
            continue;
        }
        let depends = j.depends_on.iter().any(|x| x.name == t.name);
        let addressed = d.scripts.iter().any(|sc| {
            sc.service.as_deref() == Some(j.name.as_str())
                && (sc.text.contains(&format!("://{}:", t.name))
                    || t.container_name
                        .as_ref()
                        .is_some_and(|c| sc.text.contains(&format!("://{c}:"))))
        });
        if depends || addressed {
            out.push(t.name.clone());
        }
    }
    out
}

/// BI115, BI116, BI310, BI311.
fn dependencies(d: &Deployment, project: &super::Project, s: &Svc, out: &mut Vec<Diagnostic>) {
    let job = is_job(d, s);
    for dep in &s.depends_on {
        let Some(t) = project.service(&dep.name) else {
            continue;
        };
        let cond_at = dep.cond_at.as_ref().unwrap_or(&dep.at);
        match dep.condition.as_deref() {
            Some("service_healthy") => {
                let none = t
                    .healthcheck
                    .as_ref()
                    .is_none_or(|h| h.disabled || h.test.is_empty());
                let disabled = t.healthcheck.as_ref().is_some_and(|h| h.disabled);
                if none && (disabled || !d.image_healthchecks.contains(&t.name)) {
                    let known = disabled
                        || family(d, t) != Family::Unknown
                        || (t.build.is_some() && d.images.contains_key(&t.name));
                    let why = if disabled {
                        "its health check is disabled".to_owned()
                    } else if let Some(img) = d.images.get(&t.name).filter(|_| known) {
                        format!("it has no `healthcheck`, and its image (`{img}`) defines none")
                    } else {
                        "it has no `healthcheck` (unless its image defines one)".to_owned()
                    };
                    out.push(d.diag_at(
                        if known { Severity::Error } else { Severity::Warning },
                        v::CODE_HEALTHY_WITHOUT_HEALTHCHECK,
                        cond_at,
                        format!("`{}` waits for `{}` to be healthy, but {why}: Compose refuses to start it (\"has no healthcheck configured\")", s.name, t.name),
                        match d.images.get(&t.name).and_then(|i| {
                            matches!(
                                images::family(i),
                                Family::PostgresAlpine | Family::PostgresDebian | Family::MinioServer
                            )
                            .then(|| images::suggested_probe(i))
                            .flatten()
                        }) {
                            Some(p) => format!("give `{}` a health check: `test: {p}`, with a `start_period`", t.name),
                            None => format!("give `{}` a `healthcheck`, or wait for `service_started`", t.name),
                        },
                    ));
                }
            }
            Some("service_completed_successfully") if long_running(d, t) && !is_job(d, t) => {
                out.push(d.diag_at(
                    Severity::Error,
                    v::CODE_COMPLETED_NOT_JOB,
                    cond_at,
                    format!("`{}` waits for `{}` to complete, but `{}` is a long-running server that never exits", s.name, t.name, t.name),
                    format!("wait for `{}` with `service_healthy` (or `service_started`)", t.name),
                ));
            }
            _ => {}
        }
        if job
            && !is_job(d, t)
            && matches!(dep.condition.as_deref(), None | Some("service_started"))
        {
            let form = if dep.condition.is_none() {
                "the short form of `depends_on` waits only for the container to start"
            } else {
                "`service_started` waits only for the container to start"
            };
            out.push(d.diag_at(
                Severity::Error,
                CODE_JOB_RACE,
                &dep.at,
                format!("one-shot job `{}` depends on `{}`, but {form}: the job runs before `{}` accepts connections, its first command fails, and it is not run again", s.name, t.name, t.name),
                format!("give `{}` a health check and write `depends_on: {{ {}: {{ condition: service_healthy }} }}`", t.name, t.name),
            ));
        }
    }
    // BI311: a service that uses the storage must wait for its init job.
    if job {
        return;
    }
    for dep in &s.depends_on {
        let Some(m) = project.service(&dep.name) else {
            continue;
        };
        if minio_argv(d, m).is_none() {
            continue;
        }
        for j in &project.services {
            if j.name == s.name || !is_job(d, j) || !init_targets(d, project, j).contains(&m.name) {
                continue;
            }
            let waits = s.depends_on.iter().any(|x| {
                x.name == j.name && x.condition.as_deref() == Some("service_completed_successfully")
            });
            if !waits {
                out.push(d.diag_at(
                    Severity::Error,
                    CODE_INIT_NOT_AWAITED,
                    &dep.at,
                    format!("`{}` depends on the storage `{}` but not on its init job `{}`: it can start before the bucket and the service account exist, or after the job failed", s.name, m.name, j.name),
                    format!("add `{}: {{ condition: service_completed_successfully }}` to the `depends_on` of `{}`", j.name, s.name),
                ));
            }
        }
    }
}

/// BI203, BI304, BI204.
fn ports_and_networks(
    d: &Deployment,
    project: &super::Project,
    s: &Svc,
    out: &mut Vec<Diagnostic>,
) {
    let postgres = is_postgres(d, s);
    for p in &s.ports {
        let host = p.host.clone().unwrap_or_else(|| p.container.clone());
        if postgres {
            let (message, help) = v::postgres_published(&s.name, &host);
            out.push(d.diag_at(
                Severity::Error,
                v::CODE_PUBLISHED_PORT,
                &p.at,
                message,
                help,
            ));
        } else if !p.host_ip.as_deref().is_some_and(v::is_loopback) {
            let ip = p.host_ip.clone().unwrap_or_else(|| "0.0.0.0".into());
            out.push(d.diag_at(
                Severity::Warning,
                v::CODE_PUBLISHED_PORT,
                &p.at,
                format!("service `{}` publishes host port {host} on `{ip}`, reachable from other hosts and past the firewall (Docker writes its own iptables rules)", s.name),
                "bind it to `127.0.0.1` (`127.0.0.1:HOST:CONTAINER`) and reach it through an SSH tunnel or the proxy".into(),
            ));
        }
    }
    if let Some(first) = s.ports.first() {
        let all_internal = !s.networks.is_empty()
            && s.networks
                .iter()
                .all(|(n, _)| project.network(n).is_some_and(|x| x.internal));
        if all_internal {
            let mut at = first.at.clone();
            at.pointer = format!(
                "/services/{}/ports",
                crate::diagnostic::escape_token(&s.name)
            );
            out.push(d.diag_at(
                Severity::Error,
                v::CODE_PUBLISHED_ON_INTERNAL,
                &at,
                v::published_on_internal_message(&s.name),
                "remove `ports` and route through the proxy, or attach a network that is not internal".into(),
            ));
        }
    }
    if postgres {
        for (n, at) in &s.networks {
            if let Some(net) = project.network(n).filter(|x| x.external) {
                let name = net.engine_name.as_deref().unwrap_or(n);
                let (message, help) = v::postgres_on_proxy(&s.name, name);
                out.push(d.diag_at(Severity::Error, v::CODE_PROXY_NETWORK, at, message, help));
            }
        }
    }
}

/// BI303 on images that are pulled (not built).
fn image(d: &Deployment, s: &Svc, out: &mut Vec<Diagnostic>) {
    if s.build.is_some() {
        return;
    }
    let Some((text, at)) = &s.image else { return };
    if let Ok(img) = text.parse::<ImageRef>() {
        if let Some((message, help)) = v::unpinned_problem(&img) {
            out.push(d.diag_at(Severity::Warning, v::CODE_UNPINNED_IMAGE, at, message, help));
        }
    }
}

/// BI501 and BI512 on a MinIO server's drives.
fn minio(d: &Deployment, s: &Svc, out: &mut Vec<Diagnostic>) {
    let Some(argv) = minio_argv(d, s) else { return };
    let (drives, multi) = minio_drives(&argv);
    if !multi {
        return;
    }
    let Some(cmd): Option<&Cmd> = s.command.as_ref().or(s.entrypoint.as_ref()) else {
        return;
    };
    let count = u32::try_from(drives.len()).unwrap_or(u32::MAX);
    if let Some((message, help)) = v::drive_count_problem(&s.name, count) {
        out.push(d.diag_at(
            Severity::Error,
            v::CODE_MINIO_DRIVES,
            &cmd.at,
            message,
            help,
        ));
    }
    let unmounted: Vec<&String> = drives
        .iter()
        .filter(|p| !p.starts_with("http"))
        .filter(|p| {
            !s.volumes.iter().any(|v| {
                let t = v.target.trim_end_matches('/');
                !t.is_empty() && (p.as_str() == t || p.starts_with(&format!("{t}/")))
            })
        })
        .collect();
    if !unmounted.is_empty() {
        let list: Vec<String> = unmounted.iter().map(|p| format!("`{p}`")).collect();
        out.push(d.diag_at(
            Severity::Error,
            CODE_DRIVE_NOT_MOUNTED,
            &cmd.at,
            format!("MinIO `{}` uses {} drive(s) with no volume mounted on them: {}; they are on the container's root filesystem, which MinIO refuses (\"drive is part of root drive\") and which does not survive the container", s.name, unmounted.len(), list.join(", ")),
            "mount a host directory on each drive path, for example `./data/minio/drive2:/data2`".into(),
        ));
    }
}

/// BI312, BI316, BI507, BI508, BI509 on every script.
fn scripts(d: &Deployment, out: &mut Vec<Diagnostic>) {
    for sc in &d.scripts {
        let script = shell::scan(&sc.text);
        let mut found = Vec::new();
        shell::masked_failures(&script, sc.run, &mut found);
        shell::retired_mc(&script, &mut found);
        shell::backups(&script, &mut found);
        shell::syntax(&script, &mut found);
        for f in found {
            let (loc, pointer) = match &sc.inline {
                Some(m) => (m.map(f.at), m.pointer.clone()),
                None => (Some(f.at), String::new()),
            };
            out.push(d.diag(
                f.severity, f.code, sc.file, loc, &pointer, f.message, f.help,
            ));
        }
    }
}

/// The PostgreSQL major version an image runs: the leading number of its tag; `None`
/// when the tag does not say (`latest`, none): then the current release.
pub(crate) fn pg_version(img: &ImageRef) -> Option<u32> {
    let tag = img.tag()?;
    let digits: String = tag.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// BI510, BI511 on init SQL.
fn init_sql(d: &Deployment, out: &mut Vec<Diagnostic>) {
    for r in &d.sql {
        let file = &d.files[r.file];
        let stmts = sql::scan(&file.text);
        let e = sql::effects(&stmts);
        let svc = r
            .service
            .as_ref()
            .and_then(|n| d.project.as_ref()?.service(n));
        let env = svc.map(|s| d.container_env(s)).unwrap_or_default();
        let user = svc.map(|_| {
            env.get("POSTGRES_USER")
                .cloned()
                .unwrap_or_else(|| ("postgres".into(), "the image's default".into()))
        });
        let db = svc.map(|_| {
            env.get("POSTGRES_DB")
                .cloned()
                .or_else(|| user.clone())
                .unwrap_or_else(|| ("postgres".into(), "the image's default".into()))
        });
        let version = svc
            .and_then(|s| d.images.get(&s.name))
            .and_then(pg_version)
            .unwrap_or(u32::MAX);
        if version >= 15 {
            for (loc, role) in
                sql::roles_without_schema_create(&e, user.as_ref().map(|u| u.0.as_str()))
            {
                let on_db = e.db_grants.iter().find(|g| g.0 == role).map(|g| g.1);
                let what = match on_db {
                    Some(db) => format!("role `{role}` is granted on database `{db}`, but a grant on the database does not cover schema public"),
                    None => format!("role `{role}` is created, but nothing lets it create tables"),
                };
                let db_name = on_db.map_or_else(|| "DB".to_owned(), str::to_owned);
                out.push(d.diag(
                    Severity::Error,
                    CODE_SCHEMA_PUBLIC_CREATE,
                    r.file,
                    Some(loc),
                    "",
                    format!("{what}: since PostgreSQL 15, CREATE on schema public is no longer granted to everyone, so its first migration fails with \"permission denied for schema public\""),
                    format!("make it the owner of its database (`ALTER DATABASE {db_name} OWNER TO {role};`: schema public belongs to the database owner since 15), or `GRANT USAGE, CREATE ON SCHEMA public TO {role};`"),
                ));
            }
        }
        let generated = file.text.lines().take(5).any(|l| {
            l.to_ascii_lowercase()
                .contains("generated by banatie-infra")
        });
        let (Some((u, u_from)), Some((db, db_from))) = (&user, &db) else {
            continue;
        };
        let created: HashSet<&str> = e.created.iter().map(|(n, _)| *n).collect();
        let mut reported: HashSet<&str> = HashSet::new();
        for t in &e.role_uses {
            let name = t.text.as_str();
            if name == u.as_str() {
                if !generated && reported.insert(name) {
                    out.push(d.diag(
                        Severity::Warning,
                        CODE_HARDCODED_NAME,
                        r.file,
                        Some(t.at),
                        "",
                        format!("the init SQL hard-codes the role `{name}`, which `POSTGRES_USER` sets elsewhere ({u_from}): change one and the other silently disagrees"),
                        "keep one source for the name: generate both from one spec, or use an init `.sh` script that reads `$POSTGRES_USER`".into(),
                    ));
                }
            } else if !created.contains(name) && !sql::builtin_role(name) && reported.insert(name) {
                out.push(d.diag(
                    Severity::Error,
                    CODE_HARDCODED_NAME,
                    r.file,
                    Some(t.at),
                    "",
                    format!("the init SQL names the role `{name}`, which does not exist when it runs: the server creates only `{u}` (`POSTGRES_USER`, {u_from}), so the script fails and the database is left half-initialised"),
                    format!("use `{u}`, or create the role first (`CREATE ROLE {name} LOGIN ...`)"),
                ));
            }
        }
        // A database the script names that neither POSTGRES_DB nor the script creates:
        // PostgreSQL stops the script at it ("database ... does not exist").
        let mut missing: HashSet<&str> = HashSet::new();
        for t in &e.db_uses {
            let name = t.text.as_str();
            if name != db.as_str()
                && !e.created_dbs.contains(name)
                && !matches!(name, "postgres" | "template1" | "template0")
                && missing.insert(name)
            {
                out.push(d.diag(
                    Severity::Error,
                    CODE_HARDCODED_NAME,
                    r.file,
                    Some(t.at),
                    "",
                    format!("the init SQL names the database `{name}`, which does not exist when it runs: the server creates only `{db}` (`POSTGRES_DB`, {db_from}), so the script fails and the database is left half-initialised"),
                    format!("use `{db}`, or create the database first (`CREATE DATABASE {name};`)"),
                ));
            }
        }
        if !generated {
            if let Some(t) = e.db_uses.iter().find(|t| t.text == db.as_str()) {
                out.push(d.diag(
                    Severity::Warning,
                    CODE_HARDCODED_NAME,
                    r.file,
                    Some(t.at),
                    "",
                    format!("the init SQL hard-codes the database `{db}`, which `POSTGRES_DB` sets elsewhere ({db_from}): change one and the other silently disagrees"),
                    "keep one source for the name: generate both from one spec, or use an init `.sh` script that reads `$POSTGRES_DB`".into(),
                ));
            }
        }
    }
}

/// BI402 and BI406 on the Caddy sites in front of MinIO's S3 API.
fn sites(d: &Deployment, out: &mut Vec<Diagnostic>) {
    let anonymous = d
        .scripts
        .iter()
        .any(|sc| shell::anonymous_read(&shell::scan(&sc.text)).is_some());
    let bucket = d
        .scripts
        .iter()
        .find_map(|sc| shell::made_bucket(&shell::scan(&sc.text)).map(|b| b.1))
        .or_else(|| env::any_value(d, "MINIO_BUCKET_NAME").map(|v| v.0))
        .unwrap_or_else(|| "(unknown)".into());
    for (file, site) in &d.sites {
        for proxy in &site.proxies {
            let s3 = proxy.upstreams.iter().find_map(|u| {
                let (host, port) = u.rsplit_once(':')?;
                let port: u16 = port.parse().ok()?;
                match d.project.as_ref().and_then(|p| p.service(host)) {
                    Some(svc) => {
                        let argv = minio_argv(d, svc)?;
                        (minio_ports(&argv).0 == port).then(|| svc.name.clone())
                    }
                    None => (port == 9000).then(|| host.to_owned()),
                }
            });
            let Some(service) = s3 else { continue };
            let methods = proxy.methods.as_list();
            let refs: Option<Vec<&str>> = methods
                .as_ref()
                .map(|m| m.iter().map(String::as_str).collect());
            if let Some((_, message)) = v::s3_write_problem(&service, refs.as_deref()) {
                out.push(d.diag(
                    Severity::Error,
                    v::CODE_S3_WRITE_METHODS,
                    *file,
                    Some(site.at),
                    "",
                    message,
                    "pass read methods only, before `reverse_proxy`: `@not_read not method GET HEAD OPTIONS` and `respond @not_read 405`".into(),
                ));
            }
            if !anonymous {
                out.push(d.diag(
                    Severity::Warning,
                    v::CODE_PUBLIC_SITE_PRIVATE_BUCKET,
                    *file,
                    Some(site.at),
                    "",
                    v::private_bucket_message(&service, &bucket),
                    format!("make the public prefix anonymously readable in the init job: `mc anonymous set download ALIAS/{bucket}/PREFIX/` (or serve presigned URLs only)"),
                ));
            }
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drives_expand() {
        let argv: Vec<String> = ["server", "/data{1...4}", "--console-address", ":9001"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        let (d, multi) = minio_drives(&argv);
        assert_eq!(d, ["/data1", "/data2", "/data3", "/data4"]);
        assert!(multi);
        assert_eq!(minio_ports(&argv), (9000, Some(9001)));
        assert_eq!(expand_ellipses("/d{1...2}/x{1...2}").len(), 4);
        let (d, multi) = minio_drives(&["server".to_owned(), "/data".to_owned()]);
        assert_eq!((d.len(), multi), (1, false));
    }
}
