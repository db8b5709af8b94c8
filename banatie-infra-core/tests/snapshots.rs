//! Snapshots (insta) of what a reviewer should see change: the human report of the audit
//! of every fixture (`tests/fixtures/cases/*` and the seed) and the rendered bundle of
//! every example (`examples/*`), committed under `tests/snapshots/`. A changed message,
//! help or byte fails this test until the snapshot is accepted (see the README's testing
//! section: `INSTA_UPDATE=always cargo test -p banatie-infra-core --test snapshots`, then
//! review `git diff tests/snapshots`).
//!
//! Each group is one test that walks its inputs in sorted order, so the process-wide
//! redaction registry (secret values registered while reading) grows in the same order on
//! every run and the reports do not depend on test scheduling.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use banatie_infra_core::audit::{audit, AuditInput};
use banatie_infra_core::diagnostic::render_human;
use banatie_infra_core::load::{load_path, Format};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");
const EXAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples");

/// Copies `src` into `dst` (created), files 0644 and directories 0755, as a fresh clone
/// leaves them; `secrets.env` then gets 0600 (the audit reports a readable one, BI7xx,
/// which is tested in tests/audit.rs and would otherwise hide nothing but add noise).
fn copy_dir(src: &Path, dst: &Path) {
    fs::create_dir_all(dst).unwrap();
    fs::set_permissions(dst, fs::Permissions::from_mode(0o755)).unwrap();
    for e in fs::read_dir(src).unwrap() {
        let e = e.unwrap();
        let to = dst.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &to);
        } else {
            fs::copy(e.path(), &to).unwrap();
            let mode = if e.file_name() == "secrets.env" {
                0o600
            } else {
                0o644
            };
            fs::set_permissions(&to, fs::Permissions::from_mode(mode)).unwrap();
        }
    }
}

/// The fixture directories: every case, then the seed.
fn fixtures() -> Vec<(String, PathBuf)> {
    let mut v: Vec<(String, PathBuf)> = fs::read_dir(Path::new(FIXTURES).join("cases"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .map(|p| {
            (
                format!("case-{}", p.file_name().unwrap().to_string_lossy()),
                p,
            )
        })
        .collect();
    v.sort();
    assert!(
        v.len() >= 13,
        "expected the 13 cases at least, found {}",
        v.len()
    );
    v.push(("seed".into(), Path::new(FIXTURES).join("seed")));
    v
}

#[test]
fn audit_reports() {
    for (name, src) in fixtures() {
        let tmp = tempfile::Builder::new()
            .prefix("banatie-snap-")
            .tempdir()
            .unwrap();
        let dir = tmp.path().join("deploy");
        copy_dir(&src, &dir);
        let input = AuditInput {
            dir: Some(dir.clone()),
            ..Default::default()
        };
        let a = audit(&input).unwrap_or_else(|e| panic!("audit of {name}: {e}"));
        let report = render_human(&a.diagnostics, &a.sources(), false);
        // The temporary directory is the one part that differs between runs.
        let report = report.replace(&dir.display().to_string(), "[DIR]");
        insta::assert_snapshot!(format!("audit-{name}"), report);
    }
}

/// One text of a whole bundle: each file with its path and mode, then its contents (a
/// file that is not UTF-8 as its length and SHA-free hex of the first bytes).
fn bundle_text(bundle: &banatie_infra_core::render::Bundle) -> String {
    let mut out = String::new();
    for f in &bundle.files {
        out.push_str(&format!("===== {} (mode {:04o}) =====\n", f.path, f.mode));
        match std::str::from_utf8(&f.contents) {
            Ok(t) => out.push_str(t),
            Err(_) => out.push_str(&format!(
                "<{} bytes, not UTF-8: {:02x?}>",
                f.contents.len(),
                &f.contents[..f.contents.len().min(64)]
            )),
        }
        if !out.ends_with('\n') {
            out.push_str("\n<no final newline>\n");
        }
    }
    out
}

#[test]
fn example_bundles() {
    let mut examples: Vec<PathBuf> = fs::read_dir(EXAMPLES)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| Format::from_path(p).is_some())
        .collect();
    examples.sort();
    assert!(examples.len() >= 3, "expected 3 examples at least");
    for p in examples {
        let name = p.file_name().unwrap().to_string_lossy().replace('.', "-");
        let loaded = load_path(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        let bundle = banatie_infra_core::render::render(&loaded.spec)
            .unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        insta::assert_snapshot!(format!("bundle-{name}"), bundle_text(&bundle));
    }
}
