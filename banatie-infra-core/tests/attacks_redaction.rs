//! Redaction by design (issue 13, item 4): hostile and unlucky inputs whose secret values
//! or terminal controls must never reach the output. Kinds guarded, one test each:
//!
//! - `secret_names_both_ways`: the shared predicate over a table of names that are and
//!   are not secret (`APIKEY`, `KEY_ID`, `ACCESS_KEY`, `CREDENTIALS`, `AUTH`, `PASS`,
//!   `PWD`, `DSN`, `PRIVATE_KEY`, `COOKIE`, `SESSION`, camel case, ...);
//! - `secret_in_public_env_is_not_in_its_snippet`: BI201's snippet of a spec (YAML, TOML,
//!   JSON), human and JSON, values of any length (3 characters too);
//! - `values_in_a_secrets_place_are_redacted_at_the_diagnostic_layer`: every secret place
//!   (secrets-file lines in every form Compose reads, a URL's password, `?password=`,
//!   `password=` of a DSN, `PGPASSWORD=`, SQL `PASSWORD '...'`/`"..."`/`ENCRYPTED`/`E'..'`/
//!   `$$..$$`, `IDENTIFIED BY`, curl `-u`/`--user`, wget `--password=`/`--password x`,
//!   mysql `-p`, sshpass `-p`, redis-cli `-a`, `Authorization:`/`Proxy-Authorization:`/
//!   `Cookie:` headers, `mc alias set`, redis `--requirepass`, credential formats by their
//!   prefix: GitHub, AWS) shown as a located snippet and quoted in the message and help,
//!   in human and JSON output;
//! - `multi_line_secret_values_are_hidden_on_every_line`: quoted env values and YAML block
//!   scalars over several lines, PEM private keys;
//! - `any_value_in_a_secret_place_is_replaced_exactly` (property, `PROPTEST_CASES`):
//!   arbitrary values in every secret place;
//! - `a_secrets_file_in_key_colon_form_is_not_echoed`: `KEY: value` and other lines of a
//!   secrets.env, through `secrets::ensure` and the audit;
//! - `a_secret_read_is_redacted_everywhere_else`: a value read from secrets.env or found in
//!   a secret's place is replaced in any other line, message or JSON field;
//! - `audit_does_not_print_secrets_of_scripts_sql_or_health_checks`: the audit of a
//!   hand-written deployment with secrets in a script, an SQL file and a health check;
//! - `terminal_controls_are_escaped`: escape sequences and bidi controls of a spec in
//!   errors, snippets and JSON;
//! - `import_moves_secrets_out_of_the_spec`: `import` of `.env` secrets, a Compose
//!   `environment:` secret, a password inside a `DATABASE_URL`-like URL and a DSN.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use banatie_infra_core::audit::{audit, AuditInput};
use banatie_infra_core::diagnostic::{render_human, render_json, Code, Diagnostic, Location, Span};
use banatie_infra_core::{load, validate};

fn assert_hidden(out: &str, secrets: &[&str], what: &str) {
    for s in secrets {
        assert!(!out.contains(s), "{what}: `{s}` leaked:\n{out}");
    }
}

/// The shared predicate (`banatie_infra_core::redact::looks_secret`, which validation's
/// BI201 uses): checked through validation, so this fails where the old predicate did.
#[test]
fn secret_names_both_ways() {
    let secret = [
        "APIKEY",
        "apiKey",
        "API_KEY",
        "AWS_ACCESS_KEY_ID",
        "KEY_ID",
        "ACCESS_KEY",
        "MINIO_ACCESS_KEY",
        "CREDENTIALS",
        "GOOGLE_APPLICATION_CREDENTIALS_JSON",
        "AUTH",
        "BASIC_AUTH",
        "PASS",
        "DB_PASS",
        "PWD",
        "DB_PWD",
        "DSN",
        "SENTRY_DSN",
        "PRIVATE_KEY",
        "COOKIE",
        "SESSION_COOKIE",
        "SESSION",
        "PASSWD",
        "DB_PASSPHRASE",
        "JWT_SECRET",
        "GITHUB_TOKEN",
        "dbPassword",
        "AUTHORIZATION",
        "REDIS_CONNECTION_STRING",
        "HMAC_SALT",
        "STRIPE_KEYS",
        "STRIPE_SK",
        "GITHUB_PAT",
        "SLACK_WEBHOOK_URL",
        "API_KEY_FILE_CONTENTS",
        "JWT_PRIV",
        "MY_API_KEY",
        "AUTH_TOKEN_2",
        "webhookSecret",
        "DB_PASSWD",
    ];
    let public = [
        "PUBLIC_KEY",
        "STRIPE_PUBLIC_KEY",
        "AUTH_URL",
        "SESSION_TIMEOUT",
        "COOKIE_DOMAIN",
        "PASSENGER_APP_ENV",
        "KEYCLOAK_URL",
        "NODE_ENV",
        "LOG_LEVEL",
        "API_URL",
        "PORT",
        "COMPASS_MODE",
        "MONKEY",
        "DSN_TIMEOUT",
        "KEYBOARD",
        "OLDPWD_HINT",
        "POSTGRES_PASSWORD_FILE",
        "SECRETS_DIR",
        "secrets-dir",
        "JWT_SECRET_LENGTH",
        "SSH_KEY_PATH",
    ];
    for (name, want) in secret
        .iter()
        .map(|n| (n, true))
        .chain(public.iter().map(|n| (n, false)))
    {
        assert_eq!(
            banatie_infra_core::redact::looks_secret(name),
            want,
            "looks_secret({name})"
        );
        let text = format!(
            "stack: {{ name: demo }}\nnetworks: {{ internal: {{ internal: true }} }}\nservices:\n  web: {{ kind: app, image: \"example/web:1.0\", networks: [internal] }}\nenv:\n  {name}: \"v4lue-x\"\n"
        );
        let Ok(l) = load::load_str(&text, load::Format::Yaml, "s.yaml") else {
            continue; // not an env name the spec accepts
        };
        let bi201 = validate::validate(&l.spec)
            .iter()
            .any(|d| d.code.0 == "BI201" && d.pointer.ends_with(&format!("/{name}")));
        assert_eq!(bi201, want, "BI201 for {name}");
    }
}

const SPEC: &str = "stack: { name: demo }\nnetworks: { internal: { internal: true } }\nservices:\n  web: { kind: app, image: \"example/web:1.0\", networks: [internal] }\n";

#[test]
fn secret_in_public_env_is_not_in_its_snippet() {
    let cases = [
        (
            format!("{SPEC}env:\n  API_TOKEN: \"tk-Zq81\"\n  DB_PASS: x9z\n  APIKEY: 'Kq7'\n"),
            load::Format::Yaml,
            "s.yaml",
        ),
        (
            "[stack]\nname = \"demo\"\n[networks.internal]\ninternal = true\n[services.web]\nkind = \"app\"\nimage = \"example/web:1.0\"\nnetworks = [\"internal\"]\n[env]\nAPI_TOKEN = \"tk-Zq81\"\nDB_PASS = \"x9z\"\nAPIKEY = 'Kq7'\n".to_owned(),
            load::Format::Toml,
            "s.toml",
        ),
        (
            "{\"stack\": {\"name\": \"demo\"}, \"networks\": {\"internal\": {\"internal\": true}},\n \"services\": {\"web\": {\"kind\": \"app\", \"image\": \"example/web:1.0\", \"networks\": [\"internal\"]}},\n \"env\": {\n  \"API_TOKEN\": \"tk-Zq81\",\n  \"DB_PASS\": \"x9z\",\n  \"APIKEY\": \"Kq7\"}}\n".to_owned(),
            load::Format::Json,
            "s.json",
        ),
    ];
    for (text, format, name) in cases {
        let l = load::load_str(&text, format, name).unwrap();
        let mut diags = validate::validate(&l.spec);
        l.source.annotate(&mut diags);
        let n = diags.iter().filter(|d| d.code.0 == "BI201").count();
        assert_eq!(n, 3, "{name}: {diags:#?}");
        let human = render_human(&diags, &[(name, &text)], false);
        assert!(human.contains("<redacted>"), "{human}");
        assert_hidden(&human, &["tk-Zq81", "x9z", "Kq7"], name);
        assert_hidden(&render_json(&diags), &["tk-Zq81", "x9z", "Kq7"], name);
    }
}

/// A diagnostic located at the secret's line of `file`, quoting the line in its message
/// and help, as a rule that shows what it found would.
fn quoting(file: &str, line: usize, text: &str) -> Diagnostic {
    let l = text.lines().nth(line - 1).unwrap();
    let mut d = Diagnostic::error(Code("BI999"), "/x", format!("found `{l}`"))
        .with_help(format!("rewrite `{l}`"));
    d.span = Some(Span {
        file: file.into(),
        location: Some(Location { line, column: 1 }),
    });
    d
}

#[test]
fn values_in_a_secrets_place_are_redacted_at_the_diagnostic_layer() {
    // (file, line, secrets on it): each line is shown and quoted on its own.
    let cases: &[(&str, &str, &[&str])] = &[
        ("secrets.env", "DB_HOST=Hq1", &["Hq1"]),
        ("secrets.env", "export HOST=Hq2", &["Hq2"]),
        ("secrets.env", "HOST: Hq3", &["Hq3"]),
        ("secrets.env", "HOST='Hq4 x'", &["Hq4 x"]),
        ("secrets.env", "HOST=\"Hq5 x\"", &["Hq5 x"]),
        ("prod-credentials.env", "ANYTHING=Hq6", &["Hq6"]),
        (
            "app.env",
            "REDIS_URL=redis://app:Pw1@cache:6379/0",
            &["Pw1"],
        ),
        ("app.env", "URL=postgres://u:Pw2/x+y@db/app", &["Pw2/x+y"]),
        (
            "app.env",
            "URL=postgresql://db/app?user=u&password=Pw3&ssl=1",
            &["Pw3"],
        ),
        (
            "app.env",
            "DSN_X=host=db user=u password=Pw4 dbname=app",
            &["Pw4"],
        ),
        ("init.sh", "PGPASSWORD=Pw5 psql -h db -U app", &["Pw5"]),
        ("init.sh", "export PGPASSWORD='Pw6'", &["Pw6"]),
        (
            "init.sql",
            "CREATE ROLE app LOGIN PASSWORD 'Pw7';",
            &["Pw7"],
        ),
        (
            "init.sql",
            "ALTER ROLE app WITH ENCRYPTED PASSWORD \"Pw8\";",
            &["Pw8"],
        ),
        ("init.sql", "ALTER ROLE app PASSWORD E'Pw9';", &["Pw9"]),
        ("init.sql", "ALTER ROLE app PASSWORD $$PwA$$;", &["PwA"]),
        (
            "init.sql",
            "CREATE USER 'u'@'%' IDENTIFIED BY 'PwB';",
            &["PwB"],
        ),
        (
            "h.sh",
            "curl -fsS -u admin:PwC http://localhost/health",
            &["PwC"],
        ),
        ("h.sh", "curl --user admin:PwD http://x/", &["PwD"]),
        ("h.sh", "curl -uadmin:PwE http://x/", &["PwE"]),
        (
            "h.sh",
            "wget -q --password=PwF --user=u http://x/",
            &["PwF"],
        ),
        ("h.sh", "wget --http-password PwG http://x/", &["PwG"]),
        ("h.sh", "mysql -uroot -pPwH -e 'select 1'", &["PwH"]),
        ("h.sh", "sshpass -p PwI ssh host", &["PwI"]),
        ("h.sh", "redis-cli -a PwJ ping", &["PwJ"]),
        (
            "h.sh",
            "curl -H \"Authorization: Bearer PwK\" http://x/",
            &["PwK"],
        ),
        (
            "h.sh",
            "curl -H 'Proxy-Authorization: Basic PwL' http://x/",
            &["PwL"],
        ),
        ("h.sh", "curl -H 'Cookie: sid=PwM; x=1' http://x/", &["PwM"]),
        (
            "Caddyfile",
            "header_up Authorization \"Bearer PwN\"",
            &["PwN"],
        ),
        (
            "init.sh",
            "mc alias set local http://minio:9000 AKq1 PwO",
            &["AKq1", "PwO"],
        ),
        (
            "init.sh",
            "mc config host add local http://minio:9000 AKq2 PwP",
            &["AKq2", "PwP"],
        ),
        (
            "docker-compose.yml",
            "    test: [\"CMD\", \"curl\", \"-u\", \"admin:PwQ\", \"http://localhost\"]",
            &["PwQ"],
        ),
        (
            "docker-compose.yml",
            "      POSTGRES_PASSWORD: PwR",
            &["PwR"],
        ),
        (
            "docker-compose.yml",
            "      - MINIO_ROOT_PASSWORD=PwS",
            &["PwS"],
        ),
        ("h.sh", "tool --api-key PwT --verbose", &["PwT"]),
        (
            "docker-compose.yml",
            "    command: [\"redis-server\", \"--requirepass\", \"PwU\"]",
            &["PwU"],
        ),
        (
            "README.md",
            "git clone https://ghp_PwV0123456789abcdefghijKLMN@github.com/o/r",
            &["PwV0123456789"],
        ),
        (
            "notes.txt",
            "aws key AKIAPWW0123456789ABC in use",
            &["PWW0123456789"],
        ),
    ];
    for (file, line, secrets) in cases {
        let text = format!("# first\n{line}\n# last\n");
        let diags = [quoting(file, 2, &text)];
        let human = render_human(&diags, &[(file, &text)], false);
        assert!(human.contains("<redacted>"), "{file}: {line}\n{human}");
        assert_hidden(&human, secrets, &format!("human of {file}: {line}"));
        assert_hidden(
            &render_json(&diags),
            secrets,
            &format!("json of {file}: {line}"),
        );
    }
    // What is not a secret stays as it is.
    let text = "curl -fsS http://localhost:8080/health?x=a@b\nPGHOST=db\n";
    let diags = [quoting("h.sh", 1, text)];
    let human = render_human(&diags, &[("h.sh", text)], false);
    assert!(!human.contains("<redacted>"), "{human}");
}

#[test]
fn a_secrets_file_in_key_colon_form_is_not_echoed() {
    let tmp = tempfile::tempdir().unwrap();
    let spec = format!("{SPEC}secrets:\n  JWT_SECRET: {{}}\n");
    let l = load::load_str(&spec, load::Format::Yaml, "s.yaml").unwrap();
    for body in [
        "JWT_SECRET: Kc1-colon-form-value\n",
        "this is Kc2 not a line at all\n",
        "JWT SECRET=Kc3-bad-key\n",
    ] {
        let p = tmp.path().join("secrets.env");
        fs::write(&p, body).unwrap();
        fs::set_permissions(&p, fs::Permissions::from_mode(0o600)).unwrap();
        let shown = match banatie_infra_core::secrets::ensure(&l.spec, tmp.path()) {
            Ok(r) => format!("{r:?}"),
            Err(e) => e.to_string(),
        };
        assert_hidden(&shown, &["Kc1", "Kc2", "Kc3"], body);
        // The audit of a deployment with that file.
        let d = tmp.path().join("audit");
        fs::create_dir_all(&d).unwrap();
        fs::write(
            d.join("docker-compose.yml"),
            "services:\n  api:\n    image: example/api:1.0\n    env_file: [secrets.env]\n",
        )
        .unwrap();
        fs::write(d.join("secrets.env"), body).unwrap();
        fs::set_permissions(d.join("secrets.env"), fs::Permissions::from_mode(0o644)).unwrap();
        let a = audit(&AuditInput {
            dir: Some(d.clone()),
            ..Default::default()
        })
        .unwrap();
        let human = render_human(&a.diagnostics, &a.sources(), false);
        assert!(!a.diagnostics.is_empty());
        assert_hidden(&human, &["Kc1", "Kc2", "Kc3"], body);
        assert_hidden(&render_json(&a.diagnostics), &["Kc1", "Kc2", "Kc3"], body);
    }
    // Compose's `KEY: value` form is read as Compose reads it.
    let e = banatie_infra_core::envfile::parse("JWT_SECRET: abc\n").unwrap();
    assert_eq!(
        (e[0].key.as_str(), e[0].value.as_str()),
        ("JWT_SECRET", "abc")
    );
}

#[test]
fn a_secret_read_is_redacted_everywhere_else() {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("secrets.env");
    fs::write(&p, "UPSTREAM=Rg7-read-from-secrets\n").unwrap();
    fs::set_permissions(&p, fs::Permissions::from_mode(0o600)).unwrap();
    let v = banatie_infra_core::secrets::read_value(tmp.path(), "UPSTREAM").unwrap();
    assert_eq!(v.as_deref(), Some("Rg7-read-from-secrets"));
    // The same value on a line of another file and in a message.
    let text = "upstream: Rg7-read-from-secrets\n";
    let mut d = Diagnostic::error(Code("BI999"), "/x", "value Rg7-read-from-secrets here");
    d.span = Some(Span {
        file: "other.yaml".into(),
        location: Some(Location {
            line: 1,
            column: 11,
        }),
    });
    let human = render_human(&[d.clone()], &[("other.yaml", text)], false);
    assert_hidden(&human, &["Rg7"], "human");
    assert_hidden(&render_json(&[d]), &["Rg7"], "json");
    // A value found in a secret's place (a URL's password) is hidden where it is repeated
    // without context.
    let text = "a: postgres://u:Wq5-in-place@db/app\nb: Wq5-in-place\n";
    let mut d = Diagnostic::error(Code("BI999"), "/b", "b is Wq5-in-place");
    d.span = Some(Span {
        file: "f.yaml".into(),
        location: Some(Location { line: 2, column: 4 }),
    });
    let human = render_human(&[d], &[("f.yaml", text)], false);
    assert_hidden(&human, &["Wq5"], "human, found in place");
}

#[test]
fn audit_does_not_print_secrets_of_scripts_sql_or_health_checks() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    fs::create_dir_all(d.join("scripts")).unwrap();
    fs::write(
        d.join("docker-compose.yml"),
        "services:\n  db:\n    image: postgres:15-alpine\n    environment:\n      POSTGRES_PASSWORD: Zd1\n    volumes:\n      - ./scripts/init.sql:/docker-entrypoint-initdb.d/init.sql\n      - ./scripts/seed.sh:/docker-entrypoint-initdb.d/seed.sh\n    healthcheck:\n      test: [\"CMD-SHELL\", \"curl -u admin:Zd2 http://localhost:1 || exit 1\"]\n  api:\n    image: example/api:1.0\n    environment:\n      DATABASE_URL: postgresql://app:Zd3@db:5432/app\n",
    )
    .unwrap();
    fs::write(
        d.join("scripts/init.sql"),
        "CREATE ROLE app LOGIN PASSWORD 'Zd4';\nALTER ROLE app ENCRYPTED PASSWORD 'Zd5';\n",
    )
    .unwrap();
    fs::write(
        d.join("scripts/seed.sh"),
        "PGPASSWORD=Zd6 psql -h db -U app -c 'select 1' | grep x\n`echo $PGPASSWORD`\n",
    )
    .unwrap();
    let a = audit(&AuditInput {
        dir: Some(d.to_path_buf()),
        ..Default::default()
    })
    .unwrap();
    let human = render_human(&a.diagnostics, &a.sources(), false);
    let all = ["Zd1", "Zd2", "Zd3", "Zd4", "Zd5", "Zd6"];
    assert_hidden(&human, &all, "audit human");
    assert_hidden(&render_json(&a.diagnostics), &all, "audit json");
    for f in &a.files {
        assert_hidden(&f.redacted, &all, &f.path);
    }
}

#[test]
fn terminal_controls_are_escaped() {
    for text in [
        format!("{SPEC}sites:\n  - {{ domains: [\"a\x1b[2Jb.example.org\"], service: web }}\n"),
        format!("{SPEC}env:\n  \"X\x1b]0;owned\x07\": \"v\"\n"),
        format!("{SPEC}bogus\u{202e}field: 1\n"),
        format!("{SPEC}env:\n  A: \"\u{9b}31m\x7f\"\n  API_TOKEN: \"\x1b[31mred\"\n"),
    ] {
        let (diags, _) = match load::load_str(&text, load::Format::Yaml, "s\x1b[1m.yaml") {
            Ok(l) => {
                let mut d = validate::validate(&l.spec);
                l.source.annotate(&mut d);
                (d, ())
            }
            Err(e) => (vec![e.to_diagnostic()], ()),
        };
        assert!(!diags.is_empty(), "{text}");
        let human = render_human(&diags, &[("s\x1b[1m.yaml", &text)], false);
        for c in ['\x1b', '\x07', '\u{9b}', '\x7f', '\u{202e}'] {
            assert!(!human.contains(c), "raw {c:?} in:\n{human}");
        }
        let json = render_json(&diags);
        for c in ['\x1b', '\x07', '\u{9b}', '\x7f', '\u{202e}'] {
            assert!(!json.contains(c), "raw {c:?} in JSON:\n{json}");
        }
        serde_json::from_str::<serde_json::Value>(&json).unwrap();
    }
}

fn write(dir: &Path, files: &[(&str, &str)]) {
    for (p, t) in files {
        let p = dir.join(p);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(&p, t).unwrap();
    }
}

#[test]
fn import_moves_secrets_out_of_the_spec() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    write(
        d,
        &[
            (
                "docker-compose.yml",
                "services:\n  db:\n    image: postgres:15-alpine\n    environment:\n      POSTGRES_PASSWORD: Im1-pg-password\n  api:\n    image: example/api:1.0\n    environment:\n      SMTP_PASS: Im2\n      CACHE_URL: redis://:Im3-cache@cache:6379/0\n      APP_DSN: host=db user=u password=Im4-dsn\n      PUBLIC_NAME: shown-on-purpose\n    env_file: [.env, secrets.env]\n",
            ),
            (
                ".env",
                "# the API token: Im9-in-a-comment\nAPI_TOKEN=Im5-env-token\nREDIS_URL=redis://app:Im6-redis@cache:6379/0\nDATABASE_URL=postgresql://app:Im1-pg-password@db:5432/app\nLOG_LEVEL=info\nMAIL_LOGIN_COPY=Im7-shared-value\n",
            ),
            ("secrets.env", "SMTP_PASSWORD=Im7-shared-value\n"),
            (
                "Caddyfile",
                "api.example.org {\n\treverse_proxy api:3000\n\theader X-Api-Key \"Im8-header-key\"\n\theader X-Frame-Options DENY\n}\n",
            ),
        ],
    );
    let input = AuditInput {
        dir: Some(d.to_path_buf()),
        ..Default::default()
    };
    let imported = banatie_infra_core::import::import(&input).unwrap();
    let yaml = banatie_infra_core::import::to_yaml(&imported.spec);
    let all = [
        "Im1", "Im2", "Im3", "Im4", "Im5", "Im6", "Im7", "Im8", "Im9",
    ];
    assert_hidden(&yaml, &all, "the imported spec");
    assert!(
        yaml.contains("api.example.org"),
        "the site is imported: {yaml}"
    );
    let desc = imported
        .spec
        .secrets
        .iter()
        .find(|(k, _)| k.as_str() == "API_TOKEN");
    assert_eq!(
        desc.and_then(|(_, s)| s.description.as_deref()),
        Some("the API token: <redacted>"),
        "{yaml}"
    );
    let notes: String = imported.notes.iter().map(|n| format!("{n}\n")).collect();
    assert_hidden(&notes, &all, "the notes");
    assert_hidden(
        &format!("{:?}", imported.secrets),
        &all,
        "Debug of the secrets",
    );
    assert!(
        yaml.contains("shown-on-purpose") && yaml.contains("LOG_LEVEL"),
        "{yaml}"
    );
    for n in [
        "SMTP_PASS",
        "CACHE_URL",
        "APP_DSN",
        "API_TOKEN",
        "REDIS_URL",
        "MAIL_LOGIN_COPY",
    ] {
        assert!(
            imported.spec.secrets.keys().any(|k| k.as_str() == n),
            "{n} declared under secrets: {yaml}"
        );
        assert!(notes.contains(n), "a note names {n}:\n{notes}");
    }
    let moved: Vec<(String, String)> = imported
        .secrets
        .iter()
        .map(|m| (m.name.clone(), m.value.clone()))
        .collect();
    for (n, v) in [
        ("POSTGRES_PASSWORD", "Im1-pg-password"),
        ("SMTP_PASS", "Im2"),
        ("CACHE_URL", "redis://:Im3-cache@cache:6379/0"),
        ("APP_DSN", "host=db user=u password=Im4-dsn"),
        ("API_TOKEN", "Im5-env-token"),
        ("REDIS_URL", "redis://app:Im6-redis@cache:6379/0"),
    ] {
        assert!(moved.contains(&(n.into(), v.into())), "{n} moved");
    }
    // Written to secrets.env, 0600, read back as Compose reads it.
    let out = tmp.path().join("out");
    let r = banatie_infra_core::secrets::store(&out, &moved).unwrap();
    assert_eq!(r.added.len(), moved.len());
    let meta = fs::metadata(out.join("secrets.env")).unwrap();
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    let text = fs::read_to_string(out.join("secrets.env")).unwrap();
    let back = banatie_infra_core::envfile::parse(&text).unwrap();
    for (n, v) in &moved {
        assert!(back.iter().any(|e| e.key == *n && e.value == *v), "{n}");
    }
    // Again: nothing changes, an existing value is kept.
    let again =
        banatie_infra_core::secrets::store(&out, &[("API_TOKEN".into(), "other".into())]).unwrap();
    assert_eq!(again.conflicting, ["API_TOKEN"]);
    assert_eq!(fs::read_to_string(out.join("secrets.env")).unwrap(), text);
}

/// Every secret place, with `{}` where the value goes.
const PLACES: &[&str] = &[
    "env PGPASSWORD={} psql -h db",
    "PGPASSWORD={}",
    "export DB_PASSWORD={}",
    "  POSTGRES_PASSWORD: {}",
    "  \"API_TOKEN\": \"{}\",",
    "JWT_SECRET = \"{}\"",
    "postgresql://app:{}@db:5432/app",
    "redis://:{}@cache:6379/0?x=1",
    "https://h/db?user=u&password={}&ssl=1",
    "CREATE ROLE app LOGIN PASSWORD '{}';",
    "ALTER ROLE app ENCRYPTED PASSWORD \"{}\";",
    "curl -fsS -u admin:{} http://localhost/",
    "curl --user admin:{} http://localhost/",
    "wget --password={} http://x/",
    "mysql -p{} -e 'select 1'",
    "curl -H 'Authorization: Bearer {}' http://x/",
    "tool --client-secret {} --verbose",
    "test: [\"CMD\", \"wget\", \"-q\", \"http://127.0.0.1/health?token={}&x=1\"]",
    "A: \"https://h/x?api_key={}\"",
    "STRIPE_SK={}",
    "GITHUB_PAT={}",
];

proptest::proptest! {
    /// Whatever a value is (of the characters each place can hold), the shown line is the
    /// place with the marker instead of the value: the text before it unchanged, the
    /// value nowhere.
    #[test]
    fn any_value_in_a_secret_place_is_replaced_exactly(
        v in "[A-Za-z0-9+/=_.~%!*,^-]{1,40}",
        place in 0..PLACES.len(),
    ) {
        banatie_infra_core::redact::clear();
        let p = PLACES[place];
        // Characters that end the value in this place's syntax.
        let v = if p.contains("?") || p.contains("u&") { v.replace(['&', ','], "x") } else { v };
        let v = if p.starts_with("  \"") || p.contains("mysql") || p.contains("--") || p.contains("curl") || p.contains("PGPASS") { v.replace(',', "x") } else { v };
        let line = p.replace("{}", &v);
        let shown = banatie_infra_core::redact::redact(&line);
        // Exactly the marker in the value's place; redacting more of the line after it
        // (a value that looks like another assignment) is allowed, showing it is not.
        let (before, after) = p.split_once("{}").unwrap();
        let rest = shown.strip_prefix(&format!("{before}<redacted>"));
        proptest::prop_assert!(rest.is_some(), "{} shown as {}", line, shown);
        let rest = rest.unwrap();
        if rest != after && !after.contains(v.as_str()) && !"<redacted>".contains(v.as_str()) {
            proptest::prop_assert!(!rest.contains(v.as_str()), "{} shown as {}", line, shown);
        }
    }
}

/// Values that go on over several lines: a quoted env value and a YAML block scalar of a
/// secret-looking key; each line of them is hidden, the lines after them are shown.
#[test]
fn multi_line_secret_values_are_hidden_on_every_line() {
    for (file, text, secrets, shown) in [
        (
            "app.env",
            "API_TOKEN=\"Ml1 first\nMl2 second\"\nLOG_LEVEL=info\n",
            &["Ml1", "Ml2"][..],
            "LOG_LEVEL=info",
        ),
        (
            "docker-compose.yml",
            "    environment:\n      PRIVATE_KEY: |\n        Ml3-line-one\n        Ml4-line-two\n      NODE_ENV: production\n",
            &["Ml3", "Ml4"][..],
            "NODE_ENV: production",
        ),
        (
            "key.pem",
            "-----BEGIN PRIVATE KEY-----\nMl5MIIEvQIBADANBgkqhkiG9w0B\nMl6AQEFAASCBKcwggSjAgEAAoIB\n-----END PRIVATE KEY-----\n",
            &["Ml5", "Ml6"][..],
            "-----END PRIVATE KEY-----",
        ),
    ] {
        let d = quoting(file, 2, text);
        let human = render_human(&[d], &[(file, text)], false);
        let every: Vec<Diagnostic> = (1..=text.lines().count())
            .map(|n| quoting(file, n, text))
            .collect();
        let all = render_human(&every, &[(file, text)], false);
        assert_hidden(&format!("{human}{all}"), secrets, file);
        assert!(all.contains(shown), "{all}");
    }
}
