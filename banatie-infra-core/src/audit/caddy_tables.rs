//! The tables of [`super::caddy_grammar`]: Caddy v2's site directives, subdirectives,
//! global options and matcher types with their argument counts (see that module for the
//! sources in Caddy's code).

/// What a directive's block holds.
#[derive(Clone, Copy)]
pub(crate) enum Body {
    /// No block.
    No,
    /// A block Caddy reads by a module's own rules this reader does not mirror.
    Any,
    /// Site directives (a route: `handle`, `route`, `handle_path`, `handle_errors`).
    Routes,
    /// These subdirectives.
    Subs(&'static [Sub]),
    /// Matcher lines (`@name { ... }`, `not { ... }`).
    Matchers,
}

/// A directive or subdirective: name, whether a matcher may come first, the arguments
/// after the matcher (least, most), and its block.
#[derive(Clone, Copy)]
pub(crate) struct Sub {
    pub(crate) name: &'static str,
    pub(crate) matcher: bool,
    pub(crate) min: usize,
    pub(crate) max: usize,
    pub(crate) body: Body,
}

pub(crate) const MANY: usize = usize::MAX;

pub(crate) const fn s(name: &'static str, min: usize, max: usize, body: Body) -> Sub {
    Sub {
        name,
        matcher: false,
        min,
        max,
        body,
    }
}

pub(crate) const fn m(name: &'static str, min: usize, max: usize, body: Body) -> Sub {
    Sub {
        name,
        matcher: true,
        min,
        max,
        body,
    }
}

use Body::{Any, Matchers, No, Routes, Subs};

/// `reverse_proxy`'s subdirectives (reverseproxy/caddyfile.go, Caddy 2.8).
pub(crate) const PROXY: &[Sub] = &[
    s("to", 1, MANY, No),
    s("lb_policy", 1, MANY, Any),
    s("lb_retries", 1, 1, No),
    s("lb_try_duration", 1, 1, No),
    s("lb_try_interval", 1, 1, No),
    s("lb_retry_match", 0, MANY, Matchers),
    s("health_uri", 1, 1, No),
    s("health_path", 1, 1, No),
    s("health_upstream", 1, 1, No),
    s("health_port", 1, 1, No),
    s("health_headers", 0, 0, Any),
    s("health_method", 1, 1, No),
    s("health_request_body", 1, 1, No),
    s("health_interval", 1, 1, No),
    s("health_passes", 1, 1, No),
    s("health_fails", 1, 1, No),
    s("health_timeout", 1, 1, No),
    s("health_status", 1, 1, No),
    s("health_body", 1, 1, No),
    s("health_follow_redirects", 0, 0, No),
    s("max_fails", 1, 1, No),
    s("fail_duration", 1, 1, No),
    s("unhealthy_request_count", 1, 1, No),
    s("unhealthy_status", 1, MANY, No),
    s("unhealthy_latency", 1, 1, No),
    s("flush_interval", 1, 1, No),
    s("request_buffers", 1, 1, No),
    s("response_buffers", 1, 1, No),
    s("buffer_requests", 0, 0, No),
    s("buffer_responses", 0, 0, No),
    s("max_buffer_size", 1, 1, No),
    s("stream_timeout", 1, 1, No),
    s("stream_close_delay", 1, 1, No),
    s("stream_buffer_size", 1, 1, No),
    s("trusted_proxies", 1, MANY, No),
    s("header_up", 1, 3, No),
    s("header_down", 1, 3, No),
    s("method", 1, 1, No),
    s("rewrite", 1, 1, No),
    s("transport", 1, 1, Any),
    s("dynamic", 1, MANY, Any),
    s("verbose_logs", 0, 0, No),
    m("handle_response", 0, 0, Routes),
    m("replace_status", 1, 1, No),
];

/// `php_fastcgi`'s own subdirectives; the proxy's are accepted too.
pub(crate) const FASTCGI: &[Sub] = &[
    s("root", 1, 1, No),
    s("split", 1, MANY, No),
    s("env", 1, 2, No),
    s("index", 1, 1, No),
    s("try_files", 1, MANY, No),
    s("resolve_root_symlink", 0, 0, No),
    s("dial_timeout", 1, 1, No),
    s("read_timeout", 1, 1, No),
    s("write_timeout", 1, 1, No),
    s("capture_stderr", 0, 0, No),
];

/// `header`'s block (headers/caddyfile.go): `field [value [replacement]]`, `defer`.
pub(crate) const HEADER: &[Sub] = &[s("defer", 0, 0, No), s("match", 0, MANY, Matchers)];

pub(crate) const ENCODE: &[Sub] = &[
    s("gzip", 0, 1, No),
    s("zstd", 0, 1, No),
    s("br", 0, 1, No),
    s("minimum_length", 1, 1, No),
    s("match", 0, MANY, Matchers),
];

pub(crate) const FILE_SERVER: &[Sub] = &[
    s("fs", 1, MANY, Any),
    s("root", 1, 1, No),
    s("hide", 1, MANY, No),
    s("index", 0, MANY, No),
    s("browse", 0, 1, Any),
    s("precompressed", 0, MANY, No),
    s("status", 1, 1, No),
    s("disable_canonical_uris", 0, 0, No),
    s("pass_thru", 0, 0, No),
    s("etag_file_extensions", 1, MANY, No),
];

pub(crate) const TLS: &[Sub] = &[
    s("protocols", 1, 2, No),
    s("ciphers", 1, MANY, No),
    s("curves", 1, MANY, No),
    s("alpn", 1, MANY, No),
    s("load", 1, MANY, No),
    s("ca", 1, 1, No),
    s("ca_root", 1, 1, No),
    s("key_type", 1, 1, No),
    s("dns", 1, MANY, Any),
    s("dns_ttl", 1, 1, No),
    s("dns_challenge_override_domain", 1, 1, No),
    s("propagation_delay", 1, 1, No),
    s("propagation_timeout", 1, 1, No),
    s("resolvers", 1, MANY, No),
    s("eab", 2, 2, No),
    s("on_demand", 0, 0, No),
    s("client_auth", 0, 0, Any),
    s("issuer", 1, MANY, Any),
    s("get_certificate", 1, MANY, Any),
    s("insecure_secrets_log", 1, 1, No),
    s("reuse_private_keys", 0, 0, No),
];

pub(crate) const LOG: &[Sub] = &[
    s("output", 1, MANY, Any),
    s("format", 1, MANY, Any),
    s("level", 1, 1, No),
    s("include", 1, MANY, No),
    s("exclude", 1, MANY, No),
    s("hostnames", 1, MANY, No),
    s("no_hostname", 0, 0, No),
    s("sampling", 0, 0, Any),
];

pub(crate) const REQUEST_BODY: &[Sub] = &[
    s("max_size", 1, 1, No),
    s("read_timeout", 1, 1, No),
    s("write_timeout", 1, 1, No),
];

pub(crate) const RESPOND: &[Sub] = &[s("body", 1, 1, No), s("close", 0, 0, No)];

pub(crate) const ERROR: &[Sub] = &[s("message", 1, 1, No)];

pub(crate) const FORWARD_AUTH: &[Sub] = &[s("uri", 1, 1, No), s("copy_headers", 0, MANY, Any)];

/// The site directives (httpcaddyfile/directives.go's order, builtins.go) with their
/// arguments after the matcher. `root`, `uri`, `basic_auth`'s user lines and `header`'s
/// field lines have their own checks in [`check_directive`].
pub(crate) const SITE: &[Sub] = &[
    m("abort", 0, 0, No),
    s("acme_server", 0, 0, Any),
    m("basic_auth", 0, 2, Subs(&[])),
    m("basicauth", 0, 2, Subs(&[])),
    s("bind", 1, MANY, Any),
    m("copy_response", 0, 1, Any),
    m("copy_response_headers", 0, 0, Any),
    m("encode", 0, MANY, Subs(ENCODE)),
    m("error", 0, 2, Subs(ERROR)),
    m("file_server", 0, 1, Subs(FILE_SERVER)),
    m("forward_auth", 1, MANY, Subs(FORWARD_AUTH)),
    s("fs", 1, 1, No),
    m("handle", 0, 0, Routes),
    s("handle_errors", 0, MANY, Routes),
    m("handle_path", 0, 0, Routes),
    m("header", 0, 4, Subs(HEADER)),
    s("import", 1, MANY, No),
    m("intercept", 0, 1, Any),
    m("invoke", 1, 1, No),
    s("log", 0, 1, Subs(LOG)),
    s("log_append", 2, 2, No),
    s("log_name", 1, MANY, No),
    m("log_skip", 0, 0, No),
    m("map", 2, MANY, Any),
    m("method", 1, 1, No),
    m("metrics", 0, 0, Any),
    m("php_fastcgi", 1, MANY, Subs(FASTCGI)),
    m("push", 0, MANY, Any),
    m("redir", 1, 2, No),
    m("request_body", 0, 0, Subs(REQUEST_BODY)),
    m("request_header", 1, 3, No),
    m("respond", 0, 2, Subs(RESPOND)),
    m("reverse_proxy", 0, MANY, Subs(PROXY)),
    m("rewrite", 1, 1, No),
    m("root", 1, 1, No),
    m("route", 0, 0, Routes),
    m("skip_log", 0, 0, No),
    m("templates", 0, 0, Any),
    s("tls", 0, 2, Subs(TLS)),
    m("tracing", 0, 0, Any),
    m("try_files", 1, MANY, Any),
    m("uri", 1, 3, Any),
    m("vars", 0, 2, Any),
];

/// The global options (httpcaddyfile/options.go): name, least and most arguments. Their
/// blocks are not checked.
pub(crate) const GLOBAL: &[(&str, usize, usize)] = &[
    ("acme_ca", 1, 1),
    ("acme_ca_root", 1, 1),
    ("acme_dns", 1, MANY),
    ("acme_eab", 0, 0),
    ("admin", 0, 1),
    ("auto_https", 1, 2),
    ("cert_issuer", 1, MANY),
    ("cert_lifetime", 1, 1),
    ("debug", 0, 0),
    ("default_bind", 1, MANY),
    ("default_sni", 1, 1),
    ("dns", 1, MANY),
    ("ech", 1, MANY),
    ("email", 1, 1),
    ("events", 0, 0),
    ("fallback_sni", 1, 1),
    ("filesystem", 2, MANY),
    ("grace_period", 1, 1),
    ("http_port", 1, 1),
    ("https_port", 1, 1),
    ("key_type", 1, 1),
    ("local_certs", 0, 0),
    ("log", 0, 1),
    ("metrics", 0, 0),
    ("ocsp_interval", 1, 1),
    ("ocsp_stapling", 1, 1),
    ("on_demand_tls", 0, 0),
    ("order", 3, 3),
    ("persist_config", 1, 1),
    ("pki", 0, 0),
    ("preferred_chains", 1, MANY),
    ("renew_interval", 1, 1),
    ("renewal_window_ratio", 1, 1),
    ("servers", 0, 1),
    ("shutdown_delay", 1, 1),
    ("skip_install_trust", 0, 0),
    ("storage", 1, MANY),
    ("storage_check", 1, 1),
    ("storage_clean_interval", 1, 1),
];

/// The request matcher types (caddyhttp/matchers.go, ip_matchers.go, fileserver's
/// `file`, vars.go, celmatcher.go).
pub(crate) const MATCHER_TYPES: &[&str] = &[
    "client_ip",
    "expression",
    "file",
    "header",
    "header_regexp",
    "host",
    "method",
    "not",
    "path",
    "path_regexp",
    "protocol",
    "query",
    "remote_ip",
    "vars",
    "vars_regexp",
];
