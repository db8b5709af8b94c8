//! One-shot jobs: `storage_init` when the script works on a MinIO service, `migrate` when
//! it is an app's migration (the app waits for it to complete and it runs the app's
//! image or build), else `command` (a secret in it redacted).

use super::{name_of, Common, Known};
use crate::audit::import_facts as facts;
use crate::import::{Ctx, NoteKind};
use crate::spec::*;
use crate::types::Name;

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
        mut image,
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
            match migrated_app(k, s) {
                Some(app) => {
                    c.note(NoteKind::Changed, at.clone(), format!("the migration of `{app}`: it runs `{app}`'s image with `{app}`'s environment and secrets, and runs again whenever they change"));
                    image = None;
                    JobTask::Migrate { app, argv }
                }
                None => JobTask::Command { argv },
            }
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

/// The app whose migration job `s` is: a service that is not a job, waits for `s` with
/// `service_completed_successfully`, and runs the same image or the same build (context,
/// Dockerfile, target) as `s`.
fn migrated_app(k: &Known, s: &facts::Svc) -> Option<Name> {
    let same_image = |a: &facts::Svc| match (&a.image, &s.image) {
        (Some((x, _)), Some((y, _))) => x == y,
        _ => false,
    };
    let same_build = |a: &facts::Svc| match (&a.build, &s.build) {
        (Some(x), Some(y)) => {
            (&x.context, &x.dockerfile, &x.target) == (&y.context, &y.dockerfile, &y.target)
        }
        _ => false,
    };
    k.project
        .services
        .iter()
        .filter(|a| a.name != s.name && !facts::is_job(k.d, a))
        .filter(|a| {
            a.depends_on.iter().any(|d| {
                d.name == s.name && d.condition.as_deref() == Some("service_completed_successfully")
            })
        })
        .find(|a| same_image(a) || same_build(a))
        .and_then(|a| name_of(&a.name))
}
