//! `banatie-infra restore db SPEC DUMP --yes`: the database from a dump made by
//! `backup db` (checksum verified first).
//!
//! JSON: `{"what": "db", "path", "seconds"}`. A failed restore: exit 1, stderr.

use std::path::PathBuf;

use banatie_infra_core::docker;
use serde_json::json;

use super::Ctx;
use crate::failure::Failure;
use crate::printer::{self, FormatArg};
use crate::spec_arg::SpecArg;

/// `restore` targets.
#[derive(Clone, Copy, clap::ValueEnum)]
pub(crate) enum RestoreWhat {
    /// The PostgreSQL database.
    Db,
}

/// `restore`.
#[derive(clap::Args)]
pub(crate) struct Args {
    /// What to restore: `db`.
    #[arg(value_enum)]
    what: RestoreWhat,
    #[command(flatten)]
    pub(crate) spec: SpecArg,
    /// The dump.
    dump: PathBuf,
    /// Confirm: the restore replaces the database's contents.
    #[arg(long)]
    yes: bool,
    #[command(flatten)]
    lock: super::LockArg,
    #[command(flatten)]
    pub(crate) format: FormatArg,
}

/// Restores the database.
pub(crate) async fn run(ctx: &Ctx, args: Args) -> Result<(), Failure> {
    let RestoreWhat::Db = args.what;
    let _lock = args.lock.hold(
        &super::root_or_spec(None, ctx),
        ctx.loaded.spec.stack.name.as_str(),
        "restore",
    )?;
    let r = docker::restore_db(&ctx.engine, &ctx.loaded.spec, &args.dump, args.yes)
        .await
        .map_err(|e| {
            say!("error: restore failed: {e}");
            Failure::Findings
        })?;
    if args.format.format.is_json() {
        printer::json(json!({
            "what": "db",
            "path": r.path.display().to_string(),
            "seconds": r.elapsed.as_secs_f64(),
        }));
    } else {
        printer::out_redacted(&format!(
            "restored {} in {:.1}s\n",
            r.path.display(),
            r.elapsed.as_secs_f64()
        ));
    }
    Ok(())
}
