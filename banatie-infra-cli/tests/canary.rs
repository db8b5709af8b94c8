//! Secret canary: known canary secret values go into `secrets.env` (and into hand-written
//! files the audit reads), every verb runs over them, and no canary byte sequence may
//! appear in any stdout, stderr, error message or written file other than `secrets.env`.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const CANARIES: &[(&str, &str)] = &[
    ("POSTGRES_PASSWORD", "CanaryPg/7f3a+9c=QzX"),
    ("MINIO_ROOT_PASSWORD", "CanaryMinioRoot8d21e5"),
    ("MINIO_SECRET_KEY", "CanaryMinioSecret4b6c0a"),
    ("GEMINI_API_KEY", "CanaryGeminiAIzaSy91f2"),
    (
        "JWT_SECRET",
        "CanaryJwt0123456789abcdef0123456789abcdef0123456789abcdef01234567",
    ),
    ("SESSION_SECRET", "CanarySession5e6f7a8b9c"),
];

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_banatie-infra"))
        .current_dir(repo())
        .args(args)
        .output()
        .expect("runs")
}

/// Every form a canary could leak in: raw, percent-encoded (inside a URL), base64 is not
/// produced by this tool.
fn forms() -> Vec<String> {
    let mut v = Vec::new();
    for (_, c) in CANARIES {
        v.push((*c).to_owned());
        v.push(
            percent_encoding::utf8_percent_encode(c, percent_encoding::NON_ALPHANUMERIC)
                .to_string(),
        );
        // A distinctive fragment, in case a message cuts the value.
        v.push(c[..14].to_owned());
    }
    v
}

fn assert_clean(what: &str, bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    for f in forms() {
        assert!(!text.contains(&f), "canary `{f}` leaked in {what}:\n{text}");
    }
}

fn check(o: &Output, what: &str) {
    assert_clean(&format!("stdout of {what}"), &o.stdout);
    assert_clean(&format!("stderr of {what}"), &o.stderr);
}

/// Scans every file under `dir` for a canary but the secret places the tool writes on
/// purpose: `secrets.env` and the per-service copies `secrets/<service>.env`, which must be
/// 0600. Returns how many files were scanned.
fn scan_tree(dir: &Path) -> usize {
    let mut n = 0;
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            n += scan_tree(&p);
        } else if is_secret_place(&p) {
            let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{} is mode {mode:o}", p.display());
        } else {
            assert_clean(&p.display().to_string(), &std::fs::read(&p).unwrap());
            n += 1;
        }
    }
    n
}

fn is_secret_place(p: &Path) -> bool {
    let name = p.file_name().and_then(|f| f.to_str()).unwrap_or("");
    let in_secrets_dir = p.parent().and_then(|d| d.file_name()) == Some("secrets".as_ref());
    name == "secrets.env" || (in_secrets_dir && name.ends_with(".env"))
}

fn write_secrets(dir: &Path, extra: &str) -> PathBuf {
    let path = dir.join("secrets.env");
    let mut text = String::new();
    for (k, v) in CANARIES {
        text.push_str(&format!("{k}='{v}'\n"));
    }
    text.push_str(extra);
    std::fs::write(&path, text).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    path
}

#[test]
fn no_verb_prints_or_writes_a_secret() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("root");
    let d = root.to_str().unwrap();
    let spec = "examples/banatie.yaml";

    for args in [
        vec!["validate", spec],
        vec!["validate", spec, "--format", "json"],
        vec!["render", spec, "-o", d],
        vec!["render", spec, "-o", d, "--check"],
    ] {
        let o = run(&args);
        check(&o, &args.join(" "));
    }
    write_secrets(&root, "");
    // Completing keeps the canaries, derives DATABASE_URL (with the encoded canary) and
    // prints names only.
    let o = run(&["secrets", spec, "--dir", d]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    check(&o, "secrets");
    let secrets = std::fs::read_to_string(root.join("secrets.env")).unwrap();
    assert!(
        secrets.contains("CanaryPg%2F7f3a%2B9c%3DQzX"),
        "the derived URL holds the encoded password"
    );

    // A secrets.env that does not parse, with the canary on the bad line.
    let bad = tmp.path().join("bad");
    std::fs::create_dir_all(&bad).unwrap();
    write_secrets(&bad, "BROKEN='CanaryPg/7f3a+9c=QzX\n");
    let o = run(&["secrets", spec, "--dir", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    check(&o, "secrets on an unparsable file");
    // A duplicate, and a world-readable file.
    write_secrets(&bad, "POSTGRES_PASSWORD='CanaryPg/7f3a+9c=QzX'\n");
    let o = run(&["secrets", spec, "--dir", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    check(&o, "secrets on a duplicate");
    std::fs::set_permissions(
        bad.join("secrets.env"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    let o = run(&["secrets", spec, "--dir", bad.to_str().unwrap()]);
    check(&o, "secrets on a 0644 file");

    // The audit and import of the rendered bundle (which holds the canaries in
    // secrets.env), and of hand-written files with canaries in the wrong places.
    let o = run(&[
        "audit",
        d,
        "--base-image",
        "banatie-api=node:20-alpine",
        "--base-image",
        "banatie-landing=node:20-alpine",
    ]);
    check(&o, "audit of the rendered bundle");
    let o = run(&["audit", d, "--format", "json"]);
    check(&o, "audit --format json");
    let spec_out = tmp.path().join("imported.yaml");
    let o = run(&["import", d, "-o", spec_out.to_str().unwrap()]);
    check(&o, "import");

    let hand = tmp.path().join("hand");
    std::fs::create_dir_all(&hand).unwrap();
    std::fs::write(
        hand.join("docker-compose.yml"),
        "services:\n  db:\n    image: postgres:15-alpine\n    environment:\n      POSTGRES_PASSWORD: CanaryPg/7f3a+9c=QzX\n  api:\n    image: example/api:1.0\n    env_file: [secrets.env]\n    environment:\n      DATABASE_URL: postgresql://u:${POSTGRES_PASSWORD}@db:5432/app\n",
    )
    .unwrap();
    let s = write_secrets(&hand, "DATABASE_URL=postgresql://app:CanaryPg/7f3a+9c=QzX@db:5432/app\nPASS2=CanaryMinioRoot8d21e5#tail\n");
    std::fs::set_permissions(&s, std::fs::Permissions::from_mode(0o644)).unwrap();
    std::fs::write(hand.join(".env"), "X=1\n").unwrap();
    let o = run(&["audit", hand.to_str().unwrap()]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    check(&o, "audit of hand-written files");
    let o = run(&["audit", hand.to_str().unwrap(), "--format", "json"]);
    check(&o, "audit --format json of hand-written files");
    let o = run(&[
        "import",
        hand.to_str().unwrap(),
        "-o",
        tmp.path().join("hand.yaml").to_str().unwrap(),
    ]);
    check(&o, "import of hand-written files");

    // No file the tool wrote holds a canary, but secrets.env (the hand-written inputs
    // under `hand` and `bad` hold them on purpose).
    let n = scan_tree(&root);
    assert!(n > 10, "scanned only {n} files");
    for f in ["imported.yaml", "hand.yaml"] {
        if let Ok(bytes) = std::fs::read(tmp.path().join(f)) {
            assert_clean(f, &bytes);
        }
    }
}

/// Canaries placed in every secret place, by value (none of them is in `CANARIES`): no
/// verb prints them or writes them anywhere but a `secrets.env`.
const PLACED: &[&str] = &[
    "CanaryEnvTok0a1b2c3",   // public env of a spec (BI201)
    "CanaryColonForm4d5e6",  // secrets.env, `KEY: value`
    "CanaryExportForm7f8a9", // secrets.env, `export KEY=value`
    "CanaryQuoted0b1c2d3 x", // secrets.env, double-quoted with a space
    "CanaryBadLine4e5f6a7",  // secrets.env, a line that does not parse
    "CanaryDotEnvTok8b9c0",  // .env, secret-looking name
    "CanaryUrlPass1d2e3f4",  // .env, a URL's password under a public name
    "CanaryDsnPass5a6b7c8",  // compose environment, `password=` of a DSN
    "CanaryComposePg9d0e1",  // compose environment, POSTGRES_PASSWORD literal
    "CanaryDbUrlPw2f3a4b5",  // compose environment, inside a DATABASE_URL
    "CanaryCurlUser6c7d8e",  // health check, curl -u user:pass
    "CanaryPgPassword9f0a",  // script, PGPASSWORD=
    "CanarySqlPassword1b2c", // SQL, PASSWORD '...'
    "CanaryMcSecret3d4e5f6", // script, mc alias set NAME URL ACCESS SECRET
    "CanaryAuthHeader7a8b9", // Caddyfile, header_up Authorization
    "CanaryShortApiKey0c1d", // compose environment, APIKEY (a name the old predicate missed)
    "CanaryCheckDiff8c9d0e", // a rendered .env edited by hand, shown by `render --check`
];

fn assert_no_placed(what: &str, bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    for c in PLACED {
        let frag = &c[..16];
        assert!(
            !text.contains(frag),
            "placed canary `{c}` leaked in {what}:\n{text}"
        );
    }
}

fn check_placed(o: &Output, what: &str) {
    assert_no_placed(&format!("stdout of {what}"), &o.stdout);
    assert_no_placed(&format!("stderr of {what}"), &o.stderr);
}

fn scan_placed(dir: &Path) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            scan_placed(&p);
        } else if p.file_name().and_then(|f| f.to_str()) != Some("secrets.env") {
            assert_no_placed(&p.display().to_string(), &std::fs::read(&p).unwrap());
        }
    }
}

#[test]
fn no_secret_in_any_secret_place_is_printed_or_written() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    // A spec with a secret in public env: refused, and never echoed.
    let spec_text = std::fs::read_to_string(repo().join("examples/banatie.yaml"))
        .unwrap()
        .replacen(
            "\nenv:\n",
            "\nenv:\n  EXTRA_API_TOKEN: \"CanaryEnvTok0a1b2c3\"\n",
            1,
        );
    assert!(spec_text.contains("CanaryEnvTok0a1b2c3"));
    let spec = t.join("spec.yaml");
    std::fs::write(&spec, &spec_text).unwrap();
    let s = spec.to_str().unwrap();
    let root = t.join("root");
    let r = root.to_str().unwrap();
    for args in [
        vec!["validate", s],
        vec!["validate", s, "--format", "json"],
        vec!["render", s, "-o", r],
        vec!["render", s, "-o", r, "--check"],
        vec!["secrets", s, "--dir", r],
    ] {
        let o = run(&args);
        assert_ne!(o.status.code(), Some(0), "{args:?} accepts a secret in env");
        check_placed(&o, &args.join(" "));
    }

    // A hand-written deployment with a canary in every other secret place.
    let hand = t.join("hand");
    std::fs::create_dir_all(hand.join("scripts")).unwrap();
    let files: &[(&str, &str)] = &[
        (
            "docker-compose.yml",
            "services:\n  db:\n    image: postgres:15-alpine\n    environment:\n      POSTGRES_PASSWORD: CanaryComposePg9d0e1\n    volumes:\n      - ./scripts/init.sql:/docker-entrypoint-initdb.d/init.sql\n  api:\n    image: example/api:1.0\n    env_file: [secrets.env]\n    environment:\n      DATABASE_URL: postgresql://app:CanaryDbUrlPw2f3a4b5@db:5432/app\n      APP_DSN: host=db user=app password=CanaryDsnPass5a6b7c8\n      APIKEY: CanaryShortApiKey0c1d\n    healthcheck:\n      test: [\"CMD\", \"curl\", \"-fsS\", \"-u\", \"admin:CanaryCurlUser6c7d8e\", \"http://localhost:3000/health\"]\n  init:\n    image: minio/mc:latest\n    entrypoint: [\"/bin/sh\", \"/scripts/init.sh\"]\n    volumes:\n      - ./scripts/init.sh:/scripts/init.sh:ro\n",
        ),
        (
            "secrets.env",
            "JWT_SECRET: CanaryColonForm4d5e6\nexport SESSION_SECRET=CanaryExportForm7f8a9\nMINIO_SECRET_KEY=\"CanaryQuoted0b1c2d3 x\"\n",
        ),
        (
            ".env",
            "API_TOKEN=CanaryDotEnvTok8b9c0\nREDIS_URL=redis://app:CanaryUrlPass1d2e3f4@cache:6379/0\n",
        ),
        (
            "scripts/init.sh",
            "#!/bin/sh\nPGPASSWORD=CanaryPgPassword9f0a psql -h db -U app -c 'select 1'\nmc alias set local http://minio:9000 admin CanaryMcSecret3d4e5f6\n",
        ),
        (
            "scripts/init.sql",
            "CREATE ROLE app LOGIN PASSWORD 'CanarySqlPassword1b2c';\n",
        ),
        (
            "Caddyfile",
            "api.example.org {\n\treverse_proxy api:3000 {\n\t\theader_up Authorization \"Bearer CanaryAuthHeader7a8b9\"\n\t}\n}\n",
        ),
    ];
    for (p, text) in files {
        std::fs::write(hand.join(p), text).unwrap();
    }
    let h = hand.to_str().unwrap();
    for args in [vec!["audit", h], vec!["audit", h, "--format", "json"]] {
        let o = run(&args);
        assert_eq!(
            o.status.code(),
            Some(1),
            "{}",
            String::from_utf8_lossy(&o.stdout)
        );
        check_placed(&o, &args.join(" "));
    }
    // A secrets.env line that does not parse, with the canary on it.
    let bad = t.join("bad");
    std::fs::create_dir_all(&bad).unwrap();
    for (p, text) in files.iter().filter(|(p, _)| *p != "secrets.env") {
        std::fs::create_dir_all(bad.join(p).parent().unwrap()).unwrap();
        std::fs::write(bad.join(p), text).unwrap();
    }
    std::fs::write(bad.join("secrets.env"), "the key is CanaryBadLine4e5f6a7\n").unwrap();
    std::fs::set_permissions(
        bad.join("secrets.env"),
        std::fs::Permissions::from_mode(0o600),
    )
    .unwrap();
    for args in [
        vec!["audit", bad.to_str().unwrap()],
        vec!["audit", bad.to_str().unwrap(), "--format", "json"],
    ] {
        check_placed(&run(&args), &args.join(" "));
    }
    let o = run(&[
        "secrets",
        "examples/banatie.yaml",
        "--dir",
        bad.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    check_placed(&o, "secrets over an unparsable line");

    // Import: the spec holds none, secrets.env (0600) holds them, the report names them.
    let out = t.join("imported");
    std::fs::create_dir_all(&out).unwrap();
    let spec_out = out.join("spec.yaml");
    let o = run(&["import", h, "-o", spec_out.to_str().unwrap()]);
    check_placed(&o, "import");
    let stderr = String::from_utf8_lossy(&o.stderr);
    for n in ["API_TOKEN", "REDIS_URL", "APP_DSN", "APIKEY"] {
        assert!(
            stderr.contains(n),
            "the import names the moved `{n}`:\n{stderr}"
        );
    }
    let stored = std::fs::read_to_string(out.join("secrets.env")).unwrap();
    assert!(stored.contains("CanaryDotEnvTok8b9c0") && stored.contains("CanaryUrlPass1d2e3f4"));
    assert_eq!(
        std::fs::metadata(out.join("secrets.env"))
            .unwrap()
            .permissions()
            .mode()
            & 0o777,
        0o600
    );
    let sp = spec_out.to_str().unwrap();
    let r2 = out.join("root");
    for args in [
        vec!["validate", sp],
        vec!["validate", sp, "--format", "json"],
        vec!["render", sp, "-o", r2.to_str().unwrap()],
        vec!["render", sp, "-o", r2.to_str().unwrap(), "--check"],
    ] {
        check_placed(&run(&args), &args.join(" "));
    }
    // A secret typed into the rendered `.env` by hand: `--check` shows the line changed,
    // not the value.
    let r3 = t.join("edited");
    let r3s = r3.to_str().unwrap();
    let o = run(&["render", "examples/banatie.yaml", "-o", r3s]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let env = r3.join(".env");
    let mut text = std::fs::read_to_string(&env).expect("render wrote .env");
    text.push_str("EXTRA_API_TOKEN=CanaryCheckDiff8c9d0e\n");
    std::fs::write(&env, text).unwrap();
    let o = run(&["render", "examples/banatie.yaml", "-o", r3s, "--check"]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(String::from_utf8_lossy(&o.stdout).contains("EXTRA_API_TOKEN"));
    check_placed(&o, "render --check of an edited .env");
    std::fs::remove_file(&env).unwrap();
    // No file written outside a secrets.env holds a canary.
    scan_placed(&out);
    if root.exists() {
        scan_placed(&root);
    }
}

/// `render --check` reads the root's `secrets.env` before it shows a difference: a
/// value of it pasted anywhere into a generated file (a comment of `.env`, a Compose
/// value, the init SQL), in a place no name or syntax marks as secret, is hidden in the
/// diff, whatever the line form of `secrets.env` and whatever the variable's name.
#[test]
fn render_check_hides_every_secrets_env_value_pasted_into_the_bundle() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("root");
    let r = root.to_str().unwrap();
    let spec = repo().join("examples/blog.yaml");
    let s = spec.to_str().unwrap();
    assert!(run(&["render", s, "-o", r]).status.success());
    let values = [
        "PastedPgPw1a2b",
        "PastedMinio3c4d",
        "PastedColon5e6f",
        "PastedStripe7g8h",
    ];
    let secrets = format!(
        "POSTGRES_PASSWORD={}\nexport MINIO_ROOT_PASSWORD={}\nMINIO_SECRET_KEY: {}\nSTRIPE_SK=\"{}\"\n",
        values[0], values[1], values[2], values[3]
    );
    std::fs::write(root.join("secrets.env"), secrets).unwrap();
    std::fs::set_permissions(
        root.join("secrets.env"),
        std::os::unix::fs::PermissionsExt::from_mode(0o600),
    )
    .unwrap();
    let pasted = format!("# notes: {}\n", values.join(" and "));
    for f in [".env", "docker-compose.yml"] {
        let p = root.join(f);
        let mut text = std::fs::read_to_string(&p).unwrap();
        text.push_str(&pasted);
        std::fs::write(&p, text).unwrap();
    }
    let o = run(&["render", s, "-o", r, "--check"]);
    assert_eq!(o.status.code(), Some(1), "a changed bundle is a difference");
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(all.contains("# notes:"), "the changed line is shown: {all}");
    for v in values {
        assert!(!all.contains(v), "{v} shown by render --check:\n{all}");
    }
}

/// `import` never writes a spec that holds a secret's value outside the places it moves
/// to `secrets.env` (a token reused in a health-check path), never writes anything when
/// it refuses (no `secrets.env` either), and never writes `secrets.env` into its input
/// (BI704). A non-secret value of a secrets file (a user name) may stay in the spec.
#[test]
fn import_refuses_a_spec_holding_a_secret_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let hand = tmp.path().join("hand");
    std::fs::create_dir(&hand).unwrap();
    std::fs::write(
        hand.join("compose.yaml"),
        "services:\n  app:\n    image: example/app:1.0\n    env_file: [secrets.env]\n    healthcheck:\n      test: [\"CMD\", \"wget\", \"-q\", \"http://127.0.0.1/hooks/CanaryHookTok7f8e\"]\n",
    )
    .unwrap();
    let secrets = hand.join("secrets.env");
    std::fs::write(
        &secrets,
        "webhookSecret=CanaryHookTok7f8e\nAPP_USER=appadmin\n",
    )
    .unwrap();
    std::fs::set_permissions(
        &secrets,
        std::os::unix::fs::PermissionsExt::from_mode(0o600),
    )
    .unwrap();
    let before = std::fs::read(&secrets).unwrap();
    let out = tmp.path().join("out");
    let spec = out.join("spec.yaml");
    let o = run(&[
        "import",
        hand.to_str().unwrap(),
        "-o",
        spec.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(all.contains("not written: line(s)"), "{all}");
    assert!(!all.contains("CanaryHookTok7f8e"), "{all}");
    assert!(!out.exists(), "a refused import wrote {}", out.display());
    // Into the input's own secrets.env: refused before anything is written.
    let o = run(&[
        "import",
        hand.to_str().unwrap(),
        "-o",
        hand.join("spec.yaml").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    assert!(String::from_utf8_lossy(&o.stderr).contains("BI704"));
    assert_eq!(
        std::fs::read(&secrets).unwrap(),
        before,
        "the input's secrets.env changed"
    );
    assert!(!hand.join("spec.yaml").exists());
}
