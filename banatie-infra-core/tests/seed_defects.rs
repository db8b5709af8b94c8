//! Each defect of the seed deployment (DESIGN.md, "Defects of the seed"), reproduced in a
//! spec by editing the Banatie example, is refused by `validate` with the right code at the
//! right place. Defects that a spec cannot express at all (the init job's `|| echo`, the
//! uncreated backup directory, `pg_dump > file`) are impossible by construction: the tests
//! in conformance.rs check the rendered files instead.

use banatie_infra_core::diagnostic::Diagnostic;
use banatie_infra_core::load::{load_str, Format};

const EXAMPLE: &str = include_str!("../../examples/banatie.yaml");

fn findings(edit: impl Fn(&str) -> String) -> Vec<Diagnostic> {
    let text = edit(EXAMPLE);
    assert_ne!(text, EXAMPLE, "the edit changed nothing");
    let loaded = load_str(&text, Format::Yaml, "banatie.yaml").unwrap_or_else(|e| panic!("{e}"));
    let mut d = banatie_infra_core::validate::validate(&loaded.spec);
    loaded.source.annotate(&mut d);
    d
}

fn assert_reports(d: &[Diagnostic], code: &str, pointer: &str) {
    assert!(
        d.iter()
            .any(|x| x.code.0 == code && x.pointer == pointer && x.is_error()),
        "expected error {code} at {pointer}, got {d:#?}"
    );
    let at = d.iter().find(|x| x.code.0 == code).unwrap();
    assert!(
        at.span.as_ref().and_then(|s| s.location).is_some(),
        "no position: {at:?}"
    );
    assert!(at.help.is_some(), "no help: {at:?}");
}

#[test]
fn the_example_itself_is_clean() {
    let loaded = load_str(EXAMPLE, Format::Yaml, "banatie.yaml").unwrap();
    assert!(banatie_infra_core::validate::validate(&loaded.spec).is_empty());
}

/// Defects 1 and 9: a secret interpolated into public env (`${POSTGRES_PASSWORD}`), and a
/// DATABASE_URL typed with references instead of derived.
#[test]
fn d1_d9_secret_referenced_from_public_env() {
    let d = findings(|t| {
        t.replace(
            "  DEFAULT_USER_ID: guest\n",
            "  DEFAULT_USER_ID: guest\n  DB_URL: postgresql://${POSTGRES_USER}:${POSTGRES_PASSWORD}@banatie-postgres:5432/${POSTGRES_DB}\n",
        )
    });
    assert_reports(&d, "BI201", "/env/DB_URL");
}

/// Defect 2: the URL must be derived (percent-encoded); typing it again is refused.
#[test]
fn d2_database_url_typed_twice() {
    let d = findings(|t| t.replace("secrets:\n", "secrets:\n  DATABASE_URL: {}\n"));
    assert_reports(&d, "BI114", "/secrets/DATABASE_URL");
}

/// Defect 3: `curl` in a `node:*-alpine` health check.
#[test]
fn d3_curl_health_check_on_node_alpine() {
    let d = findings(|t| {
        t.replacen(
            "    health_path: /health\n",
            "    health_path: /health\n    probe: curl\n",
            1,
        )
    });
    assert_reports(&d, "BI301", "/services/banatie-api/probe");
}

/// Defect 4: the CDN passes every method to the S3 API...
#[test]
fn d4_cdn_passes_every_method() {
    let d = findings(|t| t.replace("    methods: [GET, HEAD, OPTIONS]\n    cors:", "    cors:"));
    assert_reports(&d, "BI402", "/sites/3/methods");
    let d = findings(|t| {
        t.replace(
            "    methods: [GET, HEAD, OPTIONS]\n    cors:",
            "    methods: [GET, HEAD, OPTIONS, PUT]\n    cors:",
        )
    });
    assert_reports(&d, "BI402", "/sites/3/methods/3");
}

/// ... and the bucket grants no anonymous read (a warning: presigned URLs still work).
#[test]
fn d4_public_cdn_on_a_private_bucket() {
    let d = findings(|t| t.replace("    public_read_prefix: public/\n", ""));
    let w = d.iter().find(|x| x.code.0 == "BI406").expect("BI406");
    assert_eq!(w.pointer, "/sites/3/service");
}

/// Defect 5: the user name set in one place and hard-coded in another.
#[test]
fn d5_user_name_typed_twice_and_different() {
    let d = findings(|t| {
        t.replace(
            "  DEFAULT_USER_ID: guest\n",
            "  DEFAULT_USER_ID: guest\n  POSTGRES_USER: banatie\n",
        )
    });
    assert_reports(&d, "BI114", "/env/POSTGRES_USER");
}

/// Defect 7: a placeholder where a value should be.
#[test]
fn d7_placeholder_value() {
    let d = findings(|t| {
        t.replace(
            "  DEFAULT_USER_ID: guest\n",
            "  DEFAULT_USER_ID: your_actual_key_here\n",
        )
    });
    assert_reports(&d, "BI202", "/env/DEFAULT_USER_ID");
}

/// The network layout the seed promises: PostgreSQL never on the proxy network, no host
/// ports.
#[test]
fn database_on_the_proxy_network_or_published() {
    let d = findings(|t| {
        t.replace(
            "    user: banatie_user\n    networks: [banatie-internal]\n",
            "    user: banatie_user\n    networks: [banatie-internal, proxy-network]\n",
        )
    });
    assert_reports(&d, "BI204", "/services/banatie-postgres/networks/1");
    let d = findings(|t| {
        t.replace(
            "    user: banatie_user\n",
            "    user: banatie_user\n    publish: [{ host: 5432, container: 5432 }]\n",
        )
    });
    assert_reports(&d, "BI203", "/services/banatie-postgres/publish/0");
}

/// The dependency conditions: waiting for a job to be healthy never ends.
#[test]
fn healthy_dependency_on_the_init_job() {
    let d = findings(|t| {
        t.replace(
            "      banatie-storage-init: completed\n",
            "      banatie-storage-init: healthy\n",
        )
    });
    assert_reports(
        &d,
        "BI115",
        "/services/banatie-api/depends_on/banatie-storage-init",
    );
}

/// MinIO's erasure set is 2 to 16 drives.
#[test]
fn minio_with_one_drive() {
    let d = findings(|t| t.replace("    drives: 4\n", "    drives: 1\n"));
    assert_reports(&d, "BI501", "/services/banatie-minio/drives");
}

/// The seed's `:latest` tags are pinned in the example; unpinned ones warn.
#[test]
fn latest_tag_warns() {
    let d = findings(|t| t.replace("minio/mc:RELEASE.2025-04-16T18-13-26Z", "minio/mc:latest"));
    let w = d.iter().find(|x| x.code.0 == "BI303").expect("BI303");
    assert!(!w.is_error());
}
