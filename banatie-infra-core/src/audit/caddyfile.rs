//! The Caddyfile as the audit reads it: [`syntax`] tokenizes and parses it (Caddy's
//! grammar, with positions); [`site`] then reads one site block: its domains, the upstreams of its
//! `reverse_proxy` directives (also inside `handle`, `handle_path` and `route`) with the
//! HTTP methods that reach each one (from `method` matchers on the proxy or an enclosing
//! handler, and from `not method` matchers that `respond`/`error`/`abort` reject), its
//! response headers and its access log.

use std::collections::HashMap;

use crate::diagnostic::Location;

/// The most directives one site may have once its snippet imports are expanded.
pub(crate) const MAX_EXPANDED: usize = 10_000;

mod syntax;
pub(crate) use syntax::{parse, tokenize, Block, BlockKind, Directive, Tok, MAX_NESTING};

/// The methods a route passes upstream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Methods {
    /// Only these (upper case).
    Only(Vec<String>),
    /// Every method but these.
    AllExcept(Vec<String>),
}

impl Methods {
    /// Every method.
    fn all() -> Self {
        Self::AllExcept(vec![])
    }

    fn and(self, other: Methods) -> Methods {
        match (self, other) {
            (Self::Only(a), Self::Only(b)) => {
                Self::Only(a.into_iter().filter(|m| b.contains(m)).collect())
            }
            (Self::Only(a), Self::AllExcept(b)) | (Self::AllExcept(b), Self::Only(a)) => {
                Self::Only(a.into_iter().filter(|m| !b.contains(m)).collect())
            }
            (Self::AllExcept(mut a), Self::AllExcept(b)) => {
                a.extend(b);
                Self::AllExcept(a)
            }
        }
    }

    /// The methods as a list for the shared rule: `None` when every method (or every
    /// method but some) passes and a write method is among them, else the list.
    pub(crate) fn as_list(&self) -> Option<Vec<String>> {
        match self {
            Self::Only(v) => Some(v.clone()),
            Self::AllExcept(v) => {
                let writes = ["POST", "PUT", "PATCH", "DELETE"];
                if writes.iter().all(|w| v.iter().any(|m| m == w)) {
                    Some(
                        ["GET", "HEAD", "OPTIONS"]
                            .iter()
                            .filter(|m| !v.iter().any(|x| x == *m))
                            .map(|m| (*m).to_owned())
                            .collect(),
                    )
                } else {
                    None
                }
            }
        }
    }
}

/// A `reverse_proxy` of a site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Proxy {
    /// Its upstreams as `host:port` (scheme removed, port 80 added when missing).
    pub(crate) upstreams: Vec<String>,
    /// The methods that reach it.
    pub(crate) methods: Methods,
    /// Where the directive is.
    pub(crate) at: Location,
    /// Its `lb_try_duration` and `lb_try_interval` subdirectives' arguments, when written.
    pub(crate) lb_try: (Option<String>, Option<String>),
}

/// A response header set by a site: (path matcher, name, value).
pub(crate) type Header = (Option<String>, String, String);

/// The access log of a site.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Log {
    /// `output file PATH`.
    pub(crate) file: Option<String>,
    /// `roll_size`.
    pub(crate) roll_size: Option<String>,
    /// `roll_keep`.
    pub(crate) roll_keep: Option<String>,
    /// `format`.
    pub(crate) format: Option<String>,
}

/// What the audit reads from one site block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Site {
    /// The domains (addresses without scheme, port or path).
    pub(crate) domains: Vec<String>,
    /// Where the first address is.
    pub(crate) at: Location,
    /// Where each domain is written.
    pub(crate) domain_at: Vec<Location>,
    /// Its reverse proxies.
    pub(crate) proxies: Vec<Proxy>,
    /// Response headers, in order.
    pub(crate) headers: Vec<Header>,
    /// The access log.
    pub(crate) log: Option<Log>,
    /// Directives the import cannot map (name and where).
    pub(crate) other: Vec<(String, Location)>,
}

impl Site {
    /// Whether the site proxies and every proxy passes read methods only (GET, HEAD,
    /// OPTIONS), as a public CDN in front of an S3 API should.
    pub(crate) fn passes_read_methods_only(&self) -> bool {
        !self.proxies.is_empty()
            && self.proxies.iter().all(|p| {
                p.methods
                    .as_list()
                    .is_some_and(|l| l.iter().all(|m| crate::rules::sites::is_read_method(m)))
            })
    }
}

/// A named matcher, reduced to what matters here.
#[derive(Debug, Clone)]
enum Matcher {
    Methods(Methods),
    Other,
}

fn method_matcher(tokens: &[Tok]) -> Option<Methods> {
    let (neg, rest) = match tokens.first() {
        Some(t) if t.text == "not" => (true, &tokens[1..]),
        _ => (false, tokens),
    };
    if rest.first()?.text != "method" {
        return None;
    }
    let ms: Vec<String> = rest[1..]
        .iter()
        .map(|t| t.text.to_ascii_uppercase())
        .collect();
    Some(if neg {
        Methods::AllExcept(ms)
    } else {
        Methods::Only(ms)
    })
}

fn matchers(directives: &[Directive]) -> HashMap<String, Matcher> {
    let mut out = HashMap::new();
    for d in directives {
        if !d.name.text.starts_with('@') {
            continue;
        }
        let m = if let Some(block) = &d.block {
            // Every line of the block must match (AND).
            let mut acc = Some(Methods::all());
            for line in block {
                let mut toks = vec![line.name.clone()];
                toks.extend(line.args.iter().cloned());
                let m = if line.name.text == "not" && line.block.is_some() {
                    let inner = line.block.as_ref().and_then(|b| {
                        (b.len() == 1).then(|| {
                            let mut t = vec![b[0].name.clone()];
                            t.extend(b[0].args.iter().cloned());
                            t
                        })
                    });
                    inner.and_then(|t| method_matcher(&t)).map(|m| match m {
                        Methods::Only(v) => Methods::AllExcept(v),
                        Methods::AllExcept(v) => Methods::Only(v),
                    })
                } else {
                    method_matcher(&toks)
                };
                acc = match (acc, m) {
                    (Some(a), Some(m)) => Some(a.and(m)),
                    _ => None,
                };
            }
            acc.map_or(Matcher::Other, Matcher::Methods)
        } else {
            method_matcher(&d.args).map_or(Matcher::Other, Matcher::Methods)
        };
        out.insert(d.name.text.clone(), m);
    }
    out
}

/// The matcher token of a directive's first argument (`@name`, a path, `*`), if any.
fn matcher_arg(d: &Directive) -> Option<&Tok> {
    d.args
        .first()
        .filter(|t| t.text.starts_with('@') || t.text.starts_with('/') || t.text == "*")
}

fn methods_of(tok: Option<&Tok>, named: &HashMap<String, Matcher>) -> Methods {
    match tok {
        Some(t) if t.text.starts_with('@') => match named.get(&t.text) {
            Some(Matcher::Methods(m)) => m.clone(),
            _ => Methods::all(),
        },
        _ => Methods::all(),
    }
}

fn upstream(text: &str) -> String {
    let t = text
        .strip_prefix("http://")
        .or_else(|| text.strip_prefix("https://"))
        .or_else(|| text.strip_prefix("h2c://"))
        .unwrap_or(text);
    let t = t.trim_end_matches('/');
    if t.rsplit_once(':')
        .is_some_and(|(_, p)| p.bytes().all(|b| b.is_ascii_digit()))
    {
        t.to_owned()
    } else {
        format!("{t}:80")
    }
}

/// The directives with snippet imports replaced by the snippets' directives: a snippet
/// already being expanded (a cycle) is not expanded again, and at most `budget`
/// directives are produced ([`import_problems`] reports both).
fn expand_imports<'a>(
    directives: &'a [Directive],
    snippets: &'a HashMap<String, Vec<Directive>>,
    stack: &mut Vec<&'a str>,
    budget: &mut usize,
    out: &mut Vec<Directive>,
) {
    for d in directives {
        if *budget == 0 {
            return;
        }
        if d.name.text == "import" {
            if let Some((name, s)) = d.args.first().and_then(|a| snippets.get_key_value(&a.text)) {
                if !stack.contains(&name.as_str()) {
                    stack.push(name);
                    expand_imports(s, snippets, stack, budget, out);
                    stack.pop();
                }
                continue;
            }
        }
        *budget -= 1;
        out.push(d.clone());
    }
}

/// The snippets of a file by name (without parentheses).
fn snippets_of(blocks: &[Block]) -> HashMap<String, Vec<Directive>> {
    blocks
        .iter()
        .filter(|b| b.kind == BlockKind::Snippet)
        .map(|b| {
            let name = b.addresses[0]
                .text
                .trim_start_matches('(')
                .trim_end_matches(')');
            (name.to_owned(), b.directives.clone())
        })
        .collect()
}

/// The argument of every `import` of a file (not of a snippet of this file): an
/// `import` first on its line (quoted or not, as Caddy reads it), whose argument names no `(snippet)` of `toks`.
pub(crate) fn file_imports(toks: &[Tok]) -> Vec<&Tok> {
    let first_on_line = |i: usize| i == 0 || toks[i - 1].end_line != toks[i].at.line;
    let snippets: std::collections::HashSet<&str> = toks
        .iter()
        .enumerate()
        .filter(|&(i, t)| first_on_line(i) && !t.quoted && t.text.len() > 2)
        .filter_map(|(_, t)| t.text.strip_prefix('(')?.strip_suffix(')'))
        .collect();
    toks.iter()
        .enumerate()
        .filter(|&(i, t)| first_on_line(i) && t.text == "import")
        .filter_map(|(i, _)| toks.get(i + 1).filter(|a| a.at.line == toks[i].end_line))
        .filter(|a| !snippets.contains(a.text.as_str()))
        .collect()
}

/// Snippet imports Caddy refuses or that explode: a snippet that imports itself
/// (directly or through others), and a site whose imports expand to more than
/// [`MAX_EXPANDED`] directives. (where, message).
pub(crate) fn import_problems(blocks: &[Block]) -> Vec<(Location, String)> {
    let snippets = snippets_of(blocks);
    let mut out = Vec::new();
    // Expanded size of each snippet (saturating at MAX_EXPANDED + 1); None: in progress.
    let mut sizes: HashMap<&str, Option<usize>> = HashMap::new();
    for b in blocks {
        let size = expanded_size(
            &b.directives,
            &snippets,
            &mut sizes,
            &mut Vec::new(),
            &mut out,
        );
        if b.kind == BlockKind::Site && size > MAX_EXPANDED {
            let at = b
                .addresses
                .first()
                .map_or(Location { line: 1, column: 1 }, |t| t.at);
            out.push((
                at,
                format!(
                    "this site's snippet imports expand to more than {MAX_EXPANDED} directives"
                ),
            ));
        }
    }
    out.sort_by_key(|(at, _)| *at);
    out.dedup();
    out
}

fn expanded_size<'a>(
    directives: &'a [Directive],
    snippets: &'a HashMap<String, Vec<Directive>>,
    sizes: &mut HashMap<&'a str, Option<usize>>,
    stack: &mut Vec<&'a str>,
    out: &mut Vec<(Location, String)>,
) -> usize {
    let mut total = 0usize;
    for d in directives {
        let snippet = (d.name.text == "import")
            .then(|| d.args.first().and_then(|a| snippets.get_key_value(&a.text)))
            .flatten();
        let n = match snippet {
            None => {
                1 + d
                    .block
                    .as_ref()
                    .map_or(0, |b| expanded_size(b, snippets, sizes, stack, out))
            }
            Some((name, body)) => match sizes.get(name.as_str()) {
                Some(Some(n)) => *n,
                Some(None) => {
                    let chain = stack.join("` -> `");
                    out.push((d.name.at, format!("snippet `{name}` imports itself (`{chain}` -> `{name}`): Caddy refuses an import cycle")));
                    1
                }
                None if stack.len() >= MAX_NESTING => {
                    out.push((
                        d.name.at,
                        format!("snippet imports nested deeper than {MAX_NESTING} levels"),
                    ));
                    1
                }
                None => {
                    sizes.insert(name, None);
                    stack.push(name);
                    let n = expanded_size(body, snippets, sizes, stack, out);
                    stack.pop();
                    sizes.insert(name, Some(n));
                    n
                }
            },
        };
        total = total.saturating_add(n).min(MAX_EXPANDED + 1);
    }
    total
}

fn collect_proxies(
    directives: &[Directive],
    named: &HashMap<String, Matcher>,
    outer: Methods,
    out: &mut Vec<Proxy>,
) {
    for d in directives {
        match d.name.text.as_str() {
            "reverse_proxy" => {
                let m = matcher_arg(d);
                let methods = outer.clone().and(methods_of(m, named));
                let mut ups: Vec<String> = d
                    .args
                    .iter()
                    .skip(usize::from(m.is_some()))
                    .map(|t| upstream(&t.text))
                    .collect();
                let mut lb_try = (None, None);
                if let Some(b) = &d.block {
                    for sub in b {
                        let arg = || sub.args.first().map(|t| t.text.clone());
                        match sub.name.text.as_str() {
                            "to" => ups.extend(sub.args.iter().map(|t| upstream(&t.text))),
                            "lb_try_duration" => lb_try.0 = arg(),
                            "lb_try_interval" => lb_try.1 = arg(),
                            _ => {}
                        }
                    }
                }
                out.push(Proxy {
                    upstreams: ups,
                    methods,
                    at: d.name.at,
                    lb_try,
                });
            }
            "handle" | "handle_path" | "route" => {
                if let Some(b) = &d.block {
                    let methods = outer.clone().and(methods_of(matcher_arg(d), named));
                    collect_proxies(b, named, methods, out);
                }
            }
            _ => {}
        }
    }
}

/// Reads a site block. `snippets` are the file's snippets by name (without parentheses).
pub(crate) fn site(block: &Block, snippets: &HashMap<String, Vec<Directive>>) -> Site {
    let mut directives = Vec::new();
    expand_imports(
        &block.directives,
        snippets,
        &mut Vec::new(),
        &mut MAX_EXPANDED.clone(),
        &mut directives,
    );
    let named = matchers(&directives);
    // Methods rejected before the proxy by `respond @m 4xx`, `error @m 4xx`, `abort @m`.
    let mut site_methods = Methods::all();
    for d in &directives {
        let rejects = match d.name.text.as_str() {
            "abort" => true,
            "respond" | "error" => d.args.iter().any(|a| {
                a.text.len() == 3
                    && a.text.starts_with('4')
                    && a.text.bytes().all(|b| b.is_ascii_digit())
            }),
            _ => false,
        };
        if !rejects {
            continue;
        }
        if let Some(Matcher::Methods(m)) = matcher_arg(d).and_then(|t| named.get(&t.text)) {
            let passes = match m.clone() {
                Methods::Only(v) => Methods::AllExcept(v),
                Methods::AllExcept(v) => Methods::Only(v),
            };
            site_methods = site_methods.and(passes);
        }
    }
    let mut proxies = Vec::new();
    collect_proxies(&directives, &named, site_methods, &mut proxies);
    let mut headers = Vec::new();
    let mut log = None;
    let mut other = Vec::new();
    for d in &directives {
        match d.name.text.as_str() {
            "header" => {
                let m = matcher_arg(d);
                let path = m.map(|t| t.text.clone());
                let rest: Vec<&Tok> = d.args.iter().skip(usize::from(m.is_some())).collect();
                if rest.len() >= 2 {
                    headers.push((path.clone(), rest[0].text.clone(), rest[1].text.clone()));
                }
                if let Some(b) = &d.block {
                    for h in b {
                        let value = h.args.first().map(|t| t.text.clone()).unwrap_or_default();
                        headers.push((path.clone(), h.name.text.clone(), value));
                    }
                }
            }
            "log" => {
                let mut l = Log::default();
                for sub in d.block.iter().flatten() {
                    match sub.name.text.as_str() {
                        "output" => {
                            if sub.args.first().is_some_and(|a| a.text == "file") {
                                l.file = sub.args.get(1).map(|a| a.text.clone());
                            }
                            for o in sub.block.iter().flatten() {
                                let v = o.args.first().map(|a| a.text.clone());
                                match o.name.text.as_str() {
                                    "roll_size" => l.roll_size = v,
                                    "roll_keep" => l.roll_keep = v,
                                    _ => {}
                                }
                            }
                        }
                        "format" => l.format = sub.args.first().map(|a| a.text.clone()),
                        _ => {}
                    }
                }
                log = Some(l);
            }
            n if n.starts_with('@') => {}
            "reverse_proxy" | "respond" | "error" | "abort" => {}
            n => other.push((n.to_owned(), d.name.at)),
        }
    }
    let domains = block
        .addresses
        .iter()
        .map(|a| {
            let t = a.text.as_str();
            let t = t.split_once("://").map_or(t, |(_, r)| r);
            let t = t.split('/').next().unwrap_or(t);
            t.rsplit_once(':').map_or(t, |(h, _)| h).to_owned()
        })
        .collect();
    Site {
        domains,
        domain_at: block.addresses.iter().map(|a| a.at).collect(),
        at: block
            .addresses
            .first()
            .map_or(Location { line: 1, column: 1 }, |a| a.at),
        proxies,
        headers,
        log,
        other,
    }
}

/// Every site of a parsed Caddyfile.
pub(crate) fn sites(blocks: &[Block]) -> Vec<Site> {
    let snippets = snippets_of(blocks);
    blocks
        .iter()
        .filter(|b| b.kind == BlockKind::Site)
        .map(|b| site(b, &snippets))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_quotes_and_comments() {
        let t =
            tokenize("# c\na.example, b.example {\n\theader X \"a \\\"b\\\" c\" # x\n}\n").unwrap();
        let texts: Vec<&str> = t.iter().map(|t| t.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "a.example,",
                "b.example",
                "{",
                "header",
                "X",
                "a \"b\" c",
                "}"
            ]
        );
        assert_eq!(t[0].at, Location { line: 2, column: 1 });
        assert_eq!(
            t[5].at,
            Location {
                line: 3,
                column: 11
            }
        );
        assert!(tokenize("a \"open\n").is_err());
    }

    const SEED_CDN: &str = "{\n\temail x@example.com\n}\n(sec) {\n\theader X-Frame-Options DENY\n}\n# CDN\ncdn.banatie.app {\n    reverse_proxy banatie-minio:9000\n    import sec\n    header /banatie/* {\n        Cache-Control \"public, max-age=31536000, immutable\"\n    }\n    log {\n        output file /opt/banatie/logs/cdn-access.log {\n            roll_size 50MiB\n            roll_keep 10\n        }\n        format json\n    }\n}\n";

    #[test]
    fn reads_a_site() {
        let blocks = parse(SEED_CDN).unwrap();
        assert_eq!(blocks.len(), 3);
        let s = sites(&blocks);
        assert_eq!(s.len(), 1);
        let s = &s[0];
        assert_eq!(s.domains, ["cdn.banatie.app"]);
        assert_eq!(s.at, Location { line: 8, column: 1 });
        assert_eq!(s.proxies[0].upstreams, ["banatie-minio:9000"]);
        assert_eq!(s.proxies[0].methods.as_list(), None);
        assert_eq!(s.headers.len(), 2);
        assert_eq!(s.headers[1].0.as_deref(), Some("/banatie/*"));
        let log = s.log.as_ref().unwrap();
        assert_eq!(
            log.file.as_deref(),
            Some("/opt/banatie/logs/cdn-access.log")
        );
        assert_eq!(log.roll_keep.as_deref(), Some("10"));
    }

    #[test]
    fn method_restrictions() {
        for (text, expect) in [
            ("a.example {\n\t@w not method GET HEAD OPTIONS\n\trespond @w 405\n\treverse_proxy s:9000\n}\n", Some(vec!["GET", "HEAD", "OPTIONS"])),
            ("a.example {\n\t@r method GET HEAD\n\treverse_proxy @r s:9000\n}\n", Some(vec!["GET", "HEAD"])),
            ("a.example {\n\t@r {\n\t\tmethod GET\n\t}\n\thandle @r {\n\t\treverse_proxy s:9000\n\t}\n}\n", Some(vec!["GET"])),
            ("a.example {\n\t@w method POST\n\terror @w 403\n\treverse_proxy s:9000\n}\n", None),
            ("a.example\nreverse_proxy s:9000\n", None),
        ] {
            let s = sites(&parse(text).unwrap());
            let got = s[0].proxies[0].methods.as_list();
            let want = expect.map(|v| v.into_iter().map(String::from).collect::<Vec<_>>());
            assert_eq!(got, want, "{text}");
        }
    }

    #[test]
    fn unbalanced_braces_are_errors() {
        assert!(parse("a.example {\n\treverse_proxy x\n").is_err());
        assert!(parse("}\n").is_err());
    }
}
