//! `plan`, `up` and `down`: idempotence, targeted recreation, failures, what `down` leaves
//! alone, repeated cycles; and the engine being unreachable.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use banatie_infra_core::docker::{self, Action, DockerError, Engine, UpError, Verdict};

use crate::common::{docker_ok, engine, run, Stack};

fn services(stack: &Stack) -> Vec<String> {
    ["api", "web", "db", "s3", "job"]
        .iter()
        .map(|s| stack.svc(s))
        .collect()
}

/// After `up` (which returns once each service's own health-check command has passed),
/// the engine's status turns healthy at its next scheduled check: `wait` blocks until it
/// has, then `status` says ok for every service.
async fn assert_all_ok(stack: &Stack, engine: &Engine) {
    docker::wait(engine, &stack.spec, &[], Duration::from_secs(60))
        .await
        .expect("the engine agrees with up: every service healthy or completed");
    let all = docker::status(engine, &stack.spec).await.expect("status");
    for s in &all {
        assert_eq!(s.verdict, Verdict::Ok, "{s:#?}");
    }
}

/// Every container of the stack holds exactly the secret variables its service receives
/// (`environment::service_secrets`), read from the engine (`docker inspect`), names only:
/// the database never sees the API's token, the job sees no secret at all.
fn assert_least_privilege(stack: &Stack) {
    use banatie_infra_core::environment::{secret_vars, service_secrets};
    let all: Vec<String> = secret_vars(&stack.spec)
        .iter()
        .map(|v| v.name.to_string())
        .collect();
    for (name, _) in &stack.spec.services {
        let env = docker_ok(&["inspect", "-f", "{{json .Config.Env}}", name.as_str()]);
        let env: Vec<String> = serde_json::from_str(&env).expect("a JSON list");
        let mut held: Vec<String> = all
            .iter()
            .filter(|v| {
                env.iter()
                    .any(|e| e.split_once('=').is_some_and(|(k, _)| k == v.as_str()))
            })
            .cloned()
            .collect();
        let mut want: Vec<String> = service_secrets(&stack.spec, name.as_str())
            .iter()
            .map(ToString::to_string)
            .collect();
        held.sort_unstable();
        want.sort_unstable();
        assert_eq!(held, want, "the secrets container {name} holds");
    }
    // The fixture makes the check mean something: the API's token is nowhere else.
    let token_holders = stack
        .spec
        .services
        .keys()
        .filter(|n| {
            service_secrets(&stack.spec, n.as_str())
                .iter()
                .any(|s| s.as_str() == "API_TOKEN")
        })
        .count();
    assert_eq!(token_holders, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn up_is_idempotent_recreates_what_changed_and_down_keeps_data() {
    let mut stack = Stack::new("up");
    let engine = engine().await;

    // A cold start: the internal network and every container are created.
    let before = docker::plan(&engine, &stack.spec, stack.root())
        .await
        .expect("plan");
    let mut want = vec![Action::CreateNetwork {
        network: stack.internal(),
        internal: true,
    }];
    want.extend(
        services(&stack)
            .into_iter()
            .map(|service| Action::Create { service }),
    );
    assert_eq!(before.actions, want);
    let t = Instant::now();
    let done = stack.up(&engine).await;
    eprintln!("cold up: {:.1}s", t.elapsed().as_secs_f64());
    assert_eq!(done, before, "up returns the plan it carried out");
    assert_all_ok(&stack, &engine).await;
    assert_eq!(
        docker_ok(&[
            "network",
            "inspect",
            "-f",
            "{{.Internal}}",
            &stack.internal()
        ]),
        "true"
    );
    assert_least_privilege(&stack);
    let ids: Vec<(String, String)> = ["api", "web", "db", "s3", "job"]
        .iter()
        .map(|s| stack.identity(s))
        .collect();

    // A second up changes nothing: no container is recreated or restarted.
    let again = stack.up(&engine).await;
    assert!(again.is_noop(), "{again:#?}");
    let plan = docker::plan(&engine, &stack.spec, stack.root())
        .await
        .unwrap();
    assert!(plan.is_noop(), "{plan:#?}");
    let now: Vec<(String, String)> = ["api", "web", "db", "s3", "job"]
        .iter()
        .map(|s| stack.identity(s))
        .collect();
    assert_eq!(now, ids, "same container IDs and start times");

    // One app's environment changes: exactly that service is recreated and its
    // dependent restarted; the others are kept.
    stack.edit(|y| y.replacen("RELEASE: \"1\"", "RELEASE: \"2\"", 1));
    let plan = docker::plan(&engine, &stack.spec, stack.root())
        .await
        .unwrap();
    assert_eq!(
        plan.actions,
        [
            Action::Recreate {
                service: stack.svc("api"),
                reason: "config changed: environment.RELEASE".into()
            },
            Action::Restart {
                service: stack.svc("web"),
                because: stack.svc("api")
            },
            Action::Keep {
                service: stack.svc("db")
            },
            Action::Keep {
                service: stack.svc("s3")
            },
            Action::Keep {
                service: stack.svc("job")
            },
        ]
    );
    let done = stack.up(&engine).await;
    assert_eq!(done, plan);
    assert_all_ok(&stack, &engine).await;
    let after: Vec<(String, String)> = ["api", "web", "db", "s3", "job"]
        .iter()
        .map(|s| stack.identity(s))
        .collect();
    assert_ne!(after[0].0, ids[0].0, "api is a new container");
    assert_eq!(after[1].0, ids[1].0, "web is the same container");
    assert_ne!(after[1].1, ids[1].1, "web was restarted");
    assert_eq!(&after[2..], &ids[2..], "db, s3 and job untouched");
    assert_eq!(
        stack
            .inspect("api", "{{range .Config.Env}}{{println .}}{{end}}")
            .lines()
            .find(|l| l.starts_with("RELEASE=")),
        Some("RELEASE=2")
    );
    assert!(stack.up(&engine).await.is_noop());

    // down: the stack's containers and own network go; data directories, the external
    // network and a foreign container stay.
    let foreign = stack.svc("foreign");
    docker_ok(&["run", "-d", "--name", &foreign, "banatie-test/http:1"]);
    let report = docker::down(&engine, &stack.spec, true, 10)
        .await
        .expect("down");
    let mut names = services(&stack);
    names.sort();
    assert_eq!(report.containers, names);
    assert_eq!(report.networks, [stack.internal()]);
    assert!(stack.labelled_containers().is_empty());
    assert_eq!(
        docker_ok(&["inspect", "-f", "{{.State.Status}}", &foreign]),
        "running",
        "a foreign container is never touched"
    );
    assert!(stack.root().join("data/postgres/PG_VERSION").is_file());
    assert!(stack.root().join("data/minio/drive1").is_dir());
    assert!(run("docker", &["network", "inspect", &stack.proxy()])
        .status
        .success());
    assert!(!run("docker", &["network", "inspect", &stack.internal()])
        .status
        .success());
    // A second down has nothing left to do.
    let report = docker::down(&engine, &stack.spec, true, 10).await.unwrap();
    assert!(report.containers.is_empty() && report.networks.is_empty());
    assert_eq!(
        docker_ok(&["inspect", "-f", "{{.State.Status}}", &foreign]),
        "running"
    );
}

/// The state of a container that was created (`up` creates every missing container at
/// once) but never started; `None` if it was started or does not exist.
fn never_started(stack: &Stack, short: &str) -> Option<String> {
    let out = run(
        "docker",
        &[
            "inspect",
            "-f",
            "{{.State.Status}} {{.State.StartedAt}}",
            &stack.svc(short),
        ],
    );
    let text = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    let (state, started) = text.split_once(' ')?;
    started.starts_with("0001-01-01").then(|| state.to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn up_stops_on_a_failing_job_and_on_a_never_healthy_service() {
    let mut stack = Stack::with("fail", |y| {
        y.replacen(
            r#"argv: ["sh", "-c", "echo job done"]"#,
            r#"argv: ["sh", "-c", "echo failing job; echo to stderr >&2; exit 3"]"#,
            1,
        )
    });
    let engine = engine().await;
    let e = stack
        .try_up(&engine, Duration::from_secs(60))
        .await
        .expect_err("the job fails");
    match &e {
        UpError::JobFailed {
            service,
            code,
            logs,
            ..
        } => {
            assert_eq!(service, &stack.svc("job"));
            assert_eq!(*code, 3);
            assert!(
                logs.contains("failing job") && logs.contains("to stderr"),
                "{logs}"
            );
        }
        other => panic!("expected JobFailed, got {other:?}"),
    }
    assert!(e.to_string().contains("exited with code 3"), "{e}");
    for app in ["api", "web"] {
        assert_eq!(
            never_started(&stack, app),
            Some("created".to_owned()),
            "{app} must not be started after its dependency failed"
        );
    }

    // The job fixed, one app that never becomes healthy: up gives up at the timeout
    // with the health check's output.
    stack.edit(|y| {
        y.replacen(
            r#"argv: ["sh", "-c", "echo failing job; echo to stderr >&2; exit 3"]"#,
            r#"argv: ["sh", "-c", "echo job done"]"#,
            1,
        )
        .replacen(
            r#"environment: { PORT: "3000", RELEASE: "1" }"#,
            r#"environment: { PORT: "3000", RELEASE: "1", FAIL_HEALTH: "1" }"#,
            1,
        )
    });
    let t = Instant::now();
    let e = stack
        .try_up(&engine, Duration::from_secs(8))
        .await
        .expect_err("api never gets healthy");
    let took = t.elapsed();
    match &e {
        UpError::Timeout {
            service,
            wanted,
            output,
            timeout,
            ..
        } => {
            assert_eq!(service, &stack.svc("api"));
            assert_eq!(*wanted, "healthy");
            assert_eq!(*timeout, Duration::from_secs(8));
            let output = output.as_deref().unwrap_or_default();
            assert!(output.contains("404"), "health output: {output:?}");
        }
        other => panic!("expected Timeout, got {other:?}"),
    }
    assert!(took < Duration::from_secs(60), "{took:?}");
    assert!(
        e.to_string().contains("did not become healthy within 8s"),
        "{e}"
    );
    assert_eq!(
        never_started(&stack, "web"),
        Some("created".to_owned()),
        "web depends on api: never started"
    );
    let all = docker::status(&engine, &stack.spec).await.unwrap();
    let api = all.iter().find(|s| s.service == stack.svc("api")).unwrap();
    assert!(
        matches!(api.verdict, Verdict::Starting | Verdict::Unhealthy),
        "{api:#?}"
    );

    // A container named like a service but not labelled as the stack's (the name is
    // taken: this stack's `web` never ran) survives `down`.
    docker::down(&engine, &stack.spec, true, 5).await.unwrap();
    assert!(stack.labelled_containers().is_empty());
    let web = stack.svc("web");
    docker_ok(&["run", "-d", "--name", &web, "banatie-test/http:1"]);
    let report = docker::down(&engine, &stack.spec, true, 5).await.unwrap();
    assert!(report.containers.is_empty(), "{report:?}");
    assert_eq!(
        docker_ok(&["inspect", "-f", "{{.State.Status}}", &web]),
        "running"
    );
    // `up` refuses to replace it, and leaves it running.
    let r = docker::up(
        &engine,
        &stack.spec,
        stack.root(),
        &docker::UpOptions::default(),
        &|_| {},
    )
    .await;
    assert!(
        matches!(r, Err(docker::UpError::Foreign(ref n, _)) if *n == web),
        "{r:?}"
    );
    assert_eq!(
        docker_ok(&["inspect", "-f", "{{.State.Status}}", &web]),
        "running"
    );
}

/// The host processes (containerd shims, runc, execs) whose command line names one of
/// these container IDs.
fn processes_of(ids: &BTreeSet<String>) -> Vec<String> {
    let out = run("ps", &["-eo", "pid,args"]);
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| ids.iter().any(|id| l.contains(id.as_str())))
        .map(ToOwned::to_owned)
        .collect()
}

/// Waits until no exec runs in the stack's running containers (the readiness probes of
/// `up` must all have finished).
fn execs_drain(stack: &Stack) {
    let start = Instant::now();
    loop {
        let mut busy = Vec::new();
        for s in ["api", "web", "db", "s3"] {
            let n = stack.inspect(s, "{{len .ExecIDs}}");
            if n != "0" {
                busy.push(format!("{s}: {n}"));
            }
        }
        if busy.is_empty() {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "exec sessions still running: {busy:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_up_down_cycles_leave_nothing_behind() {
    let stack = Stack::new("cyc");
    let engine = engine().await;
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let t = Instant::now();
    for cycle in 0..20 {
        let plan = stack.up(&engine).await;
        assert_eq!(
            plan.actions.iter().filter(|a| a.changes()).count(),
            6,
            "cycle {cycle}: a network and five containers: {plan:#?}"
        );
        assert_all_ok(&stack, &engine).await;
        let ids = stack.labelled_containers();
        assert_eq!(ids.len(), 5, "cycle {cycle}");
        seen.extend(ids);
        if cycle == 0 || cycle == 19 {
            execs_drain(&stack);
        }
        let report = docker::down(&engine, &stack.spec, true, 10)
            .await
            .expect("down");
        assert_eq!(report.containers.len(), 5, "cycle {cycle}: {report:?}");
        assert_eq!(report.networks, [stack.internal()], "cycle {cycle}");
        assert!(
            stack.labelled_containers().is_empty(),
            "cycle {cycle}: containers left"
        );
        let nets = docker_ok(&[
            "network",
            "ls",
            "-q",
            "--filter",
            &format!("label=io.banatie-infra.stack={}", stack.prefix),
        ]);
        assert!(nets.is_empty(), "cycle {cycle}: networks left: {nets}");
    }
    eprintln!("20 up/down cycles: {:.1}s", t.elapsed().as_secs_f64());
    assert_eq!(seen.len(), 100, "every cycle created new containers");
    // No shim, runc or exec process of any of those containers remains.
    let start = Instant::now();
    loop {
        let left = processes_of(&seen);
        if left.is_empty() {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "processes left behind: {left:#?}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(stack.root().join("data/postgres/PG_VERSION").is_file());
}

/// Runs the child test below in a subprocess with `DOCKER_HOST` pointing nowhere (the
/// variable is process-wide: it cannot be set in this process while other tests run).
#[test]
fn engine_unreachable_is_no_engine() {
    let exe = std::env::current_exe().unwrap();
    let out = std::process::Command::new(exe)
        .args([
            "--exact",
            "lifecycle::engine_unreachable_child",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("DOCKER_HOST", "unix:///nonexistent.sock")
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{text}");
    assert!(text.contains("1 passed"), "the child test ran: {text}");
}

#[tokio::test]
#[ignore = "run by engine_unreachable_is_no_engine, in a subprocess with DOCKER_HOST set"]
async fn engine_unreachable_child() {
    assert_eq!(
        std::env::var("DOCKER_HOST").as_deref(),
        Ok("unix:///nonexistent.sock"),
        "run through engine_unreachable_is_no_engine"
    );
    match Engine::connect().await {
        Err(e @ DockerError::NoEngine { .. }) => {
            let text = e.to_string();
            assert!(
                text.starts_with("no Docker engine at unix:///nonexistent.sock"),
                "{text}"
            );
            assert!(text.contains("DOCKER_HOST"), "{text}");
        }
        other => panic!("expected NoEngine, got {other:?}"),
    }
    // A TCP endpoint where nothing listens: the same error.
    std::env::set_var("DOCKER_HOST", "tcp://127.0.0.1:1");
    match Engine::connect().await {
        Err(DockerError::NoEngine { endpoint, .. }) => {
            assert_eq!(endpoint, "tcp://127.0.0.1:1")
        }
        other => panic!("expected NoEngine, got {other:?}"),
    }
}
