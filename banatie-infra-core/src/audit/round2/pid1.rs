//! BI325: the process that becomes PID 1 does not act on SIGTERM and nothing else is
//! PID 1 (`init: true`, tini, dumb-init).
//!
//! Facts: the kernel applies no default signal action to PID 1 of a namespace, so a
//! process that installs no SIGTERM handler ignores `docker stop` and is SIGKILLed when
//! the grace period (10 s by default) ends (npm/npm #4603, TryGhost/docker-library-ghost
//! #37, usertour/usertour #450). A shell-form `CMD npm start` runs `/bin/sh -c`, which
//! neither forwards signals nor dies on them (or, where the shell execs the last command,
//! leaves npm as PID 1); npm, yarn and pnpm do not forward SIGTERM to the app reliably;
//! `node` and a `python` script install no SIGTERM handler unless the app does.
//!
//! The Dockerfile is read here only for its final (or `target`) stage's `CMD` and
//! `ENTRYPOINT` and every stage's `ARG` names, line by line with `\` continuations: the
//! full Dockerfile reader belongs to [`crate::audit`]'s Dockerfile module when there is
//! one. Findings are located at the service's `build` key (the Dockerfile's line is in
//! the message), since the Dockerfile is not one of the files the audit shows.

use crate::audit::{Deployment, Svc};
use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::health::CODE_PID1_SIGNALS;

/// The form of a `CMD` or `ENTRYPOINT`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Form {
    /// `["prog", "arg"]`
    Exec(Vec<String>),
    /// `prog arg` (run by `/bin/sh -c`).
    Shell(String),
}

/// What the audit reads of a Dockerfile.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Facts {
    /// `CMD` of the chosen stage (or a stage it is based on), with its 1-based line.
    pub(crate) cmd: Option<(Form, usize)>,
    /// `ENTRYPOINT` of the chosen stage (or a stage it is based on), with its line.
    pub(crate) entrypoint: Option<(Form, usize)>,
    /// Every `ARG` name of every stage.
    pub(crate) args: Vec<String>,
}

fn form(rest: &str) -> Form {
    let t = rest.trim();
    if t.starts_with('[') {
        if let Ok(v) = serde_json::from_str::<Vec<String>>(t) {
            return Form::Exec(v);
        }
    }
    Form::Shell(t.to_owned())
}

/// Reads the final (or `target`) stage's `CMD` and `ENTRYPOINT`, following `FROM <stage>`
/// to the stages it is based on, and every `ARG` name.
pub(crate) fn read_dockerfile(text: &str, target: Option<&str>) -> Facts {
    struct Stage {
        name: Option<String>,
        parent: Option<String>,
        cmd: Option<(Form, usize)>,
        entrypoint: Option<(Form, usize)>,
    }
    let mut stages: Vec<Stage> = Vec::new();
    let mut args = Vec::new();
    let mut logical = String::new();
    let mut start = 0;
    for (i, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if logical.is_empty() {
            if line.trim_start().starts_with('#') {
                continue;
            }
            start = i + 1;
        }
        if let Some(cont) = line.strip_suffix('\\') {
            logical.push_str(cont);
            logical.push(' ');
            continue;
        }
        logical.push_str(line);
        let instr = std::mem::take(&mut logical);
        let t = instr.trim();
        let (word, rest) = t.split_once(char::is_whitespace).unwrap_or((t, ""));
        match word.to_ascii_uppercase().as_str() {
            "FROM" => {
                let parts: Vec<&str> = rest
                    .split_whitespace()
                    .filter(|p| !p.starts_with("--"))
                    .collect();
                let name = match parts.as_slice() {
                    [_, kw, n, ..] if kw.eq_ignore_ascii_case("as") => Some(n.to_string()),
                    _ => None,
                };
                stages.push(Stage {
                    name,
                    parent: parts.first().map(|p| p.to_string()),
                    cmd: None,
                    entrypoint: None,
                });
            }
            "ARG" => {
                for a in rest.split_whitespace() {
                    let n = a.split('=').next().unwrap_or(a);
                    if !n.is_empty() {
                        args.push(n.to_owned());
                    }
                }
            }
            "CMD" => {
                if let Some(s) = stages.last_mut() {
                    s.cmd = Some((form(rest), start));
                }
            }
            "ENTRYPOINT" => {
                if let Some(s) = stages.last_mut() {
                    s.entrypoint = Some((form(rest), start));
                    // A new ENTRYPOINT resets an inherited CMD (Docker's reference).
                    if s.cmd.as_ref().is_some_and(|c| c.1 < start) {
                        s.cmd = None;
                    }
                }
            }
            _ => {}
        }
    }
    let mut idx = match target {
        Some(t) => stages.iter().position(|s| s.name.as_deref() == Some(t)),
        None => stages.len().checked_sub(1),
    };
    let mut facts = Facts {
        args,
        ..Facts::default()
    };
    let mut hops = 0;
    while let Some(i) = idx {
        let s = &stages[i];
        if facts.entrypoint.is_none() {
            facts.entrypoint = s.entrypoint.clone();
        }
        if facts.cmd.is_none() {
            facts.cmd = s.cmd.clone();
        }
        hops += 1;
        if hops > stages.len() {
            break;
        }
        idx = s.parent.as_deref().and_then(|p| {
            stages[..i]
                .iter()
                .rposition(|x| x.name.as_deref().is_some_and(|n| n.eq_ignore_ascii_case(p)))
        });
    }
    facts
}

/// The Dockerfile facts of a built service, when its Dockerfile can be read.
pub(crate) fn dockerfile_facts(d: &Deployment, s: &Svc) -> Option<(Facts, String)> {
    let b = s.build.as_ref()?;
    let path = d.local(&b.context).join(&b.dockerfile);
    let text = crate::input::read_text_lossy(&path).ok()?;
    let shown = std::path::Path::new(&b.context)
        .join(&b.dockerfile)
        .display()
        .to_string();
    Some((read_dockerfile(&text, b.target.as_deref()), shown))
}

/// Programs that do not end on SIGTERM as PID 1 (no handler, or no forwarding).
fn ignores_sigterm(argv: &[String]) -> Option<&'static str> {
    let prog = argv.first()?;
    let base = prog.rsplit('/').next().unwrap_or(prog);
    match base {
        "sh" | "bash" | "ash" | "dash" => {
            Some("a shell, which neither forwards SIGTERM nor ends on it")
        }
        "npm" | "yarn" | "pnpm" | "npx" => {
            Some("a package manager, which does not forward SIGTERM to the app reliably")
        }
        "node" | "nodejs" | "bun" | "tsx" | "ts-node" | "nodemon" => {
            Some("a Node runtime, which ignores SIGTERM as PID 1 unless the app installs a handler")
        }
        "python" | "python3" if argv.get(1).is_none_or(|a| a != "-m") => {
            Some("a Python script, which ignores SIGTERM as PID 1 unless it installs a handler")
        }
        _ => None,
    }
}

/// Programs that are an init (reap children, forward signals).
fn is_init(argv: &[String]) -> bool {
    argv.first().is_some_and(|p| {
        let base = p.rsplit('/').next().unwrap_or(p);
        matches!(
            base,
            "tini" | "dumb-init" | "docker-init" | "catatonit" | "s6-svscan"
        ) || base == "init"
    })
}

/// After `sh -c SCRIPT`, the program the shell execs last (`exec node x`), if any.
fn exec_target(script: &str) -> Option<Vec<String>> {
    let last = script
        .rsplit(['&', ';', '|'])
        .next()
        .unwrap_or(script)
        .trim();
    let words = crate::audit::compose::shell_split(last);
    let rest = words.strip_prefix(&["exec".to_owned()])?;
    Some(rest.to_vec())
}

/// The argv PID 1 ends up as, with the line it comes from (`None`: Compose).
fn effective(argv: Vec<String>) -> Vec<String> {
    // `sh -c "... && exec node x"`: the shell is replaced.
    if let [sh, c, script, ..] = argv.as_slice() {
        let base = sh.rsplit('/').next().unwrap_or(sh);
        if matches!(base, "sh" | "bash" | "ash" | "dash") && c.starts_with('-') && c.contains('c') {
            if let Some(t) = exec_target(script) {
                return effective(t);
            }
        }
    }
    // Entrypoint wrappers that exec their arguments.
    if argv
        .first()
        .is_some_and(|p| p.ends_with("docker-entrypoint.sh"))
        && argv.len() > 1
    {
        return effective(argv[1..].to_vec());
    }
    argv
}

/// BI325 on one service.
pub(crate) fn check(d: &Deployment, s: &Svc, out: &mut Vec<Diagnostic>) {
    let init = super::raw_service(d, &s.name)
        .and_then(|n| super::lookup(n, "init"))
        .and_then(|v| v.text())
        .is_some_and(|v| v == "true");
    // One-shot jobs end by themselves; what a stop does to them matters little.
    if init || super::one_shot(d, s) {
        return;
    }
    let facts = dockerfile_facts(d, s);
    let df = facts.as_ref().map(|(f, _)| f);
    let df_name = facts.as_ref().map_or("", |(_, n)| n.as_str());
    let to_argv = |f: &Form| match f {
        Form::Exec(v) => v.clone(),
        Form::Shell(t) => vec!["/bin/sh".into(), "-c".into(), t.clone()],
    };
    let mut src = String::new();
    let mut entry: Vec<String> = Vec::new();
    if let Some(c) = &s.entrypoint {
        entry = c.argv.clone();
        src = "its `entrypoint`".into();
    } else if let Some((f, line)) = df.and_then(|f| f.entrypoint.as_ref()) {
        entry = to_argv(f);
        src = format!("`ENTRYPOINT` at {df_name}:{line}");
    }
    let mut cmd: Vec<String> = Vec::new();
    if let Some(c) = &s.command {
        cmd = c.argv.clone();
        if entry.is_empty() {
            src = "its `command`".into();
        }
    } else if s.entrypoint.is_none() {
        // A Compose `entrypoint` resets the image's CMD; otherwise the Dockerfile's applies.
        if let Some((f, line)) = df.and_then(|f| f.cmd.as_ref()) {
            cmd = to_argv(f);
            if entry.is_empty() {
                src = format!("`CMD` at {df_name}:{line}");
            }
        }
    }
    // A pulled image's own ENTRYPOINT is not known here: only what the files name is
    // judged (a `command` with no `entrypoint` is taken as the program run).
    let argv: Vec<String> = entry.into_iter().chain(cmd).collect();
    if argv.is_empty() || is_init(&argv) {
        return;
    }
    let pid1 = effective(argv);
    let Some(why) = ignores_sigterm(&pid1) else {
        return;
    };
    let shown = pid1.iter().take(3).cloned().collect::<Vec<_>>().join(" ");
    let at = s
        .build
        .as_ref()
        .map(|b| &b.at)
        .or(s.command.as_ref().map(|c| &c.at));
    let at = at.unwrap_or(&s.at);
    out.push(d.diag_at(
        Severity::Warning,
        CODE_PID1_SIGNALS,
        at,
        format!("service `{}` runs `{shown}` as PID 1 ({src}): {why}; `docker stop` and every recreate wait the grace period, then SIGKILL (exit 137) cuts off in-flight requests", s.name),
        "add `init: true` to the service (docker-init forwards signals), use the exec form `CMD [\"node\", \"dist/server.js\"]` instead of `npm start` or a shell form, and handle SIGTERM in the app (close the server and the pool)".into(),
    ));
}

#[cfg(test)]
mod tests {
    use super::{effective, read_dockerfile, Form};

    #[test]
    fn final_stage_and_inheritance() {
        let f = read_dockerfile(
            "FROM node:20 AS base\nCMD [\"node\", \"a.js\"]\nARG NEXT_PUBLIC_X\nFROM base AS run\nRUN true \\\n  && true\n",
            None,
        );
        assert_eq!(
            f.cmd,
            Some((Form::Exec(vec!["node".into(), "a.js".into()]), 2))
        );
        assert_eq!(f.args, vec!["NEXT_PUBLIC_X".to_owned()]);
        let g = read_dockerfile(
            "FROM x AS a\nCMD npm start\nFROM y AS b\nCMD [\"b\"]\n",
            Some("a"),
        );
        assert_eq!(g.cmd, Some((Form::Shell("npm start".into()), 2)));
    }

    #[test]
    fn exec_in_shell_replaces_it() {
        let v = |s: &[&str]| s.iter().map(|x| (*x).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            effective(v(&["sh", "-c", "migrate && exec node dist/server.js"])),
            v(&["node", "dist/server.js"])
        );
        assert_eq!(effective(v(&["sh", "-c", "npm start"]))[0], "sh");
    }
}
