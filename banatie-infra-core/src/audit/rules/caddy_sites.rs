//! The rules on the Caddy sites: BI401, BI403, BI404, BI405 and BI505 on their structure
//! (a domain served twice, an access log shared or never kept, a MinIO console without
//! security headers, CORS that contradicts the site, a whole bucket made public), and
//! BI402 and BI406 on the sites in front of MinIO's S3 API (write methods passed, a
//! public site over a private bucket).

use super::{minio_argv, minio_ports};
use crate::audit::caddyfile::Site;
use crate::audit::{env, shell, Deployment, FileId};
use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::sites as site_rules;
use crate::rules::sites::CODE_SERVER_URL_READ_ONLY;
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
    server_url_read_only(d, out);
}

/// BI415: a MinIO server's `MINIO_SERVER_URL` names a Caddy site that passes read methods
/// only, so the console's sign-in (a POST through that URL) is refused.
fn server_url_read_only(d: &Deployment, out: &mut Vec<Diagnostic>) {
    let Some(project) = &d.project else { return };
    for svc in &project.services {
        if minio_argv(d, svc).is_none() {
            continue;
        }
        for e in svc
            .environment
            .iter()
            .filter(|e| e.name == "MINIO_SERVER_URL")
        {
            let Some(url) = e.value.as_deref() else {
                continue;
            };
            let host = url
                .trim()
                .trim_start_matches("https://")
                .trim_start_matches("http://")
                .split(['/', ':'])
                .next()
                .unwrap_or("");
            let read_only = d.sites.iter().any(|(_, site)| {
                site.domains.iter().any(|dm| dm.eq_ignore_ascii_case(host))
                    && site.passes_read_methods_only()
            });
            if read_only {
                out.push(d.diag_at(
                    Severity::Error,
                    CODE_SERVER_URL_READ_ONLY,
                    &e.at,
                    format!("`MINIO_SERVER_URL` of `{}` is `{url}`, a site that passes read methods only: the console signs in through it with a POST, so it can never log in", svc.name),
                    "leave `MINIO_SERVER_URL` unset behind a proxy (MinIO's maintainers advise it: minio/object-browser#2166), or point it at a site that passes the S3 API's write methods".into(),
                ));
            }
        }
    }
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
                out.push(d.finding(site_rules::duplicate_domain(dm, other), file, Some(at), ""))
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
                    let finding = site_rules::shared_access_log(
                        f,
                        other.domains.first().map(String::as_str),
                        upstream,
                    );
                    out.push(d.finding(finding, file, Some(site.at), ""))
                }
                None => logs.push((f, k)),
            }
        }
        if log.roll_keep.as_deref() == Some("0") {
            let finding = site_rules::roll_keep_zero(log.file.as_deref().unwrap_or("?"));
            out.push(d.finding(finding, file, Some(site.at), ""));
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
            let finding = site_rules::console_without_headers(&svc);
            out.push(d.finding(finding, file, Some(site.at), ""));
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
            out.push(d.finding(site_rules::cors_origin(origin), file, Some(site.at), ""));
        }
    }
    if let Some(methods) = header("Access-Control-Allow-Methods") {
        let read_only = site.passes_read_methods_only();
        if let Some(w) = methods
            .split(',')
            .map(str::trim)
            .find(|m| !m.is_empty() && !site_rules::is_read_method(m))
            .filter(|_| read_only)
        {
            out.push(d.finding(site_rules::cors_write_method(w), file, Some(site.at), ""));
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
                let bucket = target.split('/').nth(1).unwrap_or(target.as_str());
                let finding = crate::rules::storage::whole_bucket_public(bucket);
                out.push(d.finding(finding, sc.file, loc, &pointer));
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
            if let Some((_, finding)) = site_rules::s3_write_methods(&service, refs.as_deref()) {
                out.push(d.finding(finding, *file, Some(site.at), ""));
            }
            if !anonymous {
                let finding = site_rules::public_site_private_bucket(&service, &bucket);
                out.push(d.finding(finding, *file, Some(site.at), ""));
            }
            break;
        }
    }
}
