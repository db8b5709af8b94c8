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

fn scan_tree(dir: &Path) -> usize {
    let mut n = 0;
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            n += scan_tree(&p);
        } else if p.file_name().and_then(|f| f.to_str()) != Some("secrets.env") {
            assert_clean(&p.display().to_string(), &std::fs::read(&p).unwrap());
            n += 1;
        }
    }
    n
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
