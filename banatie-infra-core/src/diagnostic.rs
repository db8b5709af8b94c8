//! Diagnostics: what every check of the project reports, and how it is printed.
//!
//! A [`Diagnostic`] has a stable [`Code`] (`BI1xx` spec structure, `BI2xx` security,
//! `BI3xx` compose semantics, `BI4xx` proxy and sites, `BI5xx` storage and database), a
//! [`Severity`], a JSON pointer into the spec (RFC 6901), a message, an optional help line
//! and, when the input has one, a source position. Errors stop rendering; warnings do not.

use std::fmt;

use serde::Serialize;

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing; does not stop rendering and does not change the exit code.
    Warning,
    /// The deployment would fail or be unsafe; stops rendering, exit code 1.
    Error,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Warning => "warning",
            Self::Error => "error",
        })
    }
}

/// A 1-based position in a source file: line 1 is the first line, column 1 the first
/// character (counted in Unicode scalar values, not bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Location {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
}

/// Where a finding is: a file (if the input came from one) and a position in it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Span {
    /// The file as the user named it (or `<input>` for text without a file).
    pub file: String,
    /// The position; `None` when the value was not written (a default) and no parent was.
    pub location: Option<Location>,
}

/// A stable diagnostic code. Codes never change meaning once released; see
/// [`crate::rules::all`] for the list with one-line descriptions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Code(pub &'static str);

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0)
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Diagnostic {
    /// The stable code, for example `BI301`.
    pub code: Code,
    /// Error or warning.
    pub severity: Severity,
    /// JSON pointer (RFC 6901) into the spec, for example `/services/banatie-api/port`;
    /// for hand-written files, the path in that file's own structure.
    pub pointer: String,
    /// What is wrong. Never contains a secret value.
    pub message: String,
    /// How to fix it, when there is a clear fix.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// The file and position, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub span: Option<Span>,
}

impl Diagnostic {
    /// An error at `pointer`.
    pub fn error(code: Code, pointer: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            code,
            severity: Severity::Error,
            pointer: pointer.into(),
            message: message.into(),
            help: None,
            span: None,
        }
    }

    /// A warning at `pointer`.
    pub fn warning(code: Code, pointer: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Warning,
            ..Self::error(code, pointer, message)
        }
    }

    /// Adds a help line.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Whether this is an error.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// This diagnostic as every output shows it: secret values in the message, the help
    /// line, the pointer and the file name replaced by [`crate::redact::MARKER`]
    /// ([`crate::redact`]; in a message about a secrets file every value is hidden).
    /// Terminal controls are kept as they are: JSON escapes them, and a terminal printer
    /// escapes them with [`crate::redact::terminal`]. The one redaction of a diagnostic for
    /// [`render_json`], the Python module and any other consumer of the fields.
    pub fn redacted(&self) -> Diagnostic {
        let about = self.span.as_ref().map_or("", |s| s.file.as_str());
        let text = |t: &str| crate::redact::redact_about(about, t, false);
        Diagnostic {
            message: text(&clip(&self.message)),
            help: self.help.as_deref().map(|h| text(&clip(h))),
            pointer: crate::redact::redact(&self.pointer),
            span: self.span.as_ref().map(|s| Span {
                file: crate::redact::redact(&s.file),
                location: s.location,
            }),
            ..self.clone()
        }
    }
}

/// Escapes one reference token of a JSON pointer (RFC 6901: `~` → `~0`, `/` → `~1`).
///
/// ```
/// assert_eq!(banatie_infra_core::diagnostic::escape_token("a/b~c"), "a~1b~0c");
/// ```
pub fn escape_token(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// Builds a JSON pointer from tokens, escaping each.
///
/// ```
/// use banatie_infra_core::diagnostic::pointer;
/// assert_eq!(pointer(&["services", "api", "port"]), "/services/api/port");
/// ```
pub fn pointer<S: AsRef<str>>(tokens: &[S]) -> String {
    let mut out = String::new();
    for t in tokens {
        push_token(&mut out, &t.as_ref());
    }
    out
}

/// Appends `/` and `token` (as it displays, escaped as [`escape_token`] does) to the
/// pointer being built, without allocating for tokens that need no escape.
pub(crate) fn push_token(pointer: &mut String, token: &dyn fmt::Display) {
    use fmt::Write as _;
    pointer.push('/');
    let start = pointer.len();
    let _ = write!(pointer, "{token}");
    if pointer[start..].contains(['~', '/']) {
        let raw = pointer.split_off(start);
        pointer.push_str(&escape_token(&raw));
    }
}

/// Whether any diagnostic in `diags` is an error.
pub fn has_errors(diags: &[Diagnostic]) -> bool {
    diags.iter().any(Diagnostic::is_error)
}

/// Formats diagnostics like a compiler: `error[BI301]: message`, then ` --> file:line:col`,
/// the source line with a caret under the column, the JSON pointer and the help line.
///
/// `sources` gives the text of each file named in a span, so the line can be shown; a
/// file missing from it is shown without its line. `color` adds ANSI colours.
///
/// Everything shown goes through [`crate::redact`]: secret values in the source lines,
/// the message, the help line and the pointer are replaced by
/// [`crate::redact::MARKER`] (the caret is placed on the redacted line), and terminal
/// control characters of the input are escaped (`\u{1b}`).
pub fn render_human(diags: &[Diagnostic], sources: &[(&str, &str)], color: bool) -> String {
    use crate::redact::terminal;
    use annotate_snippets::{Level, Renderer, Snippet};
    let renderer = if color {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    // Each source is redacted once, when a diagnostic first shows it, and its line
    // starts are indexed once: a diagnostic then shows its line without a pass over the
    // whole text (printing stays linear in the number of findings).
    let mut shown: std::collections::HashMap<&str, (crate::redact::Shown, Vec<usize>)> =
        std::collections::HashMap::new();
    for d in diags {
        if let Some(s) = &d.span {
            if s.location.is_some() && !shown.contains_key(s.file.as_str()) {
                if let Some((name, text)) = sources.iter().find(|(f, _)| *f == s.file) {
                    let shown_text = crate::redact::show(name, text, true);
                    let starts = std::iter::once(0)
                        .chain(shown_text.text.match_indices('\n').map(|(i, _)| i + 1))
                        .collect();
                    shown.insert(name, (shown_text, starts));
                }
            }
        }
    }
    let mut out = String::new();
    for orig in diags {
        let about = orig.span.as_ref().map_or("", |s| s.file.as_str());
        let term = |t: &str| crate::redact::redact_about(about, t, true);
        let d = &Diagnostic {
            message: term(&clip(&orig.message)),
            help: orig.help.as_deref().map(|h| term(&clip(h))),
            pointer: terminal(&orig.pointer),
            span: orig.span.as_ref().map(|s| Span {
                file: terminal(&s.file),
                location: s.location,
            }),
            ..orig.clone()
        };
        let level = match d.severity {
            Severity::Error => Level::Error,
            Severity::Warning => Level::Warning,
        };
        let ptr_note = format!(
            "at {}",
            if d.pointer.is_empty() {
                "/"
            } else {
                &d.pointer
            }
        );
        let mut msg = level.title(&d.message).id(d.code.0);
        let located = d.span.as_ref().and_then(|s| {
            let loc = s.location?;
            let (shown, starts) = shown.get(orig.span.as_ref()?.file.as_str())?;
            let loc = Location {
                line: loc.line,
                column: shown.column(loc.line, loc.column),
            };
            let text = shown.text.as_str();
            // The annotated line alone (what `fold` shows of the whole text); a line
            // too long to show is left out (the position is printed).
            let (first, text) = match starts.get(loc.line.saturating_sub(1)) {
                Some(&b) if loc.line > 0 => {
                    let e = starts.get(loc.line).map_or(text.len(), |&e| e);
                    (loc.line, &text[b..e])
                }
                _ => (1, text),
            };
            (text.len() <= MAX_SHOWN_LINE).then_some((s, loc, first, text))
        });
        let snippet;
        if let Some((span, loc, first, text)) = located {
            let loc = Location {
                line: loc.line + 1 - first,
                column: loc.column,
            };
            let (start, end) = line_byte_range(text, loc);
            snippet = Snippet::source(text)
                .origin(&span.file)
                .line_start(first)
                .fold(true)
                .annotation(level.span(start..end).label(""));
            msg = msg.snippet(snippet);
        }
        msg = msg.footer(Level::Note.title(&ptr_note));
        if let Some(h) = &d.help {
            msg = msg.footer(Level::Help.title(h));
        }
        if located.is_none() {
            if let Some(span) = &d.span {
                let at = match span.location {
                    Some(l) => format!("{}:{}:{}", span.file, l.line, l.column),
                    None => span.file.clone(),
                };
                out.push_str(&renderer.render(msg).to_string());
                out.push_str(&format!("\n  --> {at}\n\n"));
                continue;
            }
        }
        out.push_str(&renderer.render(msg).to_string());
        out.push_str("\n\n");
    }
    out
}

/// The longest source line [`render_human`] shows (bytes); a finding on a longer line
/// (a minified file, a 10 MB value) gets its position only, and a longer message is cut.
const MAX_SHOWN_LINE: usize = 4096;

/// `text` cut to at most [`MAX_SHOWN_LINE`] bytes, saying so. The cut is made before
/// redaction and at the last whitespace before the limit, and the word it would split
/// is left out: a secret cut in two is not recognised by [`crate::redact`], so no part of
/// a word that runs past the limit is ever shown. Clipping first keeps printing a
/// diagnostic about a 10 MB value linear in what is shown, not in the value.
fn clip(text: &str) -> std::borrow::Cow<'_, str> {
    if text.len() <= MAX_SHOWN_LINE {
        return text.into();
    }
    let mut end = MAX_SHOWN_LINE;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    // Keep whole words only: up to the last whitespace, unless the cut falls on one.
    if !text[end..].starts_with(char::is_whitespace) {
        end = text[..end].rfind(char::is_whitespace).unwrap_or(0);
    }
    format!("{}... ({} bytes in all)", &text[..end], text.len()).into()
}

/// The byte range in `text` to underline for `loc`: from the column to the end of the
/// token (the next whitespace, `:` or `,`), at least one character.
fn line_byte_range(text: &str, loc: Location) -> (usize, usize) {
    let mut line_start = 0;
    for (i, line) in text.split_inclusive('\n').enumerate() {
        if i + 1 == loc.line {
            let mut start = line_start;
            for (n, (off, _)) in line.char_indices().enumerate() {
                if n + 1 == loc.column {
                    start = line_start + off;
                    break;
                }
            }
            let rest = &text[start..line_start + line.trim_end_matches(['\n', '\r']).len()];
            let len = rest
                .char_indices()
                .find(|(_, c)| c.is_whitespace() || *c == ':' || *c == ',')
                .map_or(rest.len(), |(i, _)| i);
            let len = if len == 0 {
                rest.chars().next().map_or(0, char::len_utf8)
            } else {
                len
            };
            return (start, start + len);
        }
        line_start += line.len();
    }
    (text.len(), text.len())
}

/// Serializes diagnostics as a JSON array of objects with `code`, `severity`, `pointer`,
/// `message`, `help`, `file`, `line`, `column` (1-based; absent when unknown).
///
/// Every text field goes through [`crate::redact::redact`]; control characters are JSON
/// escapes (`\u001b`), including DEL, C1 and the bidirectional controls, which JSON
/// allows raw.
pub fn render_json(diags: &[Diagnostic]) -> String {
    let items: Vec<serde_json::Value> = diags
        .iter()
        .map(|d| {
            let d = d.redacted();
            let mut o = serde_json::json!({
                "code": d.code.0,
                "severity": d.severity,
                "pointer": d.pointer,
                "message": d.message,
            });
            let m = o.as_object_mut().expect("object");
            if let Some(h) = d.help {
                m.insert("help".into(), h.into());
            }
            if let Some(s) = d.span {
                m.insert("file".into(), s.file.into());
                if let Some(l) = s.location {
                    m.insert("line".into(), l.line.into());
                    m.insert("column".into(), l.column.into());
                }
            }
            o
        })
        .collect();
    let text = serde_json::to_string_pretty(&items).expect("serializable");
    // Outside strings the text is ASCII, so every such character is in a string.
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if crate::redact::escape_controls(c.encode_utf8(&mut [0; 4])).len() > c.len_utf8() {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_message_is_clipped_at_a_word_and_no_part_of_a_cut_secret_is_shown() {
        // A registered secret that the limit would cut in two.
        let secret = format!("S3cr3t{}", "q".repeat(64));
        crate::redact::register(&secret);
        let filler = "word ".repeat((MAX_SHOWN_LINE - 10) / 5);
        let message = format!("{filler}{secret} and more");
        let d = Diagnostic::error(crate::load::CODE_SYNTAX, "", message.clone());
        for shown in [
            render_json(std::slice::from_ref(&d)),
            render_human(std::slice::from_ref(&d), &[], false),
        ] {
            assert!(!shown.contains("S3cr3t"), "{}", &shown[shown.len() - 200..]);
            assert!(shown.contains(&format!("({} bytes in all)", message.len())));
        }
        // One word longer than the limit: nothing of it is shown.
        let one = "x".repeat(MAX_SHOWN_LINE * 2);
        assert_eq!(clip(&one), format!("... ({} bytes in all)", one.len()));
        crate::redact::clear();
    }

    #[test]
    fn pointer_tokens_are_escaped_whatever_their_type() {
        let mut p = String::new();
        push_token(&mut p, &"services");
        push_token(&mut p, &"a/b~c");
        push_token(&mut p, &7usize);
        push_token(&mut p, &"~");
        assert_eq!(p, "/services/a~1b~0c/7/~0");
        assert_eq!(pointer(&["x/y", "", "z"]), "/x~1y//z");
    }
}
