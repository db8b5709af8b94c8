//! The Caddyfile cross-checked by Caddy itself: when a `caddy` binary is on `PATH` (or
//! named by `BANATIE_INFRA_CADDY`), the audit runs
//! `caddy adapt --config FILE --adapter caddyfile` in the file's directory (so its
//! imports resolve as Caddy resolves them) and maps a refusal to [`CODE_CADDY_ADAPT`]
//! (BI411) at the line Caddy names.
//!
//! Caddy names the place in one of two forms (caddyconfig/caddyfile/dispenser.go's
//! `Errf`, and the adapter's own errors): `Error: FILE:LINE: message` and
//! `Error: parsing caddyfile tokens for 'DIR': FILE:LINE - Error during parsing: message`;
//! without a place, the finding is at line 1. Set `BANATIE_INFRA_CADDY=off` to skip the
//! cross-check (the grammar reader, [`super::caddy_grammar`], still runs). The run is
//! bounded by [`TIMEOUT`]; a binary that cannot be started is no finding.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::diagnostic::Location;
pub use crate::rules::sites::CODE_CADDY_ADAPT;

/// How long `caddy adapt` may run.
pub const TIMEOUT: Duration = Duration::from_secs(20);

/// The `caddy` binary to cross-check with: `BANATIE_INFRA_CADDY` (a path, or `off`),
/// else `caddy` found on `PATH`.
pub fn caddy_binary() -> Option<PathBuf> {
    match std::env::var_os("BANATIE_INFRA_CADDY") {
        Some(v) if v == "off" || v == "0" || v.is_empty() => None,
        Some(v) => Some(PathBuf::from(v)),
        None => std::env::var_os("PATH").and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|d| d.join("caddy"))
                .find(|p| p.is_file())
        }),
    }
}

/// What `caddy adapt` said of a file it refused: (line, Caddy's message, Caddy's
/// version).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refusal {
    /// The line Caddy names in this file, if it names one.
    pub(crate) line: Option<usize>,
    pub(crate) message: String,
    pub(crate) version: String,
}

/// Runs `caddy adapt` on `path`; `None` when Caddy accepts it or cannot be run.
pub(crate) fn adapt(caddy: &Path, path: &Path) -> Option<Refusal> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let file = path.file_name()?;
    let out = run(Command::new(caddy)
        .args(["adapt", "--adapter", "caddyfile", "--config"])
        .arg(file)
        .current_dir(dir))?;
    if out.0 {
        return None;
    }
    let version = run(Command::new(caddy).arg("version"))
        .map(|(_, _, o)| o.split_whitespace().next().unwrap_or("").to_owned())
        .unwrap_or_default();
    let name = file.to_string_lossy();
    let (line, message) = locate(&out.1, &name);
    Some(Refusal {
        line,
        message,
        version,
    })
}

/// Cross-checks every Caddyfile of the deployment with `caddy adapt` (when a binary is
/// found), after the audit's own rules ran (`diags`): a refusal is a [`CODE_CADDY_ADAPT`]
/// finding at the line Caddy names, unless the audit already reports an error there (or,
/// for a refusal without a line, anywhere in the file), or the file does not parse or
/// breaks the grammar (Caddy stops at the first of those; they are reported already).
pub(crate) fn report(d: &super::Deployment, diags: &mut Vec<crate::diagnostic::Diagnostic>) {
    use crate::diagnostic::Severity;
    let files: Vec<usize> = (0..d.files.len())
        .filter(|&i| d.files[i].kind == super::FileKind::Caddyfile)
        .collect();
    if files.is_empty() {
        return;
    }
    let Some(caddy) = caddy_binary() else { return };
    for id in files {
        let Some(r) = adapt(&caddy, &d.files[id].path) else {
            continue;
        };
        let name = &d.files[id].name;
        let covered = diags
            .iter()
            .filter(|x| x.severity == Severity::Error)
            .filter(|x| x.span.as_ref().is_some_and(|s| &s.file == name))
            .any(|x| {
                let grammar = matches!(x.code.0, "BI314" | "BI408" | "BI409" | "BI410");
                let line = x.span.as_ref().and_then(|s| s.location).map(|l| l.line);
                grammar || r.line.is_none() || line.is_none() || line == r.line
            });
        if covered {
            continue;
        }
        let version = if r.version.is_empty() {
            "caddy"
        } else {
            &r.version
        };
        diags.push(d.diag(
            Severity::Error,
            CODE_CADDY_ADAPT,
            id,
            Some(Location {
                line: r.line.unwrap_or(1),
                column: 1,
            }),
            "",
            format!("`caddy adapt` ({version}) refuses the Caddyfile: {}", r.message),
            "fix the line Caddy names; `caddy adapt --config FILE --adapter caddyfile` shows the same error".into(),
        ));
    }
}

/// (success, stderr, stdout) of a command, killed after [`TIMEOUT`].
fn run(cmd: &mut Command) -> Option<(bool, String, String)> {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .ok()?;
    let start = Instant::now();
    loop {
        match child.try_wait().ok()? {
            Some(_) => break,
            None if start.elapsed() > TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
            None => std::thread::sleep(Duration::from_millis(10)),
        }
    }
    let out = child.wait_with_output().ok()?;
    Some((
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    ))
}

/// The line `FILE:LINE` names in Caddy's error output and the message after it (the last
/// `Error:` line; log lines before it are Caddy's own).
pub(crate) fn locate(stderr: &str, file: &str) -> (Option<usize>, String) {
    let last = stderr
        .lines()
        .rev()
        .find(|l| l.starts_with("Error:"))
        .or_else(|| stderr.lines().rev().find(|l| !l.trim().is_empty()))
        .unwrap_or("")
        .trim();
    let text = last.strip_prefix("Error:").unwrap_or(last).trim();
    let needle = format!("{file}:");
    let mut search = 0;
    while let Some(i) = text[search..].find(&needle) {
        let start = search + i + needle.len();
        let digits: String = text[start..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        let before_ok =
            search + i == 0 || !text[..search + i].ends_with(|c: char| c.is_alphanumeric());
        if let (Ok(n), true) = (digits.parse::<usize>(), before_ok) {
            let rest = text[start + digits.len()..]
                .trim_start_matches([':', ' ', '-'])
                .trim_start_matches("Error during parsing:")
                .trim();
            let head = text[..search + i].trim().trim_end_matches(':').trim();
            let message = if head.is_empty() || head.starts_with("adapting config") {
                rest.to_owned()
            } else {
                format!("{head}: {rest}")
            };
            return (Some(n), message);
        }
        search = start;
    }
    (None, text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_forms_of_place() {
        assert_eq!(
            locate(
                "Error: Caddyfile:3: unrecognized directive: lb_try_duration\n",
                "Caddyfile"
            ),
            (Some(3), "unrecognized directive: lb_try_duration".into())
        );
        let (l, m) = locate("{\"level\":\"info\"}\nError: parsing caddyfile tokens for 'redir': Caddyfile:12 - Error during parsing: Wrong argument count or unexpected line ending after 'redir'\n", "Caddyfile");
        assert_eq!(l, Some(12));
        assert!(
            m.starts_with("parsing caddyfile tokens for 'redir': Wrong argument count"),
            "{m}"
        );
        assert_eq!(
            locate(
                "Error: parsing caddyfile tokens for 'respond': unrecognized matcher name: @nope",
                "Caddyfile"
            )
            .0,
            None
        );
        // `xCaddyfile:3` is another file's name.
        assert_eq!(locate("Error: xCaddyfile:3: bad", "Caddyfile").0, None);
    }
}
