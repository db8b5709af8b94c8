//! Applications: build, image, the image its build is based on, port, health path,
//! mounts, log directory, UID.

use super::{Common, Known};
use crate::audit::import_facts as facts;
use crate::images::{self, Family};
use crate::import::{Ctx, NoteKind};
use crate::spec::*;
use crate::types::{AbsPath, Port};

/// The app service `s`.
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
        container_env,
    } = common;
    let build = build(k, s, &at, c);
    let base_image = match k.d.images.get(&s.name) {
        Some(i) if s.build.is_some() || images::family(i) != Family::Unknown => i.clone(),
        _ => {
            c.note(NoteKind::Assumed, format!("{at}.base_image"), "the image its final stage is based on is not known here: `node:20-alpine` (pass --base-image)");
            "node:20-alpine".parse().expect("valid")
        }
    };
    let (probe_port, probe_path) = s
        .healthcheck
        .as_ref()
        .and_then(|hc| facts::probe_url(&facts::probe_programs(&hc.test).1))
        .unwrap_or_default();
    let port = k
        .site_ports
        .get(&s.name)
        .and_then(|p| p.first().copied())
        .or_else(|| probe_port.parse().ok())
        .or_else(|| container_env.get("PORT").and_then(|p| p.0.parse().ok()));
    if port.is_none() {
        c.note(
            NoteKind::Assumed,
            &at,
            "no site, health check or PORT says its port: 3000",
        );
    }
    let port = Port::new(port.unwrap_or(3000)).unwrap_or_else(|_| Port::new(3000).expect("valid"));
    let health_path: crate::types::UrlPath = probe_path
        .parse()
        .unwrap_or_else(|_| "/".parse().expect("valid"));
    let mut h = h;
    if let Some(hc) = &s.healthcheck {
        h.exec = kept_check(hc, &base_image, port, &health_path, &at, c);
    }
    let (logs, volumes) = mounts(s, &at, c);
    let uid = match s
        .user
        .as_deref()
        .and_then(|u| u.split(':').next()?.parse().ok())
    {
        Some(u) => u,
        None => {
            c.note(
                NoteKind::Assumed,
                format!("{at}.user"),
                "the UID the image runs as is not in these files: 1001",
            );
            1001
        }
    };
    let process = super::process::read(k.d, s, &at, c);
    Service::App(super::process::with_process!(
        AppService {
            build,
            // With `build`, the tag given to the built image.
            image,
            base_image,
            uid,
            port,
            health_path,
            probe: Probe::Auto,
            logs,
            volumes,
            restart: super::restart(s, c),
            networks: nets,
            depends_on: depends,
            environment,
            publish,
            health: h,
        },
        process,
        runtime
    ))
}

/// The `build` of a service built from source: its context when it is absolute and not
/// `stack.source` (a relative one is noted: the spec builds from `stack.source`).
pub(super) fn build(k: &Known, s: &facts::Svc, at: &str, c: &mut Ctx) -> Option<Build> {
    let b = s.build.as_ref()?;
    let context = (b.context.starts_with('/')
        && Some(b.context.as_str()) != k.source.map(|p| p.as_str()))
    .then(|| b.context.parse().ok())
    .flatten();
    if !b.context.starts_with('/') {
        c.note(
            NoteKind::Changed,
            format!("{at}.build.context"),
            format!(
                "`{}` is relative: the spec builds from `stack.source`",
                b.context
            ),
        );
    }
    let mut args = std::collections::BTreeMap::new();
    for (name, value) in &b.args {
        match name.parse::<crate::types::EnvName>() {
            Ok(n) if !crate::redact::looks_secret(name) => {
                args.insert(n, value.clone());
            }
            Ok(_) => c.note(
                NoteKind::NotMapped,
                format!("{at}.build.args.{name}"),
                "a secret-looking build argument is not carried: build arguments stay in the image's history (BI214); give the secret to the running container".to_owned(),
            ),
            Err(_) => c.note(
                NoteKind::NotMapped,
                format!("{at}.build.args.{name}"),
                "not a variable name the spec accepts".to_owned(),
            ),
        }
    }
    Some(Build {
        context,
        dockerfile: b.dockerfile.parse().ok()?,
        target: b.target.clone(),
        args,
    })
}

/// The app's health check as the spec holds it: `None` (the spec's `probe: auto`) when
/// the Compose test is the probe the tool renders, or when it calls a program the image
/// is known not to ship (a defect fixed, with a note); else the test as `health.exec`,
/// kept as written, since the tool cannot tell a probe it does not know is wrong.
fn kept_check(
    hc: &facts::Health,
    base: &crate::types::ImageRef,
    port: Port,
    path: &crate::types::UrlPath,
    at: &str,
    c: &mut Ctx,
) -> Option<Vec<String>> {
    let own = crate::render::compose::app_health_test(Probe::Auto, base, port.get(), path.as_str());
    let exec = super::process::exec_of(hc)?;
    if hc.test == own {
        return None;
    }
    let (programs, _) = facts::probe_programs(&hc.test);
    if programs
        .iter()
        .any(|p| images::ships(base, p) == Some(false))
    {
        c.note(
            NoteKind::Changed,
            format!("{at}.healthcheck.test"),
            format!(
                "`{}` calls a program `{base}` does not ship: replaced by a probe it ships, against 127.0.0.1 (`probe: auto`)",
                programs.join(" ")
            ),
        );
        return None;
    }
    Some(exec)
}

/// The service's mounts under the deployment root: the first one of a log directory
/// apart (as `logs`), the rest as `volumes`.
pub(super) fn mounts(s: &facts::Svc, at: &str, c: &mut Ctx) -> (Option<Mount>, Vec<Mount>) {
    let mut logs = None;
    let mut volumes = Vec::new();
    for v in &s.volumes {
        let (Some(source), Ok(target)) = (c.rel(&v.source), v.target.parse::<AbsPath>()) else {
            c.note(
                NoteKind::NotMapped,
                format!("{at}.volumes"),
                format!(
                    "`{}:{}` is not a directory under the deployment root",
                    v.source, v.target
                ),
            );
            continue;
        };
        let m = Mount {
            source,
            target,
            read_only: v.read_only,
        };
        if logs.is_none() && v.target.contains("log") && !v.target.contains("waitlist") {
            logs = Some(m);
        } else {
            volumes.push(m);
        }
    }
    (logs, volumes)
}
