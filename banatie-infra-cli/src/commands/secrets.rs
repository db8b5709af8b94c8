//! `banatie-infra secrets SPEC --root DIR`: create or complete `DIR/secrets.env` (mode
//! 0600). Names only, never a value. Exit 1 when a secret must be supplied by hand.
//! `banatie-infra secrets rotate NAME SPEC`: see `commands/docker/rotate.rs`.
//!
//! JSON: `{"spec", "path": ".../secrets.env", "state": "created" | "updated" |
//! "unchanged", "mode": "0600", "generated": [name], "derived": [name], "kept": [name],
//! "unknown": [name], "missing": [{"name", "description": string | null}]}`.
//! A spec with errors: the diagnostics array (as `validate`), exit 1.

use std::path::PathBuf;

use banatie_infra_core::diagnostic::has_errors;
use banatie_infra_core::{secrets, validate};
use serde_json::json;

use crate::failure::{coded_err, Failure};
use crate::printer::{self, FormatArg};
use crate::spec_arg::SpecArg;

/// `secrets SPEC --root DIR`, or `secrets rotate NAME SPEC`.
#[derive(clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub(crate) struct Args {
    #[command(subcommand)]
    action: Option<Action>,
    #[command(flatten)]
    ensure: Option<EnsureArgs>,
}

/// The subcommands of `secrets`.
#[derive(clap::Subcommand)]
enum Action {
    /// Give one secret of the running stack a new value without downtime: a PostgreSQL
    /// password is set with `ALTER ROLE` first, a MinIO service-account key by the
    /// storage-init job; then every service that receives it (or a URL derived from it)
    /// rolls start-first. The old value is kept until the switch is confirmed, and put
    /// back when a step fails (exit 1, naming the step).
    #[cfg(feature = "docker")]
    Rotate(crate::commands::docker::rotate::Args),
}

/// `secrets SPEC --root DIR`.
#[derive(clap::Args)]
struct EnsureArgs {
    #[command(flatten)]
    spec: SpecArg,
    /// The deployment root: the directory of secrets.env.
    #[arg(long, visible_alias = "dir", value_name = "DIR")]
    root: PathBuf,
    /// Write into an existing non-empty directory that holds no bundle (BI703).
    #[arg(long)]
    force: bool,
    #[command(flatten)]
    format: FormatArg,
}

/// Creates or completes secrets.env, or rotates a secret.
pub(crate) fn run(args: Args) -> Result<(), Failure> {
    match (args.action, args.ensure) {
        #[cfg(feature = "docker")]
        (Some(Action::Rotate(a)), _) => crate::commands::docker::rotate::run(a),
        (None, Some(e)) => ensure(e),
        (None, None) => Err(Failure::Input(
            "a SPEC is required: `banatie-infra secrets SPEC --root DIR`, or `banatie-infra secrets rotate NAME SPEC`".into(),
        )),
    }
}

/// Creates or completes secrets.env.
fn ensure(args: EnsureArgs) -> Result<(), Failure> {
    let format = args.format.format;
    let loaded = args.spec.load(format)?;
    let mut diags = validate::validate(&loaded.spec);
    if has_errors(&diags) {
        loaded.source.annotate(&mut diags);
        let sources = [(loaded.source.name.as_str(), loaded.source.text.as_str())];
        printer::print_diagnostics(&diags, &sources, format, true);
        return Err(Failure::Findings);
    }
    let own: Vec<&std::path::Path> = args.spec.path().into_iter().collect();
    banatie_infra_core::roots::check_secrets_dir(&args.root, args.force, &own)
        .map_err(|e| coded_err!(e))?;
    let r = secrets::ensure(&loaded.spec, &args.root).map_err(|e| coded_err!(e))?;
    let state = if r.created {
        "created"
    } else if r.written {
        "updated"
    } else {
        "unchanged"
    };
    if format.is_json() {
        let missing: Vec<_> = r
            .missing
            .iter()
            .map(|(n, d)| json!({"name": n, "description": d}))
            .collect();
        printer::json(json!({
            "spec": args.spec.name(),
            "path": r.path.display().to_string(),
            "state": state,
            "mode": "0600",
            "generated": r.generated,
            "derived": r.derived,
            "kept": r.kept,
            "unknown": r.unknown,
            "missing": missing,
            "service_files": r.service_files,
        }));
    } else {
        print_human(&r, state);
    }
    if r.missing.is_empty() {
        Ok(())
    } else {
        if !format.is_json() {
            say!(
                "error: {} secret(s) must be supplied by the operator: edit {} and set them, then run this again (it copies them to each service's secrets/<service>.env)",
                r.missing.len(),
                r.path.display()
            );
        }
        Err(Failure::Findings)
    }
}

fn print_human(r: &secrets::Report, state: &str) {
    let mut text = String::new();
    for (label, names) in [
        ("generated", &r.generated),
        ("derived", &r.derived),
        ("kept", &r.kept),
        ("unknown", &r.unknown),
        ("wrote", &r.service_files),
    ] {
        for n in names {
            text.push_str(&format!("{label:>9}  {n}\n"));
        }
    }
    for (n, desc) in &r.missing {
        let d = desc
            .as_deref()
            .map(|d| format!(" ({d})"))
            .unwrap_or_default();
        text.push_str(&format!("{:>9}  {n}{d}\n", "missing"));
    }
    printer::out_redacted(&text);
    say!("{}: {state}, mode 0600", r.path.display());
}
