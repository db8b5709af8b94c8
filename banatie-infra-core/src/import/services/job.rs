//! One-shot jobs: `storage_init` when the script works on a MinIO service, else
//! `command` (a secret in it redacted).

use super::{name_of, Common, Known};
use crate::audit::import_facts as facts;
use crate::import::{Ctx, NoteKind};
use crate::spec::*;

/// The job service `s`.
pub(super) fn service(k: &Known, s: &facts::Svc, common: Common, c: &mut Ctx) -> Service {
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
        minio_argv: _,
        container_env: _,
    } = common;
    let targets = k
        .storage_jobs
        .iter()
        .find(|(n, _)| *n == s.name)
        .map(|(_, t)| t.clone())
        .unwrap_or_default();
    let task = match targets.first().and_then(|t| name_of(t)) {
        Some(minio) => {
            c.note(NoteKind::Changed, format!("{at}.entrypoint"), "the init script is generated: `sh -eu`, idempotent, current `mc` syntax, no masked failures");
            JobTask::StorageInit { minio }
        }
        None => {
            let mut argv: Vec<String> = Vec::new();
            if let Some(e) = &s.entrypoint {
                argv.extend(e.argv.iter().cloned());
            }
            if let Some(cmd) = &s.command {
                argv.extend(cmd.argv.iter().cloned());
            }
            // A secret in the command (`PGPASSWORD=...`, `-u user:pass`) is
            // not copied: the spec would publish it.
            let argv = super::process::without_secrets(argv, &format!("{at}.command"), c);
            JobTask::Command { argv }
        }
    };
    Service::Job(super::runtime::with_runtime!(
        JobService {
            image,
            task,
            networks: nets,
            depends_on: depends,
            environment,
            publish,
            health: h,
        },
        runtime
    ))
}
