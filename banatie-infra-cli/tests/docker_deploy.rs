//! `deploy` drops no request, on the real engine behind a real Caddy: Debian's `caddy`
//! binary in a locally built image (`banatie-test/caddy-debian:1`, from the PostgreSQL
//! test image's Debian root file system), on the stack's proxy network, published on
//! 127.0.0.1, serving the site block `render` wrote (`caddy/Caddyfile`, its address made
//! plain HTTP for the test's client), with its retry settings (`lb_try_duration
//! 10s`, `lb_try_interval 250ms`). A load of sequential requests runs through Caddy while the app is
//! updated: `up` (stop, remove, recreate) loses requests when the app needs longer to start
//! than Caddy retries; `deploy` (start-first) loses none. A new release that never becomes
//! healthy leaves the old container serving and exits 1; `secrets rotate
//! POSTGRES_PASSWORD` under the load loses none either. Nothing is skipped: without the
//! engine the test fails.

#[cfg(feature = "docker")]
mod deploy {
    use std::io::{Read, Write};
    use std::net::{TcpListener, TcpStream};
    use std::path::{Path, PathBuf};
    use std::process::{Command, Output, Stdio};
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    use std::time::Duration;

    const CADDY_IMAGE: &str = "banatie-test/caddy-debian:1";
    /// How long the app takes to listen after its start: longer than the rendered site
    /// block's `lb_try_duration` (10 s), so an update that stops the old container first
    /// is seen from outside.
    const WARM_UP_SECS: u32 = 12;

    fn text(o: &Output) -> String {
        format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    }

    fn docker(args: &[&str]) -> Output {
        Command::new("docker")
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("docker runs")
    }

    fn docker_ok(args: &[&str]) -> String {
        let o = docker(args);
        assert!(o.status.success(), "docker {args:?}: {}", text(&o));
        String::from_utf8_lossy(&o.stdout).trim().to_owned()
    }

    /// Builds the Caddy image from Debian's binary (the engine's build cache makes a
    /// second build instant).
    fn caddy_image() {
        let ctx = tempfile::tempdir().unwrap();
        std::fs::copy("/usr/bin/caddy", ctx.path().join("caddy"))
            .expect("Debian's caddy is installed (scripts/install-test-deps.sh)");
        std::fs::write(
            ctx.path().join("Dockerfile"),
            "FROM banatie-test/postgres:15\nCOPY caddy /usr/bin/caddy\nUSER root\nENTRYPOINT [\"/usr/bin/caddy\"]\n",
        )
        .unwrap();
        let o = Command::new("docker")
            .args(["build", "-q", "-t", CADDY_IMAGE])
            .arg(ctx.path())
            .env("DOCKER_BUILDKIT", "0")
            .output()
            .unwrap();
        assert!(o.status.success(), "building {CADDY_IMAGE}: {}", text(&o));
    }

    struct Stack {
        prefix: String,
        dir: tempfile::TempDir,
        spec: PathBuf,
        port: u16,
    }

    impl Stack {
        fn new() -> Stack {
            let info = docker(&["info", "--format", "{{.ServerVersion}}"]);
            assert!(
                info.status.success(),
                "these tests need the engine: {}",
                text(&info)
            );
            caddy_image();
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.subsec_nanos());
            let prefix = format!(
                "bi-deploy-{:06x}",
                (nanos ^ (std::process::id() << 20)) & 0xff_ffff
            );
            let dir = tempfile::Builder::new()
                .prefix(&format!("{prefix}-"))
                .tempdir_in("/tmp")
                .unwrap();
            let port = TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .unwrap()
                .port();
            let s = Stack {
                spec: dir.path().join("spec.yaml"),
                prefix,
                dir,
                port,
            };
            docker_ok(&["network", "create", &format!("{}-proxy", s.prefix)]);
            s.write_spec("1", false);
            let root = s.dir.path().display().to_string();
            let o = s.run(&["secrets", "{spec}", "--dir", &root]);
            assert!(o.status.success(), "secrets: {}", text(&o));
            s
        }

        /// The spec: one app behind the proxy network, release `release`; `fail` makes
        /// its health endpoint answer 404 (a release that never becomes healthy).
        fn write_spec(&self, release: &str, fail: bool) {
            self.write_spec_warm(release, fail, WARM_UP_SECS);
        }

        /// [`Stack::write_spec`] with an app that takes `warm_up` seconds to listen.
        fn write_spec_warm(&self, release: &str, fail: bool, warm_up: u32) {
            let p = &self.prefix;
            let yaml = format!(
                r#"stack:
  name: "{p}"
  root: "{root}"
  userns_remap: {{ enabled: false }}
proxy:
  network: "{p}-proxy"
networks:
  "{p}-internal": {{ internal: true }}
  "{p}-proxy": {{ external: true }}
services:
  "{p}-api":
    kind: app
    image: banatie-test/http:1
    base_image: busybox:1.36
    uid: 1001
    port: 3000
    health_path: /health
    command: [sh, -c, "sleep {warm_up}; exec /entrypoint.sh"]
    environment: {{ PORT: "3000", RELEASE: "{release}", FAIL_HEALTH: "{fail}" }}
    networks: ["{p}-internal", "{p}-proxy"]
    stop_grace_period: 2s
    health: {{ interval: 2s, timeout: 2s, start_period: 60s }}
    depends_on: {{ "{p}-db": healthy }}
    secrets: [DATABASE_URL]
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
sites:
  - domains: ["{p}-api.example.org"]
    service: "{p}-api"
    security_headers: api
"#,
                root = self.dir.path().display(),
                fail = u8::from(fail),
            );
            std::fs::write(&self.spec, yaml).unwrap();
            let root = self.dir.path().display().to_string();
            let o = self.run(&["render", "{spec}", "-o", &root]);
            assert!(o.status.success(), "render: {}", text(&o));
        }

        fn run(&self, args: &[&str]) -> Output {
            let spec = self.spec.display().to_string();
            let args: Vec<String> = args.iter().map(|a| a.replace("{spec}", &spec)).collect();
            Command::new(env!("CARGO_BIN_EXE_banatie-infra"))
                .args(&args)
                .stdin(Stdio::null())
                .output()
                .expect("the binary runs")
        }

        /// The shared proxy: Caddy on the proxy network, published on 127.0.0.1, importing
        /// the stack's rendered site blocks (mounted at their path, with the log
        /// directory they write to).
        fn start_caddy(&self) {
            let p = &self.prefix;
            let root = self.dir.path().display().to_string();
            // The rendered site block, its address made plain HTTP on 8080 for the test's
            // client (no TLS here); its body (reverse_proxy and its retries, headers, log)
            // is what `render` wrote.
            let rendered =
                std::fs::read_to_string(self.dir.path().join("caddy/Caddyfile")).unwrap();
            let site = format!("{} {{", self.host());
            assert!(rendered.contains(&site), "{rendered}");
            let main = self.dir.path().join("Caddyfile.main");
            std::fs::write(
                &main,
                format!(
                    "{{\n\tadmin off\n\tauto_https off\n}}\n{}",
                    rendered.replace(&site, &format!("http://{}:8080 {{", self.host()))
                ),
            )
            .unwrap();
            docker_ok(&[
                "run",
                "-d",
                "--name",
                &format!("{p}-caddy"),
                "--network",
                &format!("{p}-proxy"),
                "-p",
                &format!("127.0.0.1:{}:8080", self.port),
                "-v",
                &format!("{}:/etc/caddy/Caddyfile:ro", main.display()),
                "-v",
                &format!("{root}/logs:{root}/logs"),
                CADDY_IMAGE,
                "run",
                "--config",
                "/etc/caddy/Caddyfile",
                "--adapter",
                "caddyfile",
            ]);
            for _ in 0..100 {
                if get(self.port, &self.host()).is_ok_and(|s| s == 200) {
                    return;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            panic!(
                "Caddy never answered 200: {}",
                text(&docker(&["logs", &format!("{p}-caddy")]))
            );
        }

        /// The site's domain.
        fn host(&self) -> String {
            format!("{}-api.example.org", self.prefix)
        }

        fn release(&self) -> String {
            docker_ok(&[
                "inspect",
                "--format",
                "{{range .Config.Env}}{{println .}}{{end}}",
                &format!("{}-api", self.prefix),
            ])
            .lines()
            .find_map(|l| l.strip_prefix("RELEASE=").map(ToOwned::to_owned))
            .unwrap_or_default()
        }

        /// Runs `args` while a load of sequential requests goes through Caddy; returns the
        /// command's output and the load's (requests, failures).
        fn under_load(&self, args: &[&str]) -> (Output, usize, Vec<String>) {
            let load = Load::start(self);
            let o = self.run(args);
            let (n, failures) = load.stop();
            (o, n, failures)
        }
    }

    /// Sequential `GET /` through Caddy on a thread until stopped, counting failures.
    struct Load {
        stop: Arc<AtomicBool>,
        thread: std::thread::JoinHandle<(usize, Vec<String>)>,
    }

    impl Load {
        fn start(stack: &Stack) -> Load {
            let stop = Arc::new(AtomicBool::new(false));
            let (port, host, flag) = (stack.port, stack.host(), stop.clone());
            let thread = std::thread::spawn(move || {
                let (mut n, mut failures) = (0, Vec::new());
                while !flag.load(Ordering::Relaxed) {
                    n += 1;
                    match get(port, &host) {
                        Ok(200) => {}
                        Ok(s) => failures.push(format!("status {s}")),
                        Err(e) => failures.push(e),
                    }
                    std::thread::sleep(Duration::from_millis(10));
                }
                (n, failures)
            });
            Load { stop, thread }
        }

        /// Half a second more load (the switch is over, not just begun), then the count:
        /// (requests, failures).
        fn stop(self) -> (usize, Vec<String>) {
            std::thread::sleep(Duration::from_millis(500));
            self.stop.store(true, Ordering::Relaxed);
            self.thread.join().unwrap()
        }
    }

    impl Drop for Stack {
        fn drop(&mut self) {
            let p = &self.prefix;
            docker(&["rm", "-f", &format!("{p}-caddy")]);
            let o = docker(&[
                "ps",
                "-aq",
                "--filter",
                &format!("label=io.banatie-infra.stack={p}"),
            ]);
            for id in String::from_utf8_lossy(&o.stdout).lines() {
                docker(&["rm", "-f", id]);
            }
            docker(&[
                "network",
                "rm",
                &format!("{p}-internal"),
                &format!("{p}-proxy"),
            ]);
        }
    }

    /// One `GET /` for `host` through Caddy on a new connection: the status, or what went
    /// wrong.
    fn get(port: u16, host: &str) -> Result<u16, String> {
        let mut s = TcpStream::connect(("127.0.0.1", port)).map_err(|e| format!("connect: {e}"))?;
        s.set_read_timeout(Some(Duration::from_secs(15))).ok();
        s.write_all(
            format!("GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").as_bytes(),
        )
        .map_err(|e| format!("write: {e}"))?;
        let mut buf = Vec::new();
        s.read_to_end(&mut buf).map_err(|e| format!("read: {e}"))?;
        let head = String::from_utf8_lossy(&buf[..buf.len().min(64)]).into_owned();
        head.split_whitespace()
            .nth(1)
            .and_then(|c| c.parse().ok())
            .ok_or_else(|| format!("no status line: {head:?}"))
    }

    fn root_of(s: &Stack) -> &Path {
        s.dir.path()
    }

    #[test]
    fn deploy_rolls_start_first_and_drops_no_request_where_up_does() {
        let stack = Stack::new();
        let o = stack.run(&["up", "{spec}"]);
        assert!(o.status.success(), "up: {}", text(&o));
        stack.start_caddy();
        assert_eq!(stack.release(), "1");

        // `plan --deploy` says the app rolls start-first.
        stack.write_spec("2", false);
        let o = stack.run(&["plan", "{spec}", "--deploy"]);
        assert!(text(&o).contains("start-first"), "{}", text(&o));

        // `up` recreates: stop, remove, create, start; the app is down for its warm-up,
        // longer than Caddy retries, and requests fail.
        let (o, n, failures) = stack.under_load(&["up", "{spec}"]);
        assert!(o.status.success(), "up: {}", text(&o));
        assert_eq!(stack.release(), "2");
        assert!(
            !failures.is_empty(),
            "`up` lost no request of {n}: the test cannot tell"
        );
        eprintln!(
            "up: {} of {n} requests failed ({:?})",
            failures.len(),
            failures.first()
        );

        // `deploy` rolls start-first: not one request lost.
        stack.write_spec("3", false);
        let (o, n, failures) =
            stack.under_load(&["deploy", "{spec}", "--drain", "1s", "--format", "json"]);
        assert!(o.status.success(), "deploy: {}", text(&o));
        assert_eq!(stack.release(), "3");
        assert!(n > 50, "the load ran ({n} requests)");
        assert!(
            failures.is_empty(),
            "deploy lost {} of {n} requests: {failures:?}",
            failures.len()
        );
        eprintln!("deploy: 0 of {n} requests failed");
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert!(
            v["actions"]
                .as_array()
                .unwrap()
                .iter()
                .any(|a| a["action"] == "rollout"),
            "{v}"
        );
        assert!(
            docker(&["inspect", &format!("{}-api-next", stack.prefix)])
                .status
                .code()
                != Some(0)
        );

        // A release that never becomes healthy: deploy fails, the old one still serves.
        stack.write_spec("4", true);
        let (o, n, failures) = stack.under_load(&["deploy", "{spec}", "--timeout", "20"]);
        assert_eq!(o.status.code(), Some(1), "{}", text(&o));
        assert!(
            text(&o).contains("the old one still serves"),
            "{}",
            text(&o)
        );
        assert!(
            failures.is_empty(),
            "a failed deploy lost {} of {n} requests: {failures:?}",
            failures.len()
        );
        assert_eq!(stack.release(), "3");
        assert!(
            docker(&["inspect", &format!("{}-api-next", stack.prefix)])
                .status
                .code()
                != Some(0)
        );
        assert!(root_of(&stack).join(".banatie-infra.lock").exists());

        // Ten deploys in a row under one load (an app that listens after 2 s): not one
        // request lost, and each new release serves.
        let load = Load::start(&stack);
        let started = std::time::Instant::now();
        for i in 10..20 {
            stack.write_spec_warm(&i.to_string(), false, 2);
            let o = stack.run(&["deploy", "{spec}", "--drain", "1s"]);
            assert!(o.status.success(), "deploy {i}: {}", text(&o));
            assert_eq!(stack.release(), i.to_string());
        }
        let (n, failures) = load.stop();
        eprintln!(
            "10 deploys in {:.1}s: {} of {n} requests failed",
            started.elapsed().as_secs_f64(),
            failures.len()
        );
        assert!(n > 200, "the load ran ({n} requests)");
        assert!(
            failures.is_empty(),
            "10 deploys lost {} of {n} requests: {failures:?}",
            failures.len()
        );

        // The database password rotated under load: ALTER ROLE in the running server,
        // the app rolled onto the new DATABASE_URL, the server kept; not one request lost.
        let env_file = root_of(&stack).join(format!("secrets/{}-api.env", stack.prefix));
        let before = std::fs::read_to_string(&env_file).unwrap();
        let db = docker_ok(&["inspect", "-f", "{{.Id}}", &format!("{}-db", stack.prefix)]);
        let (o, n, failures) = stack.under_load(&[
            "secrets",
            "rotate",
            "POSTGRES_PASSWORD",
            "{spec}",
            "--drain",
            "1s",
            "--format",
            "json",
        ]);
        assert!(o.status.success(), "rotate: {}", text(&o));
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(v["rotation"]["kind"], "database_password", "{v}");
        assert_eq!(
            v["redeployed"],
            serde_json::json!([format!("{}-api", stack.prefix)]),
            "{v}"
        );
        assert_ne!(
            std::fs::read_to_string(&env_file).unwrap(),
            before,
            "DATABASE_URL follows"
        );
        assert_eq!(
            docker_ok(&["inspect", "-f", "{{.Id}}", &format!("{}-db", stack.prefix)]),
            db,
            "the database kept running"
        );
        let secrets = std::fs::read_to_string(root_of(&stack).join("secrets.env")).unwrap();
        assert!(
            !text(&o).contains(
                secrets
                    .lines()
                    .find(|l| l.starts_with("POSTGRES_PASSWORD="))
                    .unwrap()
                    .split_once('=')
                    .unwrap()
                    .1
                    .trim_matches('\'')
            ),
            "the password leaked"
        );
        eprintln!("rotate under load: 0 of {n} requests failed");
        assert!(
            failures.is_empty(),
            "rotating lost {} of {n} requests: {failures:?}",
            failures.len()
        );
    }
}
