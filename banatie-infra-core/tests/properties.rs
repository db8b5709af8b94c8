//! Property tests: random valid specs (names, domains, env values with `$`, `#`, quotes,
//! spaces, newlines and unicode, secrets of every alphabet) render to a Compose file that
//! the Compose Specification's JSON Schema accepts, env files that read back byte for byte,
//! a Caddyfile that `caddy adapt` accepts, and the same bytes every time. At the end every
//! generated env value goes through Compose v2's own env-file parser in one batch.
//!
//! 256 cases by default (`PROPTEST_CASES` changes it; scripts/proptest-long.sh runs
//! 10,000).

use std::process::Command;
use std::sync::Mutex;

use banatie_infra_core::load::{load_str, Format};
use proptest::prelude::*;

fn compose_schema() -> jsonschema::Validator {
    let text = include_str!("fixtures/compose-spec.schema.json");
    let mut schema: serde_json::Value = serde_json::from_str(text).unwrap();
    // The spec's copy names its draft without the trailing `#` the draft-07 meta-schema's
    // identifier has; the validator needs the exact identifier.
    schema["$schema"] = "http://json-schema.org/draft-07/schema#".into();
    jsonschema::validator_for(&schema).expect("the Compose schema compiles")
}

fn name() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9]{0,6}(-[a-z0-9]{1,5})?"
}

fn domain() -> impl Strategy<Value = String> {
    ("[a-z][a-z0-9-]{0,10}[a-z0-9]", "[a-z]{2,6}").prop_map(|(a, tld)| format!("{a}.example.{tld}"))
}

/// Whole values that a YAML reader other than YAML 1.2's core schema types when they are
/// written plain: YAML 1.1 booleans, base-60 numbers, Go's yaml.v3 (Compose v2) numbers
/// with `_` or `0b`, timestamps.
const YAML_WORDS: &[&str] = &[
    "no",
    "yes",
    "on",
    "off",
    "y",
    "N",
    "~",
    "=",
    "<<",
    "1_000",
    "0b101",
    "0o17",
    "0755",
    "0x1F",
    "2025-01-01",
    "2025-01-01 10:00:00",
    "22:22",
    "1:20",
    "190:20:30.15",
    "1e3",
    ".5",
    "+12",
    "-.inf",
    "+inf",
    "nan",
    "true",
    "null",
    "1_0.5",
];

/// Env values: printable ASCII with every character env files and Compose treat
/// specially, spaces at either end, newlines, tabs and unicode; and whole words that YAML
/// readers type.
fn env_value() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => env_text(),
        1 => prop::sample::select(YAML_WORDS).prop_map(String::from),
    ]
}

fn env_text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            4 => "[a-zA-Z0-9]",
            1 => prop::sample::select(vec!["$", "$$", "${X}", "#", " #", "'", "\"", "\\", " ", "=", "\t", "\n", "é", "€", "日本", "🙂", "`", "{", "}", ";", "&", "|"]).prop_map(String::from),
        ],
        1..24,
    )
    .prop_map(|v| v.concat())
}

#[derive(Debug, Clone)]
struct Case {
    stack: String,
    apps: Vec<(String, String, u16)>,
    env: Vec<(String, String)>,
    secrets: Vec<(String, &'static str, u32)>,
    with_db: bool,
}

fn case() -> impl Strategy<Value = Case> {
    (
        name(),
        prop::collection::vec((name(), domain(), 1024u16..65000), 1..4),
        prop::collection::vec(("[A-Z][A-Z0-9_]{0,8}", env_value()), 0..6),
        prop::collection::vec(
            (
                "[A-Z][A-Z_]{0,6}_SECRET",
                prop::sample::select(vec!["alphanumeric", "hex", "url_safe"]),
                16u32..100,
            ),
            0..4,
        ),
        any::<bool>(),
    )
        .prop_map(|(stack, apps, env, secrets, with_db)| Case {
            stack,
            apps,
            env,
            secrets,
            with_db,
        })
}

/// Quotes a YAML string: double-quoted with JSON escapes (JSON strings are YAML).
fn q(s: &str) -> String {
    serde_json::to_string(s).unwrap()
}

fn spec_text(c: &Case) -> String {
    let mut t = format!("stack: {{ name: {}, userns_remap: {{ enabled: false }} }}\nnetworks:\n  inner: {{ internal: true }}\n  proxy-network: {{ external: true }}\nservices:\n", c.stack);
    let mut seen = std::collections::HashSet::new();
    for (n, _, port) in &c.apps {
        if !seen.insert(n.clone()) {
            continue;
        }
        t.push_str(&format!(
            "  svc-{n}: {{ kind: app, image: \"example/{n}:1.0\", base_image: \"alpine:3.20\", port: {port}, health_path: /health, networks: [inner, proxy-network]{} }}\n",
            if c.with_db { ", depends_on: { db: healthy }" } else { "" }
        ));
    }
    if c.with_db {
        t.push_str(
            "  db: { kind: postgres, image: \"postgres:15.8-alpine\", networks: [inner] }\n",
        );
    }
    t.push_str("sites:\n");
    let mut seen_sites = std::collections::HashSet::new();
    let mut seen_domains = std::collections::HashSet::new();
    for (n, d, _) in &c.apps {
        if seen_sites.insert(n.clone()) {
            let d = if seen_domains.insert(d.clone()) {
                d.clone()
            } else {
                format!("{n}.{d}")
            };
            seen_domains.insert(d.clone());
            t.push_str(&format!("  - {{ domains: [{d}], service: svc-{n}, security_headers: web, access_log: {{ file: {n}.log }} }}\n"));
        }
    }
    t.push_str("env:\n");
    for (k, v) in unique(&c.env) {
        t.push_str(&format!("  {k}: {}\n", q(&v)));
    }
    t.push_str("secrets:\n");
    if c.with_db {
        t.push_str("  POSTGRES_PASSWORD: { alphabet: url_safe, length: 40 }\n");
    }
    let mut seen_secrets = std::collections::HashSet::new();
    for (k, alphabet, len) in &c.secrets {
        if seen_secrets.insert(k) {
            t.push_str(&format!(
                "  {k}: {{ alphabet: {alphabet}, length: {len} }}\n"
            ));
        }
    }
    t
}

/// The generated env entries with each name once (the first wins), as the spec holds them.
fn unique(env: &[(String, String)]) -> Vec<(String, String)> {
    let mut seen = std::collections::HashSet::new();
    env.iter()
        .filter(|(k, _)| seen.insert(k.clone()))
        .cloned()
        .collect()
}

static ENV_VALUES: Mutex<Vec<String>> = Mutex::new(Vec::new());

fn require(tool: &str) {
    let ok = Command::new(tool)
        .arg("version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    assert!(
        ok,
        "`{tool}` is missing: install it with scripts/install-test-deps.sh"
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(256), failure_persistence: None, ..ProptestConfig::default() })]

    fn random_specs_render_to_files_their_consumers_accept(c in case()) {
        let text = spec_text(&c);
        let loaded = load_str(&text, Format::Yaml, "prop.yaml").map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        let diags = banatie_infra_core::validate::validate(&loaded.spec);
        // Generated names may collide with a rule (a secret-looking env name, a placeholder
        // word): such specs are not what this property is about.
        prop_assume!(!banatie_infra_core::diagnostic::has_errors(&diags));
        let bundle = banatie_infra_core::render::render(&loaded.spec).unwrap();
        prop_assert_eq!(&bundle, &banatie_infra_core::render::render(&loaded.spec).unwrap(), "deterministic");

        // The Compose file passes the Compose Specification's schema.
        let compose: serde_json::Value = serde_yaml::from_str(bundle.text("docker-compose.yml").unwrap()).unwrap();
        let errors: Vec<String> = compose_schema().iter_errors(&compose).map(|e| format!("{e} at {}", e.instance_path)).collect();
        prop_assert!(errors.is_empty(), "{:?}", errors);

        // The env file reads back exactly (Compose's parser rules, in process).
        let env = banatie_infra_core::envfile::parse(bundle.text(".env").unwrap()).unwrap();
        for (k, v) in &unique(&c.env) {
            let got = env.iter().find(|e| &e.key == k).map(|e| e.value.clone());
            prop_assert_eq!(got.as_deref(), Some(v.as_str()), "{}", k);
            prop_assert!(!env.iter().find(|e| &e.key == k).unwrap().expands());
        }
        ENV_VALUES.lock().unwrap().extend(unique(&c.env).into_iter().map(|(_, v)| v));

        // Secrets of every alphabet: generated, then read back.
        let dir = tempfile::tempdir().unwrap();
        let report = banatie_infra_core::secrets::ensure(&loaded.spec, dir.path()).unwrap();
        prop_assert!(report.missing.is_empty());
        let mut checked = std::collections::HashSet::new();
        for (k, alphabet, len) in c.secrets.iter().filter(|(k, _, _)| checked.insert(k.clone())) {
            let v = banatie_infra_core::secrets::read_value(dir.path(), k).unwrap().unwrap();
            prop_assert_eq!(v.chars().count() as u32, *len);
            let ok = match *alphabet {
                "hex" => v.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()),
                "url_safe" => v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
                _ => v.bytes().all(|b| b.is_ascii_alphanumeric()),
            };
            prop_assert!(ok, "{} is not {}", k, alphabet);
        }

        // Caddy accepts the Caddyfile.
        let path = dir.path().join("Caddyfile");
        std::fs::write(&path, bundle.text("caddy/Caddyfile").unwrap()).unwrap();
        let out = Command::new("caddy").args(["adapt", "--adapter", "caddyfile", "--config"]).arg(&path).output().expect("caddy runs");
        prop_assert!(out.status.success(), "{}\n{}", String::from_utf8_lossy(&out.stderr), bundle.text("caddy/Caddyfile").unwrap());
    }
}

/// `docker compose config --format json` on `dir/docker-compose.yml`, with an
/// environment of only `PATH` and `HOME` (nothing to interpolate from the shell).
fn compose_config(dir: &std::path::Path) -> serde_json::Value {
    let out = Command::new("docker")
        .args(["compose", "--project-directory"])
        .arg(dir)
        .args(["-f"])
        .arg(dir.join("docker-compose.yml"))
        .args(["config", "--format", "json"])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", std::env::var("HOME").unwrap_or_default())
        .output()
        .expect("docker compose runs: install it with scripts/install-test-deps.sh");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Runs the property, then sends every generated env value through
/// `docker compose config` at once.
#[test]
fn random_specs_and_their_env_values_through_compose() {
    require("caddy");
    random_specs_render_to_files_their_consumers_accept();
    let values = std::mem::take(&mut *ENV_VALUES.lock().unwrap());
    assert!(
        values.len() >= 100,
        "only {} generated values",
        values.len()
    );
    let dir = tempfile::tempdir().unwrap();
    let mut env = String::new();
    for (i, v) in values.iter().enumerate() {
        env.push_str(&format!(
            "V{i}={}\n",
            banatie_infra_core::render::quote::env_value(v)
        ));
    }
    std::fs::write(dir.path().join("values.env"), env).unwrap();
    std::fs::write(
        dir.path().join("docker-compose.yml"),
        "services:\n  s:\n    image: example/s:1\n    env_file: [values.env]\n",
    )
    .unwrap();
    let v = compose_config(dir.path());
    let got = &v["services"]["s"]["environment"];
    for (i, want) in values.iter().enumerate() {
        // `config` prints every `$` as `$$`.
        let g = got[format!("V{i}")]
            .as_str()
            .unwrap_or_default()
            .replace("$$", "$");
        assert_eq!(&g, want, "value {i}");
    }
    values_through_a_rendered_service_environment(&values);
}

/// Every value (and every YAML word) as a service `environment` entry and as a build
/// argument of one rendered spec: `docker compose config` on the rendered Compose file
/// gives each back as written.
fn values_through_a_rendered_service_environment(values: &[String]) {
    let mut all: Vec<String> = YAML_WORDS.iter().map(|w| w.to_string()).collect();
    all.extend(values.iter().cloned());
    let spec = |entries: &[(usize, &String)]| {
        let mut t = String::from("stack: { name: envcheck, userns_remap: { enabled: false }, allow_published_ports: true }\nnetworks:\n  inner: { internal: true }\n  outer: {}\nservices:\n  s:\n    kind: app\n    image: \"example/s:1.0\"\n    base_image: \"alpine:3.20\"\n    port: 3000\n    networks: [inner, outer]\n    publish:\n      - { host: 8080, container: 3000 }\n      - { host: 8081, container: 3001, host_ip: \"::1\" }\n      - { host: 8082, container: 3002, host_ip: \"[::1]\" }\n      - { host: 8083, container: 3003, host_ip: 0.0.0.0 }\n    environment:\n");
        for (i, v) in entries {
            t.push_str(&format!("      V{i}: {}\n", q(v)));
        }
        // The same values as the build arguments of a built worker.
        t.push_str("  b:\n    kind: worker\n    build:\n      context: /src\n      dockerfile: Dockerfile\n      args:\n");
        for (i, v) in entries {
            t.push_str(&format!("        V{i}: {}\n", q(v)));
        }
        t.push_str("    networks: [inner]\n    health: { none: \"a property test\" }\n");
        t
    };
    let indexed: Vec<(usize, &String)> = all.iter().enumerate().collect();
    // Entries a rule rejects (a `$` reference to an unknown secret, a placeholder word)
    // are left out; the rest render.
    let loaded = load_str(&spec(&indexed), Format::Yaml, "env.yaml").unwrap();
    let rejected: std::collections::HashSet<String> =
        banatie_infra_core::validate::validate(&loaded.spec)
            .iter()
            .filter(|d| d.severity == banatie_infra_core::diagnostic::Severity::Error)
            .filter_map(|d| {
                d.pointer
                    .strip_prefix("/services/s/environment/")
                    .or_else(|| d.pointer.strip_prefix("/services/b/build/args/"))
                    .map(String::from)
            })
            .collect();
    let kept: Vec<(usize, &String)> = indexed
        .into_iter()
        .filter(|(i, _)| !rejected.contains(&format!("V{i}")))
        .collect();
    assert!(
        kept.len() >= YAML_WORDS.len(),
        "only {} of {} values pass validation",
        kept.len(),
        all.len()
    );
    let text = spec(&kept);
    let loaded = load_str(&text, Format::Yaml, "env.yaml").unwrap();
    let bundle =
        banatie_infra_core::render::render(&loaded.spec).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("docker-compose.yml"),
        bundle.text("docker-compose.yml").unwrap(),
    )
    .unwrap();
    std::fs::write(dir.path().join(".env"), bundle.text(".env").unwrap()).unwrap();
    std::fs::write(dir.path().join("secrets.env"), "").unwrap();
    let v = compose_config(dir.path());
    let got = &v["services"]["s"]["environment"];
    for (i, want) in &kept {
        let g = got[format!("V{i}")]
            .as_str()
            .unwrap_or_default()
            .replace("$$", "$");
        assert_eq!(&&g, want, "environment value V{i}");
        let a = v["services"]["b"]["build"]["args"][format!("V{i}")]
            .as_str()
            .unwrap_or_default()
            .replace("$$", "$");
        assert_eq!(&&a, want, "build argument V{i}");
    }
    // Published ports, IPv6 host addresses included, as Compose reads them.
    let mut ports: Vec<String> = v["services"]["s"]["ports"]
        .as_array()
        .expect("ports")
        .iter()
        .map(|p| {
            format!(
                "{}:{}:{}",
                p["host_ip"].as_str().unwrap(),
                p["published"].as_str().unwrap(),
                p["target"]
            )
        })
        .collect();
    ports.sort();
    assert_eq!(
        ports,
        [
            "0.0.0.0:8083:3003",
            "127.0.0.1:8080:3000",
            "::1:8081:3001",
            "::1:8082:3002"
        ]
    );
}

/// `compose_env_reading` (what the audit's BI315 says the container gets) against Compose
/// itself: 600 generated plain values, in one `docker compose config`, each compared with
/// what Compose puts in the environment.
#[test]
fn compose_env_reading_matches_compose() {
    use banatie_infra_core::render::quote::compose_env_reading;
    use proptest::strategy::ValueTree;
    // Every listed value, then generated ones.
    const LISTED: &[&str] = &[
        "True",
        "TRUE",
        "true",
        "False",
        "false",
        "1.10",
        "0755",
        "089",
        "1_000",
        "0b101",
        "-0b11",
        "0o17",
        "0x1F",
        "+12",
        "-0",
        "00",
        "1e3",
        "22:22",
        "2024-02-30",
        // Go's %v of floats, and numbers beyond 64 bits.
        "1e6",
        "1000000.0",
        "1234567.0",
        "100000.0",
        "0.00001",
        "0.0001",
        "1e20",
        "1.5e300",
        "-0.0",
        "1e999",
        "-1e999",
        "18446744073709551615",
        "18446744073709551616",
        "-9223372036854775808",
        "-9223372036854775809",
        "+18446744073709551615",
        "0x10000000000000000",
        "0xFFFFFFFFFFFFFFFF",
        "02000000000000000000000",
        // Date-times: with `T` a zone is required, with a space none is allowed.
        "2025-01-01T10:00:00",
        "2025-01-01t10:00:00Z",
        "2025-01-01T10:00:00Z",
        "2025-01-01T10:00:00+05:00",
        "2025-01-01T10:00:00+0500",
        "2025-01-01 10:00:00Z",
        "2025-01-01 10:00:00 +05:00",
        "2025-01-01 10:00:00.5",
        "2025-01-01T25:00:00Z",
        "2025-01-01 1:2:3",
        "2024-02-29",
        "2025-02-29",
        "2025-13-01",
        "2025-01-01 10:00:00",
        "on",
        "yes",
        "3000",
        "1.5",
    ];
    let strategy = prop_oneof![
        "[-+.]?[0-9][0-9_.eExXoObBa-f:]{0,7}",
        "[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([ Tt][0-9]{1,2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,3})?(Z|[+-][0-9]{2}:[0-9]{2})?)?",
        "\\.[0-9]{1,3}",
        "[0-9]{15,25}(\\.0)?",
    ];
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let mut values: Vec<String> = LISTED.iter().map(|w| w.to_string()).collect();
    while values.len() < 600 {
        let v = strategy.new_tree(&mut runner).unwrap().current();
        // Plain scalars only: nothing a block mapping would read as a structure. Infinite
        // and NaN numbers make Compose refuse the whole file (the unit tests cover them).
        let finite = compose_env_reading(&v).is_none_or(|(what, _)| !what.contains("refuses"));
        if finite && !v.ends_with(':') && !v.contains(": ") && !values.contains(&v) {
            values.push(v);
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let mut compose = String::from("services:\n  s:\n    image: example/s:1\n    environment:\n");
    for (i, v) in values.iter().enumerate() {
        compose.push_str(&format!("      V{i}: {v}\n"));
    }
    std::fs::write(dir.path().join("docker-compose.yml"), &compose).unwrap();
    let v = compose_config(dir.path());
    let got = &v["services"]["s"]["environment"];
    let mut checked = 0;
    for (i, written) in values.iter().enumerate() {
        let compose = got[format!("V{i}")].as_str().unwrap_or_default();
        match compose_env_reading(written) {
            // A zone or fraction: described, not reproduced; but Compose did change it.
            Some((_, None)) => assert_ne!(compose, written, "V{i}: {written:?}"),
            Some((_, Some(said))) => {
                assert_eq!(said, compose, "V{i}: {written:?}");
                checked += 1;
            }
            None => {
                assert_eq!(
                    compose, written,
                    "V{i}: {written:?} reaches the container changed"
                );
                checked += 1;
            }
        }
    }
    assert!(checked >= 550, "only {checked} values compared");
}
