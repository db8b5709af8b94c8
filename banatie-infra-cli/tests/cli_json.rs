//! `--format json` of the verbs that need no engine, `-` for standard input, the
//! deployment root's one name, `rules`, `completions`, and colour (`NO_COLOR`,
//! `CLICOLOR_FORCE`). The shapes checked here are the ones documented in the README's
//! CLI section and in each verb's module doc.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_banatie-infra"));
    c.current_dir(repo());
    // Colour is decided by these alone in the tests that set them.
    c.env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("CLICOLOR");
    c
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("the binary runs")
}

fn run_stdin(args: &[&str], input: &[u8]) -> Output {
    let mut child = bin()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let mut stdin = child.stdin.take().unwrap();
    // The binary may stop reading (a bound): a broken pipe here is not the test's failure.
    let _ = stdin.write_all(input);
    drop(stdin);
    child.wait_with_output().unwrap()
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

fn json_of(o: &Output) -> Value {
    serde_json::from_str(&stdout(o))
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\nstderr: {}", stdout(o), stderr(o)))
}

fn keys(v: &Value) -> Vec<&str> {
    v.as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect()
}

#[test]
fn render_json_lists_every_file_with_its_outcome() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    let r = root.to_str().unwrap();
    let o = run(&[
        "render",
        "examples/banatie.yaml",
        "--root",
        r,
        "--format",
        "json",
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let v = json_of(&o);
    assert_eq!(keys(&v), ["spec", "root", "files", "warnings"]);
    assert_eq!(v["root"], r);
    let files = v["files"].as_array().unwrap();
    assert!(files.len() > 3);
    for f in files {
        assert_eq!(keys(f), ["path", "outcome"]);
        assert_eq!(f["outcome"], "created");
        assert!(root.join(f["path"].as_str().unwrap()).is_file(), "{f}");
    }
    // Again: unchanged; the old spelling `--output` still works.
    let o = run(&[
        "render",
        "examples/banatie.yaml",
        "--output",
        r,
        "--format",
        "json",
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let v = json_of(&o);
    assert!(v["files"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["outcome"] == "unchanged"));

    // --check: up to date, then one file missing and one changed.
    let o = run(&[
        "render",
        "examples/banatie.yaml",
        "-o",
        r,
        "--check",
        "--format",
        "json",
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let v = json_of(&o);
    assert_eq!(
        keys(&v),
        [
            "spec",
            "root",
            "up_to_date",
            "files",
            "differences",
            "warnings"
        ]
    );
    assert_eq!(v["up_to_date"], true);
    assert_eq!(v["differences"], serde_json::json!([]));
    std::fs::remove_file(root.join("monitoring.json")).unwrap();
    let compose = root.join("docker-compose.yml");
    let text = std::fs::read_to_string(&compose).unwrap() + "# edited\n";
    std::fs::write(&compose, text).unwrap();
    let o = run(&[
        "render",
        "examples/banatie.yaml",
        "-o",
        r,
        "--check",
        "--format",
        "json",
    ]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let v = json_of(&o);
    assert_eq!(v["up_to_date"], false);
    let diffs = v["differences"].as_array().unwrap();
    assert!(diffs
        .iter()
        .any(|d| d["kind"] == "missing" && d["path"] == "monitoring.json"));
    let changed = diffs
        .iter()
        .find(|d| d["kind"] == "changed")
        .expect("a changed file");
    assert_eq!(changed["path"], "docker-compose.yml");
    assert!(
        changed["diff"].as_str().unwrap().contains("-# edited"),
        "{changed}"
    );
}

#[test]
fn an_invalid_spec_is_the_diagnostics_array_for_every_spec_verb() {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path().join("r");
    let r = r.to_str().unwrap();
    let spec = "banatie-infra-cli/tests/fixtures/seed-defects.yaml";
    for args in [
        vec!["render", spec, "--root", r, "--format", "json"],
        vec!["secrets", spec, "--root", r, "--format", "json"],
        vec!["validate", spec, "--format", "json"],
    ] {
        let o = run(&args);
        assert_eq!(code(&o), 1, "{args:?}: {}", stderr(&o));
        let v = json_of(&o);
        let items = v.as_array().expect("the diagnostics array");
        assert!(items.iter().any(|d| d["code"] == "BI301"), "{args:?}: {v}");
    }
    assert!(!dir.path().join("r").exists());
}

#[test]
fn secrets_json_names_every_secret_and_no_value() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let o = run(&[
        "secrets",
        "examples/banatie.yaml",
        "--root",
        d,
        "--format",
        "json",
    ]);
    assert_eq!(code(&o), 1, "GEMINI_API_KEY is missing: {}", stderr(&o));
    let v = json_of(&o);
    assert_eq!(
        keys(&v),
        [
            "spec",
            "path",
            "state",
            "mode",
            "generated",
            "derived",
            "kept",
            "unknown",
            "missing",
            "service_files"
        ]
    );
    assert_eq!(v["state"], "created");
    // Each service's own copy, by path: no value.
    let files: Vec<&str> = v["service_files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    assert!(files.contains(&"secrets/banatie-api.env"), "{files:?}");
    assert!(files
        .iter()
        .all(|f| f.starts_with("secrets/") && f.ends_with(".env")));
    assert_eq!(v["mode"], "0600");
    let generated: Vec<&str> = v["generated"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    assert!(generated.contains(&"POSTGRES_PASSWORD"), "{v}");
    assert_eq!(v["missing"][0]["name"], "GEMINI_API_KEY");
    assert!(v["missing"][0].get("description").is_some());
    let file = std::fs::read_to_string(dir.path().join("secrets.env")).unwrap();
    for e in banatie_infra_core::envfile::parse(&file).unwrap() {
        if e.value.len() >= 16 {
            assert!(!stdout(&o).contains(&e.value), "{} printed", e.key);
        }
    }
    // The old spelling `--dir`: the same root, now unchanged.
    let o = run(&[
        "secrets",
        "examples/banatie.yaml",
        "--dir",
        d,
        "--format",
        "json",
    ]);
    assert_eq!(json_of(&o)["state"], "unchanged", "{}", stderr(&o));
}

#[test]
fn import_json_reports_the_written_spec() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    std::fs::create_dir(&src).unwrap();
    std::fs::write(
        src.join("docker-compose.yml"),
        "services:\n  web:\n    image: nginx:1.27\n    restart: unless-stopped\n",
    )
    .unwrap();
    let out = dir.path().join("spec.yaml");
    let o = run(&[
        "import",
        src.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--format",
        "json",
    ]);
    let v = json_of(&o);
    assert_eq!(
        keys(&v),
        [
            "output",
            "from",
            "written",
            "unread",
            "notes",
            "secrets",
            "diagnostics"
        ]
    );
    assert_eq!(v["written"], true, "{v}");
    assert!(out.is_file());
    assert_eq!(v["secrets"], Value::Null);
    for n in v["notes"].as_array().unwrap() {
        assert_eq!(keys(n), ["kind", "at", "message"]);
        assert!(["not_mapped", "changed", "assumed"].contains(&n["kind"].as_str().unwrap()));
    }
    let errors = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["severity"] == "error")
        .count();
    assert_eq!(code(&o), if errors > 0 { 1 } else { 0 }, "{v}");
}

#[test]
fn audit_json_is_the_diagnostics_array() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("docker-compose.yml"),
        "services:\n  web:\n    image: nginx:latest\n",
    )
    .unwrap();
    let o = run(&["audit", dir.path().to_str().unwrap(), "--format", "json"]);
    let v = json_of(&o);
    let items = v.as_array().expect("an array");
    assert!(
        !items.is_empty(),
        "a :latest image without restart has findings"
    );
    for d in items {
        assert!(d["code"].as_str().unwrap().starts_with("BI"), "{d}");
    }
}

#[test]
fn the_spec_is_read_from_standard_input() {
    let yaml = std::fs::read(repo().join("examples/banatie.yaml")).unwrap();
    let o = run_stdin(&["validate", "-"], &yaml);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stderr(&o).contains("<stdin>: valid"), "{}", stderr(&o));

    let toml = std::fs::read(repo().join("examples/banatie.toml")).unwrap();
    let o = run_stdin(&["validate", "-", "--spec-format", "toml"], &toml);
    assert_eq!(code(&o), 0, "{}", stderr(&o));

    // Findings point into <stdin>.
    let typo = std::fs::read(repo().join("banatie-infra-cli/tests/fixtures/typo.yaml")).unwrap();
    let o = run_stdin(&["validate", "-", "--format", "json"], &typo);
    assert_eq!(code(&o), 1);
    let v = json_of(&o);
    assert_eq!(v[0]["code"], "BI101");
    assert_eq!(v[0]["file"], "<stdin>");
    assert_eq!(v[0]["line"], 7);

    // Rendering from stdin.
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path().join("root");
    let o = run_stdin(&["render", "-", "--root", r.to_str().unwrap()], &yaml);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(r.join("docker-compose.yml").is_file());

    // --spec-format is for stdin only.
    let o = run(&["validate", "examples/banatie.yaml", "--spec-format", "yaml"]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("--spec-format"), "{}", stderr(&o));
}

#[test]
fn standard_input_is_bounded_like_a_file() {
    let big = vec![b'#'; 4096];
    let o = run_stdin(
        &[
            "validate",
            "-",
            "--max-input-size",
            "1K",
            "--format",
            "json",
        ],
        &big,
    );
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    let v = json_of(&o);
    assert_eq!(v[0]["code"], "BI151", "{v}");
    assert_eq!(v[0]["file"], "<stdin>");
}

#[test]
fn rules_lists_and_prints_one_rule() {
    let o = run(&["rules", "--format", "json"]);
    assert_eq!(code(&o), 0);
    let v = json_of(&o);
    let all = v.as_array().unwrap();
    assert_eq!(all.len(), banatie_infra_core::rules::all().len());
    for r in all {
        assert_eq!(
            keys(r),
            [
                "code",
                "name",
                "severity",
                "family",
                "summary",
                "explanation"
            ]
        );
    }

    let o = run(&["rules", "BI301"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let rule = banatie_infra_core::rules::get("BI301").unwrap();
    let text = stdout(&o);
    assert!(text.starts_with("# BI301"), "{text}");
    assert!(text.contains(rule.summary), "{text}");
    assert!(
        text.contains(&format!("Severity: {}", rule.severity)),
        "{text}"
    );
    if !rule.name.is_empty() {
        assert!(text.contains(rule.name), "{text}");
    }
    if !rule.explanation.is_empty() {
        // The explanation's own `# BIxxx: name` title is the heading, printed once.
        let body = rule
            .explanation
            .trim()
            .split_once('\n')
            .map_or("", |(_, b)| b.trim());
        assert!(text.contains(body), "{text}");
        assert_eq!(text.matches("# BI301").count(), 1, "{text}");
    }
    // Case-insensitive; JSON is the one rule.
    let o = run(&["rules", "bi301", "--format", "json"]);
    let v = json_of(&o);
    assert_eq!(v["code"], "BI301");
    assert_eq!(v["summary"], rule.summary);
}

#[test]
fn an_unknown_rule_is_an_error_with_the_closest_code() {
    let o = run(&["rules", "BI3011"]);
    assert_eq!(code(&o), 2);
    assert!(stdout(&o).is_empty());
    assert!(
        stderr(&o).contains("no rule has the code `BI3011`") && stderr(&o).contains("`BI301`"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn completions_for_every_shell() {
    for (shell, marker) in [
        ("bash", "_banatie__infra()"),
        ("zsh", "#compdef banatie-infra"),
        ("fish", "complete -c banatie-infra"),
        ("elvish", "edit:completion:arg-completer[banatie-infra]"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let o = run(&["completions", shell]);
        assert_eq!(code(&o), 0, "{shell}: {}", stderr(&o));
        let text = stdout(&o);
        assert!(text.contains(marker), "{shell}: {text}");
        // Every verb is completed.
        for verb in ["validate", "render", "rules", "completions"] {
            assert!(text.contains(verb), "{shell}: {verb}");
        }
    }
    let o = run(&["completions", "tcsh"]);
    assert_eq!(code(&o), 2);
}

/// Runs `validate` of the typo fixture with `env`; whether the report has ANSI colour.
fn coloured(env: &[(&str, &str)]) -> bool {
    let o = bin()
        .args(["validate", "banatie-infra-cli/tests/fixtures/typo.yaml"])
        .envs(env.iter().copied())
        .output()
        .unwrap();
    assert_eq!(code(&o), 1);
    assert!(stdout(&o).contains("BI101"));
    stdout(&o).contains("\u{1b}[")
}

#[test]
fn colour_follows_no_color_and_clicolor_force() {
    // Piped: no colour unless forced; NO_COLOR wins over CLICOLOR_FORCE.
    assert!(!coloured(&[]));
    assert!(coloured(&[("CLICOLOR_FORCE", "1")]));
    assert!(!coloured(&[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")]));
    assert!(!coloured(&[("NO_COLOR", "1")]));
}
