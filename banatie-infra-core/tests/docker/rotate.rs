//! `secrets rotate` on the real engine (issue 15, item 6): the PostgreSQL password set
//! with `ALTER ROLE` in the running server (the server itself not recreated), the URL
//! derived from it recomputed, every service that receives it rolled start-first and no
//! other; the new password accepted and the old one refused by the server; a rotation
//! that would recreate a service refused, one whose deploy fails put back, one on a
//! stack with changes to deploy refused, all three leaving `secrets.env` byte for byte.

use std::time::Duration;

use banatie_infra_core::docker::rotate::{self, RotateError, RotateOptions, RotateStep, Rotation};
use banatie_infra_core::docker::{self, UpOptions};
use banatie_infra_core::secrets;

use crate::common::{engine, fixture_head, run, Stack};

fn rotate_yaml(fixture: &str) -> String {
    let (head, p) = fixture_head(fixture);
    let http = |name: &str, secrets: &str| {
        format!(
            r#"  "{p}-{name}":
    kind: app
    image: banatie-test/http:1
    base_image: busybox:1.36
    uid: 1001
    port: 3000
    health_path: /health
    environment: {{ PORT: "3000" }}
    networks: ["{p}-internal", "{p}-proxy"]
    depends_on: {{ "{p}-db": healthy }}
    health: {{ interval: 2s, timeout: 2s, start_period: 30s }}
    stop_grace_period: 1s
    secrets: [{secrets}]
"#
        )
    };
    format!(
        r#"{head}
services:
{api}{web}
  "{p}-keeper":
    kind: worker
    image: banatie-test/job:1
    command: [sleep, "3600"]
    volumes: [{{ source: data/keeper, target: /data }}]
    networks: ["{p}-internal"]
    stop_grace_period: 1s
    health: {{ none: "a sleeper with a writable mount" }}
    secrets: [KEEPER_KEY]

  "{p}-checker":
    kind: worker
    image: banatie-test/job:1
    command: [sleep, "3600"]
    networks: ["{p}-internal"]
    stop_grace_period: 1s
    health:
      exec: [sh, -c, 'test "${{CHECK_TOKEN#bad}}" = "$CHECK_TOKEN"']
      interval: 1s
      timeout: 1s
      retries: 2
      start_period: 2s
    secrets: [CHECK_TOKEN]

  "{p}-db":
    kind: postgres
    image: banatie-test/postgres:15
    version: 15
    uid: 999
    database: app_db
    user: app_user
    networks: ["{p}-internal"]
    health: {{ interval: 2s, timeout: 2s, start_period: 30s }}

sites:
  - domains: ["{p}-api.example.org"]
    service: "{p}-api"
  - domains: ["{p}-web.example.org"]
    service: "{p}-web"

secrets:
  POSTGRES_PASSWORD: {{ length: 32 }}
  API_TOKEN: {{ length: 40 }}
  KEEPER_KEY: {{ length: 32 }}
  CHECK_TOKEN: {{ length: 32 }}
"#,
        api = http("api", "DATABASE_URL, API_TOKEN"),
        web = http("web", "DATABASE_URL"),
    )
}

fn opts(value: Option<&str>) -> RotateOptions {
    RotateOptions {
        value: value.map(ToOwned::to_owned),
        allow_recreate: false,
        up: UpOptions {
            timeout: Duration::from_secs(90),
            pull: docker::PullPolicy::Never,
            drain: Duration::from_millis(300),
            ..UpOptions::default()
        },
    }
}

/// `psql` from a fresh container on the stack's internal network, as the app connects.
fn connects(s: &Stack, password: &str) -> bool {
    let url = format!(
        "postgresql://app_user:{password}@{}:5432/app_db",
        s.svc("db")
    );
    let o = run(
        "docker",
        &[
            "run",
            "--rm",
            "--network",
            &s.internal(),
            "banatie-test/postgres:15",
            "psql",
            &url,
            "-Atc",
            "SELECT 1",
        ],
    );
    o.status.success()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotating_the_database_password_rolls_its_users_and_failures_put_it_back() {
    let mut s = Stack::with("rotate", rotate_yaml);
    let engine = engine().await;
    s.up(&engine).await;
    let id = |short: &str| s.identity(short).0;
    let (api, web, db, keeper, checker) =
        (id("api"), id("web"), id("db"), id("keeper"), id("checker"));
    let old = secrets::read_value(s.root(), "POSTGRES_PASSWORD")
        .unwrap()
        .unwrap();
    assert!(connects(&s, &old), "the old password works before");

    let r = rotate::rotate(
        &engine,
        &s.spec,
        s.root(),
        "POSTGRES_PASSWORD",
        &opts(None),
        &|_| {},
    )
    .await
    .unwrap_or_else(|e| panic!("rotate: {e}"));
    let new = secrets::read_value(s.root(), "POSTGRES_PASSWORD")
        .unwrap()
        .unwrap();
    assert_ne!(new, old);
    assert_eq!(new.len(), 32);
    assert!(
        matches!(r.rotation, Rotation::DatabasePassword { .. }),
        "{r:?}"
    );
    assert_eq!(r.derived, ["DATABASE_URL"]);
    assert_eq!(r.redeployed, [s.svc("api"), s.svc("web")]);
    assert!(connects(&s, &new), "the new password works");
    assert!(!connects(&s, &old), "the old password is refused");
    assert_eq!(id("db"), db, "the database was not recreated");
    assert_ne!(id("api"), api, "api rolled onto the new value");
    assert_ne!(id("web"), web, "web rolled onto the new value");
    assert_eq!(
        (id("keeper"), id("checker")),
        (keeper.clone(), checker.clone()),
        "the others were kept"
    );
    let api_env =
        std::fs::read_to_string(s.root().join(format!("secrets/{}.env", s.svc("api")))).unwrap();
    assert!(
        api_env.contains(&format!(":{new}@")),
        "the URL follows the password"
    );
    assert!(
        !s.root().join(rotate::PREVIOUS_FILE).exists(),
        "the old values are gone once confirmed"
    );
    let logs = run("docker", &["logs", &s.svc("db")]);
    let logs = format!(
        "{}{}",
        String::from_utf8_lossy(&logs.stdout),
        String::from_utf8_lossy(&logs.stderr)
    );
    assert!(
        !logs.contains(&new),
        "the password reached the server's log"
    );
    let again = docker::plan(&engine, &s.spec, s.root()).await.unwrap();
    assert!(again.is_noop(), "{again:?}");

    let root = s.root().to_owned();
    let file = || std::fs::read(root.join("secrets.env")).unwrap();
    let before = file();
    // A secret of a service with a writable mount: it cannot roll, so nothing changes.
    let e = rotate::rotate(
        &engine,
        &s.spec,
        s.root(),
        "KEEPER_KEY",
        &opts(None),
        &|_| {},
    )
    .await
    .expect_err("refused");
    assert!(
        matches!(&e, RotateError::WouldRecreate { services, .. } if services[0].contains("-keeper")),
        "{e}"
    );
    assert_eq!(file(), before, "secrets.env is as before");
    assert_eq!(id("keeper"), keeper);

    // A value the new container fails its health check with: the deploy fails, the old
    // value is put back, the old container never stopped.
    let e = rotate::rotate(
        &engine,
        &s.spec,
        s.root(),
        "CHECK_TOKEN",
        &opts(Some("bad-value-the-check-refuses-0123456789")),
        &|_| {},
    )
    .await
    .expect_err("the deploy fails");
    match &e {
        RotateError::Failed { step, restored, .. } => {
            assert_eq!(*step, RotateStep::Deploy, "{e}");
            assert!(restored.is_none(), "{e}");
        }
        other => panic!("expected a failed deploy, got {other}"),
    }
    assert!(
        !e.to_string()
            .contains("bad-value-the-check-refuses-0123456789"),
        "the value leaked: {e}"
    );
    assert_eq!(file(), before, "secrets.env is as before");
    assert_eq!(id("checker"), checker, "the old checker still runs");
    assert!(!s.root().join(rotate::PREVIOUS_FILE).exists());

    // A rotation cut short after ALTER ROLE and the new files (a crash, a lost session):
    // the next rotation first puts it back (files, password, containers), then rotates.
    let before_text = std::fs::read_to_string(root.join("secrets.env")).unwrap();
    let p1 = secrets::read_value(s.root(), "POSTGRES_PASSWORD")
        .unwrap()
        .unwrap();
    std::fs::write(
        root.join(rotate::PREVIOUS_FILE),
        format!("# banatie-infra secrets rotate POSTGRES_PASSWORD: cut short\n{before_text}"),
    )
    .unwrap();
    let cut = "cut-short-password-0123456789ab";
    crate::common::docker_ok(&[
        "exec",
        &s.svc("db"),
        "psql",
        "-U",
        "app_user",
        "-d",
        "app_db",
        "-qc",
        &format!("ALTER ROLE app_user PASSWORD '{cut}'"),
    ]);
    std::fs::write(root.join("secrets.env"), before_text.replace(&p1, cut)).unwrap();
    secrets::ensure(&s.spec, s.root()).unwrap();
    assert!(connects(&s, cut) && !connects(&s, &p1));
    let r = rotate::rotate(
        &engine,
        &s.spec,
        s.root(),
        "API_TOKEN",
        &opts(None),
        &|_| {},
    )
    .await
    .unwrap_or_else(|e| panic!("rotate after a cut-short one: {e}"));
    assert_eq!(r.reverted.as_deref(), Some("POSTGRES_PASSWORD"));
    assert_eq!(
        secrets::read_value(s.root(), "POSTGRES_PASSWORD")
            .unwrap()
            .unwrap(),
        p1
    );
    assert!(
        connects(&s, &p1),
        "the password from before the cut-short rotation is back"
    );
    assert_eq!(r.redeployed, [s.svc("api")], "API_TOKEN: only api");
    assert!(!root.join(rotate::PREVIOUS_FILE).exists());
    let all = docker::releases::releases(s.root()).unwrap();
    assert_eq!(
        all.last().map(|r| r.verb.as_str()),
        Some("rotate"),
        "a rotation records itself as such"
    );
    let before = file();

    // Refusals: a derived value, an unknown name, a stack with changes to deploy.
    let e = rotate::rotate(
        &engine,
        &s.spec,
        s.root(),
        "DATABASE_URL",
        &opts(None),
        &|_| {},
    )
    .await
    .expect_err("derived");
    assert!(e.to_string().contains("rotate `POSTGRES_PASSWORD`"), "{e}");
    let e = rotate::rotate(&engine, &s.spec, s.root(), "API_TOKN", &opts(None), &|_| {})
        .await
        .expect_err("unknown");
    assert!(e.to_string().contains("API_TOKEN"), "{e}");
    s.edit(|y| {
        y.replacen(
            "environment: { PORT: \"3000\" }",
            "environment: { PORT: \"3000\", RELEASE: \"2\" }",
            1,
        )
    });
    let e = rotate::rotate(
        &engine,
        &s.spec,
        s.root(),
        "API_TOKEN",
        &opts(None),
        &|_| {},
    )
    .await
    .expect_err("pending");
    assert!(matches!(e, RotateError::Pending { .. }), "{e}");
    assert_eq!(file(), before);
    docker::down(&engine, &s.spec, true, 2).await.expect("down");
}
