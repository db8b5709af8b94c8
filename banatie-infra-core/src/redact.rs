//! Redaction: the one function that hides secret values in everything the tool shows.
//!
//! Every snippet, message, help line and JSON field of a [`crate::diagnostic::Diagnostic`]
//! goes through [`redact`] when it is printed ([`crate::diagnostic::render_human`],
//! [`crate::diagnostic::render_json`]); the CLI passes its own error lines through
//! [`terminal`]. A value is replaced by [`MARKER`] (fixed, so its length is not shown)
//! when:
//!
//! - it sits in a secret's place, whatever the variable is called ([`secret_spans`]): the
//!   value of an assignment whose name [`looks_secret`] (`KEY=v`, `export KEY=v`,
//!   `KEY: v`, `"KEY": "v"`, `KEY = "v"`, `--password=v`, `?token=v`), every value of a
//!   secrets file ([`is_secret_file`]), a URL's password (`scheme://user:PASS@host`),
//!   SQL's `PASSWORD '...'` (also `ENCRYPTED PASSWORD`, `E'...'`, `$$...$$`, MySQL's
//!   `IDENTIFIED BY '...'`), `-u user:PASS` / `--user user:PASS` of curl and wget, an
//!   option named like a secret followed by its value (`--password v`), `-pPASS` of
//!   mysql and `-p PASS` of sshpass, `-a PASS` of redis-cli, `Authorization:`,
//!   `Proxy-Authorization:`, `Cookie:` header values, and `mc alias set NAME URL ACCESS
//!   SECRET` (also `mc config host add`). Values of any length are hidden; an empty value
//!   or one that only names a variable (`$NAME`, `${NAME}`) is shown as it is, since it
//!   holds nothing;
//! - or it equals a secret value read in this run ([`register`]): the values of secrets
//!   files, of secret-looking variables in any env file or spec, and values found in a
//!   secret's place. Registered values of at least [`MIN_REGISTERED`] characters are
//!   replaced wherever they occur, on any line of any output.
//!
//! The registered set is per thread (a run of the CLI is one thread); [`clear`] empties it.
//!
//! Terminal control characters of echoed input (C0 but newline and tab, DEL, C1, and the
//! Unicode bidirectional controls that reorder what a reader sees) are escaped by
//! [`escape_controls`] as `\u{1b}`, in the Rust notation.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::BTreeSet;
use std::ops::Range;

/// What replaces a secret value.
pub const MARKER: &str = "<redacted>";

/// The shortest registered value that is replaced wherever it occurs; shorter ones (a
/// 3-character password) are still hidden in a secret's place, but matching them in any
/// text would hide ordinary words.
pub const MIN_REGISTERED: usize = 4;

#[derive(Default)]
struct Registry {
    values: BTreeSet<String>,
    files: BTreeSet<String>,
    matcher: Option<aho_corasick::AhoCorasick>,
}

impl Registry {
    fn matcher(&mut self) -> Option<&aho_corasick::AhoCorasick> {
        if self.values.is_empty() {
            return None;
        }
        if self.matcher.is_none() {
            let ac = aho_corasick::AhoCorasick::builder()
                .match_kind(aho_corasick::MatchKind::LeftmostLongest)
                .build(self.values.iter())
                .ok()?;
            self.matcher = Some(ac);
        }
        self.matcher.as_ref()
    }
}

thread_local! {
    static REGISTRY: RefCell<Registry> = RefCell::new(Registry::default());
}

/// Registers a secret value read in this run, so that it is redacted wherever it shows
/// up. Values shorter than [`MIN_REGISTERED`] characters, placeholders
/// ([`crate::validate::is_placeholder`]) and values that only reference a variable are
/// ignored. Multi-line values register each line.
pub fn register(value: &str) {
    for v in value.split('\n') {
        let v = v.trim_end_matches('\r');
        if v.chars().count() < MIN_REGISTERED
            || only_reference(v)
            || v == MARKER
            || crate::validate::is_placeholder(v)
        {
            continue;
        }
        REGISTRY.with(|r| {
            let mut r = r.borrow_mut();
            if r.values.insert(v.to_owned()) {
                r.matcher = None;
            }
        });
    }
}

/// Registers a file (by the name it is shown under) whose every value is secret, in
/// addition to the files [`is_secret_file`] recognises by name.
pub fn register_file(name: &str) {
    REGISTRY.with(|r| r.borrow_mut().files.insert(name.to_owned()));
}

/// Forgets every registered value and file (for a long-lived process between runs).
pub fn clear() {
    REGISTRY.with(|r| *r.borrow_mut() = Registry::default());
}

/// Whether a file, by the name it is shown under, holds only secrets: its base name
/// contains `secret`, `credential` or `password` (`secrets.env`, `db-credentials.env`), or
/// it was registered with [`register_file`].
pub fn is_secret_file(name: &str) -> bool {
    let base = name.rsplit('/').next().unwrap_or(name).to_ascii_lowercase();
    base.contains("secret")
        || base.contains("credential")
        || base.contains("password")
        || REGISTRY.with(|r| r.borrow().files.contains(name))
}

/// The words of a variable name, upper case: split at `_`, `-`, `.` and other
/// punctuation, and at camel-case boundaries (`apiKey` → `API`, `KEY`; `APIKey` → `API`,
/// `KEY`).
fn words(name: &str) -> Vec<String> {
    let chars: Vec<char> = name.chars().collect();
    let mut out = Vec::new();
    let mut cur = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_ascii_alphanumeric() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            continue;
        }
        if c.is_ascii_uppercase() && !cur.is_empty() {
            let prev = chars[i - 1];
            let next_lower = chars.get(i + 1).is_some_and(char::is_ascii_lowercase);
            if prev.is_ascii_lowercase()
                || prev.is_ascii_digit()
                || (prev.is_ascii_uppercase() && next_lower)
            {
                out.push(std::mem::take(&mut cur));
            }
        }
        cur.push(c.to_ascii_uppercase());
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Whether a variable (or option, header, query parameter) name says its value is a
/// secret. Case and separators do not matter (`DB_PASSWORD`, `dbPassword`, `db-password`).
///
/// Secret: a name that contains `PASSWORD`, `PASSWD`, `PASSPHRASE`, `SECRET`, `TOKEN`,
/// `PRIVATE`, `CREDENTIAL` or `APIKEY`; or whose last word is `KEY`/`KEYS` (not after
/// `PUBLIC`), `PASS`, `PWD`, `PW`, `AUTH`, `AUTHORIZATION`, `COOKIE(S)`, `SESSION`, `DSN`,
/// `SALT`, `CREDS`, `SIGNATURE`; or that ends in `KEY_ID`, `CONNECTION_STRING` or
/// `CONN_STR`. Not secret: `PUBLIC_KEY`, `AUTH_URL`, `SESSION_TIMEOUT`, `COOKIE_DOMAIN`,
/// `PASSENGER_APP_ENV`, `KEYCLOAK_URL`. Shared by validation (BI201), the audit and the
/// import.
///
/// ```
/// use banatie_infra_core::redact::looks_secret;
/// assert!(looks_secret("JWT_SECRET") && looks_secret("apiKey") && looks_secret("AWS_ACCESS_KEY_ID"));
/// assert!(!looks_secret("STRIPE_PUBLIC_KEY") && !looks_secret("AUTH_URL"));
/// ```
pub fn looks_secret(name: &str) -> bool {
    let up = name.to_ascii_uppercase();
    const ANYWHERE: &[&str] = &[
        "PASSWORD",
        "PASSWD",
        "PASSPHRASE",
        "SECRET",
        "TOKEN",
        "PRIVATE",
        "CREDENTIAL",
        "APIKEY",
    ];
    if ANYWHERE.iter().any(|w| up.contains(w)) {
        return true;
    }
    let w = words(name);
    let Some(last) = w.last().map(String::as_str) else {
        return false;
    };
    let public = w.iter().any(|x| x == "PUBLIC");
    let tail2 = |a: &str, b: &str| w.len() >= 2 && w[w.len() - 2] == a && last == b;
    match last {
        "KEY" | "KEYS" => !public,
        "PASS" | "PWD" | "PW" | "AUTH" | "AUTHORIZATION" | "COOKIE" | "COOKIES" | "SESSION"
        | "DSN" | "SALT" | "CREDS" | "SIGNATURE" => true,
        _ => {
            (tail2("KEY", "ID") && !public) || tail2("CONNECTION", "STRING") || tail2("CONN", "STR")
        }
    }
}

/// Whether `v` holds nothing but a variable reference (`$NAME`, `${NAME}`), or a command
/// substitution (`$(...)`, `` `...` ``): showing it reveals no value.
fn only_reference(v: &str) -> bool {
    let name_ok =
        |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if let Some(inner) = v.strip_prefix("${").and_then(|s| s.strip_suffix('}')) {
        return name_ok(inner);
    }
    if let Some(inner) = v.strip_prefix('$') {
        return name_ok(inner) || (inner.starts_with('(') && v.ends_with(')'));
    }
    v.len() >= 2 && v.starts_with('`') && v.ends_with('`')
}

fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Pushes `r` (byte range into `line`) unless it is empty or holds only a reference.
fn push_value(out: &mut Vec<Range<usize>>, line: &str, r: Range<usize>) {
    if r.start < r.end && r.end <= line.len() && !only_reference(&line[r.clone()]) {
        out.push(r);
    }
}

/// The end of a quoted text starting after the opening `q` at `from`: the index of the
/// closing quote (a `\` escapes in `"`; SQL's doubled `''` stays inside), or the line's end.
fn quoted_end(line: &str, from: usize, q: u8) -> usize {
    let b = line.as_bytes();
    let mut i = from;
    while i < b.len() {
        if q == b'"' && b[i] == b'\\' {
            i += 2;
            continue;
        }
        if b[i] == q {
            if q == b'\'' && b.get(i + 1) == Some(&b'\'') {
                i += 2;
                continue;
            }
            return i;
        }
        i += 1;
    }
    b.len()
}

/// The value at `at`: quoted (its content) or bare (until a delimiter; to the line's end,
/// before a ` #` comment, when `to_end`).
fn value_at(line: &str, at: usize, to_end: bool) -> Option<Range<usize>> {
    value_after(line, at, to_end, false)
}

/// [`value_at`]; after a YAML `:`, a flow collection, block scalar, anchor, alias or
/// comment is not a value.
fn value_after(line: &str, at: usize, to_end: bool, yaml: bool) -> Option<Range<usize>> {
    let b = line.as_bytes();
    let q = *b.get(at)?;
    if q == b'"' || q == b'\'' {
        return Some(at + 1..quoted_end(line, at + 1, q));
    }
    if yaml && matches!(q, b'{' | b'[' | b'|' | b'>' | b'#') {
        return None;
    }
    let mut end = at;
    while end < b.len() {
        let c = b[end];
        if to_end {
            if c == b'#' && end > at && b[end - 1].is_ascii_whitespace() {
                break;
            }
        } else if c.is_ascii_whitespace()
            || matches!(
                c,
                b'&' | b';' | b',' | b')' | b'}' | b']' | b'"' | b'\'' | b'`' | b'|' | b'<' | b'>'
            )
        {
            break;
        }
        end += 1;
    }
    while end > at && b[end - 1].is_ascii_whitespace() {
        end -= 1;
    }
    Some(at..end)
}

fn skip_blank(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && (b[i] == b' ' || b[i] == b'\t') {
        i += 1;
    }
    i
}

/// Whether only indentation, `export `, a YAML list dash, a diff's `+`/`-` or a quote
/// precede byte `at` on the line.
fn at_line_start(line: &str, at: usize) -> bool {
    let head = line[..at].trim_start();
    let head = head.strip_prefix(['+', '-']).unwrap_or(head).trim_start();
    let head = head.strip_prefix("export ").unwrap_or(head).trim_start();
    head.is_empty() || head == "\"" || head == "'"
}

/// An assignment on `line` starting at the identifier `start..end`: the separator (`=`
/// or `:` then a blank or quote) and the value's range.
fn assignment_value(line: &str, start: usize, end: usize) -> Option<Range<usize>> {
    let b = line.as_bytes();
    let mut i = end;
    // A quoted key: `"KEY": "v"`.
    if start > 0 && matches!(b[start - 1], b'"' | b'\'') && b.get(i) == Some(&b[start - 1]) {
        i += 1;
    }
    i = skip_blank(b, i);
    let yaml = b.get(i) == Some(&b':');
    match b.get(i)? {
        b'=' => i += 1,
        // `path/secrets.env: message` is a path, not a YAML key.
        b':' if b
            .get(i + 1)
            .is_none_or(|c| matches!(c, b' ' | b'\t' | b'"' | b'\''))
            && !line[start..end].contains('.')
            && (start == 0 || b[start - 1] != b'/') =>
        {
            i += 1
        }
        _ => return None,
    }
    let v = skip_blank(b, i);
    value_after(line, v, at_line_start(line, start), yaml)
}

/// Secret values given by assignments to secret-looking names.
fn assignments(line: &str, all: bool, out: &mut Vec<Range<usize>>) {
    let b = line.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let starts =
            (b[i].is_ascii_alphabetic() || b[i] == b'_') && (i == 0 || !is_ident_byte(b[i - 1]));
        if !starts {
            i += 1;
            continue;
        }
        let mut end = i;
        while end < b.len() && (is_ident_byte(b[end]) || matches!(b[end], b'-' | b'.')) {
            end += 1;
        }
        while end > i && matches!(b[end - 1], b'-' | b'.') {
            end -= 1;
        }
        let name = &line[i..end];
        let up = name.to_ascii_uppercase();
        if up.ends_with("AUTHORIZATION") || up == "COOKIE" {
            i = end; // a header: [`keywords`] shows its scheme and hides the rest
            continue;
        }
        let whole = all && at_line_start(line, i);
        if whole || looks_secret(name) {
            if let Some(r) = assignment_value(line, i, end) {
                push_value(out, line, r.clone());
                i = r.end.max(end);
                continue;
            }
        }
        i = end;
    }
}

/// A URL's password: `scheme://user:PASS@host`, also when PASS holds an unencoded `/`.
fn url_passwords(line: &str, out: &mut Vec<Range<usize>>) {
    let b = line.as_bytes();
    for (at, _) in line.match_indices("://") {
        let start = at + 3;
        let mut end = start;
        while end < b.len()
            && !b[end].is_ascii_whitespace()
            && !matches!(b[end], b'"' | b'\'' | b'`' | b'<' | b'>')
        {
            end += 1;
        }
        let tok = &line[start..end];
        let auth_end = tok.find(['/', '?', '#']).unwrap_or(tok.len());
        let userinfo = match tok[..auth_end].rfind('@') {
            Some(a) => &tok[..a],
            None => match tok.rfind('@') {
                Some(a) if !tok[..a].contains(['?', '#']) && tok[..auth_end].contains(':') => {
                    &tok[..a]
                }
                _ => continue,
            },
        };
        if let Some(colon) = userinfo.find(':') {
            push_value(out, line, start + colon + 1..start + userinfo.len());
        }
    }
}

/// Whether `word` (ASCII, upper case) occurs at byte `i` of the upper-cased line as a
/// whole word.
fn word_at(up: &[u8], i: usize, word: &[u8]) -> bool {
    up[i..].starts_with(word)
        && (i == 0 || !is_ident_byte(up[i - 1]))
        && up.get(i + word.len()).is_none_or(|c| !is_ident_byte(*c))
}

/// SQL: `PASSWORD 'v'`, `PASSWORD "v"`, `PASSWORD E'v'`, `PASSWORD $$v$$`,
/// `IDENTIFIED BY 'v'`; and headers: `Authorization: v`, `Proxy-Authorization: v`,
/// `Cookie: v`, `Authorization "v"` (a Caddyfile's `header_up`).
fn keywords(line: &str, out: &mut Vec<Range<usize>>) {
    let up = line.to_ascii_uppercase();
    let u = up.as_bytes();
    for i in 0..u.len() {
        for (word, header) in [
            (&b"PASSWORD"[..], false),
            (b"IDENTIFIED BY", false),
            (b"AUTHORIZATION", true),
            (b"COOKIE", true),
        ] {
            if !word_at(u, i, word) {
                continue;
            }
            let mut j = i + word.len();
            if header && matches!(u.get(j), Some(b'"' | b'\'')) {
                j += 1;
            }
            j = skip_blank(u, j);
            if header && matches!(u.get(j), Some(b':' | b'=')) {
                j = skip_blank(u, j + 1);
            } else if j == i + word.len() && !header {
                continue; // SQL needs a blank before the literal
            }
            match u.get(j) {
                Some(b'E') if !header && u.get(j + 1) == Some(&b'\'') => {
                    push_value(out, line, j + 2..quoted_end(line, j + 2, b'\''));
                }
                Some(q @ (b'\'' | b'"')) => {
                    push_value(out, line, j + 1..quoted_end(line, j + 1, *q));
                }
                Some(b'$') if !header => {
                    if let Some(close) = line[j + 1..].find('$') {
                        let tag = &line[j..j + close + 2];
                        let body = j + tag.len();
                        let end = line[body..].find(tag).map_or(line.len(), |e| body + e);
                        push_value(out, line, body..end);
                    }
                }
                Some(_) if header && j > i + word.len() => {
                    // Inside `'Authorization: ...'` the value ends at that quote.
                    let quote = line[..i]
                        .bytes()
                        .next_back()
                        .filter(|q| matches!(q, b'"' | b'\''));
                    let end = match quote {
                        Some(q) => quoted_end(line, j, q),
                        None => line.trim_end().len(),
                    };
                    // The scheme (`Bearer`, `Basic`) says nothing secret.
                    let mut v = j;
                    for scheme in ["BEARER ", "BASIC ", "DIGEST ", "TOKEN ", "APIKEY "] {
                        if up[j..].starts_with(scheme) {
                            v = skip_blank(u, j + scheme.len());
                        }
                    }
                    push_value(out, line, v..end.max(v));
                }
                _ => {}
            }
        }
    }
}

/// One whitespace-separated word of a line: its range, and its text without the quotes,
/// brackets and commas of a YAML or JSON list (`["CMD", "curl", "-u", "a:b"]`).
struct Tok<'a> {
    inner: Range<usize>,
    text: &'a str,
}

fn tokens(line: &str) -> Vec<Tok<'_>> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in line.char_indices().chain([(line.len(), ' ')]) {
        if c.is_whitespace() {
            if let Some(s) = start.take() {
                let raw = &line[s..i];
                let open: &[char] = &['"', '\'', '[', '(', '`'];
                let unsub = raw.strip_prefix("$(").unwrap_or(raw);
                let body = unsub.trim_start_matches(open);
                let lead = raw.len() - body.len();
                let trimmed = body.trim_end_matches(['"', '\'', ']', ',', ')', ';', '`']);
                let inner = s + lead..s + lead + trimmed.len();
                out.push(Tok {
                    text: &line[inner.clone()],
                    inner,
                });
            }
        } else if start.is_none() {
            start = Some(i);
        }
    }
    out
}

/// Options of commands that take a secret: `-u user:PASS` (curl, wget), `--name VALUE`
/// for a secret-looking option name, `-pPASS` (mysql family), `-p PASS` (sshpass,
/// mongosh), `-a PASS` (redis-cli), `mc alias set NAME URL ACCESS SECRET`.
fn options(line: &str, out: &mut Vec<Range<usize>>) {
    let toks = tokens(line);
    let mut cmd = "";
    for (k, t) in toks.iter().enumerate() {
        let text = t.text;
        if matches!(text, "&&" | "||" | "|" | ";" | "") {
            cmd = "";
            continue;
        }
        let base = text.rsplit('/').next().unwrap_or(text);
        if matches!(
            base,
            "curl"
                | "wget"
                | "mysql"
                | "mysqldump"
                | "mysqladmin"
                | "mariadb"
                | "mariadb-dump"
                | "sshpass"
                | "redis-cli"
                | "mc"
                | "mongosh"
                | "mongo"
                | "docker"
        ) {
            cmd = base;
            if cmd == "mc" {
                let arg = |n: usize| toks.get(k + n).map(|t| t.text);
                let at = match (arg(1), arg(2)) {
                    (Some("alias"), Some("set")) => Some(3),
                    (Some("config"), Some("host")) if arg(3) == Some("add") => Some(4),
                    _ => None,
                };
                if let Some(at) = at {
                    for n in [at + 2, at + 3] {
                        if let Some(v) = toks.get(k + n) {
                            push_value(out, line, v.inner.clone());
                        }
                    }
                }
            }
            continue;
        }
        let next = toks.get(k + 1);
        let user_opt = matches!(text, "-u" | "--user" | "-U" | "--proxy-user")
            && matches!(cmd, "curl" | "wget");
        if user_opt {
            if let Some(n) = next {
                if let Some(c) = n.text.find(':') {
                    push_value(out, line, n.inner.start + c + 1..n.inner.end);
                }
            }
            continue;
        }
        if cmd == "curl" {
            if let Some(rest) = text
                .strip_prefix("-u")
                .filter(|r| !r.is_empty() && !r.starts_with('='))
            {
                if let Some(c) = rest.find(':') {
                    push_value(out, line, t.inner.start + 2 + c + 1..t.inner.end);
                }
                continue;
            }
        }
        let short_pw = match cmd {
            "sshpass" | "mongosh" | "mongo" => text == "-p",
            "redis-cli" => text == "-a",
            "docker" => text == "-p" && toks.iter().any(|t| t.text == "login"),
            _ => false,
        };
        if short_pw {
            if let Some(n) = next {
                push_value(out, line, n.inner.clone());
            }
            continue;
        }
        if matches!(
            cmd,
            "mysql" | "mysqldump" | "mysqladmin" | "mariadb" | "mariadb-dump"
        ) && text.starts_with("-p")
            && text.len() > 2
        {
            push_value(out, line, t.inner.start + 2..t.inner.end);
            continue;
        }
        if let Some(name) = text.strip_prefix("--").filter(|n| !n.contains('=')) {
            if looks_secret(name) {
                // The option takes a value, even one that starts with `-`.
                if let Some(n) = next {
                    push_value(out, line, n.inner.clone());
                }
            }
        }
    }
}

/// The byte ranges of `line` (one line, no newline) that hold a secret by their place,
/// sorted and merged. `all_values`: the line is in a secrets file, so the value of an
/// assignment at the line's start is secret whatever its name.
///
/// ```
/// use banatie_infra_core::redact::secret_spans;
/// let line = "env PGPASSWORD=abc psql postgres://u:pw@db/app";
/// let shown: Vec<&str> = secret_spans(line, false).into_iter().map(|r| &line[r]).collect();
/// assert_eq!(shown, ["abc", "pw"]);
/// ```
pub fn secret_spans(line: &str, all_values: bool) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    assignments(line, all_values, &mut out);
    url_passwords(line, &mut out);
    keywords(line, &mut out);
    options(line, &mut out);
    merge(out)
}

fn merge(mut v: Vec<Range<usize>>) -> Vec<Range<usize>> {
    v.sort_by_key(|r| (r.start, std::cmp::Reverse(r.end)));
    let mut out: Vec<Range<usize>> = Vec::new();
    for r in v {
        match out.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => out.push(r),
        }
    }
    out
}

/// The ranges of registered values in `line`.
fn registered_spans(line: &str) -> Vec<Range<usize>> {
    REGISTRY.with(|r| {
        let mut r = r.borrow_mut();
        match r.matcher() {
            Some(ac) => ac.find_iter(line).map(|m| m.range()).collect(),
            None => Vec::new(),
        }
    })
}

/// How a character of echoed input is shown when it is a terminal control: `\u{1b}`.
fn control_escape(c: char) -> Option<String> {
    let control = (c.is_control() && c != '\n' && c != '\t')
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{061c}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
    control.then(|| format!("\\u{{{:x}}}", c as u32))
}

/// Escapes terminal control characters (see the module docs); other text is unchanged.
///
/// ```
/// use banatie_infra_core::redact::escape_controls;
/// assert_eq!(escape_controls("a\x1b[31mb\n"), "a\\u{1b}[31mb\n");
/// ```
pub fn escape_controls(text: &str) -> Cow<'_, str> {
    if !text.chars().any(|c| control_escape(c).is_some()) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match control_escape(c) {
            Some(e) => out.push_str(&e),
            None => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// One change to a shown line: characters `start..end` (0-based, in characters) of the
/// input became `len` characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Edit {
    start: usize,
    end: usize,
    len: usize,
}

/// A line as shown: redacted, and with controls escaped when `escape`.
fn show_line(line: &str, spans: &[Range<usize>], escape: bool) -> (String, Vec<Edit>) {
    let mut out = String::with_capacity(line.len());
    let mut edits = Vec::new();
    let mut spans = spans.iter().peekable();
    let mut col = 0;
    let mut iter = line.char_indices().peekable();
    while let Some((i, c)) = iter.next() {
        if let Some(r) = spans.peek().filter(|r| r.start <= i).cloned() {
            spans.next();
            let mut end_col = col + 1;
            while let Some(&(j, _)) = iter.peek() {
                if j >= r.end {
                    break;
                }
                iter.next();
                end_col += 1;
            }
            out.push_str(MARKER);
            edits.push(Edit {
                start: col,
                end: end_col,
                len: MARKER.len(),
            });
            col = end_col;
            continue;
        }
        match control_escape(c).filter(|_| escape) {
            Some(e) => {
                edits.push(Edit {
                    start: col,
                    end: col + 1,
                    len: e.chars().count(),
                });
                out.push_str(&e);
            }
            None => out.push(c),
        }
        col += 1;
    }
    (out, edits)
}

/// The quote of a secret assignment's value left open at the end of `line` (it goes on
/// on the next lines, as env files and YAML allow).
fn open_quote(line: &str, spans: &[Range<usize>]) -> Option<u8> {
    let last = spans.last()?;
    let q = *line.as_bytes().get(last.start.checked_sub(1)?)?;
    let assigned = line[..last.start - 1].trim_end().ends_with(['=', ':']);
    (matches!(q, b'"' | b'\'') && assigned && last.end == line.len()).then_some(q)
}

/// Whether a line of an env file is blank, a comment, or starts with a variable name
/// followed by nothing, `=` or `:`.
fn env_shaped(line: &str) -> bool {
    let t = line.trim_start();
    if t.is_empty() || t.starts_with('#') {
        return true;
    }
    let t = t.strip_prefix("export ").map_or(t, str::trim_start);
    let key_len = t
        .bytes()
        .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
        .count();
    let rest = t[key_len..].trim_start();
    key_len > 0 && (rest.is_empty() || rest.starts_with(['=', ':']))
}

/// Whether `line` opens a YAML block scalar (`KEY: |`, `KEY: >-`) whose key looks secret
/// (or any key, in a secrets file): its more-indented lines are the value.
fn secret_block(line: &str, all: bool) -> bool {
    let t = line.trim_start();
    let t = t.strip_prefix("- ").unwrap_or(t).trim_start();
    let t = t.trim_start_matches(['"', '\'']);
    let Some((key, rest)) = t.split_once(':') else {
        return false;
    };
    let key = key.trim_end_matches(['"', '\'']);
    let rest = rest.split(" #").next().unwrap_or("").trim();
    let indicator = rest.starts_with(['|', '>'])
        && rest[1..]
            .chars()
            .all(|c| matches!(c, '-' | '+' | '1'..='9'));
    indicator && (all || looks_secret(key))
}

/// Text as shown, with a map from input columns to shown columns.
pub(crate) struct Shown {
    /// The text, redacted (and escaped, when asked).
    pub(crate) text: String,
    edits: Vec<(usize, Vec<Edit>)>,
}

impl Shown {
    /// The shown 1-based column of input column `col` on 1-based `line` (a column inside
    /// a redacted value points at the marker).
    pub(crate) fn column(&self, line: usize, col: usize) -> usize {
        let Ok(k) = self.edits.binary_search_by_key(&line, |e| e.0) else {
            return col;
        };
        let c0 = col.saturating_sub(1);
        let mut shift: isize = 0;
        for e in &self.edits[k].1 {
            if c0 >= e.end {
                shift += e.len as isize - (e.end - e.start) as isize;
            } else if c0 >= e.start {
                return (e.start as isize + shift) as usize + 1;
            } else {
                break;
            }
        }
        (c0 as isize + shift) as usize + 1
    }
}

/// `text` (a file shown under `name`, or any output) with every secret value replaced and,
/// when `escape`, terminal controls escaped; line by line, so a value quoted across lines
/// in a secret assignment is hidden on each of its lines.
pub(crate) fn show(name: &str, text: &str, escape: bool) -> Shown {
    let all = is_secret_file(name);
    let mut out = String::with_capacity(text.len());
    let mut edits = Vec::new();
    let mut open: Option<u8> = None;
    let mut block: Option<usize> = None;
    for (n, piece) in text.split_inclusive('\n').enumerate() {
        let body = piece.strip_suffix('\n').unwrap_or(piece);
        let body = body.strip_suffix('\r').unwrap_or(body);
        let mut spans = Vec::new();
        let indent = body.len() - body.trim_start().len();
        if let Some(key_indent) = block {
            if body.trim().is_empty() || indent > key_indent {
                spans.push(indent..body.trim_end().len().max(indent));
            } else {
                block = None;
            }
        }
        if block.is_some() {
            // Inside a secret block scalar: the whole line is the value.
        } else if let Some(q) = open {
            let end = body.bytes().position(|b| b == q);
            spans.push(0..end.unwrap_or(body.len()));
            if end.is_some() {
                open = None;
            }
        } else {
            spans = secret_spans(body, all);
            if all && spans.is_empty() && !env_shaped(body) {
                // A line of a secrets file that is not `KEY=value` may be a value.
                let t = body.trim();
                let lead = body.len() - body.trim_start().len();
                spans.push(lead..lead + t.len());
            }
            open = open_quote(body, &spans);
            if secret_block(body, all) {
                block = Some(indent);
            }
        }
        // A value in a secret's place is a secret wherever else it shows up.
        for r in &spans {
            register(&body[r.clone()]);
        }
        spans.extend(registered_spans(body));
        let spans = merge(spans.into_iter().filter(|r| r.start < r.end).collect());
        let (shown, e) = show_line(body, &spans, escape);
        out.push_str(&shown);
        out.push_str(&piece[body.len()..]);
        if !e.is_empty() {
            edits.push((n + 1, e));
        }
    }
    Shown { text: out, edits }
}

/// [`redact`] for a message about file `name`: in a secrets file's message every
/// assignment's value is secret, as in the file.
pub(crate) fn redact_about(name: &str, text: &str, escape: bool) -> String {
    let all = is_secret_file(name);
    if !all {
        return show("", text, escape).text;
    }
    // Each line of the message as a line of the file (but not wholly hidden).
    let mut out = String::new();
    for piece in text.split_inclusive('\n') {
        let body = piece.trim_end_matches('\n');
        let mut spans = secret_spans(body, false);
        for (at, _) in body.match_indices(['=', ':']) {
            let head = &body[..at];
            let key_start = head
                .rfind(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')))
                .map_or(0, |i| i + 1);
            if key_start < at {
                let v = skip_blank(body.as_bytes(), at + 1);
                if let Some(r) = value_at(body, v, false) {
                    push_value(&mut spans, body, r);
                }
            }
        }
        spans.extend(registered_spans(body));
        let spans = merge(spans.into_iter().filter(|r| r.start < r.end).collect());
        out.push_str(&show_line(body, &spans, escape).0);
        out.push_str(&piece[body.len()..]);
    }
    out
}

/// `text` with every secret value replaced by [`MARKER`] (see the module docs).
///
/// ```
/// use banatie_infra_core::redact::redact;
/// assert_eq!(redact("curl -u admin:hunter2 http://x"), "curl -u admin:<redacted> http://x");
/// ```
pub fn redact(text: &str) -> String {
    show("", text, false).text
}

/// [`redact`], then [`escape_controls`]: for any text printed to a terminal.
pub fn terminal(text: &str) -> String {
    show("", text, true).text
}
