//! The sites family (BI401-BI406; the registry's `rules/sites.rs`): each domain served
//! once, S3 APIs behind read-only sites with a readable bucket, sites with domains and
//! their own rolling access logs, consoles behind security headers, CORS that agrees with
//! the site. BI407 (duplicate headers) is `crate::header`'s. Also `is_cors_origin`, which
//! the audit shares.

use std::collections::hash_map::Entry;
use std::collections::HashMap;

use super::normalized;
use crate::diagnostic::Diagnostic;
use crate::rules::sites as site_rules;
use crate::spec::{HeaderPreset, Service, Spec};

/// Whether `s` is a CORS origin: `*`, or `http://` / `https://` and a host (a DNS name,
/// an IPv4 address or a bracketed IPv6 address) with an optional port, and no path,
/// query, fragment or user info.
pub(crate) fn is_cors_origin(s: &str) -> bool {
    if s == "*" {
        return true;
    }
    let Some(rest) = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"))
    else {
        return false;
    };
    let (host_ok, port) = if let Some(v6) = rest.strip_prefix('[') {
        match v6.split_once(']') {
            Some((h, after)) => (
                !h.is_empty() && h.bytes().all(|b| b.is_ascii_hexdigit() || b == b':'),
                match after {
                    "" => None,
                    p => match p.strip_prefix(':') {
                        Some(p) => Some(p),
                        None => return false,
                    },
                },
            ),
            None => return false,
        }
    } else {
        let (h, port) = match rest.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (rest, None),
        };
        (
            !h.is_empty()
                && !h.starts_with(['.', '-'])
                && !h.ends_with(['.', '-'])
                && h.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-'),
            port,
        )
    };
    let port_ok = port.is_none_or(|p| {
        !p.is_empty()
            && p.bytes().all(|b| b.is_ascii_digit())
            && p.parse::<u16>().is_ok_and(|n| n > 0)
    });
    host_ok && port_ok
}

/// BI401: every domain is served once.
pub(super) fn duplicate_domains(spec: &Spec, out: &mut Vec<Diagnostic>) {
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (i, site) in spec.sites.iter().enumerate() {
        for (j, d) in site.domains.iter().enumerate() {
            match seen.entry(d.as_str()) {
                Entry::Vacant(e) => {
                    e.insert(i);
                }
                Entry::Occupied(e) => {
                    let other = (*e.get() != i)
                        .then(|| spec.sites[*e.get()].domains.first().map(|x| x.as_str()))
                        .flatten();
                    out.push(
                        site_rules::duplicate_domain(d.as_str(), other)
                            .at(ptr!("sites", i, "domains", j)),
                    );
                }
            }
        }
    }
}

/// BI402: a site in front of a MinIO S3 API passes read methods only.
pub(super) fn s3_write_methods(spec: &Spec, out: &mut Vec<Diagnostic>) {
    for (i, site) in spec.sites.iter().enumerate() {
        let Some(Service::Minio(m)) = spec.services.get(&site.service) else {
            continue;
        };
        if site.port.unwrap_or(m.api_port) != m.api_port {
            continue;
        }
        let methods: Option<Vec<&str>> = site
            .methods
            .as_ref()
            .map(|ms| ms.iter().map(|m| m.as_str()).collect());
        if let Some((j, finding)) =
            site_rules::s3_write_methods(site.service.as_str(), methods.as_deref())
        {
            let at = match j {
                None => ptr!("sites", i, "methods"),
                Some(j) => ptr!("sites", i, "methods", j),
            };
            out.push(finding.at(at));
        }
    }
}

/// BI406: a public site in front of a MinIO S3 API whose bucket grants no anonymous read
/// (the seed's CDN: its image URLs answer AccessDenied). A warning: the site may serve
/// presigned URLs only.
pub(super) fn public_site_private_bucket(spec: &Spec, out: &mut Vec<Diagnostic>) {
    for (i, site) in spec.sites.iter().enumerate() {
        let Some(Service::Minio(m)) = spec.services.get(&site.service) else {
            continue;
        };
        if site.port.unwrap_or(m.api_port) == m.api_port && m.public_read_prefix.is_none() {
            out.push(
                site_rules::public_site_private_bucket(site.service.as_str(), m.bucket.as_str())
                    .at(ptr!("sites", i, "service")),
            );
        }
    }
}

/// The largest access log `roll_size` accepted: 1 PiB. Caddy reads `roll_size` with
/// `humanize.ParseBytes` (modules/logging/filewriter.go), which refuses a size whose
/// float64 reaches 2^64 bytes.
const MAX_ROLL_SIZE: u64 = 1 << 50;

/// BI403: sites have domains, their own access log files, keep rolled logs and roll at a
/// size Caddy reads.
pub(super) fn site_structure(spec: &Spec, out: &mut Vec<Diagnostic>) {
    let mut logs: HashMap<String, usize> = HashMap::new();
    for (i, site) in spec.sites.iter().enumerate() {
        if site.domains.is_empty() {
            out.push(site_rules::no_domains(site.service.as_str()).at(ptr!("sites", i, "domains")));
        }
        let Some(log) = &site.access_log else {
            continue;
        };
        match logs.entry(normalized(&log.file)) {
            Entry::Vacant(e) => {
                e.insert(i);
            }
            Entry::Occupied(e) => {
                let other = &spec.sites[*e.get()];
                let finding = site_rules::shared_access_log(
                    log.file.as_ref(),
                    other.domains.first().map(|x| x.as_str()),
                    other.service.as_str(),
                );
                out.push(finding.at(ptr!("sites", i, "access_log", "file")));
            }
        }
        if log.roll_size.bytes() > MAX_ROLL_SIZE {
            out.push(
                site_rules::roll_size_too_large(log.file.as_ref(), &log.roll_size).at(ptr!(
                    "sites",
                    i,
                    "access_log",
                    "roll_size"
                )),
            );
        }
        if log.roll_keep == 0 {
            out.push(site_rules::roll_keep_zero(log.file.as_ref()).at(ptr!(
                "sites",
                i,
                "access_log",
                "roll_keep"
            )));
        }
    }
}

/// BI404: a MinIO console is served with security headers.
pub(super) fn console_without_headers(spec: &Spec, out: &mut Vec<Diagnostic>) {
    for (i, site) in spec.sites.iter().enumerate() {
        let Some(Service::Minio(m)) = spec.services.get(&site.service) else {
            continue;
        };
        if site.port == Some(m.console_port) && site.security_headers == HeaderPreset::None {
            out.push(
                site_rules::console_without_headers(site.service.as_str()).at(ptr!(
                    "sites",
                    i,
                    "security_headers"
                )),
            );
        }
    }
}

/// BI405: CORS agrees with the site's methods, and its origin is `*` or one origin.
pub(super) fn cors(spec: &Spec, out: &mut Vec<Diagnostic>) {
    for (i, site) in spec.sites.iter().enumerate() {
        let Some(c) = &site.cors else { continue };
        let read_only_site = site
            .methods
            .as_ref()
            .is_some_and(|ms| ms.iter().all(|m| m.is_read_only()));
        if read_only_site {
            if let Some(j) = c.methods.iter().position(|m| !m.is_read_only()) {
                out.push(
                    site_rules::cors_write_method(c.methods[j].as_str())
                        .at(ptr!("sites", i, "cors", "methods", j)),
                );
            }
        }
        if !is_cors_origin(&c.origin) {
            out.push(site_rules::cors_origin(&c.origin).at(ptr!("sites", i, "cors", "origin")));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::diagnostic::Severity;
    #[allow(unused_imports)]
    use crate::rules::{health::*, secrets::*, sites::*, spec::*, storage::*};
    use crate::validate::tests::{clean, expect, spec, S3, S3_SECRETS, S3_SITE};

    #[test]
    fn bi401_duplicate_domains() {
        let same_site = spec("", "", "").replace(
            "[t.example.com]",
            "[t.example.com, www.example.com, t.example.com]",
        );
        expect(&same_site, CODE_DUPLICATE_DOMAIN, "/sites/0/domains/2");
        let across = spec(
            "",
            "  - { domains: [w.example.com, t.example.com], service: web }\n",
            "",
        );
        let d = expect(&across, CODE_DUPLICATE_DOMAIN, "/sites/1/domains/1");
        assert_eq!(d.len(), 1);
        clean(&spec(
            "",
            "  - { domains: [w.example.com], service: web }\n",
            "",
        ));
    }

    #[test]
    fn bi402_s3_api_with_write_methods() {
        let all = "  - { domains: [cdn.example.com], service: s3 }\n";
        let d = expect(
            &spec(S3, all, S3_SECRETS),
            CODE_S3_WRITE_METHODS,
            "/sites/1/methods",
        );
        assert_eq!(
            d[0].help.as_deref(),
            Some("pass read methods only: `methods: [GET, HEAD, OPTIONS]` in a spec; in a Caddyfile, `@not_read not method GET HEAD OPTIONS` and `respond @not_read 405` before `reverse_proxy`")
        );
        let put = "  - { domains: [cdn.example.com], service: s3, port: 9000, methods: [GET, PUT, DELETE] }\n";
        let d = expect(
            &spec(S3, put, S3_SECRETS),
            CODE_S3_WRITE_METHODS,
            "/sites/1/methods/1",
        );
        assert!(d[0]
            .message
            .contains("S3 API of `s3` exposed with write methods: PUT, DELETE"));
        clean(&spec(S3, S3_SITE, S3_SECRETS));
    }

    #[test]
    fn bi403_site_structure() {
        let empty = spec("", "  - { domains: [], service: web }\n", "");
        expect(&empty, CODE_SITE_STRUCTURE, "/sites/1/domains");
        let shared = spec("", "", "").replace(
            "service: web }",
            "service: web, access_log: { file: a.log } }",
        )
            + "  - { domains: [w.example.com], service: web, access_log: { file: ./a.log } }\n";
        expect(&shared, CODE_SITE_STRUCTURE, "/sites/1/access_log/file");
        let keep0 = spec("", "", "").replace(
            "service: web }",
            "service: web, access_log: { file: a.log, roll_keep: 0 } }",
        );
        expect(&keep0, CODE_SITE_STRUCTURE, "/sites/0/access_log/roll_keep");
        let good = spec("", "", "").replace(
            "service: web }",
            "service: web, access_log: { file: a.log, roll_keep: 1 } }",
        )
            + "  - { domains: [w.example.com], service: web, access_log: { file: b.log } }\n";
        clean(&good);
    }

    #[test]
    fn bi404_console_without_security_headers() {
        let console = "  - { domains: [console.example.com], service: s3, port: 9001 }\n";
        let d = expect(
            &spec(S3, &format!("{S3_SITE}{console}"), S3_SECRETS),
            CODE_CONSOLE_WITHOUT_HEADERS,
            "/sites/2/security_headers",
        );
        assert_eq!(d[0].severity, Severity::Warning);
        let console = "  - { domains: [console.example.com], service: s3, port: 9001, security_headers: console }\n";
        clean(&spec(S3, &format!("{S3_SITE}{console}"), S3_SECRETS));
    }

    #[test]
    fn bi405_cors() {
        let site = |cors: &str| {
            format!("  - {{ domains: [cdn.example.com], service: s3, methods: [GET, HEAD, OPTIONS], cors: {{ {cors} }} }}\n")
        };
        expect(
            &spec(S3, &site("methods: [GET, POST]"), S3_SECRETS),
            CODE_CORS,
            "/sites/1/cors/methods/1",
        );
        for origin in [
            "\"https://banatie.app/\"",
            "\"banatie.app\"",
            "\"https://a.app,https://b.app\"",
            "\"https://a.app:0\"",
        ] {
            expect(
                &spec(S3, &site(&format!("origin: {origin}")), S3_SECRETS),
                CODE_CORS,
                "/sites/1/cors/origin",
            );
        }
        for origin in [
            "\"*\"",
            "\"https://banatie.app\"",
            "\"http://localhost:3000\"",
            "\"https://[::1]:8443\"",
        ] {
            clean(&spec(
                S3,
                &site(&format!("origin: {origin}, methods: [GET, HEAD]")),
                S3_SECRETS,
            ));
        }
        // Write methods in CORS are fine where the site passes every method.
        clean(&spec("", "", "").replace(
            "service: web }",
            "service: web, cors: { methods: [GET, POST] } }",
        ));
    }

    #[test]
    fn bi406_public_s3_site_without_anonymous_read() {
        let private = S3.replace("public_read_prefix: public/, ", "");
        let d = expect(
            &spec(
                &private,
                S3_SITE,
                "secrets: { MINIO_ROOT_PASSWORD: {}, MINIO_SECRET_KEY: {} }\n",
            ),
            CODE_PUBLIC_SITE_PRIVATE_BUCKET,
            "/sites/1/service",
        );
        assert_eq!(d[0].severity, Severity::Warning);
    }
}
