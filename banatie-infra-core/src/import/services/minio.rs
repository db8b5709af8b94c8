//! MinIO: drives from `/data{1...N}` and their parent directory, ports, root user, and
//! the bucket, service account, policy, lifecycle rules and public prefix from the init
//! job's script.

use std::collections::HashSet;

use super::{Common, Known};
use crate::audit::import_facts as facts;
use crate::import::{Ctx, NoteKind};
use crate::spec::*;
use crate::types::Port;

/// The minio service `s`.
pub(super) fn service(
    k: &Known,
    s: &facts::Svc,
    common: Common,
    derived: &mut HashSet<String>,
    c: &mut Ctx,
) -> Service {
    let Common {
        runtime,
        at,
        networks: nets,
        depends_on: depends,
        environment,
        publish,
        health: h,
        image,
        family: _fam,
        minio_argv,
        container_env: _,
    } = common;
    let argv = minio_argv.clone().unwrap_or_default();
    let (drives, _) = facts::minio_drives(&argv);
    let (api_port, console_port) = facts::minio_ports(&argv);
    // The data directory: the common parent of `<data>/driveN` mounts.
    let mounts: Vec<&facts::Volume> = drives
        .iter()
        .filter_map(|p| {
            s.volumes
                .iter()
                .find(|v| v.target.trim_end_matches('/') == p)
        })
        .collect();
    let parents: HashSet<String> = mounts
        .iter()
        .filter_map(|v| c.rel(&v.source))
        .filter_map(|r| r.as_str().rsplit_once('/').map(|(a, _)| a.to_owned()))
        .collect();
    let data = (parents.len() == 1)
        .then(|| parents.into_iter().next())
        .flatten()
        .and_then(|p| p.parse().ok());
    if data.is_none() || mounts.len() != drives.len() {
        c.note(
            NoteKind::Changed,
            format!("{at}.volumes"),
            "drives are mounted from `data/minio/driveN` under the root",
        );
    }
    if console_port.is_none() {
        c.note(
            NoteKind::Assumed,
            format!("{at}.command"),
            "no `--console-address`: console port 9001",
        );
    }
    let root_user = k
        .value("MINIO_ROOT_USER")
        .unwrap_or_else(|| "banatie_admin".into());
    derived.insert("MINIO_ROOT_USER".into());
    let (scripts, scanned) = init_scripts(k, s);
    let bucket = scanned
        .iter()
        .find_map(facts::made_bucket)
        .map(|b| b.1)
        .or_else(|| k.value("MINIO_BUCKET_NAME"))
        .and_then(|b| b.parse().ok())
        .unwrap_or_else(|| "banatie".parse().expect("valid"));
    let mut account = ServiceAccount::default();
    if let Some(k) = k.value("MINIO_ACCESS_KEY") {
        account.access_key = k;
    }
    derived.insert(account.access_key_env.to_string());
    if let Some(p) = scanned.iter().find_map(attached_policy) {
        account.policy = p;
    }
    let lifecycle = scripts.iter().find_map(|sc| lifecycle_rules(&sc.text));
    if lifecycle.is_none() {
        c.note(
            NoteKind::Assumed,
            &at,
            "no lifecycle rules found in an init script: the default (temp/ after 7 days)",
        );
    }
    let public = public_prefix(&scanned);
    if public.is_none()
        && k.site_ports
            .get(&s.name)
            .is_some_and(|p| p.contains(&api_port))
    {
        c.note(NoteKind::NotMapped, &at, "a site serves the S3 API, but no init script makes anything anonymously readable: `public_read_prefix` is left unset (BI406); set it to the prefix public URLs use");
    }
    note_derived_urls(k, s, &at, c);
    Service::Minio(super::runtime::with_runtime!(
        MinioService {
            image: image.unwrap_or_else(|| "quay.io/minio/minio:latest".parse().expect("valid")),
            drives: u32::try_from(drives.len()).unwrap_or(4),
            data: data.unwrap_or_else(|| "data/minio".parse().expect("valid")),
            api_port: Port::new(api_port).unwrap_or_else(|_| Port::new(9000).expect("valid")),
            console_port: Port::new(console_port.unwrap_or(9001)).expect("valid"),
            uid: 1000,
            root_user,
            bucket,
            service_account: account,
            lifecycle: lifecycle.unwrap_or_else(|| {
                vec![LifecycleRule {
                    id: "temp-cleanup".into(),
                    prefix: "temp/".into(),
                    expire_days: 7,
                    whole_bucket: false,
                }]
            }),
            public_read_prefix: public,
            restart: super::restart(s, c),
            networks: nets,
            depends_on: depends,
            environment,
            publish,
            health: h,
        },
        runtime
    ))
}

/// `mc admin policy attach ALIAS POLICY ...`: the policy.
fn attached_policy(s: &facts::Script) -> Option<String> {
    s.cmds.iter().find_map(|c| {
        if c.name() != Some("mc") {
            return None;
        }
        let sub: Vec<&str> = c.argv()[1..]
            .iter()
            .map(|w| w.text.as_str())
            .filter(|w| !w.starts_with('-'))
            .collect();
        match sub.as_slice() {
            ["admin", "policy", "attach", _, policy, ..] => Some((*policy).to_owned()),
            _ => None,
        }
    })
}

/// Lifecycle rules from an S3 lifecycle configuration written in a script (a here-document
/// holding `{"Rules": [...]}`).
fn lifecycle_rules(script: &str) -> Option<Vec<LifecycleRule>> {
    let start = script.find("\"Rules\"")?;
    let open = script[..start].rfind('{')?;
    let mut depth = 0;
    let mut end = None;
    for (i, ch) in script[open..].char_indices() {
        match ch {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    end = Some(open + i + 1);
                    break;
                }
            }
            _ => {}
        }
    }
    let json: serde_json::Value = serde_json::from_str(&script[open..end?]).ok()?;
    let rules = json.get("Rules")?.as_array()?;
    let out: Vec<LifecycleRule> = rules
        .iter()
        .filter_map(|r| {
            let prefix = r
                .pointer("/Filter/Prefix")
                .or_else(|| r.get("Prefix"))
                .and_then(|p| p.as_str())
                .unwrap_or("")
                .to_owned();
            Some(LifecycleRule {
                id: r.get("ID")?.as_str()?.to_owned(),
                whole_bucket: prefix.is_empty(),
                prefix,
                expire_days: u32::try_from(r.pointer("/Expiration/Days")?.as_u64()?).ok()?,
            })
        })
        .collect();
    (!out.is_empty()).then_some(out)
}

/// The init scripts of the jobs that initialise `s`, as written and scanned.
fn init_scripts<'a>(
    k: &Known<'a>,
    s: &facts::Svc,
) -> (Vec<&'a facts::ScriptRef>, Vec<facts::Script>) {
    let scripts: Vec<&facts::ScriptRef> =
        k.d.scripts
            .iter()
            .filter(|sc| {
                sc.service.as_deref().is_some_and(|j| {
                    k.storage_jobs
                        .iter()
                        .any(|(n, t)| n == j && t.contains(&s.name))
                })
            })
            .collect();
    let scanned: Vec<facts::Script> = scripts.iter().map(|sc| facts::scan(&sc.text)).collect();
    (scripts, scanned)
}

/// The prefix an init script makes anonymously readable (`mc anonymous set download
/// ALIAS/BUCKET/PREFIX`), `""` for the whole bucket.
fn public_prefix(scanned: &[facts::Script]) -> Option<String> {
    let public = scanned
        .iter()
        .find_map(facts::anonymous_read)
        .map(|target| {
            target
                .split_once('/')
                .map(|(_, rest)| rest.split_once('/').map_or("", |(_, p)| p).to_owned())
                .unwrap_or_default()
        });
    public
}

/// Notes the MinIO URLs of `s`'s environment that the spec derives differently (from the
/// sites that route to it).
fn note_derived_urls(k: &Known, s: &facts::Svc, at: &str, c: &mut Ctx) {
    for e in &s.environment {
        if let (Some(v), "MINIO_BROWSER_REDIRECT_URL" | "MINIO_SERVER_URL") =
            (&e.value, e.name.as_str())
        {
            let matches =
                k.d.sites
                    .iter()
                    .any(|(_, site)| site.domains.iter().any(|dm| *v == format!("https://{dm}")));
            if !matches {
                c.note(
                    NoteKind::Changed,
                    format!("{at}.environment.{}", e.name),
                    "derived from the sites that route to the service",
                );
            }
        }
    }
}
