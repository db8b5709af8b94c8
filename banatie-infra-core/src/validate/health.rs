//! The health family (BI301-BI306; the registry's `rules/health.rs`): health checks that
//! can run in their image, pinned images, no port published from internal networks only,
//! health timing that can work. Also `is_unpinned`, which the registry's BI303 message
//! (`unpinned_problem`, the audit's too) is built on.

use crate::diagnostic::Diagnostic;
use crate::images::{self, Family};
use crate::rules::health::CODE_HEALTH_TIMING;
use crate::rules::health::CODE_PROBE_BINARY_MISSING;
use crate::rules::health::CODE_PROBE_UNKNOWN_IMAGE;
use crate::rules::health::CODE_PUBLISHED_ON_INTERNAL;
use crate::rules::health::CODE_UNPINNED_IMAGE;
use crate::rules::health::{
    health_timing_problems, probe_binary_absent, published_on_internal_message, unpinned_problem,
};
use crate::spec::{Probe, Service, Spec};
use crate::types::ImageRef;

/// Whether an image is unpinned: tag `latest` or none, and no digest.
pub(crate) fn is_unpinned(image: &ImageRef) -> bool {
    !image.has_digest() && matches!(image.tag(), None | Some("latest"))
}

/// The `probe:` value to suggest for an app on `image`.
fn probe_help(image: &ImageRef) -> String {
    match images::http_probe(image) {
        Some(p) => format!("use `probe: {p}`"),
        None => format!(
            "`{image}` ships none of node, wget and curl: base the final stage on an image that does, and set `base_image` to it"
        ),
    }
}

/// BI301: an explicit probe must call a binary the base image ships.
pub(super) fn probe_binaries(spec: &Spec, out: &mut Vec<Diagnostic>) {
    for (name, svc) in &spec.services {
        let Service::App(app) = svc else { continue };
        let binary = match app.probe {
            Probe::Auto => continue,
            Probe::Node => "node",
            Probe::Wget => "wget",
            Probe::Curl => "curl",
        };
        if let Some(message) = probe_binary_absent(name.as_str(), binary, &app.base_image) {
            out.push(
                Diagnostic::error(
                    CODE_PROBE_BINARY_MISSING,
                    ptr!("services", name, "probe"),
                    message,
                )
                .with_help(probe_help(&app.base_image)),
            );
        }
    }
}

/// BI303: images are pinned to a release tag or a digest. An app's `image` is not checked
/// when the app is built (it is then the tag given to the built image).
pub(super) fn unpinned_images(spec: &Spec, out: &mut Vec<Diagnostic>) {
    let mut warn = |at: String, image: &ImageRef| {
        if let Some((message, help)) = unpinned_problem(image) {
            out.push(Diagnostic::warning(CODE_UNPINNED_IMAGE, at, message).with_help(help));
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
                Diagnostic::error(
                    CODE_PUBLISHED_ON_INTERNAL,
                    ptr!("services", name, "publish"),
                    published_on_internal_message(name.as_str()),
                )
                .with_help(
                    "remove `publish` and route through a site, or attach a non-internal network",
                ),
            );
        }
    }
}

/// BI305: `probe: auto` needs a base image known to ship an HTTP client.
pub(super) fn probe_unknown_image(spec: &Spec, out: &mut Vec<Diagnostic>) {
    for (name, svc) in &spec.services {
        let Service::App(app) = svc else { continue };
        if app.probe != Probe::Auto || images::http_probe(&app.base_image).is_some() {
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
        for (field, message, help) in health_timing_problems(
            name.as_str(),
            h.interval(),
            h.timeout(),
            h.retries(),
            h.timeout.is_none(),
        ) {
            out.push(
                Diagnostic::error(
                    CODE_HEALTH_TIMING,
                    ptr!("services", name, "health", field),
                    message,
                )
                .with_help(help),
            );
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
    fn bi301_probe_binary_missing() {
        let d = expect(
            &spec(&probed("node:20-alpine", "curl"), "", ""),
            CODE_PROBE_BINARY_MISSING,
            "/services/a/probe",
        );
        assert_eq!(d[0].help.as_deref(), Some("use `probe: node`"));
        let d = expect(
            &spec(&probed("alpine:3.20", "node"), "", ""),
            CODE_PROBE_BINARY_MISSING,
            "/services/a/probe",
        );
        assert_eq!(d[0].help.as_deref(), Some("use `probe: wget`"));
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
