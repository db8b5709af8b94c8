//! The one printer of the binary: where results go (stdout), where talk goes (stderr),
//! human text or JSON, colour or not. Every string shown passes the core's redaction
//! ([`banatie_infra_core::redact`]); JSON strings are redacted one by one, and terminal
//! controls are escaped as `\uXXXX`.
//!
//! Colour follows the environment through `anstream` (the crate clap itself uses):
//! `NO_COLOR` (set and non-empty) turns it off, `CLICOLOR_FORCE` turns it on when the
//! stream is not a terminal, `CLICOLOR=0` turns it off; otherwise colour when the stream
//! is a terminal. `NO_COLOR` wins over `CLICOLOR_FORCE`.

use std::io::Write;

use banatie_infra_core::diagnostic::{self, Diagnostic};
use clap::ValueEnum;

/// `eprintln!` through the one redaction of the core and the escaping of terminal
/// controls ([`banatie_infra_core::redact::terminal`]): a path, a message or a line of a
/// container's log echoed to the terminal never shows a secret or moves the cursor.
macro_rules! say {
    ($($t:tt)*) => {
        eprintln!("{}", banatie_infra_core::redact::terminal(&format!($($t)*)))
    };
}

/// `--format`: how a verb prints its results.
#[derive(Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub(crate) enum OutputFormat {
    /// Compiler-style text.
    #[default]
    Human,
    /// One JSON document on stdout (its shape is documented per verb).
    Json,
}

impl OutputFormat {
    /// Whether this is `json`.
    pub(crate) fn is_json(self) -> bool {
        matches!(self, Self::Json)
    }
}

/// The `--format` flag every verb that prints results shares.
#[derive(clap::Args, Clone, Copy)]
pub(crate) struct FormatArg {
    /// Output format: `human` text, or one `json` document on stdout.
    #[arg(long, value_enum, default_value = "human")]
    pub(crate) format: OutputFormat,
}

/// Writes to stdout; a closed pipe (`| head`) ends the program quietly with success.
pub(crate) fn out(text: &str) {
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
    }
}

/// [`out`] after redaction and escaping of terminal controls: for text that holds
/// values read from files (paths, diffs, names).
pub(crate) fn out_redacted(text: &str) {
    out(&banatie_infra_core::redact::terminal(text));
}

/// Whether to colour what goes to stdout (see the module docs).
pub(crate) fn color_stdout() -> bool {
    anstream::AutoStream::choice(&std::io::stdout()) != anstream::ColorChoice::Never
}

/// Whether to colour what goes to stderr (see the module docs).
pub(crate) fn color_stderr() -> bool {
    anstream::AutoStream::choice(&std::io::stderr()) != anstream::ColorChoice::Never
}

/// Prints diagnostics: JSON (the array of [`diagnostic::render_json`]) always on stdout;
/// human text on stderr when `to_stderr`, else on stdout.
pub(crate) fn print_diagnostics(
    diags: &[Diagnostic],
    sources: &[(&str, &str)],
    format: OutputFormat,
    to_stderr: bool,
) {
    match format {
        OutputFormat::Json => {
            let mut s = diagnostic::render_json(diags);
            s.push('\n');
            out(&s);
        }
        OutputFormat::Human if to_stderr => {
            eprint!(
                "{}",
                diagnostic::render_human(diags, sources, color_stderr())
            );
        }
        OutputFormat::Human => out(&diagnostic::render_human(diags, sources, color_stdout())),
    }
}

/// Human diagnostics on stderr (the warnings of a verb whose results are on stdout).
pub(crate) fn warn_diagnostics(diags: &[Diagnostic], sources: &[(&str, &str)]) {
    if !diags.is_empty() {
        print_diagnostics(diags, sources, OutputFormat::Human, true);
    }
}

/// `N error(s), M warning(s)`.
pub(crate) fn summary(diags: &[Diagnostic]) -> String {
    let errors = diags.iter().filter(|d| d.is_error()).count();
    let warnings = diags.len() - errors;
    format!("{errors} error(s), {warnings} warning(s)")
}

/// Diagnostics as a JSON value: the array of [`diagnostic::render_json`] (redacted).
pub(crate) fn diagnostics_value(diags: &[Diagnostic]) -> serde_json::Value {
    serde_json::from_str(&diagnostic::render_json(diags)).unwrap_or_default()
}

/// Prints one JSON document on stdout: every string redacted, pretty, one trailing
/// newline, terminal controls (and other characters [`banatie_infra_core::redact`]
/// escapes) written as `\uXXXX`.
pub(crate) fn json(mut value: serde_json::Value) {
    redact_strings(&mut value);
    json_unredacted(value);
}

/// [`json`] without the redaction, for text compiled into the binary that no input
/// reaches (the rules registry: its examples show `KEY: value` lines that the redaction
/// would blank, and a reader of `rules --format json` must get the documented example);
/// terminal controls are still escaped.
pub(crate) fn json_unredacted(value: serde_json::Value) {
    let text = serde_json::to_string_pretty(&value).unwrap_or_default();
    let mut s = String::with_capacity(text.len() + 1);
    for c in text.chars() {
        let mut buf = [0; 4];
        let one = c.encode_utf8(&mut buf);
        if banatie_infra_core::redact::escape_controls(one).len() > one.len() {
            s.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            s.push(c);
        }
    }
    s.push('\n');
    out(&s);
}

fn redact_strings(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::String(s) => *s = banatie_infra_core::redact::redact(s),
        serde_json::Value::Array(items) => items.iter_mut().for_each(redact_strings),
        serde_json::Value::Object(map) => map.values_mut().for_each(redact_strings),
        _ => {}
    }
}

/// Any serializable core value as JSON (`null` if it cannot be).
pub(crate) fn to_value(v: &impl serde::Serialize) -> serde_json::Value {
    serde_json::to_value(v).unwrap_or_default()
}
