//! The sites of the Caddyfile: domains -> service:port, security headers -> the closest
//! preset (the rest kept as headers), CORS, cache rules, allowed methods, the access log.

use indexmap::IndexMap;

use super::{facts, holds_secret, name_of, Ctx, NoteKind};
use crate::header::{HeaderName, HeaderValue};
use crate::spec::{AccessLog, CacheRule, Cors, HeaderPreset, Method, Service, Site};
use crate::types::{AbsPath, Name, Port};

/// The sites, and the proxy's log directory when the access logs are written elsewhere
/// than `ROOT/logs`.
pub(super) fn read(
    d: &facts::Deployment,
    project: &facts::Project,
    services: &IndexMap<Name, Service>,
    root: Option<&AbsPath>,
    c: &mut Ctx,
) -> (Vec<Site>, Option<AbsPath>) {
    let log_dir = root.map(|r| format!("{r}/logs"));
    let mut proxy_log_dir: Option<AbsPath> = None;
    let mut sites = Vec::new();
    for (_, site) in &d.sites {
        if let Some(s) = one(
            site,
            project,
            services,
            log_dir.as_deref(),
            &mut proxy_log_dir,
            c,
        ) {
            sites.push(s);
        }
    }
    (sites, proxy_log_dir)
}

/// One site block; `None` when it proxies to nothing the Compose file has.
fn one(
    site: &facts::CaddySite,
    project: &facts::Project,
    services: &IndexMap<Name, Service>,
    log_dir: Option<&str>,
    proxy_log_dir: &mut Option<AbsPath>,
    c: &mut Ctx,
) -> Option<Site> {
    let at = format!("Caddyfile site {}", site.domains.join(", "));
    let Some(proxy) = site.proxies.first() else {
        c.note(NoteKind::NotMapped, at, "no `reverse_proxy`");
        return None;
    };
    if site.proxies.len() > 1 {
        c.note(
            NoteKind::NotMapped,
            &at,
            "only the first `reverse_proxy` is kept",
        );
    }
    let (host, port) = proxy.upstreams.first().and_then(|u| u.rsplit_once(':'))?;
    let Some(svc) = project.service(host).and_then(|s| name_of(&s.name)) else {
        c.note(
            NoteKind::NotMapped,
            at,
            format!("`{host}` is not a service of the Compose file"),
        );
        return None;
    };
    let domains: Vec<_> = site
        .domains
        .iter()
        .filter_map(|dm| dm.parse().ok())
        .collect();
    let port: Option<Port> = port.parse().ok().and_then(|p| Port::new(p).ok());
    let spec_svc = services.get(&svc);
    let is_minio = matches!(spec_svc, Some(Service::Minio(_)));
    let s3 = match spec_svc {
        Some(Service::Minio(m)) => port == Some(m.api_port),
        _ => false,
    };
    let (cors, cache, plain) = header_lines(site, &at, c);
    let (preset, extra) = closest_preset(&plain);
    if preset != HeaderPreset::None {
        let missing: Vec<String> = preset_headers(preset)
            .into_iter()
            .filter(|(k, v)| !plain.iter().any(|(a, b)| a == k && b == v))
            .map(|(k, _)| k)
            .collect();
        if !missing.is_empty() {
            c.note(
                NoteKind::Changed,
                &at,
                format!(
                    "security headers: the closest preset also sets {}",
                    missing.join(", ")
                ),
            );
        }
    }
    let mut headers: IndexMap<HeaderName, HeaderValue> = IndexMap::new();
    for (k, v) in extra {
        match (k.parse::<HeaderName>(), v.parse::<HeaderValue>()) {
            (Ok(k), Ok(v)) => {
                headers.insert(k, v);
            }
            (Err(e), _) | (_, Err(e)) => c.note(
                NoteKind::NotMapped,
                &at,
                format!("header `{}`: {}", k.escape_debug(), e.reason),
            ),
        }
    }
    let methods = match proxy.methods.as_list() {
        Some(list) => Some(
            list.iter()
                .filter_map(|m| parse_method(m))
                .collect::<Vec<_>>(),
        ),
        None if s3 => {
            c.note(
                NoteKind::Changed,
                &at,
                "the site exposes the S3 API: it passes GET, HEAD and OPTIONS only (BI402)",
            );
            Some(crate::spec::read_methods())
        }
        None => None,
    };
    let access_log = access_log(site, log_dir, proxy_log_dir, &at, c);
    for (other, _) in &site.other {
        if other != "header" && other != "log" && other != "import" {
            c.note(NoteKind::NotMapped, &at, format!("directive `{other}`"));
        }
    }
    let (lb_try_duration, lb_try_interval) = lb_try(proxy, &at, c);
    Some(Site {
        lb_try_duration,
        lb_try_interval,
        domains,
        service: svc,
        port: if is_minio { port } else { None },
        security_headers: preset,
        headers,
        cors,
        cache,
        methods,
        access_log,
        health_path: None,
    })
}

/// The proxy's retry window: as written (a Caddy duration), or the spec's `10s` and
/// `250ms` with a note when the file has none (Caddy's default of 0 answers 502 while an
/// upstream restarts, BI414).
fn lb_try(
    proxy: &facts::CaddyProxy,
    at: &str,
    c: &mut Ctx,
) -> (crate::types::Duration, crate::types::Duration) {
    let read = |v: &Option<String>, default: &str| -> crate::types::Duration {
        v.as_deref()
            .and_then(|t| t.parse().ok())
            .unwrap_or_else(|| default.parse().expect("valid"))
    };
    if proxy
        .lb_try
        .0
        .as_deref()
        .is_none_or(|d| d.parse::<crate::types::Duration>().is_err())
    {
        c.note(
            NoteKind::Changed,
            at,
            "`reverse_proxy` without `lb_try_duration`: the spec retries for 10s while the upstream restarts (BI414)",
        );
    }
    (read(&proxy.lb_try.0, "10s"), read(&proxy.lb_try.1, "250ms"))
}

/// The site's `header` lines: CORS, cache rules by path, and the plain headers (a header
/// holding a secret is noted, never kept).
fn header_lines(
    site: &facts::CaddySite,
    at: &str,
    c: &mut Ctx,
) -> (Option<Cors>, Vec<CacheRule>, Vec<(String, String)>) {
    let mut cors: Option<Cors> = None;
    let mut cache = Vec::new();
    let mut plain: Vec<(String, String)> = Vec::new();
    for (path, k, v) in &site.headers {
        if let Some(p) = path {
            match (k.as_str(), p.parse(), v.parse::<HeaderValue>()) {
                ("Cache-Control", Ok(path), Ok(cache_control)) => cache.push(CacheRule {
                    path,
                    cache_control,
                }),
                (_, _, Err(e)) => c.note(
                    NoteKind::NotMapped,
                    at,
                    format!(
                        "header `{}` on `{}`: {}",
                        k.escape_debug(),
                        p.escape_debug(),
                        e.reason
                    ),
                ),
                _ => c.note(NoteKind::NotMapped, at, format!("header `{k}` on `{p}`")),
            }
            continue;
        }
        let lower = k.to_ascii_lowercase();
        if lower.starts_with("access-control-") {
            let cr = cors.get_or_insert_with(|| Cors {
                origin: "*".into(),
                methods: crate::spec::read_methods(),
                allow_headers: vec![],
                expose_headers: vec![],
            });
            let list = || {
                v.split(',')
                    .map(|x| x.trim().to_owned())
                    .filter(|x| !x.is_empty())
                    .collect::<Vec<_>>()
            };
            // Header names for the spec; what is not one is reported, not kept.
            let names = |c: &mut Ctx| {
                list()
                    .iter()
                    .filter_map(|x| match x.parse::<HeaderName>() {
                        Ok(n) => Some(n),
                        Err(e) => {
                            c.note(
                                NoteKind::NotMapped,
                                at,
                                format!("header `{}`: {}", k.escape_debug(), e.reason),
                            );
                            None
                        }
                    })
                    .collect::<Vec<_>>()
            };
            match lower.as_str() {
                "access-control-allow-origin" => cr.origin = v.clone(),
                "access-control-allow-methods" => {
                    cr.methods = list().iter().filter_map(|m| parse_method(m)).collect()
                }
                "access-control-allow-headers" => cr.allow_headers = names(c),
                "access-control-expose-headers" => cr.expose_headers = names(c),
                _ => c.note(NoteKind::NotMapped, at, format!("header `{k}`")),
            }
            continue;
        }
        if crate::validate::looks_secret(k) || holds_secret(&format!("{k}: {v}")) {
            c.note(NoteKind::NotMapped, at, format!("header `{k}` holds a secret: a spec is public, set it by hand in the Caddyfile"));
            continue;
        }
        plain.push((k.clone(), v.clone()));
    }
    (cors, cache, plain)
}

fn parse_method(m: &str) -> Option<Method> {
    serde_json::from_value(serde_json::Value::String(m.trim().to_ascii_uppercase())).ok()
}

/// The headers of a security-header preset, as the renderer writes them: a one-site spec
/// is rendered and its Caddyfile read back, so the table exists once, in the renderer.
fn preset_headers(p: HeaderPreset) -> Vec<(String, String)> {
    let preset = serde_json::to_value(p).ok();
    let preset = preset.as_ref().and_then(|v| v.as_str()).unwrap_or("none");
    let text = format!(
        "stack: {{ name: p }}\nnetworks: {{ proxy-network: {{ external: true }} }}\nservices:\n  web: {{ kind: app, image: \"example/web:1\", networks: [proxy-network] }}\nsites:\n  - {{ domains: [p.example.org], service: web, security_headers: {preset} }}\n"
    );
    let Ok(loaded) = crate::load::load_str(&text, crate::load::Format::Yaml, "<preset>") else {
        return vec![];
    };
    let Ok(bundle) = crate::render::render_unchecked(&loaded.spec) else {
        return vec![];
    };
    let caddy = bundle.text(crate::render::CADDYFILE).unwrap_or("");
    let Ok(blocks) = facts::parse_caddyfile(caddy) else {
        return vec![];
    };
    facts::caddy_sites(&blocks)
        .into_iter()
        .flat_map(|s| s.headers)
        .filter(|(path, _, _)| path.is_none())
        .map(|(_, k, v)| (k, v))
        .collect()
}

/// The preset whose headers the site's headers match best (exact name and value), and
/// the site's headers that the preset does not set.
fn closest_preset(headers: &[(String, String)]) -> (HeaderPreset, Vec<(String, String)>) {
    let mut best = (HeaderPreset::None, 0usize, usize::MAX);
    for p in [HeaderPreset::Web, HeaderPreset::Api, HeaderPreset::Console] {
        let set = preset_headers(p);
        let hits = set
            .iter()
            .filter(|(k, v)| headers.iter().any(|(a, b)| a == k && b == v))
            .count();
        let misses = set.len() - hits;
        if hits > best.1 || (hits == best.1 && hits > 0 && misses < best.2) {
            best = (p, hits, misses);
        }
    }
    let set = preset_headers(best.0);
    let extra = headers
        .iter()
        .filter(|(k, v)| !set.iter().any(|(a, b)| a == k && b == v))
        .cloned()
        .collect();
    (best.0, extra)
}

/// The site's access log: its file under the proxy's log directory (a directory other
/// than `ROOT/logs` is kept in `proxy_log_dir`), its rolling.
fn access_log(
    site: &facts::CaddySite,
    log_dir: Option<&str>,
    proxy_log_dir: &mut Option<AbsPath>,
    at: &str,
    c: &mut Ctx,
) -> Option<AccessLog> {
    site.log.as_ref().and_then(|l| {
        let file = l.file.as_deref()?;
        let (dir, name) = file.rsplit_once('/')?;
        if log_dir != Some(dir) {
            *proxy_log_dir = dir.parse().ok();
        }
        if l.format.as_deref().is_some_and(|f| f != "json") {
            c.note(NoteKind::Changed, at, "access logs are written as JSON");
        }
        Some(AccessLog {
            file: name.parse().ok()?,
            roll_size: l
                .roll_size
                .as_deref()
                .and_then(|r| r.parse().ok())
                .unwrap_or_else(|| "10MiB".parse().expect("valid")),
            roll_keep: l
                .roll_keep
                .as_deref()
                .and_then(|r| r.parse().ok())
                .unwrap_or(5),
        })
    })
}
