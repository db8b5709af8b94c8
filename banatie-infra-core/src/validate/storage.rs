//! The storage family (BI501-BI506; the registry's `rules/storage.rs`): MinIO's drive
//! count, lifecycle rules, host directories that neither coincide nor nest, the public
//! read prefix, the PostgreSQL version. The findings BI501-BI503 share with the audit
//! (its Compose and lifecycle JSON checks) are built by the registry's constructors.

use std::collections::{HashMap, HashSet};

use super::path_components;
use crate::diagnostic::Diagnostic;
use crate::rules::storage as storage_rules;
use crate::rules::storage::CODE_OVERLAPPING_MOUNTS;
use crate::rules::storage::CODE_POSTGRES_VERSION;
use crate::spec::{Service, Spec};
use crate::types::{Name, RelPath};

/// BI501: MinIO's erasure set has 2 to 16 drives.
pub(super) fn minio_drives(spec: &Spec, out: &mut Vec<Diagnostic>) {
    for (name, svc) in &spec.services {
        let Service::Minio(m) = svc else { continue };
        if let Some(f) = storage_rules::drive_count(name.as_str(), m.drives) {
            out.push(f.at(ptr!("services", name, "drives")));
        }
    }
}

/// BI502: an empty lifecycle prefix needs `whole_bucket: true`.
pub(super) fn lifecycle_whole_bucket(spec: &Spec, out: &mut Vec<Diagnostic>) {
    for (name, svc) in &spec.services {
        let Service::Minio(m) = svc else { continue };
        for (i, rule) in m.lifecycle.iter().enumerate() {
            if rule.prefix.is_empty() && !rule.whole_bucket {
                out.push(
                    storage_rules::lifecycle_whole_bucket(&rule.id, Some(m.bucket.as_ref()))
                        .at(ptr!("services", name, "lifecycle", i, "prefix")),
                );
            }
        }
    }
}

/// BI503: lifecycle rules expire after at least a day and have distinct ids.
pub(super) fn lifecycle_rules(spec: &Spec, out: &mut Vec<Diagnostic>) {
    for (name, svc) in &spec.services {
        let Service::Minio(m) = svc else { continue };
        let mut ids: HashSet<&str> = HashSet::new();
        for (i, rule) in m.lifecycle.iter().enumerate() {
            if !ids.insert(rule.id.as_str()) {
                out.push(
                    storage_rules::lifecycle_duplicate_id(&rule.id, Some(m.bucket.as_ref()))
                        .at(ptr!("services", name, "lifecycle", i, "id")),
                );
            }
            if rule.expire_days == 0 {
                out.push(storage_rules::lifecycle_zero_days(&rule.id).at(ptr!(
                    "services",
                    name,
                    "lifecycle",
                    i,
                    "expire_days"
                )));
            }
        }
    }
}

/// BI504: host directories of mounts (and the backup directory) are distinct and not
/// nested. A pair is reported once, at the app mount when the other is a database or
/// storage data directory or the backup directory (that is the one to move), else at the
/// later one.
pub(super) fn overlapping_mounts(spec: &Spec, out: &mut Vec<Diagnostic>) {
    let mounts = mounts(spec);
    // Every path, and every proper ancestor of a path, to the first mount that has it.
    let mut exact: HashMap<&[&str], usize> = HashMap::new();
    let mut ancestors: HashMap<&[&str], usize> = HashMap::new();
    for (k, m) in mounts.iter().enumerate() {
        let clash = if let Some(&first) = exact.get(m.path.as_slice()) {
            Some((first, "the same directory as"))
        } else if let Some(&first) = (0..m.path.len())
            .rev()
            .find_map(|n| exact.get(&m.path[..n]))
        {
            Some((first, "inside"))
        } else {
            ancestors
                .get(m.path.as_slice())
                .map(|&first| (first, "a parent of"))
        };
        if let Some((first, relation)) = clash {
            out.push(overlap_diagnostic(m, &mounts[first], relation));
        }
        exact.entry(m.path.as_slice()).or_insert(k);
        for n in 0..m.path.len() {
            ancestors.entry(&m.path[..n]).or_insert(k);
        }
    }
}

/// Where a mount's host directory is written in the spec (its pointer is only built for
/// a diagnostic).
enum At<'a> {
    Logs(&'a Name),
    Volume(&'a Name, usize),
    Data(&'a Name),
    Backups,
}

impl At<'_> {
    fn pointer(&self) -> String {
        match self {
            At::Logs(name) => ptr!("services", name, "logs", "source"),
            At::Volume(name, i) => ptr!("services", name, "volumes", i, "source"),
            At::Data(name) => ptr!("services", name, "data"),
            At::Backups => ptr!("backups", "dir"),
        }
    }
}

/// A host directory BI504 compares.
struct Mount<'a> {
    /// Its components ([`path_components`]).
    path: Vec<&'a str>,
    at: At<'a>,
    /// As written, for the message.
    shown: &'a RelPath,
    /// A database or storage data directory, or the backup directory.
    data: bool,
}

/// Every host directory of the spec, in spec order: each app's logs and volumes, each
/// PostgreSQL and MinIO data directory, then the backup directory.
fn mounts(spec: &Spec) -> Vec<Mount<'_>> {
    let mut mounts: Vec<Mount<'_>> = Vec::new();
    for (name, svc) in &spec.services {
        match svc {
            Service::Worker(_) | Service::Generic(_) => {
                let (volumes, _) = svc.mounts();
                for (i, v) in volumes.into_iter().enumerate() {
                    mounts.push(Mount {
                        path: path_components(&v.source),
                        at: At::Volume(name, i),
                        shown: &v.source,
                        data: false,
                    });
                }
            }
            Service::App(app) => {
                if let Some(logs) = &app.logs {
                    mounts.push(Mount {
                        path: path_components(&logs.source),
                        at: At::Logs(name),
                        shown: &logs.source,
                        data: false,
                    });
                }
                for (i, v) in app.volumes.iter().enumerate() {
                    mounts.push(Mount {
                        path: path_components(&v.source),
                        at: At::Volume(name, i),
                        shown: &v.source,
                        data: false,
                    });
                }
            }
            Service::Postgres(pg) => mounts.push(Mount {
                path: path_components(&pg.data),
                at: At::Data(name),
                shown: &pg.data,
                data: true,
            }),
            Service::Minio(m) => mounts.push(Mount {
                path: path_components(&m.data),
                at: At::Data(name),
                shown: &m.data,
                data: true,
            }),
            Service::Job(_) => {}
        }
    }
    // The backup directory holds database dumps: no app may mount it (or the root).
    mounts.push(Mount {
        path: path_components(&spec.backups.dir),
        at: At::Backups,
        shown: &spec.backups.dir,
        data: true,
    });
    mounts
}

/// BI504's finding for mount `m`, which is `relation` the earlier mount `other`:
/// reported at `other` instead when `m` is data and `other` is not.
fn overlap_diagnostic(m: &Mount<'_>, other: &Mount<'_>, relation: &str) -> Diagnostic {
    let (at, with, relation) = if m.data && !other.data {
        let flipped = match relation {
            "inside" => "a parent of",
            "a parent of" => "inside",
            r => r,
        };
        (other, m, flipped)
    } else {
        (m, other, relation)
    };
    Diagnostic::error(
        CODE_OVERLAPPING_MOUNTS,
        at.at.pointer(),
        format!(
            "host directory `{}` is {relation} `{}` (`{}`): mounts must not share directories",
            at.shown, with.shown, with.at.pointer()
        ),
    )
    .with_help("give each mount its own directory under the root; database and storage data directories are never shared")
}

/// BI505: the public read prefix ends with `/`; an empty one makes the whole bucket public.
pub(super) fn public_prefix(spec: &Spec, out: &mut Vec<Diagnostic>) {
    for (name, svc) in &spec.services {
        let Service::Minio(m) = svc else { continue };
        let Some(prefix) = &m.public_read_prefix else {
            continue;
        };
        let at = ptr!("services", name, "public_read_prefix");
        if prefix.is_empty() {
            out.push(storage_rules::whole_bucket_public(m.bucket.as_str()).at(at));
        } else if prefix.starts_with('/') {
            out.push(storage_rules::public_prefix_leading_slash(prefix).at(at));
        } else if !prefix.ends_with('/') {
            out.push(storage_rules::public_prefix_unterminated(prefix).at(at));
        }
    }
}

/// BI506: PostgreSQL 10 to 18, and the official image's tag agrees with `version`.
pub(super) fn postgres_version(spec: &Spec, out: &mut Vec<Diagnostic>) {
    for (name, svc) in &spec.services {
        let Service::Postgres(pg) = svc else { continue };
        if !(10..=18).contains(&pg.version) {
            out.push(
                Diagnostic::error(
                    CODE_POSTGRES_VERSION,
                    ptr!("services", name, "version"),
                    format!(
                        "PostgreSQL version {} is not supported (10 to 18)",
                        pg.version
                    ),
                )
                .with_help("set the major version the image runs, 10 to 18"),
            );
            continue;
        }
        if let Some(major) = crate::spec::postgres_major(&pg.image) {
            if major != pg.version {
                out.push(
                    Diagnostic::error(
                        CODE_POSTGRES_VERSION,
                        ptr!("services", name, "image"),
                        format!("image `{}` runs PostgreSQL {major}, but `version` is {}: the init SQL is chosen by `version`", pg.image, pg.version),
                    )
                    .with_help(format!("set `version: {major}`, or use a `postgres:{}` image", pg.version)),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::Severity;
    use crate::rules::storage::CODE_HOST_PATH;
    #[allow(unused_imports)]
    use crate::rules::{health::*, secrets::*, sites::*, spec::*, storage::*};
    use crate::validate::tests::{
        clean, expect, run, spec, DB, DB_SECRETS, S3, S3_SECRETS, S3_SITE,
    };

    fn s3_with(fields: &str) -> String {
        let base = if fields.contains("public_read_prefix") {
            S3.replace("public_read_prefix: public/, ", "")
        } else {
            S3.to_owned()
        };
        base.replace(
            "networks: [inner, proxy-network] }",
            &format!("networks: [inner, proxy-network], {fields} }}"),
        )
    }

    #[test]
    fn bi501_minio_drives() {
        expect(
            &spec(&s3_with("drives: 1"), S3_SITE, S3_SECRETS),
            CODE_MINIO_DRIVES,
            "/services/s3/drives",
        );
        expect(
            &spec(&s3_with("drives: 17"), S3_SITE, S3_SECRETS),
            CODE_MINIO_DRIVES,
            "/services/s3/drives",
        );
        clean(&spec(&s3_with("drives: 2"), S3_SITE, S3_SECRETS));
        clean(&spec(&s3_with("drives: 16"), S3_SITE, S3_SECRETS));
    }

    #[test]
    fn bi502_lifecycle_on_the_whole_bucket() {
        let bad = s3_with("lifecycle: [{ id: all, prefix: \"\", expire_days: 1 }]");
        expect(
            &spec(&bad, S3_SITE, S3_SECRETS),
            CODE_LIFECYCLE_WHOLE_BUCKET,
            "/services/s3/lifecycle/0/prefix",
        );
        let good =
            s3_with("lifecycle: [{ id: all, prefix: \"\", expire_days: 1, whole_bucket: true }]");
        clean(&spec(&good, S3_SITE, S3_SECRETS));
    }

    #[test]
    fn bi503_lifecycle_rules() {
        let zero = s3_with("lifecycle: [{ id: t, prefix: temp/, expire_days: 0 }]");
        expect(
            &spec(&zero, S3_SITE, S3_SECRETS),
            CODE_LIFECYCLE_RULE,
            "/services/s3/lifecycle/0/expire_days",
        );
        let dup = s3_with("lifecycle: [{ id: t, prefix: temp/, expire_days: 1 }, { id: t, prefix: tmp/, expire_days: 2 }]");
        expect(
            &spec(&dup, S3_SITE, S3_SECRETS),
            CODE_LIFECYCLE_RULE,
            "/services/s3/lifecycle/1/id",
        );
        let good = s3_with("lifecycle: [{ id: t, prefix: temp/, expire_days: 1 }, { id: u, prefix: tmp/, expire_days: 2 }]");
        clean(&spec(&good, S3_SITE, S3_SECRETS));
    }

    #[test]
    fn bi504_overlapping_mounts() {
        let vol = |src: &str| {
            format!("  a: {{ kind: app, build: {{ dockerfile: D }}, networks: [inner], volumes: [{{ source: {src}, target: /x }}] }}\n")
        };
        // An app volume inside MinIO's data directory: reported at the app volume,
        // whichever comes first.
        let at = "/services/a/volumes/0/source";
        let d = expect(
            &spec(
                &format!("{}{S3}", vol("data/minio/drive1")),
                S3_SITE,
                S3_SECRETS,
            ),
            CODE_OVERLAPPING_MOUNTS,
            at,
        );
        assert!(
            d[0].message
                .contains("`data/minio/drive1` is inside `data/minio`"),
            "{}",
            d[0].message
        );
        let d = expect(
            &spec(
                &format!("{S3}{}", vol("data/minio/drive1")),
                S3_SITE,
                S3_SECRETS,
            ),
            CODE_OVERLAPPING_MOUNTS,
            at,
        );
        assert_eq!(d.len(), 1);
        // The same directory, written differently; a parent directory.
        expect(
            &spec(&format!("{DB}{}", vol("./data//postgres/")), "", DB_SECRETS),
            CODE_OVERLAPPING_MOUNTS,
            at,
        );
        let d = expect(
            &spec(&format!("{DB}{}", vol("data")), "", DB_SECRETS),
            CODE_OVERLAPPING_MOUNTS,
            at,
        );
        assert!(d[0].message.contains("is a parent of"), "{}", d[0].message);
        // Two apps: reported at the later one.
        let logs = "  b: { kind: app, build: { dockerfile: D }, networks: [inner], logs: { source: logs, target: /logs } }\n";
        expect(
            &spec(&format!("{}{logs}", vol("logs/a")), "", ""),
            CODE_OVERLAPPING_MOUNTS,
            "/services/b/logs/source",
        );
        // The backup directory (and the root, which holds it) is no app's to mount.
        expect(&spec(&vol("backups"), "", ""), CODE_OVERLAPPING_MOUNTS, at);
        // The root itself is also BI516's (a host directory that is the deployment root).
        let d = run(&spec(&vol("."), "", ""));
        for code in [CODE_OVERLAPPING_MOUNTS, CODE_HOST_PATH] {
            assert!(
                d.iter().any(|x| x.code == code && x.pointer == at),
                "{d:#?}"
            );
        }
        let moved = spec(&vol("backups"), "", "backups: { dir: var/backups }\n");
        clean(&moved);
        clean(&spec(
            &format!("{S3}{DB}{}{logs}", vol("data/minio-extra")),
            S3_SITE,
            "secrets: { POSTGRES_PASSWORD: {}, MINIO_ROOT_PASSWORD: {}, MINIO_SECRET_KEY: {} }\n",
        ));
    }

    #[test]
    fn bi505_public_read_prefix() {
        let d = expect(
            &spec(&s3_with("public_read_prefix: \"\""), S3_SITE, S3_SECRETS),
            CODE_PUBLIC_PREFIX,
            "/services/s3/public_read_prefix",
        );
        assert_eq!(d[0].severity, Severity::Warning);
        let d = expect(
            &spec(&s3_with("public_read_prefix: public"), S3_SITE, S3_SECRETS),
            CODE_PUBLIC_PREFIX,
            "/services/s3/public_read_prefix",
        );
        assert_eq!(d[0].severity, Severity::Error);
        assert_eq!(d[0].help.as_deref(), Some("write `public/`"));
        expect(
            &spec(
                &s3_with("public_read_prefix: /public/"),
                S3_SITE,
                S3_SECRETS,
            ),
            CODE_PUBLIC_PREFIX,
            "/services/s3/public_read_prefix",
        );
        clean(&spec(
            &s3_with("public_read_prefix: public/"),
            S3_SITE,
            S3_SECRETS,
        ));
    }

    #[test]
    fn bi506_postgres_version() {
        let db = |fields: &str| {
            DB.replace(
                "networks: [inner] }",
                &format!("networks: [inner], {fields} }}"),
            )
        };
        expect(
            &spec(&db("version: 9"), "", DB_SECRETS),
            CODE_POSTGRES_VERSION,
            "/services/db/version",
        );
        expect(
            &spec(&db("version: 19"), "", DB_SECRETS),
            CODE_POSTGRES_VERSION,
            "/services/db/version",
        );
        let sixteen = DB.replace("postgres:15-alpine", "postgres:16-alpine");
        // Without `version` the major is read from the tag: nothing disagrees.
        clean(&spec(&sixteen, "", DB_SECRETS));
        let d = expect(
            &spec(
                &sixteen.replace("networks: [inner] }", "networks: [inner], version: 15 }"),
                "",
                DB_SECRETS,
            ),
            CODE_POSTGRES_VERSION,
            "/services/db/image",
        );
        assert!(d[0]
            .message
            .contains("runs PostgreSQL 16, but `version` is 15"));
        clean(&spec(
            &sixteen.replace("networks: [inner] }", "networks: [inner], version: 16 }"),
            "",
            DB_SECRETS,
        ));
        clean(&spec(
            &DB.replace("postgres:15-alpine", "postgres:15.8"),
            "",
            DB_SECRETS,
        ));
    }
}
