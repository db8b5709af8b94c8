//! The Caddyfile read by Caddy's grammar for the directives a small deployment uses: which
//! directive may stand where (site level, the global options block, inside a directive's
//! block), how many arguments each takes, and how matchers are written and named.
//!
//! Hand-written because it must mirror one consumer exactly: the tables below follow
//! Caddy v2's own Caddyfile unmarshalers (`caddyconfig/httpcaddyfile/builtins.go` and
//! `directives.go` for the site directives and their order, `options.go` for the global
//! options, `modules/caddyhttp/reverseproxy/caddyfile.go` for `reverse_proxy`,
//! `modules/caddyhttp/headers/caddyfile.go`, `encode/caddyfile.go`,
//! `fileserver/caddyfile.go`, `caddyauth/caddyfile.go`, `rewrite/caddyfile.go`,
//! `requestbody/caddyfile.go`, `matchers.go` for the matcher types). Caddy reads a
//! subdirective only inside its directive's block (`lb_try_duration` at site level is
//! "unrecognized directive"), an unknown subdirective is "unrecognized subdirective", and
//! a wrong count is "Wrong argument count or unexpected line ending".
//!
//! Snippet imports are expanded where they are used, in the context of the block that
//! imports them (a snippet of `header_up` lines is valid inside `reverse_proxy { }`). A
//! directive a plugin adds is accepted when the global options block orders it
//! (`order rate_limit before basic_auth`), as a build with that plugin needs.
//!
//! Codes: [`CODE_CADDY_PLACEMENT`] (BI408), [`CODE_CADDY_ARGUMENTS`] (BI409),
//! [`CODE_CADDY_MATCHER`] (BI410).

use std::collections::{HashMap, HashSet};

use super::caddyfile::{Block, BlockKind, Directive, Tok};
use crate::diagnostic::{Code, Location};

/// BI408: a Caddyfile directive where Caddy does not read it (a subdirective outside its
/// directive's block, an unknown directive, subdirective or global option).
pub const CODE_CADDY_PLACEMENT: Code = Code("BI408");
/// BI409: a Caddyfile directive with a wrong number of arguments, or a block it does not
/// take.
pub const CODE_CADDY_ARGUMENTS: Code = Code("BI409");
/// BI410: a Caddyfile matcher that is not defined, or defined with an unknown matcher type.
pub const CODE_CADDY_MATCHER: Code = Code("BI410");

/// What a directive's block holds.
#[derive(Clone, Copy)]
enum Body {
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
struct Sub {
    name: &'static str,
    matcher: bool,
    min: usize,
    max: usize,
    body: Body,
}

const MANY: usize = usize::MAX;

const fn s(name: &'static str, min: usize, max: usize, body: Body) -> Sub {
    Sub {
        name,
        matcher: false,
        min,
        max,
        body,
    }
}

const fn m(name: &'static str, min: usize, max: usize, body: Body) -> Sub {
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
const PROXY: &[Sub] = &[
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
const FASTCGI: &[Sub] = &[
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
const HEADER: &[Sub] = &[s("defer", 0, 0, No), s("match", 0, MANY, Matchers)];

const ENCODE: &[Sub] = &[
    s("gzip", 0, 1, No),
    s("zstd", 0, 1, No),
    s("br", 0, 1, No),
    s("minimum_length", 1, 1, No),
    s("match", 0, MANY, Matchers),
];

const FILE_SERVER: &[Sub] = &[
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

const TLS: &[Sub] = &[
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

const LOG: &[Sub] = &[
    s("output", 1, MANY, Any),
    s("format", 1, MANY, Any),
    s("level", 1, 1, No),
    s("include", 1, MANY, No),
    s("exclude", 1, MANY, No),
    s("hostnames", 1, MANY, No),
    s("no_hostname", 0, 0, No),
    s("sampling", 0, 0, Any),
];

const REQUEST_BODY: &[Sub] = &[
    s("max_size", 1, 1, No),
    s("read_timeout", 1, 1, No),
    s("write_timeout", 1, 1, No),
];

const RESPOND: &[Sub] = &[s("body", 1, 1, No), s("close", 0, 0, No)];

const ERROR: &[Sub] = &[s("message", 1, 1, No)];

const FORWARD_AUTH: &[Sub] = &[s("uri", 1, 1, No), s("copy_headers", 0, MANY, Any)];

/// The site directives (httpcaddyfile/directives.go's order, builtins.go) with their
/// arguments after the matcher. `root`, `uri`, `basic_auth`'s user lines and `header`'s
/// field lines have their own checks in [`check_directive`].
const SITE: &[Sub] = &[
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
const GLOBAL: &[(&str, usize, usize)] = &[
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
const MATCHER_TYPES: &[&str] = &[
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

/// The most directives checked per file, snippet expansions included (the parser's own
/// expansion bound, [`super::caddyfile::MAX_EXPANDED`], is reported by it).
const MAX_CHECKED: usize = 20_000;

/// Reads file `id`'s parsed blocks by the grammar and adds the findings to the
/// deployment's.
pub(crate) fn report(d: &mut super::Deployment, id: super::FileId, blocks: &[Block]) {
    for (code, at, message, help) in check(blocks) {
        let dg = d.diag(
            crate::diagnostic::Severity::Error,
            code,
            id,
            Some(at),
            "",
            message,
            help,
        );
        d.diags.push(dg);
    }
}

/// One finding: code, where, message, help.
pub(crate) type Finding = (Code, Location, String, String);

struct Checker<'a> {
    snippets: HashMap<&'a str, &'a [Directive]>,
    plugins: HashSet<String>,
    /// Named matchers defined in the current site (snippet imports included).
    named: HashSet<String>,
    stack: Vec<&'a str>,
    budget: usize,
    out: Vec<Finding>,
}

/// Reads every site and the global options block of a parsed Caddyfile by Caddy's
/// grammar; the findings in file order.
pub(crate) fn check(blocks: &[Block]) -> Vec<Finding> {
    let mut c = Checker {
        snippets: blocks
            .iter()
            .filter(|b| b.kind == BlockKind::Snippet)
            .filter_map(|b| {
                let n = b.addresses.first()?.text.as_str();
                Some((
                    n.trim_start_matches('(').trim_end_matches(')'),
                    b.directives.as_slice(),
                ))
            })
            .collect(),
        plugins: HashSet::new(),
        named: HashSet::new(),
        stack: Vec::new(),
        budget: MAX_CHECKED,
        out: Vec::new(),
    };
    for b in blocks.iter().filter(|b| b.kind == BlockKind::Global) {
        c.global(&b.directives);
    }
    for b in blocks.iter().filter(|b| b.kind == BlockKind::Site) {
        c.named.clear();
        let mut seen = Vec::new();
        c.collect_named(&b.directives, &mut seen);
        c.routes(&b.directives);
    }
    c.out.sort_by_key(|f| (f.1.line, f.1.column));
    c.out
}

fn at_of(t: &Tok) -> Location {
    t.at
}

fn count_text(min: usize, max: usize) -> String {
    match (min, max) {
        (a, b) if a == b => format!("{a}"),
        (a, MANY) => format!("at least {a}"),
        (a, b) => format!("{a} to {b}"),
    }
}

/// Whether a token is an inline matcher in a matcher's place (Caddy's
/// `httpcaddyfile.Helper.MatcherToken`: `*`, a path starting with `/`, or `@name`).
fn is_matcher_token(t: &Tok) -> bool {
    !t.quoted && (t.text == "*" || t.text.starts_with('/') || t.text.starts_with('@'))
}

impl<'a> Checker<'a> {
    fn push(&mut self, code: Code, at: Location, message: String, help: &str) {
        self.out.push((code, at, message, help.to_owned()));
    }

    fn global(&mut self, dirs: &'a [Directive]) {
        // `order NAME ...` names a plugin directive first: collect those before sites.
        for d in dirs {
            if d.name.text == "order" {
                if let Some(n) = d.args.first() {
                    self.plugins.insert(n.text.clone());
                }
            }
        }
        for d in dirs {
            let name = d.name.text.as_str();
            match GLOBAL.iter().find(|g| g.0 == name) {
                Some(&(_, min, max)) => {
                    if d.args.len() < min || d.args.len() > max {
                        self.push(
                            CODE_CADDY_ARGUMENTS,
                            at_of(&d.name),
                            format!(
                                "global option `{name}` takes {} argument(s), not {}",
                                count_text(min, max),
                                d.args.len()
                            ),
                            "write the option as Caddy's global options documentation shows",
                        );
                    }
                }
                None if name == "import" => {}
                None => {
                    let site = SITE.iter().any(|s| s.name == name);
                    self.push(
                        CODE_CADDY_PLACEMENT,
                        at_of(&d.name),
                        if site {
                            format!("`{name}` is a site directive, not a global option: Caddy refuses the file (unrecognized global option)")
                        } else {
                            format!("unrecognized global option `{name}`: Caddy refuses the file")
                        },
                        "move site directives into a site block; check the option's spelling in Caddy's global options documentation",
                    );
                }
            }
        }
    }

    /// Every `@name` defined in `dirs` and the blocks and snippets under them.
    fn collect_named(&mut self, dirs: &'a [Directive], seen: &mut Vec<&'a str>) {
        for d in dirs {
            if d.name.text.starts_with('@') {
                self.named.insert(d.name.text.clone());
            }
            if d.name.text == "import" {
                if let Some((name, s)) = d
                    .args
                    .first()
                    .and_then(|a| self.snippets.get_key_value(a.text.as_str()))
                {
                    if !seen.contains(name) {
                        let (name, s) = (*name, *s);
                        seen.push(name);
                        self.collect_named(s, seen);
                    }
                }
            }
            if let Some(b) = &d.block {
                self.collect_named(b, seen);
            }
        }
    }

    /// Expands `import SNIPPET` in the current context: true when `d` was one.
    fn import(&mut self, d: &'a Directive, body: Body, parent: &str) -> bool {
        if d.name.text != "import" {
            return false;
        }
        let Some((name, s)) = d
            .args
            .first()
            .and_then(|a| self.snippets.get_key_value(a.text.as_str()))
        else {
            // A file import: read where the file is (caddy_imports).
            return true;
        };
        let (name, s) = (*name, *s);
        if !self.stack.contains(&name) {
            self.stack.push(name);
            match body {
                Routes => self.routes(s),
                Subs(table) => self.subs(s, table, parent),
                _ => {}
            }
            self.stack.pop();
        }
        true
    }

    fn spend(&mut self) -> bool {
        if self.budget == 0 {
            return false;
        }
        self.budget -= 1;
        true
    }

    /// Site directives (a site block or a route's block).
    fn routes(&mut self, dirs: &'a [Directive]) {
        for d in dirs {
            if !self.spend() {
                return;
            }
            if self.import(d, Routes, "") {
                continue;
            }
            let name = d.name.text.as_str();
            if name.starts_with('@') {
                self.matcher_definition(d);
                continue;
            }
            if let Some(sub) = SITE.iter().find(|s| s.name == name) {
                self.check_directive(d, sub);
                continue;
            }
            if self.plugins.contains(name) {
                continue;
            }
            let parents: Vec<&str> = SITE
                .iter()
                .filter(|s| matches!(s.body, Subs(t) if t.iter().any(|x| x.name == name)))
                .map(|s| s.name)
                .collect();
            let message = match parents.first() {
                Some(p) => format!("`{name}` is a subdirective of `{p}`, not a directive: Caddy refuses the file (unrecognized directive); it belongs inside `{p} ... {{ }}`"),
                None => format!("unrecognized directive `{name}`: Caddy refuses the file"),
            };
            self.push(
                CODE_CADDY_PLACEMENT,
                at_of(&d.name),
                message,
                "put each subdirective inside its directive's block; a plugin's directive needs a Caddy built with it and `order NAME before OTHER` in the global options",
            );
        }
    }

    /// A directive's block of subdirectives.
    fn subs(&mut self, dirs: &'a [Directive], table: &'static [Sub], parent: &str) {
        for d in dirs {
            if !self.spend() {
                return;
            }
            if self.import(d, Subs(table), parent) {
                continue;
            }
            let name = d.name.text.as_str();
            if name.starts_with('@') && parent == "reverse_proxy" {
                // Response matchers for handle_response.
                continue;
            }
            if parent == "header" {
                self.header_line(d);
                continue;
            }
            let found = table.iter().find(|s| s.name == name).or_else(|| {
                (parent == "php_fastcgi")
                    .then(|| PROXY.iter().find(|s| s.name == name))
                    .flatten()
            });
            match found {
                Some(sub) => self.check_directive(d, sub),
                None => {
                    let site = SITE.iter().any(|s| s.name == name);
                    let message = if site {
                        format!("`{name}` is not a subdirective of `{parent}`: Caddy refuses the file (unrecognized subdirective); as a directive of its own it belongs at site level or in a `handle`/`route` block")
                    } else {
                        format!("unrecognized subdirective `{name}` of `{parent}`: Caddy refuses the file")
                    };
                    self.push(
                        CODE_CADDY_PLACEMENT,
                        at_of(&d.name),
                        message,
                        &format!("write only `{parent}`'s own subdirectives in its block (Caddy's `{parent}` documentation lists them)"),
                    );
                }
            }
        }
    }

    /// A line of `header`'s block: `[+|-|?|>]field [value [replacement]]`, `defer`,
    /// `match { }`.
    fn header_line(&mut self, d: &'a Directive) {
        match d.name.text.as_str() {
            "defer" | "match" => {
                if let Some(sub) = HEADER.iter().find(|s| s.name == d.name.text) {
                    self.check_directive(d, sub);
                }
            }
            field => {
                let removal = field.starts_with('-');
                let max = if removal { 0 } else { 2 };
                if d.args.len() > max || d.block.is_some() {
                    self.push(
                        CODE_CADDY_ARGUMENTS,
                        at_of(&d.name),
                        format!("header field line `{field}` takes {} value(s), not {}: Caddy refuses the file", count_text(0, max), d.args.len()),
                        "quote a value with spaces: `Cache-Control \"public, max-age=3600\"`",
                    );
                }
            }
        }
    }

    /// A directive (or subdirective) whose rules are known.
    fn check_directive(&mut self, d: &'a Directive, sub: &Sub) {
        let name = sub.name;
        let mut args: &[Tok] = &d.args;
        // `root /srv` is a path, not a matcher; `root * /srv` has one.
        let root_path_only = name == "root" && args.len() == 1;
        if sub.matcher && !root_path_only {
            if let Some(first) = args.first().filter(|t| is_matcher_token(t)) {
                if first.text.starts_with('@') && !self.named.contains(&first.text) {
                    self.push(
                        CODE_CADDY_MATCHER,
                        first.at,
                        format!("matcher `{}` is not defined in this site: Caddy refuses the file", first.text),
                        "define it in the same site block (`@name path /x/*`, or a block of matcher lines), or in a snippet the site imports",
                    );
                }
                args = &args[1..];
            }
        }
        if name == "handle_path" {
            let path_first = d
                .args
                .first()
                .is_some_and(|t| t.text.starts_with('/') || t.text == "*");
            if !path_first || d.args.len() != 1 {
                self.push(
                    CODE_CADDY_MATCHER,
                    at_of(&d.name),
                    "`handle_path` takes exactly one path matcher (`handle_path /api/*`), not a named matcher or more arguments: Caddy refuses the file".into(),
                    "write the path prefix after `handle_path`, or use `handle @name` with `uri strip_prefix`",
                );
            }
        } else if name == "uri" {
            self.uri_args(d, args);
        } else if args.len() < sub.min || args.len() > sub.max {
            self.push(
                CODE_CADDY_ARGUMENTS,
                at_of(&d.name),
                format!(
                    "`{name}` takes {} argument(s){}, not {}: Caddy refuses the file (wrong argument count)",
                    count_text(sub.min, sub.max),
                    if sub.matcher { " after its matcher" } else { "" },
                    args.len()
                ),
                "write the directive on one line as Caddy's documentation shows; a value with spaces is quoted",
            );
        }
        match (sub.body, &d.block) {
            (_, None) | (Any, Some(_)) => {}
            (No, Some(_)) => self.push(
                CODE_CADDY_ARGUMENTS,
                at_of(&d.name),
                format!("`{name}` takes no block: Caddy refuses the file"),
                "write its arguments on its line; subdirectives belong to the directive that has them",
            ),
            (Routes, Some(b)) => self.routes(b),
            (Subs(table), Some(b)) => {
                if name == "basic_auth" || name == "basicauth" {
                    self.basic_auth(b);
                } else {
                    self.subs(b, table, name);
                }
            }
            (Matchers, Some(b)) => self.matcher_lines(b),
        }
    }

    fn uri_args(&mut self, d: &Directive, args: &[Tok]) {
        let (min, max) = match args.first().map(|t| t.text.as_str()) {
            Some("strip_prefix" | "strip_suffix") => (2, 2),
            Some("replace") => (3, 4),
            Some("path_regexp") => (3, 3),
            Some("query") => (1, 4),
            _ => {
                self.push(
                    CODE_CADDY_ARGUMENTS,
                    at_of(&d.name),
                    "`uri` takes an operation first (`strip_prefix`, `strip_suffix`, `replace`, `path_regexp`, `query`): Caddy refuses the file".into(),
                    "write `uri strip_prefix /api`",
                );
                return;
            }
        };
        if args.len() < min || args.len() > max {
            self.push(
                CODE_CADDY_ARGUMENTS,
                at_of(&d.name),
                format!(
                    "`uri {}` takes {} argument(s), not {}: Caddy refuses the file",
                    args[0].text,
                    count_text(min - 1, max - 1),
                    args.len() - 1
                ),
                "write `uri strip_prefix /api` or `uri replace FIND REPLACE`",
            );
        }
    }

    /// `basic_auth`'s block: `user hash` lines (Caddy 2.8: exactly two; older builds
    /// accepted a third, salt).
    fn basic_auth(&mut self, block: &'a [Directive]) {
        for line in block {
            if !self.spend() {
                return;
            }
            if self.import(line, Any, "basic_auth") {
                continue;
            }
            if !(1..=2).contains(&line.args.len()) || line.block.is_some() {
                self.push(
                    CODE_CADDY_ARGUMENTS,
                    at_of(&line.name),
                    format!("a `basic_auth` account line is `user hash`, not {} value(s): Caddy refuses the file", line.args.len() + 1),
                    "hash the password with `caddy hash-password` and write `user HASH`",
                );
            }
        }
    }

    /// `@name matcher args` or `@name { matcher lines }`.
    fn matcher_definition(&mut self, d: &'a Directive) {
        if let Some(b) = &d.block {
            if !d.args.is_empty() {
                self.push(
                    CODE_CADDY_MATCHER,
                    at_of(&d.name),
                    format!("matcher `{}` has both arguments and a block", d.name.text),
                    "write either `@name path /x` or a block of matcher lines",
                );
            }
            return self.matcher_lines(b);
        }
        match d.args.first() {
            // `@name` alone matches every request.
            None => {}
            // `@name "expression"` (Caddy 2.7's shorthand for `expression`).
            Some(t) if t.quoted && d.args.len() == 1 => {}
            Some(t) => self.matcher_type(t, d.args.len() > 1),
        }
    }

    fn matcher_type(&mut self, t: &Tok, has_args: bool) {
        if !MATCHER_TYPES.contains(&t.text.as_str()) {
            self.push(
                CODE_CADDY_MATCHER,
                t.at,
                format!("unknown matcher type `{}`: Caddy refuses the file", t.text),
                "use a request matcher Caddy has: path, host, method, header, query, remote_ip, client_ip, protocol, not, expression, file, path_regexp, header_regexp, vars",
            );
        } else if !has_args && !matches!(t.text.as_str(), "not" | "file" | "protocol") {
            self.push(
                CODE_CADDY_MATCHER,
                t.at,
                format!(
                    "matcher `{}` without a value: Caddy refuses the file",
                    t.text
                ),
                "give the matcher its values, like `path /api/*` or `method POST PUT`",
            );
        }
    }

    fn matcher_lines(&mut self, block: &'a [Directive]) {
        for line in block {
            if !self.spend() {
                return;
            }
            if line.name.text == "import" {
                continue;
            }
            if line.name.text == "not" {
                if let Some(b) = &line.block {
                    self.matcher_lines(b);
                    continue;
                }
                if let Some(first) = line.args.first() {
                    self.matcher_type(first, line.args.len() > 1);
                    continue;
                }
            }
            self.matcher_type(&line.name, !line.args.is_empty() || line.block.is_some());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(text: &str) -> Vec<(&'static str, usize)> {
        let blocks = super::super::caddyfile::parse(text).expect("parses");
        check(&blocks)
            .into_iter()
            .map(|f| (f.0 .0, f.1.line))
            .collect()
    }

    #[test]
    fn subdirective_outside_its_block() {
        let t = "example.com {\n\treverse_proxy app:3000\n\tlb_try_duration 5s\n\theader_up Host x\n}\n";
        assert_eq!(codes(t), vec![("BI408", 3), ("BI408", 4)]);
        let ok = "example.com {\n\treverse_proxy app:3000 {\n\t\tlb_try_duration 5s\n\t\theader_up Host {host}\n\t}\n}\n";
        assert!(codes(ok).is_empty());
    }

    #[test]
    fn snippets_take_the_importing_context() {
        let t = "(hdrs) {\n\theader_up X-Real-IP {remote_host}\n}\nexample.com {\n\treverse_proxy app:3000 {\n\t\timport hdrs\n\t}\n}\n";
        assert!(codes(t).is_empty());
        let bad = "(hdrs) {\n\theader_up X-Real-IP {remote_host}\n}\nexample.com {\n\timport hdrs\n\treverse_proxy app:3000\n}\n";
        assert_eq!(codes(bad), vec![("BI408", 2)]);
    }

    #[test]
    fn argument_counts_and_matchers() {
        let t = "example.com {\n\tredir\n\trewrite @missing /x\n\t@api {\n\t\tpathh /api/*\n\t}\n\thandle @api {\n\t\trespond 200\n\t}\n\troot * /srv\n\troot /srv\n\tfile_server browse extra\n}\n";
        assert_eq!(
            codes(t),
            vec![("BI409", 2), ("BI410", 3), ("BI410", 5), ("BI409", 12)]
        );
    }

    #[test]
    fn global_options_and_plugins() {
        let t = "{\n\temail a@b.c\n\torder rate_limit before basic_auth\n\treverse_proxy x\n}\nexample.com {\n\trate_limit\n\tencode gzip zstd\n}\n";
        assert_eq!(codes(t), vec![("BI408", 4)]);
    }
}
