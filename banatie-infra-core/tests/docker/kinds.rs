//! The `worker` and generic `service` kinds on the real engine: their process settings
//! (user, read-only root, tmpfs, dropped capabilities, command) reach the containers,
//! `health.exec` gates `up` like the kind's own checks, `health.none` turns the check off
//! (the image's included), and a second `up` finds nothing to change.

use std::time::Duration;

use banatie_infra_core::docker::{self, Verdict};

use crate::common::{docker_ok, engine, Stack};

/// The fixture's stack, proxy and networks with three services of the new kinds only:
/// a generic service (the BusyBox HTTP image, checked by `wget` through `health.exec`),
/// a worker that waits for it (a BusyBox loop, checked by a file it writes) and a worker
/// with `health.none`.
fn kinds_yaml(fixture: &str) -> String {
    let (head, prefix) = crate::common::fixture_head(fixture);
    let p = &prefix;
    format!(
        r#"{head}
services:
  "{p}-cache":
    kind: service
    image: banatie-test/http:1
    port: 3000
    user: "1001:1001"
    read_only: true
    tmpfs: [/tmp]
    cap_drop: [ALL]
    environment: {{ PORT: "3000" }}
    networks: ["{p}-internal"]
    health:
      exec: [wget, -q, --spider, "http://127.0.0.1:3000/health"]
      interval: 2s
      timeout: 2s
      start_period: 30s

  "{p}-worker":
    kind: worker
    image: banatie-test/job:1
    command: [sh, -c, "touch /tmp/alive; while :; do sleep 1; done"]
    networks: ["{p}-internal"]
    depends_on: {{ "{p}-cache": healthy }}
    stop_grace_period: 2s
    health:
      exec: [test, -f, /tmp/alive]
      interval: 2s
      timeout: 2s
      start_period: 30s

  "{p}-idle":
    kind: worker
    image: banatie-test/job:1
    command: [sleep, "3600"]
    networks: ["{p}-internal"]
    stop_grace_period: 1s
    health: {{ none: "a sleeper: nothing to ask it" }}
"#
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workers_and_generic_services_run_as_the_spec_says() {
    let stack = Stack::with("kinds", kinds_yaml);
    let engine = engine().await;
    stack.up(&engine).await;

    // The generic service: its process settings reach the engine.
    assert_eq!(stack.inspect("cache", "{{.Config.User}}"), "1001:1001");
    assert_eq!(
        stack.inspect("cache", "{{.HostConfig.ReadonlyRootfs}}"),
        "true"
    );
    assert_eq!(
        stack.inspect("cache", "{{json .HostConfig.CapDrop}}"),
        r#"["ALL"]"#
    );
    assert!(
        stack
            .inspect("cache", "{{json .HostConfig.Tmpfs}}")
            .contains("\"/tmp\""),
        "tmpfs /tmp"
    );
    assert_eq!(
        stack.inspect("cache", "{{json .Config.Healthcheck.Test}}"),
        r#"["CMD","wget","-q","--spider","http://127.0.0.1:3000/health"]"#
    );
    // The root filesystem is read-only for real, /tmp writable.
    let touch = crate::common::run(
        "docker",
        &["exec", &stack.svc("cache"), "touch", "/www/written"],
    );
    assert!(!touch.status.success(), "the root filesystem is writable");
    docker_ok(&["exec", &stack.svc("cache"), "touch", "/tmp/written"]);

    // The worker: its command runs under an init, its health.exec decides its health.
    assert_eq!(
        stack.inspect("worker", "{{json .Config.Cmd}}"),
        r#"["sh","-c","touch /tmp/alive; while :; do sleep 1; done"]"#
    );
    assert_eq!(stack.inspect("worker", "{{.HostConfig.Init}}"), "true");
    // health.none: no check at all, the image's included.
    assert_eq!(
        stack.inspect("idle", "{{json .Config.Healthcheck.Test}}"),
        r#"["NONE"]"#
    );
    docker::wait(&engine, &stack.spec, &[], Duration::from_secs(60))
        .await
        .expect("every service healthy or running");
    for s in docker::status(&engine, &stack.spec).await.expect("status") {
        assert_eq!(s.verdict, Verdict::Ok, "{s:#?}");
    }
    assert_eq!(
        stack.inspect("worker", "{{.State.Health.Status}}"),
        "healthy"
    );
    assert_eq!(
        stack.inspect("cache", "{{.State.Health.Status}}"),
        "healthy"
    );

    // A second `up` has nothing to do: the new settings hash the same way every time.
    let again = docker::plan(&engine, &stack.spec, stack.root())
        .await
        .expect("plan");
    assert!(again.is_noop(), "{again:#?}");
    docker::down(&engine, &stack.spec, true, 5)
        .await
        .expect("down");
}
