//! The audit's readers of files as their consumers read them (fixtures under
//! `tests/fixtures/readers`): the Caddyfile by Caddy's grammar (BI408-BI410) and
//! cross-checked by `caddy adapt` (BI411, with the real binary: that test fails when
//! `caddy` is not on PATH), lifecycle and policy JSON by the schema `mc` imports (BI502,
//! BI503, BI517-BI521), Dockerfiles of build contexts (BI317-BI321). Each rule has a
//! failing fixture and a passing one; files that do not parse are findings too.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use banatie_infra_core::audit::{audit, Audit, AuditInput};
use tempfile::TempDir;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/readers");

/// The codes these readers report.
const CODES: &[&str] = &[
    "BI314", "BI317", "BI318", "BI319", "BI320", "BI321", "BI408", "BI409", "BI410", "BI411",
    "BI502", "BI503", "BI517", "BI518", "BI519", "BI520", "BI521",
];

fn copy_dir(src: &Path, dst: &Path) {
    fs::create_dir_all(dst).unwrap();
    for e in fs::read_dir(src).unwrap() {
        let e = e.unwrap();
        let to = dst.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &to);
        } else {
            fs::copy(e.path(), &to).unwrap();
            fs::set_permissions(&to, fs::Permissions::from_mode(0o644)).unwrap();
        }
    }
}

fn fixture(name: &str) -> (TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join(name);
    copy_dir(&Path::new(FIXTURES).join(name), &dir);
    (tmp, dir)
}

fn run(dir: &Path) -> Audit {
    audit(&AuditInput {
        dir: Some(dir.to_path_buf()),
        ..Default::default()
    })
    .unwrap_or_else(|e| panic!("audit of {}: {e}", dir.display()))
}

/// (code, file relative to `dir`, line) of every finding of the readers' codes.
fn found(a: &Audit, dir: &Path) -> Vec<(String, String, usize)> {
    let mut out: Vec<(String, String, usize)> = a
        .diagnostics
        .iter()
        .filter(|d| CODES.contains(&d.code.0))
        .map(|d| {
            let span = d.span.as_ref().expect("located");
            let file = Path::new(&span.file)
                .strip_prefix(dir)
                .map_or(span.file.clone(), |p| p.display().to_string());
            (
                d.code.0.to_owned(),
                file,
                span.location.map_or(0, |l| l.line),
            )
        })
        .collect();
    out.sort();
    out
}

fn list(v: &[(&str, &str, usize)]) -> Vec<(String, String, usize)> {
    let mut out: Vec<_> = v
        .iter()
        .map(|(c, f, l)| ((*c).to_owned(), (*f).to_owned(), *l))
        .collect();
    out.sort();
    out
}

fn message<'a>(a: &'a Audit, code: &str, line: usize) -> &'a str {
    a.diagnostics
        .iter()
        .find(|d| {
            d.code.0 == code
                && d.span
                    .as_ref()
                    .and_then(|s| s.location)
                    .is_some_and(|l| l.line == line)
        })
        .map_or("", |d| d.message.as_str())
}

#[test]
fn caddyfile_grammar_finds_what_caddy_refuses() {
    let (_t, dir) = fixture("caddy-bad");
    let a = run(&dir);
    assert_eq!(
        found(&a, &dir),
        list(&[
            ("BI408", "Caddyfile", 3),
            ("BI408", "Caddyfile", 8),
            ("BI408", "Caddyfile", 9),
            ("BI409", "Caddyfile", 10),
            ("BI410", "Caddyfile", 11),
            ("BI410", "Caddyfile", 13),
            ("BI410", "Caddyfile", 15),
            ("BI409", "Caddyfile", 16),
            ("BI408", "Caddyfile", 19),
        ]),
        "{:#?}",
        a.diagnostics
    );
    assert!(message(&a, "BI408", 8).contains("inside `reverse_proxy"));
    assert!(a.has_errors());
}

#[test]
fn caddyfile_grammar_passes_a_valid_file() {
    let (_t, dir) = fixture("caddy-good");
    let a = run(&dir);
    assert_eq!(found(&a, &dir), vec![], "{:#?}", a.diagnostics);
}

#[test]
fn caddyfile_that_does_not_parse_is_a_finding() {
    let tmp = tempfile::tempdir().unwrap();
    fs::write(
        tmp.path().join("Caddyfile"),
        "api.example.com {\n\treverse_proxy app:3000 {\n}\n",
    )
    .unwrap();
    let a = run(tmp.path());
    let codes: Vec<_> = found(&a, tmp.path()).into_iter().map(|f| f.0).collect();
    assert!(codes.contains(&"BI314".to_owned()), "{:#?}", a.diagnostics);
}

/// The real `caddy` binary: a refusal the grammar does not model (an unknown load
/// balancing policy module) is reported at the line Caddy names.
#[test]
fn caddy_adapt_cross_check_maps_the_line() {
    let caddy = banatie_infra_core::audit::caddy_binary()
        .expect("`caddy` must be on PATH for this test (scripts/install-test-deps.sh installs it)");
    assert!(caddy.is_file(), "{} is not a file", caddy.display());
    let (_t, dir) = fixture("caddy-adapt");
    let a = run(&dir);
    assert_eq!(
        found(&a, &dir),
        list(&[("BI411", "Caddyfile", 3)]),
        "{:#?}",
        a.diagnostics
    );
    assert!(
        message(&a, "BI411", 3).contains("no_such_policy"),
        "{}",
        message(&a, "BI411", 3)
    );
    // The valid file is accepted by Caddy too.
    let (_t2, good) = fixture("caddy-good");
    assert!(!found(&run(&good), &good).iter().any(|f| f.0 == "BI411"));
}

#[test]
fn lifecycle_and_policy_json_read_by_the_mc_schema() {
    let (_t, dir) = fixture("s3-bad");
    let a = run(&dir);
    assert_eq!(
        found(&a, &dir),
        list(&[
            // lifecycle.json (imported into local/media): the only rule expires it all.
            ("BI502", "minio/lifecycle.json", 6),
            // ilm-old.json (found in the tree).
            ("BI517", "minio/ilm-old.json", 5),
            ("BI517", "minio/ilm-old.json", 7),
            ("BI517", "minio/ilm-old.json", 3),
            ("BI503", "minio/ilm-old.json", 10),
            ("BI503", "minio/ilm-old.json", 13),
            ("BI517", "minio/ilm-old.json", 19),
            // public.json set on local/media.
            ("BI519", "minio/public.json", 7),
            ("BI520", "minio/public.json", 14),
            // app-policy.json (an IAM policy).
            ("BI518", "minio/app-policy.json", 5),
            ("BI518", "minio/app-policy.json", 11),
            ("BI518", "minio/app-policy.json", 9),
            ("BI518", "minio/app-policy.json", 12),
            // A policy file the script names that is not there.
            ("BI521", "scripts/minio-init.sh", 8),
        ]),
        "{:#?}",
        a.diagnostics
    );
    assert!(message(&a, "BI502", 6).contains("every object of bucket `media`"));
    assert!(message(&a, "BI517", 7).contains("did you mean `Expiration`"));
}

#[test]
fn lifecycle_and_policy_json_that_are_right_pass() {
    let (_t, dir) = fixture("s3-good");
    let a = run(&dir);
    assert_eq!(found(&a, &dir), vec![], "{:#?}", a.diagnostics);
    assert!(
        a.files.iter().any(|f| f.path.ends_with("lifecycle.json")),
        "the lifecycle is read"
    );
}

#[test]
fn json_that_mc_cannot_read_is_a_finding() {
    let tmp = tempfile::tempdir().unwrap();
    fs::write(
        tmp.path().join("init.sh"),
        "#!/bin/sh\nset -e\nmc ilm rule import local/media < ilm.json\n",
    )
    .unwrap();
    fs::write(
        tmp.path().join("ilm.json"),
        "{\n  \"Rules\": [\n    {\"ID\": \"x\",}\n  ]\n}\n",
    )
    .unwrap();
    let a = run(tmp.path());
    assert_eq!(
        found(&a, tmp.path()),
        list(&[("BI521", "ilm.json", 3)]),
        "{:#?}",
        a.diagnostics
    );
}

#[test]
fn dockerfiles_of_builds() {
    let (_t, dir) = fixture("docker-bad");
    let a = run(&dir);
    assert_eq!(
        found(&a, &dir),
        list(&[
            ("BI317", "app/Dockerfile", 6),
            ("BI320", "app/Dockerfile", 9),
            ("BI320", "app/Dockerfile", 9),
            ("BI318", "app/Dockerfile", 10),
            ("BI321", "worker/Dockerfile", 2),
            ("BI317", "worker/Dockerfile", 4),
            ("BI319", "worker/Dockerfile", 5),
            ("BI319", "worker/Dockerfile", 6),
        ]),
        "{:#?}",
        a.diagnostics
    );
    let (_t2, good) = fixture("docker-good");
    let g = run(&good);
    assert_eq!(found(&g, &good), vec![], "{:#?}", g.diagnostics);
}
