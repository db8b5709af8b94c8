//! Attacks on the text the renderer writes (issue 13, items 1 and 2; every target but the
//! Caddyfile). Each kind, and the safe outcome asserted:
//!
//! - **Shell injection into the storage init script** (`$(...)`, backticks, `"; cmd; echo "`,
//!   `'`, `${VAR}`, `%s`, a leading `-`) in a lifecycle rule's `id` and `prefix` and in
//!   `public_read_prefix`: the rendered script, run by `sh` with a tracing stub for every
//!   external command, passes the value as exactly one argument or message, runs nothing
//!   else and creates no file.
//! - **Shell injection into prepare-host.sh** through its ROOT argument: one argument.
//! - **Env injection**: a line break (LF, CR, U+2028) in a secret's `description` is BI209;
//!   rendered anyway (`render_unchecked`, `secrets::ensure` without validation), no new
//!   variable reaches `secrets.env` or `secrets.env.example` (checked by `docker compose
//!   config`). Env values with every special character read back byte for byte.
//! - **NUL anywhere**: BI109 from the loader, in every field that reaches a file.
//! - **Values every consumer rejects**: lifecycle IDs and prefixes MinIO cannot take
//!   (BI513), MinIO user and policy names `mc` would read as options or lists (BI514),
//!   PostgreSQL role names `pg_*`, `public`, `none` and the database `template0` (BI515).
//! - **Mounts of the bundle's own files**: a mount target `/`, a mount source or data,
//!   backup or log directory that is the root, `secrets.env`, `.env`, `scripts/...`,
//!   `caddy/...`, a `.`-name, a stack root `/` (BI516).
//! - **SQL injection**: identifiers and literals with `"`, `'`, `;`, `--`, `\`, `$$` and line
//!   breaks are one statement each on PostgreSQL 15, read back byte for byte.

mod text_consumers;

use banatie_infra_core::diagnostic::{has_errors, Diagnostic};
use banatie_infra_core::render::{self, quote};
use serde_json::{json, Value};
use text_consumers::*;

/// `base()` with the value at JSON pointer `at` set to `v` (parents must exist).
fn with(at: &str, v: Value) -> Value {
    let mut spec = base();
    let (parent, key) = at.rsplit_once('/').unwrap();
    let p = spec
        .pointer_mut(parent)
        .unwrap_or_else(|| panic!("no {parent}"));
    match p {
        Value::Object(m) => {
            m.insert(key.replace("~1", "/"), v);
        }
        Value::Array(a) => a[key.parse::<usize>().unwrap()] = v,
        _ => panic!("{parent} is not a container"),
    }
    spec
}

/// The diagnostics of `spec`: the loader's one, or validation's.
fn diagnostics(spec: &Value) -> Vec<Diagnostic> {
    match load_json(spec) {
        Err(d) => vec![d],
        Ok(s) => banatie_infra_core::validate::validate(&s),
    }
}

/// `spec` is refused with `code` at `at` (errors of other codes are allowed beside it),
/// with a help line (the loader's type errors, BI102, carry their rule in the message).
#[track_caller]
fn refused(spec: &Value, code: &str, at: &str) {
    let d = diagnostics(spec);
    assert!(
        d.iter().any(|d| d.is_error()
            && d.code.0 == code
            && d.pointer == at
            && (d.help.is_some() || code == "BI102")),
        "expected {code} at {at}, got {d:#?}"
    );
}

/// `spec` loads and validates without errors; its bundle.
#[track_caller]
fn accepted(spec: &Value) -> render::Bundle {
    let s = load_json(spec).unwrap_or_else(|d| panic!("{d:#?}"));
    let d = banatie_infra_core::validate::validate(&s);
    assert!(!has_errors(&d), "{d:#?}");
    render::render(&s).unwrap()
}

/// Injections that a shell would run in an unquoted or double-quoted context.
const SHELL_PAYLOADS: &[&str] = &[
    "$(touch pwned)",
    "`touch pwned`",
    "\"; touch pwned; echo \"",
    "'; touch pwned; echo '",
    "${HOME}",
    "$HOME$IFS$0",
    "%s%n%b\\c",
    "\\n\\c\\0101",
    "-e",
    "--help",
    "a > pwned",
    "a;touch pwned",
    "a|touch pwned",
    "a&touch pwned&",
    "*",
    "?[a]",
    "~root",
    "$((1+1))",
    "é €🙂",
];

#[test]
fn shell_payloads_in_lifecycle_rules_and_the_public_prefix_stay_literal() {
    for p in SHELL_PAYLOADS {
        let id = format!("x{p}");
        let prefix = format!("temp{p}/");
        let mut spec = with(
            "/services/s3/lifecycle",
            json!([
                { "id": id, "prefix": prefix, "expire_days": 7 },
                { "id": p, "prefix": "", "whole_bucket": true, "expire_days": 30 }
            ]),
        );
        // `*`, `?` and `$` are refused in a public prefix (BI513): checked below.
        let public = format!("pub{}/", p.replace(['*', '?', '$'], ""));
        spec["services"]["s3"]["public_read_prefix"] = json!(public);
        let bundle = accepted(&spec);
        assert_shellcheck_clean(bundle.text("scripts/s3-init/init.sh").unwrap());
        check_storage_init(
            &bundle,
            "readwrite",
            &[(&id, &prefix, 7), (p, "", 30)],
            Some(&public),
        );
    }
    // The issue's three examples, one by one.
    let b = accepted(&with(
        "/services/s3/lifecycle/0/id",
        json!("x$(touch pwned)"),
    ));
    check_storage_init(&b, "readwrite", &[("x$(touch pwned)", "temp/", 7)], None);
    let b = accepted(&with(
        "/services/s3/lifecycle/0/prefix",
        json!("\"; cmd; echo \""),
    ));
    check_storage_init(
        &b,
        "readwrite",
        &[("temp-cleanup", "\"; cmd; echo \"", 7)],
        None,
    );
    refused(
        &with("/services/s3/public_read_prefix", json!("pub$(cmd)/")),
        "BI513",
        "/services/s3/public_read_prefix",
    );
}

#[test]
fn prepare_host_takes_its_root_argument_as_one_word() {
    let bundle = accepted(&base());
    let script = bundle.text(render::PREPARE_HOST).unwrap();
    assert_shellcheck_clean(script);
    for root in [
        "/tmp/x$(touch pwned)",
        "/tmp/`touch pwned`",
        "/tmp/a b\"c'd",
        "-rf",
    ] {
        let t = run_script(script, &[root], &[]);
        assert!(t.status.success(), "{}", String::from_utf8_lossy(&t.stderr));
        assert!(!t.calls.is_empty());
        for c in &t.calls {
            assert_eq!(c[0], b"install");
            let target = String::from_utf8(c.last().unwrap().clone()).unwrap();
            assert!(
                target.starts_with(&format!("{root}/")),
                "{}",
                show_calls(&t.calls)
            );
        }
        assert!(t.created.is_empty(), "created {:?}", t.created);
    }
    // Without an argument: the spec's root.
    let t = run_script(script, &[], &[]);
    assert!(t.status.success());
    let plan = render::directory_plan(&load_json(&base()).unwrap());
    let targets: Vec<Vec<u8>> = t.calls.iter().map(|c| c.last().unwrap().clone()).collect();
    let want: Vec<Vec<u8>> = plan.iter().map(|d| d.path.clone().into_bytes()).collect();
    assert_eq!(targets, want);
}

/// Every string field that reaches a generated file, as a JSON pointer into `base()`.
const STRING_FIELDS: &[&str] = &[
    "/stack/name",
    "/services/db/user",
    "/services/db/database",
    "/services/s3/lifecycle/0/id",
    "/services/s3/lifecycle/0/prefix",
    "/services/s3/public_read_prefix",
    "/services/s3/root_user",
    "/services/s3/bucket",
    "/services/api/health_path",
    "/services/api/environment/X",
    "/env/PUBLIC_X",
    "/secrets/MINIO_SECRET_KEY/description",
    "/monitoring",
];

#[test]
fn a_nul_in_any_string_is_bi109() {
    for at in STRING_FIELDS {
        let mut spec = base();
        spec["env"] = json!({});
        spec["services"]["api"]["environment"] = json!({});
        let v = match *at {
            "/monitoring" => json!([{ "url": "https://a.example/\u{0}x" }]),
            _ => json!("ok\u{0}x"),
        };
        let (parent, key) = at.rsplit_once('/').unwrap();
        spec.pointer_mut(parent).unwrap()[key] = v;
        let d = diagnostics(&spec);
        assert!(
            d.len() == 1 && d[0].code.0 == "BI109" && d[0].pointer.starts_with(at),
            "{at}: {d:#?}"
        );
        assert!(!d[0].message.contains('\0'));
    }
    // A key too (a header name, an env name).
    let mut spec = base();
    spec["env"] = json!({ "A\u{0}B": "x" });
    assert_eq!(diagnostics(&spec)[0].code.0, "BI109");
    // And in TOML and YAML text.
    for (text, format) in [
        (
            "[stack]\nname = \"a\"\n[services]\n[env]\nX = \"a\\u0000b\"\n",
            banatie_infra_core::load::Format::Toml,
        ),
        (
            "stack: { name: a }\nservices: {}\nenv: { X: \"a\\0b\" }\n",
            banatie_infra_core::load::Format::Yaml,
        ),
    ] {
        let e = banatie_infra_core::load::load_str(text, format, "t").unwrap_err();
        assert_eq!(e.to_diagnostic().code.0, "BI109", "{text}");
    }
}

const LINE_BREAKS: &[&str] = &[
    "\n",
    "\r",
    "\r\n",
    "\u{2028}",
    "\u{85}",
    "\u{b}",
    "\u{c}",
    "\u{1b}[31m",
];

#[test]
fn a_description_with_a_line_break_is_bi209_and_never_a_variable() {
    for br in LINE_BREAKS {
        let desc = format!("API key{br}NODE_OPTIONS=--require=./evil.js");
        refused(
            &with("/secrets/MINIO_SECRET_KEY/description", json!(desc)),
            "BI209",
            "/secrets/MINIO_SECRET_KEY/description",
        );
    }
    // Rendered and completed without validation: still one line, no new variable, as
    // Compose reads the files.
    let dir = tempfile::tempdir().unwrap();
    let mut compose = String::from("services:\n");
    for (i, br) in LINE_BREAKS.iter().enumerate() {
        let mut spec = base();
        spec["secrets"]["API_KEY"] = json!({
            "source": "supplied",
            "description": format!("API key{br}NODE_OPTIONS=--require=./evil.js")
        });
        let s = load_json(&spec).unwrap();
        let bundle = render::render_unchecked(&s).unwrap();
        let case = dir.path().join(format!("c{i}"));
        std::fs::create_dir(&case).unwrap();
        std::fs::write(
            case.join("secrets.env.example"),
            bundle.text("secrets.env.example").unwrap(),
        )
        .unwrap();
        banatie_infra_core::secrets::ensure(&s, &case).unwrap();
        for f in ["secrets.env", "secrets.env.example"] {
            let text = std::fs::read_to_string(case.join(f)).unwrap();
            let keys: Vec<String> = banatie_infra_core::envfile::parse(&text)
                .unwrap()
                .into_iter()
                .map(|e| e.key)
                .collect();
            assert!(!keys.iter().any(|k| k == "NODE_OPTIONS"), "{f}: {text}");
        }
        compose.push_str(&format!(
            "  c{i}:\n    image: example/s:1\n    env_file: [./c{i}/secrets.env]\n  x{i}:\n    image: example/s:1\n    env_file: [./c{i}/secrets.env.example]\n"
        ));
    }
    std::fs::write(dir.path().join("docker-compose.yml"), compose).unwrap();
    let config = compose_config(dir.path());
    for i in 0..LINE_BREAKS.len() {
        for svc in [format!("c{i}"), format!("x{i}")] {
            let env = service_env(&config, &svc);
            assert!(!env.contains_key("NODE_OPTIONS"), "{svc}: {env:?}");
            assert!(env.contains_key("API_KEY"), "{svc}: {env:?}");
        }
    }
}

#[test]
fn lifecycle_ids_and_prefixes_minio_cannot_take_are_bi513() {
    let id = "/services/s3/lifecycle/0/id";
    let prefix = "/services/s3/lifecycle/0/prefix";
    let public = "/services/s3/public_read_prefix";
    for bad in ["a\nb", "a\rb", "\t", "\u{7f}", "\u{9b}", "\u{fffe}", ""] {
        refused(&with(id, json!(bad)), "BI513", id);
    }
    refused(&with(id, json!("a".repeat(256))), "BI513", id);
    accepted(&with(id, json!("a".repeat(255))));
    for bad in ["a\nb/", "a//b/", "./a/", "a/../b/", "a/./", "\u{1}/"] {
        refused(&with(prefix, json!(bad)), "BI513", prefix);
        refused(&with(public, json!(bad)), "BI513", public);
    }
    refused(&with(prefix, json!("/a/")), "BI513", prefix);
    refused(&with(prefix, json!("a".repeat(1025))), "BI513", prefix);
    for bad in ["pub*/", "p?b/", "${aws:username}/"] {
        refused(&with(public, json!(bad)), "BI513", public);
    }
    // A literal `*` is fine in a lifecycle prefix (S3 filters are literal); `..x` is a name.
    accepted(&with(prefix, json!("a*b/..x")));
}

#[test]
fn minio_names_mc_would_misread_are_bi514() {
    for (at, bad) in [
        ("/services/s3/root_user", "--help"),
        ("/services/s3/root_user", "ab"),
        ("/services/s3/root_user", "a=b"),
        ("/services/s3/root_user", "a b c"),
        ("/services/s3/root_user", "a\nbc"),
        ("/services/s3/service_account/access_key", "x,yz"),
        ("/services/s3/service_account/access_key", "a/bc"),
        (
            "/services/s3/service_account/policy",
            "readwrite,consoleAdmin",
        ),
        ("/services/s3/service_account/policy", "--user=x"),
        ("/services/s3/service_account/policy", ""),
    ] {
        let mut spec = base();
        let (parent, key) = at.rsplit_once('/').unwrap();
        if spec.pointer(parent).is_none() {
            spec["services"]["s3"]["service_account"] = json!({});
        }
        spec.pointer_mut(parent).unwrap()[key] = json!(bad);
        refused(&spec, "BI514", at);
    }
}

#[test]
fn postgres_names_postgres_refuses_are_bi515_or_bi102() {
    for bad in ["pg_monitor", "pg_x", "public", "none"] {
        refused(
            &with("/services/db/user", json!(bad)),
            "BI515",
            "/services/db/user",
        );
    }
    refused(
        &with("/services/db/database", json!("template0")),
        "BI515",
        "/services/db/database",
    );
    for bad in ["Bad", "a-b", "a\"b", "a;b", &"a".repeat(64), ""] {
        refused(
            &with("/services/db/user", json!(bad)),
            "BI102",
            "/services/db/user",
        );
        refused(
            &with("/services/db/database", json!(bad)),
            "BI102",
            "/services/db/database",
        );
    }
    // What PostgreSQL accepts stays accepted: a `pg_` database, `_`, 63 bytes.
    accepted(&with("/services/db/database", json!("pg_data")));
    accepted(&with("/services/db/user", json!("_")));
    accepted(&with("/services/db/user", json!("a".repeat(63))));
}

#[test]
fn mounts_of_the_root_its_files_and_slash_are_bi516() {
    let app = |m: Value| {
        let mut s = base();
        s["services"]["api"]["volumes"] = json!([m]);
        s
    };
    for target in [
        "/",
        "/.",
        "//",
        "/./.",
        "/opt/atk",
        "/opt/atk/secrets.env",
        "/opt/atk/.env",
        "/opt/atk/scripts",
        "/opt/atk/scripts/s3-init",
        "//opt/./atk/caddy",
    ] {
        refused(
            &app(json!({ "source": "data/x", "target": target })),
            "BI516",
            "/services/api/volumes/0/target",
        );
    }
    for source in [
        "secrets.env",
        "./secrets.env",
        ".env",
        "secrets.env.example",
        "docker-compose.yml",
        "scripts",
        "scripts/s3-init",
        "caddy",
        "directories.json",
        ".",
        "./",
        ".lock",
    ] {
        refused(
            &app(json!({ "source": source, "target": "/app/x" })),
            "BI516",
            "/services/api/volumes/0/source",
        );
        let mut s = base();
        s["services"]["api"]["logs"] = json!({ "source": source, "target": "/app/logs" });
        refused(&s, "BI516", "/services/api/logs/source");
        refused(
            &with("/services/db/data", json!(source)),
            "BI516",
            "/services/db/data",
        );
        refused(
            &with("/services/s3/data", json!(source)),
            "BI516",
            "/services/s3/data",
        );
        let mut s = base();
        s["backups"] = json!({ "dir": source });
        refused(&s, "BI516", "/backups/dir");
    }
    // The host side is relative to the root: an absolute source is no path under it.
    refused(
        &app(json!({ "source": "/opt/atk/secrets.env", "target": "/x" })),
        "BI102",
        "/services/api/volumes/0/source",
    );
    for log_dir in [
        "/",
        "/opt/atk",
        "/opt/atk/",
        "/opt/atk/scripts",
        "/opt/atk/secrets.env",
    ] {
        let mut s = base();
        s["proxy"] = json!({ "log_dir": log_dir });
        refused(&s, "BI516", "/proxy/log_dir");
    }
    for root in ["/", "/.", "//"] {
        refused(&with("/stack/root", json!(root)), "BI516", "/stack/root");
    }
    // Ordinary directories stay accepted.
    accepted(&app(
        json!({ "source": "data/uploads", "target": "/app/uploads" }),
    ));
}

#[test]
fn env_values_with_every_special_character_read_back_exactly() {
    // Blank values are placeholders (BI202), not part of this.
    let values: Vec<String> = SHELL_PAYLOADS
        .iter()
        .map(|s| s.to_string())
        .chain(
            [
                "a\nB=1",
                "a\rb",
                "'",
                "\"",
                "\\",
                "x\\",
                "#c",
                " lead",
                "trail ",
                "$$",
                "${A:-b}",
                "a\u{2028}b",
                "\u{1b}[0m",
                "\u{7f}",
                "a\tb",
                "\u{85}x",
            ]
            .iter()
            .map(|s| s.to_string()),
        )
        .collect();
    let mut spec = base();
    let env: serde_json::Map<String, Value> = values
        .iter()
        .enumerate()
        .map(|(i, v)| (format!("E{i}"), json!(v)))
        .collect();
    spec["env"] = Value::Object(env);
    let bundle = accepted(&spec);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(".env"), bundle.text(".env").unwrap()).unwrap();
    std::fs::write(
        dir.path().join("docker-compose.yml"),
        "services:\n  s:\n    image: example/s:1\n    env_file: [./.env]\n",
    )
    .unwrap();
    let env = service_env(&compose_config(dir.path()), "s");
    for (i, v) in values.iter().enumerate() {
        assert_eq!(env.get(&format!("E{i}")), Some(v), "E{i}");
    }
    let extra: Vec<&String> = env
        .keys()
        .filter(|k| !k.starts_with('E') && !k.starts_with("POSTGRES_"))
        .collect();
    assert!(extra.is_empty(), "{extra:?}");
}

#[test]
fn sql_identifiers_and_literals_are_one_statement_each_on_postgres() {
    let values = [
        "\"; DROP ROLE postgres; --",
        "'; DROP ROLE postgres; --",
        "a\"b'c",
        "back\\slash\\",
        "$$dollar$$",
        "$tag$x$tag$",
        "line\nbreak",
        "cr\rlf",
        "--comment",
        "/* c */",
        "é🙂",
        ";",
        " ",
    ];
    let cluster = Cluster::start();
    let mut sql = String::new();
    for (i, v) in values.iter().enumerate() {
        sql.push_str(&format!(
            "CREATE TABLE t{i} ({} int);\nSELECT encode(convert_to(attname::text, 'UTF8'), 'hex') FROM pg_attribute WHERE attrelid = 't{i}'::regclass AND attnum = 1;\nSELECT encode(convert_to({}, 'UTF8'), 'hex');\n",
            quote::sql_ident(v),
            quote::sql_literal(v)
        ));
    }
    let out = cluster.run_sql("postgres", &sql);
    let lines: Vec<&str> = out.lines().collect();
    let mut want = Vec::new();
    for v in &values {
        want.push("CREATE TABLE".to_string());
        want.push(hex(v));
        want.push(hex(v));
    }
    assert_eq!(lines, want);
}
