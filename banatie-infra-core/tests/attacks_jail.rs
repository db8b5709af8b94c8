//! Attacks on the deployment root through the library (issue 13, items 3 and 6, and the
//! output roots of item 2); the CLI-level ones are in
//! `banatie-infra-cli/tests/attacks_jail.rs`. Each kind it guards:
//!
//! - **Writes through symlinks below the root**: [`bundle::write`] with a symlinked
//!   directory or file at a bundle path refuses with `JailError::Symlink` (BI701) and
//!   writes nothing outside; [`bundle::atomic_write`] (used by `import -o` and the backup
//!   sidecars) refuses a symlink at its final name.
//! - **`check` reading what the tool did not write**: a symlink, FIFO, hard link or a
//!   copy of `secrets.env` at a bundle path is reported without its contents.
//! - **`secrets.env` not a regular file**: a symlink or FIFO is `NotAFile` (BI701) for
//!   [`secrets::ensure`] and [`secrets::read_value`], without blocking.
//! - **System roots**: [`bundle::write`] and [`secrets::ensure`] refuse `/` and `/etc`
//!   (BI702) whatever the caller.
//! - **Lost updates**: 8 threads running [`secrets::ensure`] on one fresh directory:
//!   each value generated once, every later run keeps it.
//! - **Property**: any relative path (with `..`, `.`, empty and absolute components,
//!   symlinks to outside) written with `jail::Root::write` lands inside the root or is
//!   refused; nothing ever appears outside. 256 cases, `PROPTEST_CASES` for the long run.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::{Duration, Instant};

use banatie_infra_core::bundle::{self, Difference};
use banatie_infra_core::jail::{JailError, Root};
use banatie_infra_core::roots::RootError;
use banatie_infra_core::secrets::{self, SecretsError};
use banatie_infra_core::{load, render};

fn spec() -> banatie_infra_core::Spec {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/banatie.yaml");
    load::load_path(&path).unwrap().spec
}

fn bundle_() -> render::Bundle {
    render::render(&spec()).unwrap()
}

fn jail_error(e: &std::io::Error) -> Option<&JailError> {
    e.get_ref()?.downcast_ref::<JailError>()
}

#[test]
fn write_refuses_symlinks_below_the_root() {
    let b = bundle_();
    for p in [
        "scripts",
        "caddy",
        ".env",
        "caddy/Caddyfile",
        "scripts/prepare-host.sh",
    ] {
        let t = tempfile::tempdir().unwrap();
        let out = t.path().join("out");
        let outside = t.path().join("outside");
        std::fs::create_dir(&outside).unwrap();
        std::fs::write(outside.join("keep"), "keep\n").unwrap();
        bundle::write(&b, &out).unwrap();
        let target = out.join(p);
        if target.is_dir() {
            std::fs::remove_dir_all(&target).unwrap();
            std::os::unix::fs::symlink(&outside, &target).unwrap();
        } else {
            std::fs::remove_file(&target).unwrap();
            std::os::unix::fs::symlink(outside.join("keep"), &target).unwrap();
        }
        let e = bundle::write(&b, &out).unwrap_err();
        assert!(
            matches!(jail_error(&e.source), Some(JailError::Symlink { .. })),
            "{p}: {e}"
        );
        assert_eq!(jail_error(&e.source).unwrap().code().unwrap().0, "BI701");
        assert_eq!(std::fs::read_dir(&outside).unwrap().count(), 1, "{p}");
        assert_eq!(
            std::fs::read_to_string(outside.join("keep")).unwrap(),
            "keep\n"
        );
        assert!(target.is_symlink(), "{p}: replaced");
    }
}

#[test]
fn atomic_write_refuses_a_symlink_at_its_final_name() {
    let t = tempfile::tempdir().unwrap();
    std::fs::write(t.path().join("input.yml"), "mine\n").unwrap();
    std::os::unix::fs::symlink("input.yml", t.path().join("spec.yaml")).unwrap();
    let e = bundle::atomic_write(&t.path().join("spec.yaml"), b"new\n", 0o644).unwrap_err();
    assert!(
        matches!(jail_error(&e), Some(JailError::Symlink { .. })),
        "{e}"
    );
    assert_eq!(
        std::fs::read_to_string(t.path().join("input.yml")).unwrap(),
        "mine\n"
    );
    bundle::atomic_write(&t.path().join("new.yaml"), b"new\n", 0o640).unwrap();
    let m = std::fs::metadata(t.path().join("new.yaml")).unwrap();
    assert_eq!(m.permissions().mode() & 0o777, 0o640);
}

#[test]
fn check_reports_what_the_tool_did_not_write_without_reading_it() {
    let b = bundle_();
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("out");
    bundle::write(&b, &out).unwrap();
    secrets::ensure(&spec(), &out).unwrap();
    let secret_text = std::fs::read_to_string(out.join("secrets.env")).unwrap();
    let pw = secret_text
        .lines()
        .find_map(|l| l.strip_prefix("POSTGRES_PASSWORD="))
        .unwrap()
        .trim_matches('\'')
        .to_owned();
    std::fs::remove_file(out.join(".env")).unwrap();
    std::os::unix::fs::symlink("secrets.env", out.join(".env")).unwrap();
    std::fs::remove_file(out.join("monitoring.json")).unwrap();
    assert!(std::process::Command::new("mkfifo")
        .arg(out.join("monitoring.json"))
        .status()
        .unwrap()
        .success());
    std::fs::remove_file(out.join("caddy/Caddyfile")).unwrap();
    std::fs::hard_link(out.join("secrets.env"), out.join("caddy/Caddyfile")).unwrap();
    std::fs::remove_file(out.join("docker-compose.yml")).unwrap();
    std::fs::copy(out.join("secrets.env"), out.join("docker-compose.yml")).unwrap();
    let start = Instant::now();
    let diffs = bundle::check(&b, &out).unwrap();
    assert!(start.elapsed() < Duration::from_secs(5));
    let shown = format!("{diffs:?}");
    assert!(!shown.contains(&pw), "a secret was shown: {shown}");
    for (p, what) in [
        (".env", "is a symlink"),
        ("monitoring.json", "is a FIFO"),
        ("caddy/Caddyfile", "is a hard link"),
    ] {
        assert!(
            diffs.iter().any(|d| matches!(d, Difference::NotRegular { path, found } if path == p && found.contains(what))),
            "{p}: {diffs:?}"
        );
    }
    assert!(
        diffs.iter().any(|d| matches!(d, Difference::Changed { path, diff } if path == "docker-compose.yml" && diff.contains("not shown"))),
        "{diffs:?}"
    );
}

#[test]
fn secrets_env_must_be_a_regular_file() {
    let t = tempfile::tempdir().unwrap();
    let target = t.path().join("target.env");
    std::fs::write(&target, "POSTGRES_PASSWORD=x\n").unwrap();
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o600)).unwrap();
    let d = t.path().join("a");
    std::fs::create_dir(&d).unwrap();
    std::os::unix::fs::symlink(&target, d.join("secrets.env")).unwrap();
    assert!(matches!(
        secrets::ensure(&spec(), &d),
        Err(SecretsError::NotAFile(_))
    ));
    assert!(matches!(
        secrets::read_value(&d, "POSTGRES_PASSWORD"),
        Err(SecretsError::NotAFile(_))
    ));
    assert_eq!(
        std::fs::read_to_string(&target).unwrap(),
        "POSTGRES_PASSWORD=x\n"
    );
    let f = t.path().join("b");
    std::fs::create_dir(&f).unwrap();
    assert!(std::process::Command::new("mkfifo")
        .arg(f.join("secrets.env"))
        .status()
        .unwrap()
        .success());
    let start = Instant::now();
    let e = secrets::ensure(&spec(), &f).unwrap_err();
    assert!(matches!(e, SecretsError::NotAFile(_)), "{e}");
    assert_eq!(e.code().unwrap().0, "BI701");
    assert!(matches!(
        secrets::read_value(&f, "X"),
        Err(SecretsError::NotAFile(_))
    ));
    assert!(start.elapsed() < Duration::from_secs(5));
}

#[test]
fn the_library_refuses_system_roots() {
    // Only run against code with the check: without it this writes into `/etc`.
    let b = bundle_();
    for root in ["/", "/etc", "/usr/lib"] {
        let e = bundle::write(&b, Path::new(root)).unwrap_err();
        let r = e
            .source
            .get_ref()
            .and_then(|i| i.downcast_ref::<RootError>());
        assert!(matches!(r, Some(RootError::System { .. })), "{root}: {e}");
        let e = secrets::ensure(&spec(), Path::new(root)).unwrap_err();
        assert_eq!(e.code().map(|c| c.0), Some("BI702"), "{root}: {e}");
    }
}

#[test]
fn concurrent_ensure_runs_never_lose_a_reported_value() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("fresh");
    let spec = spec();
    let reports: Vec<secrets::Report> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..8)
            .map(|_| s.spawn(|| secrets::ensure(&spec, &dir).unwrap()))
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(reports.iter().filter(|r| r.created).count(), 1);
    let mut all: Vec<&String> = reports.iter().flat_map(|r| &r.generated).collect();
    let n = all.len();
    all.sort();
    all.dedup();
    assert_eq!(all.len(), n, "a value generated twice");
    assert_eq!(n, 5);
}

mod property {
    use super::*;
    use proptest::prelude::*;

    fn component() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("..".to_owned()),
            Just(".".to_owned()),
            Just(String::new()),
            Just("l".to_owned()),
            Just("f".to_owned()),
            "[a-c]{1,2}",
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(256), failure_persistence: None, ..ProptestConfig::default() })]
        #[test]
        fn a_write_lands_inside_the_root_or_is_refused(
            parts in proptest::collection::vec(component(), 1..5),
            absolute in any::<bool>(),
        ) {
            let t = tempfile::tempdir().unwrap();
            let root = t.path().join("root");
            let outside = t.path().join("outside");
            std::fs::create_dir_all(&root).unwrap();
            std::fs::create_dir_all(&outside).unwrap();
            std::os::unix::fs::symlink(&outside, root.join("l")).unwrap();
            std::os::unix::fs::symlink(outside.join("f"), root.join("f")).unwrap();
            let mut rel = parts.join("/");
            if absolute {
                rel.insert(0, '/');
            }
            let r = Root::open(&root).unwrap();
            let written = r.write(&rel, b"x", 0o644);
            prop_assert_eq!(std::fs::read_dir(&outside).unwrap().count(), 0, "{:?} escaped", rel);
            prop_assert_eq!(std::fs::read_dir(t.path()).unwrap().count(), 2, "{:?} escaped", rel);
            if written.is_ok() {
                prop_assert!(!rel.split('/').any(|c| c == ".." || c == "." || c.is_empty()));
                prop_assert!(parts[0] != "l" && parts[0] != "f", "{:?} went through a symlink", rel);
                prop_assert_eq!(std::fs::read(root.join(&rel)).unwrap(), b"x".to_vec());
            }
        }
    }
}
