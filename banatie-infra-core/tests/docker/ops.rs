//! status, wait, logs, exec, drift, doctor and `backup storage` on one running stack.

use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use banatie_infra_core::docker::{
    self, BackupError, DockerError, ExecOutput, LogsOptions, UpError, Verdict, WaitError,
    CODE_DRIFT_EXTRA, CODE_DRIFT_NETWORK,
};
use banatie_infra_core::secrets::{self, SecretsError};

use crate::common::{
    assert_only_completed, docker_ok, engine, listing, run, sha256_hex, Stack, STACK_LABEL,
};

/// One stack brought up once; every read-only operation checked against it, then the
/// drifts and the wrong owner introduced (and undone) one at a time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operations_on_a_running_stack() {
    let stack = Stack::new("ops");
    let engine = engine().await;
    stack.up(&engine).await;
    // `up` returns on the services' own health-check commands; the engine's status
    // follows at its next check.
    docker::wait(&engine, &stack.spec, &[], Duration::from_secs(60))
        .await
        .expect("the engine agrees with up");

    status_reports_every_service(&stack, &engine).await;
    wait_returns_when_ready(&stack, &engine).await;
    logs_honour_tail_and_since(&stack, &engine).await;
    exec_streams_stdin_and_returns_the_exit_code(&stack, &engine).await;
    doctor_reports_owners_and_the_chown_fix(&stack, &engine).await;
    drift_reports_the_proxy_network_and_a_stray_container(&stack, &engine).await;
    backup_storage_copies_every_object(&stack, &engine).await;
    world_readable_secrets_are_refused(&stack, &engine).await;
}

async fn status_reports_every_service(stack: &Stack, engine: &docker::Engine) {
    let all = docker::status(engine, &stack.spec).await.expect("status");
    let names: Vec<&str> = all.iter().map(|s| s.service.as_str()).collect();
    assert_eq!(
        names,
        ["api", "web", "db", "s3", "job"].map(|s| stack.svc(s)),
        "spec order"
    );
    for s in &all {
        assert_eq!(s.verdict, Verdict::Ok, "{s:#?}");
        let c = s.container.as_ref().expect("a container");
        assert_eq!(c.name, s.service);
        assert_eq!(c.id.len(), 64);
        assert_eq!(c.restart_count, 0);
        if s.kind == "job" {
            assert_eq!((c.state.as_str(), c.exit_code), ("exited", Some(0)));
            assert_eq!(c.health, None);
        } else {
            assert_eq!(c.state, "running");
            assert_eq!(c.health.as_deref(), Some("healthy"), "{s:#?}");
            assert!(c.uptime_secs.is_some());
        }
    }
    let by = |short: &str| {
        all.iter()
            .find(|s| s.service == stack.svc(short))
            .and_then(|s| s.container.clone())
            .unwrap()
    };
    assert_eq!(by("api").image, "banatie-test/http:1");
    assert_eq!(by("db").image, "banatie-test/postgres:15");
    assert_eq!(by("api").networks, [stack.internal(), stack.proxy()]);
    assert_eq!(by("db").networks, [stack.internal()]);
    assert_eq!(by("db").kind_label(), Some("postgres"));
    // JSON: the verdict is tagged, environment values are never serialized.
    let json = serde_json::to_value(&all).unwrap();
    assert_eq!(json[0]["verdict"], "ok");
    assert!(!json.to_string().contains("POSTGRES_PASSWORD"));
}

trait KindLabel {
    fn kind_label(&self) -> Option<&str>;
}
impl KindLabel for docker::ContainerState {
    fn kind_label(&self) -> Option<&str> {
        self.labels
            .get(banatie_infra_core::render::label::KIND)
            .map(String::as_str)
    }
}

async fn wait_returns_when_ready(stack: &Stack, engine: &docker::Engine) {
    let all = docker::wait(engine, &stack.spec, &[], Duration::from_secs(10))
        .await
        .expect("every service is ready");
    assert_eq!(all.len(), 5);
    let one = docker::wait(
        engine,
        &stack.spec,
        &[stack.svc("db")],
        Duration::from_secs(10),
    )
    .await
    .expect("db ready");
    assert_eq!(one.len(), 5, "wait returns every status");
    match docker::wait(
        engine,
        &stack.spec,
        &["no-such-service".into()],
        Duration::from_secs(1),
    )
    .await
    {
        Err(WaitError::Docker(DockerError::UnknownService(s))) => {
            assert_eq!(s, "no-such-service")
        }
        other => panic!("expected UnknownService, got {other:?}"),
    }
}

/// Writes a line into the container's log (its PID 1's stdout).
fn log_line(stack: &Stack, short: &str, line: &str) {
    docker_ok(&[
        "exec",
        &stack.svc(short),
        "sh",
        "-c",
        &format!("echo {line} > /proc/1/fd/1"),
    ]);
}

async fn collect_logs(stack: &Stack, engine: &docker::Engine, opts: &LogsOptions) -> String {
    let mut out = Vec::new();
    docker::logs(engine, &stack.spec, &stack.svc("api"), opts, |_, b| {
        out.extend_from_slice(b)
    })
    .await
    .expect("logs");
    String::from_utf8(out).unwrap()
}

async fn logs_honour_tail_and_since(stack: &Stack, engine: &docker::Engine) {
    // The job's whole output.
    let mut job = Vec::new();
    docker::logs(
        engine,
        &stack.spec,
        &stack.svc("job"),
        &LogsOptions::default(),
        |stream, b| {
            assert_eq!(stream, ExecOutput::Stdout);
            job.extend_from_slice(b)
        },
    )
    .await
    .expect("job logs");
    assert_eq!(String::from_utf8_lossy(&job), "job done\n");

    log_line(stack, "api", "first-marker");
    tokio::time::sleep(Duration::from_millis(2600)).await;
    log_line(stack, "api", "second-marker");
    let all = collect_logs(stack, engine, &LogsOptions::default()).await;
    assert!(
        all.contains("first-marker\n") && all.contains("second-marker\n"),
        "{all}"
    );
    let tail = collect_logs(
        stack,
        engine,
        &LogsOptions {
            tail: Some(1),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(tail, "second-marker\n");
    let since = collect_logs(
        stack,
        engine,
        &LogsOptions {
            since_secs: Some(1),
            ..Default::default()
        },
    )
    .await;
    assert!(
        since.contains("second-marker") && !since.contains("first-marker"),
        "since 1s: {since:?}"
    );
    match docker::logs(
        engine,
        &stack.spec,
        "no-such-service",
        &LogsOptions::default(),
        |_, _| {},
    )
    .await
    {
        Err(DockerError::UnknownService(_)) => {}
        other => panic!("expected UnknownService, got {other:?}"),
    }
}

async fn exec_streams_stdin_and_returns_the_exit_code(stack: &Stack, engine: &docker::Engine) {
    // 3 MiB through `cat`: stdin is streamed, stdout comes back in order.
    let input: Vec<u8> = (0..3 * 1024 * 1024u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let argv: Vec<String> = ["sh", "-c", "cat; echo to-stderr >&2; exit 7"]
        .map(String::from)
        .to_vec();
    let mut stdout = Vec::new();
    let mut stderr = Vec::new();
    let code = docker::exec(
        engine,
        &stack.spec,
        &stack.svc("api"),
        &argv,
        Some(std::io::Cursor::new(input.clone())),
        |stream, b| match stream {
            ExecOutput::Stdout => stdout.extend_from_slice(b),
            ExecOutput::Stderr => stderr.extend_from_slice(b),
        },
    )
    .await
    .expect("exec");
    assert_eq!(code, 7);
    assert!(
        stdout == input,
        "stdout differs from stdin ({} bytes)",
        stdout.len()
    );
    assert_eq!(stderr, b"to-stderr\n");

    // Without stdin, as the image's user.
    let mut out = Vec::new();
    let code = docker::exec(
        engine,
        &stack.spec,
        &stack.svc("api"),
        &["id".to_owned(), "-u".to_owned()],
        None::<tokio::io::Empty>,
        |_, b| out.extend_from_slice(b),
    )
    .await
    .expect("exec id");
    assert_eq!((code, String::from_utf8_lossy(&out).trim()), (0, "1001"));

    // A command that does not exist: the engine's own exit code.
    let code = docker::exec(
        engine,
        &stack.spec,
        &stack.svc("api"),
        &["no-such-program".to_owned()],
        None::<tokio::io::Empty>,
        |_, _| {},
    )
    .await;
    assert!(matches!(code, Ok(c) if c != 0) || code.is_err(), "{code:?}");

    // The job has exited: an error, not a hang.
    let r = docker::exec(
        engine,
        &stack.spec,
        &stack.svc("job"),
        &["true".to_owned()],
        None::<tokio::io::Empty>,
        |_, _| {},
    )
    .await;
    assert!(matches!(r, Err(DockerError::Api(_))), "{r:?}");
    let r = docker::exec(
        engine,
        &stack.spec,
        "no-such-service",
        &["true".to_owned()],
        None::<tokio::io::Empty>,
        |_, _| {},
    )
    .await;
    assert!(matches!(r, Err(DockerError::UnknownService(_))), "{r:?}");
}

async fn doctor_reports_owners_and_the_chown_fix(stack: &Stack, engine: &docker::Engine) {
    let r = docker::doctor(engine, &stack.spec).await.expect("doctor");
    assert!(!r.userns_remap, "this engine runs without userns-remap");
    assert_eq!(r.mismatch, None, "the spec says disabled too");
    let root = stack.root();
    let mut dirs: Vec<(String, std::path::PathBuf, u32, Option<u32>)> = r
        .dirs
        .iter()
        .map(|d| {
            (
                d.service.clone(),
                d.path.clone(),
                d.expected_uid,
                d.actual_uid,
            )
        })
        .collect();
    dirs.sort_by(|a, b| a.1.cmp(&b.1));
    assert_eq!(
        dirs,
        [
            (
                stack.svc("s3"),
                root.join("data/minio/drive1"),
                1001,
                Some(1001)
            ),
            (
                stack.svc("s3"),
                root.join("data/minio/drive2"),
                1001,
                Some(1001)
            ),
            (stack.svc("db"), root.join("data/postgres"), 999, Some(999)),
        ],
        "{r:#?}"
    );
    assert!(!r.has_problems(), "{r:#?}");

    let drive1 = root.join("data/minio/drive1");
    std::os::unix::fs::chown(&drive1, Some(4242), Some(4242)).unwrap();
    let r = docker::doctor(engine, &stack.spec).await.expect("doctor");
    std::os::unix::fs::chown(&drive1, Some(1001), Some(1001)).unwrap();
    assert!(r.has_problems());
    let wrong: Vec<_> = r.dirs.iter().filter(|d| d.fix.is_some()).collect();
    assert_eq!(wrong.len(), 1, "{r:#?}");
    assert_eq!(wrong[0].path, drive1);
    assert_eq!(wrong[0].actual_uid, Some(4242));
    assert_eq!(wrong[0].container_uid, 1001);
    assert_eq!(
        wrong[0].fix.as_deref(),
        Some(format!("sudo chown -R 1001:1001 {}", drive1.display()).as_str())
    );
}

async fn drift_reports_the_proxy_network_and_a_stray_container(
    stack: &Stack,
    engine: &docker::Engine,
) {
    let clean = docker::drift(engine, &stack.spec).await.expect("drift");
    assert!(
        clean.iter().all(|d| !d.is_error()),
        "no error-level drift on a fresh stack: {clean:#?}"
    );

    // PostgreSQL on the proxy network.
    let db = stack.svc("db");
    docker_ok(&["network", "connect", &stack.proxy(), &db]);
    let found = docker::drift(engine, &stack.spec).await;
    docker_ok(&["network", "disconnect", &stack.proxy(), &db]);
    let found = found.expect("drift");
    let bi603: Vec<_> = found
        .iter()
        .filter(|d| d.code == CODE_DRIFT_NETWORK)
        .collect();
    assert_eq!(bi603.len(), 1, "{found:#?}");
    assert!(bi603[0].is_error());
    assert_eq!(bi603[0].pointer, format!("/services/{db}/networks"));
    assert!(
        bi603[0].message.contains("PostgreSQL") && bi603[0].message.contains(&stack.proxy()),
        "{}",
        bi603[0].message
    );
    assert_eq!(
        bi603[0].help.as_deref(),
        Some(format!("docker network disconnect {} {db}", stack.proxy()).as_str())
    );

    // A container labelled as the stack's that the spec does not know.
    let stray = stack.svc("stray");
    docker_ok(&[
        "run",
        "-d",
        "--name",
        &stray,
        "--network",
        "none",
        "--label",
        &format!("{STACK_LABEL}={}", stack.prefix),
        "banatie-test/job:1",
        "sleep",
        "300",
    ]);
    let found = docker::drift(engine, &stack.spec).await;
    run("docker", &["rm", "-f", &stray]);
    let found = found.expect("drift");
    let bi607: Vec<_> = found
        .iter()
        .filter(|d| d.code == CODE_DRIFT_EXTRA)
        .collect();
    assert_eq!(bi607.len(), 1, "{found:#?}");
    assert!(bi607[0].message.contains(&stray), "{}", bi607[0].message);
    assert!(found.iter().all(|d| !d.is_error()), "{found:#?}");

    let clean = docker::drift(engine, &stack.spec).await.expect("drift");
    assert!(clean.iter().all(|d| !d.is_error()), "{clean:#?}");
}

/// Puts objects into the stand-in's bucket with boto3 (the image is its own client).
fn put_objects(stack: &Stack, objects: &[(&str, Vec<u8>)]) {
    let mut script = String::from(
        "import boto3, base64\n\
         from botocore.config import Config\n\
         s3 = boto3.client('s3', endpoint_url='http://127.0.0.1:9000', region_name='us-east-1',\n\
             aws_access_key_id='test', aws_secret_access_key='test-secret',\n\
             config=Config(s3={'addressing_style': 'path'}))\n\
         s3.create_bucket(Bucket='media')\n",
    );
    for (key, body) in objects {
        let hex: String = body.iter().map(|b| format!("{b:02x}")).collect();
        script.push_str(&format!(
            "s3.put_object(Bucket='media', Key={key:?}, Body=bytes.fromhex('{hex}'))\n"
        ));
    }
    script.push_str(
        "print(sorted(o['Key'] for o in s3.list_objects_v2(Bucket='media')['Contents']))\n",
    );
    let mut child = std::process::Command::new("docker")
        .args(["exec", "-i", &stack.svc("s3"), "python", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(script.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "boto3 put failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

async fn backup_storage_copies_every_object(stack: &Stack, engine: &docker::Engine) {
    let big: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    let objects: Vec<(&str, Vec<u8>)> = vec![
        ("public/logo.txt", b"public bytes".to_vec()),
        ("private/report.bin", big),
        (
            "dir with space/ünï+plus.txt",
            "unicode ✓".as_bytes().to_vec(),
        ),
        ("empty", Vec::new()),
    ];
    put_objects(stack, &objects);
    let dir = stack.root().join("backups");
    let r = docker::backup_storage(engine, &stack.spec, &dir, stack.root(), &|_| {})
        .await
        .expect("backup storage");
    let name = r.path.file_name().unwrap().to_str().unwrap().to_owned();
    assert!(
        name.starts_with("media_") && name.ends_with(".tar"),
        "{name}"
    );
    assert_eq!(r.sha256, sha256_hex(&r.path));
    assert_eq!(r.bytes, std::fs::metadata(&r.path).unwrap().len());
    let sidecar = std::fs::read_to_string(dir.join(format!("{name}.sha256"))).unwrap();
    assert_eq!(sidecar, format!("{}  {name}\n", r.sha256));
    assert_eq!(
        std::fs::metadata(&r.path).unwrap().permissions().mode() & 0o777,
        0o600
    );
    // The archive holds exactly those keys with exactly those bytes.
    let mut archive = tar::Archive::new(std::fs::File::open(&r.path).unwrap());
    let mut got: Vec<(String, Vec<u8>)> = archive
        .entries()
        .unwrap()
        .map(|e| {
            let mut e = e.unwrap();
            let path = e.path().unwrap().to_string_lossy().into_owned();
            let mut bytes = Vec::new();
            std::io::Read::read_to_end(&mut e, &mut bytes).unwrap();
            (path, bytes)
        })
        .collect();
    got.sort();
    let mut want: Vec<(String, Vec<u8>)> = objects
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect();
    want.sort();
    assert_eq!(
        got.iter().map(|g| g.0.as_str()).collect::<Vec<_>>(),
        want.iter().map(|w| w.0.as_str()).collect::<Vec<_>>()
    );
    assert!(got == want, "object bytes differ");
    assert_only_completed(&dir);
}

async fn world_readable_secrets_are_refused(stack: &Stack, engine: &docker::Engine) {
    let secrets_env = stack.root().join("secrets.env");
    let dir = stack.root().join("backups-0644");
    std::fs::set_permissions(&secrets_env, std::fs::Permissions::from_mode(0o644)).unwrap();
    let ensured = secrets::ensure(&stack.spec, stack.root());
    let storage = docker::backup_storage(engine, &stack.spec, &dir, stack.root(), &|_| {}).await;
    let up = stack.try_up(engine, Duration::from_secs(30)).await;
    std::fs::set_permissions(&secrets_env, std::fs::Permissions::from_mode(0o600)).unwrap();

    assert!(
        matches!(ensured, Err(SecretsError::InsecureMode { mode: 0o644, .. })),
        "{ensured:?}"
    );
    match storage {
        Err(BackupError::Storage(m)) => assert!(m.contains("0644"), "{m}"),
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert!(listing(&dir).is_empty(), "{:?}", listing(&dir));
    match up {
        Err(UpError::Root { path, reason }) => {
            assert_eq!(path, secrets_env);
            assert!(reason.contains("0644"), "{reason}");
        }
        other => panic!("up must refuse a world-readable secrets.env, got {other:?}"),
    }
    // Nothing was touched: the stack still matches.
    let plan = docker::plan(engine, &stack.spec, stack.root())
        .await
        .unwrap();
    assert!(plan.is_noop(), "{plan:#?}");
}
