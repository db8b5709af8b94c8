//! The Dockerfile of a build context read as BuildKit's Dockerfile frontend reads it
//! (moby/buildkit `frontend/dockerfile/parser` and `instructions`): one instruction a
//! line, `\` continuing it, `#` comments, here-documents (`RUN <<EOF`) skipped to their
//! end word, `ARG` before the first `FROM` for the `FROM` lines, stages named with `AS`.
//! An instruction's arguments in exec form are a JSON array of strings; text that starts
//! with `[` but is not one is read by Docker as shell form, silently.
//!
//! What is checked in the stage that is built (the last one, or the Compose `target`):
//! the user it runs as ([`CODE_RUNS_AS_ROOT`], BI317), whether its process is PID 1
//! ([`CODE_SHELL_FORM`], BI318: in shell form `/bin/sh -c` is PID 1 and does not forward
//! SIGTERM, so `docker stop` waits 10 s and kills), its `HEALTHCHECK`
//! ([`CODE_HEALTHCHECK_SYNTAX`], BI320) and its base ([`CODE_EMPTY_BASE`], BI321); and in
//! every stage, what `docker build` refuses ([`CODE_DOCKERFILE_SYNTAX`], BI319).

use indexmap::IndexMap;

use crate::diagnostic::{Code, Location, Severity};
pub use crate::rules::health::{
    CODE_DOCKERFILE_SYNTAX, CODE_EMPTY_BASE, CODE_HEALTHCHECK_SYNTAX, CODE_RUNS_AS_ROOT,
    CODE_SHELL_FORM,
};

/// One instruction: keyword (upper case), its text after the keyword, where it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Instr {
    pub(crate) keyword: String,
    pub(crate) rest: String,
    pub(crate) at: Location,
}

const KEYWORDS: &[&str] = &[
    "ADD",
    "ARG",
    "CMD",
    "COPY",
    "ENTRYPOINT",
    "ENV",
    "EXPOSE",
    "FROM",
    "HEALTHCHECK",
    "LABEL",
    "MAINTAINER",
    "ONBUILD",
    "RUN",
    "SHELL",
    "STOPSIGNAL",
    "USER",
    "VOLUME",
    "WORKDIR",
];

/// One finding: severity, code, where, message, help.
pub(crate) type Finding = (Severity, Code, Location, String, String);

/// Splits a Dockerfile into instructions; lines that are no instruction are findings.
pub(crate) fn parse(text: &str, out: &mut Vec<Finding>) -> Vec<Instr> {
    let mut instrs = Vec::new();
    let lines: Vec<&str> = text.lines().collect();
    let mut i = 0;
    while i < lines.len() {
        let first = lines[i].trim_start();
        let at = Location {
            line: i + 1,
            column: lines[i].len() - first.len() + 1,
        };
        i += 1;
        if first.is_empty() || first.starts_with('#') {
            continue;
        }
        let mut joined = String::new();
        let mut cur = first.trim_end();
        loop {
            match cur.strip_suffix('\\') {
                Some(s) => {
                    joined.push_str(s);
                    joined.push(' ');
                    // Comment and empty lines inside a continuation are skipped.
                    while i < lines.len()
                        && (lines[i].trim().starts_with('#') || lines[i].trim().is_empty())
                    {
                        i += 1;
                    }
                    if i >= lines.len() {
                        break;
                    }
                    cur = lines[i].trim();
                    i += 1;
                }
                None => {
                    joined.push_str(cur);
                    break;
                }
            }
        }
        let (kw, rest) = joined
            .split_once(char::is_whitespace)
            .unwrap_or((&joined, ""));
        let keyword = kw.to_ascii_uppercase();
        // A here-document: skip to its end word.
        if let Some(pos) = rest.find("<<") {
            let word: String = rest[pos + 2..]
                .trim_start_matches('-')
                .trim_matches(|c| c == '"' || c == '\'')
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !word.is_empty() && matches!(keyword.as_str(), "RUN" | "COPY" | "ADD") {
                while i < lines.len() && lines[i].trim() != word {
                    i += 1;
                }
                i += 1;
            }
        }
        if !KEYWORDS.contains(&keyword.as_str()) {
            out.push((
                Severity::Error,
                CODE_DOCKERFILE_SYNTAX,
                at,
                format!("unknown instruction `{kw}`: `docker build` refuses the Dockerfile"),
                "start each line with an instruction (FROM, RUN, COPY, CMD, ...); continue a long line with a trailing `\\`".into(),
            ));
            continue;
        }
        instrs.push(Instr {
            keyword,
            rest: rest.trim().to_owned(),
            at,
        });
    }
    instrs
}

/// The exec form's words, if `rest` is a JSON array of strings.
pub(crate) fn exec_form(rest: &str) -> Option<Vec<String>> {
    serde_json::from_str::<Vec<String>>(rest).ok()
}

/// A stage: its name, base, and its instructions.
struct Stage<'a> {
    name: Option<String>,
    base: String,
    from: &'a Instr,
    body: Vec<&'a Instr>,
}

/// Reads a Dockerfile and checks the stage built (`target`, else the last).
pub(crate) fn check(
    text: &str,
    target: Option<&str>,
    build_args: &[(String, String)],
) -> Vec<Finding> {
    let mut out = Vec::new();
    let instrs = parse(text, &mut out);
    let mut args: IndexMap<String, String> = IndexMap::new();
    let mut stages: Vec<Stage> = Vec::new();
    for ins in &instrs {
        match (ins.keyword.as_str(), stages.last_mut()) {
            ("ARG", None) => {
                for w in ins.rest.split_whitespace() {
                    let (k, v) = w.split_once('=').unwrap_or((w, ""));
                    let v = build_args.iter().find(|(a, _)| a == k).map_or(v, |(_, b)| b.as_str());
                    args.insert(k.to_owned(), v.trim_matches('"').to_owned());
                }
            }
            ("FROM", _) => {
                let words: Vec<&str> = ins.rest.split_whitespace().filter(|w| !w.starts_with("--")).collect();
                let raw = words.first().copied().unwrap_or("");
                let lookup = |k: &str| args.get(k).map(String::as_str);
                let base = super::interp::parse(raw)
                    .ok()
                    .and_then(|p| super::interp::expand(&p, &lookup, &super::interp::Budget::default()).ok())
                    .unwrap_or_else(|| raw.to_owned());
                let name = match words.as_slice() {
                    [_, kw, n, ..] if kw.eq_ignore_ascii_case("as") => Some(n.to_ascii_lowercase()),
                    [_] => None,
                    _ => {
                        out.push((Severity::Error, CODE_DOCKERFILE_SYNTAX, ins.at, format!("`FROM {}` is not `FROM IMAGE [AS NAME]`: `docker build` refuses it", ins.rest), "write `FROM image:tag AS name`".into()));
                        None
                    }
                };
                stages.push(Stage { name, base, from: ins, body: vec![] });
            }
            (_, None) => out.push((
                Severity::Error,
                CODE_DOCKERFILE_SYNTAX,
                ins.at,
                format!("`{}` before the first `FROM`: `docker build` refuses it (only `ARG` may come first)", ins.keyword),
                "start the Dockerfile with `FROM image:tag`".into(),
            )),
            (_, Some(st)) => st.body.push(ins),
        }
        if matches!(
            ins.keyword.as_str(),
            "CMD" | "ENTRYPOINT" | "RUN" | "SHELL" | "HEALTHCHECK"
        ) && ins.rest.trim_start().starts_with('[')
            && exec_form(&ins.rest).is_none()
            && ins.keyword != "HEALTHCHECK"
        {
            out.push((
                Severity::Error,
                CODE_DOCKERFILE_SYNTAX,
                ins.at,
                format!("`{} {}` is not a JSON array of strings, so Docker runs it in shell form, as the text `{}`", ins.keyword, ins.rest, ins.rest),
                "write the exec form with double quotes: `CMD [\"node\", \"server.js\"]`".into(),
            ));
        }
    }
    if stages.is_empty() {
        let at = instrs
            .first()
            .map_or(Location { line: 1, column: 1 }, |i| i.at);
        out.push((
            Severity::Error,
            CODE_DOCKERFILE_SYNTAX,
            at,
            "the Dockerfile has no `FROM`: `docker build` refuses it".into(),
            "start it with `FROM image:tag`".into(),
        ));
        return out;
    }
    let idx = match target {
        Some(t) => stages
            .iter()
            .position(|s| s.name.as_deref() == Some(&t.to_ascii_lowercase())),
        None => Some(stages.len() - 1),
    };
    if let Some(i) = idx {
        built_stage(&stages, i, &mut out);
    }
    out.sort_by_key(|f| (f.2.line, f.2.column));
    out
}

/// The chain of stages the built one derives from (itself first).
fn chain<'s, 'a>(stages: &'s [Stage<'a>], mut i: usize) -> Vec<&'s Stage<'a>> {
    let mut out = vec![&stages[i]];
    for _ in 0..stages.len() {
        let base = stages[i].base.to_ascii_lowercase();
        match stages[..i]
            .iter()
            .position(|s| s.name.as_deref() == Some(&base))
        {
            Some(j) => {
                out.push(&stages[j]);
                i = j;
            }
            None => break,
        }
    }
    out
}

fn built_stage(stages: &[Stage], i: usize, out: &mut Vec<Finding>) {
    let chain = chain(stages, i);
    let root = chain.last().expect("one stage at least");
    if root.base.trim().is_empty() || root.base.starts_with(':') || root.base.starts_with('@') {
        out.push((
            Severity::Error,
            CODE_EMPTY_BASE,
            root.from.at,
            format!("`FROM {}` names no image once its `ARG`s are substituted: `docker build` fails (base name should not be blank)", root.from.rest),
            "give the `ARG` a default before the first `FROM` (`ARG NODE_VERSION=20`), or pass it in the Compose `build.args`".into(),
        ));
    }
    // The last of each instruction in the chain, nearest stage first.
    let last = |kw: &str| {
        chain
            .iter()
            .find_map(|s| s.body.iter().rev().find(|i| i.keyword == kw).copied())
    };
    let user = last("USER");
    let entry = last("ENTRYPOINT");
    let cmd = last("CMD");
    let family = crate::images::family(
        &root
            .base
            .parse()
            .unwrap_or_else(|_| "scratch".parse().expect("an image")),
    );
    // Official images whose entrypoint drops privileges itself (gosu, su-exec), kept when
    // the Dockerfile sets no ENTRYPOINT of its own.
    let own_drop = matches!(
        family,
        crate::images::Family::PostgresAlpine | crate::images::Family::PostgresDebian
    ) || ["redis", "mysql", "mariadb", "mongo", "rabbitmq", "minio"]
        .iter()
        .any(|n| root.base.contains(n));
    let drops_privileges = entry.is_none() && own_drop;
    match user {
        Some(u) if matches!(u.rest.split(':').next().unwrap_or("").trim(), "root" | "0") => out.push((
            Severity::Warning,
            CODE_RUNS_AS_ROOT,
            u.at,
            "the image runs as root (`USER root` is the built stage's last USER): a break-out of the process is root in the container".into(),
            "switch back to an unprivileged user after the steps that need root: `USER node` or `USER 10001`".into(),
        )),
        None if !drops_privileges => {
            let s = chain[0];
            out.push((
                Severity::Warning,
                CODE_RUNS_AS_ROOT,
                s.from.at,
                format!("the built stage (`FROM {}`) sets no `USER`: its process runs as root", s.from.rest),
                "create or pick an unprivileged user and add `USER app` (or `USER 10001`) before `CMD`".into(),
            ));
        }
        _ => {}
    }
    let pid1 = entry.or(cmd);
    if let Some(p) = pid1 {
        let text = p.rest.trim();
        if !text.starts_with('[') && !text.is_empty() && !text.starts_with("exec ") {
            out.push((
                Severity::Warning,
                CODE_SHELL_FORM,
                p.at,
                format!("`{} {text}` is in shell form: `/bin/sh -c` is PID 1 and does not forward SIGTERM, so `docker stop` waits out its timeout and kills the process", p.keyword),
                format!("write the exec form, `{} [\"{}\"]`, or start the shell form with `exec`", p.keyword, text.split_whitespace().collect::<Vec<_>>().join("\", \"")),
            ));
        }
    }
    for s in &chain {
        for h in s.body.iter().filter(|i| i.keyword == "HEALTHCHECK") {
            healthcheck(h, out);
        }
    }
}

/// `HEALTHCHECK [OPTIONS] CMD command` or `HEALTHCHECK NONE` (the Dockerfile reference).
fn healthcheck(h: &Instr, out: &mut Vec<Finding>) {
    let mut rest = h.rest.trim();
    let mut bad = |m: String| {
        out.push((
            Severity::Error,
            CODE_HEALTHCHECK_SYNTAX,
            h.at,
            m,
            "write `HEALTHCHECK --interval=30s --timeout=5s --retries=3 CMD [\"wget\", \"-qO-\", \"http://127.0.0.1:3000/health\"]`".into(),
        ));
    };
    while let Some(opt) = rest.strip_prefix("--") {
        let (word, after) = opt.split_once(char::is_whitespace).unwrap_or((opt, ""));
        let (name, value) = word.split_once('=').unwrap_or((word, ""));
        match name {
            "interval" | "timeout" | "start-period" | "start-interval" => {
                if !duration_ok(value) {
                    bad(format!(
                        "`--{name}={value}` is not a duration Docker reads (`30s`, `1m30s`)"
                    ));
                }
            }
            "retries" => {
                if value.parse::<u32>().is_err() {
                    bad(format!("`--retries={value}` is not a whole number"));
                }
            }
            _ => bad(format!(
                "`HEALTHCHECK` has no option `--{name}`: `docker build` refuses it"
            )),
        }
        rest = after.trim_start();
    }
    if rest.eq_ignore_ascii_case("NONE") {
        return;
    }
    match rest.split_once(char::is_whitespace) {
        Some((c, cmd)) if c.eq_ignore_ascii_case("CMD") && !cmd.trim().is_empty() => {
            if cmd.trim_start().starts_with('[') && exec_form(cmd.trim()).is_none() {
                bad(format!("`{}` is not a JSON array of strings: Docker runs it as a shell command of that text", cmd.trim()));
            }
        }
        _ => bad(
            "`HEALTHCHECK` needs `CMD` and a command (or `NONE`): `docker build` refuses it".into(),
        ),
    }
}

/// A Go duration as Docker parses it (`time.ParseDuration`): numbers with units.
fn duration_ok(v: &str) -> bool {
    let mut s = v;
    if s.is_empty() {
        return false;
    }
    while !s.is_empty() {
        let num: usize = s
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '.')
            .map(char::len_utf8)
            .sum();
        if num == 0 {
            return false;
        }
        s = &s[num..];
        let unit = ["ns", "us", "µs", "ms", "s", "m", "h"]
            .iter()
            .find(|u| s.starts_with(*u));
        match unit {
            Some(u) => s = &s[u.len()..],
            None => return false,
        }
    }
    true
}

/// Reads service `service`'s Dockerfile and adds the findings (the file is listed only
/// when there are some).
pub(crate) fn report(
    d: &mut super::Deployment,
    path: &std::path::Path,
    text: &str,
    target: Option<&str>,
    build_args: &[(String, String)],
) {
    let found = check(text, target, build_args);
    if found.is_empty() {
        return;
    }
    let id = d.add_file(
        d.shown(path),
        path.to_path_buf(),
        text.to_owned(),
        super::FileKind::Dockerfile,
    );
    for (severity, code, at, message, help) in found {
        let dg = d.diag(severity, code, id, Some(at), "", message, help);
        d.diags.push(dg);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(t: &str) -> Vec<(&'static str, usize)> {
        check(t, None, &[])
            .into_iter()
            .map(|f| (f.1 .0, f.2.line))
            .collect()
    }

    #[test]
    fn final_stage_user_and_form() {
        let t = "FROM node:20-alpine AS build\nRUN npm ci\nFROM node:20-alpine\nCOPY --from=build /app /app\nCMD node server.js\n";
        assert_eq!(codes(t), vec![("BI317", 3), ("BI318", 5)]);
        let ok = "FROM node:20-alpine AS build\nRUN npm ci\nFROM node:20-alpine\nUSER node\nHEALTHCHECK --interval=30s CMD [\"wget\", \"-qO-\", \"http://127.0.0.1:3000/\"]\nCMD [\"node\", \"server.js\"]\n";
        assert!(codes(ok).is_empty(), "{:?}", codes(ok));
        assert_eq!(
            codes("FROM node:20\nUSER node\nUSER root\nENTRYPOINT exec node x.js\n"),
            vec![("BI317", 3)]
        );
    }

    #[test]
    fn syntax_healthcheck_and_empty_base() {
        let t = "ARG BASE\nFROM ${BASE}\nUSER 1000\nHEALTHCHECK --intervall=5s CMD true\nHEALTHCHECK --timeout=5 CMD true\nCOPYY . /app\nCMD ['node', 'x.js']\n";
        assert_eq!(
            codes(t),
            vec![
                ("BI321", 2),
                ("BI320", 4),
                ("BI320", 5),
                ("BI319", 6),
                ("BI319", 7)
            ]
        );
        assert_eq!(codes("RUN true\n"), vec![("BI319", 1), ("BI319", 1)]);
        let heredoc =
            "FROM alpine:3.20\nRUN <<EOF\nnot an instruction\nEOF\nUSER 1\nCMD [\"true\"]\n";
        assert!(codes(heredoc).is_empty());
    }
}
