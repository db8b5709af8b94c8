//! The verbs that operate the running stack. Each converts arguments, calls
//! `banatie_infra_core::docker` and prints.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Duration;

use banatie_infra_core::docker::{self, Engine, ExecOutput, Progress, Verdict};
use banatie_infra_core::Spec;
use clap::Subcommand;

use crate::{load_spec, out, print_diagnostics, Failure, OutputFormat};

/// The Docker verbs.
#[derive(Subcommand)]
pub(crate) enum DockerCommand {
    /// Show every container of the stack: state, health, restarts, uptime, image, networks.
    /// Exit 1 when a service is missing, unhealthy or stopped (`starting` is not a failure).
    Status {
        /// The spec.
        file: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value = "human")]
        format: OutputFormat,
    },
    /// Block until the services (default: all) are healthy or completed.
    Wait {
        /// The spec.
        file: PathBuf,
        /// Services to wait for (default: all).
        services: Vec<String>,
        /// Give up after this many seconds.
        #[arg(long, default_value_t = 300)]
        timeout: u64,
    },
    /// Print a service's logs.
    Logs {
        /// The spec.
        file: PathBuf,
        /// The service.
        service: String,
        /// Keep following new output.
        #[arg(short, long)]
        follow: bool,
        /// Only the last N lines.
        #[arg(long)]
        tail: Option<u64>,
        /// Only output of the last N seconds.
        #[arg(long)]
        since: Option<u64>,
    },
    /// Run a command in a service's container; stdin and stdout are streamed and its exit
    /// code becomes ours.
    Exec {
        /// The spec.
        file: PathBuf,
        /// The service.
        service: String,
        /// The command and its arguments (after `--`).
        #[arg(last = true, required = true)]
        argv: Vec<String>,
    },
    /// Compare the running engine with the spec. Exit 1 on any error-level difference.
    Drift {
        /// The spec.
        file: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value = "human")]
        format: OutputFormat,
    },
    /// Back up the database (`backup db`) or the object storage (`backup storage`).
    Backup {
        /// What to back up.
        #[arg(value_enum)]
        what: BackupWhat,
        /// The spec.
        file: PathBuf,
        /// The backup directory. Default: `<root>/<backups.dir>`.
        #[arg(long)]
        dir: Option<PathBuf>,
        /// The directory of secrets.env (storage credentials). Default: the root.
        #[arg(long)]
        secrets_dir: Option<PathBuf>,
    },
    /// Restore the database from a dump made by `backup db` (checksum verified first).
    Restore {
        /// What to restore: `db`.
        #[arg(value_enum)]
        what: RestoreWhat,
        /// The spec.
        file: PathBuf,
        /// The dump.
        dump: PathBuf,
        /// Confirm: the restore replaces the database's contents.
        #[arg(long)]
        yes: bool,
    },
    /// Check userns-remap and the owners of bind-mounted data directories; print the exact
    /// `chown` needed (never run it).
    Doctor {
        /// The spec.
        file: PathBuf,
    },
    /// Show what `up` would do, each step with its reason. Changes nothing.
    Plan {
        /// The spec.
        file: PathBuf,
        /// The deployment root holding the rendered files and secrets.env. Default: the
        /// spec's root.
        #[arg(long)]
        root: Option<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value = "human")]
        format: OutputFormat,
    },
    /// Bring the stack to its spec and wait until every service is ready.
    ///
    /// Ready: a service's own health-check command passes (run through exec every 250 ms,
    /// so dependents start at once), a service without one runs, a job exited 0. The
    /// engine's health status turns `healthy` at its next scheduled check; run `wait`
    /// after `up` when a script reads `status` or `docker ps` next.
    Up {
        /// The spec.
        file: PathBuf,
        /// The deployment root. Default: the spec's root.
        #[arg(long)]
        root: Option<PathBuf>,
        /// Seconds one service may take to become ready.
        #[arg(long, default_value_t = 300)]
        timeout: u64,
        /// Build images even when they exist.
        #[arg(long)]
        build: bool,
    },
    /// Stop and remove the stack's containers (never data, never foreign containers).
    Down {
        /// The spec.
        file: PathBuf,
        /// Also remove the stack's own networks.
        #[arg(long)]
        networks: bool,
        /// Seconds to wait for a graceful stop.
        #[arg(long, default_value_t = 10)]
        timeout: i32,
    },
}

/// `backup` targets.
#[derive(Clone, Copy, clap::ValueEnum)]
pub(crate) enum BackupWhat {
    /// The PostgreSQL database (`pg_dump --format=custom`).
    Db,
    /// The object storage bucket (through its S3 API).
    Storage,
}

/// `restore` targets.
#[derive(Clone, Copy, clap::ValueEnum)]
pub(crate) enum RestoreWhat {
    /// The PostgreSQL database.
    Db,
}

fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Failure::Input(format!("cannot start the async runtime: {e}")))
}

fn spec_of(file: &Path) -> Result<Spec, Failure> {
    Ok(load_spec(file, OutputFormat::Human)?.spec)
}

fn docker_err(e: impl std::fmt::Display) -> Failure {
    Failure::Input(e.to_string())
}

fn human_secs(s: u64) -> String {
    match s {
        0..=59 => format!("{s}s"),
        60..=3599 => format!("{}m", s / 60),
        3600..=86_399 => format!("{}h{}m", s / 3600, s % 3600 / 60),
        _ => format!("{}d{}h", s / 86_400, s % 86_400 / 3600),
    }
}

fn human_bytes(b: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = b as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    format!("{v:.1} {}", UNITS[u])
}

/// A progress reporter: a spinner with bytes and rate on a terminal, nothing when piped.
fn progress_bar() -> (indicatif::ProgressBar, impl Fn(Progress) + Send + Sync) {
    let bar = if std::io::stderr().is_terminal() {
        let b = indicatif::ProgressBar::new_spinner();
        b.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} {msg} {bytes} ({bytes_per_sec}) {elapsed}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
        );
        b.enable_steady_tick(Duration::from_millis(120));
        b
    } else {
        indicatif::ProgressBar::hidden()
    };
    let b2 = bar.clone();
    (bar, move |p: Progress| match p {
        Progress::Phase(name) => {
            b2.set_message(name);
            b2.set_position(0);
        }
        Progress::Bytes(n) => b2.set_position(n),
    })
}

pub(crate) fn run(cmd: DockerCommand) -> Result<(), Failure> {
    let rt = runtime()?;
    rt.block_on(async move {
        let file = match &cmd {
            DockerCommand::Status { file, .. }
            | DockerCommand::Wait { file, .. }
            | DockerCommand::Logs { file, .. }
            | DockerCommand::Exec { file, .. }
            | DockerCommand::Drift { file, .. }
            | DockerCommand::Backup { file, .. }
            | DockerCommand::Restore { file, .. }
            | DockerCommand::Doctor { file }
            | DockerCommand::Plan { file, .. }
            | DockerCommand::Up { file, .. }
            | DockerCommand::Down { file, .. } => file.clone(),
        };
        let spec = spec_of(&file)?;
        let engine = Engine::connect().await.map_err(docker_err)?;
        match cmd {
            DockerCommand::Status { format, .. } => status(&engine, &spec, format).await,
            DockerCommand::Wait { services, timeout, .. } => {
                let r = docker::wait(&engine, &spec, &services, Duration::from_secs(timeout)).await;
                match r {
                    Ok(all) => {
                        let n = all.iter().filter(|s| services.is_empty() || services.contains(&s.service)).count();
                        say!("{n} service(s) ready");
                        Ok(())
                    }
                    Err(e) => {
                        say!("error: {e}");
                        Err(Failure::Findings)
                    }
                }
            }
            DockerCommand::Logs { service, follow, tail, since, .. } => {
                let opts = docker::LogsOptions { follow, tail, since_secs: since };
                docker::logs(&engine, &spec, &service, &opts, write_chunk).await.map_err(docker_err)
            }
            DockerCommand::Exec { service, argv, .. } => {
                let stdin = (!std::io::stdin().is_terminal()).then(tokio::io::stdin);
                let code = docker::exec(&engine, &spec, &service, &argv, stdin, write_chunk)
                    .await
                    .map_err(docker_err)?;
                if code == 0 {
                    Ok(())
                } else {
                    Err(Failure::Exit(u8::try_from(code).unwrap_or(1).max(1)))
                }
            }
            DockerCommand::Drift { format, .. } => {
                let mut diffs = docker::drift(&engine, &spec).await.map_err(docker_err)?;
                // Point each difference at the spec value it differs from.
                let loaded = load_spec(&file, OutputFormat::Human)?;
                loaded.source.annotate(&mut diffs);
                if matches!(format, OutputFormat::Json) || !diffs.is_empty() {
                    print_diagnostics(&diffs, &loaded.source.name, &loaded.source.text, format, false);
                }
                let errors = diffs.iter().filter(|d| d.is_error()).count();
                say!("{}: {errors} difference(s) that matter, {} warning(s)", spec.stack.name, diffs.len() - errors);
                if errors > 0 {
                    Err(Failure::Findings)
                } else {
                    Ok(())
                }
            }
            DockerCommand::Backup { what, dir, secrets_dir, .. } => {
                let root = PathBuf::from(spec.stack.root().as_str());
                let dir = dir.unwrap_or_else(|| root.join(spec.backups.dir.as_str()));
                // A backup written under the root holds the root's lock, like render and
                // secrets (a backup directory elsewhere needs none).
                // No symlink between the root and the backup directory is followed.
                let _lock = if dir.starts_with(&root) && root.is_dir() {
                    let lock = banatie_infra_core::lock::RootLock::acquire(&root, "backup")
                        .map_err(|e| crate::coded(e.to_string(), e.code(), e.help()))?;
                    let rel = dir
                        .strip_prefix(&root)
                        .unwrap_or(&dir)
                        .components()
                        .filter(|c| !matches!(c, std::path::Component::CurDir))
                        .map(|c| c.as_os_str().to_string_lossy().into_owned())
                        .collect::<Vec<_>>()
                        .join("/");
                    if !rel.is_empty() {
                        banatie_infra_core::jail::Root::open(&root)
                            .and_then(|r| r.check_dir(&rel))
                            .map_err(|e| crate::coded(e.to_string(), e.code(), e.help()))?;
                    }
                    Some(lock)
                } else {
                    None
                };
                let (bar, report) = progress_bar();
                let r = match what {
                    BackupWhat::Db => docker::backup_db(&engine, &spec, &dir, &report).await,
                    BackupWhat::Storage => {
                        let sd = secrets_dir.unwrap_or_else(|| root.clone());
                        docker::backup_storage(&engine, &spec, &dir, &sd, &report).await
                    }
                };
                bar.finish_and_clear();
                let r = r.map_err(|e| {
                    say!("error: backup failed: {e}");
                    say!("no file was left at a final path");
                    Failure::Findings
                })?;
                let secs = r.elapsed.as_secs_f64().max(0.001);
                out(&format!(
                    "{}\n  {}  sha256 {}\n  {:.1}s, {}/s\n",
                    r.path.display(),
                    human_bytes(r.bytes),
                    r.sha256,
                    secs,
                    human_bytes((r.bytes as f64 / secs) as u64)
                ));
                for p in &r.removed {
                    out(&format!("  removed old backup {}\n", p.display()));
                }
                Ok(())
            }
            DockerCommand::Restore { dump, yes, .. } => {
                let r = docker::restore_db(&engine, &spec, &dump, yes).await.map_err(|e| {
                    say!("error: restore failed: {e}");
                    Failure::Findings
                })?;
                out(&format!("restored {} in {:.1}s\n", r.path.display(), r.elapsed.as_secs_f64()));
                Ok(())
            }
            DockerCommand::Plan { root, format, .. } => {
                let root = root.unwrap_or_else(|| PathBuf::from(spec.stack.root().as_str()));
                let plan = docker::plan(&engine, &spec, &root).await.map_err(docker_err)?;
                match format {
                    OutputFormat::Json => {
                        let mut s = serde_json::to_string_pretty(&plan).map_err(docker_err)?;
                        s.push('\n');
                        out(&s);
                    }
                    OutputFormat::Human => {
                        let mut text = String::new();
                        for a in &plan.actions {
                            text.push_str(&describe(a));
                            text.push('\n');
                        }
                        out(&text);
                        if plan.is_noop() {
                            say!("nothing to do: the stack matches the spec");
                        }
                    }
                }
                Ok(())
            }
            DockerCommand::Up { root, timeout, build, .. } => {
                let root = root.unwrap_or_else(|| PathBuf::from(spec.stack.root().as_str()));
                let opts = docker::UpOptions { timeout: Duration::from_secs(timeout), build };
                let verbose = std::io::stderr().is_terminal();
                let report = move |e: docker::UpEvent| match e {
                    docker::UpEvent::Step(a) => say!("{}", describe(&a)),
                    docker::UpEvent::BuildOutput(s, line) => {
                        if verbose {
                            say!("  {s} | {line}");
                        }
                    }
                    docker::UpEvent::Ready(s, t) => say!("ready      {s} ({:.1}s)", t.as_secs_f64()),
                };
                let started = std::time::Instant::now();
                let result = tokio::select! {
                    r = docker::up(&engine, &spec, &root, &opts, &report) => r,
                    _ = tokio::signal::ctrl_c() => {
                        say!("interrupted: run `banatie-infra up` again to finish (every step is idempotent)");
                        return Err(Failure::Exit(130));
                    }
                };
                match result {
                    Ok(plan) if plan.is_noop() => {
                        say!("up to date: nothing changed ({:.1}s)", started.elapsed().as_secs_f64());
                        Ok(())
                    }
                    Ok(plan) => {
                        let n = plan.actions.iter().filter(|a| a.changes()).count();
                        say!("done: {n} change(s), every service ready ({:.1}s)", started.elapsed().as_secs_f64());
                        Ok(())
                    }
                    Err(e) => {
                        say!("error: {e}");
                        Err(Failure::Findings)
                    }
                }
            }
            DockerCommand::Down { networks, timeout, .. } => {
                let r = docker::down(&engine, &spec, networks, timeout).await.map_err(docker_err)?;
                let mut text = String::new();
                for c in &r.containers {
                    text.push_str(&format!("removed container {c}\n"));
                }
                for n in &r.networks {
                    text.push_str(&format!("removed network {n}\n"));
                }
                out(&text);
                say!("{}: {} container(s), {} network(s) removed; data directories untouched", spec.stack.name, r.containers.len(), r.networks.len());
                Ok(())
            }
            DockerCommand::Doctor { .. } => {
                let r = docker::doctor(&engine, &spec).await.map_err(docker_err)?;
                let mut text = format!(
                    "userns-remap: {} (base {} from {})\n",
                    if r.userns_remap { "enabled" } else { "disabled" },
                    r.base,
                    r.base_source
                );
                if let Some(m) = &r.mismatch {
                    text.push_str(&format!("warning: {m}\n"));
                }
                for d in &r.dirs {
                    let actual = d.actual_uid.map_or_else(|| "missing".to_owned(), |u| u.to_string());
                    match &d.fix {
                        None => text.push_str(&format!("ok     {} ({}): owner {actual}\n", d.path.display(), d.service)),
                        Some(fix) => text.push_str(&format!(
                            "wrong  {} ({}): owner {actual}, container UID {} needs {}\n       fix: {fix}\n",
                            d.path.display(),
                            d.service,
                            d.container_uid,
                            d.expected_uid
                        )),
                    }
                }
                out(&text);
                if r.has_problems() {
                    Err(Failure::Findings)
                } else {
                    Ok(())
                }
            }
        }
    })
}

fn describe(a: &docker::Action) -> String {
    use docker::Action;
    match a {
        Action::CreateNetwork { network, internal } => format!(
            "create     network {network}{}",
            if *internal { " (internal)" } else { "" }
        ),
        Action::Build { service, image } => format!("build      {service} -> {image}"),
        Action::Create { service } => format!("create     {service} (missing)"),
        Action::Recreate { service, reason } => format!("recreate   {service} ({reason})"),
        Action::Start { service, reason } => format!("start      {service} ({reason})"),
        Action::Restart { service, because } => {
            format!("restart    {service} (dependency {because} is recreated)")
        }
        Action::Keep { service } => format!("keep       {service}"),
    }
}

fn write_chunk(stream: ExecOutput, chunk: &[u8]) {
    use std::io::Write;
    match stream {
        ExecOutput::Stdout => {
            let mut o = std::io::stdout().lock();
            if o.write_all(chunk).and_then(|()| o.flush()).is_err() {
                std::process::exit(0);
            }
        }
        ExecOutput::Stderr => {
            let _ = std::io::stderr().write_all(chunk);
        }
    }
}

async fn status(engine: &Engine, spec: &Spec, format: OutputFormat) -> Result<(), Failure> {
    let all = docker::status(engine, spec).await.map_err(docker_err)?;
    match format {
        OutputFormat::Json => {
            let mut s = serde_json::to_string_pretty(&all).map_err(docker_err)?;
            s.push('\n');
            out(&s);
        }
        OutputFormat::Human => {
            let mut rows = vec![[
                "SERVICE", "KIND", "STATE", "HEALTH", "RESTARTS", "UPTIME", "IMAGE", "NETWORKS",
                "VERDICT",
            ]
            .map(String::from)
            .to_vec()];
            for s in &all {
                let c = s.container.as_ref();
                let verdict = match &s.verdict {
                    Verdict::Ok => "ok".to_owned(),
                    Verdict::Starting => "starting".to_owned(),
                    Verdict::Unhealthy => "UNHEALTHY".to_owned(),
                    Verdict::Missing => "MISSING".to_owned(),
                    Verdict::Down(w) => format!("DOWN: {w}"),
                };
                rows.push(vec![
                    s.service.clone(),
                    s.kind.to_owned(),
                    c.map_or("-".into(), |c| c.state.clone()),
                    c.and_then(|c| c.health.clone())
                        .unwrap_or_else(|| "-".into()),
                    c.map_or("-".into(), |c| c.restart_count.to_string()),
                    c.and_then(|c| c.uptime_secs).map_or("-".into(), human_secs),
                    c.map_or("-".into(), |c| c.image.clone()),
                    c.map_or("-".into(), |c| c.networks.join(",")),
                    verdict,
                ]);
            }
            let widths: Vec<usize> = (0..rows[0].len())
                .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
                .collect();
            let mut text = String::new();
            for r in &rows {
                let line: Vec<String> = r
                    .iter()
                    .zip(&widths)
                    .map(|(c, w)| format!("{c:<w$}"))
                    .collect();
                text.push_str(line.join("  ").trim_end());
                text.push('\n');
            }
            out(&text);
        }
    }
    if all.iter().any(|s| s.verdict.is_failure()) {
        Err(Failure::Findings)
    } else {
        Ok(())
    }
}
