//! A MinIO server as its command line says: the argv from `server` on, the S3 API and
//! console ports, the drives (with `{1...4}` expanded), which other checks and the import
//! read; and BI501 and BI512 on the drives (how many, and whether each is on a mount).

use super::family;
use crate::audit::compose::Cmd;
use crate::audit::{Deployment, Svc};
use crate::diagnostic::{Diagnostic, Severity};
use crate::images::Family;
use crate::rules::storage::CODE_DRIVE_NOT_MOUNTED;

/// The argv of a MinIO server (from `server` on), if `s` runs one.
pub(crate) fn minio_argv(d: &Deployment, s: &Svc) -> Option<Vec<String>> {
    let mut argv: Vec<String> = Vec::new();
    if let Some(e) = &s.entrypoint {
        argv.extend(e.argv.iter().cloned());
    }
    if let Some(c) = &s.command {
        argv.extend(c.argv.iter().cloned());
    }
    let i = argv.iter().position(|a| a == "server")?;
    let minio =
        family(d, s) == Family::MinioServer || argv[..i].iter().any(|a| a.ends_with("minio"));
    minio.then(|| argv[i..].to_vec())
}

/// A MinIO server's S3 API port and console port (from `--address`, `--console-address`).
pub(crate) fn minio_ports(argv: &[String]) -> (u16, Option<u16>) {
    let port = |flag: &str| {
        argv.iter().enumerate().find_map(|(i, a)| {
            let v = match a.strip_prefix(&format!("{flag}=")) {
                Some(v) => Some(v.to_owned()),
                None if a == flag => argv.get(i + 1).cloned(),
                None => None,
            }?;
            v.rsplit(':').next()?.parse::<u16>().ok()
        })
    };
    (port("--address").unwrap_or(9000), port("--console-address"))
}

/// The drive arguments of `server ...`, with `{a...b}` expanded; and whether the
/// ellipsis syntax (or more than one path) asks for several drives.
pub(crate) fn minio_drives(argv: &[String]) -> (Vec<String>, bool) {
    let mut paths = Vec::new();
    let mut i = 1;
    while i < argv.len() {
        let a = &argv[i];
        if a.starts_with('-') {
            let takes_value = !a.contains('=')
                && argv.get(i + 1).is_some_and(|n| {
                    !n.starts_with('-') && !n.starts_with('/') && !n.starts_with("http")
                });
            i += if takes_value { 2 } else { 1 };
            continue;
        }
        paths.push(a.clone());
        i += 1;
    }
    let ellipsis = paths.iter().any(|p| p.contains("..."));
    let mut out = Vec::new();
    for p in &paths {
        out.extend(expand_ellipses(p));
    }
    let multi = ellipsis || paths.len() > 1;
    (out, multi)
}

/// Expands MinIO's `{1...4}` ellipses (several in one path multiply).
fn expand_ellipses(p: &str) -> Vec<String> {
    let Some(open) = p.find('{') else {
        return vec![p.to_owned()];
    };
    let Some(close) = p[open..].find('}').map(|c| open + c) else {
        return vec![p.to_owned()];
    };
    let inner = &p[open + 1..close];
    let Some((a, b)) = inner.split_once("...") else {
        return vec![p.to_owned()];
    };
    let (Ok(a), Ok(b)) = (a.parse::<u32>(), b.parse::<u32>()) else {
        return vec![p.to_owned()];
    };
    if b < a || b - a > 1024 {
        return vec![p.to_owned()];
    }
    let mut out = Vec::new();
    for n in a..=b {
        for rest in expand_ellipses(&p[close + 1..]) {
            out.push(format!("{}{n}{rest}", &p[..open]));
        }
    }
    out
}

/// BI501 and BI512 on a MinIO server's drives.
pub(super) fn minio(d: &Deployment, s: &Svc, out: &mut Vec<Diagnostic>) {
    let Some(argv) = minio_argv(d, s) else { return };
    let (drives, multi) = minio_drives(&argv);
    if !multi {
        return;
    }
    let Some(cmd): Option<&Cmd> = s.command.as_ref().or(s.entrypoint.as_ref()) else {
        return;
    };
    let count = u32::try_from(drives.len()).unwrap_or(u32::MAX);
    if let Some(f) = crate::rules::storage::drive_count(&s.name, count) {
        out.push(d.finding_at(f, &cmd.at));
    }
    let unmounted: Vec<&String> = drives
        .iter()
        .filter(|p| !p.starts_with("http"))
        .filter(|p| {
            !s.volumes.iter().any(|v| {
                let t = v.target.trim_end_matches('/');
                !t.is_empty() && (p.as_str() == t || p.starts_with(&format!("{t}/")))
            })
        })
        .collect();
    if !unmounted.is_empty() {
        let list: Vec<String> = unmounted.iter().map(|p| format!("`{p}`")).collect();
        out.push(d.diag_at(
            Severity::Error,
            CODE_DRIVE_NOT_MOUNTED,
            &cmd.at,
            format!("MinIO `{}` uses {} drive(s) with no volume mounted on them: {}; they are on the container's root filesystem, which MinIO refuses (\"drive is part of root drive\") and which does not survive the container", s.name, unmounted.len(), list.join(", ")),
            "mount a host directory on each drive path, for example `./data/minio/drive2:/data2`".into(),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drives_expand() {
        let argv: Vec<String> = ["server", "/data{1...4}", "--console-address", ":9001"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        let (d, multi) = minio_drives(&argv);
        assert_eq!(d, ["/data1", "/data2", "/data3", "/data4"]);
        assert!(multi);
        assert_eq!(minio_ports(&argv), (9000, Some(9001)));
        assert_eq!(expand_ellipses("/d{1...2}/x{1...2}").len(), 4);
        let (d, multi) = minio_drives(&["server".to_owned(), "/data".to_owned()]);
        assert_eq!((d.len(), multi), (1, false));
    }
}
