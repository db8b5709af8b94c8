//! What every container runs with, read back from a hand-written Compose service into
//! the spec's settings (`spec/runtime.rs`): memory, CPU and process limits (`mem_limit`,
//! `cpus`, `pids_limit`, or `deploy.resources.limits`), log rotation, `init`,
//! `no-new-privileges`, `stop_grace_period` and PostgreSQL's `shm_size`. What the files
//! leave out takes the spec's production default, and the note says so.

use super::super::{facts, Ctx, NoteKind};
use crate::spec::{LogDriver, Logging, ServiceKind};
use crate::types::{ByteSize, Duration, EnvName};

/// The runtime settings of one service, as the spec's kind structs hold them.
pub(super) struct Runtime {
    pub(super) secrets: Vec<EnvName>,
    pub(super) mem_limit: Option<ByteSize>,
    pub(super) cpus: Option<f64>,
    pub(super) pids_limit: Option<u32>,
    pub(super) logging: Logging,
    pub(super) init: Option<bool>,
    pub(super) no_new_privileges: bool,
    pub(super) stop_grace_period: Option<Duration>,
    pub(super) shm_size: Option<ByteSize>,
}

/// Builds the kind struct `$ty { fields..., }` with the runtime settings `$rt` appended.
macro_rules! with_runtime {
    ($ty:path { $($body:tt)* }, $rt:expr) => {{
        let rt: super::runtime::Runtime = $rt;
        $ty {
            $($body)*
            secrets: rt.secrets,
            mem_limit: rt.mem_limit,
            cpus: rt.cpus,
            pids_limit: rt.pids_limit,
            logging: rt.logging,
            init: rt.init,
            no_new_privileges: rt.no_new_privileges,
            stop_grace_period: rt.stop_grace_period,
        }
    }};
}
pub(super) use with_runtime;

/// A size as Docker's `units.RAMInBytes` reads it (`mem_limit`, `shm_size`, log
/// `max-size`): a number, an optional space, then `k`, `m`, `g`, `t` or `p` (binary, any
/// case) with an optional `i` and `b`; a plain number is bytes. Hand-written to mirror
/// docker/go-units exactly, which has no Rust port.
pub(crate) fn ram_in_bytes(s: &str) -> Option<u64> {
    let s = s.trim();
    let digits = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (num, rest) = s.split_at(digits);
    let num: f64 = num.parse().ok()?;
    let rest = rest.strip_prefix(' ').unwrap_or(rest).to_ascii_lowercase();
    let (unit, tail) = rest.split_at(rest.len().min(1));
    let factor: u64 = match unit {
        "" => 1,
        "b" if tail.is_empty() => 1,
        "k" => 1 << 10,
        "m" => 1 << 20,
        "g" => 1 << 30,
        "t" => 1 << 40,
        "p" => 1 << 50,
        _ => return None,
    };
    if !matches!(tail, "" | "b" | "i" | "ib") || (unit.is_empty() && !tail.is_empty()) {
        return None;
    }
    let bytes = num * factor as f64;
    (bytes.is_finite() && bytes >= 0.0 && bytes < u64::MAX as f64).then_some(bytes as u64)
}

/// The text of `key` in the service, or of `deploy.resources.limits.<limit>`.
fn limit(node: &facts::Y, key: &str, limit: &str) -> Option<String> {
    facts::lookup(node, key).and_then(|v| v.text()).or_else(|| {
        facts::lookup(node, "deploy")?
            .get("resources")?
            .get("limits")?
            .get(limit)?
            .text()
    })
}

/// The runtime settings of service `s` of kind `kind`, noting what is not mapped and
/// which defaults the spec adds.
pub(super) fn read(
    d: &facts::Deployment,
    s: &facts::Svc,
    kind: ServiceKind,
    at: &str,
    c: &mut Ctx,
) -> Runtime {
    let mut rt = Runtime {
        secrets: Vec::new(),
        mem_limit: None,
        cpus: None,
        pids_limit: None,
        logging: Logging::default(),
        init: None,
        no_new_privileges: true,
        stop_grace_period: None,
        shm_size: None,
    };
    let Some(node) = facts::raw_service(d, &s.name) else {
        return rt;
    };
    let size = |v: Option<String>, field: &str, c: &mut Ctx| -> Option<ByteSize> {
        let v = v?;
        match ram_in_bytes(&v) {
            Some(b) => Some(ByteSize::from_bytes(b)),
            None => {
                c.note(
                    NoteKind::NotMapped,
                    format!("{at}.{field}"),
                    format!("`{v}` is not a size Docker reads"),
                );
                None
            }
        }
    };
    rt.mem_limit = size(limit(node, "mem_limit", "memory"), "mem_limit", c);
    if rt.mem_limit.is_none() && kind != ServiceKind::Job {
        c.note(
            NoteKind::Changed,
            format!("{at}.mem_limit"),
            format!(
                "no memory limit: the spec sets {} (its kind's default; BI324)",
                kind.default_mem_limit()
            ),
        );
    }
    rt.cpus = limit(node, "cpus", "cpus").and_then(|v| v.trim().parse().ok());
    rt.pids_limit = limit(node, "pids_limit", "pids").and_then(|v| v.trim().parse().ok());
    rt.init = facts::lookup(node, "init")
        .and_then(|v| v.text())
        .and_then(|v| match v.as_str() {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        });
    rt.stop_grace_period = facts::lookup(node, "stop_grace_period")
        .and_then(|v| v.text())
        .and_then(|v| v.parse().ok());
    rt.shm_size = size(
        facts::lookup(node, "shm_size").and_then(|v| v.text()),
        "shm_size",
        c,
    );
    security_opt(node, at, &mut rt, c);
    rt.logging = logging(node, kind, at, c);
    rt
}

/// `security_opt`: `no-new-privileges` is kept (and added when missing, with a note);
/// any other option (a seccomp or AppArmor profile, a label) is listed as not mapped.
fn security_opt(node: &facts::Y, at: &str, rt: &mut Runtime, c: &mut Ctx) {
    let opts: Vec<String> = facts::lookup(node, "security_opt")
        .map(|v| v.items().iter().filter_map(|i| i.text()).collect())
        .unwrap_or_default();
    let nnp = |o: &str| {
        let o = o.replace('=', ":");
        o == "no-new-privileges" || o == "no-new-privileges:true"
    };
    let off = |o: &str| o.replace('=', ":") == "no-new-privileges:false";
    if opts.iter().any(|o| off(o)) {
        rt.no_new_privileges = false;
        c.note(
            NoteKind::Assumed,
            format!("{at}.security_opt"),
            "`no-new-privileges:false` kept as written: `no_new_privileges: false`",
        );
    } else if !opts.iter().any(|o| nnp(o)) {
        c.note(
            NoteKind::Changed,
            format!("{at}.security_opt"),
            "no `no-new-privileges`: the spec sets it (BI331)",
        );
    }
    for o in opts.iter().filter(|o| !nnp(o) && !off(o)) {
        c.note(
            NoteKind::NotMapped,
            format!("{at}.security_opt"),
            format!("`{o}`: the spec holds only `no-new-privileges`"),
        );
    }
}

/// `logging`: a driver the spec offers with its rotation kept; none, or `json-file`
/// without `max-size`, becomes the spec's rotation (10MiB, 3 files), with a note.
fn logging(node: &facts::Y, kind: ServiceKind, at: &str, c: &mut Ctx) -> Logging {
    let mut out = Logging::default();
    let Some(l) = facts::lookup(node, "logging") else {
        if kind != ServiceKind::Job {
            c.note(
                NoteKind::Changed,
                format!("{at}.logging"),
                "no log rotation: the spec rotates json-file logs at 10MiB, 3 files (BI323)",
            );
        }
        return out;
    };
    let driver = l
        .get("driver")
        .and_then(|v| v.text())
        .unwrap_or_else(|| "json-file".into());
    out.driver = match driver.as_str() {
        "json-file" => LogDriver::JsonFile,
        "local" => LogDriver::Local,
        "journald" => LogDriver::Journald,
        other => {
            c.note(NoteKind::NotMapped, format!("{at}.logging.driver"), format!("`{other}`: the spec offers json-file, local and journald; json-file with rotation is used"));
            LogDriver::JsonFile
        }
    };
    let opt = |k: &str| {
        l.get("options")
            .and_then(|o| o.get(k))
            .and_then(|v| v.text())
    };
    match opt("max-size").and_then(|v| ram_in_bytes(&v)) {
        Some(b) => out.max_size = ByteSize::from_bytes(b),
        None if out.driver == LogDriver::JsonFile => {
            c.note(
                NoteKind::Changed,
                format!("{at}.logging.options"),
                "json-file without `max-size`: the spec rotates at 10MiB (BI323)",
            );
        }
        None => {}
    }
    if let Some(n) = opt("max-file").and_then(|v| v.trim().parse().ok()) {
        out.max_file = n;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::ram_in_bytes;

    #[test]
    fn sizes_read_as_docker_reads_them() {
        for (text, bytes) in [
            ("512m", 512 << 20),
            ("1g", 1 << 30),
            ("1G", 1 << 30),
            ("1GiB", 1 << 30),
            ("1gb", 1 << 30),
            ("64k", 64 << 10),
            ("1000", 1000),
            ("1000b", 1000),
            ("1.5g", 3 << 29),
            ("10 m", 10 << 20),
        ] {
            assert_eq!(ram_in_bytes(text), Some(bytes), "{text}");
        }
        for bad in ["", "m", "1x", "1mbb", "-1m", "1 ib"] {
            assert_eq!(ram_in_bytes(bad), None, "{bad}");
        }
    }
}
