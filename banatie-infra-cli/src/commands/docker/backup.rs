//! `banatie-infra backup db|storage SPEC`: a verified backup (temporary file, fsync,
//! rename, SHA-256 sidecar, retention).
//!
//! JSON: `{"what": "db" | "storage", "path", "bytes", "sha256", "seconds",
//! "removed": [path]}`. A failed backup: exit 1, stderr, nothing on stdout.

use std::path::{Path, PathBuf};
use std::time::Duration;

use banatie_infra_core::docker::{self, Progress};
use serde_json::json;

use super::{root_or_spec, Ctx};
use crate::failure::{coded_err, Failure};
use crate::printer::{self, FormatArg};
use crate::spec_arg::SpecArg;

/// `backup` targets.
#[derive(Clone, Copy, clap::ValueEnum)]
pub(crate) enum BackupWhat {
    /// The PostgreSQL database (`pg_dump --format=custom`).
    Db,
    /// The object storage bucket (through its S3 API).
    Storage,
}

/// `backup`.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// What to back up.
    #[arg(value_enum)]
    what: BackupWhat,
    #[command(flatten)]
    pub(crate) spec: SpecArg,
    /// The backup directory. Default: `<root>/<backups.dir>`.
    #[arg(long)]
    dir: Option<PathBuf>,
    /// The deployment root: secrets.env (storage credentials) and the default backup
    /// directory. Default: the spec's root.
    #[arg(long, visible_alias = "secrets-dir", value_name = "DIR")]
    root: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) format: FormatArg,
}

/// Backs up the database or the storage.
pub(crate) async fn run(ctx: &Ctx, args: Args) -> Result<(), Failure> {
    let spec = &ctx.loaded.spec;
    let root = root_or_spec(args.root, ctx);
    let dir = args
        .dir
        .unwrap_or_else(|| root.join(spec.backups.dir.as_str()));
    let _lock = lock_root(&root, &dir)?;
    let (bar, report) = progress_bar();
    let r = match args.what {
        BackupWhat::Db => docker::backup_db(&ctx.engine, spec, &dir, &report).await,
        BackupWhat::Storage => {
            docker::backup_storage(&ctx.engine, spec, &dir, &root, &report).await
        }
    };
    bar.finish_and_clear();
    let r = r.map_err(|e| {
        say!("error: backup failed: {e}");
        say!("no file was left at a final path");
        Failure::Findings
    })?;
    let secs = r.elapsed.as_secs_f64().max(0.001);
    if args.format.format.is_json() {
        let removed: Vec<String> = r.removed.iter().map(|p| p.display().to_string()).collect();
        printer::json(json!({
            "what": match args.what { BackupWhat::Db => "db", BackupWhat::Storage => "storage" },
            "path": r.path.display().to_string(),
            "bytes": r.bytes,
            "sha256": r.sha256,
            "seconds": r.elapsed.as_secs_f64(),
            "removed": removed,
        }));
        return Ok(());
    }
    let mut text = format!(
        "{}\n  {}  sha256 {}\n  {:.1}s, {}/s\n",
        r.path.display(),
        human_bytes(r.bytes),
        r.sha256,
        secs,
        human_bytes((r.bytes as f64 / secs) as u64)
    );
    for p in &r.removed {
        text.push_str(&format!("  removed old backup {}\n", p.display()));
    }
    printer::out_redacted(&text);
    Ok(())
}

/// A backup written under the root holds the root's lock, like render and secrets (a
/// backup directory elsewhere needs none). No symlink between the root and the backup
/// directory is followed.
fn lock_root(
    root: &Path,
    dir: &Path,
) -> Result<Option<banatie_infra_core::lock::RootLock>, Failure> {
    if !(dir.starts_with(root) && root.is_dir()) {
        return Ok(None);
    }
    let lock =
        banatie_infra_core::lock::RootLock::acquire(root, "backup").map_err(|e| coded_err!(e))?;
    let rel = dir
        .strip_prefix(root)
        .unwrap_or(dir)
        .components()
        .filter(|c| !matches!(c, std::path::Component::CurDir))
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/");
    if !rel.is_empty() {
        banatie_infra_core::jail::Root::open(root)
            .and_then(|r| r.check_dir(&rel))
            .map_err(|e| coded_err!(e))?;
    }
    Ok(Some(lock))
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
/// (The spinner's template has no colour.)
fn progress_bar() -> (indicatif::ProgressBar, impl Fn(Progress) + Send + Sync) {
    use std::io::IsTerminal;
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
