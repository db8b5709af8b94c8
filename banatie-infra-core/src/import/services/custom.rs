//! Workers (built from source, no site, no HTTP probe) and generic services (any other
//! image): their build or image, mounts, UID, process settings, and the health check read
//! as `health.exec` or `health.none`.

use super::{Common, Known};
use crate::audit::import_facts as facts;
use crate::import::Ctx;
use crate::spec::*;

/// The worker service `s`.
pub(super) fn worker(k: &Known, s: &facts::Svc, common: Common, c: &mut Ctx) -> Service {
    let Common {
        runtime,
        at,
        networks,
        depends_on,
        environment,
        publish,
        health,
        image,
        ..
    } = common;
    let build = super::app::build(k, s, &at, c);
    let base_image = k.d.images.get(&s.name).cloned();
    let (logs, mut volumes) = super::app::mounts(s, &at, c);
    volumes.extend(logs);
    let health = super::process::health(s, health, &at, c);
    let process = super::process::read(k.d, s, &at, c);
    let uid = process.user.as_ref().and_then(ProcessUser::uid);
    Service::Worker(super::process::with_process!(
        WorkerService {
            build,
            image,
            base_image,
            uid,
            volumes,
            restart: super::restart(s, c),
            networks,
            depends_on,
            environment,
            publish,
            health,
        },
        process,
        runtime
    ))
}

/// The generic service `s`.
pub(super) fn generic(k: &Known, s: &facts::Svc, common: Common, c: &mut Ctx) -> Service {
    let Common {
        runtime,
        at,
        networks,
        depends_on,
        environment,
        publish,
        health,
        image,
        container_env,
        ..
    } = common;
    let image = image
        .or_else(|| k.d.images.get(&s.name).cloned())
        .unwrap_or_else(|| {
            c.note(
                crate::import::NoteKind::Assumed,
                format!("{at}.image"),
                "no image: `busybox:1.36`",
            );
            "busybox:1.36".parse().expect("valid")
        });
    let (logs, mut volumes) = super::app::mounts(s, &at, c);
    volumes.extend(logs);
    let health = super::process::health(s, health, &at, c);
    let process = super::process::read(k.d, s, &at, c);
    let uid = process.user.as_ref().and_then(ProcessUser::uid);
    let port = container_env
        .get("PORT")
        .and_then(|p| p.0.parse::<u16>().ok())
        .and_then(|p| crate::types::Port::new(p).ok());
    Service::Generic(super::process::with_process!(
        GenericService {
            image,
            port,
            health_path: None,
            uid,
            volumes,
            restart: super::restart(s, c),
            networks,
            depends_on,
            environment,
            publish,
            health,
        },
        process,
        runtime
    ))
}
