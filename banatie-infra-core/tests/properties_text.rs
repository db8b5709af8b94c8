//! Property tests of issue 13's text part, with the real consumers as oracles, over
//! arbitrary strings (any Unicode, NUL and control characters included, mixed with shell,
//! env-file and SQL metacharacters) for every free-text field that reaches a generated
//! file other than the Caddyfile. Each value is either refused with a coded diagnostic at
//! its own pointer, or read back by its consumer exactly:
//!
//! - **shell**: the storage init script (lifecycle IDs and prefixes, public read prefix,
//!   policy) and prepare-host.sh (the root, host directories, its ROOT argument) run under
//!   `sh` with a tracing stub for every external command: each value arrives as exactly
//!   one argument (or one `printf` message), byte for byte; nothing else runs and no file
//!   is created. `quote::shell` itself over arbitrary strings, in one `sh` run.
//! - **env files**: `.env` (public values), `secrets.env` (the MinIO user names, written
//!   by `secrets::ensure`) and `secrets.env.example` (descriptions as comments) of every
//!   case go through one `docker compose config`: the values come back under their keys and
//!   no other key appears. The Compose file (service environment values, a job's argv, a
//!   build target) of all accepted values, rendered as one spec, through one more call.
//! - **SQL**: each accepted (database, role) pair's init SQL runs on PostgreSQL 15 after the
//!   image's entrypoint steps: exactly the three intended statements, and the role owns the
//!   database of that exact name. `quote::sql_ident` and `quote::sql_literal` over arbitrary
//!   strings: one statement each, read back byte for byte.
//!
//! 256 cases by default; `PROPTEST_CASES` changes it (scripts/proptest-long.sh: 10,000).

mod text_consumers;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

use banatie_infra_core::diagnostic::has_errors;
use banatie_infra_core::render::{self, quote};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;
use serde_json::{json, Value};
use text_consumers::cases::*;
use text_consumers::*;

// ---------------------------------------------------------------------------------------
// Shell
// ---------------------------------------------------------------------------------------

fn storage_init_case(
    id: String,
    prefix: String,
    public: String,
    policy: String,
) -> Result<(), TestCaseError> {
    let mut spec = base();
    spec["services"]["s3"]["service_account"] = json!({ "policy": "readwrite" });
    spec["services"]["s3"]["public_read_prefix"] = json!("public/");
    let defaults = spec.clone();
    let fields: [(&str, Value, &[&str]); 4] = [
        (
            "/services/s3/lifecycle/0/id",
            json!(id),
            &["BI513", "BI503"],
        ),
        (
            "/services/s3/lifecycle/0/prefix",
            json!(prefix),
            &["BI513", "BI502"],
        ),
        (
            "/services/s3/public_read_prefix",
            json!(public),
            &["BI513", "BI505"],
        ),
        (
            "/services/s3/service_account/policy",
            json!(policy),
            &["BI514"],
        ),
    ];
    let (s, kept) = settle(spec, &fields, &defaults)?;
    for (name, k) in ["id", "prefix", "public_read_prefix", "policy"]
        .iter()
        .zip(&kept)
    {
        count(name, *k);
    }
    let bundle = render::render(&s).unwrap();
    let m = match s.services.get("s3") {
        Some(banatie_infra_core::spec::Service::Minio(m)) => m,
        _ => unreachable!(),
    };
    let rules: Vec<(&str, &str, u32)> = m
        .lifecycle
        .iter()
        .map(|r| (r.id.as_str(), r.prefix.as_str(), r.expire_days))
        .collect();
    if kept[0] {
        prop_assert_eq!(rules[0].0, id.as_str());
    }
    if kept[1] {
        prop_assert_eq!(rules[0].1, prefix.as_str());
    }
    check_storage_init(
        &bundle,
        &m.service_account.policy,
        &rules,
        m.public_read_prefix.as_deref(),
    );
    Ok(())
}

fn prepare_host_case(
    root: String,
    source: String,
    backups: String,
    arg: String,
) -> Result<(), TestCaseError> {
    let mut spec = base();
    spec["stack"]["root"] = json!("/opt/atk");
    // A mount target apart from any generated root (BI516 refuses a target in the root,
    // which would be the target's fault here, not the root's): its first component
    // differs from the root's.
    let first = root.trim_start_matches('/').split('/').next().unwrap_or("");
    let target = format!("/mnt{}", first.len() + 1);
    let target = if target[1..] == *first {
        "/mnt".to_string()
    } else {
        target
    };
    spec["services"]["api"]["volumes"] = json!([{ "source": "data/x", "target": target }]);
    spec["backups"] = json!({ "dir": "backups" });
    let defaults = spec.clone();
    let fields: [(&str, Value, &[&str]); 3] = [
        ("/stack/root", json!(root), &["BI102", "BI516"]),
        (
            "/services/api/volumes/0/source",
            json!(source),
            &["BI102", "BI516", "BI504"],
        ),
        ("/backups/dir", json!(backups), &["BI102", "BI516", "BI504"]),
    ];
    // A path the type refuses is refused by the loader: try each field alone first.
    let mut spec = spec;
    let mut fields_ok: Vec<(&str, Value, &[&str])> = Vec::new();
    for (at, v, codes) in fields {
        let mut one = defaults.clone();
        set(&mut one, at, v.clone());
        match load_json(&one) {
            Err(d) => prop_assert!(
                (d.code.0 == "BI102" || d.code.0 == "BI109") && d.pointer.starts_with(at),
                "{at}: {d:#?}"
            ),
            Ok(_) => {
                set(&mut spec, at, v.clone());
                fields_ok.push((at, v, codes));
            }
        }
    }
    let (s, kept) = settle(spec, &fields_ok, &defaults)?;
    count("stack.root/host dirs", kept.iter().any(|k| *k));
    let bundle = render::render(&s).unwrap();
    let script = bundle.text(render::PREPARE_HOST).unwrap();
    let plan = render::directory_plan(&s);
    let root = s.stack.root();
    for given in [None, Some(arg.as_str())] {
        let t = run_script(script, given.as_slice(), &[]);
        prop_assert!(
            t.status.success(),
            "{}\n{script}",
            String::from_utf8_lossy(&t.stderr)
        );
        let base_dir = given.unwrap_or(root.as_str());
        let want: Vec<Vec<Vec<u8>>> = plan
            .iter()
            .map(|d| {
                let rel = d.path.strip_prefix(&format!("{root}/")).unwrap_or(&d.path);
                let mode = format!("{:o}", d.mode);
                let (uid, gid) = (d.uid.to_string(), d.gid.to_string());
                let mut c = argv(&["install", "-d", "-m", &mode, "-o", &uid, "-g", &gid]);
                c.push(format!("{base_dir}/{rel}").into_bytes());
                c
            })
            .collect();
        prop_assert_eq!(&t.calls, &want, "{}\n{}", show_calls(&t.calls), script);
        prop_assert!(t.created.is_empty());
    }
    Ok(())
}

#[test]
fn shell_scripts_pass_every_value_as_one_argument() {
    let mut runner = TestRunner::new(config());
    runner
        .run(
            &(text(), text(), (text(), any::<bool>()), text()),
            |(id, prefix, (public, slash), policy)| {
                let public = if slash { format!("{public}/") } else { public };
                storage_init_case(id, prefix, public, policy)
            },
        )
        .unwrap();
    // A case CI found: the root equal to the fixture's old mount target.
    prepare_host_case("/x".into(), "@".into(), "0".into(), "0".into()).unwrap();
    let mut runner = TestRunner::new(config());
    runner
        .run(
            &(path_text(true), path_text(false), path_text(false), text()),
            |(root, source, backups, arg)| {
                // The ROOT argument: anything a shell word holds (no NUL in an argv).
                let arg = format!("/{}", arg.replace('\0', ""));
                prepare_host_case(root, source, backups, arg)
            },
        )
        .unwrap();
    let kept = KEPT.lock().unwrap().clone();
    eprintln!("accepted values: {kept:?}");
    for field in [
        "id",
        "prefix",
        "public_read_prefix",
        "policy",
        "stack.root/host dirs",
    ] {
        let n = kept.get(field).copied().unwrap_or(0);
        assert!(
            n as u32 >= cases() / 8,
            "only {n} accepted values of {field}: {kept:?}"
        );
    }
    // `quote::shell` itself, over arbitrary strings, in one run: one argument each.
    let mut runner = TestRunner::new(config());
    let mut values = Vec::new();
    for _ in 0..cases() {
        values.push(
            text()
                .new_tree(&mut runner)
                .unwrap()
                .current()
                .replace('\0', ""),
        );
    }
    let script: String = values
        .iter()
        .map(|v| format!("mc {}\n", quote::shell(v)))
        .collect();
    let t = run_script(&script, &[], &[]);
    assert!(t.status.success(), "{}", String::from_utf8_lossy(&t.stderr));
    let want: Vec<Vec<Vec<u8>>> = values
        .iter()
        .map(|v| vec![b"mc".to_vec(), v.as_bytes().to_vec()])
        .collect();
    assert_eq!(t.calls, want);
    assert!(t.created.is_empty());
}

// ---------------------------------------------------------------------------------------
// Env files and the Compose file
// ---------------------------------------------------------------------------------------

/// One case's env files, kept for the batched `docker compose config`.
struct EnvCase {
    dir: tempfile::TempDir,
    /// What `.env` + `secrets.env` must give the app, exactly.
    app: BTreeMap<String, String>,
    /// The keys of `secrets.env.example`, each with an empty value.
    example: BTreeSet<String>,
}

static ENV_CASES: Mutex<Vec<EnvCase>> = Mutex::new(Vec::new());
/// Accepted values of service environments, job argv and build targets.
static YAML_VALUES: Mutex<Vec<String>> = Mutex::new(Vec::new());

fn env_case(
    public: String,
    service: String,
    description: String,
    root_user: String,
    access_key: String,
) -> Result<(), TestCaseError> {
    let mut spec = base();
    spec["env"] = json!({ "PUBLIC_X": "x" });
    spec["services"]["api"]["environment"] = json!({ "SVC_X": "x" });
    spec["secrets"]["API_KEY"] = json!({ "source": "supplied", "description": "d" });
    spec["services"]["s3"]["root_user"] = json!("root-user");
    spec["services"]["s3"]["service_account"] = json!({ "access_key": "access-key" });
    let defaults = spec.clone();
    let fields: [(&str, Value, &[&str]); 5] = [
        ("/env/PUBLIC_X", json!(public), &["BI202", "BI201"]),
        (
            "/services/api/environment/SVC_X",
            json!(service),
            &["BI202", "BI201"],
        ),
        (
            "/secrets/API_KEY/description",
            json!(description),
            &["BI209"],
        ),
        ("/services/s3/root_user", json!(root_user), &["BI514"]),
        (
            "/services/s3/service_account/access_key",
            json!(access_key),
            &["BI514"],
        ),
    ];
    let (s, kept) = settle(spec, &fields, &defaults)?;
    for (name, k) in [
        "env",
        "environment",
        "description",
        "root_user",
        "access_key",
    ]
    .iter()
    .zip(&kept)
    {
        count(name, *k);
    }
    let bundle = render::render(&s).unwrap();
    let dir = tempfile::tempdir().unwrap();
    for f in [render::ENV_FILE, render::SECRETS_EXAMPLE] {
        std::fs::write(dir.path().join(f), bundle.text(f).unwrap()).unwrap();
    }
    banatie_infra_core::secrets::ensure(&s, dir.path()).unwrap();
    // In process first (the crate's own reader mirrors Compose's).
    let read = |f: &str| {
        let text = std::fs::read_to_string(dir.path().join(f)).unwrap();
        banatie_infra_core::envfile::parse(&text).unwrap()
    };
    let mut app = BTreeMap::new();
    for e in read(render::ENV_FILE)
        .into_iter()
        .chain(read(render::SECRETS_FILE))
    {
        app.insert(e.key, e.value);
    }
    let value = |at: &str| s_value(&s, at);
    prop_assert_eq!(app.get("PUBLIC_X"), Some(&value("/env/PUBLIC_X")));
    prop_assert_eq!(
        app.get("MINIO_ROOT_USER"),
        Some(&value("/services/s3/root_user"))
    );
    prop_assert_eq!(
        app.get("MINIO_ACCESS_KEY"),
        Some(&value("/services/s3/service_account/access_key"))
    );
    let names: BTreeSet<String> = banatie_infra_core::environment::secret_vars(&s)
        .into_iter()
        .map(|v| v.name.to_string())
        .collect();
    let example: BTreeSet<String> = read(render::SECRETS_EXAMPLE)
        .into_iter()
        .map(|e| e.key)
        .collect();
    prop_assert_eq!(&example, &names);
    let public: BTreeSet<String> = banatie_infra_core::environment::public_vars(&s)
        .into_iter()
        .map(|v| v.name.to_string())
        .collect();
    let keys: BTreeSet<String> = app.keys().cloned().collect();
    prop_assert_eq!(
        &keys,
        &public.union(&names).cloned().collect::<BTreeSet<_>>()
    );
    if kept[1] {
        YAML_VALUES
            .lock()
            .unwrap()
            .push(value("/services/api/environment/SVC_X"));
    }
    ENV_CASES
        .lock()
        .unwrap()
        .push(EnvCase { dir, app, example });
    Ok(())
}

/// The string at `at` in `s`, through its JSON form.
fn s_value(s: &banatie_infra_core::Spec, at: &str) -> String {
    serde_json::to_value(s)
        .unwrap()
        .pointer(at)
        .and_then(Value::as_str)
        .unwrap()
        .to_owned()
}

#[test]
fn env_files_and_the_compose_file_carry_every_value_exactly() {
    let mut runner = TestRunner::new(config());
    runner
        .run(
            &(text(), text(), text(), text(), text()),
            |(a, b, c, d, e)| env_case(a, b, c, d, e),
        )
        .unwrap();
    let kept = KEPT.lock().unwrap().clone();
    eprintln!("accepted values: {kept:?}");
    for field in [
        "env",
        "environment",
        "description",
        "root_user",
        "access_key",
    ] {
        let n = kept.get(field).copied().unwrap_or(0);
        assert!(
            n as u32 >= cases() / 8,
            "only {n} accepted values of {field}: {kept:?}"
        );
    }
    // Every case's env files in one `docker compose config`, 500 cases per call.
    let cases = std::mem::take(&mut *ENV_CASES.lock().unwrap());
    for chunk in cases.chunks(500) {
        let dir = tempfile::tempdir().unwrap();
        let mut compose = String::from("services:\n");
        for (i, c) in chunk.iter().enumerate() {
            let d = c.dir.path().display();
            compose.push_str(&format!(
                "  c{i}:\n    image: example/s:1\n    env_file: [\"{d}/.env\", \"{d}/secrets.env\"]\n  x{i}:\n    image: example/s:1\n    env_file: [\"{d}/secrets.env.example\"]\n"
            ));
        }
        std::fs::write(dir.path().join("docker-compose.yml"), compose).unwrap();
        let config = compose_config(dir.path());
        for (i, c) in chunk.iter().enumerate() {
            assert_eq!(service_env(&config, &format!("c{i}")), c.app, "case {i}");
            let example = service_env(&config, &format!("x{i}"));
            assert_eq!(
                example.keys().cloned().collect::<BTreeSet<_>>(),
                c.example,
                "case {i}"
            );
            assert!(
                example.values().all(String::is_empty),
                "case {i}: {example:?}"
            );
        }
    }
    compose_file_values(&std::mem::take(&mut *YAML_VALUES.lock().unwrap()));
}

/// All accepted values at once in one rendered spec: an app's environment, a job's argv,
/// a generic service's command and health.exec, and apps' build targets; `docker compose config` gives each back as written.
fn compose_file_values(values: &[String]) {
    assert!(
        values.len() as u32 >= cases() / 8,
        "only {} values",
        values.len()
    );
    let mut spec = base();
    let env: serde_json::Map<String, Value> = values
        .iter()
        .enumerate()
        .map(|(i, v)| (format!("V{i}"), json!(v)))
        .collect();
    spec["services"]["api"]["environment"] = Value::Object(env);
    spec["services"]["cmd"] = json!({
        "kind": "job",
        "image": "example/cmd:1.0",
        "networks": ["inner"],
        "task": { "command": { "argv": values } }
    });
    // A generic service's command and health.exec (after a program name) carry the same
    // values as exec-form lists.
    let mut exec = vec![json!("check")];
    exec.extend(values.iter().map(|v| json!(v)));
    spec["services"]["proc"] = json!({
        "kind": "service",
        "image": "example/proc:1.0",
        "networks": ["inner"],
        "command": values,
        "health": { "exec": exec }
    });
    let targets = &values[..values.len().min(64)];
    for (i, t) in targets.iter().enumerate() {
        spec["services"][format!("b{i}")] = json!({
            "kind": "app",
            "image": format!("example/b{i}:1.0"),
            "build": { "context": "/src", "dockerfile": "Dockerfile", "target": t },
            "base_image": "alpine:3.20",
            "networks": ["inner"]
        });
    }
    let s = load_json(&spec).unwrap();
    let d = banatie_infra_core::validate::validate(&s);
    assert!(!has_errors(&d), "{d:#?}");
    let bundle = render::render(&s).unwrap();
    let dir = tempfile::tempdir().unwrap();
    for f in [render::COMPOSE_FILE, render::ENV_FILE] {
        std::fs::write(dir.path().join(f), bundle.text(f).unwrap()).unwrap();
    }
    std::fs::write(dir.path().join(render::SECRETS_FILE), "").unwrap();
    // Each service's own secrets file (`secrets` writes them), empty: no secret is set.
    std::fs::create_dir_all(dir.path().join("secrets")).unwrap();
    for name in s.services.keys() {
        std::fs::write(
            dir.path()
                .join(banatie_infra_core::environment::service_secrets_file(
                    name.as_str(),
                )),
            "",
        )
        .unwrap();
    }
    let config = compose_config(dir.path());
    let env = service_env(&config, "api");
    for (i, v) in values.iter().enumerate() {
        assert_eq!(env.get(&format!("V{i}")), Some(v), "V{i}");
    }
    let entry: Vec<String> = config["services"]["cmd"]["entrypoint"]
        .as_array()
        .expect("entrypoint")
        .iter()
        .map(|a| a.as_str().unwrap().replace("$$", "$"))
        .collect();
    assert_eq!(entry, values);
    let list = |v: &Value| -> Vec<String> {
        v.as_array()
            .expect("a list")
            .iter()
            .map(|a| a.as_str().unwrap().replace("$$", "$"))
            .collect()
    };
    assert_eq!(list(&config["services"]["proc"]["command"]), values);
    let test = list(&config["services"]["proc"]["healthcheck"]["test"]);
    assert_eq!(&test[..2], ["CMD", "check"]);
    assert_eq!(&test[2..], values);
    for (i, t) in targets.iter().enumerate() {
        let got = config["services"][format!("b{i}")]["build"]["target"]
            .as_str()
            .unwrap();
        assert_eq!(&got.replace("$$", "$"), t, "b{i}");
    }
}

// ---------------------------------------------------------------------------------------
// SQL
// ---------------------------------------------------------------------------------------

/// PostgreSQL names: often valid identifiers, often the names PostgreSQL reserves or
/// treats specially, sometimes any text.
fn sql_name() -> impl Strategy<Value = String> {
    let special = prop::sample::select(vec![
        "pg_",
        "public",
        "none",
        "template0",
        "template1",
        "postgres",
        "current_user",
        "_",
    ]);
    prop_oneof![
        3 => "[a-z_][a-z0-9_]{0,70}",
        2 => (special, prop_oneof![Just(String::new()), "[a-z0-9_]{1,5}".prop_map(|s| s)])
            .prop_map(|(a, b)| format!("{a}{b}")),
        1 => text(),
    ]
}

#[test]
fn init_sql_is_the_intended_statements_on_postgres() {
    let mut runner = TestRunner::new(config());
    let pairs: Mutex<Vec<(String, String, String)>> = Mutex::new(Vec::new());
    runner
        .run(&(sql_name(), sql_name()), |(db, user)| {
            let mut spec = base();
            spec["services"]["db"]["database"] = json!("banatie_db");
            spec["services"]["db"]["user"] = json!("banatie_user");
            let defaults = spec.clone();
            let fields: [(&str, Value, &[&str]); 2] = [
                ("/services/db/database", json!(db), &["BI515"]),
                ("/services/db/user", json!(user), &["BI515"]),
            ];
            // The type (SqlIdent) refuses most strings at load: BI102, or BI109 for a NUL.
            let mut spec = spec;
            let mut ok = Vec::new();
            for (at, v, codes) in fields {
                let mut one = defaults.clone();
                set(&mut one, at, v.clone());
                match load_json(&one) {
                    Err(d) => prop_assert!(
                        matches!(d.code.0, "BI102" | "BI109") && d.pointer == at,
                        "{d:#?}"
                    ),
                    Ok(_) => {
                        set(&mut spec, at, v.clone());
                        ok.push((at, v, codes));
                    }
                }
            }
            let (s, _) = settle(spec, &ok, &defaults)?;
            let bundle = render::render(&s).unwrap();
            let Some(banatie_infra_core::spec::Service::Postgres(pg)) = s.services.get("db") else {
                unreachable!()
            };
            pairs.lock().unwrap().push((
                pg.database.to_string(),
                pg.user.to_string(),
                bundle.text("scripts/init-db.sql").unwrap().to_owned(),
            ));
            Ok(())
        })
        .unwrap();
    let pairs = pairs.into_inner().unwrap();
    let distinct: BTreeSet<&String> = pairs.iter().map(|p| &p.0).collect();
    assert!(
        distinct.len() as u32 >= cases() / 4,
        "only {} databases",
        distinct.len()
    );
    // One psql session for every pair: what the image's entrypoint does before it runs
    // /docker-entrypoint-initdb.d (the role, the database of that name: one database,
    // renamed for each pair, as CREATE DATABASE takes a third of a second), then the init
    // SQL connected to it, between markers, then the owner as PostgreSQL has it.
    let cluster = Cluster::start();
    cluster.run_sql("postgres", "CREATE DATABASE w_0;");
    let mut current = "w_0".to_string();
    let mut dbs = BTreeSet::from(["w_0".to_string()]);
    let mut roles = BTreeSet::new();
    let dir = tempfile::tempdir().unwrap();
    let mut script = String::new();
    let mut checked = Vec::new();
    for (db, user, sql) in &pairs {
        if !dbs.insert(db.clone()) {
            continue;
        }
        // Setup statements print nothing.
        script.push_str("\\o /dev/null\n");
        if roles.insert(user.clone()) && user != "postgres" {
            script.push_str(&format!("CREATE ROLE {} LOGIN;\n", quote::sql_ident(user)));
        }
        if !matches!(db.as_str(), "postgres" | "template1") {
            script.push_str(&format!(
                "ALTER DATABASE {} RENAME TO {};\n",
                quote::sql_ident(&current),
                quote::sql_ident(db)
            ));
            current = db.clone();
        }
        script.push_str("\\o\n");
        let i = checked.len();
        let file = dir.path().join(format!("init-{i}.sql"));
        std::fs::write(&file, sql).unwrap();
        // Names are SqlIdents (a-z, 0-9, `_`): plain words to psql's meta-commands.
        script.push_str(&format!(
            "\\connect {db}\n\\echo BEGIN {i}\n\\i {}\n\\echo END {i}\n\\connect postgres\nSELECT encode(convert_to(pg_get_userbyid(datdba)::text, 'UTF8'), 'hex') FROM pg_database WHERE datname = {};\n",
            file.display(),
            quote::sql_literal(db)
        ));
        checked.push((db, user, sql));
    }
    let out = cluster.run_sql("postgres", &script);
    let lines: Vec<&str> = out
        .lines()
        .filter(|l| !l.starts_with("You are now connected"))
        .collect();
    let want: Vec<String> = checked
        .iter()
        .enumerate()
        .flat_map(|(i, (_, user, _))| {
            [
                format!("BEGIN {i}"),
                "ALTER DATABASE".into(),
                "ALTER SCHEMA".into(),
                "GRANT".into(),
                format!("END {i}"),
                hex(user),
            ]
        })
        .collect();
    for (i, (got, want)) in lines.iter().zip(&want).enumerate() {
        assert_eq!(
            got,
            want,
            "line {i}, case {}: {:?}",
            i / 6,
            checked.get(i / 6)
        );
    }
    assert_eq!(lines.len(), want.len());
}

#[test]
fn sql_quoting_reads_back_exactly_on_postgres() {
    let mut runner = TestRunner::new(config());
    let mut values = Vec::new();
    while (values.len() as u32) < cases() {
        let v = text()
            .new_tree(&mut runner)
            .unwrap()
            .current()
            .replace('\0', "");
        // Identifiers: 1 to 63 bytes (NAMEDATALEN - 1; longer ones are truncated).
        if !v.is_empty() && v.len() <= 63 {
            values.push(v);
        }
    }
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
    let want: Vec<String> = values
        .iter()
        .flat_map(|v| ["CREATE TABLE".to_string(), hex(v), hex(v)])
        .collect();
    assert_eq!(out.lines().collect::<Vec<_>>(), want);
}
