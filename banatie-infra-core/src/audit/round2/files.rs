//! Rules on files as bytes and on operator scripts: BI211 (CR line endings), BI328
//! (`up --force-recreate` of the whole stack), BI525 (retention that runs when the dump
//! failed).
//!
//! Facts: Compose v2 trims a trailing `\r` of env-file lines (checked on Compose 2.26.1),
//! but a shell's `.`/`source`, `$(< file)` and every image entrypoint that reads a
//! `*_FILE` secret keep it (jasonacox/Powerwall-Dashboard PR #511, api3dao/airnode
//! #1634); a `#!/bin/sh\r` script does not start at all. `docker compose up
//! --force-recreate` with no service names recreates every container, dependencies
//! included (docker/compose #740, #1035). A backup script without errexit goes on after
//! a failed dump, so a retention step after it deletes good copies
//! (assembledhq/143 PR #2123, flynn/flynn #2504).

use crate::audit::shell::{self, Sep, SimpleCmd};
use crate::audit::{Deployment, FileKind};
use crate::diagnostic::{Diagnostic, Location, Severity};
use crate::rules::health::CODE_FORCE_RECREATE;
use crate::rules::secrets::CODE_CRLF;
use crate::rules::storage::CODE_UNGATED_RETENTION;

/// Runs BI211, BI328 and BI525.
pub(crate) fn check(d: &Deployment, out: &mut Vec<Diagnostic>) {
    crlf(d, out);
    for sc in &d.scripts {
        let script = shell::scan(&sc.text);
        let mut found: Vec<(Location, Severity, crate::Code, String, String)> = Vec::new();
        force_recreate(d, &script, &mut found);
        sourced_crlf(d, &script, &mut found);
        retention(&script, sc.run.errexit, &mut found);
        for (at, sev, code, message, help) in found {
            let (loc, pointer) = match &sc.inline {
                Some(m) => (m.map(at), m.pointer.clone()),
                None => (Some(at), String::new()),
            };
            out.push(d.diag(sev, code, sc.file, loc, &pointer, message, help));
        }
    }
}

fn first_cr_line(text: &str) -> Option<(usize, usize)> {
    let mut first = None;
    let mut count = 0;
    for (i, line) in text.split('\n').enumerate() {
        if line.ends_with('\r') {
            count += 1;
            first.get_or_insert(i + 1);
        }
    }
    first.map(|f| (f, count))
}

/// BI211 on env files, shell scripts, and the files of top-level `secrets:`.
fn crlf(d: &Deployment, out: &mut Vec<Diagnostic>) {
    for (id, f) in d.files.iter().enumerate() {
        if !matches!(f.kind, FileKind::EnvFile | FileKind::Shell) {
            continue;
        }
        let Some((line, count)) = first_cr_line(&f.text) else {
            continue;
        };
        let what = if f.kind == FileKind::Shell {
            "the shell reads `\\r` as part of each line (`$'\\r': command not found`, a `#!` line that names no interpreter)"
        } else {
            "Compose trims it, but a shell `.`/`source`, `$(< file)` and `*_FILE` secrets keep the `\\r` in every value (a password or a database name that never matches)"
        };
        out.push(d.diag(
            Severity::Error,
            CODE_CRLF,
            id,
            Some(Location { line, column: 1 }),
            "",
            format!("`{}` has CR line endings ({count} line(s), the first here): {what}", f.name),
            format!("convert it to LF (`sed -i 's/\\r$//' {}`) and add `* text eol=lf` to .gitattributes", f.name),
        ));
    }
    let Some(secrets) = d.raw.as_ref().and_then(|r| r.get("secrets")) else {
        return;
    };
    for (k, v) in secrets.entries() {
        let Some(file) = v.get("file") else { continue };
        let Some(p) = file.text() else { continue };
        let Ok(bytes) = std::fs::read(d.local(&p)) else {
            continue;
        };
        if !bytes.contains(&b'\r') {
            continue;
        }
        let at = crate::audit::At {
            file: file.file,
            loc: file.loc,
            pointer: format!("/secrets/{}/file", crate::diagnostic::escape_token(&k.text)),
        };
        out.push(d.diag_at(
            Severity::Error,
            CODE_CRLF,
            &at,
            format!("secret `{}` (`{p}`) contains a CR: the container reads it as part of the secret (an entrypoint's `$(< file)` strips only the last `\\n`), so a password set at init never matches the one clients use", k.text),
            format!("write the file without CR (`sed -i 's/\\r$//' {p}`, or `printf %s \"$value\" > {p}`)"),
        ));
    }
}

type Found = Vec<(Location, Severity, crate::Code, String, String)>;

/// BI211 on the files a script sources (`. ./secrets.env`, `source /opt/app/.env`) that
/// the audit has not read as env files: located at the `.` command.
fn sourced_crlf(d: &Deployment, script: &shell::Script, out: &mut Found) {
    for cmd in &script.cmds {
        if !matches!(cmd.name(), Some("." | "source")) {
            continue;
        }
        let Some(arg) = cmd.argv().get(1) else {
            continue;
        };
        if arg.text.contains('$') || arg.text.contains('`') {
            continue;
        }
        let local = d.local(&arg.text);
        let read = d
            .files
            .iter()
            .any(|f| f.kind == FileKind::EnvFile && crate::audit::same_file(&f.path, &local));
        if read {
            continue;
        }
        let Ok(bytes) = std::fs::read(&local) else {
            continue;
        };
        let Some((line, count)) = first_cr_line(&String::from_utf8_lossy(&bytes)) else {
            continue;
        };
        out.push((
            cmd.at(),
            Severity::Error,
            CODE_CRLF,
            format!("the script sources `{}`, which has CR line endings ({count} line(s), the first at line {line}): the shell keeps the `\\r` in every value it sets (`PGPASSWORD=...\\r`, a database name that does not exist)", arg.text),
            format!("convert it to LF (`sed -i 's/\\r$//' {}`) and add `*.env text eol=lf` to .gitattributes", arg.text),
        ));
    }
}

/// The words of `docker compose up ...` / `docker-compose up ...` after `up`.
fn compose_up(cmd: &SimpleCmd) -> Option<&[shell::Word]> {
    let argv = cmd.argv();
    let rest = match cmd.name()? {
        "docker" if argv.get(1).is_some_and(|w| w.text == "compose") => &argv[2..],
        "docker-compose" => &argv[1..],
        _ => return None,
    };
    const GLOBAL_WITH_VALUE: &[&str] = &[
        "-f",
        "--file",
        "-p",
        "--project-name",
        "--env-file",
        "--profile",
        "--project-directory",
        "--ansi",
        "--progress",
        "--parallel",
    ];
    let mut i = 0;
    while i < rest.len() {
        let w = rest[i].text.as_str();
        if w == "up" {
            return Some(&rest[i + 1..]);
        }
        if !w.starts_with('-') {
            return None;
        }
        i += if GLOBAL_WITH_VALUE.contains(&w) { 2 } else { 1 };
    }
    None
}

/// BI328.
fn force_recreate(d: &Deployment, script: &shell::Script, out: &mut Found) {
    const UP_WITH_VALUE: &[&str] = &[
        "--scale",
        "-t",
        "--timeout",
        "--wait-timeout",
        "--pull",
        "--exit-code-from",
        "--attach",
        "--no-attach",
    ];
    for cmd in &script.cmds {
        let Some(args) = compose_up(cmd) else {
            continue;
        };
        let Some(flag) = args.iter().find(|w| w.text == "--force-recreate") else {
            continue;
        };
        let mut services = Vec::new();
        let mut i = 0;
        while i < args.len() {
            let w = args[i].text.as_str();
            if UP_WITH_VALUE.contains(&w) {
                i += 2;
                continue;
            }
            if !w.starts_with('-') {
                services.push(w.to_owned());
            }
            i += 1;
        }
        let stateful: Vec<String> = match &d.project {
            Some(p) => services
                .iter()
                .filter(|n| p.service(n).is_some_and(|s| is_stateful(d, s)))
                .cloned()
                .collect(),
            None => vec![],
        };
        let what = if services.is_empty() {
            "names no service, so it recreates every container: PostgreSQL drops its connections, MinIO and Caddy restart, one-shot init jobs run again".to_owned()
        } else if !stateful.is_empty() {
            format!(
                "recreates the stateful service(s) {} on every run",
                stateful
                    .iter()
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        } else {
            continue;
        };
        out.push((
            flag.at,
            Severity::Warning,
            CODE_FORCE_RECREATE,
            format!("`docker compose up --force-recreate` {what}"),
            "build and start only the app services (`docker compose build api web && docker compose up -d api web`); without `--force-recreate` Compose recreates what changed and leaves the rest running".into(),
        ));
    }
}

fn is_stateful(d: &Deployment, s: &crate::audit::Svc) -> bool {
    super::postgres::pg_image(d, s).is_some()
        || crate::audit::rules::minio_argv(d, s).is_some()
        || d.images
            .get(&s.name)
            .is_some_and(|i| i.short_name() == "caddy")
}

const DUMPS: &[&str] = &[
    "pg_dump",
    "pg_dumpall",
    "mysqldump",
    "mariadb-dump",
    "mongodump",
];

fn is_dump(cmd: &SimpleCmd) -> bool {
    cmd.argv().iter().any(|w| {
        let base = w.text.rsplit('/').next().unwrap_or(&w.text);
        DUMPS.contains(&base)
    })
}

fn is_prune(cmd: &SimpleCmd) -> bool {
    let argv = cmd.argv();
    let has = |t: &str| argv.iter().any(|w| w.text == t);
    match cmd.name() {
        Some("find") => has("-delete") || (has("-exec") && argv.iter().any(|w| w.text == "rm")),
        Some("xargs") => has("rm"),
        Some("rm") => argv.iter().skip(1).any(|w| w.text.contains('*')),
        _ => false,
    }
}

/// BI525: a prune after a dump whose failure does not stop the script before it.
fn retention(script: &shell::Script, run_errexit: bool, out: &mut Found) {
    let cmds = &script.cmds;
    let mut errexit =
        run_errexit || shell::flags_errexit(script.shebang_flags.iter().map(String::as_str));
    let mut pipefail = false;
    // The last dump whose failure would not stop the script (its line).
    let mut ungated: Option<usize> = None;
    let mut i = 0;
    while i < cmds.len() {
        let c = &cmds[i];
        if c.name() == Some("set") {
            if shell::sets_errexit(c) {
                errexit = true;
            }
            if c.words.iter().any(|w| w.text == "pipefail") {
                pipefail = true;
            }
        }
        if c.words.iter().any(|w| w.text.contains("$?")) {
            ungated = None;
        }
        if is_prune(c) {
            if let Some(line) = ungated.take() {
                out.push((
                    c.at(),
                    Severity::Error,
                    CODE_UNGATED_RETENTION,
                    format!("this deletes old backups even when the dump at line {line} failed (no `set -e`, `&&` or status check stops the script in between): a failed night leaves a partial file and retention removes the last good copy"),
                    "prune only after the new dump is verified: `set -eu` (and `-o pipefail`), write to a `.partial` name, check it (`pg_restore --list`), `mv` it to the final name, then prune; check the free space first".into(),
                ));
            }
        }
        if is_dump(c) {
            let guarded_start = c
                .words
                .iter()
                .take(c.name_index().unwrap_or(0))
                .any(|w| matches!(w.text.as_str(), "if" | "while" | "until" | "!"));
            let in_pipe = i > 0 && cmds[i - 1].sep == Sep::Pipe;
            let mut j = i;
            while j + 1 < cmds.len() && cmds[j].sep == Sep::Pipe {
                j += 1;
            }
            let reflects = (!in_pipe && j == i) || pipefail;
            let after = cmds[j].sep;
            let stops = match after {
                Sep::And => true,
                Sep::Or => cmds.get(j + 1).is_some_and(|n| {
                    matches!(n.name(), Some("exit" | "return"))
                        && n.argv().get(1).is_some_and(|a| a.text != "0")
                }),
                _ => false,
            };
            let gated = reflects && (errexit || stops || guarded_start);
            ungated = if gated { None } else { Some(c.at().line) };
            i = j + 1;
            continue;
        }
        i += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::retention;
    use crate::audit::shell::scan;

    fn count(text: &str) -> usize {
        let mut out = Vec::new();
        retention(&scan(text), false, &mut out);
        out.len()
    }

    #[test]
    fn ungated_and_gated_retention() {
        assert_eq!(
            count("pg_dump -U a db > f.dump\nfind /b -name '*.dump' -mtime +7 -delete\n"),
            1
        );
        assert_eq!(
            count("set -e\npg_dump -U a db > f.dump\nfind /b -mtime +7 -delete\n"),
            0
        );
        assert_eq!(
            count("pg_dump -U a db > f.dump && find /b -mtime +7 -delete\n"),
            0
        );
        assert_eq!(
            count("set -e\npg_dump db | gzip > f.gz\nfind /b -mtime +7 -delete\n"),
            1
        );
        assert_eq!(
            count("set -eo pipefail\npg_dump db | gzip > f.gz\nfind /b -mtime +7 -delete\n"),
            0
        );
        assert_eq!(count("pg_dump db > f || exit 1\nrm /b/old-*.dump\n"), 0);
        assert_eq!(count("find /b -mtime +7 -delete\n"), 0);
    }
}
