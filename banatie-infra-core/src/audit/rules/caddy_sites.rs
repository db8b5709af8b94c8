//! The rules on the Caddy sites: BI401, BI403, BI404, BI405 and BI505 on their structure
//! (a domain served twice, an access log shared or never kept, a MinIO console without
//! security headers, CORS that contradicts the site, a whole bucket made public), and
//! BI402 and BI406 on the sites in front of MinIO's S3 API (write methods passed, a
//! public site over a private bucket).

use super::{minio_argv, minio_ports};
use crate::audit::caddyfile::Site;
use crate::audit::{env, shell, Deployment, FileId};
use crate::diagnostic::{Diagnostic, Severity};
use crate::validate as v;

/// BI401, BI403, BI404, BI405, BI505: the structure of the Caddy sites, and the public
/// prefix of the bucket.
pub(super) fn site_structure(d: &Deployment, out: &mut Vec<Diagnostic>) {
    let mut domains: Vec<(&str, usize)> = Vec::new();
    let mut logs: Vec<(&str, usize)> = Vec::new();
    for (k, (file, site)) in d.sites.iter().enumerate() {
        duplicate_domains(d, k, *file, site, &mut domains, out);
        access_log(d, k, *file, site, &mut logs, out);
        console_headers(d, *file, site, out);
        cors(d, *file, site, out);
    }
    public_bucket(d, out);
}

/// BI401: a domain of site `k` that an earlier site (or the same one) already serves;
/// `domains` holds those seen so far, with their site.
fn duplicate_domains<'a>(
    d: &'a Deployment,
    k: usize,
    file: FileId,
    site: &'a Site,
    domains: &mut Vec<(&'a str, usize)>,
    out: &mut Vec<Diagnostic>,
) {
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
                    file,
                    Some(at),
                    "",
                    message,
                    help,
                ))
            }
            None => domains.push((dm, k)),
        }
    }
}

/// BI403 on the access log of site `k`: a log file another site already writes (`logs`
/// holds those seen so far, with their site), or one that keeps no rolled file.
fn access_log<'a>(
    d: &Deployment,
    k: usize,
    file: FileId,
    site: &'a Site,
    logs: &mut Vec<(&'a str, usize)>,
    out: &mut Vec<Diagnostic>,
) {
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
                        file,
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
                file,
                Some(site.at),
                "",
                crate::rules::sites::roll_keep_zero(log.file.as_deref().unwrap_or("?")).0,
                crate::rules::sites::roll_keep_zero(log.file.as_deref().unwrap_or("?")).1,
            ));
        }
    }
}

/// BI404: the admin console of a MinIO server, served without security headers.
fn console_headers(d: &Deployment, file: FileId, site: &Site, out: &mut Vec<Diagnostic>) {
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
                file,
                Some(site.at),
                "",
                format!("the site serves the admin console of `{svc}` without security headers"),
                "add `Strict-Transport-Security`, `X-Content-Type-Options nosniff` and `X-Frame-Options SAMEORIGIN` in a `header` block".into(),
            ));
        }
    }
}

/// BI405: CORS that contradicts the methods the site passes, or a malformed origin.
fn cors(d: &Deployment, file: FileId, site: &Site, out: &mut Vec<Diagnostic>) {
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
                file,
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
                file,
                Some(site.at),
                "",
                format!("CORS allows `{w}`, but the site passes read methods only"),
                "allow only the site's methods in CORS: `Access-Control-Allow-Methods \"GET, HEAD, OPTIONS\"`".into(),
            ));
        }
    }
}

/// BI505: `mc anonymous set` on a whole bucket, in any script.
fn public_bucket(d: &Deployment, out: &mut Vec<Diagnostic>) {
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

/// BI402 and BI406 on the Caddy sites in front of MinIO's S3 API.
pub(super) fn sites(d: &Deployment, out: &mut Vec<Diagnostic>) {
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
