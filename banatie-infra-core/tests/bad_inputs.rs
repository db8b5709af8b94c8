//! The bad-input catalogue (tests/fixtures/bad-inputs, written by
//! scripts/gen-bad-inputs.py): every broken spec produces its expected coded diagnostic
//! with a location, nothing panics, and nothing takes more than a second. Huge inputs are
//! generated here rather than committed.

use std::path::Path;
use std::time::{Duration, Instant};

use banatie_infra_core::diagnostic::Diagnostic;
use banatie_infra_core::load::{load_path, load_str, Format, LoadError};

/// Loads and validates; returns every diagnostic, located.
fn check(path: &Path) -> Vec<Diagnostic> {
    match load_path(path) {
        Err(LoadError::Invalid(d)) => vec![*d],
        Err(e) => vec![e.to_diagnostic()],
        Ok(loaded) => {
            let mut d = banatie_infra_core::validate::validate(&loaded.spec);
            loaded.source.annotate(&mut d);
            if !banatie_infra_core::diagnostic::has_errors(&d) {
                banatie_infra_core::render::render(&loaded.spec).expect("a valid spec renders");
            }
            d
        }
    }
}

/// The hang guard: one second per input. Unoptimised test builds of the huge inputs get
/// more room; their real speed is measured by the benchmark (scripts/bench.sh).
fn limit(huge: bool) -> Duration {
    if huge && cfg!(debug_assertions) {
        Duration::from_secs(10)
    } else {
        Duration::from_secs(1)
    }
}

fn assert_coded(
    name: &str,
    diags: &[Diagnostic],
    code: &str,
    took: Duration,
) -> Result<(), String> {
    let Some(d) = diags.iter().find(|d| d.code.0 == code) else {
        return Err(format!(
            "{name}: expected {code}, got {:?}",
            diags
                .iter()
                .map(|d| (d.code.0, d.message.as_str()))
                .collect::<Vec<_>>()
        ));
    };
    if !d.is_error() {
        return Err(format!("{name}: {code} is not an error"));
    }
    if d.span.as_ref().and_then(|s| s.location).is_none() && !d.message.contains("UTF-8") {
        return Err(format!("{name}: {code} has no location: {d:?}"));
    }
    if took > limit(name.starts_with("huge")) {
        return Err(format!("{name}: took {took:?}"));
    }
    Ok(())
}

#[test]
fn every_bad_input_gets_its_code_with_a_location() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bad-inputs");
    let index =
        std::fs::read_to_string(dir.join("expected.tsv")).expect("run scripts/gen-bad-inputs.py");
    let mut failures = Vec::new();
    let mut n = 0;
    for line in index
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let (file, code) = line.split_once('\t').expect("file<TAB>code");
        n += 1;
        let path = dir.join(file);
        let start = Instant::now();
        let result = std::panic::catch_unwind(|| check(&path));
        let took = start.elapsed();
        match result {
            Err(_) => failures.push(format!("{file}: panicked")),
            Ok(diags) => {
                if let Err(e) = assert_coded(file, &diags, code, took) {
                    failures.push(e);
                }
            }
        }
    }
    assert!(n >= 100, "only {n} bad inputs");
    assert!(
        failures.is_empty(),
        "{} of {n} failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn huge_inputs_answer_quickly() {
    let mut text = String::from(
        "stack: { name: huge, source: /src }\nnetworks:\n  inner: { internal: true }\nservices:\n",
    );
    for i in 0..10_000 {
        text.push_str(&format!("  app{i}: {{ kind: app, image: \"example/app:1\", base_image: \"node:20-alpine\", networks: [inner] }}\n"));
    }
    text.push_str("  broken: { kind: app, image: \"example/app:1\", base_image: \"node:20-alpine\", networks: [missing] }\n");
    let start = Instant::now();
    let loaded = load_str(&text, Format::Yaml, "huge.yaml").unwrap();
    let mut d = banatie_infra_core::validate::validate(&loaded.spec);
    loaded.source.annotate(&mut d);
    assert_coded("huge-10000-services", &d, "BI110", start.elapsed()).unwrap();
    assert_eq!(
        d.iter()
            .find(|d| d.code.0 == "BI110")
            .unwrap()
            .span
            .as_ref()
            .unwrap()
            .location
            .unwrap()
            .line,
        10_005
    );

    let big = format!(
        "stack: {{name: demo}}\nservices: {{}}\nenv:\n  BIG: \"{}\"\n  1BAD: x\n",
        "x".repeat(2_000_000)
    );
    let start = Instant::now();
    let d = load_str(&big, Format::Yaml, "big.yaml")
        .unwrap_err()
        .to_diagnostic();
    assert_coded(
        "huge-value",
        std::slice::from_ref(&d),
        "BI102",
        start.elapsed(),
    )
    .unwrap();
    assert_eq!(d.span.unwrap().location.unwrap().line, 5);
}

/// The hand-written part of the catalogue: each directory is audited as a deployment and
/// must produce its code, located in one of its files, without panicking, within a second.
#[test]
fn every_bad_hand_written_deployment_gets_its_code() {
    use banatie_infra_core::audit::{audit, AuditInput};
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bad-inputs");
    let index = std::fs::read_to_string(base.join("hand-expected.tsv"))
        .expect("run scripts/gen-bad-inputs.py");
    let mut failures = Vec::new();
    let mut n = 0;
    for line in index
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let (dir, code) = line.split_once('\t').expect("dir<TAB>code");
        n += 1;
        // A copy with explicit modes: git does not keep them.
        let tmp = tempfile::tempdir().unwrap();
        copy_dir(&base.join(dir), tmp.path());
        let start = Instant::now();
        let input = AuditInput {
            dir: Some(tmp.path().to_owned()),
            ..Default::default()
        };
        let result = std::panic::catch_unwind(|| audit(&input));
        let took = start.elapsed();
        match result {
            Err(_) => failures.push(format!("{dir}: panicked")),
            Ok(Err(e)) => failures.push(format!("{dir}: audit failed: {e}")),
            Ok(Ok(a)) => {
                if let Err(e) = assert_coded(dir, &a.diagnostics, code, took) {
                    failures.push(e);
                }
            }
        }
    }
    assert!(n >= 20, "only {n} hand-written cases");
    assert!(
        failures.is_empty(),
        "{} of {n} failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn copy_dir(from: &Path, to: &Path) {
    use std::os::unix::fs::PermissionsExt;
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.path().is_dir() {
            std::fs::create_dir_all(&dest).unwrap();
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), &dest).unwrap();
            let mode = if e.file_name().to_string_lossy().contains("secret") {
                0o600
            } else {
                0o644
            };
            std::fs::set_permissions(&dest, std::fs::Permissions::from_mode(mode)).unwrap();
        }
    }
}
