//! Secret places: where on a line a value is secret whatever its variable is called
//! ([`secret_spans`]): assignments to secret-looking names, URL passwords, SQL and header
//! keywords, options of the commands that take a secret.

use std::ops::Range;

use super::looks_secret;

/// Whether `v` holds nothing but a variable reference (`$NAME`, `${NAME}`), or a command
/// substitution (`$(...)`, `` `...` ``): showing it reveals no value.
pub(super) fn only_reference(v: &str) -> bool {
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
pub(super) fn push_value(out: &mut Vec<Range<usize>>, line: &str, r: Range<usize>) {
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
pub(super) fn value_at(line: &str, at: usize, to_end: bool) -> Option<Range<usize>> {
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

pub(super) fn skip_blank(b: &[u8], mut i: usize) -> usize {
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
    // A `://` inside a token already read belongs to it: each byte is scanned once
    // (a line of `a://a://...` stays linear).
    let mut read_to = 0;
    for (at, _) in line.match_indices("://") {
        if at < read_to {
            continue;
        }
        let start = at + 3;
        let mut end = start;
        while end < b.len()
            && !b[end].is_ascii_whitespace()
            && !matches!(b[end], b'"' | b'\'' | b'`' | b'<' | b'>')
        {
            end += 1;
        }
        read_to = end;
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
    // Bytes up to here belong to a value already hidden: a keyword inside it is not
    // looked at again, so every search below starts after the previous value and the
    // pass stays linear (a line of `PASSWORD '` repeated, no closing quote).
    let mut hidden_to = 0;
    for i in 0..u.len() {
        if i < hidden_to || !matches!(u[i], b'P' | b'I' | b'A' | b'C') {
            continue;
        }
        let before = out.len();
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
        if let Some(r) = out[before..].iter().map(|r| r.end).max() {
            hidden_to = r.max(i + 1);
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

/// Well-known credential formats, found by their prefix wherever they are (a token pasted
/// as a URL's user, in a comment, in a command): GitHub (`ghp_`, `gho_`, `ghu_`, `ghs_`,
/// `ghr_`, `github_pat_`), GitLab (`glpat-`), Slack (`xoxb-`, `xoxp-`, `xoxa-`, `xoxs-`),
/// Stripe secret keys (`sk_live_`, `rk_live_`), Google API keys (`AIza` + 35), AWS
/// access key IDs (`AKIA`/`ASIA` + 16 upper-case letters and digits) and the body of a PEM
/// private key line.
fn token_shapes(line: &str, out: &mut Vec<Range<usize>>) {
    const PREFIXES: &[(&str, usize)] = &[
        ("ghp_", 20),
        ("gho_", 20),
        ("ghu_", 20),
        ("ghs_", 20),
        ("ghr_", 20),
        ("github_pat_", 20),
        ("glpat-", 16),
        ("xoxb-", 10),
        ("xoxp-", 10),
        ("xoxa-", 10),
        ("xoxs-", 10),
        ("sk_live_", 10),
        ("rk_live_", 10),
        ("AIza", 35),
        ("AKIA", 16),
        ("ASIA", 16),
    ];
    let b = line.as_bytes();
    for (prefix, min) in PREFIXES {
        for (at, _) in line.match_indices(prefix) {
            if at > 0 && is_ident_byte(b[at - 1]) {
                continue;
            }
            let start = at + prefix.len();
            let end = start
                + b[start..]
                    .iter()
                    .take_while(|c| is_ident_byte(**c) || **c == b'-')
                    .count();
            let upper = prefix.starts_with("AKIA") || prefix.starts_with("ASIA");
            let shaped = !upper
                || b[start..end]
                    .iter()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
            if end - start >= *min && shaped {
                out.push(at..end);
            }
        }
    }
    // A line of base64 inside `-----BEGIN ... PRIVATE KEY-----` cannot be told from
    // other base64 alone; the marker line itself is not secret. The block is hidden by
    // [`super::show`] when its first line is seen.
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
    token_shapes(line, &mut out);
    merge(out)
}

/// Sorts byte ranges and merges the ones that overlap or touch.
pub(super) fn merge(mut v: Vec<Range<usize>>) -> Vec<Range<usize>> {
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
