//! The `banatie-infra` binary end to end: output, exit codes, files and modes.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_banatie-infra"));
    c.current_dir(repo());
    c
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("the binary runs")
}

fn code(o: &Output) -> i32 {
    o.status.code().expect("exited")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn validate_the_examples() {
    for f in [
        "examples/banatie.yaml",
        "examples/banatie.toml",
        "examples/blog.yaml",
    ] {
        let o = run(&["validate", f]);
        assert_eq!(code(&o), 0, "{f}: {}{}", stdout(&o), stderr(&o));
        assert!(
            stderr(&o).contains("valid, 0 error(s), 0 warning(s)"),
            "{}",
            stderr(&o)
        );
    }
}

#[test]
fn validate_reports_a_typo_like_a_compiler() {
    let o = run(&["validate", "banatie-infra-cli/tests/fixtures/typo.yaml"]);
    assert_eq!(code(&o), 1);
    insta::assert_snapshot!(stdout(&o), @r"
    error[BI101]: unknown key `prot`
     --> banatie-infra-cli/tests/fixtures/typo.yaml:7:5
      |
    7 |     prot: 8080
      |     ^^^^
      |
      = note: at /services/web/prot
      = help: did you mean `port`?
    ");
}

#[test]
fn validate_json_has_codes_pointers_and_positions() {
    let o = run(&[
        "validate",
        "banatie-infra-cli/tests/fixtures/seed-defects.yaml",
        "--format",
        "json",
    ]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("JSON on stdout");
    let items = v.as_array().unwrap();
    assert!(!items.is_empty());
    for d in items {
        for key in [
            "code", "severity", "pointer", "message", "file", "line", "column",
        ] {
            assert!(d.get(key).is_some(), "{key} missing in {d}");
        }
    }
    let codes: Vec<&str> = items.iter().map(|d| d["code"].as_str().unwrap()).collect();
    for expected in ["BI202", "BI203", "BI204", "BI301"] {
        assert!(codes.contains(&expected), "{expected} not in {codes:?}");
    }
    let curl = items.iter().find(|d| d["code"] == "BI301").unwrap();
    assert_eq!(curl["pointer"], "/services/banatie-api/probe");
    assert_eq!(curl["line"], 9);
}

#[test]
fn exit_code_two_for_unreadable_input_and_bad_arguments() {
    let o = run(&["validate", "does/not/exist.yaml"]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("cannot read does/not/exist.yaml"),
        "{}",
        stderr(&o)
    );
    let o = run(&["validate", "README.md"]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains(".yaml, .yml, .toml or .json"),
        "{}",
        stderr(&o)
    );
    let o = run(&["validate"]);
    assert_eq!(code(&o), 2);
    let o = run(&["frobnicate"]);
    assert_eq!(code(&o), 2);
}

#[test]
fn render_writes_checks_and_leaves_unchanged_files_alone() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap();
    let o = run(&["render", "examples/banatie.yaml", "-o", out]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stdout(&o).contains("created  docker-compose.yml"));
    let mode = |p: &str| {
        std::fs::metadata(dir.path().join(p))
            .unwrap()
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode("docker-compose.yml"), 0o644);
    assert_eq!(mode("scripts/prepare-host.sh"), 0o755);
    assert!(
        !dir.path().join("secrets.env").exists(),
        "render never writes secrets.env"
    );

    let o = run(&["render", "examples/banatie.yaml", "-o", out]);
    assert_eq!(code(&o), 0);
    assert!(
        !stdout(&o).contains("created") && !stdout(&o).contains("updated"),
        "{}",
        stdout(&o)
    );

    let o = run(&["render", "examples/banatie.yaml", "-o", out, "--check"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));

    let compose = dir.path().join("docker-compose.yml");
    let text = std::fs::read_to_string(&compose)
        .unwrap()
        .replace("mc\n      - ready", "curl\n      - ready");
    std::fs::write(&compose, text).unwrap();
    std::fs::remove_file(dir.path().join("monitoring.json")).unwrap();
    let o = run(&["render", "examples/banatie.yaml", "-o", out, "--check"]);
    assert_eq!(code(&o), 1);
    assert!(stdout(&o).contains("-      - curl"), "{}", stdout(&o));
    assert!(stdout(&o).contains("+      - mc"), "{}", stdout(&o));
    assert!(
        stdout(&o).contains("missing: monitoring.json"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn render_refuses_an_invalid_spec_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let o = run(&[
        "render",
        "banatie-infra-cli/tests/fixtures/seed-defects.yaml",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 1);
    assert!(stderr(&o).contains("error[BI301]"), "{}", stderr(&o));
    assert!(!out.exists());
}

#[test]
fn secrets_are_0600_complete_kept_and_never_printed() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let path = dir.path().join("secrets.env");

    let o = run(&["secrets", "examples/banatie.yaml", "--dir", d]);
    assert_eq!(
        code(&o),
        1,
        "GEMINI_API_KEY is supplied, so it is missing: {}",
        stderr(&o)
    );
    assert!(stdout(&o).contains("missing  GEMINI_API_KEY"));
    assert_eq!(
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let first = std::fs::read_to_string(&path).unwrap();
    let entries = banatie_infra_core::envfile::parse(&first).unwrap();
    let printed = format!("{}{}", stdout(&o), stderr(&o));
    for e in &entries {
        if e.value.len() >= 16 {
            assert!(!printed.contains(&e.value), "{} printed", e.key);
        }
    }
    let pw = entries
        .iter()
        .find(|e| e.key == "POSTGRES_PASSWORD")
        .unwrap()
        .value
        .clone();
    assert_eq!(pw.len(), 32);
    assert!(pw.bytes().all(|b| b.is_ascii_alphanumeric()));
    let url = entries
        .iter()
        .find(|e| e.key == "DATABASE_URL")
        .unwrap()
        .value
        .clone();
    assert_eq!(
        url,
        format!("postgresql://banatie_user:{pw}@banatie-postgres:5432/banatie_db")
    );

    // The operator supplies the key; a second run keeps every value byte for byte.
    let supplied = first.replace("GEMINI_API_KEY=", "GEMINI_API_KEY='AIza-test-key-not-real'");
    std::fs::write(&path, &supplied).unwrap();
    let o = run(&["secrets", "examples/banatie.yaml", "--dir", d]);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), supplied);
    assert!(stderr(&o).contains("unchanged"));

    // A password changed by hand: the derived URL follows, encoded.
    let changed = supplied.replace(
        &format!("POSTGRES_PASSWORD='{pw}'"),
        "POSTGRES_PASSWORD='a/b+c=d'",
    );
    std::fs::write(&path, &changed).unwrap();
    let o = run(&["secrets", "examples/banatie.yaml", "--dir", d]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let after = std::fs::read_to_string(&path).unwrap();
    assert!(after.contains("POSTGRES_PASSWORD='a/b+c=d'"));
    assert!(after.contains(
        "DATABASE_URL='postgresql://banatie_user:a%2Fb%2Bc%3Dd@banatie-postgres:5432/banatie_db'"
    ));
    assert!(!stdout(&o).contains("a/b+c=d") && !stderr(&o).contains("a%2Fb"));

    // A world-readable file is refused and left as it is.
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let o = run(&["secrets", "examples/banatie.yaml", "--dir", d]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("mode 0644"), "{}", stderr(&o));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), after);
}

#[test]
fn schema_prints_the_committed_schema() {
    let o = run(&["schema"]);
    assert_eq!(code(&o), 0);
    let committed =
        std::fs::read_to_string(repo().join("schema/banatie-infra.schema.json")).unwrap();
    assert_eq!(stdout(&o), committed);
}

#[test]
fn rules_lists_every_code_once() {
    let o = run(&["rules"]);
    assert_eq!(code(&o), 0);
    let text = stdout(&o);
    let codes: Vec<&str> = text
        .lines()
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    let mut unique = codes.clone();
    unique.dedup();
    assert_eq!(codes, unique);
    for c in ["BI100", "BI101", "BI110", "BI301", "BI402", "BI501"] {
        assert!(codes.contains(&c), "{c}");
    }
}

#[test]
fn a_closed_pipe_is_not_an_error() {
    use std::process::Stdio;
    let mut child = bin().arg("schema").stdout(Stdio::piped()).spawn().unwrap();
    drop(child.stdout.take());
    let status = child.wait().unwrap();
    assert!(status.success(), "{status}");
}

/// The verbs that plan or change the running stack refuse a spec `validate` rejects, with
/// its diagnostics and exit 1, before they reach the engine (an unknown dependency once
/// crashed `deploy`); `status` still reads it.
#[test]
fn stack_changing_verbs_refuse_an_invalid_spec() {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("bad.yaml");
    std::fs::write(
        &spec,
        "stack: { name: badstack, root: /tmp/badstack-root }\nnetworks:\n  inner: { internal: true }\nservices:\n  web:\n    kind: worker\n    image: example/web:1.0\n    networks: [inner]\n    health: { none: \"a test\" }\n    depends_on: { migrate: completed }\n",
    )
    .unwrap();
    let s = spec.to_str().unwrap();
    for args in [
        vec!["plan", s],
        vec!["up", s],
        vec!["deploy", s],
        vec!["rollback", s],
        vec!["secrets", "rotate", "X", s],
        vec!["deploy", s, "--format", "json"],
    ] {
        let o = bin()
            .args(&args)
            .env("DOCKER_HOST", "unix:///nonexistent.sock")
            .output()
            .unwrap();
        assert_eq!(code(&o), 1, "{args:?}: {}{}", stdout(&o), stderr(&o));
        let all = format!("{}{}", stdout(&o), stderr(&o));
        assert!(
            all.contains("BI110") && all.contains("depends on `migrate`"),
            "{args:?}: {all}"
        );
        assert!(
            !all.contains("Docker engine"),
            "{args:?} reached the engine: {all}"
        );
    }
    // A reading verb gets as far as the engine (none here: exit 2).
    let o = bin()
        .args(["status", s])
        .env("DOCKER_HOST", "unix:///nonexistent.sock")
        .output()
        .unwrap();
    assert_eq!(code(&o), 2, "{}", stderr(&o));
}
