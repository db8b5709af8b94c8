//! Attacks on the deployment root, end to end through the `banatie-infra` binary (issue 13,
//! items 3 and 6, and the output roots of item 2). Each kind it guards:
//!
//! - **Writes through a symlinked directory**: `scripts/`, `caddy/`, a nested
//!   `scripts/<storage>/` that is a symlink to a directory elsewhere: `render -o` refuses
//!   (BI701), nothing lands in the target.
//! - **A symlink at a bundle file's path**, for every file of the bundle: `render` refuses
//!   (BI701) and leaves the link and its target alone; `--check` reports it (`unsafe:`)
//!   without printing the target.
//! - **`--check` printing what the tool did not write**: `.env -> secrets.env` (symlink),
//!   a hard link to `secrets.env`, a copy of `secrets.env`: no secret byte is printed.
//! - **FIFOs and devices at a bundle path**: `--check` and `secrets` return at once (run
//!   under a timeout), reporting them, never reading them.
//! - **A symlinked `secrets.env`**: `secrets` refuses (BI701), the target is untouched.
//! - **The root given by the user is a symlink**: followed (documented choice: the path
//!   the user typed is resolved once; nothing below it is followed).
//! - **System directories as a root**: `-o /`, `-o /etc`, `-o /tmp/..`, a symlink to
//!   `/etc`, `$HOME`; `secrets --dir /`: BI702, exit 2.
//! - **An existing non-bundle directory**: refused (BI703) unless `--force`; a bundle
//!   directory and a directory with only `secrets.env` are accepted; a hand-written
//!   Compose file beside a `secrets.env` is not a bundle.
//! - **`import -o` onto its own input**: the same path, another spelling, a hard link, a
//!   symlink, the `.env` it read: BI704, the input unchanged.
//! - **Lost updates**: 8 concurrent `secrets` processes on a fresh directory: exactly one
//!   generates each value, all others keep it; the file has each name once, mode 0600.
//! - **A held lock**: a run waits, then fails with BI705 naming the holder's pid.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const SPEC: &str = "examples/banatie.yaml";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The binary under test (`BANATIE_TEST_BIN` overrides it, to run these attacks against
/// another build, for example main's).
fn bin() -> Command {
    let exe = std::env::var("BANATIE_TEST_BIN")
        .unwrap_or_else(|_| env!("CARGO_BIN_EXE_banatie-infra").to_owned());
    let mut c = Command::new(exe);
    c.current_dir(repo());
    c.env_remove("BANATIE_LOCK_WAIT");
    c
}

/// Runs with a 20 s limit: a run that blocks (on a FIFO) fails the test instead of
/// hanging it.
fn run_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = bin();
    c.args(args)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().expect("the binary runs");
    let start = Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if start.elapsed() > Duration::from_secs(20) {
            child.kill().ok();
            panic!("`banatie-infra {}` still runs after 20 s", args.join(" "));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().expect("output")
}

fn run(args: &[&str]) -> Output {
    run_env(args, &[])
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn code(o: &Output) -> i32 {
    o.status.code().expect("exited")
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A rendered bundle in `<tmp>/out`, plus a directory `<tmp>/elsewhere`.
fn rendered() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("out");
    let elsewhere = t.path().join("elsewhere");
    std::fs::create_dir(&elsewhere).unwrap();
    let o = run(&["render", SPEC, "-o", s(&out)]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    (t, out, elsewhere)
}

/// Every file path of the rendered bundle, as `render` lists them.
fn bundle_paths(out: &Path) -> Vec<String> {
    let o = run(&["render", SPEC, "-o", s(out)]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    let paths: Vec<String> = String::from_utf8_lossy(&o.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().nth(1).map(ToOwned::to_owned))
        .collect();
    assert!(paths.len() >= 10, "{paths:?}");
    paths
}

fn assert_refused(o: &Output, code_: &str) {
    assert_eq!(code(o), 2, "{}", text(o));
    assert!(text(o).contains(&format!("error[{code_}]")), "{}", text(o));
}

#[test]
fn symlinked_directories_of_the_bundle_are_never_written_through() {
    for dir in ["scripts", "caddy", "scripts/banatie-storage-init"] {
        let (_t, out, elsewhere) = rendered();
        std::fs::remove_dir_all(out.join(dir)).unwrap();
        std::os::unix::fs::symlink(&elsewhere, out.join(dir)).unwrap();
        let o = run(&["render", SPEC, "-o", s(&out)]);
        assert_refused(&o, "BI701");
        assert!(
            text(&o).contains(&format!("{dir} is a symlink")),
            "{}",
            text(&o)
        );
        assert_eq!(
            std::fs::read_dir(&elsewhere).unwrap().count(),
            0,
            "{dir}: written through the symlink"
        );
        assert!(
            out.join(dir).is_symlink(),
            "{dir}: the symlink was replaced"
        );
        // --check reports it without following it.
        let o = run(&["render", SPEC, "-o", s(&out), "--check"]);
        assert_eq!(code(&o), 1, "{}", text(&o));
        assert!(text(&o).contains("unsafe:"), "{}", text(&o));
    }
}

#[test]
fn a_symlink_at_any_bundle_path_is_refused_and_not_shown() {
    let (t, out, _) = rendered();
    let target = t.path().join("target.txt");
    let secret = "TargetSecretNeverShown0123456789";
    for p in bundle_paths(&out) {
        std::fs::write(&target, format!("{secret}\n")).unwrap();
        std::fs::remove_file(out.join(&p)).unwrap();
        std::os::unix::fs::symlink(&target, out.join(&p)).unwrap();
        let o = run(&["render", SPEC, "-o", s(&out), "--check"]);
        assert_eq!(code(&o), 1, "{p}: {}", text(&o));
        assert!(!text(&o).contains(secret), "{p}: the target was printed");
        assert!(
            text(&o).contains(&format!("unsafe: {p}: {p} is a symlink")),
            "{p}: {}",
            text(&o)
        );
        let o = run(&["render", SPEC, "-o", s(&out)]);
        assert_refused(&o, "BI701");
        assert!(!text(&o).contains(secret), "{p}: the target was printed");
        assert!(out.join(&p).is_symlink(), "{p}: replaced silently");
        assert_eq!(
            std::fs::read_to_string(&target).unwrap(),
            format!("{secret}\n"),
            "{p}: the target was written"
        );
        std::fs::remove_file(out.join(&p)).unwrap();
        let o = run(&["render", SPEC, "-o", s(&out)]);
        assert_eq!(code(&o), 0, "{}", text(&o));
    }
}

#[test]
fn check_never_prints_secrets_env_through_a_link_or_a_copy() {
    let (_t, out, _) = rendered();
    let o = run(&["secrets", SPEC, "--dir", s(&out)]);
    assert_eq!(code(&o), 1, "{}", text(&o));
    let secrets = std::fs::read_to_string(out.join("secrets.env")).unwrap();
    let values: Vec<String> = banatie_infra_core::envfile::parse(&secrets)
        .unwrap()
        .into_iter()
        .map(|e| e.value)
        .filter(|v| v.len() >= 16)
        .collect();
    assert!(values.len() >= 5);
    let env = out.join(".env");
    type Make = fn(&Path, &Path);
    let ways: [(&str, Make); 4] = [
        ("symlink", |s, d| std::os::unix::fs::symlink(s, d).unwrap()),
        ("relative symlink", |_, d| {
            std::os::unix::fs::symlink("secrets.env", d).unwrap()
        }),
        ("hard link", |s, d| std::fs::hard_link(s, d).unwrap()),
        ("copy", |s, d| {
            std::fs::copy(s, d).unwrap();
        }),
    ];
    for (what, make) in ways {
        std::fs::remove_file(&env).unwrap();
        make(&out.join("secrets.env"), &env);
        let o = run(&["render", SPEC, "-o", s(&out), "--check"]);
        assert_eq!(code(&o), 1, "{what}: {}", text(&o));
        for v in &values {
            assert!(
                !text(&o).contains(v.as_str()),
                "{what}: a secret was printed"
            );
        }
        assert!(text(&o).contains(".env"), "{what}: {}", text(&o));
    }
    // The secrets.env the hard link and copy shared is intact.
    assert_eq!(
        std::fs::read_to_string(out.join("secrets.env")).unwrap(),
        secrets
    );
}

#[test]
fn fifos_and_devices_at_bundle_paths_are_reported_without_blocking() {
    let (_t, out, _) = rendered();
    for p in ["monitoring.json", "scripts/init-db.sql"] {
        std::fs::remove_file(out.join(p)).unwrap();
        let st = Command::new("mkfifo").arg(out.join(p)).status().unwrap();
        assert!(st.success(), "mkfifo");
    }
    std::fs::remove_file(out.join(".env")).unwrap();
    std::os::unix::fs::symlink("/dev/zero", out.join(".env")).unwrap();
    let o = run(&["render", SPEC, "-o", s(&out), "--check"]);
    assert_eq!(code(&o), 1, "{}", text(&o));
    assert!(
        text(&o).contains("monitoring.json is a FIFO, not written by banatie-infra"),
        "{}",
        text(&o)
    );
    assert!(
        text(&o).contains("scripts/init-db.sql is a FIFO"),
        "{}",
        text(&o)
    );
    assert!(text(&o).contains(".env is a symlink"), "{}", text(&o));
    let o = run(&["render", SPEC, "-o", s(&out)]);
    assert_refused(&o, "BI701");
    // A FIFO as secrets.env: refused at once.
    let st = Command::new("mkfifo")
        .arg(out.join("secrets.env"))
        .status()
        .unwrap();
    assert!(st.success());
    let o = run(&["secrets", SPEC, "--dir", s(&out)]);
    assert_refused(&o, "BI701");
}

#[test]
fn a_symlinked_secrets_env_is_refused_and_its_target_untouched() {
    let (t, out, _) = rendered();
    let target = t.path().join("elsewhere/secrets.env");
    std::fs::write(&target, "X=1\n").unwrap();
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o600)).unwrap();
    std::os::unix::fs::symlink(&target, out.join("secrets.env")).unwrap();
    let o = run(&["secrets", SPEC, "--dir", s(&out)]);
    assert_refused(&o, "BI701");
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "X=1\n");
    assert!(out.join("secrets.env").is_symlink());
}

#[test]
fn the_root_the_user_gives_may_be_a_symlink() {
    let t = tempfile::tempdir().unwrap();
    let real = t.path().join("real");
    std::fs::create_dir(&real).unwrap();
    let link = t.path().join("link");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let o = run(&["render", SPEC, "-o", s(&link)]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    assert!(real.join("docker-compose.yml").is_file());
    let o = run(&["secrets", SPEC, "--dir", s(&link)]);
    assert_eq!(code(&o), 1, "GEMINI_API_KEY is missing: {}", text(&o));
    assert!(real.join("secrets.env").is_file());
}

#[test]
fn system_directories_are_never_a_root() {
    // Never run against a build without the check: it would write into `/`.
    let t = tempfile::tempdir().unwrap();
    let to_etc = t.path().join("to-etc");
    std::os::unix::fs::symlink("/etc", &to_etc).unwrap();
    let home = t.path().join("home");
    std::fs::create_dir(&home).unwrap();
    std::fs::write(home.join(".profile"), "x\n").unwrap();
    for root in [
        "/",
        "/etc",
        "/usr",
        "/var",
        "/tmp/..",
        "/proc/self",
        s(&to_etc),
    ] {
        for args in [
            vec!["render", SPEC, "-o", root],
            vec!["render", SPEC, "-o", root, "--force"],
            vec!["render", SPEC, "-o", root, "--check"],
            vec!["secrets", SPEC, "--dir", root],
        ] {
            let o = run(&args);
            assert_refused(&o, "BI702");
        }
    }
    let o = run_env(
        &["render", SPEC, "-o", s(&home), "--force"],
        &[("HOME", s(&home))],
    );
    assert_refused(&o, "BI702");
    assert!(text(&o).contains("home directory"), "{}", text(&o));
    assert!(!home.join("docker-compose.yml").exists());
}

#[test]
fn a_non_empty_directory_that_is_no_bundle_needs_force() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path().join("project");
    std::fs::create_dir(&d).unwrap();
    std::fs::write(d.join("README"), "mine\n").unwrap();
    let o = run(&["render", SPEC, "-o", s(&d)]);
    assert_refused(&o, "BI703");
    assert!(text(&o).contains("--force"), "{}", text(&o));
    let o = run(&["secrets", SPEC, "--dir", s(&d)]);
    assert_refused(&o, "BI703");
    assert_eq!(std::fs::read_dir(&d).unwrap().count(), 1, "nothing written");

    // A hand-written deployment (Compose file without the header, secrets.env) is no
    // bundle either: rendering would replace its Compose file.
    let hand = t.path().join("hand");
    std::fs::create_dir(&hand).unwrap();
    std::fs::write(hand.join("docker-compose.yml"), "services: {}\n").unwrap();
    std::fs::write(hand.join("secrets.env"), "A=b\n").unwrap();
    std::fs::set_permissions(
        hand.join("secrets.env"),
        std::fs::Permissions::from_mode(0o600),
    )
    .unwrap();
    let o = run(&["render", SPEC, "-o", s(&hand)]);
    assert_refused(&o, "BI703");
    assert_eq!(
        std::fs::read_to_string(hand.join("docker-compose.yml")).unwrap(),
        "services: {}\n"
    );
    // `secrets` may complete its secrets.env (it writes nothing else).
    let o = run(&["secrets", SPEC, "--dir", s(&hand)]);
    assert_eq!(code(&o), 1, "{}", text(&o));
    assert!(std::fs::read_to_string(hand.join("secrets.env"))
        .unwrap()
        .starts_with("A=b\n"));

    // --force writes; the directory is a bundle from then on.
    let o = run(&["render", SPEC, "-o", s(&d), "--force"]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    let o = run(&["render", SPEC, "-o", s(&d)]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    assert_eq!(std::fs::read_to_string(d.join("README")).unwrap(), "mine\n");

    // The spec being rendered may live in its root.
    let with_spec = t.path().join("with-spec");
    std::fs::create_dir(&with_spec).unwrap();
    std::fs::copy(repo().join(SPEC), with_spec.join("spec.yaml")).unwrap();
    let spec_path = with_spec.join("spec.yaml");
    let o = run(&["render", s(&spec_path), "-o", s(&with_spec)]);
    assert_eq!(code(&o), 0, "{}", text(&o));

    // secrets first, render after: a directory with only secrets.env is a bundle's.
    let fresh = t.path().join("fresh");
    let o = run(&["secrets", SPEC, "--dir", s(&fresh)]);
    assert_eq!(code(&o), 1, "{}", text(&o));
    std::fs::remove_file(fresh.join(banatie_infra_core::lock::LOCK_FILE)).unwrap();
    let o = run(&["render", SPEC, "-o", s(&fresh)]);
    assert_eq!(code(&o), 0, "{}", text(&o));
}

#[test]
fn import_never_overwrites_its_own_input() {
    let t = tempfile::tempdir().unwrap();
    let hand = t.path().join("hand");
    std::fs::create_dir(&hand).unwrap();
    let compose = "services:\n  web:\n    image: nginx:1.27-alpine\n    env_file: [app.env]\n";
    std::fs::write(hand.join("docker-compose.yml"), compose).unwrap();
    std::fs::write(hand.join(".env"), "X=1\n").unwrap();
    std::fs::write(hand.join("app.env"), "Y=2\n").unwrap();
    std::fs::hard_link(hand.join("docker-compose.yml"), t.path().join("hard.yml")).unwrap();
    std::os::unix::fs::symlink(hand.join("app.env"), t.path().join("sym.yml")).unwrap();
    let other = format!("{}/../hand/./docker-compose.yml", s(&hand));
    let outputs: Vec<String> = vec![
        s(&hand.join("docker-compose.yml")).to_owned(),
        other,
        s(&hand.join(".env")).to_owned(),
        s(&hand.join("app.env")).to_owned(),
        s(&t.path().join("hard.yml")).to_owned(),
        s(&t.path().join("sym.yml")).to_owned(),
    ];
    for out in &outputs {
        let o = run(&["import", s(&hand), "-o", out]);
        assert_refused(&o, "BI704");
        assert_eq!(
            std::fs::read_to_string(hand.join("docker-compose.yml")).unwrap(),
            compose,
            "{out}"
        );
        assert_eq!(std::fs::read_to_string(hand.join(".env")).unwrap(), "X=1\n");
        assert_eq!(
            std::fs::read_to_string(hand.join("app.env")).unwrap(),
            "Y=2\n"
        );
    }
    // Explicit inputs too.
    let o = run(&[
        "import",
        "--compose",
        s(&hand.join("docker-compose.yml")),
        "-o",
        s(&t.path().join("hard.yml")),
    ]);
    assert_refused(&o, "BI704");
    // A new file is fine.
    let o = run(&["import", s(&hand), "-o", s(&t.path().join("spec.yaml"))]);
    assert!(code(&o) <= 1, "{}", text(&o));
    assert!(t.path().join("spec.yaml").is_file());
}

#[test]
fn eight_concurrent_secrets_runs_serialize() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("fresh");
    let children: Vec<_> = (0..8)
        .map(|_| {
            bin()
                .args(["secrets", SPEC, "--dir", s(&dir)])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let outputs: Vec<Output> = children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect();
    let mut generated: std::collections::BTreeMap<String, usize> = Default::default();
    let mut created = 0;
    for o in &outputs {
        assert_eq!(code(o), 1, "GEMINI_API_KEY is missing: {}", text(o));
        for line in String::from_utf8_lossy(&o.stdout).lines() {
            let mut w = line.split_whitespace();
            if let (Some("generated"), Some(name)) = (w.next(), w.next()) {
                *generated.entry(name.to_owned()).or_default() += 1;
            }
        }
        if String::from_utf8_lossy(&o.stderr).contains(": created, mode 0600") {
            created += 1;
        }
    }
    assert_eq!(created, 1, "more than one run created the file");
    assert_eq!(generated.len(), 5, "{generated:?}");
    for (name, n) in &generated {
        assert_eq!(
            *n, 1,
            "{name} generated by {n} runs: a reported value was overwritten"
        );
        for o in &outputs {
            let out = String::from_utf8_lossy(&o.stdout);
            assert!(
                out.contains(&format!("generated  {name}"))
                    || out.contains(&format!("kept  {name}")),
                "{out}"
            );
        }
    }
    let path = dir.join("secrets.env");
    let text_ = std::fs::read_to_string(&path).unwrap();
    let entries = banatie_infra_core::envfile::parse(&text_).unwrap();
    let mut names: Vec<&str> = entries.iter().map(|e| e.key.as_str()).collect();
    let n = names.len();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), n, "a name twice: {names:?}");
    for g in generated.keys() {
        assert!(names.contains(&g.as_str()), "{g} missing");
    }
    assert_eq!(
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o600
    );
    // A ninth run keeps everything byte for byte.
    let o = run(&["secrets", SPEC, "--dir", s(&dir)]);
    assert_eq!(code(&o), 1);
    assert!(!String::from_utf8_lossy(&o.stdout).contains("generated"));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), text_);
}

#[test]
fn a_held_lock_makes_a_run_wait_then_name_the_holder() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("root");
    std::fs::create_dir(&dir).unwrap();
    let held = banatie_infra_core::lock::RootLock::acquire(&dir, "render").unwrap();
    let start = Instant::now();
    let o = run_env(
        &["secrets", SPEC, "--dir", s(&dir)],
        &[("BANATIE_LOCK_WAIT", "0.5")],
    );
    assert!(start.elapsed() >= Duration::from_millis(500));
    assert_refused(&o, "BI705");
    assert!(
        text(&o).contains(&format!("pid {}", std::process::id())),
        "{}",
        text(&o)
    );
    assert!(text(&o).contains("banatie-infra render"), "{}", text(&o));
    assert!(!dir.join("secrets.env").exists());
    let o = run_env(
        &["render", SPEC, "-o", s(&dir)],
        &[("BANATIE_LOCK_WAIT", "0.2")],
    );
    assert_refused(&o, "BI705");
    // Released: the next run goes through, and one that waits gets it when released.
    let mut child = bin()
        .args(["secrets", SPEC, "--dir", s(&dir)])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    drop(held);
    assert_eq!(
        child.wait().unwrap().code(),
        Some(1),
        "GEMINI_API_KEY is missing"
    );
    assert!(dir.join("secrets.env").is_file());
}
