//! Images from registries and from source, on the real engine through the binary: `up`
//! pulls a missing image from a real registry (Debian's `docker-registry`, started here on
//! 127.0.0.1 with htpasswd authentication) with the credentials `docker login` stored, or
//! those a credential helper gives; `--pull never` and bad credentials fail naming the
//! image and the registry, never printing a credential; a build streams its context with
//! `.dockerignore` applied and passes build args; a rebuilt image recreates its container;
//! a held root lock makes `up` wait or fail naming it. Nothing is skipped: without the
//! engine or the registry binary the tests fail.

#[cfg(feature = "docker")]
mod images {
    use std::net::TcpListener;
    use std::path::{Path, PathBuf};
    use std::process::{Child, Command, Output, Stdio};
    use std::time::{Duration, Instant};

    /// The registry's test account; the htpasswd fixture holds its bcrypt hash.
    const USER: &str = "tester";
    const PASSWORD: &str = "registry-test-password";
    const HTPASSWD: &str = include_str!("fixtures/registry/htpasswd");

    fn bin() -> Command {
        Command::new(env!("CARGO_BIN_EXE_banatie-infra"))
    }

    fn text(o: &Output) -> String {
        format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    }

    fn docker(args: &[&str], config: Option<&Path>) -> Output {
        let mut c = Command::new("docker");
        c.args(args).stdin(Stdio::null());
        if let Some(dir) = config {
            c.env("DOCKER_CONFIG", dir);
        }
        c.output().expect("docker runs")
    }

    fn docker_ok(args: &[&str]) -> String {
        let o = docker(args, None);
        assert!(o.status.success(), "docker {args:?}: {}", text(&o));
        String::from_utf8_lossy(&o.stdout).trim().to_owned()
    }

    /// Debian's registry on a free loopback port, storage and htpasswd in a temp dir.
    struct Registry {
        child: Child,
        host: String,
        _dir: tempfile::TempDir,
    }

    impl Registry {
        fn start() -> Registry {
            let info = docker(&["info", "--format", "{{.ServerVersion}}"], None);
            assert!(
                info.status.success(),
                "these tests need the engine: {}",
                text(&info)
            );
            let port = TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .expect("a free port")
                .port();
            let dir = tempfile::tempdir().unwrap();
            std::fs::write(dir.path().join("htpasswd"), HTPASSWD).unwrap();
            let config = format!(
                "version: 0.1\nlog: {{ level: error }}\nstorage: {{ filesystem: {{ rootdirectory: {d}/data }} }}\nhttp: {{ addr: \"127.0.0.1:{port}\" }}\nauth: {{ htpasswd: {{ realm: test, path: {d}/htpasswd }} }}\n",
                d = dir.path().display()
            );
            std::fs::write(dir.path().join("config.yml"), config).unwrap();
            let child = Command::new("docker-registry")
                .arg("serve")
                .arg(dir.path().join("config.yml"))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("Debian's docker-registry is installed (scripts/install-test-deps.sh)");
            let host = format!("127.0.0.1:{port}");
            let start = Instant::now();
            while std::net::TcpStream::connect(&host).is_err() {
                assert!(
                    start.elapsed() < Duration::from_secs(20),
                    "the registry did not start"
                );
                std::thread::sleep(Duration::from_millis(50));
            }
            Registry {
                child,
                host,
                _dir: dir,
            }
        }

        /// A Docker client configuration logged in with `docker login`.
        fn login(&self, dir: &Path) {
            let mut c = Command::new("docker");
            c.args(["login", "-u", USER, "--password-stdin", &self.host])
                .env("DOCKER_CONFIG", dir)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped());
            let mut child = c.spawn().unwrap();
            use std::io::Write;
            child
                .stdin
                .take()
                .unwrap()
                .write_all(PASSWORD.as_bytes())
                .unwrap();
            let o = child.wait_with_output().unwrap();
            assert!(o.status.success(), "docker login: {}", text(&o));
        }

        /// Pushes a local test image as `host/name:tag` and removes the local tag, so the
        /// engine has to pull it back.
        fn publish(&self, config: &Path, local: &str, name: &str) -> String {
            let remote = format!("{}/{name}", self.host);
            docker_ok(&["tag", local, &remote]);
            let o = docker(&["push", &remote], Some(config));
            assert!(o.status.success(), "docker push: {}", text(&o));
            docker_ok(&["rmi", &remote]);
            remote
        }
    }

    impl Drop for Registry {
        fn drop(&mut self) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }

    /// A one-service stack in a temporary root, rendered, its secrets made.
    struct Stack {
        prefix: String,
        dir: tempfile::TempDir,
        spec: PathBuf,
    }

    impl Stack {
        /// `services` is YAML under `services:` with `@P@` for the prefix.
        fn new(tag: &str, services: &str, source: Option<&Path>) -> Stack {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.subsec_nanos());
            let prefix = format!(
                "bi-{tag}-{:06x}",
                (nanos ^ (std::process::id() << 20)) & 0xff_ffff
            );
            let dir = tempfile::Builder::new()
                .prefix(&format!("{prefix}-"))
                .tempdir_in("/tmp")
                .unwrap();
            let source = source.map_or(String::new(), |s| {
                format!("  source: \"{}\"\n", s.display())
            });
            let yaml = format!(
                "stack:\n  name: \"{prefix}\"\n  root: \"{root}\"\n{source}  userns_remap: {{ enabled: false }}\nnetworks:\n  \"{prefix}-internal\": {{ internal: true }}\nservices:\n{}",
                services.replace("@P@", &prefix),
                root = dir.path().display(),
            );
            let spec = dir.path().join("spec.yaml");
            std::fs::write(&spec, yaml).unwrap();
            let s = Stack { prefix, dir, spec };
            let root = s.root().display().to_string();
            let o = s.run(&["render", "{spec}", "-o", &root], &[]);
            assert!(o.status.success(), "render: {}", text(&o));
            let o = s.run(&["secrets", "{spec}", "--dir", &root], &[]);
            assert!(o.status.success(), "secrets: {}", text(&o));
            s
        }

        fn root(&self) -> &Path {
            self.dir.path()
        }

        fn run(&self, args: &[&str], env: &[(&str, &Path)]) -> Output {
            let spec = self.spec.display().to_string();
            let args: Vec<String> = args.iter().map(|a| a.replace("{spec}", &spec)).collect();
            let mut c = bin();
            c.args(&args).stdin(Stdio::null());
            for (k, v) in env {
                c.env(k, v);
            }
            c.output().expect("the binary runs")
        }
    }

    impl Drop for Stack {
        fn drop(&mut self) {
            let o = docker(
                &[
                    "ps",
                    "-aq",
                    "--filter",
                    &format!("label=io.banatie-infra.stack={}", self.prefix),
                ],
                None,
            );
            for id in String::from_utf8_lossy(&o.stdout).lines() {
                docker(&["rm", "-f", id], None);
            }
            docker(
                &["network", "rm", &format!("{}-internal", self.prefix)],
                None,
            );
        }
    }

    fn sleeper(image: &str) -> String {
        format!(
            "  \"@P@-worker\":\n    kind: service\n    image: {image}\n    command: [sleep, \"3600\"]\n    networks: [\"@P@-internal\"]\n    stop_grace_period: 1s\n    health: {{ none: \"a sleeper\" }}\n"
        )
    }

    fn json(o: &Output) -> serde_json::Value {
        serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", text(o)))
    }

    fn actions(v: &serde_json::Value) -> Vec<String> {
        v["actions"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|a| a["action"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    #[test]
    fn up_pulls_a_missing_image_with_the_credentials_docker_login_stored() {
        let registry = Registry::start();
        let config = tempfile::tempdir().unwrap();
        registry.login(config.path());
        let image = registry.publish(config.path(), "banatie-test/job:1", "bi-pull/job:1");
        let stack = Stack::new("pull", &sleeper(&image), None);
        let env = [("DOCKER_CONFIG", config.path())];

        // `plan` says the image will be pulled; `--pull never` refuses to.
        let o = stack.run(&["plan", "{spec}", "--format", "json"], &env);
        assert!(
            actions(&json(&o)).contains(&"pull".to_owned()),
            "{}",
            text(&o)
        );
        let o = stack.run(&["up", "{spec}", "--pull", "never"], &env);
        assert_eq!(o.status.code(), Some(1), "{}", text(&o));
        assert!(
            text(&o).contains(&image) && text(&o).contains("--pull never"),
            "{}",
            text(&o)
        );

        // Without credentials the registry refuses: the error names image and registry
        // and says how to log in.
        let empty = tempfile::tempdir().unwrap();
        let o = stack.run(&["up", "{spec}"], &[("DOCKER_CONFIG", empty.path())]);
        assert_eq!(o.status.code(), Some(1), "{}", text(&o));
        let out = text(&o);
        assert!(out.contains(&format!("pulling `{image}`")), "{out}");
        assert!(out.contains(&format!("from {}", registry.host)), "{out}");
        assert!(
            out.contains(&format!("docker login {}", registry.host)),
            "{out}"
        );

        // With the stored login, `up` pulls it and the service runs.
        let o = stack.run(&["up", "{spec}", "--format", "json"], &env);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
        let v = json(&o);
        assert!(actions(&v).contains(&"pull".to_owned()), "{v}");
        assert!(!text(&o).contains(PASSWORD), "a credential in the output");
        docker_ok(&["image", "inspect", &image]);
        // A second `up` finds the image and changes nothing.
        let o = stack.run(&["up", "{spec}", "--format", "json"], &env);
        let v = json(&o);
        assert_eq!(v["noop"], true, "{v}");
        assert!(!actions(&v).contains(&"pull".to_owned()), "{v}");
        docker(&["rmi", "-f", &image], None);
    }

    #[test]
    fn a_credential_helper_answers_for_the_registry_and_bad_credentials_never_leak() {
        let registry = Registry::start();
        let login = tempfile::tempdir().unwrap();
        registry.login(login.path());
        let image = registry.publish(login.path(), "banatie-test/job:1", "bi-helper/job:1");
        let stack = Stack::new("helper", &sleeper(&image), None);

        // A wrong password in config.json: refused, and the password is never printed.
        let wrong = tempfile::tempdir().unwrap();
        let bad = "wrong-password-canary-4711";
        let auth = base64(&format!("{USER}:{bad}"));
        std::fs::write(
            wrong.path().join("config.json"),
            format!(
                "{{\"auths\": {{\"{}\": {{\"auth\": \"{auth}\"}}}}}}",
                registry.host
            ),
        )
        .unwrap();
        let o = stack.run(&["up", "{spec}"], &[("DOCKER_CONFIG", wrong.path())]);
        assert_eq!(o.status.code(), Some(1), "{}", text(&o));
        assert!(
            !text(&o).contains(bad) && !text(&o).contains(&auth),
            "{}",
            text(&o)
        );
        assert!(text(&o).contains(&registry.host), "{}", text(&o));

        // A credential helper named for the registry in `credHelpers` gives the login.
        let helper = tempfile::tempdir().unwrap();
        let script = helper.path().join("docker-credential-bitest");
        std::fs::write(
            &script,
            format!("#!/bin/sh\nread server\nprintf '{{\"ServerURL\":\"%s\",\"Username\":\"{USER}\",\"Secret\":\"{PASSWORD}\"}}' \"$server\"\n"),
        )
        .unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::write(
            helper.path().join("config.json"),
            format!("{{\"credHelpers\": {{\"{}\": \"bitest\"}}}}", registry.host),
        )
        .unwrap();
        let path = format!(
            "{}:{}",
            helper.path().display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let o = bin()
            .args(["up", &stack.spec.display().to_string()])
            .env("DOCKER_CONFIG", helper.path())
            .env("PATH", path)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
        assert!(!text(&o).contains(PASSWORD));
        docker(&["rmi", "-f", &image], None);
    }

    #[test]
    fn an_unreachable_registry_is_named_with_what_to_check() {
        let stack = Stack::new("unreach", &sleeper("127.0.0.1:9/bi-none/job:1"), None);
        let o = stack.run(&["up", "{spec}"], &[]);
        assert_eq!(o.status.code(), Some(1), "{}", text(&o));
        let out = text(&o);
        assert!(
            out.contains("127.0.0.1:9") && out.contains("cannot be reached"),
            "{out}"
        );
    }

    #[test]
    fn a_build_streams_its_context_without_what_dockerignore_excludes() {
        let src = tempfile::tempdir().unwrap();
        let s = src.path();
        std::fs::write(
            s.join("Dockerfile"),
            "FROM banatie-test/job:1\nARG GREETING=unset\nCOPY . /ctx\nRUN echo \"$GREETING\" > /greeting\n",
        )
        .unwrap();
        std::fs::write(
            s.join(".dockerignore"),
            "# not in the image\nnode_modules\n*.secret\n!keep.secret\n",
        )
        .unwrap();
        std::fs::create_dir_all(s.join("node_modules/pkg")).unwrap();
        std::fs::write(s.join("node_modules/pkg/index.js"), "x").unwrap();
        std::fs::write(s.join("db.secret"), "hunter2").unwrap();
        std::fs::write(s.join("keep.secret"), "public").unwrap();
        std::fs::write(s.join("app.sh"), "echo v1").unwrap();
        let services = "  \"@P@-worker\":\n    kind: worker\n    build:\n      dockerfile: Dockerfile\n      args: { GREETING: \"hello from args\" }\n    command: [sleep, \"3600\"]\n    networks: [\"@P@-internal\"]\n    stop_grace_period: 1s\n    health: { none: \"a sleeper\" }\n";
        let stack = Stack::new("build", services, Some(s));
        let o = stack.run(&["up", "{spec}", "--format", "json"], &[]);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
        assert!(
            actions(&json(&o)).contains(&"build".to_owned()),
            "{}",
            text(&o)
        );
        let image = docker_ok(&[
            "inspect",
            "--format",
            "{{.Config.Image}}",
            &format!("{}-worker", stack.prefix),
        ]);
        let run = |cmd: &str| docker_ok(&["run", "--rm", &image, "sh", "-c", cmd]);
        assert_eq!(run("cat /greeting"), "hello from args");
        assert_eq!(
            run("cd /ctx && find . -type f | sort | tr '\\n' ' '"),
            "./.dockerignore ./Dockerfile ./app.sh ./keep.secret"
        );

        // A changed source, rebuilt with `--build`: the container is recreated, its reason
        // names the image.
        std::fs::write(s.join("app.sh"), "echo v2").unwrap();
        let o = stack.run(&["up", "{spec}", "--build", "--format", "json"], &[]);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
        let v = json(&o);
        let recreate = v["actions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["action"] == "recreate")
            .unwrap_or_else(|| panic!("no recreate: {v}"));
        assert!(
            recreate["reason"]
                .as_str()
                .unwrap()
                .starts_with("image changed"),
            "{v}"
        );
        docker(&["rmi", "-f", &image], None);
    }

    #[test]
    fn a_held_root_lock_makes_up_wait_or_fail_naming_it() {
        let stack = Stack::new("lock", &sleeper("banatie-test/job:1"), None);
        let lock = stack.root().join(".banatie-infra.lock");
        // util-linux's flock holds the same flock(2) lock the tool takes.
        let mut holder = Command::new("flock")
            .arg(&lock)
            .args(["sleep", "4"])
            .spawn()
            .expect("flock runs");
        std::thread::sleep(Duration::from_millis(300));
        let o = stack.run(&["up", "{spec}", "--lock-wait", "0"], &[]);
        assert_eq!(o.status.code(), Some(2), "{}", text(&o));
        assert!(
            text(&o).contains("BI705") && text(&o).contains("is held by"),
            "{}",
            text(&o)
        );
        let o = stack.run(&["down", "{spec}", "--lock-wait", "0"], &[]);
        assert_eq!(o.status.code(), Some(2), "{}", text(&o));
        // Waiting long enough, `up` gets the lock once the holder is done.
        let started = Instant::now();
        let o = stack.run(&["up", "{spec}", "--lock-wait", "30s"], &[]);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
        assert!(
            started.elapsed() >= Duration::from_secs(1),
            "it waited for the holder"
        );
        holder.wait().unwrap();
        // The stack's engine-wide lock: a run of the same stack from another root.
        let stack_lock = format!("/run/lock/banatie-infra/{}.lock", stack.prefix);
        let mut other = Command::new("flock")
            .arg(&stack_lock)
            .args(["sleep", "2"])
            .spawn()
            .expect("flock runs");
        std::thread::sleep(Duration::from_millis(300));
        let o = stack.run(&["up", "{spec}", "--lock-wait", "0"], &[]);
        assert_eq!(o.status.code(), Some(2), "{}", text(&o));
        assert!(text(&o).contains(&stack_lock), "{}", text(&o));
        other.wait().unwrap();
        let _ = std::fs::remove_file(&stack_lock);
        let o = stack.run(&["up", "{spec}", "--lock-wait", "soon"], &[]);
        assert_eq!(o.status.code(), Some(2), "{}", text(&o));
        assert!(text(&o).contains("not a wait"), "{}", text(&o));
    }

    fn sleeper_release(release: &str) -> String {
        format!(
            "  \"@P@-worker\":\n    kind: service\n    image: banatie-test/job:1\n    command: [sleep, \"3600\"]\n    environment: {{ RELEASE: \"{release}\" }}\n    networks: [\"@P@-internal\"]\n    stop_grace_period: 1s\n    health: {{ none: \"a sleeper\" }}\n"
        )
    }

    fn env_of(container: &str, var: &str) -> String {
        docker_ok(&[
            "inspect",
            "--format",
            "{{range .Config.Env}}{{println .}}{{end}}",
            container,
        ])
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{var}=")).map(ToOwned::to_owned))
        .unwrap_or_default()
    }

    #[test]
    fn deploys_record_releases_and_rollback_returns_to_one() {
        let stack = Stack::new("rel", &sleeper_release("1"), None);
        let svc = format!("{}-worker", stack.prefix);
        let rerender = |release: &str| {
            let yaml = std::fs::read_to_string(&stack.spec).unwrap();
            let cut = yaml.find("services:\n").unwrap() + "services:\n".len();
            let services = sleeper_release(release).replace("@P@", &stack.prefix);
            std::fs::write(&stack.spec, format!("{}{services}", &yaml[..cut])).unwrap();
            let root = stack.root().display().to_string();
            let o = stack.run(&["render", "{spec}", "-o", &root], &[]);
            assert!(o.status.success(), "render: {}", text(&o));
        };
        let deploy = || {
            let o = stack.run(
                &["deploy", "{spec}", "--drain", "0", "--format", "json"],
                &[],
            );
            assert_eq!(o.status.code(), Some(0), "{}", text(&o));
            json(&o)["release"]
                .as_str()
                .expect("a release recorded")
                .to_owned()
        };
        let r1 = deploy();
        rerender("2");
        let r2 = deploy();
        assert_ne!(r1, r2);
        assert_eq!(env_of(&svc, "RELEASE"), "2");

        // `releases`: newest first, each service's image kept by its release tag.
        let o = stack.run(&["releases", "{spec}", "--format", "json"], &[]);
        let list = json(&o);
        let ids: Vec<&str> = list
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, [r2.as_str(), r1.as_str()], "{list}");
        let pin1 = list[1]["services"][&svc]["pin"]
            .as_str()
            .unwrap()
            .to_owned();
        docker_ok(&["image", "inspect", &pin1]);
        let o = stack.run(&["releases", "{spec}"], &[]);
        assert!(
            text(&o).starts_with("RELEASE") && text(&o).contains(&r1),
            "{}",
            text(&o)
        );

        // `rollback` returns to the release before the newest, start-first, and records
        // itself; the root's files are the release's again.
        let o = stack.run(
            &["rollback", "{spec}", "--drain", "0", "--format", "json"],
            &[],
        );
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
        let v = json(&o);
        assert_eq!(v["target"], r1.as_str(), "{v}");
        assert!(actions(&v).contains(&"rollout".to_owned()), "{v}");
        assert_eq!(env_of(&svc, "RELEASE"), "1");
        let compose = std::fs::read_to_string(stack.root().join("docker-compose.yml")).unwrap();
        assert!(compose.contains("RELEASE: '1'"), "{compose}");
        let o = stack.run(&["releases", "{spec}", "--format", "json"], &[]);
        let all = json(&o);
        let newest = &all[0];
        assert_eq!(newest["verb"], "rollback");
        assert_eq!(
            all.as_array().unwrap().len(),
            3,
            "one release for the rollback: {all}"
        );
        assert_eq!(newest["rollback_of"], r1.as_str());
        let o = stack.run(&["rollback", "{spec}", "nope"], &[]);
        assert_eq!(o.status.code(), Some(1), "{}", text(&o));
        assert!(text(&o).contains("no release `nope`"), "{}", text(&o));

        // A `-next` container an interrupted deploy left is settled by the next run.
        docker_ok(&[
            "run",
            "-d",
            "--name",
            &format!("{svc}-next"),
            "--label",
            &format!("io.banatie-infra.stack={}", stack.prefix),
            "banatie-test/job:1",
            "sleep",
            "300",
        ]);
        let o = stack.run(&["up", "{spec}"], &[]);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
        assert!(text(&o).contains("leftover"), "{}", text(&o));
        assert!(!docker(&["inspect", &format!("{svc}-next")], None)
            .status
            .success());

        // Only the newest five releases are kept; the older ones' tags are gone.
        for n in 3..=7 {
            rerender(&n.to_string());
            deploy();
        }
        let o = stack.run(&["releases", "{spec}", "--format", "json"], &[]);
        assert_eq!(json(&o).as_array().unwrap().len(), 5);
        assert!(
            !docker(&["image", "inspect", &pin1], None).status.success(),
            "{pin1} still tagged"
        );
    }

    #[test]
    fn status_names_a_crash_loop_and_wait_gives_up_on_it() {
        let services = "  \"@P@-worker\":\n    kind: service\n    image: banatie-test/job:1\n    command: [sh, -c, \"echo starting; exit 3\"]\n    networks: [\"@P@-internal\"]\n    health: { none: \"a crasher\" }\n";
        let stack = Stack::new("crash", services, None);
        let o = stack.run(&["up", "{spec}", "--timeout", "10"], &[]);
        assert_eq!(o.status.code(), Some(1), "{}", text(&o));
        let deadline = Instant::now() + Duration::from_secs(30);
        let row = loop {
            let o = stack.run(&["status", "{spec}", "--format", "json"], &[]);
            let v = json(&o);
            let row = v[0].clone();
            let settled = row["verdict"] == "crash_loop"
                && row["detail"]
                    .as_str()
                    .is_some_and(|d| d.contains("last exit code 3"));
            if settled || Instant::now() > deadline {
                assert_eq!(o.status.code(), Some(1), "a crash loop fails status");
                break row;
            }
            std::thread::sleep(Duration::from_millis(300));
        };
        assert_eq!(row["verdict"], "crash_loop", "{row}");
        let detail = row["detail"].as_str().unwrap();
        assert!(detail.starts_with("restarted "), "{detail}");
        assert!(
            row["container"]["restart_count"].as_i64().unwrap() >= 3,
            "{row}"
        );
        let o = stack.run(&["status", "{spec}"], &[]);
        assert!(text(&o).contains("CRASH LOOP: restarted"), "{}", text(&o));
        // `wait` fails at once instead of waiting out its timeout.
        let started = Instant::now();
        let o = stack.run(&["wait", "{spec}", "--timeout", "60"], &[]);
        assert_eq!(o.status.code(), Some(1), "{}", text(&o));
        assert!(text(&o).contains("crash loop"), "{}", text(&o));
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "wait waited for a crash loop"
        );
    }

    /// Standard base64 (the Docker CLI's `auth` field).
    fn base64(s: &str) -> String {
        const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let b = s.as_bytes();
        let mut out = String::new();
        for chunk in b.chunks(3) {
            let n = chunk
                .iter()
                .enumerate()
                .fold(0u32, |n, (i, c)| n | (u32::from(*c) << (16 - 8 * i)));
            for i in 0..4 {
                if i <= chunk.len() {
                    out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
                } else {
                    out.push('=');
                }
            }
        }
        out
    }
}
