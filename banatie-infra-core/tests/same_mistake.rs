//! One mistake, two front ends: for every rule that both `validate` (over a spec) and
//! `audit` (over hand-written files) report, the same mistake written once in a spec and
//! once in a hand-written deployment is reported with the identical code, severity,
//! message and help line (only where it stands differs: a JSON pointer into the spec, a
//! line of a file).
//!
//! Each case is a folder of `tests/fixtures/same/`, named by the code: `spec.yaml` holds
//! the spec, `files/` the deployment the audit reads (copied to a temporary directory by
//! `common_audit`: files 0644 and `secrets.env` 0600, so the checkout's umask does not
//! matter). Every folder has a test below, and every rule whose finding is built by a
//! shared constructor in `rules/` has a folder (checked by the registry's own tests).

#[path = "common_audit/mod.rs"]
mod common;

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

use banatie_infra_core::diagnostic::Diagnostic;
use banatie_infra_core::{load, validate};
use common::{fixture, report, run, FIXTURES};

/// (severity, message, help) of every finding of `code`.
fn texts(diags: &[Diagnostic], code: &str) -> BTreeSet<(String, String, String)> {
    diags
        .iter()
        .filter(|d| d.code.0 == code)
        .map(|d| {
            (
                d.severity.to_string(),
                d.message.clone(),
                d.help.clone().unwrap_or_default(),
            )
        })
        .collect()
}

/// The case of `code`: both front ends report it, with the same texts.
fn same_mistake(code: &str) {
    let case = Path::new(FIXTURES).join("same").join(code);
    let spec_path = case.join("spec.yaml");
    let loaded = load::load_path(&spec_path)
        .unwrap_or_else(|e| panic!("{code}: spec.yaml does not load: {e}"));
    let from_spec = validate::validate(&loaded.spec);
    let (_tmp, dir) = fixture(&format!("same/{code}/files"));
    let audited = run(&dir);
    let (v, a) = (texts(&from_spec, code), texts(&audited.diagnostics, code));
    assert!(
        !v.is_empty(),
        "{code}: validate does not report it; it reports {from_spec:#?}"
    );
    assert!(
        !a.is_empty(),
        "{code}: audit does not report it; it reports:\n{}",
        report(&audited)
    );
    if std::env::var_os("SAME_MISTAKE_SHOW").is_some() {
        eprintln!("{code}: {v:#?}");
    }
    assert_eq!(
        v, a,
        "{code}: validate (left) and audit (right) read otherwise"
    );
}

macro_rules! cases {
    ($($name:ident => $code:literal),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                same_mistake($code);
            }
        )*

        /// Every folder of `tests/fixtures/same` has its test above, and every test its folder.
        #[test]
        fn every_case_is_run() {
            let run: BTreeSet<&str> = [$($code),*].into_iter().collect();
            let folders: BTreeSet<String> = fs::read_dir(Path::new(FIXTURES).join("same"))
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            assert_eq!(folders.iter().map(String::as_str).collect::<BTreeSet<_>>(), run);
        }
    };
}

cases! {
    bi110_unresolved_references => "BI110",
    bi112_dependency_cycles => "BI112",
    bi114_defined_twice => "BI114",
    bi115_healthy_job => "BI115",
    bi116_completed_server => "BI116",
    bi201_secret_in_environment => "BI201",
    bi202_placeholders => "BI202",
    bi203_published_ports => "BI203",
    bi204_postgres_on_proxy => "BI204",
    bi301_probe_binary_missing => "BI301",
    bi303_unpinned_image => "BI303",
    bi304_published_on_internal => "BI304",
    bi306_health_timing => "BI306",
    bi401_duplicate_domain => "BI401",
    bi402_s3_write_methods => "BI402",
    bi403_site_structure => "BI403",
    bi404_console_without_headers => "BI404",
    bi405_cors => "BI405",
    bi406_public_site_private_bucket => "BI406",
    bi501_minio_drives => "BI501",
    bi502_lifecycle_whole_bucket => "BI502",
    bi503_lifecycle_rule => "BI503",
    bi505_public_prefix => "BI505",
}
