//! Migrations on the real engine (issue 15, item 3): a `migrate` job runs in its app's
//! image, built once from the source checkout, with the app's `DATABASE_URL`, after the
//! database is healthy and before the app starts; `deploy` of a new release runs the new
//! migration before the new app container takes over; a failing migration stops the
//! deploy with its output and exit code, the old app container untouched and serving.

use std::path::Path;
use std::time::Duration;

use banatie_infra_core::docker::{self, Action, Plan, UpError, UpOptions};

use crate::common::{docker_ok, engine, Stack};

/// The source checkout: an image with `psql` (the PostgreSQL test image) whose
/// `/migrate.sh` is `script`.
fn write_source(dir: &Path, script: &str) {
    std::fs::write(
        dir.join("Dockerfile"),
        "FROM banatie-test/postgres:15\nCOPY migrate.sh /migrate.sh\n",
    )
    .unwrap();
    std::fs::write(dir.join("migrate.sh"), script).unwrap();
}

/// A migration that creates table `release_<n>`.
fn creates(n: u32) -> String {
    format!("set -eu\necho \"migrating to release {n}\"\npsql \"$DATABASE_URL\" -v ON_ERROR_STOP=1 -qc 'CREATE TABLE IF NOT EXISTS release_{n} (id int)'\n")
}

/// The fixture's head with the database, a worker built from `source` and its migration.
fn migrate_yaml(fixture: &str, source: &Path) -> String {
    let (head, p) = crate::common::fixture_head(fixture);
    let head = head.replacen(
        "stack:\n",
        &format!("stack:\n  source: \"{}\"\n", source.display()),
        1,
    );
    format!(
        r#"{head}
services:
  "{p}-app":
    kind: worker
    build: {{ dockerfile: Dockerfile }}
    command: [sleep, infinity]
    networks: ["{p}-internal"]
    depends_on: {{ "{p}-db": healthy, "{p}-migrate": completed }}
    stop_grace_period: 1s
    health: {{ none: "a sleeper stands in for the app" }}
    secrets: [DATABASE_URL]

  "{p}-migrate":
    kind: job
    task: {{ migrate: {{ app: "{p}-app", argv: [sh, /migrate.sh] }} }}
    networks: ["{p}-internal"]
    depends_on: {{ "{p}-db": healthy }}

  "{p}-db":
    kind: postgres
    image: banatie-test/postgres:15
    version: 15
    uid: 999
    database: app_db
    user: app_user
    networks: ["{p}-internal"]
    health: {{ interval: 2s, timeout: 2s, start_period: 30s }}

secrets:
  POSTGRES_PASSWORD: {{ length: 32 }}
"#
    )
}

fn opts(deploy: bool) -> UpOptions {
    UpOptions {
        timeout: Duration::from_secs(120),
        build: true,
        pull: docker::PullPolicy::Never,
        start_first: deploy,
        drain: Duration::from_millis(200),
        ..UpOptions::default()
    }
}

/// The container steps of `service` (no build or pull).
fn actions_of<'a>(plan: &'a Plan, service: &str) -> Vec<&'a Action> {
    plan.actions
        .iter()
        .filter(|a| !matches!(a, Action::Build { .. } | Action::Pull { .. }))
        .filter(|a| serde_json::to_value(a).unwrap()["service"] == service)
        .collect()
}

#[tokio::test]
async fn a_migration_runs_before_its_app_and_a_failing_one_stops_the_deploy() {
    let engine = engine().await;
    let source = tempfile::tempdir().unwrap();
    write_source(source.path(), &creates(1));
    let s = Stack::with("migrate", |y| migrate_yaml(y, source.path()));
    let (app, mig) = (s.svc("app"), s.svc("migrate"));

    // The migration receives the app's secrets, nothing else.
    let env = std::fs::read_to_string(s.root().join(format!("secrets/{mig}.env"))).unwrap();
    let names: Vec<&str> = env
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, _)| k)
        .collect();
    assert_eq!(names, ["DATABASE_URL"], "the migration's env file");

    // First `up`: one build (the app's tag, which the migration runs too), then the
    // migration against the healthy database, then the app.
    let plan = docker::up(&engine, &s.spec, s.root(), &opts(false), &|_| {})
        .await
        .unwrap_or_else(|e| panic!("up: {e}"));
    let builds = plan
        .actions
        .iter()
        .filter(|a| matches!(a, Action::Build { .. }))
        .count();
    assert_eq!(builds, 1, "{plan:?}");
    assert!(
        !plan
            .actions
            .iter()
            .any(|a| matches!(a, Action::Pull { .. })),
        "{plan:?}"
    );
    assert_eq!(
        s.psql("SELECT count(*) FROM pg_tables WHERE tablename = 'release_1'"),
        "1"
    );
    let finished = nanos_text(&s.inspect("migrate", "{{.State.FinishedAt}}"));
    let started = nanos_text(&s.inspect("app", "{{.State.StartedAt}}"));
    assert!(
        finished <= started,
        "the migration ended {finished}, the app started {started}"
    );
    assert_eq!(
        docker_ok(&["inspect", "-f", "{{.Image}}", &mig]),
        docker_ok(&["inspect", "-f", "{{.Image}}", &app]),
        "the migration runs the app's image"
    );

    // `drift` knows the migration runs with its app's environment.
    let found = docker::drift(&engine, &s.spec).await.unwrap();
    assert!(
        found.iter().all(|d| !d.pointer.contains("-migrate")),
        "{found:#?}"
    );

    // Release 2: `deploy` runs the new migration, then rolls the app onto the new image.
    write_source(source.path(), &creates(2));
    let (old_id, _) = s.identity("app");
    let plan = docker::up(&engine, &s.spec, s.root(), &opts(true), &|_| {})
        .await
        .unwrap_or_else(|e| panic!("deploy of release 2: {e}"));
    assert!(
        matches!(actions_of(&plan, &mig)[..], [Action::Recreate { .. }]),
        "{plan:?}"
    );
    assert!(
        matches!(actions_of(&plan, &app)[..], [Action::Rollout { .. }]),
        "{plan:?}"
    );
    assert_eq!(
        s.psql("SELECT count(*) FROM pg_tables WHERE tablename = 'release_2'"),
        "1"
    );
    let (v2_id, _) = s.identity("app");
    assert_ne!(v2_id, old_id, "the app runs a new container");
    let v2_image = s.inspect("app", "{{.Image}}");

    // Release 3's migration fails: the deploy stops with its output and code, and the
    // app keeps running release 2, never stopped.
    write_source(
        source.path(),
        "echo 'ERROR: relation \"users\" does not exist' >&2\nexit 3\n",
    );
    let err = docker::up(&engine, &s.spec, s.root(), &opts(true), &|_| {})
        .await
        .expect_err("a failing migration fails the deploy");
    match &err {
        UpError::JobFailed {
            service,
            code,
            logs,
            held_back,
        } => {
            assert_eq!(held_back, std::slice::from_ref(&app), "{err}");
            assert_eq!((service.as_str(), *code), (mig.as_str(), 3), "{err}");
            assert!(logs.contains("relation \"users\" does not exist"), "{err}");
        }
        other => panic!("expected the migration's failure, got {other}"),
    }
    assert_eq!(
        s.identity("app").0,
        v2_id,
        "the app's container is the same"
    );
    assert_eq!(s.inspect("app", "{{.State.Running}}"), "true");
    assert_eq!(
        s.inspect("app", "{{.Image}}"),
        v2_image,
        "still release 2's image"
    );
    assert_eq!(s.inspect("app", "{{.RestartCount}}"), "0");
    let _ = docker::down(&engine, &s.spec, false, 2).await;
    let _ = crate::common::run("docker", &["rmi", "-f", &format!("{}-{app}", s.prefix)]);
}

/// An engine time (`2026-12-04T18:50:01.12345Z`, RFC 3339 with the fraction's trailing
/// zeros cut) with the fraction padded to nine digits, so two compare as text.
fn nanos_text(t: &str) -> String {
    let t = t.trim_end_matches('Z');
    let (sec, frac) = t.split_once('.').unwrap_or((t, ""));
    format!("{sec}.{frac:0<9}")
}
