//! Finding the scripts a deployment runs, and reading them: the inline scripts of
//! `entrypoint` + `command` (`sh -c '...'`), the script files they run (through the
//! service's bind mounts), the mounted `*.sql` and `*.sh` of `/docker-entrypoint-initdb.d`
//! of a PostgreSQL service, the mounted shell scripts of other services, and the
//! operator's `*.sh` in the directory and in `scripts/` (and those given). Each file is
//! read once; how it is run ([`shell::RunAs`]) decides what its failures mean.

use std::path::{Path, PathBuf};

use super::super::compose::{self, Svc};
use super::super::{is_job, literal_block, same_file, shell, tree};
use super::super::{AuditError, AuditInput, Deployment, FileKind, InlineMap, ScriptRef, SqlRef};
use super::read;
use crate::diagnostic::Location;

/// Whether `argv` runs an inline shell script: `sh -c SCRIPT` (or bash, ash, dash) with
/// the interpreter's own flags; returns (index of the script, flags).
pub(crate) fn inline_script(argv: &[String]) -> Option<(usize, Vec<String>)> {
    let shell = argv.first()?;
    let base = shell.rsplit('/').next().unwrap_or(shell);
    if !matches!(base, "sh" | "bash" | "ash" | "dash") {
        return None;
    }
    let mut flags = Vec::new();
    for (i, a) in argv.iter().enumerate().skip(1) {
        if a == "-c" {
            return (i + 1 < argv.len()).then_some((i + 1, flags));
        }
        match a.strip_prefix('-') {
            Some(f) if f.contains('c') => {
                flags.push(a.replace('c', ""));
                return (i + 1 < argv.len()).then_some((i + 1, flags));
            }
            Some(_) => flags.push(a.clone()),
            None => return None,
        }
    }
    None
}

/// The script file an argv runs (`sh /init/init.sh`, `/init/init.sh`), in the container.
fn script_path(argv: &[String]) -> Option<(String, Vec<String>)> {
    let first = argv.first()?;
    let base = first.rsplit('/').next().unwrap_or(first);
    if matches!(base, "sh" | "bash" | "ash" | "dash") {
        let mut flags = Vec::new();
        for a in &argv[1..] {
            if a.starts_with('-') {
                flags.push(a.clone());
            } else {
                return a.ends_with(".sh").then(|| (a.clone(), flags));
            }
        }
        return None;
    }
    first.ends_with(".sh").then(|| (first.clone(), vec![]))
}

/// Finds and reads every script of the deployment, in order: per service, what its
/// `entrypoint` + `command` run, then its mounted scripts; then the operator's.
pub(crate) fn find(
    d: &mut Deployment,
    dir: Option<&Path>,
    input: &AuditInput,
) -> Result<(), AuditError> {
    let mut seen: Vec<PathBuf> = Vec::new();
    if let Some(project) = d.project.clone() {
        let compose_file = d.compose_file.unwrap_or(0);
        for s in &project.services {
            let job = is_job(d, s);
            let family = d.images.get(&s.name).map(crate::images::family);
            let postgres = matches!(
                family,
                Some(crate::images::Family::PostgresAlpine | crate::images::Family::PostgresDebian)
            );
            run_by(d, s, job, compose_file, &mut seen);
            mounted(d, s, job, postgres, &mut seen)?;
        }
    }
    operator_scripts(d, dir, input, &mut seen)
}

/// The inline script or the script file that `entrypoint` + `command` of `s` run.
fn run_by(d: &mut Deployment, s: &Svc, job: bool, compose_file: usize, seen: &mut Vec<PathBuf>) {
    let mut argv: Vec<String> = Vec::new();
    let mut locs: Vec<Option<Location>> = Vec::new();
    let mut pointer = String::new();
    if let Some(e) = &s.entrypoint {
        argv.extend(e.argv.iter().cloned());
        locs.extend(e.locs.iter().copied());
        pointer.clone_from(&e.at.pointer);
    }
    if let Some(c) = &s.command {
        if pointer.is_empty() {
            pointer.clone_from(&c.at.pointer);
        }
        argv.extend(c.argv.iter().cloned());
        locs.extend(c.locs.iter().copied());
    }
    let key_loc = s
        .entrypoint
        .as_ref()
        .or(s.command.as_ref())
        .and_then(|c| c.at.loc);
    if let Some((k, flags)) = inline_script(&argv) {
        // Scan the script as written (before interpolation), so positions match
        // the file; `$$` reads as a plain word character either way.
        let text = raw_argv(d, s)
            .and_then(|r| r.get(k).cloned())
            .unwrap_or_else(|| argv[k].clone());
        let loc = locs.get(k).copied().flatten();
        let own_file = s.entrypoint.as_ref().map_or(compose_file, |e| e.at.file);
        let literal = loc.and_then(|l| literal_block(&d.files[own_file], l));
        d.scripts.push(ScriptRef {
            file: own_file,
            text,
            inline: Some(InlineMap {
                loc: if literal.is_some() { loc } else { key_loc },
                literal,
                pointer: pointer.clone(),
            }),
            run: shell::RunAs {
                errexit: shell::flags_errexit(flags.iter().map(String::as_str)),
                exit_status_matters: job,
            },
            service: Some(s.name.clone()),
        });
    } else if let Some((path, flags)) = script_path(&argv) {
        if let Some(local) = container_to_host(d, s, &path) {
            if let Ok(text) = crate::input::read_text_lossy(&local) {
                let id = d.add_file(
                    d.shown(&local),
                    local.clone(),
                    text.clone(),
                    FileKind::Shell,
                );
                seen.push(local);
                d.scripts.push(ScriptRef {
                    file: id,
                    text,
                    inline: None,
                    run: shell::RunAs {
                        errexit: shell::flags_errexit(flags.iter().map(String::as_str)),
                        exit_status_matters: job,
                    },
                    service: Some(s.name.clone()),
                });
            }
        }
    }
}

/// The init scripts of PostgreSQL (`*.sql` and `*.sh` under
/// `/docker-entrypoint-initdb.d`, a mounted directory listed), and the other mounted
/// shell scripts of `s`.
fn mounted(
    d: &mut Deployment,
    s: &Svc,
    job: bool,
    postgres: bool,
    seen: &mut Vec<PathBuf>,
) -> Result<(), AuditError> {
    // Init scripts of PostgreSQL, and mounted shell scripts.
    for v in s.volumes.iter().filter(|v| v.bind) {
        let local = d.local(&v.source);
        let initdb = v.target.starts_with("/docker-entrypoint-initdb.d");
        let mut files: Vec<(PathBuf, String)> = Vec::new();
        if local.is_dir() && initdb {
            let mut entries: Vec<PathBuf> = std::fs::read_dir(&local)
                .map(|r| r.filter_map(|e| e.ok().map(|e| e.path())).collect())
                .unwrap_or_default();
            entries.sort();
            for e in entries {
                files.push((
                    e.clone(),
                    format!(
                        "{}/{}",
                        v.target,
                        e.file_name().and_then(|n| n.to_str()).unwrap_or("")
                    ),
                ));
            }
        } else if local.is_file() {
            files.push((local.clone(), v.target.clone()));
        }
        for (f, target) in files {
            if seen.contains(&f) || !f.is_file() {
                continue;
            }
            if initdb && postgres && target.ends_with(".sql") {
                let text = read(&f)?;
                let id = d.add_file(d.shown(&f), f.clone(), text, FileKind::Sql);
                d.sql.push(SqlRef {
                    file: id,
                    service: Some(s.name.clone()),
                });
                seen.push(f);
            } else if target.ends_with(".sh") {
                let text = read(&f)?;
                let id = d.add_file(d.shown(&f), f.clone(), text.clone(), FileKind::Shell);
                d.scripts.push(ScriptRef {
                    file: id,
                    text,
                    inline: None,
                    run: shell::RunAs {
                        // The PostgreSQL entrypoint sources them under its own `set -e`.
                        errexit: initdb,
                        exit_status_matters: job,
                    },
                    service: Some(s.name.clone()),
                });
                seen.push(f);
            }
        }
    }
    Ok(())
}

/// The operator's scripts: every `*.sh` in `dir` and in `dir/scripts`, then those given
/// (`*.sql` among them is init SQL), each unless already read.
fn operator_scripts(
    d: &mut Deployment,
    dir: Option<&Path>,
    input: &AuditInput,
    seen: &mut Vec<PathBuf>,
) -> Result<(), AuditError> {
    // Operator scripts in the directory, and those given.
    let mut extra: Vec<PathBuf> = Vec::new();
    if let Some(dir) = dir {
        for sub in [dir.to_path_buf(), dir.join("scripts")] {
            let mut entries: Vec<PathBuf> = std::fs::read_dir(&sub)
                .map(|r| r.filter_map(|e| e.ok().map(|e| e.path())).collect())
                .unwrap_or_default();
            entries.sort();
            extra.extend(
                entries
                    .into_iter()
                    .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "sh")),
            );
        }
    }
    extra.extend(input.scripts.iter().cloned());
    for p in extra {
        if seen.iter().any(|s| same_file(s, &p)) {
            continue;
        }
        let text = read(&p)?;
        seen.push(p.clone());
        if p.extension().is_some_and(|e| e == "sql") {
            let id = d.add_file(d.shown(&p), p, text, FileKind::Sql);
            d.sql.push(SqlRef {
                file: id,
                service: None,
            });
        } else {
            let id = d.add_file(d.shown(&p), p, text.clone(), FileKind::Shell);
            d.scripts.push(ScriptRef {
                file: id,
                text,
                inline: None,
                run: shell::RunAs {
                    errexit: false,
                    exit_status_matters: true,
                },
                service: None,
            });
        }
    }
    Ok(())
}

/// `entrypoint` then `command` of `svc` as written (before interpolation).
fn raw_argv(d: &Deployment, svc: &Svc) -> Option<Vec<String>> {
    let raw = d.raw.as_ref()?.get("services")?.get(&svc.name)?;
    let mut out = Vec::new();
    for field in ["entrypoint", "command"] {
        match raw.get(field).map(|y| &y.kind) {
            Some(tree::Kind::Str(s)) => out.extend(compose::shell_split(s)),
            Some(tree::Kind::Seq(items)) => {
                out.extend(items.iter().map(|i| i.text().unwrap_or_default()));
            }
            _ => {}
        }
    }
    Some(out)
}

/// The host file a container path of `svc` comes from, through its bind mounts.
pub(crate) fn container_to_host(d: &Deployment, svc: &Svc, path: &str) -> Option<PathBuf> {
    let mut best: Option<(&compose::Volume, &str)> = None;
    for v in svc.volumes.iter().filter(|v| v.bind) {
        let t = v.target.trim_end_matches('/');
        let rest = if path == t {
            Some("")
        } else {
            path.strip_prefix(&format!("{t}/"))
        };
        if let Some(rest) = rest {
            if best.is_none_or(|(b, _)| b.target.len() < v.target.len()) {
                best = Some((v, rest));
            }
        }
    }
    let (v, rest) = best?;
    let local = d.local(&v.source);
    Some(if rest.is_empty() {
        local
    } else {
        local.join(rest)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_scripts_and_script_files() {
        let v = |s: &[&str]| s.iter().map(|x| (*x).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            inline_script(&v(&["/bin/sh", "-c", "x"])),
            Some((2, vec![]))
        );
        assert_eq!(
            inline_script(&v(&["sh", "-ec", "x"])),
            Some((2, vec!["-e".into()]))
        );
        assert_eq!(inline_script(&v(&["node", "-c", "x"])), None);
        assert_eq!(
            script_path(&v(&["/bin/sh", "-eu", "/init/init.sh"])),
            Some(("/init/init.sh".into(), vec!["-eu".into()]))
        );
    }
}
