//! The process settings of `app`, `worker` and `service` (`spec/process.rs`) read back
//! from a hand-written Compose service: `entrypoint`, `command` (a secret in either is
//! redacted, never copied into the spec), `user`, `working_dir`, `read_only`, `tmpfs`,
//! `cap_drop` and `cap_add`; and the health check of the kinds whose check the tool
//! cannot derive (`health.exec` or `health.none`).

use super::super::{facts, holds_secret, Ctx, NoteKind};
use crate::spec::{Capability, HealthTiming};
use crate::types::AbsPath;

/// The process settings of one service, as the kind structs hold them.
pub(super) struct Process {
    pub(super) entrypoint: Option<Vec<String>>,
    pub(super) command: Option<Vec<String>>,
    pub(super) user: Option<crate::spec::ProcessUser>,
    pub(super) working_dir: Option<AbsPath>,
    pub(super) read_only: bool,
    pub(super) tmpfs: Vec<AbsPath>,
    pub(super) cap_drop: Vec<Capability>,
    pub(super) cap_add: Vec<Capability>,
}

/// Builds the kind struct `$ty { fields..., }` with the process settings `$p` and the
/// runtime settings `$rt` appended.
macro_rules! with_process {
    ($ty:path { $($body:tt)* }, $p:expr, $rt:expr) => {{
        let p: super::process::Process = $p;
        super::runtime::with_runtime!(
            $ty {
                $($body)*
                entrypoint: p.entrypoint,
                command: p.command,
                user: p.user,
                working_dir: p.working_dir,
                read_only: p.read_only,
                tmpfs: p.tmpfs,
                cap_drop: p.cap_drop,
                cap_add: p.cap_add,
            },
            $rt
        )
    }};
}
pub(super) use with_process;

/// `argv` as the spec may hold it: an item holding a secret (`PGPASSWORD=...`,
/// `-u user:pass`) is redacted, with a note at `at`.
pub(super) fn without_secrets(mut argv: Vec<String>, at: &str, c: &mut Ctx) -> Vec<String> {
    let joined = argv.join(" ");
    if !holds_secret(&joined) {
        return argv;
    }
    for a in &mut argv {
        *a = crate::redact::redact(a);
    }
    if argv.join(" ") == joined {
        argv = vec![crate::redact::MARKER.to_owned()];
    }
    c.note(
        NoteKind::NotMapped,
        at,
        "the command holds a secret; it is replaced by `<redacted>`: have it read the secret from secrets.env",
    );
    argv
}

/// The process settings of service `s`.
pub(super) fn read(d: &facts::Deployment, s: &facts::Svc, at: &str, c: &mut Ctx) -> Process {
    let entrypoint = s
        .entrypoint
        .as_ref()
        .map(|e| without_secrets(e.argv.clone(), &format!("{at}.entrypoint"), c));
    let command = s
        .command
        .as_ref()
        .map(|e| without_secrets(e.argv.clone(), &format!("{at}.command"), c));
    let mut p = Process {
        entrypoint,
        command,
        user: s
            .user
            .as_deref()
            .and_then(|u| parsed(u, &format!("{at}.user"), c)),
        working_dir: None,
        read_only: false,
        tmpfs: Vec::new(),
        cap_drop: Vec::new(),
        cap_add: Vec::new(),
    };
    let Some(node) = facts::raw_service(d, &s.name) else {
        return p;
    };
    let text = |k: &str| facts::lookup(node, k).and_then(|v| v.text());
    p.working_dir = text("working_dir").and_then(|w| parsed(&w, &format!("{at}.working_dir"), c));
    p.read_only = text("read_only").as_deref() == Some("true");
    let list = |k: &str| -> Vec<String> {
        facts::lookup(node, k)
            .map(|v| match v.text() {
                Some(one) => vec![one],
                None => v.items().iter().filter_map(|i| i.text()).collect(),
            })
            .unwrap_or_default()
    };
    // `tmpfs: /run:size=64m` keeps its path; the options are Docker's, not the spec's.
    p.tmpfs = list("tmpfs")
        .iter()
        .filter_map(|t| {
            let (path, opts) = t.split_once(':').unwrap_or((t, ""));
            if !opts.is_empty() {
                c.note(
                    NoteKind::NotMapped,
                    format!("{at}.tmpfs"),
                    format!("`{opts}`: the spec's tmpfs mounts take Docker's defaults"),
                );
            }
            parsed(path, &format!("{at}.tmpfs"), c)
        })
        .collect();
    p.cap_drop = list("cap_drop")
        .iter()
        .filter_map(|x| parsed(x, &format!("{at}.cap_drop"), c))
        .collect();
    p.cap_add = list("cap_add")
        .iter()
        .filter_map(|x| parsed(x, &format!("{at}.cap_add"), c))
        .collect();
    p
}

fn parsed<T: std::str::FromStr>(v: &str, at: &str, c: &mut Ctx) -> Option<T> {
    match v.parse() {
        Ok(t) => Some(t),
        Err(_) => {
            c.note(
                NoteKind::NotMapped,
                at,
                format!("`{v}` is not a value the spec reads here"),
            );
            None
        }
    }
}

/// A Compose health check's test as `health.exec`: `["CMD", ...]` as it is, a shell form
/// under `sh -c`; `None` when disabled or empty.
pub(super) fn exec_of(hc: &facts::Health) -> Option<Vec<String>> {
    if hc.disabled {
        return None;
    }
    match hc.test.as_slice() {
        [cmd, rest @ ..] if cmd == "CMD" && !rest.is_empty() => Some(rest.to_vec()),
        [shell, line] if shell == "CMD-SHELL" => Some(vec!["sh".into(), "-c".into(), line.clone()]),
        _ => None,
    }
}

/// The health check of a worker or generic service: the Compose file's test as
/// `health.exec` (a shell form runs under `sh -c`), or `health.none` when there is none.
pub(super) fn health(s: &facts::Svc, mut h: HealthTiming, at: &str, c: &mut Ctx) -> HealthTiming {
    match s.healthcheck.as_ref().and_then(exec_of) {
        Some(argv) => h.exec = Some(argv),
        None => {
            // Timing means nothing without a check (BI332).
            h = HealthTiming {
                none: Some("the Compose file gives it no health check".into()),
                ..HealthTiming::default()
            };
            c.note(
                NoteKind::Assumed,
                format!("{at}.healthcheck"),
                "no health check: `health.none` (give `health.exec` a command the image ships; BI332)",
            );
        }
    }
    h
}
