//! Shared by tests/audit_round2.rs and tests/audit_unseen.rs (included with `#[path]`):
//! fixture copies with fixed modes, the audit run, findings as (code, file, line).

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use banatie_infra_core::audit::{audit, Audit, AuditInput};
use banatie_infra_core::diagnostic::{render_human, Severity};
use tempfile::TempDir;

/// The fixtures directory.
pub const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

/// Copies `src` into `dst` (created), files 0644 (`secrets.env` and files under
/// `secrets/` 0600) and directories 0755; CR bytes are kept.
pub fn copy_dir(src: &Path, dst: &Path) {
    fs::create_dir_all(dst).unwrap();
    fs::set_permissions(dst, fs::Permissions::from_mode(0o755)).unwrap();
    for e in fs::read_dir(src).unwrap() {
        let e = e.unwrap();
        let to = dst.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &to);
        } else {
            fs::copy(e.path(), &to).unwrap();
            let secret =
                e.file_name() == "secrets.env" || src.file_name().is_some_and(|n| n == "secrets");
            let mode = if secret { 0o600 } else { 0o644 };
            fs::set_permissions(&to, fs::Permissions::from_mode(mode)).unwrap();
        }
    }
}

/// A copy of fixture directory `rel` (under `tests/fixtures`).
pub fn fixture(rel: &str) -> (TempDir, PathBuf) {
    let tmp = tempfile::Builder::new()
        .prefix("banatie-audit-")
        .tempdir()
        .unwrap();
    let name = Path::new(rel).file_name().unwrap();
    let dir = tmp.path().join(name);
    copy_dir(&Path::new(FIXTURES).join(rel), &dir);
    (tmp, dir)
}

/// Audits `dir` with the default input.
pub fn run(dir: &Path) -> Audit {
    let input = AuditInput {
        dir: Some(dir.to_path_buf()),
        ..Default::default()
    };
    audit(&input).unwrap_or_else(|e| panic!("audit of {}: {e}", dir.display()))
}

/// (code, file relative to `dir`, line) of every finding of `severity`, sorted.
#[allow(dead_code)] // used by audit_round2 only
pub fn found(a: &Audit, dir: &Path, severity: Severity) -> Vec<(String, String, usize)> {
    let mut out: Vec<(String, String, usize)> = a
        .diagnostics
        .iter()
        .filter(|d| d.severity == severity)
        .map(|d| {
            let span = d.span.as_ref().expect("every audit finding names its file");
            let file = Path::new(&span.file)
                .strip_prefix(dir)
                .map(|p| p.display().to_string())
                .unwrap_or_else(|_| span.file.clone());
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

/// `list` as owned, sorted (code, file, line).
#[allow(dead_code)] // used by audit_round2 only
pub fn expected(list: &[(&str, &str, usize)]) -> Vec<(String, String, usize)> {
    let mut v: Vec<(String, String, usize)> = list
        .iter()
        .map(|(c, f, l)| ((*c).to_owned(), (*f).to_owned(), *l))
        .collect();
    v.sort();
    v
}

/// The human report of `a`.
pub fn report(a: &Audit) -> String {
    render_human(&a.diagnostics, &a.sources(), false)
}
