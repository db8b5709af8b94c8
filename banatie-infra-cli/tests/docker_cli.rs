//! The Docker verbs of the `banatie-infra` binary against the real engine: output, exit
//! codes and files. The stack is `banatie-infra-core/tests/fixtures/docker/stack.yaml`
//! under a unique prefix; images from `testimages/build.sh`. Nothing is skipped: without
//! an engine the tests that need one fail.

#[cfg(not(feature = "docker"))]
#[test]
fn the_docker_feature_is_enabled() {
    panic!("the Docker verbs need the `docker` feature (on by default)");
}

#[cfg(feature = "docker")]
mod docker_verbs {
    use std::io::Write;
    use std::path::{Path, PathBuf};
    use std::process::{Command, Output, Stdio};

    const TEMPLATE: &str =
        include_str!("../../banatie-infra-core/tests/fixtures/docker/stack.yaml");

    fn bin() -> Command {
        Command::new(env!("CARGO_BIN_EXE_banatie-infra"))
    }

    fn code(o: &Output) -> i32 {
        o.status.code().expect("exited")
    }

    fn stdout(o: &Output) -> String {
        String::from_utf8_lossy(&o.stdout).into_owned()
    }

    fn stderr(o: &Output) -> String {
        String::from_utf8_lossy(&o.stderr).into_owned()
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
        assert!(o.status.success(), "docker {args:?}: {}", stderr(&o));
        stdout(&o).trim().to_owned()
    }

    fn listing(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .map(|rd| {
                rd.filter_map(|e| e.ok()?.file_name().into_string().ok())
                    .collect()
            })
            .unwrap_or_default();
        v.sort();
        v
    }

    /// A test stack: unique prefix, temporary root, its proxy network; rendered and its
    /// secrets created by the binary itself. Removed on drop.
    struct CliStack {
        prefix: String,
        dir: tempfile::TempDir,
        spec: PathBuf,
    }

    impl CliStack {
        fn new(tag: &str) -> Self {
            let info = docker(&["info", "--format", "{{.ServerVersion}}"]);
            assert!(
                info.status.success(),
                "these tests need a running Docker engine: {}",
                stderr(&info)
            );
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
            docker_ok(&["network", "create", &format!("{prefix}-proxy")]);
            let spec = dir.path().join("spec.yaml");
            std::fs::write(
                &spec,
                TEMPLATE
                    .replace("@P@", &prefix)
                    .replace("@ROOT@", &dir.path().display().to_string()),
            )
            .unwrap();
            let s = CliStack { prefix, dir, spec };
            let root = s.root().display().to_string();
            let o = s.run(&["render", "{spec}", "-o", &root]);
            assert_eq!(code(&o), 0, "{}", stderr(&o));
            let o = s.run(&["secrets", "{spec}", "--dir", &root]);
            assert_eq!(code(&o), 0, "{}", stderr(&o));
            s
        }

        fn root(&self) -> &Path {
            self.dir.path()
        }

        fn svc(&self, short: &str) -> String {
            format!("{}-{short}", self.prefix)
        }

        /// Runs the binary; `{spec}` in an argument becomes the spec's path.
        fn run(&self, args: &[&str]) -> Output {
            self.run_stdin(args, None)
        }

        fn run_stdin(&self, args: &[&str], input: Option<&[u8]>) -> Output {
            self.run_with(args, input, &[])
        }

        fn run_with(&self, args: &[&str], input: Option<&[u8]>, env: &[(&str, &str)]) -> Output {
            let spec = self.spec.display().to_string();
            let args: Vec<String> = args.iter().map(|a| a.replace("{spec}", &spec)).collect();
            let mut child = bin()
                .args(&args)
                .envs(env.iter().copied())
                .stdin(if input.is_some() {
                    Stdio::piped()
                } else {
                    Stdio::null()
                })
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("the binary runs");
            if let Some(bytes) = input {
                child.stdin.take().unwrap().write_all(bytes).unwrap();
            }
            child.wait_with_output().unwrap()
        }

        /// The data rows of `status` (header skipped), by service.
        fn status_rows(&self, o: &Output) -> Vec<(String, String)> {
            let text = stdout(o);
            let mut lines = text.lines();
            let header = lines.next().expect("a header");
            assert!(
                header.starts_with("SERVICE")
                    && header.ends_with("VERDICT")
                    && ["KIND", "STATE", "HEALTH", "RESTARTS", "UPTIME", "IMAGE", "NETWORKS"]
                        .iter()
                        .all(|c| header.contains(c)),
                "{header}"
            );
            let col = header.find("VERDICT").unwrap();
            lines
                .map(|l| {
                    let name = l.split_whitespace().next().unwrap().to_owned();
                    (name, l.get(col..).unwrap_or_default().trim().to_owned())
                })
                .collect()
        }
    }

    impl Drop for CliStack {
        fn drop(&mut self) {
            let mut ids = Vec::new();
            for f in [
                format!("label=io.banatie-infra.stack={}", self.prefix),
                format!("name=^/{}-", self.prefix),
            ] {
                let o = docker(&["ps", "-aq", "--filter", &f]);
                ids.extend(stdout(&o).lines().map(ToOwned::to_owned));
            }
            ids.sort();
            ids.dedup();
            if !ids.is_empty() {
                let mut args = vec!["rm", "-f", "-v"];
                args.extend(ids.iter().map(String::as_str));
                docker(&args);
            }
            let internal = format!("{}-internal", self.prefix);
            let proxy = format!("{}-proxy", self.prefix);
            docker(&["network", "rm", &internal, &proxy]);
            let mounts = std::fs::read_to_string("/proc/self/mounts").unwrap_or_default();
            let root = self.root().display().to_string();
            for line in mounts.lines() {
                if let Some(p) = line.split(' ').nth(1).filter(|p| p.starts_with(&root)) {
                    let _ = Command::new("umount").args(["-l", p]).status();
                }
            }
        }
    }

    #[test]
    fn engine_unreachable_exits_2_and_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let spec = dir.path().join("spec.yaml");
        std::fs::write(
            &spec,
            TEMPLATE
                .replace("@P@", "bi-noengine")
                .replace("@ROOT@", &dir.path().display().to_string()),
        )
        .unwrap();
        let spec = spec.display().to_string();
        let backups = dir.path().join("backups");
        let b = backups.display().to_string();
        for args in [
            vec!["status", &spec],
            vec!["status", &spec, "--format", "json"],
            vec!["backup", "db", &spec, "--dir", &b],
            vec!["backup", "storage", &spec, "--dir", &b],
            vec!["up", &spec],
            vec!["down", &spec],
            vec!["exec", &spec, "bi-noengine-api", "--", "true"],
            vec!["drift", &spec],
        ] {
            let o = bin()
                .args(&args)
                .env("DOCKER_HOST", "unix:///nonexistent.sock")
                .stdin(Stdio::null())
                .output()
                .unwrap();
            assert_eq!(code(&o), 2, "{args:?}: {}", stderr(&o));
            assert!(
                stderr(&o).starts_with(
                    "error: no Docker engine at unix:///nonexistent.sock: the socket does not exist"
                ),
                "{args:?}: {}",
                stderr(&o)
            );
            assert!(stdout(&o).is_empty(), "{args:?}: {}", stdout(&o));
        }
        assert!(!backups.exists(), "{:?}", listing(&backups));
    }

    #[test]
    fn status_up_exec_backup_restore_and_down() {
        let s = CliStack::new("cli");
        let names: Vec<String> = ["api", "web", "db", "s3", "job"]
            .iter()
            .map(|x| s.svc(x))
            .collect();

        // Before `up`: every service missing, exit 1.
        let o = s.run(&["status", "{spec}"]);
        assert_eq!(code(&o), 1, "{}", stderr(&o));
        let rows = s.status_rows(&o);
        assert_eq!(
            rows.iter().map(|r| r.0.clone()).collect::<Vec<_>>(),
            names,
            "{}",
            stdout(&o)
        );
        assert!(rows.iter().all(|r| r.1 == "MISSING"), "{}", stdout(&o));
        let o = s.run(&["status", "{spec}", "--format", "json"]);
        assert_eq!(code(&o), 1);
        let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        let arr = json.as_array().unwrap();
        assert_eq!(arr.len(), 5);
        assert!(arr
            .iter()
            .all(|v| v["verdict"] == "missing" && v["container"].is_null()));

        // plan, then up.
        let o = s.run(&["plan", "{spec}"]);
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        let mut want = format!("create     network {}-internal (internal)\n", s.prefix);
        for n in &names {
            want.push_str(&format!("create     {n} (missing)\n"));
        }
        assert_eq!(stdout(&o), want);
        // With every log line on (BANATIE_LOG=trace): the steps are logged, and no value
        // of secrets.env appears (the engine's request bodies carry them as env).
        let o = s.run_with(
            &["up", "{spec}", "--timeout", "120"],
            None,
            &[("BANATIE_LOG", "trace")],
        );
        let err = stderr(&o);
        assert_eq!(code(&o), 0, "{err}");
        assert!(
            err.contains("health-check command run through exec"),
            "{err}"
        );
        let secrets = std::fs::read_to_string(s.root().join("secrets.env")).unwrap();
        for line in secrets
            .lines()
            .filter(|l| l.contains('=') && !l.starts_with('#'))
        {
            let (name, value) = line.split_once('=').unwrap();
            let value = value.trim_matches('\'');
            assert!(value.len() >= 8, "{name}");
            assert!(!err.contains(value), "the value of {name} in the log");
        }
        let err: String = err
            .lines()
            .filter(|l| !l.contains(" DEBUG ") && !l.contains(" TRACE "))
            .map(|l| format!("{l}\n"))
            .collect();
        for n in &names {
            assert!(
                err.contains(&format!("create     {n} (missing)\n")),
                "{err}"
            );
            assert!(err.contains(&format!("ready      {n} (")), "{err}");
        }
        let last = err.lines().last().unwrap();
        assert!(
            last.starts_with("done: 6 change(s), every service ready ("),
            "{err}"
        );

        // `up` returns once the health-check commands pass; `wait` until the engine's own
        // status agrees (its next check), then status: a table, every verdict ok, exit 0;
        // JSON likewise.
        let o = s.run(&["wait", "{spec}", "--timeout", "60"]);
        assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
        let o = s.run(&["status", "{spec}"]);
        assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
        let rows = s.status_rows(&o);
        assert!(rows.iter().all(|r| r.1 == "ok"), "{}", stdout(&o));
        let db_row = stdout(&o)
            .lines()
            .find(|l| l.starts_with(&s.svc("db")))
            .unwrap()
            .to_owned();
        let cells: Vec<&str> = db_row.split_whitespace().collect();
        assert_eq!(
            cells[1..5],
            ["postgres", "running", "healthy", "0"],
            "{db_row}"
        );
        assert_eq!(cells[6], "banatie-test/postgres:15");
        assert_eq!(cells[7], format!("{}-internal", s.prefix));
        let o = s.run(&["status", "{spec}", "--format", "json"]);
        assert_eq!(code(&o), 0);
        let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        for v in json.as_array().unwrap() {
            assert_eq!(v["verdict"], "ok", "{v}");
            assert_eq!(v["container"]["name"], v["service"]);
            assert!(
                v["container"].get("labels").is_none(),
                "labels stay private"
            );
        }
        let job = &json[4];
        assert_eq!(job["kind"], "job");
        assert_eq!(job["container"]["state"], "exited");
        assert_eq!(job["container"]["exit_code"], 0);

        // A second up does nothing; plan says so.
        let o = s.run(&["up", "{spec}"]);
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        assert!(
            stderr(&o)
                .lines()
                .last()
                .unwrap()
                .starts_with("up to date: nothing changed"),
            "{}",
            stderr(&o)
        );
        let o = s.run(&["plan", "{spec}"]);
        assert_eq!(code(&o), 0);
        assert!(stdout(&o).lines().all(|l| l.starts_with("keep       ")));
        assert_eq!(stderr(&o), "nothing to do: the stack matches the spec\n");
        let o = s.run(&["plan", "{spec}", "--format", "json"]);
        let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(json["actions"][0]["action"], "keep");
        assert_eq!(json["actions"][0]["service"], s.svc("api"));

        // exec: stdin streamed, exit code propagated.
        let api = s.svc("api");
        let o = s.run_stdin(
            &["exec", "{spec}", &api, "--", "sh", "-c", "cat; exit 7"],
            Some(b"through stdin\n"),
        );
        assert_eq!(code(&o), 7, "{}", stderr(&o));
        assert_eq!(stdout(&o), "through stdin\n");
        let o = s.run(&[
            "exec",
            "{spec}",
            &api,
            "--",
            "sh",
            "-c",
            "echo out; echo err >&2",
        ]);
        assert_eq!(code(&o), 0);
        assert_eq!(
            (stdout(&o).as_str(), stderr(&o).as_str()),
            ("out\n", "err\n")
        );
        let o = s.run(&["exec", "{spec}", &api, "--", "false"]);
        assert_eq!(code(&o), 1);
        let o = s.run(&["exec", "{spec}", "no-such-service", "--", "true"]);
        assert_eq!(code(&o), 2);
        assert!(
            stderr(&o).contains("no service `no-such-service`"),
            "{}",
            stderr(&o)
        );

        // logs, drift, doctor, wait.
        let o = s.run(&["logs", "{spec}", &s.svc("job")]);
        assert_eq!((code(&o), stdout(&o).as_str()), (0, "job done\n"));
        let o = s.run(&["logs", "{spec}", &s.svc("job"), "--tail", "0"]);
        assert_eq!((code(&o), stdout(&o).as_str()), (0, ""));
        let o = s.run(&["drift", "{spec}"]);
        assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
        assert!(
            stderr(&o).contains("0 difference(s) that matter"),
            "{}",
            stderr(&o)
        );
        let o = s.run(&["doctor", "{spec}"]);
        assert_eq!(code(&o), 0, "{}", stdout(&o));
        assert!(
            stdout(&o).starts_with("userns-remap: disabled"),
            "{}",
            stdout(&o)
        );
        assert!(
            stdout(&o).contains(&format!(
                "ok     {}/data/postgres ({}): owner 999\n",
                s.root().display(),
                s.svc("db")
            )),
            "{}",
            stdout(&o)
        );
        let o = s.run(&["wait", "{spec}", &s.svc("db"), "--timeout", "10"]);
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        assert_eq!(stderr(&o), "1 service(s) ready\n");

        // backup db: the path, size and checksum; the files are there.
        let o = s.run(&["backup", "db", "{spec}"]);
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        let out = stdout(&o);
        let mut lines = out.lines();
        let path = PathBuf::from(lines.next().unwrap());
        assert_eq!(path.parent().unwrap(), s.root().join("backups"));
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        assert!(
            name.starts_with("app_db_") && name.ends_with(".dump"),
            "{out}"
        );
        let sum = lines.next().unwrap();
        let hex = sum.split("sha256 ").nth(1).expect("a checksum line");
        assert_eq!(hex.len(), 64, "{out}");
        assert!(lines.next().unwrap().trim().ends_with("/s"), "{out}");
        assert_eq!(&std::fs::read(&path).unwrap()[..5], b"PGDMP");
        assert_eq!(
            std::fs::read_to_string(format!("{}.sha256", path.display())).unwrap(),
            format!("{hex}  {name}\n")
        );
        // ... into a directory that cannot be written: exit 1, nothing left.
        let ro = s.root().join("backups-ro");
        std::fs::create_dir_all(&ro).unwrap();
        let ro_s = ro.display().to_string();
        let m = Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=1m,ro", "tmpfs", &ro_s])
            .status()
            .unwrap();
        assert!(m.success(), "mount a read-only tmpfs (needs root)");
        let o = s.run(&["backup", "db", "{spec}", "--dir", &ro_s]);
        let _ = Command::new("umount").arg(&ro_s).status();
        assert_eq!(code(&o), 1, "{}", stderr(&o));
        assert!(
            stderr(&o).starts_with("error: backup failed: ")
                && stderr(&o).contains("Read-only file system")
                && stderr(&o).ends_with("no file was left at a final path\n"),
            "{}",
            stderr(&o)
        );
        assert!(stdout(&o).is_empty());
        assert!(listing(&ro).is_empty(), "{:?}", listing(&ro));

        // restore: refused without --yes, done with it.
        let dump = path.display().to_string();
        let o = s.run(&["restore", "db", "{spec}", &dump]);
        assert_eq!(code(&o), 1);
        assert!(
            stderr(&o).contains("restoring replaces the database `app_db`: confirm with --yes"),
            "{}",
            stderr(&o)
        );
        let o = s.run(&["restore", "db", "{spec}", &dump, "--yes"]);
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        assert!(
            stdout(&o).starts_with(&format!("restored {dump} in ")),
            "{}",
            stdout(&o)
        );

        // One service gone: status exits 1 and says which; wait times out on it.
        docker_ok(&["rm", "-f", &s.svc("web")]);
        let o = s.run(&["status", "{spec}"]);
        assert_eq!(code(&o), 1);
        for (name, verdict) in s.status_rows(&o) {
            let want = if name == s.svc("web") {
                "MISSING"
            } else {
                "ok"
            };
            assert_eq!(verdict, want, "{name}: {}", stdout(&o));
        }
        let o = s.run(&["wait", "{spec}", "--timeout", "1"]);
        assert_eq!(code(&o), 1);
        assert!(
            stderr(&o).contains(&format!(
                "timed out after 1s waiting for `{}` (missing)",
                s.svc("web")
            )),
            "{}",
            stderr(&o)
        );

        // down: the rest goes, with the network; data stays.
        let o = s.run(&["down", "{spec}", "--networks"]);
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        let mut want: Vec<String> = names
            .iter()
            .filter(|n| **n != s.svc("web"))
            .map(|n| format!("removed container {n}"))
            .collect();
        want.sort();
        want.push(format!("removed network {}-internal", s.prefix));
        assert_eq!(stdout(&o).lines().collect::<Vec<_>>(), want);
        assert_eq!(
            stderr(&o),
            format!(
                "{}: 4 container(s), 1 network(s) removed; data directories untouched\n",
                s.prefix
            )
        );
        assert!(s.root().join("data/postgres/PG_VERSION").is_file());
        assert!(path.is_file(), "the backup stays");
        let o = s.run(&["status", "{spec}"]);
        assert_eq!(code(&o), 1);
        let o = s.run(&["backup", "db", "{spec}"]);
        assert_eq!(code(&o), 1);
        assert!(
            stderr(&o).contains(&format!("service `{}` has no container", s.svc("db"))),
            "{}",
            stderr(&o)
        );
        assert_eq!(listing(&s.root().join("backups")).len(), 2);
    }

    fn json_of(o: &Output) -> serde_json::Value {
        serde_json::from_slice(&o.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}\nstderr: {}", stdout(o), stderr(o)))
    }

    fn keys(v: &serde_json::Value) -> Vec<String> {
        v.as_object().expect("an object").keys().cloned().collect()
    }

    /// `--format json` of plan, up, wait, doctor, drift, backup, restore and down: the
    /// shapes of the README's CLI section, against the engine.
    #[test]
    fn every_docker_verb_speaks_json() {
        let s = CliStack::new("json");
        let root = s.root().display().to_string();
        let o = s.run(&["plan", "{spec}", "--root", &root, "--format", "json"]);
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        let plan = json_of(&o);
        assert_eq!(keys(&plan), ["actions"]);
        assert_eq!(plan["actions"][0]["action"], "create_network");
        assert!(plan["actions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["action"] == "create" && a["service"] == s.svc("db")));

        let o = s.run(&["up", "{spec}", "--timeout", "120", "--format", "json"]);
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        let up = json_of(&o);
        assert_eq!(
            keys(&up),
            ["ok", "error", "noop", "changes", "seconds", "actions", "ready", "release"]
        );
        assert_eq!(up["ok"], true);
        let release = up["release"]
            .as_str()
            .expect("up recorded a release")
            .to_owned();
        let o = s.run(&["releases", "{spec}", "--format", "json"]);
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        let rels = json_of(&o);
        assert_eq!(rels[0]["id"], release.as_str(), "{rels}");
        assert_eq!(rels[0]["verb"], "up");
        assert_eq!(
            keys(&rels[0]),
            [
                "id",
                "created",
                "who",
                "host",
                "verb",
                "spec_hash",
                "services"
            ]
        );
        assert_eq!(up["noop"], false);
        assert_eq!(up["changes"], 6);
        assert_eq!(up["actions"], plan["actions"]);
        assert!(up["ready"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["service"] == s.svc("db") && r["seconds"].is_number()));

        let o = s.run(&["wait", "{spec}", "--timeout", "60", "--format", "json"]);
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        let w = json_of(&o);
        assert_eq!(keys(&w), ["ready", "error", "services"]);
        assert_eq!(w["ready"], true);
        assert_eq!(w["services"].as_array().unwrap().len(), 5);
        let o = s.run(&["wait", "{spec}", "nosuch", "--format", "json"]);
        assert_eq!(code(&o), 1);
        let w = json_of(&o);
        assert_eq!(w["ready"], false);
        assert!(w["error"].as_str().unwrap().contains("nosuch"), "{w}");

        let o = s.run(&["drift", "{spec}", "--format", "json"]);
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        assert!(json_of(&o).is_array());

        let o = s.run(&["doctor", "{spec}", "--format", "json"]);
        let d = json_of(&o);
        assert_eq!(
            keys(&d),
            [
                "ok",
                "userns_remap",
                "base",
                "base_source",
                "mismatch",
                "dirs"
            ]
        );
        assert_eq!(code(&o), if d["ok"] == true { 0 } else { 1 }, "{d}");

        let o = s.run(&["backup", "db", "{spec}", "--format", "json"]);
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        let b = json_of(&o);
        assert_eq!(
            keys(&b),
            ["what", "path", "bytes", "sha256", "seconds", "removed"]
        );
        assert_eq!(b["what"], "db");
        assert_eq!(b["sha256"].as_str().unwrap().len(), 64);
        let dump = b["path"].as_str().unwrap().to_owned();
        assert_eq!(
            std::fs::metadata(&dump).unwrap().len(),
            b["bytes"].as_u64().unwrap()
        );

        let o = s.run(&[
            "restore", "db", "{spec}", &dump, "--yes", "--format", "json",
        ]);
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        let r = json_of(&o);
        assert_eq!(keys(&r), ["what", "path", "seconds"]);
        assert_eq!(r["path"], dump.as_str());

        let o = s.run(&["down", "{spec}", "--networks", "--format", "json"]);
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        let d = json_of(&o);
        assert_eq!(keys(&d), ["stack", "containers", "networks"]);
        assert_eq!(d["containers"].as_array().unwrap().len(), 5);
        assert_eq!(
            d["networks"],
            serde_json::json!([format!("{}-internal", s.prefix)])
        );
    }
}
