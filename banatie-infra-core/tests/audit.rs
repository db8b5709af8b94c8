//! The audit of hand-written deployments (`banatie_infra_core::audit`):
//!
//! - every case of `tests/fixtures/cases` (each folder is a test: `EXPECT.md` says what a
//!   correct audit reports): the errors are compared exactly, as (code, file, line), and
//!   so are the warnings;
//! - the seed deployment (`tests/fixtures/seed`, extracted from infrastructure-v1.md): each
//!   of the nine defects of DESIGN.md is reported at its place, and nothing else;
//! - the closed loop: the bundle `render` writes for every example, with `secrets.env`
//!   completed (mode 0600), audits clean: no finding at all;
//! - no secret value is ever printed.
//!
//! Fixtures are copied to a temporary directory and given explicit modes (files 0644,
//! `secrets.env` 0600 unless a test says otherwise), so results do not depend on the
//! checkout's umask.

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use banatie_infra_core::audit::{audit, Audit, AuditInput};
use banatie_infra_core::diagnostic::{render_human, render_json, Severity};
use banatie_infra_core::load;
use banatie_infra_core::spec::{SecretSource, Service};
use tempfile::TempDir;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");
const EXAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples");

/// Copies `src` into `dst` (created), files 0644 and directories 0755.
fn copy_dir(src: &Path, dst: &Path) {
    fs::create_dir_all(dst).unwrap();
    fs::set_permissions(dst, fs::Permissions::from_mode(0o755)).unwrap();
    for e in fs::read_dir(src).unwrap() {
        let e = e.unwrap();
        let to = dst.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &to);
        } else {
            fs::copy(e.path(), &to).unwrap();
            fs::set_permissions(&to, fs::Permissions::from_mode(0o644)).unwrap();
        }
    }
}

/// A copy of fixture directory `rel` (under `tests/fixtures`), with `secrets.env` given
/// `secrets_mode` when there is one.
fn fixture(rel: &str, secrets_mode: u32) -> (TempDir, PathBuf) {
    let tmp = tempfile::Builder::new()
        .prefix("banatie-audit-")
        .tempdir()
        .unwrap();
    let name = Path::new(rel).file_name().unwrap();
    let dir = tmp.path().join(name);
    copy_dir(&Path::new(FIXTURES).join(rel), &dir);
    let secrets = dir.join("secrets.env");
    if secrets.exists() {
        fs::set_permissions(&secrets, fs::Permissions::from_mode(secrets_mode)).unwrap();
    }
    (tmp, dir)
}

fn run(dir: &Path, base_images: &[(&str, &str)]) -> Audit {
    let input = AuditInput {
        dir: Some(dir.to_path_buf()),
        base_images: base_images
            .iter()
            .map(|(s, i)| ((*s).to_owned(), i.parse().unwrap()))
            .collect(),
        ..Default::default()
    };
    audit(&input).unwrap_or_else(|e| panic!("audit of {}: {e}", dir.display()))
}

/// Whether `code` is a round-2 rule (log rotation, memory limits,
/// PID 1, secrets as environment, PostgreSQL's data mount and /dev/shm, ...). Those are
/// asserted by tests/audit_round2.rs (each with its failing and passing fixture) and
/// tests/audit_unseen.rs; the fixtures of this file were written before them and lack
/// those settings like most hand-written files, so their findings are left out here
/// (and the rendered bundles' are checked against [`RENDER_KNOWN_DEFECTS`]).
fn round2(code: &str) -> bool {
    const ROUND2: &[&str] = &[
        "BI210", "BI211", "BI212", "BI323", "BI324", "BI325", "BI326", "BI327", "BI328", "BI331",
        "BI414", "BI522", "BI523", "BI524", "BI525",
    ];
    ROUND2.contains(&code)
}

/// (code, file relative to `dir`, line) of every finding of `severity` (round-2 rules
/// left out, see [`round2`]), sorted.
fn found(a: &Audit, dir: &Path, severity: Severity) -> Vec<(String, String, usize)> {
    let mut out: Vec<(String, String, usize)> = a
        .diagnostics
        .iter()
        .filter(|d| d.severity == severity && !round2(d.code.0))
        .map(|d| {
            let span = d.span.as_ref().expect("every audit finding names its file");
            let file = Path::new(&span.file)
                .strip_prefix(dir)
                .unwrap_or_else(|_| panic!("{} is not under {}", span.file, dir.display()))
                .display()
                .to_string();
            let line = span.location.map_or(0, |l| l.line);
            (d.code.0.to_owned(), file, line)
        })
        .collect();
    out.sort();
    out
}

fn expected(list: &[(&str, &str, usize)]) -> Vec<(String, String, usize)> {
    let mut v: Vec<(String, String, usize)> = list
        .iter()
        .map(|(c, f, l)| ((*c).to_owned(), (*f).to_owned(), *l))
        .collect();
    v.sort();
    v
}

/// The audit of `dir` reports exactly `errors` and `warnings` (as (code, file, line)).
#[track_caller]
fn assert_findings(
    a: &Audit,
    dir: &Path,
    errors: &[(&str, &str, usize)],
    warnings: &[(&str, &str, usize)],
) {
    let report = || render_human(&a.diagnostics, &a.sources(), false);
    assert_eq!(
        found(a, dir, Severity::Error),
        expected(errors),
        "errors differ:\n{}",
        report()
    );
    assert_eq!(
        found(a, dir, Severity::Warning),
        expected(warnings),
        "warnings differ:\n{}",
        report()
    );
    for d in &a.diagnostics {
        assert!(
            d.help.as_deref().is_some_and(|h| !h.is_empty()),
            "no help: {d:?}"
        );
        assert!(
            d.span.as_ref().and_then(|s| s.location).is_some(),
            "no position: {d:?}"
        );
    }
}

/// One case of `tests/fixtures/cases`: its expected errors and warnings.
struct Case {
    name: &'static str,
    errors: &'static [(&'static str, &'static str, usize)],
    warnings: &'static [(&'static str, &'static str, usize)],
    base_images: &'static [(&'static str, &'static str)],
}

const CASES: &[Case] = &[
    Case {
        name: "01-minio-curl-healthcheck",
        // curl in the MinIO health check, at the `test:` key.
        errors: &[("BI301", "docker-compose.yml", 11)],
        warnings: &[],
        base_images: &[],
    },
    Case {
        name: "02-node-alpine-curl",
        // curl on node:20-alpine (resolved through api/Dockerfile's FROM) and the
        // localhost probe on a BusyBox image, both at the `test:` key.
        errors: &[
            ("BI301", "docker-compose.yml", 5),
            ("BI302", "docker-compose.yml", 5),
        ],
        // The image sets no USER: node runs as root (the Dockerfile reader).
        warnings: &[("BI317", "api/Dockerfile", 1)],
        base_images: &[],
    },
    Case {
        name: "03-healthy-dependency-without-healthcheck",
        // service_healthy on postgres without a health check, at the `condition:` key.
        errors: &[("BI115", "docker-compose.yml", 9)],
        warnings: &[],
        base_images: &[],
    },
    Case {
        name: "04-init-job-race-and-masked-failure",
        errors: &[
            // The init job's short-form dependency on the storage.
            ("BI310", "docker-compose.yml", 9),
            // The inline script (a folded scalar: located at its key): no `set -e`, and
            // `exit 0`.
            ("BI312", "docker-compose.yml", 11),
            ("BI312", "docker-compose.yml", 11),
            // `api` uses the storage without waiting for the init job.
            ("BI311", "docker-compose.yml", 18),
        ],
        warnings: &[],
        base_images: &[],
    },
    Case {
        name: "05-secret-interpolated-from-env-file",
        errors: &[
            // `${POSTGRES_PASSWORD}` is only in secrets.env: empty, at each use...
            ("BI307", "docker-compose.yml", 6),
            ("BI307", "docker-compose.yml", 11),
            // ...and a secret placed in the Compose file, at each use.
            ("BI201", "docker-compose.yml", 6),
            ("BI201", "docker-compose.yml", 11),
        ],
        warnings: &[],
        base_images: &[],
    },
    Case {
        name: "06-dollar-and-hash-in-values",
        errors: &[
            // `Xy7$Qa9k2pLm` needs `$$`; and it is a secret in plain text in the Compose
            // file (the audit's "secrets in compose files" rule).
            ("BI308", "docker-compose.yml", 6),
            ("BI201", "docker-compose.yml", 6),
            // Expanded at `$`, cut at `#`: single quotes.
            ("BI309", "secrets.env", 1),
            ("BI309", "secrets.env", 2),
        ],
        warnings: &[],
        base_images: &[],
    },
    Case {
        name: "07-database-url-not-encoded",
        errors: &[("BI208", "secrets.env", 2)],
        warnings: &[],
        base_images: &[],
    },
    Case {
        name: "08-pg15-public-schema",
        errors: &[("BI510", "db/01-app.sql", 2)],
        // The script hard-codes the database `app` that POSTGRES_DB sets in the Compose
        // file.
        warnings: &[("BI511", "db/01-app.sql", 2)],
        base_images: &[],
    },
    Case {
        name: "09-backup-by-redirect",
        errors: &[
            // No `set -e` (and `echo "backup completed"` runs whatever happened).
            ("BI312", "backup.sh", 2),
            // `-t`, no `-U`, the pipe without pipefail, the redirect to the final name.
            ("BI508", "backup.sh", 2),
            ("BI508", "backup.sh", 2),
            ("BI508", "backup.sh", 2),
            ("BI508", "backup.sh", 2),
        ],
        // /srv/backups is never created.
        warnings: &[("BI509", "backup.sh", 2)],
        base_images: &[],
    },
    Case {
        name: "10-minio-drives-not-mounted",
        errors: &[("BI512", "docker-compose.yml", 4)],
        warnings: &[],
        base_images: &[],
    },
    Case {
        name: "11-public-bucket-without-anonymous-policy",
        errors: &[("BI507", "init.sh", 5), ("BI402", "Caddyfile", 1)],
        // No anonymous read policy on the bucket (the retired `mc policy` set none).
        warnings: &[("BI406", "Caddyfile", 1)],
        base_images: &[],
    },
    Case {
        name: "12-internal-network-with-published-port",
        // The database publishes a port (never allowed), on an internal network only.
        errors: &[
            ("BI203", "docker-compose.yml", 5),
            ("BI304", "docker-compose.yml", 5),
        ],
        warnings: &[],
        base_images: &[],
    },
    Case {
        name: "13-environment-values-retyped",
        // Plain values Compose's YAML parser types, at each value (EXPECT.md has what the
        // container gets, read off `docker compose config`).
        errors: &[
            ("BI315", "docker-compose.yml", 5),
            ("BI315", "docker-compose.yml", 6),
            ("BI315", "docker-compose.yml", 7),
            ("BI315", "docker-compose.yml", 8),
            ("BI315", "docker-compose.yml", 9),
            ("BI315", "docker-compose.yml", 16),
            ("BI315", "docker-compose.yml", 21),
            // An anchor and its alias, a tab before a comment, Go's `%v` of a float.
            ("BI315", "docker-compose.yml", 31),
            ("BI315", "docker-compose.yml", 32),
            ("BI315", "docker-compose.yml", 33),
            ("BI315", "docker-compose.yml", 36),
            // A flow mapping over several lines.
            ("BI315", "docker-compose.yml", 40),
            ("BI315", "docker-compose.yml", 41),
        ],
        warnings: &[],
        base_images: &[],
    },
];

fn check_case(name: &str) {
    let case = CASES
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("case {name} has no expectations in CASES"));
    let (_tmp, dir) = fixture(&format!("cases/{name}"), 0o600);
    let a = run(&dir, case.base_images);
    assert_findings(&a, &dir, case.errors, case.warnings);
}

macro_rules! case_tests {
    ($($test:ident => $name:literal,)*) => {
        $(
            #[test]
            fn $test() {
                check_case($name);
            }
        )*

        /// Every folder of tests/fixtures/cases is a test above.
        #[test]
        fn every_case_folder_is_tested() {
            let tested = [$($name),*];
            let mut dirs: Vec<String> = fs::read_dir(Path::new(FIXTURES).join("cases"))
                .unwrap()
                .map(|e| e.unwrap())
                .filter(|e| e.file_type().unwrap().is_dir())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                // The round-2 cases are tests/audit_round2.rs's.
                .filter(|n| !n.starts_with("round2-"))
                .collect();
            dirs.sort();
            assert_eq!(dirs, tested, "a case folder without a test, or a test without a folder");
            assert_eq!(CASES.len(), tested.len());
        }
    };
}

case_tests! {
    case_01_minio_curl_healthcheck => "01-minio-curl-healthcheck",
    case_02_node_alpine_curl => "02-node-alpine-curl",
    case_03_healthy_dependency_without_healthcheck => "03-healthy-dependency-without-healthcheck",
    case_04_init_job_race_and_masked_failure => "04-init-job-race-and-masked-failure",
    case_05_secret_interpolated_from_env_file => "05-secret-interpolated-from-env-file",
    case_06_dollar_and_hash_in_values => "06-dollar-and-hash-in-values",
    case_07_database_url_not_encoded => "07-database-url-not-encoded",
    case_08_pg15_public_schema => "08-pg15-public-schema",
    case_09_backup_by_redirect => "09-backup-by-redirect",
    case_10_minio_drives_not_mounted => "10-minio-drives-not-mounted",
    case_11_public_bucket_without_anonymous_policy => "11-public-bucket-without-anonymous-policy",
    case_12_internal_network_with_published_port => "12-internal-network-with-published-port",
    case_13_environment_values_retyped => "13-environment-values-retyped",
}

/// A world-readable secrets file is reported (as a fresh clone leaves the fixtures).
#[test]
fn secrets_file_readable_by_others() {
    let (_tmp, dir) = fixture("cases/03-healthy-dependency-without-healthcheck", 0o644);
    let a = run(&dir, &[]);
    assert_findings(
        &a,
        &dir,
        &[
            ("BI115", "docker-compose.yml", 9),
            ("BI207", "secrets.env", 1),
        ],
        &[],
    );
    let d = a.diagnostics.iter().find(|d| d.code.0 == "BI207").unwrap();
    assert!(d.message.contains("0644"), "{d:?}");
}

// ---------------------------------------------------------------------------------------
// The seed
// ---------------------------------------------------------------------------------------

/// The document says both apps are based on `node:20-alpine`; their build context is not
/// part of the seed.
const SEED_BASES: &[(&str, &str)] = &[
    ("banatie-api", "node:20-alpine"),
    ("banatie-landing", "node:20-alpine"),
];

fn seed() -> (TempDir, PathBuf, Audit) {
    let (tmp, dir) = fixture("seed", 0o600);
    let a = run(&dir, SEED_BASES);
    (tmp, dir, a)
}

/// Each defect of DESIGN.md ("Defects of the seed that the generated bundle must not
/// have") is reported where it is, and nothing else is.
#[test]
fn seed_defects_are_reported_where_they_are() {
    const C: &str = "docker-compose.yml";
    let errors: &[(&str, &str, usize)] = &[
        // 1. `${POSTGRES_PASSWORD}` and `${MINIO_ROOT_*}` are interpolated from .env and
        //    the shell only: empty. And each interpolates a secret into the Compose file.
        ("BI307", C, 84),
        ("BI201", C, 84),
        ("BI307", C, 108),
        ("BI307", C, 109),
        ("BI201", C, 109),
        ("BI307", ".env", 10), // ${POSTGRES_PASSWORD} in DATABASE_URL: only in secrets.env
        // 2. The base64 password goes into DATABASE_URL unencoded.
        ("BI208", ".env", 10),
        // 3. curl in the health checks (node:20-alpine, MinIO), localhost on BusyBox.
        ("BI301", C, 32),
        ("BI302", C, 32),
        ("BI301", C, 62),
        ("BI302", C, 62),
        ("BI301", C, 114),
        // 4. The CDN passes every method to the S3 API.
        ("BI402", "Caddyfile", 66),
        // 6. The init job hides failures: `|| echo` three times, no `set -e`, `exit 0`;
        //    it uses the retired `mc ilm import`; and the API does not wait for it.
        ("BI312", C, 137),
        ("BI312", C, 146),
        ("BI312", C, 149),
        ("BI312", C, 164),
        ("BI312", C, 170),
        ("BI507", C, 164),
        ("BI311", C, 21),
        // 7. Secrets appended with `>>`: every one defined twice, and the placeholder
        //    GEMINI_API_KEY wins.
        ("BI114", "secrets.env", 22),
        ("BI114", "secrets.env", 23),
        ("BI114", "secrets.env", 24),
        ("BI114", "secrets.env", 25),
        ("BI114", "secrets.env", 26),
        ("BI114", "secrets.env", 27),
        ("BI114", "secrets.env", 28),
        ("BI114", "secrets.env", 29),
        ("BI202", "secrets.env", 29),
        // 8. `pg_dump > file` straight to the final name (twice), in a script without
        //    `set -e`.
        ("BI312", "backup.sh", 6),
        ("BI508", "backup.sh", 6),
        ("BI508", "backup.sh", 18),
        // 9. DATABASE_URL in .env names POSTGRES_USER and POSTGRES_DB before they are
        //    defined: empty.
        ("BI307", ".env", 10),
        ("BI307", ".env", 10),
    ];
    let warnings: &[(&str, &str, usize)] = &[
        // 3. `:latest` changes under you (and with it what the image ships).
        ("BI303", C, 96),
        ("BI303", C, 124),
        // 4. No anonymous read policy on the bucket behind the CDN.
        ("BI406", "Caddyfile", 66),
        // 5. init-db.sql hard-codes the user name that .env sets.
        ("BI511", "scripts/init-db.sql", 6),
        // 8. The backup directory is never created.
        ("BI509", "backup.sh", 6),
    ];
    let (_tmp, dir, a) = seed();
    assert_findings(&a, &dir, errors, warnings);
    // Defect 9 is about POSTGRES_USER and POSTGRES_DB; defect 1 about the password.
    let env10: Vec<&str> = a
        .diagnostics
        .iter()
        .filter(|d| d.code.0 == "BI307" && d.span.as_ref().unwrap().file.ends_with(".env"))
        .map(|d| d.message.as_str())
        .collect();
    assert!(
        env10
            .iter()
            .any(|m| m.contains("`POSTGRES_USER` is defined later in this file (line 12)")),
        "{env10:#?}"
    );
    assert!(
        env10
            .iter()
            .any(|m| m.contains("`POSTGRES_DB` is defined later in this file (line 11)")),
        "{env10:#?}"
    );
    assert!(
        env10
            .iter()
            .any(|m| m.contains("`POSTGRES_PASSWORD` is defined only in")),
        "{env10:#?}"
    );
    let hard = a.diagnostics.iter().find(|d| d.code.0 == "BI511").unwrap();
    assert!(
        hard.message.contains("banatie_user") && hard.message.contains(".env` line 12"),
        "{hard:?}"
    );
}

/// Without the base images, the built apps' health checks cannot be checked: a warning
/// says so, instead of a silent pass.
#[test]
fn seed_without_base_images_warns() {
    let (_tmp, dir) = fixture("seed", 0o600);
    let a = run(&dir, &[]);
    let w: Vec<(String, String, usize)> = found(&a, &dir, Severity::Warning)
        .into_iter()
        .filter(|w| w.0 == "BI313")
        .collect();
    assert_eq!(
        w,
        expected(&[
            ("BI313", "docker-compose.yml", 9),
            ("BI313", "docker-compose.yml", 42)
        ])
    );
    assert!(!a
        .diagnostics
        .iter()
        .any(|d| d.code.0 == "BI301" && d.pointer.contains("banatie-api")));
}

/// The secret values of the seed's secrets.env never appear in a message, a help line, the
/// JSON output or the shown source lines.
#[test]
fn no_secret_value_is_printed() {
    let (_tmp, dir, a) = seed();
    let secrets = fs::read_to_string(dir.join("secrets.env")).unwrap();
    let values: Vec<&str> = secrets
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once('=').map(|(_, v)| v))
        .filter(|v| v.len() >= 20)
        .collect();
    assert!(values.len() >= 5, "{values:?}");
    let human = render_human(&a.diagnostics, &a.sources(), false);
    let json = render_json(&a.diagnostics);
    for v in values {
        assert!(!human.contains(v), "a secret value in the human output");
        assert!(!json.contains(v), "a secret value in the JSON output");
    }
    // The URL of case 07 holds its password literally.
    let (_tmp7, dir7) = fixture("cases/07-database-url-not-encoded", 0o600);
    let a7 = run(&dir7, &[]);
    let human = render_human(&a7.diagnostics, &a7.sources(), false);
    assert!(!human.contains("yMnKy8zNzs"), "{human}");
    // In a file named like a secrets file every value is hidden.
    assert!(human.contains("DATABASE_URL=<redacted>"), "{human}");
}

/// The report of the seed, printed like a compiler: positions, the offending line, the
/// pointer and a help line.
#[test]
fn seed_report_is_compiler_style() {
    let (_tmp, dir, a) = seed();
    let human = render_human(&a.diagnostics, &a.sources(), false);
    let compose = dir.join("docker-compose.yml").display().to_string();
    assert!(human.contains(&format!("--> {compose}:114:7")), "{human}");
    assert!(
        human.contains("= note: at /services/banatie-minio/healthcheck/test"),
        "{human}"
    );
    assert!(
        human.contains("in a Compose file, the test `[\"CMD\", \"mc\", \"ready\", \"local\"]`"),
        "{human}"
    );
}

// ---------------------------------------------------------------------------------------
// The closed loop
// ---------------------------------------------------------------------------------------

/// Sets `name` in `dir/secrets.env` (single-quoted), keeping the file's mode.
fn set_secret(dir: &Path, name: &str, value: &str) {
    let path = dir.join("secrets.env");
    let text = fs::read_to_string(&path).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    match lines
        .iter()
        .position(|l| l.starts_with(&format!("{name}=")))
    {
        Some(i) => lines[i] = format!("{name}='{value}'"),
        None => lines.push(format!("{name}='{value}'")),
    }
    fs::write(&path, lines.join("\n") + "\n").unwrap();
}

/// Renders `spec` into a new directory with a completed secrets.env (mode 0600).
fn rendered(spec: &banatie_infra_core::Spec) -> TempDir {
    let tmp = tempfile::Builder::new()
        .prefix("banatie-loop-")
        .tempdir()
        .unwrap();
    let bundle = banatie_infra_core::render::render(spec).expect("the example renders");
    banatie_infra_core::bundle::write(&bundle, tmp.path()).unwrap();
    banatie_infra_core::secrets::ensure(spec, tmp.path()).unwrap();
    for (name, s) in &spec.secrets {
        if s.source == SecretSource::Supplied {
            set_secret(
                tmp.path(),
                name.as_str(),
                "AIzaSyD-supplied_by_the_operator_0123456789",
            );
        }
    }
    let mode = fs::metadata(tmp.path().join("secrets.env"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    tmp
}

/// The base image of every app and worker of `spec` (its Dockerfile is not in the bundle).
fn base_images(spec: &banatie_infra_core::Spec) -> Vec<(String, String)> {
    spec.services
        .iter()
        .filter_map(|(n, s)| match s {
            Service::App(_) | Service::Worker(_) => {
                Some((n.to_string(), s.runtime_image()?.to_string()))
            }
            _ => None,
        })
        .collect()
}

#[test]
fn rendered_bundles_audit_clean() {
    let mut examples: Vec<PathBuf> = fs::read_dir(EXAMPLES)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| load::Format::from_path(p).is_some())
        .collect();
    examples.sort();
    assert!(examples.len() >= 2);
    let mut failures = BTreeMap::new();
    let mut render_defects = std::collections::BTreeSet::new();
    for path in examples {
        let spec = load::load_path(&path).unwrap().spec;
        let tmp = rendered(&spec);
        let bases = base_images(&spec);
        let bases: Vec<(&str, &str)> = bases
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        let a = run(tmp.path(), &bases);
        // Everything the bundle holds was read: compose, .env, secrets.env, init SQL, the
        // job's script through its mount, prepare-host.sh, the Caddyfile.
        let kinds: Vec<String> = a.files.iter().map(|f| format!("{:?}", f.kind)).collect();
        for k in ["Compose", "EnvFile", "Caddyfile", "Shell", "Sql"] {
            assert!(
                kinds.iter().any(|x| x == k),
                "{}: no {k} file read: {kinds:?}",
                path.display()
            );
        }
        let (known, other): (Vec<_>, Vec<_>) = a
            .diagnostics
            .iter()
            .cloned()
            .partition(|d| round2(d.code.0));
        render_defects.extend(known.iter().map(|d| d.code.0));
        if !other.is_empty() {
            failures.insert(
                path.display().to_string(),
                render_human(&other, &a.sources(), false),
            );
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
    let known: std::collections::BTreeSet<&str> = RENDER_KNOWN_DEFECTS.iter().copied().collect();
    assert_eq!(
        render_defects, known,
        "the round-2 findings on rendered bundles changed: update RENDER_KNOWN_DEFECTS (a fixed render defect is removed from it)"
    );
}

/// Round-2 rules the rendered bundles do not satisfy yet: secrets reach containers as
/// environment variables (each service only its own, from `secrets/<service>.env`, an
/// env file Compose reads on the host, so the files need no UID mapping under
/// userns-remap). [`rendered_bundles_audit_clean`] fails when this list is no longer
/// exactly what the audit reports on them.
const RENDER_KNOWN_DEFECTS: &[&str] = &["BI212"];

// ---------------------------------------------------------------------------------------
// Import
// ---------------------------------------------------------------------------------------

/// `docker` with the Compose v2 plugin; panics (never skips) when it is missing.
fn compose_v2() -> PathBuf {
    let out = std::process::Command::new("docker")
        .args(["compose", "version", "--short"])
        .output()
        .unwrap_or_else(|e| panic!("cannot run `docker compose version` ({e}): install it with scripts/install-test-deps.sh"));
    let v = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    assert!(
        out.status.success() && v.trim_start_matches('v').starts_with("2."),
        "`docker compose` (v2) is required: install it with scripts/install-test-deps.sh ({v:?})"
    );
    PathBuf::from("docker")
}

/// `docker compose config --format json` of the project in `dir`, in a clean environment.
fn compose_config(dir: &Path) -> serde_json::Value {
    let mut cmd = std::process::Command::new(compose_v2());
    cmd.env_clear();
    for keep in ["PATH", "HOME", "DOCKER_CONFIG", "DOCKER_HOST"] {
        if let Some(v) = std::env::var_os(keep) {
            cmd.env(keep, v);
        }
    }
    cmd.arg("compose")
        .arg("--project-directory")
        .arg(dir)
        .arg("-f")
        .arg(dir.join("docker-compose.yml"))
        .args(["config", "--format", "json"]);
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?}: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Replaces `from` by `to` in every string of `v`.
fn replace_in(v: &mut serde_json::Value, from: &str, to: &str) {
    match v {
        serde_json::Value::String(s) => *s = s.replace(from, to),
        serde_json::Value::Array(a) => a.iter_mut().for_each(|x| replace_in(x, from, to)),
        serde_json::Value::Object(o) => o.values_mut().for_each(|x| replace_in(x, from, to)),
        _ => {}
    }
}

/// A difference between two JSON documents.
#[derive(Debug, Clone, PartialEq)]
enum Change {
    /// Only in the second.
    Added,
    /// Only in the first.
    Removed,
    /// In both, different (arrays are compared whole).
    Changed,
}

fn json_diff(
    a: &serde_json::Value,
    b: &serde_json::Value,
    at: String,
    out: &mut Vec<(String, Change)>,
) {
    use serde_json::Value;
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for (k, v) in x {
                let p = format!("{at}/{}", k.replace('~', "~0").replace('/', "~1"));
                match y.get(k) {
                    Some(w) => json_diff(v, w, p, out),
                    None => out.push((p, Change::Removed)),
                }
            }
            for k in y.keys().filter(|k| !x.contains_key(*k)) {
                out.push((
                    format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")),
                    Change::Added,
                ));
            }
        }
        _ if a != b => out.push((at, Change::Changed)),
        _ => {}
    }
}

/// Whether JSON pointer `p` matches `pattern`: `*` is one token, a trailing `/**` any
/// rest (or none).
fn matches_pattern(pattern: &str, p: &str) -> bool {
    let pat: Vec<&str> = pattern.split('/').collect();
    let toks: Vec<&str> = p.split('/').collect();
    if pat.last() == Some(&"**") {
        let head = &pat[..pat.len() - 1];
        return toks.len() >= head.len()
            && head.iter().zip(&toks).all(|(a, b)| *a == "*" || a == b);
    }
    pat.len() == toks.len() && pat.iter().zip(&toks).all(|(a, b)| *a == "*" || a == b)
}

/// Importing the seed and rendering the spec gives a Compose configuration equal to the
/// seed's own, but for the defects the generator fixes: every remaining difference is in
/// the allow-list below, with its reason, and every entry of the list is needed.
#[test]
fn import_of_the_seed_renders_the_seed_without_its_defects() {
    let tmp = tempfile::Builder::new()
        .prefix("banatie-import-")
        .tempdir()
        .unwrap();
    // The Compose project name is the directory's: name both copies `banatie`.
    let seed_dir = tmp.path().join("seed/banatie");
    copy_dir(&Path::new(FIXTURES).join("seed"), &seed_dir);
    fs::set_permissions(
        seed_dir.join("secrets.env"),
        fs::Permissions::from_mode(0o600),
    )
    .unwrap();
    let input = AuditInput {
        dir: Some(seed_dir.clone()),
        base_images: SEED_BASES
            .iter()
            .map(|(s, i)| ((*s).to_owned(), i.parse().unwrap()))
            .collect(),
        ..Default::default()
    };
    let imported = banatie_infra_core::import::import(&input).unwrap();
    assert!(
        !banatie_infra_core::diagnostic::has_errors(&imported.diagnostics),
        "{}",
        render_json(&imported.diagnostics)
    );
    // What the import changed or could not map is said.
    let notes: Vec<String> = imported.notes.iter().map(ToString::to_string).collect();
    for expect in [
        "(BI311)",
        "(BI402)",
        "`curl` calls a program `node:20-alpine` does not ship: replaced",
        "public_read_prefix",
        "`DATABASE_URL` is derived",
    ] {
        assert!(
            notes.iter().any(|n| n.contains(expect)),
            "no note with {expect}: {notes:#?}"
        );
    }
    // The YAML reads back to the same spec.
    let yaml = banatie_infra_core::import::to_yaml(&imported.spec);
    assert!(yaml.starts_with("# yaml-language-server: $schema="));
    let back = load::load_str(&yaml, load::Format::Yaml, "imported.yaml").unwrap();
    assert_eq!(back.spec, imported.spec, "{yaml}");

    // The generated bundle, with secrets.
    let gen_dir = tmp.path().join("generated/banatie");
    fs::create_dir_all(&gen_dir).unwrap();
    let bundle = banatie_infra_core::render::render(&imported.spec).unwrap();
    banatie_infra_core::bundle::write(&bundle, &gen_dir).unwrap();
    banatie_infra_core::secrets::ensure(&imported.spec, &gen_dir).unwrap();
    set_secret(
        &gen_dir,
        "GEMINI_API_KEY",
        "AIzaSyD-supplied_by_the_operator_0123456789",
    );
    // As the operator does after setting a supplied secret: copy it to the services.
    banatie_infra_core::secrets::ensure(&imported.spec, &gen_dir).unwrap();

    // The seed names its files under /opt/banatie: point them at the copy.
    let compose = seed_dir.join("docker-compose.yml");
    let text = fs::read_to_string(&compose).unwrap();
    fs::write(
        &compose,
        text.replace("/opt/banatie", &seed_dir.display().to_string()),
    )
    .unwrap();
    let mut seed_cfg = compose_config(&seed_dir);
    let mut gen_cfg = compose_config(&gen_dir);
    replace_in(&mut seed_cfg, &seed_dir.display().to_string(), "<root>");
    replace_in(&mut gen_cfg, &gen_dir.display().to_string(), "<root>");
    let mut diffs = Vec::new();
    json_diff(&seed_cfg, &gen_cfg, String::new(), &mut diffs);

    const SECRETS: &[&str] = &[
        "POSTGRES_PASSWORD",
        "MINIO_ROOT_PASSWORD",
        "MINIO_SECRET_KEY",
        "JWT_SECRET",
        "SESSION_SECRET",
    ];
    let mut allow: Vec<(String, Change, &str)> = vec![
        ("/services/*/labels".into(), Change::Added, "the generator labels every container with its stack, service and kind (status, drift and down find them by it)"),
        ("/networks/banatie-internal/labels".into(), Change::Added, "the generator labels the networks it creates"),
        ("/networks/banatie-internal/name".into(), Change::Changed, "generated networks are named explicitly, without the project prefix"),
        ("/services/banatie-api/healthcheck/test".into(), Change::Changed, "defect 3: curl (absent from node:20-alpine) on localhost becomes `node -e fetch(...)` on 127.0.0.1"),
        ("/services/banatie-landing/healthcheck/test".into(), Change::Changed, "defect 3: curl (absent from node:20-alpine) on localhost becomes `node -e fetch(...)` on 127.0.0.1"),
        ("/services/banatie-minio/healthcheck/test".into(), Change::Changed, "defect 3: curl (absent from MinIO images) becomes MinIO's own probe, `mc ready local`"),
        ("/services/banatie-postgres/healthcheck/test".into(), Change::Changed, "pg_isready probes the TCP server on 127.0.0.1 (not the init socket) and reads the names at run time (`$${POSTGRES_USER}`)"),
        ("/services/banatie-api/environment/HOSTNAME".into(), Change::Added, "defect 3: Next.js standalone binds to $HOSTNAME; 0.0.0.0 makes the 127.0.0.1 probe reachable"),
        ("/services/banatie-landing/environment/HOSTNAME".into(), Change::Added, "defect 3: Next.js standalone binds to $HOSTNAME; 0.0.0.0 makes the 127.0.0.1 probe reachable"),
        ("/services/banatie-api/depends_on/banatie-storage-init".into(), Change::Added, "the API waits for the init job to complete successfully (BI311, defect 6)"),
        ("/services/banatie-minio/environment/MINIO_SERVER_URL".into(), Change::Removed, "BI415: the CDN site now passes read methods only (BI402), and the console signs in through MINIO_SERVER_URL with a POST; behind a proxy it stays unset, as MinIO's maintainers advise"),
        ("/services/banatie-minio/command".into(), Change::Changed, "the S3 API port is written explicitly (`--address :9000`)"),
        ("/services/banatie-storage-init/entrypoint".into(), Change::Changed, "defect 6: the init script is a generated file run with `sh -eu`: idempotent, current mc syntax, failures fail the job"),
        ("/services/banatie-storage-init/volumes".into(), Change::Added, "defect 6: the generated init script and lifecycle JSON are mounted read-only"),
        ("/services/*/environment/DATABASE_URL".into(), Change::Changed, "defects 1, 2, 9: the URL is derived with the real user, database and percent-encoded password (the seed's is `postgresql://banatie_user:@...`)"),
        ("/services/*/environment/GEMINI_API_KEY".into(), Change::Changed, "defect 7: the placeholder `your_actual_key_here` is replaced by the operator's key"),
        ("/services/banatie-minio/environment/MINIO_ROOT_USER".into(), Change::Changed, "defect 1: interpolated from secrets.env, it was empty; now read from secrets.env by the container"),
        ("/services/*/logging".into(), Change::Added, "production default: json-file logs rotate at 10MiB, 3 files (BI323)"),
        ("/services/*/mem_limit".into(), Change::Added, "production default: a memory limit per kind, 1GiB for PostgreSQL and MinIO, 512MiB otherwise (BI324)"),
        ("/services/*/security_opt".into(), Change::Added, "production default: no-new-privileges on every service (BI331)"),
        ("/services/banatie-api/init".into(), Change::Added, "production default: Docker's init as the app's PID 1 forwards SIGTERM and reaps zombies (BI325)"),
        ("/services/banatie-landing/init".into(), Change::Added, "production default: Docker's init as the app's PID 1 forwards SIGTERM and reaps zombies (BI325)"),
        ("/services/banatie-postgres/shm_size".into(), Change::Added, "production default: 256MiB of /dev/shm for PostgreSQL instead of Docker's 64MB (BI524)"),
    ];
    for s in SECRETS {
        allow.push((
            format!("/services/*/environment/{s}"),
            Change::Changed,
            "secrets are generated anew by `banatie-infra secrets` (defect 1: PostgreSQL's and MinIO's were empty)",
        ));
    }
    // Least privilege: PostgreSQL and MinIO no longer see the application's secrets (the
    // seed's did not either, through interpolation), and no service gains one it did not
    // read: nothing is added under `environment` but what is listed above.
    let mut used = vec![false; allow.len()];
    let mut unexplained = Vec::new();
    for (p, change) in &diffs {
        match allow
            .iter()
            .position(|(pat, c, _)| c == change && matches_pattern(pat, p))
        {
            Some(i) => used[i] = true,
            None => unexplained.push(format!(
                "{change:?} {p}: seed {:?}, generated {:?}",
                seed_cfg.pointer(p),
                gen_cfg.pointer(p)
            )),
        }
    }
    assert!(
        unexplained.is_empty(),
        "differences without a reason:\n{}",
        unexplained.join("\n")
    );
    let unused: Vec<&str> = allow
        .iter()
        .zip(&used)
        .filter(|(_, u)| !**u)
        .map(|((p, _, _), _)| p.as_str())
        .collect();
    assert!(
        unused.is_empty(),
        "allow-list entries that explain nothing: {unused:#?}"
    );
}

// ---------------------------------------------------------------------------------------
// Smaller behaviours
// ---------------------------------------------------------------------------------------

/// Writes `files` (path, text) into a new directory, modes 0644 (secrets.env 0600).
fn project(files: &[(&str, &str)]) -> TempDir {
    let tmp = tempfile::Builder::new()
        .prefix("banatie-audit-small-")
        .tempdir()
        .unwrap();
    for (p, text) in files {
        let path = tmp.path().join(p);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, text).unwrap();
        let mode = if p.ends_with("secrets.env") {
            0o600
        } else {
            0o644
        };
        fs::set_permissions(&path, fs::Permissions::from_mode(mode)).unwrap();
    }
    tmp
}

#[test]
fn override_file_is_merged() {
    let tmp = project(&[
        ("compose.yaml", "services:\n  db:\n    image: postgres:16\n"),
        (
            "compose.override.yaml",
            "services:\n  db:\n    ports: [\"5432:5432\"]\n",
        ),
    ]);
    let a = run(tmp.path(), &[]);
    assert_findings(
        &a,
        tmp.path(),
        &[("BI203", "compose.override.yaml", 3)],
        &[],
    );
}

/// BI315 reads a value in the file it is written in: an override's value replaces the
/// base file's under the base file's key, and the base file's line is not read for it
/// (nor its secret shown).
#[test]
fn retyped_values_are_read_where_they_are_written() {
    let tmp = project(&[
        (
            "compose.yaml",
            "services:\n  app:\n    image: example/app:1.0\n    environment:\n      API_SECRET: 0755_1234\n      GREETING: \"x\"\n      BATCH: x\n",
        ),
        (
            "compose.override.yaml",
            "services:\n  app:\n    environment:\n      GREETING: hello\n      BATCH: 1_000\n",
        ),
    ]);
    let a = run(tmp.path(), &[]);
    let retyped: Vec<_> = found(&a, tmp.path(), Severity::Error)
        .into_iter()
        .filter(|(c, _, _)| c == "BI315")
        .collect();
    assert_eq!(
        retyped,
        expected(&[
            ("BI315", "compose.override.yaml", 5),
            ("BI315", "compose.yaml", 5),
        ])
    );
    for d in &a.diagnostics {
        let text = format!("{} {}", d.message, d.help.as_deref().unwrap_or_default());
        assert!(!text.contains("0755_1234"), "a secret in: {text}");
    }
}

/// A Compose file that starts with a UTF-8 byte order mark is read (Compose reads it),
/// not taken for a file without services.
#[test]
fn a_byte_order_mark_is_skipped() {
    let tmp = project(&[(
        "docker-compose.yml",
        "\u{feff}services:\n  app:\n    image: example/app:1.0\n    environment:\n      BATCH: 1_000\n",
    )]);
    let a = run(tmp.path(), &[]);
    assert_findings(&a, tmp.path(), &[("BI315", "docker-compose.yml", 5)], &[]);
}

#[test]
fn defaults_comments_and_shell_env() {
    let compose = "services:\n  web:\n    image: example/web:1.0\n    environment:\n      A: ${UNSET:-fallback}\n      B: ${FROM_SHELL}\n      C: $${LITERAL}\n";
    let tmp = project(&[
        ("docker-compose.yml", compose),
        (".env", "PORT=3000 # the port\nHASH='$2b$12$x#y'\n"),
    ]);
    let a = run(tmp.path(), &[]);
    assert_findings(&a, tmp.path(), &[("BI307", "docker-compose.yml", 6)], &[]);
    let input = AuditInput {
        dir: Some(tmp.path().to_path_buf()),
        shell_env: [("FROM_SHELL".to_owned(), "x".to_owned())]
            .into_iter()
            .collect(),
        ..Default::default()
    };
    let a = audit(&input).unwrap();
    assert_findings(&a, tmp.path(), &[], &[]);
}

#[test]
fn a_url_password_is_redacted_even_in_a_public_file() {
    let tmp = project(&[(
        ".env",
        "APP_NAME=demo\nREDIS_URL=redis://app:s3cr3t/pa+ss@cache:6379/0\n",
    )]);
    let a = run(tmp.path(), &[]);
    let errors = found(&a, tmp.path(), Severity::Error);
    assert_eq!(
        errors,
        expected(&[("BI207", ".env", 2), ("BI208", ".env", 2)]),
        "{:#?}",
        a.diagnostics
    );
    let human = render_human(&a.diagnostics, &a.sources(), false);
    assert!(!human.contains("s3cr3t"), "{human}");
    assert!(
        human.contains("REDIS_URL=redis://app:<redacted>@cache:6379/0"),
        "{human}"
    );
}

#[test]
fn a_required_env_file_that_is_missing_is_located() {
    let tmp = project(&[(
        "docker-compose.yml",
        "services:\n  web:\n    image: example/web:1.0\n    env_file:\n      - ./app.env\n      - path: ./optional.env\n        required: false\n",
    )]);
    let a = run(tmp.path(), &[]);
    assert_findings(&a, tmp.path(), &[("BI314", "docker-compose.yml", 5)], &[]);
}

#[test]
fn an_unparsable_caddyfile_and_compose_file_are_findings() {
    let tmp = project(&[
        ("docker-compose.yml", "services:\n  web: [unclosed\n"),
        ("Caddyfile", "a.example {\n\treverse_proxy x:80\n"),
    ]);
    let a = run(tmp.path(), &[]);
    let codes: Vec<&str> = a.diagnostics.iter().map(|d| d.code.0).collect();
    assert_eq!(codes, ["BI100", "BI314"], "{:#?}", a.diagnostics);
}

/// The spec rules that also apply to hand-written files: references, cycles, health
/// timing, and the structure of the Caddy sites.
#[test]
fn spec_rules_on_hand_written_files() {
    let compose = "\
services:
  a:
    image: example/a:1.0
    networks: [front, nowhere]
    depends_on: [b]
    healthcheck:
      test: [\"CMD\", \"true\"]
      interval: 5s
      timeout: 20s
      retries: 0
  b:
    image: example/b:1.0
    depends_on: [a, ghost]
  storage:
    image: quay.io/minio/minio:RELEASE.2025-04-22T22-12-26Z
    command: server /data --console-address :9001
    volumes: [\"./data:/data\"]
networks:
  front: {}
";
    let caddy = "\
a.example.org {
\treverse_proxy a:80
\tlog {
\t\toutput file /var/log/a.log {
\t\t\troll_keep 0
\t\t}
\t}
}
b.example.org, a.example.org {
\treverse_proxy storage:9001
\tlog {
\t\toutput file /var/log/a.log
\t}
}
cdn.example.org {
\t@w not method GET HEAD
\trespond @w 405
\treverse_proxy storage:9000
\theader Access-Control-Allow-Origin https://x.example.org/
\theader Access-Control-Allow-Methods \"GET, PUT\"
}
";
    let init = "#!/bin/sh\nset -eu\nmc anonymous set download local/media\n";
    let tmp = project(&[
        ("docker-compose.yml", compose),
        ("Caddyfile", caddy),
        ("init.sh", init),
    ]);
    let a = run(tmp.path(), &[]);
    assert_findings(
        &a,
        tmp.path(),
        &[
            ("BI110", "docker-compose.yml", 4),  // network `nowhere`
            ("BI112", "docker-compose.yml", 5),  // a -> b -> a
            ("BI306", "docker-compose.yml", 9),  // timeout over interval
            ("BI306", "docker-compose.yml", 10), // retries: 0
            ("BI110", "docker-compose.yml", 13), // `ghost`
            ("BI403", "Caddyfile", 1),           // roll_keep 0
            ("BI401", "Caddyfile", 9),           // a.example.org twice
            ("BI403", "Caddyfile", 9),           // a.log twice
            ("BI405", "Caddyfile", 15),          // origin with a path
            ("BI405", "Caddyfile", 15),          // PUT on a read-only site
        ],
        &[
            ("BI404", "Caddyfile", 9), // the MinIO console without headers
            ("BI505", "init.sh", 3),   // the whole bucket public (so no BI406 on the CDN)
        ],
    );
}

/// A top-level `import` line of a Caddyfile is an import (Caddy replaces it before
/// parsing), not a site address: the sites after it are still audited, whatever the
/// import names (a glob that matches nothing, another file, the file itself).
#[test]
fn a_top_level_import_does_not_hide_the_sites_after_it() {
    let compose = "services:\n  minio:\n    image: quay.io/minio/minio:RELEASE.2024-01-01T00-00-00Z\n    command: server /data\n    networks: [proxy]\nnetworks:\n  proxy:\n    external: true\n";
    for import in [
        "import /nonexistent/*.caddy",
        "import common.caddy",
        "\"import\" common.caddy",
    ] {
        let tmp = tempfile::tempdir().unwrap();
        fs::write(tmp.path().join("compose.yaml"), compose).unwrap();
        fs::write(tmp.path().join("common.caddy"), "# shared\n").unwrap();
        fs::write(
            tmp.path().join("Caddyfile"),
            format!("{import}\ncdn.example.com {{\n  reverse_proxy minio:9000\n}}\n"),
        )
        .unwrap();
        let a = run(tmp.path(), &[]);
        let codes: Vec<_> = a
            .diagnostics
            .iter()
            .map(|d| {
                (
                    d.code.0,
                    d.span.as_ref().and_then(|s| s.location).map(|l| l.line),
                )
            })
            .collect();
        assert!(
            codes.contains(&("BI402", Some(2))),
            "{import}: the CDN site passing every method is not found: {codes:?}"
        );
    }
}

/// BI511's error for a database: init SQL that names a database neither `POSTGRES_DB`
/// nor the script creates stops at it ("database ... does not exist"); the one
/// `POSTGRES_DB` creates, `postgres`, and one the script creates are fine.
#[test]
fn init_sql_naming_a_database_that_does_not_exist() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    fs::create_dir_all(dir.join("db")).unwrap();
    fs::write(
        dir.join("compose.yaml"),
        "services:\n  db:\n    image: postgres:16.4\n    environment: { POSTGRES_USER: postgres, POSTGRES_DB: app }\n    volumes: [./db:/docker-entrypoint-initdb.d:ro]\n",
    )
    .unwrap();
    let sql = "CREATE ROLE app_user LOGIN;\nGRANT ALL PRIVILEGES ON DATABASE shop TO app_user;\nCREATE DATABASE reports;\nGRANT CONNECT ON DATABASE reports TO app_user;\nGRANT CONNECT ON DATABASE postgres TO app_user;\n";
    fs::write(dir.join("db/01.sql"), sql).unwrap();
    let a = run(dir, &[]);
    let errors: Vec<&banatie_infra_core::Diagnostic> = a
        .diagnostics
        .iter()
        .filter(|d| d.code.0 == "BI511" && d.severity == Severity::Error)
        .collect();
    assert_eq!(errors.len(), 1, "{:#?}", a.diagnostics);
    assert!(
        errors[0].message.contains("database `shop`") && errors[0].message.contains("`app`"),
        "{:#?}",
        errors[0]
    );
    assert_eq!(
        errors[0]
            .span
            .as_ref()
            .and_then(|s| s.location.as_ref().map(|l| l.line)),
        Some(2)
    );
    // Named as POSTGRES_DB sets it: no error.
    fs::write(dir.join("db/01.sql"), sql.replace("shop", "app")).unwrap();
    let a = run(dir, &[]);
    assert!(
        !a.diagnostics
            .iter()
            .any(|d| d.code.0 == "BI511" && d.severity == Severity::Error),
        "{:#?}",
        a.diagnostics
    );
}
