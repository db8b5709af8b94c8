//! BI4xx, the proxy and its sites: domains, S3 write methods, site structure, security
//! headers, CORS, anonymous reads.

use super::{Finding, Rule};
use crate::diagnostic::{Code, Severity};

const FAMILY: &str = "sites";

/// BI401: a domain is served by two sites, or listed twice in one.
pub const CODE_DUPLICATE_DOMAIN: Code = Code("BI401");
/// BI402: a site exposes a MinIO S3 API with methods that write.
pub const CODE_S3_WRITE_METHODS: Code = Code("BI402");
/// BI403: a site with no domains, an access log shared by two sites, `roll_keep: 0`, or a `roll_size` over 1 PiB.
pub const CODE_SITE_STRUCTURE: Code = Code("BI403");
/// BI404: a site serves a MinIO console without security headers.
pub const CODE_CONSOLE_WITHOUT_HEADERS: Code = Code("BI404");
/// BI405: CORS that contradicts the site's methods, or an origin that is not `*` or an origin.
pub const CODE_CORS: Code = Code("BI405");
/// BI406: a site serves a bucket's S3 API publicly but nothing in the bucket is anonymously readable.
pub const CODE_PUBLIC_SITE_PRIVATE_BUCKET: Code = Code("BI406");
/// BI407: a site sets one response header twice in `headers` (names are case-insensitive; Caddy keeps the last).
pub const CODE_DUPLICATE_HEADER: Code = Code("BI407");

/// BI414: a `reverse_proxy` with no retry window.
pub const CODE_NO_RETRY_WINDOW: Code = Code("BI414");
/// BI415: `MINIO_SERVER_URL` names a site that passes read methods only.
pub const CODE_SERVER_URL_READ_ONLY: Code = Code("BI415");
/// BI411: `caddy adapt` refuses the Caddyfile.
pub const CODE_CADDY_ADAPT: Code = Code("BI411");
/// BI408: a Caddyfile directive where Caddy does not read it (a subdirective outside its
/// directive's block, an unknown directive, subdirective or global option).
pub const CODE_CADDY_PLACEMENT: Code = Code("BI408");
/// BI409: a Caddyfile directive with a wrong number of arguments, or a block it does not
/// take.
pub const CODE_CADDY_ARGUMENTS: Code = Code("BI409");
/// BI410: a Caddyfile matcher that is not defined, or defined with an unknown matcher type.
pub const CODE_CADDY_MATCHER: Code = Code("BI410");

/// This family's rules, in code order.
pub(super) const RULES: &[Rule] = &[
    Rule::declare(
        CODE_DUPLICATE_DOMAIN,
        "duplicate-domain",
        Severity::Error,
        FAMILY,
        "a domain listed twice, in one site or across sites",
    ),
    Rule::declare(
        CODE_S3_WRITE_METHODS,
        "s3-api-write-methods",
        Severity::Error,
        FAMILY,
        "a site exposes a MinIO S3 API without `methods`, or with methods that write",
    ),
    Rule::declare(
        CODE_SITE_STRUCTURE,
        "site-structure",
        Severity::Error,
        FAMILY,
        "a site with no domains, an access log file shared by two sites, `roll_keep: 0`, or a `roll_size` over 1 PiB (Caddy refuses sizes near 2^64 bytes)",
    ),
    Rule::declare(
        CODE_CONSOLE_WITHOUT_HEADERS,
        "console-without-headers",
        Severity::Warning,
        FAMILY,
        "a site serves a MinIO console without security headers",
    ),
    Rule::declare(
        CODE_CORS,
        "cors-misconfigured",
        Severity::Error,
        FAMILY,
        "CORS methods that write on a read-only site, or a CORS origin that is not `*` or a bare origin",
    ),
    Rule::declare(
        CODE_PUBLIC_SITE_PRIVATE_BUCKET,
        "public-site-private-bucket",
        Severity::Warning,
        FAMILY,
        "a public site serves a MinIO S3 API but no `public_read_prefix` is set: every anonymous URL answers AccessDenied",
    ),
    Rule::declare(
        CODE_DUPLICATE_HEADER,
        "duplicate-header",
        Severity::Error,
        FAMILY,
        "a site's `headers` name one header twice, in any case (HTTP names are case-insensitive: Caddy sends only the last value)",
    ),
    Rule::declare(
        CODE_NO_RETRY_WINDOW,
        "reverse-proxy-without-retry-window",
        Severity::Warning,
        FAMILY,
        "a `reverse_proxy` without `lb_try_duration`: while its upstream is recreated every request gets 502 at once",
    ),
    Rule::declare(
        CODE_CADDY_ADAPT,
        "caddy-adapt-refuses",
        Severity::Error,
        FAMILY,
        "`caddy adapt` (the `caddy` on PATH) refuses the Caddyfile, at the line it names",
    ),
    Rule::declare(
        CODE_CADDY_PLACEMENT,
        "caddy-directive-out-of-place",
        Severity::Error,
        FAMILY,
        "a Caddyfile directive where Caddy does not read it: a subdirective outside its directive's block (`lb_try_duration` at site level), an unknown directive, subdirective or global option",
    ),
    Rule::declare(
        CODE_CADDY_ARGUMENTS,
        "caddy-argument-count",
        Severity::Error,
        FAMILY,
        "a Caddyfile directive with a wrong number of arguments, or a block it does not take",
    ),
    Rule::declare(
        CODE_CADDY_MATCHER,
        "caddy-matcher",
        Severity::Error,
        FAMILY,
        "a Caddyfile matcher that is not defined in its site, of an unknown type, or not a path where `handle_path` needs one",
    ),
    Rule::declare(
        CODE_SERVER_URL_READ_ONLY,
        "minio-server-url-read-only",
        Severity::Error,
        FAMILY,
        "MinIO's `MINIO_SERVER_URL` names a site that passes read methods only: the console signs in through it with a POST and can never log in",
    ),
];

/// How a finding names another site: by its first domain (`None` when it has none, then by
/// the service it routes to).
fn site_name(first_domain: Option<&str>, service: &str) -> String {
    match first_domain {
        Some(d) => format!("the site for `{d}`"),
        None => format!("the site routing to `{service}`"),
    }
}

/// BI401: `domain` is listed again; `other` is the first domain of the site that lists it
/// first, `None` when that is this very site.
pub(crate) fn duplicate_domain(domain: &str, other: Option<&str>) -> Finding {
    let where_ = match other {
        None => "earlier in this site".to_owned(),
        Some(o) => format!("by the site for `{o}`"),
    };
    Finding::new(
        CODE_DUPLICATE_DOMAIN,
        format!("domain `{domain}` is already served {where_}"),
        "list each domain once: Caddy refuses a domain in two site blocks",
    )
}

/// BI403: the site routing to `service` has no domain.
pub(crate) fn no_domains(service: &str) -> Finding {
    Finding::new(
        CODE_SITE_STRUCTURE,
        format!("the site for `{service}` has no domains"),
        "list at least one domain",
    )
}

/// BI403: access log `file` is already written by another site (named by its first domain,
/// or by `other_service` when it has none).
pub(crate) fn shared_access_log(
    file: &str,
    other_domain: Option<&str>,
    other_service: &str,
) -> Finding {
    Finding::new(
        CODE_SITE_STRUCTURE,
        format!(
            "access log `{file}` is already written by {}",
            site_name(other_domain, other_service)
        ),
        "give each site its own log file: two writers roll the same file",
    )
}

/// BI403: access log `file` keeps no rolled files (`roll_keep` 0).
pub(crate) fn roll_keep_zero(file: &str) -> Finding {
    Finding::new(
        CODE_SITE_STRUCTURE,
        format!("access log `{file}` keeps no rolled files (roll_keep is 0)"),
        "keep at least 1 rolled file",
    )
}

/// BI403: access log `file` rolls at `size`, more than Caddy reads.
pub(crate) fn roll_size_too_large(file: &str, size: &dyn std::fmt::Display) -> Finding {
    Finding::new(
        CODE_SITE_STRUCTURE,
        format!("access log `{file}` rolls at `{size}`, beyond what Caddy reads"),
        "roll at most at 1048576GiB (1 PiB): Caddy's `roll_size` refuses sizes near 2^64 bytes (`too large`), and no log grows that big",
    )
}

/// Whether an HTTP method cannot change state (`GET`, `HEAD`, `OPTIONS`, any case).
pub fn is_read_method(method: &str) -> bool {
    ["GET", "HEAD", "OPTIONS"]
        .iter()
        .any(|m| m.eq_ignore_ascii_case(method))
}

/// BI402: a site in front of the S3 API of MinIO `service` passes `methods` (`None`: every
/// method). Returns the index of the first write method (`None` when every method passes)
/// and the finding; `None` when only read methods pass.
pub(crate) fn s3_write_methods(
    service: &str,
    methods: Option<&[&str]>,
) -> Option<(Option<usize>, Finding)> {
    const HELP: &str = "pass read methods only: `methods: [GET, HEAD, OPTIONS]` in a spec; in a Caddyfile, `@not_read not method GET HEAD OPTIONS` and `respond @not_read 405` before `reverse_proxy`";
    let (at, message) = match methods {
        None => (
            None,
            format!("the site exposes the S3 API of `{service}` with every method: anyone can try writes"),
        ),
        Some(methods) => {
            let j = methods.iter().position(|m| !is_read_method(m))?;
            let writes: Vec<&str> = methods
                .iter()
                .copied()
                .filter(|m| !is_read_method(m))
                .collect();
            (
                Some(j),
                format!("S3 API of `{service}` exposed with write methods: {}", writes.join(", ")),
            )
        }
    };
    Some((at, Finding::new(CODE_S3_WRITE_METHODS, message, HELP)))
}

/// BI406: a public site serves the S3 API of MinIO `service`, whose bucket `bucket` grants
/// no anonymous read. A warning: the site may serve presigned URLs only.
pub(crate) fn public_site_private_bucket(service: &str, bucket: &str) -> Finding {
    Finding::new(
        CODE_PUBLIC_SITE_PRIVATE_BUCKET,
        format!(
            "the site serves the S3 API of `{service}`, but bucket `{bucket}` has no anonymous read: public URLs answer AccessDenied"
        ),
        format!("make a prefix of `{bucket}` anonymously readable (`public_read_prefix: public/` in a spec; `mc anonymous set download ALIAS/{bucket}/public/` in the init job), or serve presigned URLs only"),
    )
}

/// BI404: a site serves the admin console of MinIO `service` without security headers.
pub(crate) fn console_without_headers(service: &str) -> Finding {
    Finding::new(
        CODE_CONSOLE_WITHOUT_HEADERS,
        format!("the site serves the admin console of `{service}` without security headers"),
        "serve it with security headers: `security_headers: console` in a spec; in a Caddyfile, a `header` block with `Strict-Transport-Security`, `X-Content-Type-Options nosniff` and `X-Frame-Options SAMEORIGIN`",
    )
}

/// BI405: CORS allows `method`, which writes, on a site that passes read methods only.
pub(crate) fn cors_write_method(method: &str) -> Finding {
    Finding::new(
        CODE_CORS,
        format!("CORS allows `{method}`, but the site passes read methods only"),
        "allow only the site's methods in CORS: `GET, HEAD, OPTIONS`",
    )
}

/// BI405: CORS origin `origin` is neither `*` nor one origin.
pub(crate) fn cors_origin(origin: &str) -> Finding {
    Finding::new(
        CODE_CORS,
        format!("CORS origin `{origin}` is neither `*` nor an origin"),
        "write `*` or one origin: scheme and host, with an optional port and no path or trailing `/`, like `https://banatie.app`",
    )
}
