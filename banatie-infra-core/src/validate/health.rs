//! The health family (BI301-BI306; the registry's `rules/health.rs`): health checks that
//! can run in their image, pinned images, no port published from internal networks only,
//! health timing that can work. The findings BI301, BI303, BI304 and BI306 share with the
//! audit are built by the registry's constructors; this file says where in the spec they
//! stand.

use crate::diagnostic::Diagnostic;
use crate::images::{self, Family};
use crate::rules::health as health_rules;
use crate::rules::health::is_unpinned;
use crate::rules::health::CODE_PROBE_UNKNOWN_IMAGE;
use crate::spec::{Probe, Service, Spec};
use crate::types::ImageRef;

/// BI301: an explicit probe must call a binary the base image ships.
pub(super) fn probe_binaries(spec: &Spec, out: &mut Vec<Diagnostic>) {
    for (name, svc) in &spec.services {
        let Service::App(app) = svc else { continue };
        if !app.health.runs_own_check() {
            continue;
        }
        let binary = match app.probe {
            Probe::Auto => continue,
            Probe::Node => "node",
            Probe::Wget => "wget",
            Probe::Curl => "curl",
        };
        let (port, path) = (app.port.to_string(), app.health_path.to_string());
        let url = Some((port.as_str(), path.as_str()));
        if let Some(f) =
            health_rules::probe_binary_missing(name.as_str(), binary, &app.base_image, url)
        {
            out.push(f.at(ptr!("services", name, "probe")));
        }
    }
}

/// BI301 for `health.exec`: its program, and each program a `sh -c` script in it calls,
/// must be one the service's image ships (checked when the image is one whose contents
/// are known: [`images::ships`]). One finding per service, for the first missing one.
pub(super) fn exec_binaries(spec: &Spec, out: &mut Vec<Diagnostic>) {
    for (name, svc) in &spec.services {
        let (Some(argv), Some(image)) = (svc.health().exec.as_ref(), svc.runtime_image()) else {
            continue;
        };
        let test: Vec<String> = std::iter::once("CMD".to_owned())
            .chain(argv.iter().cloned())
            .collect();
        let (programs, _) = crate::audit::import_facts::probe_programs(&test);
        let Some(mut f) = programs
            .iter()
            .find_map(|p| health_rules::probe_binary_missing(name.as_str(), p, image, None))
        else {
            continue;
        };
        f.help = match crate::images::suggested_probe(image) {
            Some(t) => format!(
                "give `health.exec` a program `{image}` ships, for example the items after `CMD` of `{t}` (with its port and path)"
            ),
            None => format!(
                "give `health.exec` a program `{image}` ships (the server's own client, or the app's binary with a health flag)"
            ),
        };
        out.push(f.at(ptr!("services", name, "health", "exec")));
    }
}

/// BI332: a worker or generic service states how its health is checked (`health.exec`,
/// or a generic service's `health_path`) or that it has none (`health.none`), not both;
/// `health.exec` names a program.
pub(super) fn health_stated(spec: &Spec, out: &mut Vec<Diagnostic>) {
    for (name, svc) in &spec.services {
        let h = svc.health();
        let derived = match svc {
            Service::Worker(_) => false,
            Service::Generic(g) => g.health_path.is_some(),
            _ => true,
        };
        let at = ptr!("services", name, "health");
        let timed = h.interval.is_some()
            || h.timeout.is_some()
            || h.retries.is_some()
            || h.start_period.is_some()
            || h.start_interval.is_some();
        let finding = match (&h.exec, &h.none) {
            (Some(argv), _) if argv.first().is_none_or(|a| a.trim().is_empty()) => {
                health_unstated(name.as_str(), "its `health.exec` names no program")
            }
            (Some(argv), _) if ["CMD", "CMD-SHELL", "NONE"].contains(&argv[0].as_str()) => {
                health_unstated(
                    name.as_str(),
                    &format!("`health.exec` is the command itself, exec form: `{}` is Compose's test syntax, not a program (for a shell, `[sh, -c, \"...\"]`)", argv[0]),
                )
            }
            (None, Some(why)) if why.trim().is_empty() => {
                health_unstated(name.as_str(), "`health.none` gives no reason")
            }
            (None, Some(_)) if timed => health_unstated(
                name.as_str(),
                "`health.none` turns the check off, so its timing (`interval`, `timeout`, `retries`, `start_period`) does nothing: remove it",
            ),
            (Some(_), Some(_)) => health_unstated(
                name.as_str(),
                "it gives both `health.exec` and `health.none`",
            ),
            (None, None) if !derived => health_unstated(
                name.as_str(),
                &format!(
                    "a {} has no health check the tool can derive, and it gives neither `health.exec` nor `health.none`",
                    svc.kind().as_str()
                ),
            ),
            _ => continue,
        };
        out.push(finding.at(at));
    }
}

/// BI332 (spec only: a Compose file states a health check or not, the audit's BI301 and
/// BI115 cover what it says): the health of `service` is not stated as it must be, `why`.
fn health_unstated(service: &str, why: &str) -> HealthUnstated {
    HealthUnstated(format!(
        "the health check of `{service}` is not stated: {why}"
    ))
}

/// A BI332 finding, placed by [`HealthUnstated::at`].
struct HealthUnstated(String);

impl HealthUnstated {
    fn at(self, pointer: String) -> Diagnostic {
        Diagnostic::error(health_rules::CODE_HEALTH_UNSTATED, pointer, self.0).with_help(
            "give `health: { exec: [a program the image ships, its arguments] }` (exit 0 when healthy), or `health: { none: \"why it has none\" }`; nothing may then wait for it to be healthy",
        )
    }
}

/// BI305 for a generic service's `health_path`: its image must ship an HTTP client the
/// probe can call.
pub(super) fn generic_probe_image(spec: &Spec, out: &mut Vec<Diagnostic>) {
    for (name, svc) in &spec.services {
        let Service::Generic(g) = svc else { continue };
        if g.health_path.is_none() || g.health.exec.is_some() || g.health.none.is_some() {
            continue;
        }
        if g.port.is_none() {
            out.push(
                Diagnostic::error(
                    CODE_PROBE_UNKNOWN_IMAGE,
                    ptr!("services", name, "health_path"),
                    format!("`{name}` has a `health_path` but no `port` to request it on"),
                )
                .with_help("give `port:` (the port it listens on inside the container)"),
            );
        } else if images::http_probe(&g.image).is_none() {
            out.push(
                Diagnostic::error(
                    CODE_PROBE_UNKNOWN_IMAGE,
                    ptr!("services", name, "health_path"),
                    format!(
                        "`{name}` asks for an HTTP health check, but its image `{}` is not known to ship node, wget or curl",
                        g.image
                    ),
                )
                .with_help("give `health.exec` a command the image ships instead, for example its own client"),
            );
        }
    }
}

/// BI303: images are pinned to a release tag or a digest. An app's `image` is not checked
/// when the app is built (it is then the tag given to the built image).
pub(super) fn unpinned_images(spec: &Spec, out: &mut Vec<Diagnostic>) {
    let mut warn = |at: String, image: &ImageRef| {
        if let Some(f) = health_rules::unpinned_image(image) {
            out.push(f.at(at));
        }
    };
    for (name, svc) in &spec.services {
        match svc {
            Service::App(app) => {
                if let (None, Some(image)) = (&app.build, &app.image) {
                    if is_unpinned(image) {
                        warn(ptr!("services", name, "image"), image);
                    }
                }
                if is_unpinned(&app.base_image) {
                    warn(ptr!("services", name, "base_image"), &app.base_image);
                }
            }
            _ => {
                if let Some(image) = svc.image().filter(|i| is_unpinned(i)) {
                    warn(ptr!("services", name, "image"), image);
                }
            }
        }
    }
}

/// BI304: a service whose networks are all internal cannot publish a reachable port.
pub(super) fn published_on_internal(spec: &Spec, out: &mut Vec<Diagnostic>) {
    for (name, svc) in &spec.services {
        let nets = svc.networks();
        if svc.publish().is_empty() || nets.is_empty() {
            continue;
        }
        if nets
            .iter()
            .all(|n| spec.networks.get(n).is_some_and(|d| d.internal))
        {
            out.push(
                health_rules::published_on_internal(name.as_str())
                    .at(ptr!("services", name, "publish")),
            );
        }
    }
}

/// BI305: `probe: auto` needs a base image known to ship an HTTP client.
pub(super) fn probe_unknown_image(spec: &Spec, out: &mut Vec<Diagnostic>) {
    for (name, svc) in &spec.services {
        let Service::App(app) = svc else { continue };
        if !app.health.runs_own_check()
            || app.probe != Probe::Auto
            || images::http_probe(&app.base_image).is_some()
        {
            continue;
        }
        let why = if images::family(&app.base_image) == Family::Unknown {
            "what it ships is not known"
        } else {
            "it ships none of node, wget and curl"
        };
        out.push(
            Diagnostic::error(
                CODE_PROBE_UNKNOWN_IMAGE,
                ptr!("services", name, "probe"),
                format!(
                    "`probe: auto` cannot pick a health check for `{name}`: its base image `{}` is not one whose binaries are known ({why})",
                    app.base_image
                ),
            )
            .with_help("set `probe: node`, `probe: wget` or `probe: curl`, whichever the image has"),
        );
    }
}

/// BI306: health timing that can work: retries at least 1, interval at least 1s, timeout
/// at most the interval (unset values take the defaults: 30s, 10s, 3).
pub(super) fn health_timing(spec: &Spec, out: &mut Vec<Diagnostic>) {
    for (name, svc) in &spec.services {
        if !svc.has_healthcheck() {
            continue;
        }
        let h = svc.health();
        for (field, f) in health_rules::health_timing(
            name.as_str(),
            h.interval(),
            h.timeout(),
            h.retries(),
            h.timeout.is_none(),
        ) {
            out.push(f.at(ptr!("services", name, "health", field)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::Severity;
    #[allow(unused_imports)]
    use crate::rules::{health::*, secrets::*, sites::*, spec::*, storage::*};
    use crate::validate::tests::{clean, expect, spec, S3, S3_SECRETS, S3_SITE};

    fn probed(base: &str, probe: &str) -> String {
        format!("  a: {{ kind: app, build: {{ dockerfile: D }}, base_image: \"{base}\", probe: {probe}, networks: [inner] }}\n")
    }

    #[test]
    fn bi301_health_exec_calls_what_the_image_ships() {
        let worker = |exec: &str| {
            format!("  w: {{ kind: worker, image: example/w:1.0, base_image: \"node:22-alpine\", networks: [inner], health: {{ exec: {exec} }} }}\n")
        };
        for exec in [
            "[curl, -f, \"http://127.0.0.1:9000/health\"]",
            // Inside a shell script too.
            "[sh, -c, \"test -f /tmp/ok && curl -f http://127.0.0.1:9000/health\"]",
        ] {
            expect(
                &spec(&worker(exec), "", ""),
                CODE_PROBE_BINARY_MISSING,
                "/services/w/health/exec",
            );
        }
        clean(&spec(&worker("[node, dist/health.js]"), "", ""));
        clean(&spec(
            &worker("[sh, -c, \"test -f /tmp/ok && node dist/health.js\"]"),
            "",
            "",
        ));
    }

    #[test]
    fn bi301_probe_binary_missing() {
        let d = expect(
            &spec(&probed("node:20-alpine", "curl"), "", ""),
            CODE_PROBE_BINARY_MISSING,
            "/services/a/probe",
        );
        let help = d[0].help.as_deref().unwrap_or_default();
        assert!(
            help.starts_with("call a program `node:20-alpine` ships: `probe: node` in a spec;")
                && help.contains("fetch('http://127.0.0.1:3000/')"),
            "{help}"
        );
        let d = expect(
            &spec(&probed("alpine:3.20", "node"), "", ""),
            CODE_PROBE_BINARY_MISSING,
            "/services/a/probe",
        );
        assert_eq!(
            d[0].help.as_deref(),
            Some("call a program `alpine:3.20` ships: `probe: wget` in a spec; in a Compose file, the test `[\"CMD\", \"wget\", \"-q\", \"--spider\", \"http://127.0.0.1:3000/\"]`")
        );
        // An image with no HTTP client: in a spec, the help says to change the base image.
        let d = expect(
            &spec(&probed("postgres:16", "curl"), "", ""),
            CODE_PROBE_BINARY_MISSING,
            "/services/a/probe",
        );
        let help = d[0].help.as_deref().unwrap_or_default();
        assert!(
            help.starts_with("call a program `postgres:16` ships: in a Compose file, the test `[\"CMD-SHELL\", \"pg_isready")
                && help.ends_with("in a spec, `probe` needs node, wget or curl: base the final stage on an image that ships one and set `base_image` to it"),
            "{help}"
        );
        expect(
            &spec(&probed("node:20-slim", "wget"), "", ""),
            CODE_PROBE_BINARY_MISSING,
            "/services/a/probe",
        );
        clean(&spec(&probed("node:20-alpine", "node"), "", ""));
        clean(&spec(&probed("node:20-alpine", "wget"), "", ""));
        clean(&spec(&probed("node:20", "curl"), "", ""));
        // Unknown images are not judged by BI301.
        clean(&spec(&probed("example/base:1.0", "curl"), "", ""));
    }

    #[test]
    fn bi303_unpinned_images() {
        let a = "  a: { kind: app, image: example/a, networks: [inner] }\n";
        let d = expect(&spec(a, "", ""), CODE_UNPINNED_IMAGE, "/services/a/image");
        assert_eq!(d[0].severity, Severity::Warning);
        let a = "  a: { kind: app, image: \"example/a:latest\", networks: [inner] }\n";
        expect(&spec(a, "", ""), CODE_UNPINNED_IMAGE, "/services/a/image");
        expect(
            &spec(&probed("node:latest", "node"), "", ""),
            CODE_UNPINNED_IMAGE,
            "/services/a/base_image",
        );
        // MinIO's default image is `:latest`.
        let s3 = S3.replace(
            "image: \"quay.io/minio/minio:RELEASE.2025-04-22T22-12-26Z\", ",
            "",
        );
        expect(
            &spec(&s3, S3_SITE, S3_SECRETS),
            CODE_UNPINNED_IMAGE,
            "/services/s3/image",
        );
        clean(&spec(
            "  a: { kind: app, image: \"example/a:1.2.3\", networks: [inner] }\n",
            "",
            "",
        ));
        let digest = format!("example/a@sha256:{}", "0".repeat(64));
        clean(&spec(
            &format!("  a: {{ kind: app, image: \"{digest}\", networks: [inner] }}\n"),
            "",
            "",
        ));
        // A built app's `image` is the tag given to the build, not a pull.
        clean(&spec("  a: { kind: app, build: { dockerfile: D }, image: \"example/a:latest\", networks: [inner] }\n", "", ""));
    }

    #[test]
    fn bi304_published_port_on_internal_networks_only() {
        let a = "  a: { kind: app, build: { dockerfile: D }, networks: [inner], publish: [{ host: 8080, container: 3000 }, { host: 8081, container: 3000 }] }\n";
        let text = spec(a, "", "").replace(
            "source: /src }",
            "source: /src, allow_published_ports: true }",
        );
        let d = expect(&text, CODE_PUBLISHED_ON_INTERNAL, "/services/a/publish");
        assert_eq!(d.len(), 1, "once per service");
        let plain = text
            .replace(
                "networks: [inner], publish",
                "networks: [inner, plain], publish",
            )
            .replace("networks:\n", "networks:\n  plain: {}\n");
        clean(&plain);
    }

    #[test]
    fn bi305_auto_probe_on_unknown_image() {
        expect(
            &spec(&probed("example/base:1.0", "auto"), "", ""),
            CODE_PROBE_UNKNOWN_IMAGE,
            "/services/a/probe",
        );
        // Known, but without any HTTP client.
        expect(
            &spec(&probed("postgres:16", "auto"), "", ""),
            CODE_PROBE_UNKNOWN_IMAGE,
            "/services/a/probe",
        );
        clean(&spec(&probed("example/base:1.0", "wget"), "", ""));
        clean(&spec(&probed("alpine:3.20", "auto"), "", ""));
    }

    #[test]
    fn bi306_health_timing() {
        let h = |health: &str| {
            format!("  a: {{ kind: app, build: {{ dockerfile: D }}, networks: [inner], health: {{ {health} }} }}\n")
        };
        expect(
            &spec(&h("retries: 0"), "", ""),
            CODE_HEALTH_TIMING,
            "/services/a/health/retries",
        );
        expect(
            &spec(&h("interval: 10s, timeout: 20s"), "", ""),
            CODE_HEALTH_TIMING,
            "/services/a/health/timeout",
        );
        // The default timeout (10s) is longer than a 5s interval.
        let d = expect(
            &spec(&h("interval: 5s"), "", ""),
            CODE_HEALTH_TIMING,
            "/services/a/health/interval",
        );
        assert!(
            d[0].message.contains("10s (the default)"),
            "{}",
            d[0].message
        );
        expect(
            &spec(&h("interval: 500ms, timeout: 100ms"), "", ""),
            CODE_HEALTH_TIMING,
            "/services/a/health/interval",
        );
        clean(&spec(
            &h("interval: 10s, timeout: 5s, retries: 1, start_period: 1m"),
            "",
            "",
        ));
        clean(&spec(&h("interval: 1s, timeout: 1s"), "", ""));
    }
}
