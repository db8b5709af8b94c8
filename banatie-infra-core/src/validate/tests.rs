//! The fixtures every family's tests share (a base spec with `web` behind a site, and
//! `expect` / `clean`, which also check the shape of every finding), and the tests of
//! [`validate`](super::validate) as a whole: the base spec and the example are clean, and
//! ten thousand services validate quickly.

use super::*;
use crate::diagnostic::{Code, Severity};
use crate::load::{load_str, Format};
#[allow(unused_imports)]
use crate::rules::{health::*, secrets::*, sites::*, spec::*, storage::*};
use crate::spec::{Condition, Service};

const STACK: &str = "stack: { name: t, source: /src }\n";
pub(super) const NETS: &str =
    "networks:\n  inner: { internal: true }\n  proxy-network: { external: true }\n";
pub(super) const WEB: &str =
    "  web: { kind: app, build: { dockerfile: Dockerfile }, networks: [inner, proxy-network] }\n";
pub(super) const SITE: &str = "  - { domains: [t.example.com], service: web }\n";
pub(super) const DB: &str =
    "  db: { kind: postgres, image: \"postgres:15-alpine\", networks: [inner] }\n";
pub(super) const DB_SECRETS: &str = "secrets: { POSTGRES_PASSWORD: {} }\n";
pub(super) const S3: &str = "  s3: { kind: minio, image: \"quay.io/minio/minio:RELEASE.2025-04-22T22-12-26Z\", public_read_prefix: public/, networks: [inner, proxy-network] }\n";
pub(super) const S3_SITE: &str =
    "  - { domains: [cdn.example.com], service: s3, methods: [GET, HEAD, OPTIONS] }\n";
pub(super) const S3_SECRETS: &str = "secrets: { MINIO_ROOT_PASSWORD: {}, MINIO_SECRET_KEY: {} }\n";

/// A spec with the stack, the two networks, `web` behind a site at `/sites/0`, then
/// `services` (more service lines), `sites` (more site lines) and `rest` (top-level keys).
pub(super) fn spec(services: &str, sites: &str, rest: &str) -> String {
    format!("{STACK}{NETS}services:\n{WEB}{services}sites:\n{SITE}{sites}{rest}")
}

/// The findings for `text` (YAML); panics with the loader's finding if it does not load.
/// BI213 (a declared secret no service receives) is left out: the families' fixtures
/// declare secrets without handing them to services; [`run_all`] keeps it.
pub(super) fn run(text: &str) -> Vec<Diagnostic> {
    run_all(text)
        .into_iter()
        .filter(|d| d.code != CODE_SECRET_UNUSED)
        .collect()
}

/// Every finding for `text` (YAML), BI213 included.
pub(super) fn run_all(text: &str) -> Vec<Diagnostic> {
    match load_str(text, Format::Yaml, "t.yaml") {
        Ok(l) => validate(&l.spec),
        Err(e) => panic!("does not load: {:?}\n{text}", e.to_diagnostic()),
    }
}

/// Every finding has a code of the table, the table's severity (or a warning, for the
/// codes with a warning variant) and a help line.
fn check_shape(diags: &[Diagnostic]) {
    for d in diags {
        let sev = &crate::rules::get(d.code.0)
            .unwrap_or_else(|| panic!("{} is not in the registry", d.code))
            .severity;
        let mixed = [CODE_NETWORK_LAYOUT, CODE_PUBLISHED_PORT, CODE_PUBLIC_PREFIX];
        assert!(
            d.severity == *sev || (mixed.contains(&d.code) && d.severity == Severity::Warning),
            "{d:?}"
        );
        assert!(d.help.as_deref().is_some_and(|h| !h.is_empty()), "{d:?}");
        assert!(d.pointer.starts_with('/'), "{d:?}");
    }
}

/// `text` yields `code` at `at`, and no other code.
#[track_caller]
pub(super) fn expect(text: &str, code: Code, at: &str) -> Vec<Diagnostic> {
    let d = run(text);
    check_shape(&d);
    assert!(
        d.iter().any(|x| x.code == code && x.pointer == at),
        "expected {code} at {at} for:\n{text}\ngot {d:#?}"
    );
    assert!(
        d.iter().all(|x| x.code == code),
        "expected only {code} for:\n{text}\ngot {d:#?}"
    );
    d
}

/// `text` yields nothing at all.
#[track_caller]
pub(super) fn clean(text: &str) {
    let d = run(text);
    assert!(
        d.is_empty(),
        "expected no findings for:\n{text}\ngot {d:#?}"
    );
}

#[test]
fn base_spec_is_clean() {
    clean(&spec("", "", ""));
    clean(&spec(DB, "", DB_SECRETS));
    clean(&spec(S3, S3_SITE, S3_SECRETS));
}

#[test]
fn example_validates_without_errors_or_warnings() {
    let d = run_all(include_str!("../../../examples/banatie.yaml"));
    assert!(d.is_empty(), "{d:#?}");
}

#[test]
fn ten_thousand_services_validate_quickly() {
    let mut s = load_str(&spec("", "", ""), Format::Yaml, "t.yaml")
        .unwrap()
        .spec;
    let template = load_str(
        &spec("  a: { kind: app, build: { dockerfile: D }, networks: [inner], volumes: [{ source: data/a, target: /x }] }\n", "", ""),
        Format::Yaml,
        "t.yaml",
    )
    .unwrap()
    .spec
    .services["a"]
    .clone();
    let n = 10_000;
    for i in 0..n {
        let mut svc = template.clone();
        if let Service::App(app) = &mut svc {
            app.volumes[0].source = format!("data/app-{i}").parse().unwrap();
            // A chain a0 <- a1 <- ... and, at the end, back to a0: one long cycle.
            let dep = if i == 0 { n - 1 } else { i - 1 };
            app.depends_on
                .insert(format!("app-{dep}").parse().unwrap(), Condition::Started);
            app.environment.insert("MODE".parse().unwrap(), "x".into());
        }
        s.services.insert(format!("app-{i}").parse().unwrap(), svc);
    }
    let start = std::time::Instant::now();
    let d = validate(&s);
    let took = start.elapsed();
    assert_eq!(
        d.len(),
        1,
        "{:?}",
        d.iter()
            .map(|x| &x.message[..60.min(x.message.len())])
            .collect::<Vec<_>>()
    );
    assert_eq!(d[0].code, CODE_DEPENDENCY_CYCLE);
    assert_eq!(d[0].pointer, "/services/app-0/depends_on/app-9999");
    assert!(took < std::time::Duration::from_secs(2), "took {took:?}");
}
