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

use super::caddy_tables::Body::{self, Any, Matchers, No, Routes, Subs};
use super::caddy_tables::{Sub, GLOBAL, HEADER, MANY, MATCHER_TYPES, PROXY, SITE};
pub use crate::rules::sites::{CODE_CADDY_ARGUMENTS, CODE_CADDY_MATCHER, CODE_CADDY_PLACEMENT};

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
