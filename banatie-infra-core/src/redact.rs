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
//!   SECRET` (also `mc config host add`), credential formats known by their prefix
//!   (`ghp_`, `glpat-`, `xoxb-`, `sk_live_`, `AIza`, `AKIA`), the lines of a PEM private
//!   key, and every line of a value quoted over several lines or of a YAML block scalar
//!   (`KEY: |`) of a secret-looking key. An assignment at the start of a line (an env
//!   file's) runs to the line's end, as Compose reads an unquoted value; in a command it
//!   ends at a blank. Values of any length are hidden; an empty value
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

mod places;
pub use places::secret_spans;
use places::{merge, only_reference, push_value, skip_blank, value_at};

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
/// ignored, and so are templates (`postgresql://u:${PW}@db`: the value they expand to is
/// registered on its own). Multi-line values register each line.
pub fn register(value: &str) {
    for v in value.split('\n') {
        let v = v.trim_end_matches('\r');
        if v.chars().count() < MIN_REGISTERED
            || only_reference(v)
            || v.contains("${")
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

/// Whether `text` holds a value registered in this run ([`register`]).
pub fn holds_registered(text: &str) -> bool {
    text.split('\n').any(|l| !registered_spans(l).is_empty())
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
/// `PRIVATE`, `CREDENTIAL`, `APIKEY` or `WEBHOOK` (a webhook URL is its own bearer
/// secret); or that has the word `KEY`/`KEYS` (not with `PUBLIC`); or whose last word is
/// `PASS`, `PWD`, `PW`, `AUTH`, `AUTHORIZATION`, `COOKIE(S)`, `SESSION`, `DSN`, `SALT`,
/// `CREDS`, `SIGNATURE`, `SK` (Stripe's secret key), `PAT` (a personal access token) or
/// `PRIV`; or that ends in `CONNECTION_STRING` or `CONN_STR`. Not secret: a name whose
/// last word says the value is about the secret, not the secret (`DIR`, `DIRECTORY`,
/// `PATH`, `FILE`, `FILENAME`, `LENGTH`, `LEN`, `TTL`, `TIMEOUT`, `ENABLED`,
/// `ALGORITHM`: `POSTGRES_PASSWORD_FILE`, `SECRETS_DIR`, `JWT_SECRET_LENGTH`), and
/// `PUBLIC_KEY`, `AUTH_URL`, `SESSION_TIMEOUT`, `COOKIE_DOMAIN`, `PASSENGER_APP_ENV`,
/// `KEYCLOAK_URL`. Shared by validation (BI201), the audit and the import.
///
/// ```
/// use banatie_infra_core::redact::looks_secret;
/// assert!(looks_secret("JWT_SECRET") && looks_secret("apiKey") && looks_secret("AWS_ACCESS_KEY_ID"));
/// assert!(!looks_secret("STRIPE_PUBLIC_KEY") && !looks_secret("AUTH_URL"));
/// ```
pub fn looks_secret(name: &str) -> bool {
    const ANYWHERE: &[&str] = &[
        "PASSWORD",
        "PASSWD",
        "PASSPHRASE",
        "SECRET",
        "TOKEN",
        "PRIVATE",
        "CREDENTIAL",
        "APIKEY",
        "REQUIREPASS",
        "MASTERAUTH",
        "WEBHOOK",
    ];
    const ABOUT_THE_SECRET: &[&str] = &[
        "DIR",
        "DIRECTORY",
        "PATH",
        "FILE",
        "FILENAME",
        "LENGTH",
        "LEN",
        "TTL",
        "TIMEOUT",
        "ENABLED",
        "ALGORITHM",
    ];
    let w = words(name);
    let Some(last) = w.last().map(String::as_str) else {
        return false;
    };
    if ABOUT_THE_SECRET.contains(&last) {
        return false;
    }
    let up = name.to_ascii_uppercase();
    if ANYWHERE.iter().any(|x| up.contains(x)) {
        return true;
    }
    let public = w.iter().any(|x| x == "PUBLIC");
    let tail2 = |a: &str, b: &str| w.len() >= 2 && w[w.len() - 2] == a && last == b;
    if !public && w.iter().any(|x| x == "KEY" || x == "KEYS") {
        return true;
    }
    matches!(
        last,
        "PASS"
            | "PWD"
            | "PW"
            | "AUTH"
            | "AUTHORIZATION"
            | "COOKIE"
            | "COOKIES"
            | "SESSION"
            | "DSN"
            | "SALT"
            | "CREDS"
            | "SIGNATURE"
            | "SK"
            | "PAT"
            | "PRIV"
    ) || tail2("CONNECTION", "STRING")
        || tail2("CONN", "STR")
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
    // First every value in a secret's place, registered, so that the registered set is
    // complete (and its matcher built once) before any line is shown.
    let mut open: Option<u8> = None;
    let mut block: Option<usize> = None;
    let mut pem = false;
    let mut placed: Vec<Vec<Range<usize>>> = Vec::new();
    let lines: Vec<(&str, &str)> = text
        .split_inclusive('\n')
        .map(|piece| {
            let body = piece.strip_suffix('\n').unwrap_or(piece);
            (body.strip_suffix('\r').unwrap_or(body), piece)
        })
        .collect();
    for (body, _) in &lines {
        let body = *body;
        let mut spans = Vec::new();
        let indent = body.len() - body.trim_start().len();
        if let Some(key_indent) = block {
            if body.trim().is_empty() || indent > key_indent {
                spans.push(indent..body.trim_end().len().max(indent));
            } else {
                block = None;
            }
        }
        if pem {
            if body.contains("-----END") {
                pem = false;
            } else {
                spans.push(indent..body.trim_end().len().max(indent));
            }
        }
        if body.contains("-----BEGIN") && body.contains("PRIVATE KEY-----") {
            pem = true; // its lines up to `-----END` are the key
        }
        if block.is_some() || pem {
            // Inside a secret block scalar or a private key: the whole line is secret.
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
                spans.push(indent..body.trim_end().len().max(indent));
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
        placed.push(spans);
    }
    let mut out = String::with_capacity(text.len());
    let mut edits = Vec::new();
    for (n, ((body, piece), mut spans)) in lines.into_iter().zip(placed).enumerate() {
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
/// assignment quoted from the file (inside backquotes, where every message of the crate
/// quotes file text: `` `KEY=value` ``) has a secret value, as in the file. The message's
/// own words are not assignments: "not percent-encoded: characters such as" keeps its
/// words. Values registered from the file are hidden wherever they occur.
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
        let quoted = backquoted(body);
        for (at, _) in body.match_indices(['=', ':']) {
            if !quoted.iter().any(|r| r.contains(&at)) {
                continue;
            }
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

/// The byte ranges of `line` between backquotes (an unclosed one runs to the end).
fn backquoted(line: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut open = None;
    for (i, _) in line.match_indices('`') {
        match open.take() {
            None => open = Some(i + 1),
            Some(start) => out.push(start..i),
        }
    }
    if let Some(start) = open {
        out.push(start..line.len());
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_about_a_secrets_file_keeps_its_own_words() {
        let m = "the password in `DATABASE_URL` is not percent-encoded: characters such as `/` end it; \
                 keep one definition: edit it; write `ADMIN_HASH='ab$c'` or `K: xy`";
        let shown = redact_about("secrets.env", m, false);
        assert!(
            shown.contains("percent-encoded: characters such"),
            "{shown}"
        );
        assert!(shown.contains("definition: edit it"), "{shown}");
        assert!(shown.contains("`ADMIN_HASH='<redacted>'`"), "{shown}");
        assert!(shown.contains("`K: <redacted>`"), "{shown}");
        assert!(!shown.contains("ab$c") && !shown.contains("xy`"), "{shown}");
    }

    #[test]
    fn carets_are_placed_on_the_shown_line() {
        let text = "A=1\nenv API_TOKEN=abcdef \u{1b}[1m NEXT=2\n";
        let s = show("f.sh", text, true);
        let line = s.text.lines().nth(1).unwrap();
        assert_eq!(line, "env API_TOKEN=<redacted> \\u{1b}[1m NEXT=2");
        // `NEXT` is column 27 of the input line.
        let col = s.column(2, 27);
        assert_eq!(&line[col - 1..col + 3], "NEXT");
        // A column inside the value points at the marker; other lines are unchanged.
        assert_eq!(&line[s.column(2, 17) - 1..][..10], MARKER);
        assert_eq!(s.column(1, 3), 3);
    }
}
